"""OpenCode's `/export` transcript (Markdown), written by hand in the shape OpenCode's `formatTranscript` writes and
real sessions people committed show: `## User` / `## Assistant (Agent · model · 6.2s)` messages closed by `---`,
`_Thinking:_` reasoning, `**Tool: name**` calls with their `**Input:**` and `**Output:**` (or `**Error:**`)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import

from .helpers import turns

SESSION = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "opencode_export"
    / "session-ses_3f2a.md"
)


def _read(data: bytes, name: str = "session.md") -> ParsedConversation:
    (conversation,) = list(get_importer("opencode-export").parse(io.BytesIO(data), name))
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_an_export_is_detected_by_its_session_line_whatever_its_name() -> None:
    data = SESSION.read_bytes()
    assert detect_format(data, "session-ses_3f2a.md") == "opencode-export"
    assert detect_format(data, "notes.txt") == "opencode-export"


def test_steps_are_one_answer_with_thinking_tool_calls_and_results_as_blocks() -> None:
    conversation = _read(SESSION.read_bytes())
    assert (conversation.external_id, conversation.title) == (
        "ses_3f2a9c1e7ffeQk2LmN8pRtVw4x",
        "Fix the CSV export",
    )
    assert conversation.metadata == {"tool": "opencode", "agents": ["Build · claude-sonnet-4-5"]}
    assert turns(conversation) == [
        ("user", "the csv export puts every row on one line, fix it"),
        (
            "assistant",
            "I'll look at the export code first:\n\nFixed: each row now goes through `csv.writer`, which ends every "
            "row with a line break and quotes fields that hold commas.",
        ),
        ("user", "that breaks on python 3.8, we can't use the lineterminator default there"),
        (
            "assistant",
            'You\'re right: on 3.8 `csv.writer` ends rows with `\\r\\n`. I pass `lineterminator="\\n"` now, so the '
            "output is the same on every version.",
        ),
        ("user", "never mind, thanks"),
    ]
    blocks = conversation.turns[1].blocks or []
    assert [(b["type"], b.get("name")) for b in blocks] == [
        ("thinking", None),
        ("text", None),
        ("tool_use", "read"),
        ("tool_result", None),
        ("thinking", None),
        ("tool_use", "edit"),
        ("tool_result", None),
        ("text", None),
    ]
    assert blocks[0]["thinking"].startswith("The user says the CSV export writes every row on one line.")
    assert blocks[2]["input"] == {"filePath": "src/export.py"}
    assert blocks[6]["content"] == "Edit applied successfully."
    # Headed reasoning stays thinking; a failed call's error is an error result.
    second = conversation.turns[3].blocks or []
    assert second[0]["thinking"].startswith("**Checking the 3.8 behaviour**\n\nOn 3.8 the default")
    assert second[-1] == {
        "type": "tool_result",
        "tool_use_id": None,
        "content": "ModuleNotFoundError: No module named 'pytest'",
        "is_error": True,
    }


def test_reasoning_that_speaks_of_the_person_stays_thinking_and_a_repeated_prompt_is_read_once() -> None:
    data = (
        "# New session - 2026-04-04T14:57:54.992Z\n\n**Session ID:** ses_2b1c\n**Created:** 4/4/2026\n"
        "**Updated:** 4/4/2026\n\n---\n\n"
        "## User\n\npriv\n\n---\n\n## Assistant\n\n---\n\n## User\n\npriv\n\n---\n\n"
        "## Assistant (Plan · big-pickle · 2.9s)\n\n_Thinking:_\n\n"
        'The user sent "priv", maybe short for "привет".\n\nI should greet them in Russian.\n\n'
        "Привет! Чем могу помочь?\n\n---\n\n"
    ).encode()
    conversation = _read(data)
    assert turns(conversation) == [("user", "priv"), ("assistant", "Привет! Чем могу помочь?")]
    assert (conversation.turns[1].blocks or [])[0] == {
        "type": "thinking",
        "thinking": 'The user sent "priv", maybe short for "привет".\n\nI should greet them in Russian.',
    }
    assert conversation.dropped == {"repeated prompt": 1}


def test_an_export_without_an_answer_is_one_error() -> None:
    data = b"# Empty\n\n**Session ID:** ses_0\n\n---\n\n## User\n\nhello\n\n---\n\n"
    results = list(get_importer("opencode-export").parse(io.BytesIO(data), "empty.md"))
    assert results == [RecordError("OpenCode export: no assistant answer: only the user's messages")]


def test_import_stores_the_pair_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[SESSION])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    again = run_import(engine, paths=[SESSION])
    assert (again.conversations_added, again.duplicates) == (0, 1)


def test_long_reasoning_is_thinking_and_the_closing_run_is_the_answer() -> None:
    """Real exports in Spanish and English: several paragraphs of reasoning, then the answer (a line that leads into
    a code block, the block, a question); reasoning that runs straight into a tool call is all thinking, and
    another writer's `_Tool call: name_` stubs are calls."""
    data = (
        "# Reinicios\n\n**Session ID:** ses_9x\n\n---\n\n## User\n\nse me reinicia el monitor cada rato\n\n---\n\n"
        "## Assistant (Build · glm-4.6)\n\n_Thinking:_\n\nThe user says the monitor resets every so often.\n\n"
        "Let me think about the causes:\n1. the lid daemon\n2. the bar reloading\n\n"
        "They run a lid daemon that reloads the compositor on every lid event.\n\n"
        "Probá esto para aislar el problema:\n\n```bash\nsystemctl --user stop lid-daemon\n```\n\n"
        "¿Dejan de ocurrir los reinicios?\n\n---\n\n## User\n\nsi, ya no\n\n---\n\n"
        "## Assistant (Build · glm-4.6)\n\n_Thinking:_\n\nSo the daemon is the cause.\n\nI need to find the reload call.\n\n"
        "_Tool call: grep_\n\n_Tool call: edit_\n\n---\n\n"
        "## Assistant (Build · glm-4.6)\n\nQuité el reload del daemon: ya no debería reiniciarse.\n\n---\n\n"
    ).encode()
    conversation = _read(data)
    assert turns(conversation)[1] == (
        "assistant",
        "Probá esto para aislar el problema:\n\n```bash\nsystemctl --user stop lid-daemon\n```\n\n"
        "¿Dejan de ocurrir los reinicios?",
    )
    assert (conversation.turns[1].blocks or [])[0]["thinking"].endswith(
        "reloads the compositor on every lid event."
    )
    last = conversation.turns[3]
    assert last.text == "Quité el reload del daemon: ya no debería reiniciarse."
    assert [(b["type"], b.get("name")) for b in last.blocks or []] == [
        ("thinking", None),
        ("tool_use", "grep"),
        ("tool_use", "edit"),
        ("text", None),
    ]
    assert (last.blocks or [])[0][
        "thinking"
    ] == "So the daemon is the cause.\n\nI need to find the reload call."


