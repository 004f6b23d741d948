"""Cherry Studio backups: the fixtures (tests/fixtures/real_formats/cherry_studio/) are written by hand in the
shape of its backup service and message types: a `data.json` of the blocks era (thinking, code and tool blocks,
a question sent to three models, a failed answer, the context cleared, an image, a citation, a chat without an
answer, an empty topic) and an early backup without an extension whose messages hold their own words."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "cherry_studio"
BACKUP = ROOT / "data.json"
OLD = ROOT / "old" / "cherry-studio.202409011200"


def _parse(data: bytes, name: str = "data.json") -> list[object]:
    return list(get_importer("cherry-studio").parse(io.BytesIO(data), name))


def test_a_topic_is_read_with_its_blocks_and_the_assistants_prompt() -> None:
    assert detect_format(BACKUP.read_bytes(), "data.json") == "cherry-studio"
    results = _parse(BACKUP.read_bytes())
    chats = [r for r in results if isinstance(r, ParsedConversation)]
    assert [c.external_id for c in chats] == [
        "c1000000-0000-4000-8000-00000000000a",
        "c2000000-0000-4000-8000-00000000000b",
        "c2000000-0000-4000-8000-00000000000b#2",
    ]
    logs = chats[0]
    assert (logs.title, logs.system_prompt, logs.json_path) == (
        "Delete old log files",
        "You are a careful Unix shell tutor.",
        "$.indexedDB.topics[0]",
    )
    assert turns(logs)[0] == (
        "user",
        "How do I delete the log files in /var/log/myapp that are older than 30 days?",
    )
    assert (
        logs.turns[1].text
        == "Use find with -mtime and -delete:\n\n```bash\nfind /var/log/myapp -mtime +30 -delete\n```"
    )
    assert [b["type"] for b in logs.turns[1].blocks or []] == ["thinking", "text", "text"]
    assert [b["type"] for b in logs.turns[3].blocks or []] == ["text", "tool_use", "tool_result", "text"]
    result = (logs.turns[3].blocks or [])[2]
    assert (result["tool_use_id"], result["content"], result["is_error"]) == (
        "call_ls1",
        "app.log\napp.log.1\narchive",
        False,
    )
    assert logs.dropped == {"citation": 1}
    assert logs.metadata == {
        "models": ["GPT-4o"],
        "assistant": "Shell Tutor",
        "created_at": "2025-08-01T09:00:00.000Z",
    }
    (pair,) = [p for p in find_pairs(logs) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Cherry Studio chat without a prompt and an answer"
    ]


def test_one_answer_per_question_and_a_cleared_context_starts_a_new_chat() -> None:
    chats = [r for r in _parse(BACKUP.read_bytes()) if isinstance(r, ParsedConversation)]
    lines, after_clear = chats[1], chats[2]
    # Three models answered: the one shown folded is read, the other counted, the failed one left out.
    assert turns(lines) == [
        ("user", "How do I count the lines of every .py file in this repo?"),
        ("assistant", "Run: find . -name '*.py' -print0 | xargs -0 wc -l"),
    ]
    assert lines.dropped == {"image": 1}
    assert lines.metadata["other_answers"] == 1
    assert lines.metadata["failed_responses"] == 1
    assert lines.metadata["models"] == ["Claude Sonnet 4"]
    assert (after_clear.title, turns(after_clear)[0][1]) == (
        "Count lines",
        "Different question: what does set -euo pipefail do?",
    )


def test_without_a_fold_the_answer_marked_useful_else_the_last_is_read() -> None:
    backup = json.loads(BACKUP.read_bytes())
    topic = backup["indexedDB"]["topics"][1]
    for message in topic["messages"]:
        message.pop("foldSelected", None)
    chats = [r for r in _parse(json.dumps(backup).encode()) if isinstance(r, ParsedConversation)]
    assert chats[1].turns[1].text == "Run: find . -name '*.py' -print0 | xargs -0 wc -l"
    topic["messages"][1]["useful"] = True
    chats = [r for r in _parse(json.dumps(backup).encode()) if isinstance(r, ParsedConversation)]
    assert chats[1].turns[1].text == "Run: wc -l *.py"


def test_an_early_backup_holds_the_words_on_its_messages() -> None:
    assert detect_format(OLD.read_bytes(), OLD.name) == "cherry-studio"
    (chat,) = _parse(OLD.read_bytes(), OLD.name)
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title, chat.metadata) == (
        "old-topic-1",
        "Tomato soup",
        {"models": ["qwen2.5:7b"], "assistant": "Default", "created_at": "2024-09-01T08:00:00.000Z"},
    )
    assert turns(chat)[1] == (
        "assistant",
        "Simmer canned tomatoes with onion and garlic for 20 minutes, then blend.",
    )


def test_a_long_backup_is_known_from_its_first_keys() -> None:
    # One line longer than the head: the keys written before the cut say what it is.
    head = BACKUP.read_bytes()[:600]
    assert detect_format(head, "data.json") == "cherry-studio"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda b: b.update(indexedDB=[]), ("indexedDB: expected an object, got a list", "$")),
        (
            lambda b: b["indexedDB"].update(topics={}),
            ("topics: expected a list, got an object", "$.indexedDB.topics"),
        ),
        (
            lambda b: b["indexedDB"]["topics"].__setitem__(0, "x"),
            ("expected a chat object, got a string", "$.indexedDB.topics[0]"),
        ),
        (
            lambda b: b["indexedDB"]["topics"][0]["messages"][0].update(role="robot"),
            (
                'messages[0].role: expected "user", "assistant" or "system", got a string',
                "$.indexedDB.topics[0]",
            ),
        ),
        (
            lambda b: b["indexedDB"]["topics"][0]["messages"][0]["blocks"].append("b-missing"),
            (
                "messages[0].blocks[1]: no message block with id 'b-missing' in message_blocks",
                "$.indexedDB.topics[0]",
            ),
        ),
    ],
)
def test_a_damaged_backup_names_what_is_wrong_and_keeps_the_rest(
    change: object, error: tuple[str, str]
) -> None:
    backup = json.loads(BACKUP.read_bytes())
    change(backup)  # type: ignore[operator]
    results = _parse(json.dumps(backup).encode())
    errors = [(r.reason, r.json_path) for r in results if isinstance(r, RecordError)]
    assert errors == [error]
    if error[1] != "$" and error[1] != "$.indexedDB.topics":
        assert len([r for r in results if isinstance(r, ParsedConversation)]) == 2


def test_the_backup_zip_imports_once_and_its_files_are_skipped(engine: Engine, tmp_path: Path) -> None:
    archive = tmp_path / "cherry-studio.202508011230.myhost.mac.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(BACKUP, "data.json")
        zipped.writestr("Data/Notes/todo.md", b"# Todo\n\n## User\n\nbuy milk\n\n## Assistant\n\nnoted\n")
        zipped.writestr("Data/KnowledgeBase/kb1/index.json", b'{"chunks": []}')
    summary = run_import(engine, paths=[archive], source="cherry", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)
    assert summary.skipped == {
        "Cherry Studio backup files and knowledge bases (Data/), not conversations": 2,
        "Cherry Studio chat without a prompt and an answer": 1,
    }
    assert (
        run_import(engine, paths=[archive, ROOT / "old"], source="cherry", workers=0).conversations_added == 1
    )


def test_the_data_folder_rule_needs_the_backup_beside_it() -> None:
    reason = "Cherry Studio backup files and knowledge bases (Data/), not conversations"
    assert not_conversation_reason("x/cherry-studio.202508011230.zip!Data/Files/a.json", 10) == reason
    assert not_conversation_reason("cherry-studio.202508011230/Data/Notes/a.md", 10) == reason
    assert not_conversation_reason("exports/Data/chats.json", 10) is None
    assert not_conversation_reason("Data/cherry-studio.202409011200", 10) is None
