"""Gemini CLI chat recordings: the older whole-object `.json` and the newer `.jsonl` with its `$set` and
`$rewindTo` lines.

The fixtures (tests/fixtures/real_formats/gemini_cli/) are written by hand in the shapes gemini-cli's
ChatRecordingService writes (`packages/core/src/services/chatRecordingService.ts` and its record types).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "gemini_cli"
LEGACY = next(ROOT.rglob("session-*.json"))
LINES = next(ROOT.rglob("session-*.jsonl"))
# `/chat save` checkpoints, and the recording of the session one of them saved.
CHECKPOINTS = ROOT.parent / "gemini_cli_checkpoint"
PRIME = next(CHECKPOINTS.rglob("checkpoint-prime.json"))
PAGINATE = next(CHECKPOINTS.rglob("checkpoint-paginate-fix.json"))
PAGINATE_RECORDING = next(CHECKPOINTS.rglob("session-*.jsonl"))


def test_both_recordings_are_detected_by_content() -> None:
    for path in (LEGACY, LINES):
        assert detect_format(path.read_bytes()[:65536], "session.json") == "gemini-cli"


def test_a_long_first_message_is_still_detected() -> None:
    recording = json.loads(LEGACY.read_bytes())
    recording["messages"][0]["content"] = "word " * 20_000
    head = json.dumps(recording, indent=2).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "session.json") == "gemini-cli"


def test_a_recording_is_its_prompts_and_answers_without_commands_or_notices() -> None:
    conversation = parse_one("gemini-cli", LEGACY.read_bytes(), LEGACY.name)
    assert turns(conversation) == [
        ("user", "Why does @src/cache.py leak memory?"),
        (
            "assistant",
            "The cache is a plain dict that is never emptied, so it grows with every new key. Clear it now and "
            "then with `_cache.clear()`.",
        ),
        ("user", "Clearing everything throws away hot entries too. Bound it instead."),
        (
            "assistant",
            "Use `functools.lru_cache(maxsize=1024)` on the loader: the least recently used entries go first, so "
            "memory stays bounded and hot keys stay cached.",
        ),
    ]
    assert conversation.external_id == "8c1e4b7a-3f2d-4e6a-9b0c-5d7e1f2a3b4c"
    assert conversation.title == "Bounding the memory of a dict cache"
    assert conversation.metadata == {"models": ["gemini-2.5-pro"]}


def test_referenced_files_are_context_and_thoughts_and_tools_are_blocks() -> None:
    conversation = parse_one("gemini-cli", LEGACY.read_bytes(), LEGACY.name)
    (context,) = conversation.turns[0].blocks or []
    assert context["tag"] == "referenced_files"
    assert context["text"].startswith("--- Content from referenced files ---\nContent from @src/cache.py:")
    thinking, _, call, result = conversation.turns[1].blocks or []
    assert thinking == {"type": "thinking", "thinking": "Inspecting the cache\nThe dict has no bound."}
    assert (call["name"], call["input"]) == ("read_file", {"absolute_path": "/home/dev/app/src/cache.py"})
    assert (result["tool_use_id"], result["is_error"]) == ("read_file-1759395610-1", False)
    assert result["content"].startswith("_cache = {}")


def test_the_newer_lines_keep_the_last_copy_rewind_and_set() -> None:
    conversation = parse_one("gemini-cli", LINES.read_bytes(), LINES.name)
    assert turns(conversation) == [
        ("user", "Add a test for parse_date."),
        ("assistant", "I added `test_parse_date_accepts_iso` to tests/test_dates.py."),
        ("user", "The test must also cover an impossible date like 2025-02-30."),
        (
            "assistant",
            "Added `test_parse_date_rejects_impossible_dates`, which checks that 2025-02-30 returns None, next to "
            "the ISO test.",
        ),
    ]
    assert conversation.title == "A test for parse_date"
    blocks = conversation.turns[1].blocks or []
    assert blocks[0] == {"type": "thinking", "thinking": "Running the tests"}
    assert blocks[2] == {
        "type": "tool_result",
        "tool_use_id": "run_shell_command-1",
        "content": "Command exited with code 1: no tests ran",
        "is_error": True,
    }
    # The session context the CLI adds is context of the first prompt.
    assert [b["tag"] for b in conversation.turns[0].blocks or []] == ["gemini_context"]


def test_bad_lines_are_named_and_a_subagent_is_skipped() -> None:
    lines = LINES.read_bytes().splitlines(keepends=True)
    broken = [*lines[:2], b'{"$rewindTo": 5}\n', b'{"$set": []}\n', *lines[2:]]
    conversations, errors = parse("gemini-cli", b"".join(broken), LINES.name)
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (3, None, "$rewindTo: expected a message id, got a number"),
        (4, None, "$set: expected an object, got a list"),
    ]
    subagent = {"sessionId": "s", "projectHash": "p", "kind": "subagent"}
    results = list(get_importer("gemini-cli").parse(io.BytesIO(jsonl(subagent)), "session.jsonl"))
    assert results == [Skipped("Gemini CLI subagent session")]


def test_a_gemini_folder_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert {report["format"] for report in summary.file_reports} == {"gemini-cli"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_the_gemini_folder_imports_its_recordings_and_checkpoints_and_skips_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    chats = tmp_path / ".gemini" / "tmp" / "4f2a9c1e" / "chats"
    chats.mkdir(parents=True)
    (chats / LEGACY.name).write_bytes(LEGACY.read_bytes())
    (chats.parent / "logs.json").write_text('[{"sessionId":"s","messageId":0,"type":"user","message":"hi"}]')
    (chats.parent / "checkpoint-prime.json").write_bytes(PRIME.read_bytes())
    (chats.parent / "checkpoint-empty.json").write_text('{"history": []}')
    # The file restore points of `checkpointing` (tool calls), not `/chat save` checkpoints.
    (chats.parent / "checkpoints").mkdir()
    (chats.parent / "checkpoints" / "2025-10-02T09-00-00_000Z-cache.py-replace.json").write_text(
        '{"history": [], "clientHistory": [], "toolCall": {"name": "replace"}}'
    )
    (tmp_path / ".gemini" / "settings.json").write_text('{"theme": "Default"}')
    (tmp_path / ".gemini" / "oauth_creds.json").write_text('{"access_token": "not-a-real-token"}')
    summary = run_import(engine, paths=[tmp_path / ".gemini"])
    assert (summary.conversations_added, summary.error_count, summary.errors) == (2, 0, [])
    assert dict(summary.skipped) == {
        "Gemini CLI settings, credentials or logs, not conversations": 4,
        "checkpoint without a conversation": 1,
    }


def test_checkpoints_are_detected_by_content_in_both_shapes() -> None:
    for path in (PRIME, PAGINATE):
        assert detect_format(path.read_bytes()[:65536], "saved.json") == "gemini-cli"


def test_a_checkpoint_longer_than_the_head_is_still_detected() -> None:
    for shape in (json.loads(PAGINATE.read_bytes()), json.loads(PRIME.read_bytes())):
        history = shape["history"] if type(shape) is dict else shape
        history[0]["parts"][0]["text"] += "\n└───src/" * 8_000
        head = json.dumps(shape, indent=2).encode()
        assert len(head) > 65536
        assert detect_format(head[:65536], "saved.json") == "gemini-cli"


def test_a_checkpoint_is_its_prompts_and_answers_after_the_setup() -> None:
    conversation = parse_one("gemini-cli", PRIME.read_bytes(), str(PRIME))
    # The setup message is context of the first prompt; the model's "Got it." to it is left out.
    assert turns(conversation) == [
        ("user", "Is 91 prime?"),
        ("assistant", "Yes, 91 is prime."),
        ("user", "Are you sure? What about 7 \u00d7 13?"),
        ("assistant", "You're right — 91 = 7 \u00d7 13, so it is not prime. I was wrong."),
    ]
    (context,) = conversation.turns[0].blocks or []
    assert context["tag"] == "gemini_context"
    assert context["text"].startswith("This is the Gemini CLI. We are setting up the context for our chat.")
    assert conversation.title == "Is 91 prime?"
    project = PRIME.parent.name
    assert conversation.external_id == f"{project}/prime"
    assert conversation.metadata == {"tag": "prime", "project": project}


def test_function_calls_and_responses_are_tool_blocks_in_order() -> None:
    conversation = parse_one("gemini-cli", PAGINATE.read_bytes(), str(PAGINATE))
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert [b["tag"] for b in conversation.turns[0].blocks or []] == ["gemini_context"]
    assert (conversation.turns[0].blocks or [])[0]["text"].startswith("<session_context>")
    call, result, text = conversation.turns[1].blocks or []
    # The call has no id of its own: it takes its response's.
    assert call == {
        "type": "tool_use",
        "id": "read_file-1769054100123-4f2a9c1e7b",
        "name": "read_file",
        "input": {"absolute_path": "/home/dev/proj/src/paginate.ts"},
    }
    assert (result["tool_use_id"], result["is_error"]) == (call["id"], False)
    assert result["content"].startswith("export function paginate<T>")
    assert text["text"].startswith("The slice is correct for 0-based pages")
    assert [b["type"] for b in conversation.turns[3].blocks or []] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
    ]
    assert conversation.external_id == "proj/paginate-fix"
    assert conversation.metadata == {"tag": "paginate-fix", "project": "proj", "authType": "oauth-personal"}


def test_parallel_calls_are_each_followed_by_their_response() -> None:
    history = [
        {"role": "user", "parts": [{"text": "Read a and b."}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"id": "c1", "name": "read_file", "args": {"path": "a"}}},
                {"functionCall": {"id": "c2", "name": "read_file", "args": {"path": "b"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "c2",
                        "name": "read_file",
                        "response": {"error": "no such file"},
                    }
                },
                {"functionResponse": {"id": "c1", "name": "read_file", "response": {"output": "A"}}},
            ],
        },
        {"role": "model", "parts": [{"text": "a holds A; b does not exist."}]},
    ]
    conversation = parse_one("gemini-cli", json.dumps({"history": history}).encode(), "checkpoint-ab.json")
    blocks = conversation.turns[1].blocks or []
    assert [(b["type"], b.get("id") or b.get("tool_use_id"), b.get("is_error")) for b in blocks[:4]] == [
        ("tool_use", "c1", None),
        ("tool_result", "c1", False),
        ("tool_use", "c2", None),
        ("tool_result", "c2", True),
    ]
    # No setup message: the first prompt is a prompt. No project folder in the path: the tag alone.
    assert (conversation.turns[0].text, conversation.external_id) == ("Read a and b.", "ab")


def test_the_tag_is_decoded_and_a_shared_file_keeps_its_name() -> None:
    data = PAGINATE.read_bytes()
    name = "/home/dev/.gemini/tmp/9f1c/checkpoint-fix%2Fpaginate%20v2.json"
    assert parse_one("gemini-cli", data, name).external_id == "9f1c/fix/paginate v2"
    shared = "/home/dev/exports/paginate.json"  # `/chat share`: the bare list, no tag
    bare = json.dumps(json.loads(data)["history"]).encode()
    assert parse_one("gemini-cli", bare, shared).external_id == shared


def test_bad_checkpoint_messages_are_named_by_their_json_path() -> None:
    checkpoint = json.loads(PAGINATE.read_bytes())
    checkpoint["history"][2:2] = [{"role": "system", "parts": []}, {"role": "user", "parts": None}, "hi"]
    conversations, errors = parse("gemini-cli", json.dumps(checkpoint, indent=2).encode(), str(PAGINATE))
    assert errors_of(errors) == [
        (None, "$.history[2]", "role: expected user or model, got system"),
        (None, "$.history[3]", "parts: expected a list, got null"),
        (None, "$.history[4]", "expected a message ({role, parts}), got a string"),
    ]
    assert len(conversations) == 1
    legacy = json.loads(PRIME.read_bytes())
    legacy[3] = {"role": "model"}
    _, errors = parse("gemini-cli", json.dumps(legacy, indent=2).encode(), str(PRIME))
    assert errors_of(errors) == [(None, "$[3]", "parts: expected a list, got null")]
    # Nothing to read and an error that says why: not also skipped as "without a conversation".
    broken = io.BytesIO(b'{"history": {"role": "user"}, "authType": "oauth-personal"}')
    assert list(get_importer("gemini-cli").parse(broken, "checkpoint-c.json")) == [
        RecordError("history: expected the checkpoint's list of messages, got an object", line=1)
    ]


def test_a_checkpoint_and_the_recording_of_its_session_are_stored_once(engine: Engine) -> None:
    checkpoint = parse_one("gemini-cli", PAGINATE.read_bytes(), str(PAGINATE))
    recording = parse_one("gemini-cli", PAGINATE_RECORDING.read_bytes(), str(PAGINATE_RECORDING))
    assert checkpoint.turns == recording.turns
    summary = run_import(engine, paths=[CHECKPOINTS])
    # The two checkpoints, and the recording is a duplicate of the checkpoint of its session.
    assert (summary.conversations_added, summary.duplicates, summary.error_count) == (2, 1, 0)
    assert summary.pairs_detected == 2
    assert {report["format"] for report in summary.file_reports} == {"gemini-cli"}
    again = run_import(engine, paths=[CHECKPOINTS])
    assert (again.conversations_added, again.duplicates) == (0, 3)


def test_a_recording_with_a_converters_typed_header_is_not_taken_for_claude_code() -> None:
    """A viewer's copy of a JSONL recording whose first line names itself (`"type": "session_metadata"`): it used to be
    read as a Claude Code session holding no conversation and skipped."""
    lines = [
        {
            "type": "session_metadata",
            "sessionId": "s-42",
            "projectHash": "p",
            "startTime": "2026-05-01T09:00:00Z",
        },
        {"type": "user", "id": "u1", "content": [{"text": "rename the helper to parse_rows"}]},
        {"type": "gemini", "id": "g1", "content": [{"text": "Renamed `parse` to `parse_rows` in utils.py."}]},
    ]
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    assert detect_format(data, "session.jsonl") == "gemini-cli"
    results = list(get_importer("gemini-cli").parse(io.BytesIO(data), "session.jsonl"))
    assert [r.turns[1].text for r in results if isinstance(r, ParsedConversation)] == [
        "Renamed `parse` to `parse_rows` in utils.py."
    ]


def test_a_last_answer_the_person_cancelled_is_left_out_with_its_prompt() -> None:
    def message(kind: str, key: str, content: str, **more: object) -> dict[str, object]:
        return {"id": key, "timestamp": "2026-04-24T23:16:00Z", "type": kind, "content": content, **more}

    cancelled = {
        "id": "run-1",
        "name": "run_shell_command",
        "args": {"command": "git clone https://example.org/repo.git"},
        "status": "cancelled",
        "result": [{"functionResponse": {"response": {"error": "[Operation Cancelled] User cancelled."}}}],
    }
    recording = {
        "sessionId": "s-cancel",
        "projectHash": "p",
        "startTime": "2026-04-24T23:16:00Z",
        "lastUpdated": "2026-04-24T23:17:00Z",
        "messages": [
            message("user", "u1", "what does this repo do?"),
            message("gemini", "g1", "It renders tutoring sessions from Markdown lessons."),
            message("user", "u2", "clone it into ~/src"),
            message("gemini", "g2", "I will clone the repository.", toolCalls=[cancelled]),
            message("info", "i1", "Request cancelled."),
        ],
    }
    conversation = parse_one("gemini-cli", json.dumps(recording).encode(), "session-cancel.json")
    assert turns(conversation) == [
        ("user", "what does this repo do?"),
        ("assistant", "It renders tutoring sessions from Markdown lessons."),
    ]
    assert conversation.dropped == {"unfinished answer": 1}


def test_the_prompt_log_uploaded_on_its_own_is_skipped_with_its_reason() -> None:
    """`~/.gemini/tmp/<project>/logs.json` logs what was typed at the prompt and no answer; named so outside the
    folder it matched no format."""
    entries = [
        {"sessionId": "5f0c", "messageId": 0, "type": "user", "message": "explain src/app.ts", "timestamp": "2025-08-01T09:00:00Z"},
        {"sessionId": "5f0c", "messageId": 1, "type": "user", "message": "/quit", "timestamp": "2025-08-01T09:05:00Z"},
    ]  # fmt: skip
    data = json.dumps(entries, indent=2).encode()
    assert detect_format(data, "logs.json") == "gemini-cli"
    assert list(get_importer("gemini-cli").parse(io.BytesIO(data), "logs.json")) == [
        Skipped("Gemini CLI prompt log (logs.json: the prompts typed, no answers)")
    ]
