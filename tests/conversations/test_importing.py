"""The import runner (R4, R5): samples import cleanly, duplicates add nothing, bad records are reported by
file, line and reason, the batch record is truthful, and no conversation is ever stored half."""

from __future__ import annotations

import contextlib
import gc
import gzip
import hashlib
import json
import tracemalloc
import weakref
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

import app.conversations.import_writer as import_writer
import app.conversations.importers._json as json_reading
import app.conversations.importing as importing
import app.conversations.reading as reading
import app.conversations.service as conversation_service
import app.pairs.service as pair_service
from app.conversations.importers import FORMATS
from app.conversations.importers.base import MAX_RECORD_BYTES, ParsedConversation, ParsedTurn
from app.conversations.importing import run_import
from app.conversations.models import Conversation, ImportBatch, ImportFile, ImportRecordError, Turn
from app.conversations.service import content_hash
from app.errors import ImportInputError
from app.models_base import utcnow
from app.pairs.models import Pair
from benchmarks.import_speed import write_long_sessions

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
RENDERED = SAMPLES / "rendered"
REAL_CLAUDE_CODE = SAMPLES / "claude-code-real-format"
OPENAI_SAMPLE = RENDERED / "openai" / "conversations.jsonl"
MB = 1024 * 1024
NO_FORMAT = (
    "matches no known format: a table whose columns are no shape read here (its header: item,price); use "
    f"--format to force one of {len(FORMATS)} (pairwise import --help)"
)
NO_LABELS = (
    "matches no known format: text without the speaker labels a transcript reader knows (such as `## User` / "
    "`## Assistant`, `**User:**` / `**Assistant:**`, `User:` / `Assistant:`, `You said:` / `ChatGPT said:`, Claude "
    f"Code's `> ` prompts and `⏺` answers); use --format to force one of {len(FORMATS)} (pairwise import --help)"
)

# Rendered sample folder -> the files it holds (every one of them is a transcript).
SAMPLE_FOLDERS = {
    "openai": [OPENAI_SAMPLE],
    "anthropic": [RENDERED / "anthropic" / "messages.jsonl"],
    "sharegpt": [RENDERED / "sharegpt" / "conversations.json"],
    "chatgpt": [RENDERED / "chatgpt" / "conversations.json"],
    "claude-code": sorted((RENDERED / "claude-code").rglob("*.jsonl")),
    "markdown": sorted((RENDERED / "markdown").glob("*.md")),
}


def _chat(i: int, *, answer: str | None = None) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"Question number {i}?"},
            {"role": "assistant", "content": answer or f"Answer number {i}."},
        ]
    }


def _jsonl(*records: Any) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def _batch(engine: Engine, batch_id: int) -> ImportBatch:
    with Session(engine) as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch is not None
        return batch


def _files(engine: Engine, batch_id: int) -> list[ImportFile]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(ImportFile).where(col(ImportFile.batch_id) == batch_id).order_by(col(ImportFile.id))
            ).scalars()
        )


