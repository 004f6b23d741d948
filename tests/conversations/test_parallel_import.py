"""Imports read by worker processes (app.conversations.parallel): the same stored result as reading in this
process, errors named by file and line, a dead or failing worker stops the import with a clear error and
nothing half-stored, workers never outlive the import, and small imports start none."""

from __future__ import annotations

import fcntl
import gzip
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

import app.conversations.importing as importing
import app.conversations.parallel as parallel
from app import migrate, pipes
from app.conversations.files import InputFile, iter_input_files
from app.conversations.importing import run_import
from app.conversations.parallel import ImportWorkerError
from app.db import build_engine
from benchmarks.import_speed import write_long_sessions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Columns that differ between two runs whatever the import does.
_CLOCK_AND_BATCH = {"created_at", "updated_at", "batch_id", "heartbeat_at", "finished_at", "owner", "id"}


def _chat(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"How do I make retry number {i} idempotent?"},
            {"role": "assistant", "content": f"Retry {i} with exponential backoff."},
            {
                "role": "user",
                "content": "That's wrong: a retry will double-charge. Redo it with a dedupe key.",
            },
            {"role": "assistant", "content": f"You're right. Store a dedupe key before charging ({i})."},
        ]
    }


def _corpus(root: Path) -> Path:
    """Every input shape: the sample and real-format fixtures, a duplicate copy, a bad line, a gzip file
    and a zip archive."""
    folder = root / "corpus"
    shutil.copytree(FIXTURES / "samples", folder / "samples")
    shutil.copytree(FIXTURES / "real_formats", folder / "real_formats")
    shutil.copytree(FIXTURES / "samples" / "rendered" / "openai", folder / "copy")
    lines = [json.dumps(_chat(i)) for i in range(40)]
    lines[7] = '{"messages": [ not json'
    (folder / "bad.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "packed.jsonl.gz").write_bytes(
        gzip.compress("".join(json.dumps(_chat(i)) + "\n" for i in range(100, 130)).encode())
    )
    with zipfile.ZipFile(folder / "export.zip", "w") as archive:
        for i in range(3):
            archive.writestr(f"chats/{i}.jsonl", json.dumps(_chat(200 + i)) + "\n")
    return folder


def _snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The stored rows in id order, without ids, clocks and batch ids (foreign keys become row positions)."""
    tables = ("conversation", "turn", "pair", "import_file", "import_record_error")
    with engine.connect() as connection:
        rows = {
            name: [dict(r._mapping) for r in connection.execute(text(f'SELECT * FROM "{name}" ORDER BY id'))]
            for name in tables
        }
    position = {
        name: {row["id"]: i for i, row in enumerate(rows[name])} for name in ("conversation", "turn", "pair")
    }
    references = {
        "conversation_id": "conversation",
        "first_turn_id": "turn",
        "second_turn_id": "turn",
        "pushback_turn_id": "turn",
        "linked_to_id": "pair",
    }
    return {
        name: [
            {
                key: position[references[key]].get(value) if key in references else value
                for key, value in row.items()
                if key not in _CLOCK_AND_BATCH
            }
            for row in table
        ]
        for name, table in rows.items()
    }


@pytest.fixture
def second_engine(engine: Engine, fresh_database_url: Callable[[str], str]) -> Iterator[Engine]:
    """Another empty database of the same backend as `engine`."""
    other = build_engine(fresh_database_url("sqlite" if engine.dialect.name == "sqlite" else "postgres"))
    migrate.upgrade(other)
    yield other
    other.dispose()


@pytest.fixture
def workers_started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The worker processes this test's imports start."""
    started: list[Any] = []
    original = parallel._Worker.__init__

    def record(self: Any, format: str) -> None:
        original(self, format)
        started.append(self)

    monkeypatch.setattr(parallel._Worker, "__init__", record)
    return started


