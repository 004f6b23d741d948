"""Import faults (issue 15): NUL bytes and database refusals stay per record, no SQL or data reaches a
message, and a CLI import in its own process waits for other SQLite writers instead of failing."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DataError
from sqlmodel import Session, col

import app.conversations.service as conversation_service
from app import migrate
from app.conversations.importers.base import ParsedConversation, ParsedTurn
from app.conversations.importing import run_import
from app.conversations.models import Conversation, ImportBatch, ImportRecordError
from app.conversations.reading import prepare
from app.conversations.service import nul_location
from app.db import build_engine

ROOT = Path(__file__).resolve().parents[2]


def _chat(i: int, answer: str | None = None) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"Question number {i}?"},
            {"role": "assistant", "content": answer or f"Answer number {i}."},
        ]
    }


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    return path


def _errors(engine: Engine, batch_id: int) -> list[tuple[int | None, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(col(ImportRecordError.line), col(ImportRecordError.reason))
            .where(col(ImportRecordError.batch_id) == batch_id)
            .order_by(col(ImportRecordError.line))
        )
        return [(line, reason) for line, reason in rows]


def _conversations(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Conversation)).scalar_one()


class TestNulBytes:
    def test_600_conversations_two_with_nul_store_598_and_name_the_two(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        records = [_chat(i) for i in range(600)]
        records[100] = _chat(100, answer="tool output: \u0000\u0000 binary")
        records[450]["messages"][0]["content"] = "what does \u0000 mean?"
        path = _write(tmp_path / "tool.jsonl", records)

        summary = run_import(engine, paths=[path], chunk_size=500)

        assert (summary.conversations_added, summary.error_count) == (598, 2)
        assert _conversations(engine) == 598
        errors = _errors(engine, summary.batch_id)
        assert [line for line, _ in errors] == [101, 451]
        assert "NUL character" in errors[0][1]
        assert "turn 2" in errors[0][1]
        assert "NUL character" in errors[1][1]
        assert "turn 1" in errors[1][1]
        with Session(engine) as session:
            batch = session.get(ImportBatch, summary.batch_id)
            assert batch is not None
            assert batch.status == "succeeded"

    def test_nul_in_a_tool_result_block_is_refused_for_that_record(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        record = {
            "messages": [
                {"role": "user", "content": "run it"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "sh", "arguments": "{\"x\": \"\\u0000\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "c1", "content": "out\u0000put"},
                {"role": "assistant", "content": "done"},
            ]
        }  # fmt: skip
        path = _write(tmp_path / "t.jsonl", [_chat(1), record, _chat(3)])
        summary = run_import(engine, paths=[path])
        assert summary.conversations_added == 2
        assert summary.error_count == 1
        ((line, reason),) = _errors(engine, summary.batch_id)
        assert line == 2
        assert "NUL character" in reason

    @pytest.mark.parametrize("workers", [0, 1])
    def test_worker_processes_refuse_the_same_records(
        self, engine: Engine, tmp_path: Path, workers: int
    ) -> None:
        """Workers mark a conversation free of NUL characters while hashing it; the writer looks closer only
        at the others, and names the same places as a serial import."""
        records = [_chat(i) for i in range(40)]
        records[5] = _chat(5, answer="tool output: \u0000 binary")
        records[9]["messages"][0]["content"] = "a literal \\u0000 is six characters, not a NUL"
        records[20] = {"messages": [{"role": "system", "content": "be \u0000 brief"}, *_chat(20)["messages"]]}
        path = _write(tmp_path / "tool.jsonl", records)
        summary = run_import(engine, paths=[path], workers=workers)
        assert (summary.conversations_added, summary.error_count) == (38, 2)
        errors = _errors(engine, summary.batch_id)
        assert [line for line, _ in errors] == [6, 21]
        assert "in the text of turn 2" in errors[0][1]
        assert "in the system prompt" in errors[1][1]

    @pytest.mark.parametrize(
        "place",
        ["turn text", "blocks", "system prompt", "title", "external id", "metadata", "escaped text", "none"],
    )
    def test_prepare_marks_nul_free_only_where_the_writer_would_find_nothing(self, place: str) -> None:
        nul = "\u0000"
        conversation = ParsedConversation(
            external_id="x" + (nul if place == "external id" else ""),
            title="t" + (nul if place == "title" else ""),
            system_prompt="s" + (nul if place == "system prompt" else ""),
            metadata={"k": nul if place == "metadata" else "v"},
            turns=[
                ParsedTurn("user", "q" + (nul if place == "turn text" else "")
                           + ("\\u0000" if place == "escaped text" else "")),
                ParsedTurn("assistant", "a", [{"type": "tool_result", "content": nul if place == "blocks" else "ok"}]),
            ],
        )  # fmt: skip
        prepare(conversation)
        holds_nul = place not in ("none", "escaped text")
        assert (nul_location(conversation) is not None) == holds_nul
        # Six characters that read `\u0000` send the writer to look closer; it then finds no NUL.
        assert conversation.nul_free == (place == "none")

    def test_the_import_is_idempotent_after_the_file_is_fixed(self, engine: Engine, tmp_path: Path) -> None:
        records = [_chat(i) for i in range(5)]
        records[2] = _chat(2, answer="bad \u0000")
        run_import(engine, paths=[_write(tmp_path / "a.jsonl", records)])
        records[2] = _chat(2, answer="bad ")
        summary = run_import(engine, paths=[_write(tmp_path / "a.jsonl", records)])
        assert (summary.conversations_added, summary.duplicates, summary.error_count) == (1, 4, 0)


class TestDatabaseRefusals:
    def test_a_record_the_database_refuses_is_that_records_error_in_words(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real_insert = conversation_service._insert_children

        # Turns and pairs go in through _insert_children on both backends (PostgreSQL inserts the
        # conversations themselves with ON CONFLICT DO NOTHING first).
        def refusing(session: Any, *, batch: Any, conversation_ids: Any) -> list[Any]:
            if any("poison" in conversation.turns[1].text for _, (_, conversation) in batch):
                raise DataError(
                    "INSERT INTO turn (text) VALUES (%(text)s)", {"text": "poison secret"}, Exception("x")
                )
            return real_insert(session, batch=batch, conversation_ids=conversation_ids)

        monkeypatch.setattr(conversation_service, "_insert_children", refusing)
        records = [_chat(i) for i in range(10)]
        records[4] = _chat(4, answer="poison secret")
        summary = run_import(engine, paths=[_write(tmp_path / "p.jsonl", records)])

        assert (summary.conversations_added, summary.error_count) == (9, 1)
        ((line, reason),) = _errors(engine, summary.batch_id)
        assert line == 5
        assert reason == "the database refused this record (details are in the server log)"

    def test_a_failed_batch_message_holds_no_sql_and_no_data(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(session: Any, *, items: Any) -> list[Any]:
            raise DataError(
                "INSERT INTO conversation (title) VALUES (%(t)s)", {"t": "private words"}, Exception("x")
            )

        monkeypatch.setattr("app.conversations.import_writer.store_conversations", broken)
        with pytest.raises(DataError):
            run_import(engine, paths=[_write(tmp_path / "b.jsonl", [_chat(1)])])
        with Session(engine) as session:
            (batch,) = session.execute(select(ImportBatch)).scalars()
        assert batch.status == "failed"
        assert "INSERT" not in batch.message
        assert "private words" not in batch.message
        assert "database error" in batch.message


def _hammer(db: Path, stop: threading.Event, writes: list[int]) -> None:
    """A reviewer-like writer in this process: short write transactions back to back, holding the lock."""
    connection = sqlite3.connect(db, timeout=30, isolation_level=None)
    connection.execute("CREATE TABLE IF NOT EXISTS hammer (id INTEGER PRIMARY KEY, at REAL)")
    while not stop.is_set():
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO hammer (at) VALUES (?)", (time.time(),))
        time.sleep(0.15)
        connection.execute("COMMIT")
        writes[0] += 1
        time.sleep(0.005)
    connection.close()


def test_cli_import_in_its_own_process_waits_for_other_writers(tmp_path: Path) -> None:
    """A `pairwise import` subprocess with a short busy timeout, while two writers hold SQLite's lock almost
    all the time: the import waits its turn and stores everything (today: `database is locked`)."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "pairwise.db"
    engine = build_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    engine.dispose()
    source = _write(tmp_path / "many.jsonl", [_chat(i) for i in range(300)])
    stop = threading.Event()
    writes = [0]
    hammers = [threading.Thread(target=_hammer, args=(db, stop, writes)) for _ in range(2)]
    for thread in hammers:
        thread.start()
    env = {**os.environ, "PAIRWISE_DATA_DIR": str(data), "PAIRWISE_SQLITE_BUSY_TIMEOUT_MS": "20",
           "PAIRWISE_IMPORT_CHUNK_SIZE": "20", "PAIRWISE_MODE": "test"}  # fmt: skip
    env.pop("PAIRWISE_DATABASE_URL", None)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "app", "import", str(source)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    finally:
        stop.set()
        for thread in hammers:
            thread.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "locked" not in result.stdout + result.stderr
    assert writes[0] > 0
    engine = build_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Conversation)).scalar_one() == 300
        statuses = list(session.execute(select(col(ImportBatch.status))).scalars())
    engine.dispose()
    assert statuses == ["succeeded"]
