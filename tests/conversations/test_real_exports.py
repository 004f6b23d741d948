"""Whole real-looking exports through run_import: noise skipped with reasons, dropped parts counted, one
error per unreadable file, and the same conversation from a second export linked, not queued again.

Fixtures under tests/fixtures/real_formats/ are written by hand from the formats' public descriptions.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from app.conversations.files import CHAT_VIEW_REASON
from app.conversations.importing import run_import
from app.conversations.models import ImportBatch, ImportFile
from app.pairs.models import Pair, PairStatus
from tests.web_helpers import fast_passwords, make_user, signed_in  # noqa: F401

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real_formats"
PROJECTS = REAL / "claude_projects"
SESSION = PROJECTS / "-home-dev-app" / "7f3e0c1a-0000-4000-8000-000000000001.jsonl"

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_a_claude_code_projects_folder_skips_known_noise_with_reasons(engine: Engine) -> None:
    summary = run_import(engine, paths=[PROJECTS])
    assert (summary.conversations_added, summary.error_count, summary.errors) == (1, 0, [])
    assert dict(summary.skipped) == {
        "empty file": 1,
        "Claude Code subagent metadata": 1,
        "claude-code-log cache": 2,
        "session without a conversation": 1,
    }
    assert dict(summary.dropped) == {"context": 1}
    with Session(engine) as session:
        batch = session.get(ImportBatch, summary.batch_id)
        assert batch is not None
        assert batch.skipped == dict(summary.skipped)
        assert batch.dropped_parts == {"context": 1}
        files = {f.path.rsplit("/", 1)[-1]: f for f in session.execute(select(ImportFile)).scalars()}
    assert files[SESSION.name].format == "claude-code"
    assert files[SESSION.name].conversations_added == 1
    assert files["index.json"].skipped == {"claude-code-log cache": 1}


def test_a_chatgpt_export_zip_imports_voice_and_skips_its_other_files(engine: Engine, tmp_path: Path) -> None:
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((REAL / "chatgpt_export").iterdir()):
            out.write(path, path.name)
    summary = run_import(engine, paths=[archive])
    assert (summary.conversations_added, summary.errors) == (1, [])
    assert dict(summary.skipped) == {
        CHAT_VIEW_REASON: 1,  # chat.html: the same conversations, shown by its script
        "ChatGPT/Claude.ai export account data": 1,
        "ChatGPT export feedback, not conversations": 1,
        "ChatGPT export model comparisons, not conversations": 1,
        "ChatGPT export share links, not conversations": 1,
    }
    assert dict(summary.dropped) == {"image": 1, "audio": 1}
    report = {f["path"].rsplit("!", 1)[-1]: f for f in summary.file_reports}
    assert report["conversations.json"]["format"] == "chatgpt"
    assert report["conversations.json"]["dropped_parts"] == {"image": 1, "audio": 1}


def test_a_file_of_nothing_but_bad_records_gets_one_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    path.write_text("".join(json.dumps({"messages": {"not": "a list"}, "n": i}) + "\n" for i in range(40)))
    summary = run_import(engine, paths=[path], format="openai")
    assert summary.error_count == 1
    (error,) = summary.errors
    assert error["line"] == 1
    assert error["reason"] == (
        "no conversation imported: all 40 records rejected (as openai); first, at line 1: "
        "messages: expected a list, got an object"
    )


def test_a_file_with_some_good_records_reports_each_bad_one(engine: Engine, tmp_path: Path) -> None:
    good = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text("{bad\n" + json.dumps(good) + "\n{bad\n")
    summary = run_import(engine, paths=[path])
    assert [(e["line"], e["reason"][:12]) for e in summary.errors] == [
        (1, "invalid JSON"),
        (3, "invalid JSON"),
    ]


def _openai_rendering(path: Path) -> None:
    """The same conversation as an OpenAI chat export would carry it: texts only, no tool blocks."""
    messages = [
        {
            "role": "user",
            "content": "Please analyze this codebase and create a CLAUDE.md file describing how to build and test it.",
        },
        {"role": "assistant", "content": "I created CLAUDE.md with the build and test commands."},
        {"role": "user", "content": "Why does main() never return?"},
        {"role": "assistant", "content": "Because run() loops forever."},
        {
            "role": "user",
            "content": "That's wrong, run() returns after the first failure. Check the test output above.",
        },
        {
            "role": "assistant",
            "content": "You're right: run() returns on failure; the test fails because of a missing fixture.",
        },
        {"role": "user", "content": "Review src/main.py for error handling and list concrete problems."},
        {"role": "assistant", "content": "1. run() swallows KeyboardInterrupt."},
    ]
    path.write_text(json.dumps({"messages": messages}) + "\n")


def test_the_same_conversation_from_another_export_links_its_pairs(engine: Engine, tmp_path: Path) -> None:
    first = run_import(engine, paths=[SESSION])
    assert first.pairs_detected > 0
    rendering = tmp_path / "openai.jsonl"
    _openai_rendering(rendering)
    second = run_import(engine, paths=[rendering])
    # The context blocks make the stored conversations differ; the pairs' texts do not.
    assert second.conversations_added == 1
    assert (second.pairs_detected, second.pairs_linked) == (first.pairs_detected, first.pairs_detected)
    with Session(engine) as session:
        pairs = list(session.execute(select(Pair).order_by(col(Pair.id))).scalars())
    originals, copies = pairs[: first.pairs_detected], pairs[first.pairs_detected :]
    assert [p.status for p in originals] == [PairStatus.candidate] * len(originals)
    assert [p.status for p in copies] == [PairStatus.linked] * len(copies)
    assert [p.linked_to_id for p in copies] == [p.id for p in originals]
    # Importing it a third time is a plain duplicate: nothing new, nothing linked.
    third = run_import(engine, paths=[rendering])
    assert (third.duplicates, third.pairs_linked) == (1, 0)

    make_user(engine, "admin", role="admin")
    page = signed_in("admin").get(f"/admin/pairs/{copies[0].id}")
    assert page.status_code == 200
    assert f'data-linked-to="{originals[0].id}"' in page.text
    assert f'href="/admin/pairs/{originals[0].id}"' in page.text
    report = signed_in("admin").get(f"/admin/imports/{second.batch_id}")
    assert f'<dd data-count="linked">{len(copies)}</dd>' in report.text


def test_exports_leave_context_out_unless_asked_to_keep_it(engine: Engine, tmp_path: Path) -> None:
    from sqlalchemy import update

    from app.db import session_scope
    from app.releases.export.dataset import export_file

    run_import(engine, paths=[SESSION])
    with session_scope(engine) as session:
        session.execute(update(Pair).values(status="accepted"))
    prompts = {}
    for keep in (False, True):
        out = tmp_path / f"sft-{keep}.jsonl"
        with session_scope(engine, read_only=True) as session:
            export_file(session, kind="sft", format="openai", out=out, lint=False, keep_context=keep)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        # The second pair's prompt: the IDE-context question.
        prompts[keep] = rows[1]["messages"][2]["content"]
    assert prompts[False] == "Why does main() never return?"
    assert prompts[True].startswith("<ide_opened_file>The user opened the file /home/dev/app/src/main.py")
    assert (
        "<system-reminder>The TodoWrite tool hasn't been used recently.</system-reminder>\n" in prompts[True]
    )
    assert prompts[True].endswith("\n\nWhy does main() never return?")


def test_a_project_folder_finds_aider_and_specstory_logs(engine: Engine) -> None:
    summary = run_import(engine, paths=[REAL / "aider", REAL / "specstory"])
    assert {
        (f["path"].rsplit("/", 1)[-1], f["format"], f["conversations"]) for f in summary.file_reports
    } == {
        (".aider.chat.history.md", "aider", 2),
        ("2025-05-10_12-00Z-fix-flaky-date-test.md", "specstory", 1),
        ("2025-07-20_00-40-33Z-user-provided-an-image.md", "specstory", 1),
        ("2025-11-03_08-12Z-pin-the-node-version.md", "specstory", 1),
        ("2025-10-15_00-14Z-executar-o-benchmark.md", "specstory", 0),
    }
    assert dict(summary.skipped) == {
        "aider session without an answer": 1,
        "SpecStory session without an answer": 1,
    }
    assert (summary.error_count, dict(summary.dropped)) == (0, {"aider command": 1, "image": 1})


def test_a_json_export_fenced_in_a_markdown_note_is_read_as_its_format(
    engine: Engine, tmp_path: Path
) -> None:
    """A collection of AI Studio chats saved as Markdown notes: a title, a source line, the chat's JSON fenced."""
    chat = {
        "runSettings": {"model": "models/gemini-2.5-flash", "temperature": 1.0},
        "systemInstruction": {},
        "chunkedPrompt": {
            "chunks": [
                {"text": "How many bones does an adult have?", "role": "user", "tokenCount": 9},
                {"text": "An adult has 206 bones.", "role": "model", "finishReason": "STOP", "tokenCount": 7},
            ],
            "pendingInputs": [{"text": "", "role": "user"}],
        },
    }
    note = tmp_path / "bones.md"
    note.write_text(
        "# Bones\n\n**Source ID:** 1AbCdEf\n\n```json\n" + json.dumps(chat, indent=2) + "\n```\n",
        encoding="utf-8",
    )
    summary = run_import(engine, paths=[note])
    assert (summary.conversations_added, summary.errors) == (1, [])
    with Session(engine) as session:
        (read,) = session.execute(select(ImportFile)).scalars()
    assert read.format == "ai-studio"
    # Text after the fence, or a fence that is not JSON, is a note like any other.
    note.write_text('# Bones\n\n```json\n{"a": 1}\n```\n\nsee above\n', encoding="utf-8")
    again = run_import(engine, paths=[note])
    assert again.conversations_added == 0
    assert again.error_count == 1