class TestSameResult:
    def test_workers_store_exactly_what_a_serial_import_stores(
        self, engine: Engine, second_engine: Engine, tmp_path: Path, workers_started: list[Any]
    ) -> None:
        folder = _corpus(tmp_path)
        serial = run_import(engine, paths=[folder], source="t", workers=0)
        assert workers_started == []
        # Small batches, so both workers get several and the results interleave.
        parallel_summary = run_import(second_engine, paths=[folder], source="t", workers=2)
        assert len(workers_started) == 2
        assert (serial.workers, parallel_summary.workers) == (0, 2)

        assert serial.conversations_added > 100
        assert serial.pairs_detected > 10
        for field in ("conversations_added", "duplicates", "pairs_detected", "pairs_linked", "files",
                      "error_count", "errors", "skipped", "dropped", "file_reports"):  # fmt: skip
            assert getattr(parallel_summary, field) == getattr(serial, field), field
        assert _snapshot(second_engine) == _snapshot(engine)

    def test_a_bad_line_is_reported_with_its_file_and_line(self, engine: Engine, tmp_path: Path) -> None:
        folder = _corpus(tmp_path)
        summary = run_import(engine, paths=[folder / "bad.jsonl", folder / "samples"], workers=2)
        (error,) = [e for e in summary.errors if e["file"].endswith("bad.jsonl")]
        assert error["line"] == 8
        assert error["reason"].startswith("invalid JSON")
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT file, line FROM import_record_error")).all()
        assert (str(folder / "bad.jsonl"), 8) in [tuple(row) for row in stored]


def _whole_conversations_only(engine: Engine) -> None:
    with engine.connect() as connection:
        partial = connection.execute(
            text(
                "SELECT c.id FROM conversation c LEFT JOIN turn t ON t.conversation_id = c.id "
                "GROUP BY c.id, c.turn_count HAVING count(t.id) != c.turn_count"
            )
        ).all()
        orphans = connection.execute(
            text("SELECT count(*) FROM turn WHERE conversation_id NOT IN (SELECT id FROM conversation)")
        ).scalar_one()
    assert partial == []
    assert orphans == 0


def _many_files(root: Path, count: int) -> Path:
    folder = root / "many"
    folder.mkdir()
    for i in range(count):
        (folder / f"{i:04d}.jsonl").write_text(json.dumps(_chat(i)) + "\n")
    return folder


