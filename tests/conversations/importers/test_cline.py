"""Cline and Roo Code task folders: `api_conversation_history.json` as Cline writes it (native tool use, and the
XML tool calls of older versions), as Roo Code writes it (a legacy array with `ts`, and `{version: 2, messages}`),
and the task's other files skipped with a reason.

The fixtures (tests/fixtures/real_formats/cline/) are written by hand in the shapes the extensions' source writes
(cline/cline `src/core/storage/disk.ts`, `src/core/prompts/responses.ts`, the attempt_completion handler;
RooCodeInc/Roo-Code `src/core/task-persistence/`), the newest Cline one after a real Cline 3.51 file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "cline"
CLINE = ROOT / "saoudrizwan.claude-dev" / "tasks" / "1769054000123" / "api_conversation_history.json"
CLINE_XML = ROOT / "saoudrizwan.claude-dev" / "tasks" / "1733911331000" / "api_conversation_history.json"
ROO = ROOT / "rooveterinaryinc.roo-cline" / "tasks" / "5e8f1c2a-7b3d-4e9a-9c1f-2a3b4c5d6e7f"
ROO_LEGACY = ROO / "api_conversation_history.json"
ROO_V2 = ROOT / "rooveterinaryinc.roo-cline" / "tasks" / "0b6e2f4d-91c3-4a57-8e20-6d1f3c9a7b52"
ROO_V2 = ROO_V2 / "api_conversation_history.json"
TASKS = (CLINE, CLINE_XML, ROO_LEGACY, ROO_V2)
TASK = "<task>\nFix the flaky test.\n</task>"


def _env(text: str = "# Current Mode\nACT MODE") -> dict[str, str]:
    return {"type": "text", "text": f"<environment_details>\n{text}\n</environment_details>"}


def _task(*messages: dict[str, Any]) -> bytes:
    first = {"role": "user", "content": [{"type": "text", "text": TASK}, _env()]}
    return json.dumps([first, *messages]).encode()


def _context(conversation: Any, turn: int) -> list[tuple[str, str]]:
    return [(block["tag"], block["text"]) for block in conversation.turns[turn].blocks or []]


def test_every_version_is_detected_by_content() -> None:
    for path in TASKS:
        assert detect_format(path.read_bytes()[:65536], "upload.json") == "cline", path


def test_a_long_first_message_is_still_detected() -> None:
    task = {"role": "user", "content": [{"type": "text", "text": "<task>\n" + "word " * 20_000 + "</task>"}]}
    array = json.dumps([task, {"role": "assistant", "content": "ok"}], separators=(",", ":")).encode()
    assert len(array) > 65536
    assert detect_format(array[:65536], "upload.json") == "cline"
    envelope = json.dumps({"version": 2, "messages": [task]}, separators=(",", ":")).encode()
    assert detect_format(envelope[:65536], "upload.json") == "cline"
    # Pretty-printed, as a copy made by hand may be.
    assert detect_format(json.dumps([task], indent=2).encode()[:65536], "upload.json") == "cline"


def test_other_formats_are_not_taken_for_cline() -> None:
    plain = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    assert (
        detect_format(json.dumps(plain).encode(), "upload.json") == "openai"
    )  # a bare list of messages (shell_gpt, fabric)
    assert detect_format(json.dumps({"messages": plain}).encode(), "upload.json") == "openai"
    blocks = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}, plain[1]]
    assert detect_format(json.dumps({"system": "S", "messages": blocks}).encode(), "a.json") == "anthropic"
    # A versioned record of another tool is not Roo's envelope without Cline/Roo signs.
    assert detect_format(json.dumps({"version": 2, "messages": blocks}).encode(), "a.json") == "anthropic"
    # The UI's event log is not the conversation, whatever it is named.
    ui = ROO / "ui_messages.json"
    assert not get_importer("cline").sniff(ui.read_bytes()[:65536], str(ui))
    # The file name alone does not make a non-conversation one.
    assert not get_importer("cline").sniff(b'{"theme": "dark"}', "tasks/1/api_conversation_history.json")


def test_the_file_name_claims_a_history_without_a_task_tag() -> None:
    messages = json.dumps(
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    ).encode()
    assert detect_format(messages, "tasks/1/api_conversation_history.json") == "cline"
    assert detect_format(messages, "tasks/1/history.json") == "openai"


def test_a_cline_task_is_its_prompt_pushback_and_whole_answers() -> None:
    conversation = parse_one("cline", CLINE.read_bytes(), str(CLINE))
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    prompt, first, pushback, revised = conversation.turns
    assert prompt.text == "The last page returned by paginate() in src/paginate.ts is always empty. Fix it."
    assert pushback.text == (
        "That's wrong. Our API pages are 1-based (page=1 is the first page). Fix the function, not the callers."
    )
    # attempt_completion's result is the answer the person read, after the progress note.
    assert first.text == (
        "Let me look at the current implementation.\n\n"
        "paginate() is correct for 0-based pages; the empty last page comes from calling it with page === "
        "totalPages. Iterate pages 0..totalPages-1."
    )
    assert revised.text.endswith(
        "paginate() now treats page as 1-based: slice((page - 1) * size, page * size)."
    )
    assert conversation.external_id == "1769054000123"
    assert conversation.title == prompt.text
    assert conversation.metadata == {
        "tool": "cline",
        "cwd": "/home/dev/proj",
        "models": ["claude-sonnet-4-5-20250929"],
    }


def test_tool_calls_and_results_are_blocks_of_the_answer_and_environment_details_context() -> None:
    conversation = parse_one("cline", CLINE.read_bytes(), str(CLINE))
    prompt, first, pushback, _ = conversation.turns
    assert first.blocks is not None
    assert [block["type"] for block in first.blocks] == [
        "thinking",
        "text",
        "tool_use",
        "tool_result",
        "thinking",
        "text",
    ]
    call, result = first.blocks[2], first.blocks[3]
    assert (call["id"], call["name"], call["input"]["path"]) == (
        "toolu_01CKihH4pyy3kwdBibyp3nfV",
        "read_file",
        "src/paginate.ts",
    )
    # The `[read_file for '…'] Result:` text is linked to the call it answers, without its header.
    assert result["tool_use_id"] == "toolu_01CKihH4pyy3kwdBibyp3nfV"
    assert result["content"].startswith("export function paginate<T>")
    assert not any(block.get("name") == "attempt_completion" for block in first.blocks)
    # Each typed message keeps the environment details sent with it; those sent with tool results are left out.
    assert [tag for tag, _ in _context(conversation, 0)] == ["environment_details"]
    assert _context(conversation, 0)[0][1].startswith("# Visual Studio Code Visible Files")
    assert "3:50:02 AM" in _context(conversation, 2)[0][1]
    assert "environment_details" not in json.dumps([(t.text, t.blocks) for t in conversation.turns[1::2]])
    assert "<task>" not in prompt.text
    assert conversation.dropped == {}
    assert pushback.blocks is not None


def test_an_older_cline_task_with_xml_tool_calls_in_its_text() -> None:
    conversation = parse_one("cline", CLINE_XML.read_bytes(), str(CLINE_XML))
    assert turns(conversation) == [
        (
            "user",
            "Rename fetchUser in 'src/api.ts' (see below for file content) to getUser and update its callers.",
        ),
        ("assistant", "Should I keep a deprecated fetchUser alias for code outside this repository?"),
        ("user", "No alias. Nothing outside this repo uses it."),
        (
            "assistant",
            "I'll rename the function and its one caller.\n\n"
            "Renamed fetchUser to getUser in src/api.ts and updated its caller in src/profile.ts.",
        ),
        ("user", "You missed tests/api.test.ts: it still imports fetchUser, so the test run fails."),
        ("assistant", "I'll update the test file next."),
        ("user", "The test also calls fetchUser( further down; replace every use, not just the import."),
        (
            "assistant",
            "Renamed fetchUser to getUser everywhere: src/api.ts, src/profile.ts and every use in tests/api.test.ts.",
        ),
        ("user", "Also update the example in README.md."),
        ("assistant", "The README example now calls getUser('42')."),
    ]
    # What the @ mention pulled in is context, beside the environment details.
    assert [tag for tag, _ in _context(conversation, 0)] == ["file_content", "environment_details"]
    assert conversation.metadata == {"tool": "cline", "cwd": "/home/dev/webapp"}
    search = conversation.turns[1].blocks
    assert search is not None
    thinking, call, result, question = search
    assert thinking == {"type": "thinking", "thinking": "I know the definition; I need the callers."}
    assert (call["name"], call["input"]) == ("search_files", {"path": "src", "regex": "fetchUser"})
    # A two-block result: `[search_files for '…'] Result:`, then its content.
    assert result["content"].startswith("Found 2 results.")
    assert question["type"] == "text"
    denied = conversation.turns[5].blocks or []
    assert denied[-1]["type"] == "tool_result"
    assert denied[-1]["is_error"] is True
    everything = json.dumps([(t.text, t.blocks) for t in conversation.turns])
    assert "[ERROR]" not in everything
    assert "TASK RESUMPTION" not in everything
    assert "attempt_completion" not in everything


def test_roo_code_legacy_tool_results_and_feedback() -> None:
    conversation = parse_one("cline", ROO_LEGACY.read_bytes(), str(ROO_LEGACY))
    assert [text for role, text in turns(conversation) if role == "user"] == [
        "The last page returned by paginate() in src/paginate.ts is always empty. Fix it.",
        "No — pages are 1-based in our API. Fix the function itself.",
    ]
    assert conversation.turns[1].text.endswith(
        "paginate() is correct for 0-based pages; callers pass page === totalPages."
    )
    assert conversation.turns[3].text.endswith("paginate() now uses 1-based pages.")
    assert conversation.external_id == "5e8f1c2a-7b3d-4e9a-9c1f-2a3b4c5d6e7f"
    # Roo's environment details name the model.
    assert conversation.metadata == {"tool": "roo-code", "models": ["claude-sonnet-4-5"]}
    result = (conversation.turns[1].blocks or [])[3]
    assert result == {
        "type": "tool_result",
        "tool_use_id": "toolu_01A1",
        "content": result["content"],
        "is_error": False,
    }
    assert result["content"].startswith("File: src/paginate.ts")


def test_roo_code_v2_tool_messages_reasoning_and_condense_summary() -> None:
    conversation = parse_one("cline", ROO_V2.read_bytes(), str(ROO_V2))
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    prompt, first, pushback, revised = conversation.turns
    assert prompt.text == "Add a --dry-run flag to scripts/cleanup.py that prints what would be deleted."
    assert (
        pushback.text
        == "The diff never applied, so nothing changed. Add the argparse option too, then apply it."
    )
    assert first.text.endswith("with it, cleanup.py prints each path instead of deleting it.")
    assert first.blocks is not None
    assert first.blocks[0] == {"type": "thinking", "thinking": "I need to see how files are deleted now."}
    failed = first.blocks[5]
    assert (failed["tool_use_id"], failed["is_error"]) == ("call_02", True)
    # The environment details of the user message after a `tool` message go with the feedback in it.
    assert "09:03:00" in _context(conversation, 2)[0][1]
    # The condense summary is the model's memory, not an answer.
    assert "Summary:" not in json.dumps([(t.text, t.blocks) for t in conversation.turns])
    assert revised.text.startswith("cleanup.py now parses --dry-run")
    assert conversation.external_id == "0b6e2f4d-91c3-4a57-8e20-6d1f3c9a7b52"
    assert conversation.metadata == {
        "tool": "roo-code",
        "cwd": "/home/dev/ops",
        "models": ["deepseek-reasoner"],
    }
    assert conversation.dropped == {"image": 1}


def test_the_tool_comes_from_the_folder_and_the_id_from_the_task_folder() -> None:
    data = CLINE.read_bytes()
    elsewhere = parse_one("cline", data, "backup/history.json")
    assert elsewhere.external_id == "backup/history.json"
    assert "tool" not in elsewhere.metadata
    kilo = parse_one("cline", data, "kilocode.kilo-code/tasks/t-1/api_conversation_history.json")
    assert (kilo.external_id, kilo.metadata["tool"]) == ("t-1", "kilo-code")
    windows = r"C:\Users\dev\globalStorage\rooveterinaryinc.roo-cline\tasks\abc\api_conversation_history.json"
    assert parse_one("cline", data, windows).metadata["tool"] == "roo-code"
    # Roo's envelope says which tool wrote it wherever the file is.
    assert parse_one("cline", ROO_V2.read_bytes(), "copy.json").metadata["tool"] == "roo-code"


def test_older_wrappers_answers_and_resumptions_are_what_the_person_typed() -> None:
    question = {
        "role": "assistant",
        "content": [
            {
                "type": "tool_use",
                "id": "q1",
                "name": "ask_followup_question",
                "input": {"question": "Which test?"},
            }
        ],
    }
    answer = {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "q1", "content": "<answer>\ntest_login\n</answer>"},
            _env(),
        ],
    }
    plan = {
        "role": "assistant",
        "content": "<plan_mode_respond>\n<response>Retry it with a fixed seed.</response>\n</plan_mode_respond>",
    }
    conversation = parse_one("cline", _task(question, answer, plan))
    assert turns(conversation) == [
        ("user", "Fix the flaky test."),
        ("assistant", "Which test?"),
        ("user", "test_login"),
        ("assistant", "Retry it with a fixed seed."),
    ]


def test_bad_messages_are_named_by_their_json_path_and_the_rest_imports() -> None:
    answer = {"role": "assistant", "content": [{"type": "text", "text": "Seeded the random generator."}]}
    data = _task(
        "oops",  # type: ignore[arg-type]
        {"role": "system", "content": "x"},
        {"role": "user", "content": 7},
        {"role": "user", "content": [{"type": "text", "text": "hi"}, "image"]},
        answer,
    )
    conversations, errors = parse("cline", data, "api_conversation_history.json")
    assert turns(conversations[0]) == [
        ("user", "Fix the flaky test."),
        ("assistant", "Seeded the random generator."),
    ]
    assert errors_of(errors) == [
        (None, "$[1]", "expected a JSON object, got a string"),
        (None, "$[2]", 'role: expected "user", "assistant" or "tool", got "system"'),
        (None, "$[3]", "content: expected a string or a list of blocks, got a number"),
        (None, "$[4]", "content[1]: expected an object, got a string"),
    ]
    envelope = json.loads(ROO_V2.read_bytes())
    envelope["messages"][1]["content"] = None
    _, errors = parse("cline", json.dumps(envelope, indent=2).encode(), "api_conversation_history.json")
    assert errors_of(errors) == [
        (None, "$.messages[1]", "content: expected a string or a list of blocks, got null")
    ]
    _, errors = parse("cline", b'{\n"messages": []\n}', "api_conversation_history.json")
    assert errors_of(errors) == [
        (None, "$", 'expected a JSON array of messages or a {"version": 2, "messages": [...]} object')
    ]


def test_a_task_nobody_answered_is_skipped() -> None:
    results = list(get_importer("cline").parse(io.BytesIO(_task()), "api_conversation_history.json"))
    assert results == [Skipped("task without a conversation")]


def test_only_the_task_folders_sidecars_are_skipped() -> None:
    task = "globalStorage/saoudrizwan.claude-dev/tasks/1769054000123/"
    for name in ("ui_messages.json", "task_metadata.json", "context_history.json", "settings.json"):
        assert not_conversation_reason(task + name, 10) == (
            "Cline/Roo Code task UI log, metadata or settings, not the conversation"
        )
    assert not_conversation_reason(task + "api_conversation_history.json", 10) is None
    # The tasks/<id>/ layout shows it without the extension's folder (a task folder copied out).
    assert not_conversation_reason("export/tasks/0b6e2f4d/history_item.json", 10) is not None
    assert not_conversation_reason("globalStorage/saoudrizwan.claude-dev/state/taskHistory.json", 10) == (
        "Cline/Roo Code task index, settings or cache, not conversations"
    )
    # The same names elsewhere are the user's files: read (and reported) like any other.
    for name in ("settings.json", "project/settings.json", "state/taskHistory.json", "ui_messages.json"):
        assert not_conversation_reason(name, 10) is None


def test_the_extension_folders_import_once_and_skip_their_other_files(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count, summary.errors) == (
        4,
        5,
        0,
        [],
    )
    assert {report["format"] for report in summary.file_reports if report["format"]} == {"cline"}
    assert dict(summary.skipped) == {
        "Cline/Roo Code task UI log, metadata or settings, not the conversation": 6,
        "Cline/Roo Code task index, settings or cache, not conversations": 2,
    }
    assert dict(summary.dropped) == {"image": 1}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 4)


def test_ids_and_names_of_the_wrong_type_are_not_looked_up() -> None:
    # A mutated file once raised "unhashable type: 'list'" here: an id or a tool name is looked up only as a string.
    history = [
        {"role": "user", "content": [{"type": "text", "text": "<task>\nRename fetchUser.\n</task>"}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "read_file", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": ["t1"], "content": "src/api.ts"}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": {"id": "t1"}, "content": "again"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Renamed it."}]},
    ]
    conversation = parse_one("cline", json.dumps(history).encode(), "api_conversation_history.json")
    assert [role for role, _ in turns(conversation)] == ["user", "assistant"]


def test_files_attached_to_the_task_are_context_not_the_prompt() -> None:
    # A real task: the attached document in a text block of its own, "Files attached by the user:" first.
    first = {
        "role": "user",
        "content": [
            {"type": "text", "text": TASK},
            {
                "type": "text",
                "text": 'Files attached by the user:\n\n<file_content path="spec.md">\n# Spec\n</file_content>',
            },
            _env(),
        ],
    }
    answer = {
        "role": "assistant",
        "content": [{"type": "text", "text": "The test sleeps; I'll mock the clock."}],
    }
    conversation = parse_one("cline", json.dumps([first, answer]).encode(), "api_conversation_history.json")
    assert conversation.turns[0].text == "Fix the flaky test."
    assert ("file_content", '<file_content path="spec.md">\n# Spec\n</file_content>') in _context(
        conversation, 0
    )