def test_english_reasoning_before_an_answer_in_another_script_stays_thinking() -> None:
    """A real export (eleventh fetch): the model reasoned in English and answered in Russian; the reasoning's last
    line ("Let me provide a solution.") opened the answer's text."""
    data = (
        "# Запуск\n\n**Session ID:** ses_7q\n\n---\n\n"
        "## User\n\nnpm start пишет Cannot find module express\n\n---\n\n"
        "## Assistant (Plan · big-pickle · 4.2s)\n\n_Thinking:_\n\n"
        "The user runs `npm start` and gets \"Cannot find module 'express'\".\n\n"
        "Likely causes:\n1. dependencies not installed\n2. wrong folder\n\n"
        "I should tell them to install the packages.\n\n"
        "Let me provide a solution.\n\n"
        "Ошибка \"Cannot find module 'express'\" значит, что пакеты не установлены:\n\n"
        "```bash\nnpm install\nnpm start\n```\n\n"
        "Запускайте из папки проекта.\n\n---\n\n"
    ).encode()
    conversation = _read(data)
    assert turns(conversation)[1] == (
        "assistant",
        "Ошибка \"Cannot find module 'express'\" значит, что пакеты не установлены:\n\n"
        "```bash\nnpm install\nnpm start\n```\n\n"
        "Запускайте из папки проекта.",
    )
    thinking = (conversation.turns[1].blocks or [])[0]
    assert thinking["type"] == "thinking"
    assert thinking["thinking"].endswith(
        "I should tell them to install the packages.\n\nLet me provide a solution."
    )