class TestWorkerFailures:
    def test_a_killed_worker_stops_the_import_with_a_clear_error_and_nothing_half_stored(
        self, engine: Engine, tmp_path: Path, workers_started: list[Any]
    ) -> None:
        folder = _many_files(tmp_path, 300)
        done = [0]

        def kill_after_a_while(_: int) -> None:
            done[0] += 1
            if done[0] == 40:
                for worker in workers_started:
                    worker.process.kill()

        with pytest.raises(ImportWorkerError, match="stopped unexpectedly"):
            run_import(engine, paths=[folder], workers=2, chunk_size=25, progress=kill_after_a_while)
        with engine.connect() as connection:
            status, message, added = connection.execute(
                text("SELECT status, message, conversations_added FROM import_batch")
            ).one()
            stored = connection.execute(text("SELECT count(*) FROM conversation")).scalar_one()
        assert status == "failed"
        assert "import worker process stopped unexpectedly" in message
        assert 0 < stored < 300
        assert added == stored
        _whole_conversations_only(engine)
        assert all(worker.process.poll() is not None for worker in workers_started)

    def test_a_failing_worker_names_the_file_and_keeps_the_details_for_the_log(
        self,
        engine: Engine,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        folder = _many_files(tmp_path, 5)
        archive = tmp_path / "a.zip"
        with zipfile.ZipFile(archive, "w") as out:
            out.writestr("one.jsonl", json.dumps(_chat(1)) + "\n")
        real = importing.iter_input_files

        def with_a_broken_entry(paths: list[Path], **options: Any) -> Iterator[Any]:
            yield from real(paths, **options)
            # An archive entry the worker cannot find: it fails inside the worker, not in this process.
            yield InputFile(
                "a.zip!gone.jsonl", 10, lambda: archive.open("rb"), origin=("zip", str(archive), 99)
            )

        monkeypatch.setattr(importing, "iter_input_files", with_a_broken_entry)
        with pytest.raises(ImportWorkerError, match=r"failed while reading a\.zip!gone\.jsonl"):
            run_import(engine, paths=[folder], workers=1, chunk_size=1)
        assert "IndexError" in caplog.text
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM conversation")).scalar_one() == 5
        _whole_conversations_only(engine)

    def test_ctrl_c_stops_the_workers(
        self, engine: Engine, tmp_path: Path, workers_started: list[Any]
    ) -> None:
        folder = _many_files(tmp_path, 200)

        def interrupt(_: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_import(engine, paths=[folder], workers=2, progress=interrupt)
        assert len(workers_started) == 2
        assert all(worker.process.poll() is not None for worker in workers_started)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT status FROM import_batch")).scalar_one() == "failed"


class TestResultsPipe:
    @pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
    def test_a_workers_results_pipe_holds_a_megabyte(self) -> None:
        # With Linux's 64 KB a worker stops at every 64 KB of a chunk until the importing process reads.
        with parallel.WorkerPool(1, format="auto") as pool:
            (worker,) = pool.workers
            assert fcntl.fcntl(worker.results.fileno(), fcntl.F_GETPIPE_SZ) == pipes.PIPE_BYTES

    def test_a_worker_sends_long_sessions_a_few_at_a_time(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # One file of six sessions with 1.5 MB of tool output each: a message closes past CHUNK_BYTES (4 MB)
        # of content, blocks included, not after 256 records or 4 MB of the turns' text alone.
        write_long_sessions(tmp_path, 6, output_bytes=1_500_000, one_file=True)
        per_message: list[int] = []
        receive = parallel._receive

        def counting(stream: Any) -> Any:
            message = receive(stream)
            if message is not None and message[0] == "events":
                per_message.append(sum(len(event[1]) for event in message[1] if event[0] == "records"))
            return message

        monkeypatch.setattr(parallel, "_receive", counting)
        summary = run_import(engine, paths=[tmp_path], workers=2)
        assert (summary.conversations_added, summary.error_count) == (6, 0)
        assert [n for n in per_message if n] == [3, 3]


class TestWhenWorkersStart:
    def test_a_small_import_starts_no_worker(
        self, engine: Engine, tmp_path: Path, workers_started: list[Any]
    ) -> None:
        summary = run_import(engine, paths=[_many_files(tmp_path, 20)])
        assert summary.conversations_added == 20
        assert workers_started == []

    @pytest.mark.parametrize(
        ("running", "workers"), [(1, 2), (2, 0), (3, 0)], ids=["idle", "one core busy", "busy"]
    )
    def test_a_large_import_starts_a_worker_per_idle_core(
        self,
        engine: Engine,
        tmp_path: Path,
        workers_started: list[Any],
        monkeypatch: pytest.MonkeyPatch,
        running: int,
        workers: int,
    ) -> None:
        """Two cores: both idle start two workers; with one or both busy the import is read here."""
        loadavg = tmp_path / "loadavg"
        loadavg.write_text(f"0.00 0.00 0.00 {running}/250 4242\n")  # only this process runs: 1
        monkeypatch.setattr(importing, "LOADAVG_PATH", str(loadavg))
        monkeypatch.setattr(importing, "PARALLEL_MIN_FILES", 50)
        monkeypatch.setattr(importing.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
        monkeypatch.setattr(importing.os, "getloadavg", lambda: (2.0, 2.0, 2.0))  # a past load: not read
        summary = run_import(engine, paths=[_many_files(tmp_path, 60)])
        assert summary.conversations_added == 60
        assert len(workers_started) == summary.workers == workers
        assert all(worker.process.poll() is not None for worker in workers_started)

    @pytest.mark.parametrize(
        ("samples", "workers"),
        [([1.0, 0.0, 0.0, 0.0, 0.0], 2), ([1.0, 1.0, 0.0, 1.0, 0.0], 0), ([1.0] * 5, 0)],
        ids=["a moment's task", "a core busy most of the time", "a core busy"],
    )
    def test_a_few_large_files_are_sampled_more_than_once(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples: list[float], workers: int
    ) -> None:
        """One large file reaches the size at once: one instant alone could catch a task that runs for a
        moment and read the whole import here."""
        taken = iter(samples)
        monkeypatch.setattr(importing, "_others_running", lambda: next(taken))
        monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 1_000)
        monkeypatch.setattr(importing.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
        big = tmp_path / "big.jsonl"
        big.write_bytes(b"x" * 2_000)
        items = list(iter_input_files([big]))
        count, planned = importing._plan_workers(iter(items), None)
        assert count == workers
        assert list(planned) == items
        assert next(taken, None) is None  # every sample was taken

    def test_without_proc_loadavg_the_load_average_counts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(importing, "LOADAVG_PATH", "/nonexistent/loadavg")
        monkeypatch.setattr(importing.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
        assert importing._others_running() == 1.5

    def test_the_running_tasks_are_sampled_while_the_first_inputs_are_looked_at(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        samples = iter([0.0, 0.0, 2.0, 2.0])  # others start running halfway: 1.0 on average
        monkeypatch.setattr(importing, "BUSY_MIN_SAMPLES", 4)  # taken every 25 of the 100 files
        monkeypatch.setattr(importing, "_others_running", lambda: next(samples))
        monkeypatch.setattr(importing, "PARALLEL_MIN_FILES", 100)
        monkeypatch.setattr(importing.os, "sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
        items = list(iter_input_files([_many_files(tmp_path, 100)]))
        count, planned = importing._plan_workers(iter(items), None)
        assert count == 2  # three cores, one busy on average
        assert list(planned) == items
