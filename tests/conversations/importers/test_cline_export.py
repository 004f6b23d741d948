"""Cline's "Export task" Markdown and Roo Code's (tests/fixtures/real_formats/cline_export/), written by hand in the
shapes of the extensions' exporter (`export-markdown.ts`) and real exported tasks people committed."""

from __future__ import annotations

import io
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import RecordError
from app.conversations.reading import prepare

from .helpers import parse_one, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "cline_export"
CLINE = FIXTURES / "cline_task_dec-6-2026_9-14-02-pm.md"
ROO = FIXTURES / "roo_task_dec-6-2026_10-02-11-pm.md"


def test_a_cline_task_is_the_persons_prompts_and_the_answers_between_them() -> None:
    data = CLINE.read_bytes()
    assert detect_format(data[:65536], CLINE.name) == "cline-export"
    assert detect_format(data[:65536], "task.md") == "cline-export"  # renamed: the `<task>` says so
    conversation = parse_one("cline-export", data, CLINE.name)
    said = turns(conversation)
    # Six tool steps and their results are the answer's work, not turns: the pushback is the second user turn.
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[0][1] == (
        "The weekly report crashes on weeks with no sales. Make `weekly_total` in app/report.py return 0 for an "
        "empty week."
    )
    assert said[2][1].startswith("that's wrong, the amounts are Decimal")
    assert said[1][1].endswith(
        "`weekly_total` now returns the plain sum, which is 0 for a week without sales."
    )
    assert said[3][1].endswith("so an empty week prints 0.00 and the type stays Decimal.")
    answer = conversation.turns[1].blocks or []
    assert [(b["name"], b["input"].get("path")) for b in answer if b["type"] == "tool_use"] == [
        ("read_file", "app/report.py"),
        ("replace_in_file", "app/report.py"),
    ]
    assert [b["type"] for b in answer].count("tool_result") == 2
    # The export's line for a thinking block, and the harness's note where it cut an answer.
    assert conversation.dropped == {"thinking": 1, "notice": 1}
    assert conversation.metadata["tool"] == "cline"
    assert conversation.metadata["exporter"] == "export-task"
    assert conversation.metadata["cwd"] == "/home/rui/reports"
    found = prepare(conversation).found_pairs or []
    assert [(p.rejected, p.chosen) for p in found if p.detected and p.detected.score >= 0.5] == [(1, 3)]


def test_roo_codes_reasoning_tool_use_and_tool_blocks() -> None:
    conversation = parse_one("cline-export", ROO.read_bytes(), ROO.name)
    assert turns(conversation) == [
        ("user", "Add a --dry-run flag to scripts/cleanup.sh so it only lists what it would delete."),
        (
            "assistant",
            "`scripts/cleanup.sh --dry-run` now prints the files older than 30 days instead of deleting them.",
        ),
        (
            "user",
            "it still deletes when I pass --dry-run after the other flags, like `cleanup.sh -v --dry-run`",
        ),
        (
            "assistant",
            'The flag is now found anywhere in the arguments: the script loops over "$@", sets DRY_RUN=1 on '
            "--dry-run and passes the rest on, so `cleanup.sh -v --dry-run` only lists files.",
        ),
    ]
    first = conversation.turns[1].blocks or []
    assert first[0]["type"] == "thinking"
    assert first[1]["type"] == "tool_use"
    assert first[1]["name"] == "apply_diff"
    assert first[1]["input"]["path"] == "scripts/cleanup.sh"
    assert first[1]["input"]["diff"].startswith("<<<<<<< SEARCH\nfind /var/tmp/app")
    later = conversation.turns[3].blocks or []
    assert [b["type"] for b in later] == ["tool_use", "tool_result", "text"]
    assert later[0]["input"] == {"command": "bash scripts/cleanup.sh -v --dry-run", "cwd": "/srv/app"}
    assert later[1]["is_error"] is True  # `[Tool] (Error)`
    assert conversation.metadata["tool"] == "roo-code"
    assert conversation.metadata["models"] == ["openai/gpt-5"]


def test_a_markdown_chat_that_is_no_exported_task_stays_markdown() -> None:
    assert detect_format(b"**User:**\n\nhello\n\n---\n\n**Assistant:**\n\nhi\n", "chat.md") == "markdown"


def test_an_export_without_an_answer_is_one_clear_error() -> None:
    data = b"**User:**\n\n<task>\nfix the build\n</task>\n"
    results = list(get_importer("cline-export").parse(io.BytesIO(data), "cline_task_x.md"))
    assert [r.reason for r in results if isinstance(r, RecordError)] == [
        "no prompt with an answer in the exported task"
    ]
    other = list(
        get_importer("cline-export").parse(io.BytesIO(b"# Notes\n**User:**\n\n<task>x</task>\n"), "a.md")
    )
    assert [(r.line, r.reason) for r in other if isinstance(r, RecordError)] == [
        (1, "expected the export to open with `**User:**`")
    ]


