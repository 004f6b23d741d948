"""OpenAI Codex CLI session logs (rollout JSONL), current and early versions.

The fixtures (tests/fixtures/real_formats/codex/) are written by hand in the shapes Codex's source writes
(`codex-rs/protocol`: RolloutLine, ResponseItem, EventMsg).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

CODEX = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "codex"
SESSION = next((CODEX / "sessions").rglob("rollout-*.jsonl"))
LEGACY = next((CODEX / "legacy").glob("rollout-*.jsonl"))


def test_both_versions_are_detected_by_content() -> None:
    for path in (SESSION, LEGACY):
        assert detect_format(path.read_bytes()[:65536], "session.jsonl") == "codex"


def test_a_long_first_line_is_still_detected() -> None:
    meta = {"id": "s", "timestamp": "t", "instructions": "x" * 70_000}
    head = json.dumps(
        {"timestamp": "t", "type": "session_meta", "payload": meta}, separators=(",", ":")
    ).encode()
    assert detect_format(head[:65536], "session.jsonl") == "codex"


def test_a_session_is_its_typed_prompts_and_whole_answers() -> None:
    conversation = parse_one("codex", SESSION.read_bytes(), SESSION.name)
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    prompt, first, pushback, revised = conversation.turns
    assert prompt.text.startswith("The date parser in utils/dates.py crashes")
    assert pushback.text.startswith("Don't swallow every exception")
    # The UI's copies of the messages (event_msg) are not read again.
    assert first.text.startswith("I wrapped the parse in a try/except")
    assert first.text.count("I wrapped") == 1
    assert revised.text.startswith("Now only `ValueError` is caught")
    assert conversation.external_id == "0199a3c2-5e1f-7b20-9d4e-3f6a8b1c2d3e"
    assert conversation.title == prompt.text[:80]
    assert conversation.metadata == {
        "cwd": "/home/dev/billing",
        "cli_version": "0.36.0",
        "originator": "codex_cli_rs",
        "model_provider": "openai",
        "model": "gpt-5-codex",
    }


def test_what_the_harness_injects_is_context_and_its_instructions_are_left_out() -> None:
    conversation = parse_one("codex", SESSION.read_bytes(), SESSION.name)
    context = conversation.turns[0].blocks
    assert context is not None
    assert [(block["type"], block["tag"]) for block in context] == [
        ("context", "agents_md"),
        ("context", "environment_context"),
    ]
    assert context[1]["text"].startswith("<cwd>/home/dev/billing</cwd>")
    assert conversation.system_prompt is None
    everything = json.dumps([(t.text, t.blocks) for t in conversation.turns])
    assert "permissions instructions" not in everything


def test_reasoning_tool_calls_and_outputs_are_blocks_of_the_answer() -> None:
    conversation = parse_one("codex", SESSION.read_bytes(), SESSION.name)
    first, revised = conversation.turns[1], conversation.turns[3]
    assert first.blocks is not None
    assert revised.blocks is not None
    thinking, call, result, text = first.blocks
    assert thinking == {
        "type": "thinking",
        "thinking": "**Inspecting the parser**\n\nI should read utils/dates.py first.",
    }
    assert (call["type"], call["id"], call["name"]) == ("tool_use", "call_7Qm2", "shell")
    assert call["input"]["command"] == ["bash", "-lc", "sed -n 1,40p utils/dates.py"]
    # The shell's JSON output is unwrapped; its exit code 0 is no error.
    assert result == {
        "type": "tool_result",
        "tool_use_id": "call_7Qm2",
        "content": "def parse(text):\n    return datetime.strptime(text, '%Y-%m-%d').date()\n",
        "is_error": False,
    }
    assert text["type"] == "text"
    patch, applied, _ = revised.blocks
    assert (patch["name"], patch["input"][:15]) == ("apply_patch", "*** Begin Patch")
    assert applied["content"].startswith("Success. Updated the following files")


def test_a_shell_command_that_failed_is_an_error_result() -> None:
    output = json.dumps({"output": "bash: pytset: command not found\n", "metadata": {"exit_code": 127}})
    item = {"type": "function_call_output", "call_id": "c1", "output": output}
    lines = SESSION.read_bytes().splitlines(keepends=True)
    failed = json.dumps({"timestamp": "t", "type": "response_item", "payload": item}).encode() + b"\n"
    conversation = parse_one("codex", b"".join([*lines[:10], failed, *lines[10:]]), SESSION.name)
    blocks = conversation.turns[1].blocks or []
    assert {"type": "tool_result", "tool_use_id": "c1", "content": "bash: pytset: command not found\n",
            "is_error": True} in blocks  # fmt: skip


def test_an_early_rollout_without_envelopes() -> None:
    conversation = parse_one("codex", LEGACY.read_bytes(), LEGACY.name)
    assert conversation.external_id == "5b0e2a1c-7d3f-4e8a-9c6b-1a2b3c4d5e6f"
    assert turns(conversation) == [
        ("user", "Count the lines of every .py file under src."),
        ("assistant", "There are 42 lines in two files: src/a.py has 12 and src/b.py has 30."),
    ]
    assert conversation.turns[0].blocks == [
        {"type": "context", "tag": "user_instructions", "text": "Prefer the standard library."}
    ]
    answer = conversation.turns[1].blocks
    assert answer is not None
    call, result, _ = answer
    assert (call["name"], call["input"]["command"][-1]) == (
        "local_shell",
        "find src -name '*.py' | xargs wc -l",
    )
    assert result["content"].endswith("42 total\n")


def test_bad_lines_are_named_and_the_rest_of_the_session_imports() -> None:
    lines = SESSION.read_bytes().splitlines(keepends=True)
    bad = [b"[1, 2]\n", b'{"timestamp": "t", "type": "response_item", "payload": "x"}\n']
    broken = [*lines[:2], *bad, *lines[2:]]
    conversations, errors = parse("codex", b"".join(broken), SESSION.name)
    assert len(conversations) == 1
    assert len(conversations[0].turns) == 4
    assert errors_of(errors) == [
        (3, None, "expected a JSON object, got a list"),
        (4, None, "payload: expected an object, got a string"),
    ]


def test_a_session_that_never_got_an_answer_is_skipped_not_an_error() -> None:
    meta = {"timestamp": "t", "type": "session_meta", "payload": {"id": "s", "timestamp": "t"}}
    context = {
        "timestamp": "t",
        "type": "response_item",
        "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
    }
    results = list(get_importer("codex").parse(io.BytesIO(jsonl(meta, context)), "rollout-x.jsonl"))
    assert results == [Skipped("session without a conversation")]


def test_other_formats_are_not_taken_for_codex() -> None:
    claude: dict[str, object] = {
        "type": "user",
        "sessionId": "s",
        "parentUuid": None,
        "uuid": "u",
        "message": {},
    }
    assert detect_format(jsonl(claude), "a.jsonl") == "claude-code"
    openai = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert detect_format(jsonl(openai), "rollout-1.jsonl") == "openai"
    assert detect_format(jsonl({"id": "x", "timestamp": "t"}), "a.jsonl") is None
    # A value of another JSON type where the line type goes (a list cannot be looked up in a set).
    assert (
        detect_format(jsonl({"timestamp": "t", "type": ["session_meta"], "payload": {}}), "a.jsonl") is None
    )


def test_a_codex_sessions_folder_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[CODEX])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)
    assert {report["format"] for report in summary.file_reports} == {"codex"}
    again = run_import(engine, paths=[CODEX])
    assert (again.conversations_added, again.duplicates) == (0, 3)


def test_the_codex_folder_imports_its_sessions_and_skips_its_settings(engine: Engine, tmp_path: Path) -> None:
    home = tmp_path / ".codex"
    for folder in ("sessions/2025/09/14", "archived_sessions", "log"):
        (home / folder).mkdir(parents=True)
    (home / "sessions/2025/09/14" / SESSION.name).write_bytes(SESSION.read_bytes())
    (home / "archived_sessions" / LEGACY.name).write_bytes(LEGACY.read_bytes())
    (home / "history.jsonl").write_text('{"session_id":"s","ts":1757836800,"text":"fix the parser"}\n')
    (home / "auth.json").write_text('{"OPENAI_API_KEY": "sk-not-a-real-key"}\n')
    (home / "config.toml").write_text('model = "gpt-5-codex"\n')
    (home / "log" / "codex-tui.log").write_text("2025-09-14T08:00:00Z INFO started\n")
    summary = run_import(engine, paths=[home])
    assert (summary.conversations_added, summary.error_count, summary.errors) == (2, 0, [])
    assert dict(summary.skipped) == {"Codex CLI settings, logs or prompt history, not sessions": 4}


def test_the_typescript_cli_saved_one_object_per_session() -> None:
    (saved,) = (CODEX / "typescript").glob("rollout-*.json")
    assert detect_format(saved.read_bytes(), saved.name) == "codex"
    conversation = parse_one("codex", saved.read_bytes(), saved.name)
    assert conversation.external_id == "3f2a9c1e-55b7-4d0a-9e21-7c4b8d0f6a13"
    assert turns(conversation) == [
        ("user", "Which process is listening on port 8080?"),
        ("assistant", "A node process (PID 7311) is listening on 8080."),
    ]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[2]["content"].startswith("node 7311 kim")


def test_an_early_rollouts_first_line_may_name_its_folder_and_client() -> None:
    lines = LEGACY.read_bytes().split(b"\n")
    header = json.loads(lines[0])
    header.update(cwd="/home/kim/api", originator="codex_cli_rs", cli_version="0.31.0")
    data = b"\n".join([json.dumps(header).encode(), *lines[1:]])
    assert detect_format(data, LEGACY.name) == "codex"
    conversation = parse_one("codex", data, LEGACY.name)
    assert conversation.metadata["cwd"] == "/home/kim/api"
    assert conversation.metadata["cli_version"] == "0.31.0"
    assert len(conversation.turns) == 2


def _line(kind: str, payload: dict[str, object]) -> dict[str, object]:
    return {"timestamp": "2026-02-01T09:00:00.000Z", "type": kind, "payload": payload}


def _said(text: str) -> dict[str, object]:
    return _line("event_msg", {"type": "user_message", "message": text, "images": []})


def _replied(text: str) -> dict[str, object]:
    return _line("event_msg", {"type": "agent_message", "message": text})


def _message(role: str, text: str) -> dict[str, object]:
    part = "input_text" if role == "user" else "output_text"
    return _line(
        "response_item", {"type": "message", "role": role, "content": [{"type": part, "text": text}]}
    )


META = _line("session_meta", {"id": "0b7c", "cwd": "/srv/app", "cli_version": "0.80.0"})


def test_a_message_only_an_event_holds_is_read_from_the_event_in_its_place() -> None:
    # A rollout that kept the UI's copies and not the items (some tools' sample rollouts), and a turn stopped
    # before its answer's item was written: the events are the only record of what was said.
    data = jsonl(
        META,
        _said("Add a retry to the webhook sender"),
        _line(
            "response_item", {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Read it"}]}
        ),
        _replied("Added three retries with backoff."),
        _message("assistant", "Added three retries with backoff."),  # the event's item, after it
        _said("It retries on 400s too, only 5xx should be retried"),
        _replied("Only 5xx and timeouts are retried now."),
        _line("event_msg", {"type": "turn_aborted", "reason": "interrupted"}),
    )
    conversation = parse_one("codex", data, "rollout.jsonl")
    assert turns(conversation) == [
        ("user", "Add a retry to the webhook sender"),
        ("assistant", "Added three retries with backoff."),
        ("user", "It retries on 400s too, only 5xx should be retried"),
        ("assistant", "Only 5xx and timeouts are retried now."),
    ]
    assert [b["type"] for b in conversation.turns[1].blocks or []] == ["thinking", "text"]
    assert conversation.title == "Add a retry to the webhook sender"


def test_an_events_copy_is_read_once_before_or_after_its_item_even_when_shorter() -> None:
    data = jsonl(
        META,
        _message("user", "<environment_context>\n  <cwd>/srv/app</cwd>\n</environment_context>"),
        _said("Why is the build slow?"),  # the copy first, the harness's context item between
        _message("user", "<environment_context>\n  <cwd>/srv/app</cwd>\n</environment_context>"),
        _message("user", "Why is the build slow?"),
        _message(
            "assistant",
            "The Docker layer cache is invalidated by COPY . before pip install:\n\n```\n...\n```",
        ),
        _replied("The Docker layer cache is invalidated by COPY . before pip install."),  # after, shortened
        _message("user", "Why is the build slow?"),  # the same words typed again are a message of their own
        _said("Why is the build slow?"),
        _message("assistant", "Same cause."),
    )
    conversation = parse_one("codex", data, "rollout.jsonl")
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert conversation.turns[1].text.startswith("The Docker layer cache is invalidated by COPY . before")
    assert conversation.turns[1].text.count("Docker layer cache") == 1
    assert conversation.turns[2].text == "Why is the build slow?"


def test_the_prompt_history_alone_is_skipped_with_its_reason() -> None:
    """`~/.codex/history.jsonl` committed on its own (a real repository): the prompts typed, no answers; it matched no
    format before (in an imported `~/.codex` it is skipped by its name)."""
    data = b'{"session_id":"019ad94f-0000","ts":1764582603,"text":"fix the login test"}\n{"session_id":"019ad94f-0000","ts":1764582700,"text":"now the signup one"}\n'
    assert detect_format(data, "history.jsonl") == "codex"
    assert list(get_importer("codex").parse(io.BytesIO(data), "history.jsonl")) == [
        Skipped("Codex prompt history (history.jsonl: the prompts typed, no answers)")
    ]


def test_the_uis_copy_of_an_answer_before_its_reasoning_is_read_once_and_the_ides_context_is_apart() -> None:
    # Real rollouts: the `agent_message` event, then the answer's `reasoning` item, then its `message` item; and
    # the VS Code extension's "# Context from my IDE setup:" around what the person typed.
    typed = "# Context from my IDE setup:\n\n## Open tabs:\n- config.toml: .codex/config.toml\n\n## My request for Codex:\nsay hi\n"
    data = jsonl(
        _line("session_meta", {"id": "019ad94f", "cwd": "/repo"}),
        _line(
            "response_item",
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": typed}]},
        ),
        _line("event_msg", {"type": "user_message", "message": typed}),
        _line("event_msg", {"type": "agent_message", "message": "Hi!"}),
        _line("response_item", {"type": "reasoning", "summary": [{"type": "summary_text", "text": "greet"}]}),
        _line(
            "response_item",
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi!"}]},
        ),
    )
    chat = parse_one("codex", data, "rollout-2025-12-01T18-47-19-019ad94f.jsonl")
    assert turns(chat) == [("user", "say hi"), ("assistant", "Hi!")]
    assert chat.title == "say hi"
    assert chat.turns[0].blocks == [
        {"type": "context", "tag": "ide_context", "text": "## Open tabs:\n- config.toml: .codex/config.toml"}
    ]
    assert [block["type"] for block in chat.turns[1].blocks or []] == ["thinking", "text"]