def _stored_errors(engine: Engine, batch_id: int) -> list[tuple[str, int | None, str | None, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(ImportRecordError)
            .where(col(ImportRecordError.batch_id) == batch_id)
            .order_by(col(ImportRecordError.id))
        ).scalars()
        return [(r.file, r.line, r.json_path, r.reason) for r in rows]


def _summary_errors(summary: importing.ImportSummary) -> list[tuple[str, int | None, str | None, str]]:
    return [(e["file"], e.get("line"), e.get("json_path"), e["reason"]) for e in summary.errors]


def _conversations_without_all_turns(engine: Engine) -> list[int]:
    with Session(engine) as session:
        counts = (
            select(col(Conversation.id), col(Conversation.turn_count), func.count(col(Turn.id)))
            .outerjoin(Turn, col(Turn.conversation_id) == col(Conversation.id))
            .group_by(col(Conversation.id), col(Conversation.turn_count))
        )
        return [cid for cid, expected, found in session.execute(counts) if found != expected or found == 0]


class TestSamples:
    @pytest.mark.parametrize("fmt", list(SAMPLE_FOLDERS))
    def test_rendered_sample_folder_imports_without_errors(self, engine: Engine, fmt: str) -> None:
        folder = RENDERED / fmt
        summary = run_import(engine, paths=[folder])

        assert summary.errors == []
        assert (summary.conversations_added, summary.duplicates, summary.error_count) == (24, 0, 0)
        assert summary.files == len(SAMPLE_FOLDERS[fmt])
        assert summary.pairs_detected > 0
        assert summary.pairs_detected == _count(engine, Pair)
        assert _count(engine, Conversation) == 24
        assert _conversations_without_all_turns(engine) == []

        batch = _batch(engine, summary.batch_id)
        assert (batch.status, batch.source, batch.message) == ("succeeded", fmt, None)
        assert (batch.conversations_added, batch.duplicates, batch.pairs_detected, batch.error_count) == (
            24,
            0,
            summary.pairs_detected,
            0,
        )
        assert batch.finished_at is not None

        files = _files(engine, summary.batch_id)
        assert [(f.path, f.format) for f in files] == [(str(p), fmt) for p in SAMPLE_FOLDERS[fmt]]
        for row, path in zip(files, SAMPLE_FOLDERS[fmt], strict=True):
            data = path.read_bytes()
            assert (row.sha256, row.size_bytes, row.error_count) == (
                hashlib.sha256(data).hexdigest(),
                len(data),
                0,
            )
        assert sum(f.conversations_added for f in files) == 24

    def test_real_claude_code_sessions_report_exactly_the_three_non_object_lines(
        self, engine: Engine
    ) -> None:
        summary = run_import(engine, paths=[REAL_CLAUDE_CODE])
        edge = str(REAL_CLAUDE_CODE / "edge_cases.jsonl")
        expected = [
            (edge, 13, None, "expected a JSON object, got a string"),
            (edge, 15, None, "expected a JSON object, got a number"),
            (edge, 16, None, "expected a JSON object, got a list"),
        ]
        assert _summary_errors(summary) == expected
        assert _stored_errors(engine, summary.batch_id) == expected
        assert (summary.files, summary.error_count, summary.conversations_added) == (4, 3, 4)
        files = {Path(f.path).name: (f.format, f.error_count) for f in _files(engine, summary.batch_id)}
        assert files == {
            "edge_cases.jsonl": ("claude-code", 3),
            "representative_messages.jsonl": ("claude-code", 0),
            "session_b.jsonl": ("claude-code", 0),
            "todowrite_examples.jsonl": ("claude-code", 0),
        }
        assert _batch(engine, summary.batch_id).status == "succeeded"


class TestDuplicates:
    def test_importing_twice_adds_nothing_and_counts_duplicates(self, engine: Engine) -> None:
        first = run_import(engine, paths=[OPENAI_SAMPLE])
        pairs = _count(engine, Pair)
        second = run_import(engine, paths=[OPENAI_SAMPLE])

        assert (first.conversations_added, first.duplicates) == (24, 0)
        assert (second.conversations_added, second.duplicates, second.pairs_detected, second.errors) == (
            0,
            24,
            0,
            [],
        )
        assert (_count(engine, Conversation), _count(engine, Pair)) == (24, pairs)
        batch = _batch(engine, second.batch_id)
        assert (batch.status, batch.conversations_added, batch.duplicates, batch.pairs_detected) == (
            "succeeded",
            0,
            24,
            0,
        )
        (row,) = _files(engine, second.batch_id)
        assert (row.conversations_added, row.duplicates) == (0, 24)

    def test_an_import_read_in_process_looks_for_pairs_only_in_what_it_stores(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Finding pairs is most of the work after parsing: a re-import of 10,000 W1 sessions in process took
        # 3.1 s with it for every duplicate, 1.55 s without.
        searched: list[str] = []
        original = pair_service.find_pairs

        def find_pairs(conversation: ParsedConversation) -> Any:
            searched.append(conversation.external_id)
            return original(conversation)

        monkeypatch.setattr(pair_service, "find_pairs", find_pairs)
        monkeypatch.setattr(reading, "find_pairs", find_pairs)
        run_import(engine, paths=[OPENAI_SAMPLE], workers=0)
        assert len(searched) == len(set(searched)) == 24
        searched.clear()
        again = run_import(engine, paths=[OPENAI_SAMPLE], workers=0)
        assert (again.duplicates, searched) == (24, [])

    def test_reordered_keys_and_reformatted_json_give_the_same_content_hash(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        def reorder(value: Any) -> Any:
            if isinstance(value, dict):
                return {key: reorder(value[key]) for key in reversed(list(value))}
            if isinstance(value, list):
                return [reorder(item) for item in value]
            return value

        records = [json.loads(line) for line in OPENAI_SAMPLE.read_text().splitlines() if line.strip()]
        reordered = _write(
            tmp_path / "reordered.jsonl",
            b"".join(
                json.dumps(reorder(r), indent=None, separators=(" , ", " : ")).encode() + b"\n"
                for r in records
            ),
        )
        assert reordered.read_bytes() != OPENAI_SAMPLE.read_bytes()

        run_import(engine, paths=[OPENAI_SAMPLE])
        again = run_import(engine, paths=[reordered])
        assert (again.conversations_added, again.duplicates, again.errors) == (0, 24, [])

    @pytest.mark.parametrize("fmt", ["sharegpt", "anthropic", "chatgpt", "markdown"])
    def test_the_same_conversations_in_another_format_are_duplicates(self, engine: Engine, fmt: str) -> None:
        run_import(engine, paths=[OPENAI_SAMPLE])
        again = run_import(engine, paths=[RENDERED / fmt])
        assert (again.conversations_added, again.duplicates, again.errors) == (0, 24, [])

    def test_a_repeated_record_in_one_file_is_a_duplicate(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(tmp_path / "twice.jsonl", _jsonl(_chat(1), _chat(2), _chat(1)))
        summary = run_import(engine, paths=[path])
        assert (summary.conversations_added, summary.duplicates) == (2, 1)
        assert _count(engine, Conversation) == 2


class TestContentHash:
    def _conversation(self, *, blocks: list[dict[str, Any]] | None = None, **kw: Any) -> ParsedConversation:
        turns = kw.pop("turns", None) or [
            ParsedTurn("user", "How?"),
            ParsedTurn("assistant", "Like this.", blocks=blocks),
        ]
        return ParsedConversation(external_id=kw.pop("external_id", "a"), turns=turns, **kw)

    def test_key_order_whitespace_ids_and_titles_do_not_matter(self) -> None:
        base = self._conversation(blocks=[{"type": "text", "text": "Like this.", "extra": {"a": 1, "b": 2}}])
        same = self._conversation(
            external_id="other-id",
            title="A title",
            turns=[
                ParsedTurn("user", "  How?\n"),
                ParsedTurn(
                    "assistant",
                    "Like this.  ",
                    blocks=[{"extra": {"b": 2, "a": 1}, "text": "Like this.", "type": "text"}],
                ),
            ],
        )
        assert content_hash(base) == content_hash(same)
        assert len(content_hash(base)) == 64

    @pytest.mark.parametrize(
        "change",
        [
            {"system_prompt": "Be brief."},
            {"turns": [ParsedTurn("user", "How?"), ParsedTurn("assistant", "Like that.")]},
            {"turns": [ParsedTurn("assistant", "How?"), ParsedTurn("assistant", "Like this.")]},
            {"turns": [ParsedTurn("user", "How?")]},
            {"blocks": [{"type": "tool_use", "name": "bash", "input": {}}]},
        ],
    )
    def test_content_changes_change_the_hash(self, change: dict[str, Any]) -> None:
        assert content_hash(self._conversation(**change)) != content_hash(self._conversation())


class TestRecordErrors:
    def test_one_malformed_line_among_good_ones(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(
            tmp_path / "mixed.jsonl",
            _jsonl(_chat(1)) + b'{"messages": [\n' + _jsonl(_chat(3), _chat(4)),
        )
        summary = run_import(engine, paths=[path])

        assert (summary.conversations_added, summary.error_count) == (3, 1)
        ((file, line, json_path, reason),) = _summary_errors(summary)
        assert (file, line, json_path) == (str(path), 2, None)
        assert reason.startswith("invalid JSON: ")
        assert _stored_errors(engine, summary.batch_id) == [(str(path), 2, None, reason)]
        batch = _batch(engine, summary.batch_id)
        assert (batch.status, batch.conversations_added, batch.error_count) == ("succeeded", 3, 1)
        (row,) = _files(engine, summary.batch_id)
        assert (row.format, row.conversations_added, row.error_count) == ("openai", 3, 1)
        assert row.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    def test_text_without_speaker_labels_says_which_it_needs(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(tmp_path / "notes.md", b"# Meeting\n\nTyler asked about the budget; Atem will check.\n")
        summary = run_import(engine, paths=[path])
        assert _summary_errors(summary) == [(str(path), None, None, NO_LABELS)]

    def test_json_lines_under_comment_lines_are_read_and_a_later_comment_is_its_lines_error(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        """A bot's log that opens with its author's `# NOTE` (ninth fetch: the whole file was refused): the records
        are read, at their own line numbers; a comment among them is an error of its line."""
        data = (
            b"# NOTE: names redacted\n// exported by mybot\n\n"
            b'{"role": "user", "content": "Is the ferry running today?"}\n'
            b'{"role": "assistant", "content": "Yes, every hour from 7."}\n'
            b"# NOTE: the rest was cut\n"
        )
        path = _write(tmp_path / "chat_history.jsonl", data)
        summary = run_import(engine, paths=[path])
        assert summary.conversations_added == 1
        ((file, line, _, reason),) = _summary_errors(summary)
        assert (file, line) == (str(path), 6)
        assert reason.startswith("invalid JSON")
        (row,) = _files(engine, summary.batch_id)
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        # Records of no known shape under a comment say so, not that line 1 is no JSON.
        other = _write(tmp_path / "other.jsonl", b'# mine\n{"foo": 1}\n{"foo": 2}\n')
        ((_, _, _, reason),) = _summary_errors(run_import(engine, paths=[other]))
        assert reason.startswith("matches no known format: JSON whose records are no shape read here")

    def test_json_written_twice_is_read_as_the_json_its_string_holds(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        # `json.dump(json.dumps(store), f)`, as a real LlamaIndex chat store was saved: one JSON string holding the
        # export. It read as text without speaker labels before.
        store = {
            "store": {
                "u1": [
                    {"role": "user", "content": "Is the ferry running today?", "additional_kwargs": {}},
                    {"role": "assistant", "content": "Yes, every hour from 7.", "additional_kwargs": {}},
                ]
            },
            "class_name": "SimpleChatStore",
        }
        path = _write(tmp_path / "chat_store.json", json.dumps(json.dumps(store)).encode())
        summary = run_import(engine, paths=[path])
        assert (summary.conversations_added, summary.error_count) == (1, 0)
        (row,) = _files(engine, summary.batch_id)
        assert row.format == "llamaindex"
        # A JSON string of prose is still no format.
        prose = _write(tmp_path / "note.json", json.dumps("just a note, nothing more").encode())
        ((_, _, _, reason),) = _summary_errors(run_import(engine, paths=[prose]))
        assert reason.startswith("matches no known format")

    def test_json_that_does_not_parse_says_where_it_breaks(self, engine: Engine, tmp_path: Path) -> None:
        # A real chat log edited by hand: `"bot": Hi Aytac.",` (its opening quote lost). It said "no shape read here"
        # and pointed at --format, which cannot help.
        data = (
            b'{"chats": [\n  {"user": "hi", "bot": "Hello!"},\n  {"user": "bye",\n   "bot": Hi Aytac."}\n]}\n'
        )
        path = _write(tmp_path / "chat_log.json", data)
        ((_, _, _, reason),) = _summary_errors(run_import(engine, paths=[path]))
        assert reason.startswith("not valid JSON: ")
        assert "at line 4, column 11" in reason

    def test_text_that_opens_with_a_bracketed_speaker_is_text_not_broken_json(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        # An agent's transcript saved as `[SYSTEM]: ...` / `[AGENT]: ...` lines (eighth fetch): the reason said it was
        # JSON broken at its second character.
        data = b"[SYSTEM]: fix the netfix mod\n\n[AGENT]: I'll read the log first.\n\n[DEVELOPER]: still broken\n"
        path = _write(tmp_path / "agent_transcript.txt", data)
        ((_, _, _, reason),) = _summary_errors(run_import(engine, paths=[path]))
        assert reason.startswith("matches no known format: text without the speaker labels")

    def test_an_unknown_json_shape_names_the_keys_it_holds(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(
            tmp_path / "people.json", b'[{"uuid": "u1", "full_name": "Ana", "email_address": "a@x.org"}]'
        )
        summary = run_import(engine, paths=[path])
        ((_, _, _, reason),) = _summary_errors(summary)
        assert reason == (
            "matches no known format: JSON whose records are no shape read here (the first holds uuid, full_name, "
            f"email_address); use --format to force one of {len(FORMATS)} (pairwise import --help)"
        )

    def test_unknown_format_names_the_file(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(tmp_path / "data.csv", b"item,price\ntea,3\ncoffee,4\n")
        summary = run_import(engine, paths=[path])
        assert _summary_errors(summary) == [(str(path), None, None, NO_FORMAT)]
        assert _stored_errors(engine, summary.batch_id) == [(str(path), None, None, NO_FORMAT)]
        assert (summary.files, summary.conversations_added) == (1, 0)
        (row,) = _files(engine, summary.batch_id)
        assert (row.path, row.format, row.error_count) == (str(path), None, 1)

    def test_a_blank_file_is_reported_as_empty(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(tmp_path / "empty.jsonl", b"\n\n  \n")
        summary = run_import(engine, paths=[path])
        assert _summary_errors(summary) == [(str(path), None, None, "file is empty")]

    @pytest.mark.parametrize("format", ["auto", "openai"])
    def test_a_zero_byte_file_is_skipped_and_counted(
        self, engine: Engine, tmp_path: Path, format: str
    ) -> None:
        path = _write(tmp_path / "empty.jsonl", b"")
        summary = run_import(engine, paths=[path], format=format)
        assert (summary.errors, dict(summary.skipped)) == ([], {"empty file": 1})
        (row,) = _files(engine, summary.batch_id)
        assert (row.format, row.error_count, row.skipped) == (None, 0, {"empty file": 1})

    def test_invalid_utf8_rejects_only_that_line(self, engine: Engine, tmp_path: Path) -> None:
        bad = b'{"messages": [{"role": "user", "content": "caf\xff"}]}\n'
        path = _write(tmp_path / "latin1.jsonl", _jsonl(_chat(1)) + bad + _jsonl(_chat(3)))
        summary = run_import(engine, paths=[path])
        assert summary.conversations_added == 2
        offset = bad.index(b"\xff")
        assert _summary_errors(summary) == [(str(path), 2, None, f"not valid UTF-8 at byte {offset}")]

    # The reader's own memory bound is measured where it runs: here (0) or in a worker process (1).
    @pytest.mark.parametrize("workers", [0, 1])
    def test_a_40_mb_line_is_rejected_and_the_rest_imported(
        self, engine: Engine, tmp_path: Path, workers: int
    ) -> None:
        path = tmp_path / "huge.jsonl"
        with path.open("wb") as out:
            out.write(_jsonl(_chat(1)))
            out.write(b'{"messages": [{"role": "user", "content": "')
            for _ in range(40):
                out.write(b"a" * MB)
            out.write(b'"}]}\n')
            out.write(_jsonl(_chat(3)))
        tracemalloc.start()
        try:
            summary = run_import(engine, paths=[path], workers=workers)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert summary.conversations_added == 2
        assert _summary_errors(summary) == [(str(path), 2, None, "line is 40 MB, over the 32 MB limit")]
        assert peak < 2.5 * MAX_RECORD_BYTES
        (row,) = _files(engine, summary.batch_id)
        assert row.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    def test_memory_for_an_overlong_line_is_bounded_by_the_limit_not_the_line(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(json_reading, "MAX_RECORD_BYTES", MB)
        path = tmp_path / "huge.jsonl"
        with path.open("wb") as out:
            out.write(_jsonl(_chat(1)))
            out.write(b'{"messages": [{"role": "user", "content": "')
            for _ in range(40):
                out.write(b"a" * MB)
            out.write(b'"}]}\n')
        tracemalloc.start()
        try:
            # Read here: the patched limit does not reach a worker process.
            summary = run_import(engine, paths=[path], workers=0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert _summary_errors(summary) == [(str(path), 2, None, "line is 40 MB, over the 1 MB limit")]
        assert summary.conversations_added == 1
        assert peak < 10 * MB

    def test_100k_deep_nesting_in_json_lines(self, engine: Engine, tmp_path: Path) -> None:
        deep = b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
        path = _write(tmp_path / "deep.jsonl", _jsonl(_chat(1)) + deep + _jsonl(_chat(3)))
        summary = run_import(engine, paths=[path])
        assert summary.conversations_added == 2
        assert _summary_errors(summary) == [(str(path), 2, None, "JSON nested deeper than 200 levels")]

    def test_100k_deep_nesting_in_a_json_array(self, engine: Engine, tmp_path: Path) -> None:
        good = {"conversations": [{"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}]}
        deep = b'{"conversations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        path = _write(tmp_path / "deep.json", b"[" + json.dumps(good).encode() + b",\n" + deep + b"]")
        summary = run_import(engine, paths=[path])
        assert summary.conversations_added == 1
        assert _summary_errors(summary) == [(str(path), None, "$[1]", "JSON nested deeper than 200 levels")]

    def test_errors_beyond_the_cap_are_counted_not_stored(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(import_writer, "MAX_STORED_ERRORS", 3)
        path = _write(tmp_path / "junk.jsonl", _jsonl(_chat(1)) + b"not json\n" * 5)
        summary = run_import(engine, paths=[path])
        assert (summary.error_count, len(summary.errors)) == (5, 3)
        assert [e[1] for e in _stored_errors(engine, summary.batch_id)] == [2, 3, 4]
        assert _batch(engine, summary.batch_id).error_count == 5


class TestInputs:
    def test_unknown_format_option_is_refused_before_a_batch_starts(self, engine: Engine) -> None:
        with pytest.raises(ImportInputError) as raised:
            run_import(engine, paths=[OPENAI_SAMPLE], format="csv")
        assert str(raised.value) == "unknown format 'csv'; choose auto or one of: " + ", ".join(FORMATS)
        assert _count(engine, ImportBatch) == 0

    def test_format_override_is_used_instead_of_detection(self, engine: Engine, tmp_path: Path) -> None:
        path = _write(tmp_path / "chat.jsonl", _jsonl(_chat(1)))
        summary = run_import(engine, paths=[path], format="sharegpt")
        assert summary.conversations_added == 0
        assert [(e["file"], e["line"]) for e in summary.errors] == [(str(path), 1)]
        assert _files(engine, summary.batch_id)[0].format == "sharegpt"

    def test_missing_path_is_an_error_naming_it(self, engine: Engine, tmp_path: Path) -> None:
        missing = tmp_path / "nope.jsonl"
        summary = run_import(engine, paths=[missing])
        assert _summary_errors(summary) == [(str(missing), None, None, "no such file or folder")]
        assert _stored_errors(engine, summary.batch_id) == [
            (str(missing), None, None, "no such file or folder")
        ]
        assert summary.files == 0

    def test_gzip_and_zip_inputs(self, engine: Engine, tmp_path: Path) -> None:
        data = OPENAI_SAMPLE.read_bytes()
        gz = _write(tmp_path / "chats.jsonl.gz", gzip.compress(_jsonl(_chat(1), _chat(2))))
        archive = tmp_path / "export.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            out.writestr("inside/conversations.jsonl", data)
            out.writestr("../evil.jsonl", _jsonl(_chat(9)))
        summary = run_import(engine, paths=[gz, archive], source="exports")

        assert (summary.conversations_added, summary.files) == (26, 2)
        assert _summary_errors(summary) == [
            (f"{archive}!../evil.jsonl", None, None, "entry path leaves the archive (`..`)")
        ]
        rows = {f.path: (f.format, f.sha256, f.conversations_added) for f in _files(engine, summary.batch_id)}
        assert rows[f"{archive}!inside/conversations.jsonl"] == (
            "openai",
            hashlib.sha256(data).hexdigest(),
            24,
        )
        assert rows[str(gz)][0::2] == ("openai", 2)
        with Session(engine) as session:
            assert set(session.execute(select(col(Conversation.source))).scalars()) == {"exports"}
            files = set(session.execute(select(col(Conversation.file))).scalars())
        assert files == {str(gz), f"{archive}!inside/conversations.jsonl"}
        assert not (tmp_path.parent / "evil.jsonl").exists()

    def test_progress_reports_every_byte_once(self, engine: Engine, tmp_path: Path) -> None:
        reported: list[int] = []
        folder = RENDERED / "markdown"
        run_import(engine, paths=[folder], progress=reported.append)
        assert sum(reported) == sum(p.stat().st_size for p in SAMPLE_FOLDERS["markdown"])
        assert all(n >= 0 for n in reported)

    def test_user_and_source_are_recorded(self, engine: Engine) -> None:
        summary = run_import(engine, paths=[OPENAI_SAMPLE, RENDERED / "sharegpt"])
        batch = _batch(engine, summary.batch_id)
        assert (batch.source, batch.created_by_id) == ("import", None)


class TestAtomicity:
    def _fail_on_third_conversation(self, monkeypatch: pytest.MonkeyPatch, make_failure: Any) -> None:
        original = conversation_service.pair_rows_for
        # The conversations themselves, not their id(): a freed chunk's ids are reused by the next chunk.
        seen: list[ParsedConversation] = []

        def pair_rows_for(
            *, conversation_id: int, conversation: ParsedConversation, turn_ids: list[int], **scoring: Any
        ) -> list:
            if not any(c is conversation for c in seen):
                seen.append(conversation)
            rows = original(
                conversation_id=conversation_id, conversation=conversation, turn_ids=turn_ids, **scoring
            )
            if next(i for i, c in enumerate(seen) if c is conversation) == 2:
                return make_failure(conversation_id, turn_ids, rows)
            return rows

        monkeypatch.setattr(conversation_service, "pair_rows_for", pair_rows_for)

    def test_a_crash_mid_insert_leaves_only_whole_conversations_and_a_failed_batch(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def crash(conversation_id: int, turn_ids: list[int], rows: list) -> list:
            raise RuntimeError("disk on fire")

        self._fail_on_third_conversation(monkeypatch, crash)
        with pytest.raises(RuntimeError, match="disk on fire"):
            run_import(engine, paths=[OPENAI_SAMPLE], chunk_size=2)

        # The first chunk (2 conversations) was committed whole; the failing chunk left nothing.
        assert _count(engine, Conversation) == 2
        assert _conversations_without_all_turns(engine) == []
        with Session(engine) as session:
            orphan_turns = session.execute(
                select(func.count())
                .select_from(Turn)
                .where(col(Turn.conversation_id).not_in(select(col(Conversation.id))))
            ).scalar_one()
            (batch,) = session.execute(select(ImportBatch)).scalars()
        assert orphan_turns == 0
        assert (batch.status, batch.message) == ("failed", "import stopped: RuntimeError: disk on fire")
        assert batch.finished_at is not None
        # The record stays truthful: it counts what was committed before the crash.
        assert batch.conversations_added == 2

    def test_a_crash_in_the_only_chunk_stores_nothing(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def crash(conversation_id: int, turn_ids: list[int], rows: list) -> list:
            raise RuntimeError("boom")

        self._fail_on_third_conversation(monkeypatch, crash)
        with pytest.raises(RuntimeError):
            run_import(engine, paths=[OPENAI_SAMPLE])
        assert (_count(engine, Conversation), _count(engine, Turn), _count(engine, Pair)) == (0, 0, 0)
        with Session(engine) as session:
            (batch,) = session.execute(select(ImportBatch)).scalars()
        assert (batch.status, batch.conversations_added) == ("failed", 0)

    def test_a_constraint_violation_is_not_passed_off_as_a_duplicate(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The third conversation's pairs violate the pair uniqueness constraint: it must not be stored
        half, and the run reports it as that record's error (not a duplicate); the other 23 are stored."""

        def duplicate_pair(conversation_id: int, turn_ids: list[int], rows: list) -> list:
            now = utcnow()
            row: dict[str, Any] = {
                "conversation_id": conversation_id,
                "first_turn_id": turn_ids[1],
                "second_turn_id": turn_ids[-1],
                "pushback_turn_id": None,
                "prompt_end_index": 0,
                "detector": "test",
                "score": 0.5,
                "signals": "",
                "status": "candidate",
                "swapped": False,
                "leak_kinds": "",
                "leak_spans": [],
                "leak_detector": "test",
                "content_key": None,
                "linked_to_id": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            return [row, dict(row)]

        self._fail_on_third_conversation(monkeypatch, duplicate_pair)
        summary = run_import(engine, paths=[OPENAI_SAMPLE])
        assert (summary.conversations_added, summary.duplicates, summary.error_count) == (23, 0, 1)
        assert (
            summary.errors[0]["reason"] == "the database refused this record (details are in the server log)"
        )
        with Session(engine) as session:
            (batch,) = session.execute(select(ImportBatch)).scalars()
        assert batch.status == "succeeded"
        assert _conversations_without_all_turns(engine) == []
        assert _count(engine, Conversation) == 23


class TestChunkSize:
    """A chunk is written at `chunk_size` conversations or CHUNK_BYTES of their content, whichever comes
    first, so sessions holding long tool output make smaller chunks (such sessions of 1 MB peaked at 1.45 GB)."""

    def test_prepare_sizes_a_conversation_by_its_text_and_blocks(self) -> None:
        output = "collected 40 items, 2 failed\n" * 500
        turns = [
            ParsedTurn(role="user", text="Run the tests."),
            ParsedTurn(
                role="assistant",
                text="Two tests fail.",
                blocks=[
                    {"type": "tool_result", "content": output},
                    {"type": "text", "text": "Two tests fail."},
                ],
            ),
        ]
        conversation = reading.prepare(ParsedConversation(external_id="s", turns=turns))
        assert conversation.size == len(reading._normalized(conversation))
        assert conversation.size > len(output) > sum(len(turn.text) for turn in turns)

    @pytest.fixture
    def chunks(self, monkeypatch: pytest.MonkeyPatch) -> list[int]:
        """How many conversations each written chunk held."""
        held: list[int] = []
        original = import_writer.Writer._store

        def store(writer: import_writer.Writer, chunk: import_writer.Chunk) -> Any:
            if chunk.items:
                held.append(len(chunk.items))
            return original(writer, chunk)

        monkeypatch.setattr(import_writer.Writer, "_store", store)
        return held

    @pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "workers"])
    def test_long_sessions_close_a_chunk_by_its_bytes(
        self,
        engine: Engine,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        chunks: list[int],
        workers: int,
    ) -> None:
        # Each session holds 100 KB of tool output and about 9 KB of text: three pass 250 KB, two do not.
        write_long_sessions(tmp_path, 9, output_bytes=100_000)
        monkeypatch.setattr(import_writer, "CHUNK_BYTES", 250_000)
        summary = run_import(engine, paths=[tmp_path], workers=workers)
        assert (summary.conversations_added, summary.error_count) == (9, 0)
        assert chunks == [3, 3, 3]
        assert _count(engine, Turn) == 9 * 4

    def test_small_sessions_fill_a_chunk_by_its_count(
        self, engine: Engine, tmp_path: Path, chunks: list[int]
    ) -> None:
        write_long_sessions(tmp_path, 9, output_bytes=100_000)
        run_import(engine, paths=[tmp_path], chunk_size=4)
        assert chunks == [4, 4, 1]


class TestGarbageCollection:
    """While an import runs, older objects are frozen and young collections wait for more new containers."""

    @pytest.fixture(autouse=True)
    def _nothing_frozen(self) -> Iterator[None]:
        """Each test starts in a process that froze nothing: a test before it in the same process may have
        started the web app, which freezes what its start-up made (that is the last test's case)."""
        frozen = gc.get_freeze_count() > 0
        gc.unfreeze()
        yield
        if frozen:
            gc.freeze()

    def _seen_while_storing(self, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
        """(generation-0 threshold, frozen objects) at each chunk the import stores."""
        seen: list[tuple[int, int]] = []
        original = conversation_service.store_conversations

        def store_conversations(session: Session, **kwargs: Any) -> Any:
            seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
            return original(session, **kwargs)

        monkeypatch.setattr(import_writer, "store_conversations", store_conversations)
        return seen

    def test_an_import_eases_collection_and_restores_it(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen = self._seen_while_storing(monkeypatch)
        before = gc.get_threshold()
        source = _write(tmp_path / "chats.jsonl", _jsonl(*(_chat(i) for i in range(3))))
        assert run_import(engine, paths=[source]).conversations_added == 3
        assert seen
        assert all(threshold == importing.IMPORT_GC_THRESHOLD for threshold, _ in seen)
        assert all(frozen > 0 for _, frozen in seen)
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0

    def test_a_failed_import_restores_collection(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def fail(*_: Any, **__: Any) -> Any:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(import_writer, "store_conversations", fail)
        before = gc.get_threshold()
        with pytest.raises(RuntimeError, match="disk on fire"):
            run_import(engine, paths=[_write(tmp_path / "chats.jsonl", _jsonl(_chat(1)))])
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0

    def test_imports_side_by_side_restore_it_when_the_last_one_ends(self) -> None:
        before = gc.get_threshold()
        with contextlib.ExitStack() as second:
            second.enter_context(importing._eased_collection())
            with importing._eased_collection():  # the first import, which ends first
                pass
            assert gc.get_threshold()[0] == importing.IMPORT_GC_THRESHOLD  # the second import still runs
            assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0

    def test_a_process_that_froze_its_objects_keeps_them_frozen_without_the_imports_garbage(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The web app freezes what its start-up made, and its embedded worker runs imports.
        garbage: list[weakref.ref[Any]] = []
        original = conversation_service.store_conversations

        def store_conversations(session: Session, **kwargs: Any) -> Any:
            cycle: list[Any] = []
            cycle.append(cycle)  # unreachable once this returns: only the collector frees it
            garbage.append(weakref.ref(_Cycle(cycle)))
            return original(session, **kwargs)

        monkeypatch.setattr(import_writer, "store_conversations", store_conversations)
        before = gc.get_threshold()
        gc.freeze()
        gc.disable()  # no young collection frees the cycle by chance: only the import's end can
        try:
            run_import(engine, paths=[_write(tmp_path / "chats.jsonl", _jsonl(_chat(1)))])
            assert gc.get_freeze_count() > 0  # an unfreeze alone leaves none
            assert gc.get_threshold() == before
            assert garbage
            assert all(ref() is None for ref in garbage)  # collected, not frozen with the rest
        finally:
            gc.enable()
            gc.unfreeze()


class _Cycle:
    """An object in a reference cycle, so only the garbage collector frees it."""

    def __init__(self, cycle: list[Any]) -> None:
        self.me = self
        self.cycle = cycle