def test_a_result_header_with_roo_codes_note_is_a_tool_result() -> None:
    """IBM Bob and Roo Code write a note after the files a `read_file` read (ninth fetch: the result, "File not
    found", was a prompt of its own and a false pair's pushback)."""
    data = (
        b"**User:**\n\n<task>\nthe installer forgot the slash commands, add them\n</task>\n\n---\n\n"
        b"**Assistant:**\n\nLet me look at the mode folder first.\n\n<read_file>\n<args>\n<file><path>.bob</path>"
        b"</file>\n</args>\n</read_file>\n\n---\n\n"
        b"**User:**\n\n[read_file for '.bob'. Reading multiple files at once is more efficient for the LLM. If other "
        b"files are relevant to your current task, please read them simultaneously.] Result:\n<files>\n<file><path>"
        b".bob</path><error>File not found</error></file>\n</files>\n\n---\n\n"
        b"**Assistant:**\n\nThere is no `.bob` folder yet, so the installer creates it and copies the commands.\n\n"
        b"---\n\n**User:**\n\n[attempt_completion] Result:\n\nThe user has provided feedback on the results. Consider "
        b"their input to continue the task, and then attempt completion again.\n<feedback>\nnow do the same for "
        b"the uninstaller\n</feedback>\n\n---\n\n**Assistant:**\n\nThe uninstaller now removes the commands too.\n"
    )
    conversation = parse_one("cline-export", data, "bob_task_may-16-2026_9-14-02-pm.md")
    said = turns(conversation)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[2][1] == "now do the same for the uninstaller"
    answer = conversation.turns[1].blocks or []
    assert [b["type"] for b in answer if b["type"] != "text"] == ["tool_use", "tool_result"]
    assert "File not found" in str(next(b for b in answer if b["type"] == "tool_result")["content"])


def test_an_export_cut_from_a_longer_one_is_still_the_task() -> None:
    """A committed export that opens with the end of a tool result and the harness's `<environment_details>`
    (ninth fetch: read as generic Markdown, the person's "it is have been run" was 1,500 characters of the harness's
    words)."""
    data = (
        b'echo "All 6 queries executed"\n</final_file_content>\n\n<environment_details>\n# VSCode Visible Files\n'
        b"validate_all_queries.sh\n</environment_details>\n\n---\n\n**Assistant:**\n\n[Unexpected content type]\n\n"
        b"<attempt_completion>\n<result>\nThe script is ready: run `bash validate_all_queries.sh`.\n</result>\n"
        b"</attempt_completion>\n\n---\n\n**User:**\n\n[attempt_completion] Result:\nThe user has provided feedback on "
        b"the results. Consider their input to continue the task, and then attempt completion again.\n<feedback>\n"
        b"it fails: mcp_tool_cli.py not found\n</feedback>\n<environment_details>\n# VSCode Visible Files\n"
        b"</environment_details>\n\n---\n\n**Assistant:**\n\nThe CLI lives in scripts/; the script now calls "
        b"scripts/mcp_tool_cli.py.\n"
    )
    assert detect_format(data, "task.md") == "cline-export"
    chat = parse_one("cline-export", data, "task.md")
    said = turns(chat)
    assert [role for role, _ in said] == ["assistant", "user", "assistant"]
    assert said[1][1] == "it fails: mcp_tool_cli.py not found"
    assert chat.dropped == {"message cut by the copy": 1, "thinking": 1}
    # Markdown that merely mentions the tag is no export.
    assert detect_format(b"# Notes\n\nCline sends </environment_details> with every message.\n", "n.md") != (
        "cline-export"
    )


def test_an_export_cut_inside_an_answer_is_still_the_task() -> None:
    """A committed export that opens with the tail of an `<attempt_completion>` whose proposal held `---` rules and
    `User:` / `AI:` sample lines (thirteenth fetch: read as generic Markdown, the samples were the speakers and the
    person's `<feedback>` messages were lost inside invented answers)."""
    data = (
        b'```\nUser: "Set it up"\n\nAI: "Which editor do you use?"\n\nUser: "Zed"\n```\n\n---\n\n'
        b"**AI: Tell user what you're writing:**\n\n> I'm creating `.zed/settings.json`.\n</result>\n"
        b"</attempt_completion>\n\n---\n\n**User:**\n\n[attempt_completion] Result:\nThe user has provided feedback "
        b"on the results. Consider their input to continue the task, and then attempt completion again.\n<feedback>\n"
        b"can you check the server is running?\n</feedback>\n<environment_details>\n# Current Mode\nACT MODE\n"
        b"</environment_details>\n\n---\n\n**Assistant:**\n\n[Unexpected content type]\n\n<attempt_completion>\n"
        b"<result>\nIt is not running: start it with `make serve`.\n</result>\n</attempt_completion>\n\n---\n\n"
        b"**User:**\n\n[attempt_completion] Result:\nThe user has provided feedback on the results. Consider their "
        b"input to continue the task, and then attempt completion again.\n<feedback>\nit is running, in the other "
        b"window\n</feedback>\n<environment_details>\n# Current Mode\nACT MODE\n</environment_details>\n\n---\n\n"
        b"**Assistant:**\n\n<attempt_completion>\n<result>\nThen the two windows hold separate servers.\n</result>\n"
        b"</attempt_completion>\n"
    )
    assert detect_format(data, "task.md") == "cline-export"
    chat = parse_one("cline-export", data, "task.md")
    assert turns(chat) == [
        ("user", "can you check the server is running?"),
        ("assistant", "It is not running: start it with `make serve`."),
        ("user", "it is running, in the other window"),
        ("assistant", "Then the two windows hold separate servers."),
    ]
    assert chat.dropped == {"message cut by the copy": 1, "thinking": 1}
