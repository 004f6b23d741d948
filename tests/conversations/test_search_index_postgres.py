"""PostgreSQL's turn index (`turn_search`, filled by the index job): an import found before and after indexing,
chunks, two indexers at once, turns committed out of order, edits above the watermark, repair."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Text, cast, select, text
from sqlmodel import Session
from starlette.testclient import TestClient
from typer.testing import CliRunner

import app.cli as cli_module
from app.config import get_settings
from app.conversations import search, search_index
from app.conversations.importing import run_import
from app.conversations.search_index import (
    INDEX_WORK_MEM,
    PAIRS_CURSOR,
    TURN_VECTORS,
    IndexResult,
    committed_top,
    fill_pairs,
    index_chunk,
    index_pending,
    pairs_cursor,
    request_indexing,
)
from app.conversations.service import TURN_TABLE, insert_rows
from app.db import build_engine, session_scope
from tests.conftest import only_postgres
from tests.conversations.test_views import add_conversation, listed

pytestmark = [pytest.mark.usefixtures("fast_passwords", "enqueued"), only_postgres]
# Long enough for a blocked thread to show it is blocked, short next to the whole suite.
BLOCKED_SECONDS = 0.5


def scalar(engine: Engine, query: str) -> int:
    """The one number a query returns."""
    with engine.connect() as connection:
        return int(connection.execute(text(query)).scalar_one())


def vectors(engine: Engine) -> int:
    return scalar(engine, "SELECT count(*) FROM turn_search")


def watermark(engine: Engine) -> int:
    return scalar(engine, "SELECT indexed_to FROM search_index_state WHERE name = 'turn_search'")


def edit_first_turn(engine: Engine, conversation_id: int, new_text: str) -> None:
    """Replace the text of a conversation's first turn, as an edit by hand would (the app never edits turns)."""
    with engine.begin() as connection:
        connection.execute(
            text('UPDATE turn SET text = :text WHERE conversation_id = :id AND "index" = 0'),
            {"text": new_text, "id": conversation_id},
        )


@pytest.fixture
def ranked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "FEW_MATCHES", 10**12)


def test_an_imported_turn_is_found_before_and_after_indexing(
    engine: Engine, admin: TestClient, ranked: None, tmp_path: Path
) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": "an erlang deadlock in the scheduler"},
                                 {"role": "assistant", "content": "trace the mailbox"}]}) + "\n"
    )  # fmt: skip
    summary = run_import(engine, paths=[tmp_path / "a.jsonl"], source="s")
    assert summary.conversations_added == 1
    assert vectors(engine) == 0  # the import computed no vector
    found = listed(admin, "/admin/conversations?q=erlang+deadlock")
    assert len(found) == 1  # above the watermark: matched by ILIKE
    assert listed(admin, "/admin/conversations?q=erlang+deadlocks") == []
    assert index_pending(engine).indexed == {"turn_search": 2}
    assert vectors(engine) == 2
    assert listed(admin, "/admin/conversations?q=erlang+deadlock") == found  # through the stored vector
    assert listed(admin, "/admin/conversations?q=mailbox") == found


def test_the_job_indexes_in_chunks(engine: Engine) -> None:
    for i in range(3):
        add_conversation(engine, "t", f"first {i}", f"second {i}")
    calls: list[tuple[int, int]] = []
    result = index_pending(
        engine, rows=4, connections=1, progress=lambda done, total: calls.append((done, total))
    )
    assert result.indexed == {"turn_search": 6}
    assert [done for done, _ in calls] == [4, 6]  # two transactions of at most 4 rows
    with engine.connect() as connection:
        top = connection.execute(text("SELECT max(id) FROM turn")).scalar_one()
    assert watermark(engine) == top
    assert vectors(engine) == 6
    assert index_pending(engine).indexed == {"turn_search": 0}


def test_a_second_indexer_waits_and_takes_the_next_rows(engine: Engine) -> None:
    for i in range(2):
        add_conversation(engine, "t", f"one {i}", f"two {i}")
    top = committed_top(engine, index=TURN_VECTORS)
    second: list[int] = []

    def other() -> None:
        with session_scope(engine) as session:
            second.append(index_chunk(session, index=TURN_VECTORS, upper=top, rows=3))

    thread = threading.Thread(target=other)
    with session_scope(engine) as first:
        assert index_chunk(first, index=TURN_VECTORS, upper=top, rows=3) == 3
        thread.start()
        thread.join(BLOCKED_SECONDS)
        assert thread.is_alive()  # waiting for the state row the first indexer holds
    thread.join(10)
    assert second == [1]  # the watermark the first one left, not the rows it took
    assert vectors(engine) == 4


def test_two_indexers_at_once_index_every_turn_once(engine: Engine) -> None:
    for i in range(10):
        add_conversation(engine, "t", f"alpha {i}", f"beta {i}")
    results: list[IndexResult] = []
    threads = [
        threading.Thread(target=lambda: results.append(index_pending(engine, rows=1))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.indexed["turn_search"] for r in results) == 20  # a turn indexed twice would break the key
    assert vectors(engine) == 20


def test_a_turn_committed_after_a_newer_one_is_not_skipped(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    """Two imports at once: a lower id may commit after a higher one; the watermark must not pass it."""
    late_id = add_conversation(engine, "t")
    thread = threading.Thread(target=index_pending, args=(engine,))
    with Session(engine) as late:
        row = {
            "conversation_id": late_id,
            "index": 0,
            "role": "user",
            "text": "committed last",
            "blocks": None,
        }
        insert_rows(late, TURN_TABLE, [row])  # its id drawn and written, not committed
        early = add_conversation(engine, "t", "committed first")
        thread.start()
        thread.join(BLOCKED_SECONDS)
        assert thread.is_alive()  # waits for the open insert before trusting the highest id
        late.commit()
    thread.join(10)
    assert vectors(engine) == 2
    assert listed(admin, "/admin/conversations?q=committed+last") == [late_id]
    assert listed(admin, "/admin/conversations?q=committed+first") == [early]


def test_a_turn_edited_before_it_is_indexed_is_indexed_with_its_new_text(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    edited = add_conversation(engine, "t", "linkerd sidecar")
    edit_first_turn(engine, edited, "istio mesh")
    assert vectors(engine) == 0  # above the watermark: the trigger leaves it to the job
    index_pending(engine)
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT vector::text FROM turn_search")).scalar_one()
            == "'istio':1 'mesh':2"
        )
    assert listed(admin, "/admin/conversations?q=istio") == [edited]
    assert listed(admin, "/admin/conversations?q=linkerd") == []


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (
            "DELETE FROM turn_search WHERE turn_id = (SELECT min(turn_id) FROM turn_search)",
            "problem: turn_search: 1 turns at or below the watermark",
        ),
        (
            "DELETE FROM turn_search_words WHERE word = 'quorum'",
            "problem: turn_search_words: 1 words of the stored vectors are not listed",
        ),
        (
            "UPDATE turn_search SET pairs = NULL WHERE turn_id = (SELECT min(turn_id) FROM turn_search)",
            "problem: turn_search: 1 vectors whose pairs of adjacent words disagree with their positions",
        ),
    ],
    ids=["missing vector", "unlisted word", "missing pairs"],
)
def test_status_reports_damage_until_rebuilt(engine: Engine, damage: str, problem: str) -> None:
    add_conversation(engine, "t", "zookeeper quorum", "two")
    index_pending(engine)
    with engine.begin() as connection:
        connection.execute(text(damage))
    runner = CliRunner()
    result = runner.invoke(cli_module.cli, ["search", "status"])
    assert result.exit_code == 1
    assert problem in result.output
    assert runner.invoke(cli_module.cli, ["search", "reindex", "--rebuild"]).exit_code == 0
    assert runner.invoke(cli_module.cli, ["search", "status"]).exit_code == 0
    assert (vectors(engine), listed_words(engine)) == (2, {"zookeeper", "quorum", "two"})


def test_a_turn_too_long_for_a_vector_is_indexed_without_one_and_still_found(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    """A tsvector holds 1 MB: a turn with more distinct words is stored with no vector and read with ILIKE."""
    huge = " ".join(hashlib.md5(str(i).encode()).hexdigest() for i in range(40_000)) + " needle haystack"
    small = add_conversation(engine, "t", "needle in a small turn")
    big = add_conversation(engine, "t", huge)
    assert index_pending(engine).indexed == {"turn_search": 2}  # the chunk goes through
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT vector IS NULL, count(*) FROM turn_search GROUP BY 1")).all()
        stored = {bool(missing): int(n) for missing, n in rows}
    assert stored == {True: 1, False: 1}
    assert listed(admin, "/admin/conversations?q=needle+haystack") == [big]
    assert sorted(listed(admin, "/admin/conversations?q=needle")) == [small, big]
    with engine.begin() as connection:  # the update trigger does the same
        connection.execute(
            text("UPDATE turn SET text = :huge WHERE conversation_id = :id"), {"huge": huge, "id": small}
        )
        nulls = connection.execute(text("SELECT count(*) FROM turn_search WHERE vector IS NULL")).scalar_one()
    assert nulls == 2
    assert sorted(listed(admin, "/admin/conversations?q=needle+haystack")) == [small, big]


def test_a_phrase_is_narrowed_by_the_stored_positions_and_every_match_is_still_found(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    """A search of spaced words keeps only turns whose vector has them side by side (where the vector holds
    every position), then tests the substring; turns whose positions a tsvector cuts are still tested."""
    near = add_conversation(engine, "t", "an erlang deadlock in the scheduler")
    add_conversation(engine, "t", "erlang is fine, the deadlock is elsewhere")  # both words, not the phrase
    hyphen = add_conversation(engine, "t", "see x foo-bar here")  # x and foo are two positions apart
    # A word 300 times (a vector keeps 255 of its positions), then the phrase.
    repeated = add_conversation(engine, "t", "erlang " * 300 + "erlang deadlock")
    # The phrase past position 16,383 (every later position is stored as 16,383).
    far = add_conversation(engine, "t", "word " * 17_000 + "erlang deadlock")
    assert index_pending(engine).indexed == {"turn_search": 5}
    with engine.connect() as connection:
        exact = [
            bool(e) for e in connection.execute(text("SELECT exact_positions FROM turn_search")).scalars()
        ]
    assert sorted(exact) == [False, False, True, True, True]
    assert sorted(listed(admin, "/admin/conversations?q=erlang+deadlock")) == sorted([near, repeated, far])
    assert listed(admin, "/admin/conversations?q=x+foo-bar") == [hyphen]
    assert listed(admin, "/admin/conversations?q=is+fine") != []


def listed_words(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT word FROM turn_search_words")).scalars())


def test_the_job_lists_the_words_of_the_vectors_it_stores(engine: Engine) -> None:
    add_conversation(engine, "t", "An Erlang deadlock", "see foo-bar")
    assert listed_words(engine) == set()  # not before the job
    index_pending(engine)
    assert listed_words(engine) == {"an", "erlang", "deadlock", "see", "foo-bar", "foo", "bar"}
    add_conversation(engine, "t", "erlang again")  # a listed word is listed once
    index_pending(engine)
    assert listed_words(engine) == {"an", "erlang", "deadlock", "see", "foo-bar", "foo", "bar", "again"}


def test_a_vector_stored_or_rewritten_by_any_writer_lists_its_words(engine: Engine) -> None:
    """The list is kept by triggers on `turn_search` itself, not by each of its writers."""
    conversation = add_conversation(engine, "t", "x")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO turn_search (turn_id, vector, exact_positions) "
                "SELECT id, to_tsvector('simple', 'hand written'), true FROM turn WHERE conversation_id = :id"
            ),
            {"id": conversation},
        )
        connection.execute(text("UPDATE turn_search SET vector = to_tsvector('simple', 'rewritten vector')"))
    assert listed_words(engine) == {"hand", "written", "rewritten", "vector"}


@pytest.mark.parametrize(
    "word", ["it's", "a\\b", "foo-bar", "/usr/lo_cal/b%n", "x y", "café", "''", "\\'"]
)  # fmt: skip
def test_a_listed_word_goes_into_a_tsquery_as_it_is(engine: Engine, word: str) -> None:
    with engine.connect() as connection:
        matches, other = connection.execute(
            text(
                "SELECT array_to_tsvector(ARRAY[:word]) @@ CAST(:lexeme AS tsquery), "
                "array_to_tsvector(ARRAY[:word || 'x']) @@ CAST(:lexeme AS tsquery)"
            ),
            {"word": word, "lexeme": search.tsquery_word(word)},
        ).one()
    assert (matches, other) == (True, False)


def test_the_last_word_is_looked_up_as_the_listed_words_it_begins(
    engine: Engine, admin: TestClient, ranked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = add_conversation(engine, "t", "an erlang deadlocked scheduler")
    line = add_conversation(engine, "t", "erlang deadline missed")
    add_conversation(engine, "t", "erlang is fine")
    titled = add_conversation(engine, "Erlang deadlight", "no such word in any turn")
    index_pending(engine)
    fresh = add_conversation(engine, "t", "erlang deadwood")  # above the watermark: not listed yet
    with session_scope(engine, read_only=True) as session:
        words = search._turn_words(session, "Erlang DEADL")
        assert words is not None
        assert (
            session.execute(select(cast(words, Text))).scalar_one()
            == "'erlang' & ( 'deadline' | 'deadlocked' )"
        )
        assert search._turn_words(session, "erlang zzz") is None  # no listed word begins with it
    assert sorted(listed(admin, "/admin/conversations?q=erlang+dead")) == sorted(
        [locked, line, titled, fresh]
    )
    assert sorted(listed(admin, "/admin/conversations?q=erlang+deadl")) == sorted([locked, line, titled])
    assert listed(admin, "/admin/conversations?q=erlang+deadw") == [fresh]
    assert listed(admin, "/admin/conversations?q=deadlocked") == [locked]
    monkeypatch.setattr(search, "MAX_PREFIX_WORDS", 1)  # more words begin with it: looked up as a prefix
    with session_scope(engine, read_only=True) as session:
        words = search._turn_words(session, "erlang deadl")
        assert words is not None
        assert session.execute(select(cast(words, Text))).scalar_one() == "'erlang' & 'deadl':*"
    assert sorted(listed(admin, "/admin/conversations?q=erlang+deadl")) == sorted([locked, line, titled])


def test_an_edited_turn_lists_its_new_words_and_is_found_by_them(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    edited = add_conversation(engine, "t", "plain words")
    index_pending(engine)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE turn SET text = 'kubernetes operator' WHERE conversation_id = :id"), {"id": edited}
        )
    assert {"kubernetes", "operator"} <= listed_words(engine)
    assert listed(admin, "/admin/conversations?q=kubern") == [edited]


def test_a_chunk_indexed_while_a_search_runs_is_still_found(
    engine: Engine, admin: TestClient, ranked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search reads the watermark before the word list: an indexer that commits in between (vectors, words,
    watermark) leaves the new turns above the watermark it read, found by ILIKE. Read the other way round,
    the turn would be taken for indexed while its words were missing from the list read."""
    add_conversation(engine, "t", "plain words")
    index_pending(engine)
    fresh = add_conversation(engine, "t", "an erlang deadlock")
    real = search._turn_words

    def an_indexer_commits_after_the_list_is_read(session: Session, query: str) -> Any:
        words = real(session, query)
        assert index_pending(engine).indexed == {"turn_search": 1}
        return words

    monkeypatch.setattr(search, "_turn_words", an_indexer_commits_after_the_list_is_read)
    assert listed(admin, "/admin/conversations?q=erlang+deadl") == [fresh]


# Words that begin one another ("dead", "deadlock") and parse in several ways ("foo-bar", "x.y").
PHRASE_WORDS = ["erlang", "deadlock", "dead", "foo-bar", "foo", "bar", "x.y", "Erlang", "lock", "9"]
SEPARATORS = [" ", "  ", "\n", ", ", "-", ". ", " (", "/"]


def test_the_pairs_of_a_vector_find_exactly_its_phrases(engine: Engine) -> None:
    """`turn_search_pairs` keeps every two words at consecutive positions: looking a two-word query up by its
    pair finds exactly the vectors that the phrase query (`a <-> b:*`) finds."""
    rng = random.Random(5)
    texts = [
        "".join(rng.choice(PHRASE_WORDS) + rng.choice(SEPARATORS) for _ in range(rng.randint(1, 12)))
        for _ in range(200)
    ]
    for body in texts:
        add_conversation(engine, "t", body)
    index_pending(engine)
    queries = [
        "erlang deadlock",
        "erlang dead",
        "foo bar",
        "dead lock",
        "x bar",
        "bar erlang",
        "9 foo",
        "Erlang Deadl",
    ]
    with session_scope(engine, read_only=True) as session:
        assert session.execute(text("SELECT bool_and(exact_positions) FROM turn_search")).scalar_one()
        for query in queries:
            by_pairs = set(
                session.execute(
                    select(search.TURN_SEARCH.c.turn_id).where(
                        search.TURN_SEARCH.c.pairs.op("@@")(search.pairs_query(query))
                    )
                ).scalars()
            )
            by_phrase = set(
                session.execute(
                    text("SELECT turn_id FROM turn_search WHERE vector @@ to_tsquery('simple', :phrase)"),
                    {"phrase": search.ts_phrase(query)},
                ).scalars()
            )
            assert by_pairs == by_phrase, query
            assert by_phrase or query in {"x bar", "9 foo"}, query  # the sample holds most phrases


def test_an_edited_turn_is_found_by_its_new_phrase(engine: Engine, admin: TestClient, ranked: None) -> None:
    edited = add_conversation(engine, "t", "erlang deadlock")
    index_pending(engine)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE turn SET text = 'kubernetes operator' WHERE conversation_id = :id"), {"id": edited}
        )
        pairs = connection.execute(text("SELECT pairs::text FROM turn_search")).scalar_one()
    assert pairs == "'kubernetes operator'"
    assert listed(admin, "/admin/conversations?q=kubernetes+oper") == [edited]
    assert listed(admin, "/admin/conversations?q=erlang+deadlock") == []


def test_a_chunk_is_indexed_with_room_to_sort_the_gin_entries(engine: Engine) -> None:
    """GIN moves its pending entries into the index within work_mem: the chunk's transaction raises it."""
    add_conversation(engine, "t", "zookeeper quorum")
    upper = committed_top(engine, index=TURN_VECTORS)
    with session_scope(engine) as session:
        assert session.execute(text("SHOW work_mem")).scalar_one() != INDEX_WORK_MEM
        assert index_chunk(session, index=TURN_VECTORS, upper=upper) == 1
        assert session.execute(text("SHOW work_mem")).scalar_one() == INDEX_WORK_MEM
    with session_scope(engine) as session:  # for that transaction only
        assert session.execute(text("SHOW work_mem")).scalar_one() != INDEX_WORK_MEM


def strip_pairs(engine: Engine) -> None:
    """Leave the stored vectors as they were before migration c5d7e9a1b3f2, which left them to the job:
    no pairs, and the filler's cursor at 0."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE turn_search SET pairs = NULL"))
        connection.execute(
            text(f"INSERT INTO search_index_state (name, indexed_to) VALUES ('{PAIRS_CURSOR}', 0)")
        )


def stored_pairs(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT t.conversation_id, s.pairs::text FROM turn_search AS s JOIN turn AS t ON t.id = s.turn_id"
            )
        ).all()
    return {int(owner): pairs for owner, pairs in rows}


def unpaired(engine: Engine) -> int:
    """Vectors that keep every position and have no pairs."""
    return scalar(engine, "SELECT count(*) FROM turn_search WHERE pairs IS NULL AND exact_positions")


def vacuum_count(engine: Engine) -> int:
    return scalar(engine, "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'turn_search'")


def test_vectors_stored_before_their_pairs_are_found_while_the_job_fills_them(
    engine: Engine, admin: TestClient, ranked: None
) -> None:
    near = add_conversation(engine, "t", "an erlang deadlock in the scheduler")
    add_conversation(engine, "t", "erlang is fine, the deadlock is elsewhere")  # both words, not the phrase
    three = add_conversation(engine, "t", "kafka consumer lag spike")
    repeated = add_conversation(engine, "t", "erlang " * 300 + "erlang deadlock")  # no exact positions
    edited = add_conversation(engine, "t", "zookeeper quorum")
    index_pending(engine)
    strip_pairs(engine)
    with session_scope(engine, read_only=True) as session:
        assert pairs_cursor(session) == 0
        assert search._index_state(session)[1] is False  # phrases judged by their words meanwhile
    found = {
        "erlang deadlock": sorted([near, repeated]),
        "consumer lag spike": [three],
        "kafka consumer": [three],
        "zookeeper quorum": [edited],
    }
    for query, expected in found.items():  # by their words, as before the pairs existed
        assert sorted(listed(admin, f"/admin/conversations?q={query.replace(' ', '+')}")) == expected, query
    edit_first_turn(engine, edited, "istio mesh")  # the trigger writes its pairs; the filler keeps them
    calls: list[tuple[int, int]] = []
    vacuums = vacuum_count(engine)
    result = index_pending(
        engine, rows=2, connections=1, progress=lambda done, total: calls.append((done, total))
    )
    assert (result.indexed, result.pairs_filled) == ({"turn_search": 0}, 4)  # the edited one has its pairs
    assert [done for done, _ in calls] == [2, 4]
    assert result.to_json() == {"indexed": {"turn_search": 0}, "pairs_filled": 4}
    pairs = stored_pairs(engine)
    assert pairs[near] == "'an erlang' 'deadlock in' 'erlang deadlock' 'in the' 'the scheduler'"
    assert pairs[three] == "'consumer lag' 'kafka consumer' 'lag spike'"
    assert (pairs[repeated], pairs[edited]) == (None, "'istio mesh'")
    with session_scope(engine, read_only=True) as session:
        assert pairs_cursor(session) is None  # the row is gone once nothing is left past it
        assert search._index_state(session)[1] is True
    found["zookeeper quorum"], found["istio mesh"] = [], [edited]
    for query, expected in found.items():  # now by their pairs
        assert sorted(listed(admin, f"/admin/conversations?q={query.replace(' ', '+')}")) == expected, query
    assert vacuum_count(engine) == vacuums + 1  # the filled rows' dead versions are vacuumed away
    assert index_pending(engine).pairs_filled is None  # nothing left to fill: no VACUUM either
    assert vacuum_count(engine) == vacuums + 1


def test_a_fresh_database_has_no_pairs_to_fill(engine: Engine) -> None:
    with session_scope(engine, read_only=True) as session:
        assert pairs_cursor(session) is None
    add_conversation(engine, "t", "zookeeper quorum")
    assert index_pending(engine).to_json() == {"indexed": {"turn_search": 1}}


def test_two_fillers_at_once_take_turns(engine: Engine) -> None:
    for i in range(6):
        add_conversation(engine, "t", f"alpha {i}", f"beta {i}")
    index_pending(engine)
    strip_pairs(engine)
    assert unpaired(engine) == 12
    done: list[int] = []
    threads = [threading.Thread(target=lambda: done.append(fill_pairs(engine, rows=1))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(done) == 12  # each vector once
    assert unpaired(engine) == 0


def test_a_fill_round_fills_its_chunks_side_by_side(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        add_conversation(engine, "t", f"alpha {i}", f"beta {i}")
    index_pending(engine)
    strip_pairs(engine)
    both_running = threading.Barrier(2, timeout=10)  # broken (an error) if the chunks ran one after the other
    backends: list[int] = []
    fill = search_index._fill_pairs

    def side_by_side(session: Session, bounds: dict[str, int]) -> None:
        backends.append(int(session.execute(text("SELECT pg_backend_pid()")).scalar_one()))
        if len(backends) <= 2:
            both_running.wait()
        fill(session, bounds)

    monkeypatch.setattr(search_index, "_fill_pairs", side_by_side)
    calls: list[int] = []
    assert fill_pairs(engine, rows=3, connections=2, progress=calls.append) == 10
    assert calls == [6, 10]
    assert len(set(backends[:2])) == 2
    assert unpaired(engine) == 0
    with session_scope(engine, read_only=True) as session:
        assert pairs_cursor(session) is None


def test_pairs_left_to_fill_queue_the_job_and_are_no_problem_for_status(engine: Engine) -> None:
    add_conversation(engine, "t", "zookeeper quorum", "leader election")
    index_pending(engine)
    strip_pairs(engine)
    with session_scope(engine) as session:
        assert request_indexing(session) is not None  # nothing waits to be indexed, but pairs to be filled
    runner = CliRunner()
    result = runner.invoke(cli_module.cli, ["search", "status"])
    assert result.exit_code == 0, result.output
    assert "turn_search_pairs: pairs of the vectors stored before filled up to turn id 0" in result.output
    result = runner.invoke(cli_module.cli, ["search", "status", "--json"])
    assert json.loads(result.output)["pairs_filled_to"] == 0
    with engine.begin() as connection:  # at or below the cursor a vector without pairs is damage
        connection.execute(
            text(f"UPDATE search_index_state SET indexed_to = 10000000 WHERE name = '{PAIRS_CURSOR}'")
        )
    result = runner.invoke(cli_module.cli, ["search", "status"])
    assert result.exit_code == 1
    assert "problem: turn_search: 2 vectors whose pairs of adjacent words disagree" in result.output
    result = runner.invoke(cli_module.cli, ["search", "reindex", "--rebuild"])
    assert result.exit_code == 0, result.output
    with session_scope(engine, read_only=True) as session:
        assert pairs_cursor(session) is None  # every vector stored again with its pairs
    assert runner.invoke(cli_module.cli, ["search", "status"]).exit_code == 0
    assert unpaired(engine) == 0


def test_the_cli_reports_the_pairs_it_filled(engine: Engine) -> None:
    add_conversation(engine, "t", "zookeeper quorum", "leader election")
    index_pending(engine)
    strip_pairs(engine)
    result = CliRunner().invoke(cli_module.cli, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "filled the pairs of 2 vectors stored before" in result.output
    assert unpaired(engine) == 0


def test_a_round_indexes_its_chunks_side_by_side_in_their_own_server_processes(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(7):
        add_conversation(engine, "t", f"first {i}", f"second {i}")
    both_running = threading.Barrier(2, timeout=10)  # broken (an error) if the chunks ran one after the other
    backends: list[tuple[int, int, int]] = []
    store = search_index._insert_vectors

    def side_by_side(session: Session, *, index: Any, bounds: dict[str, int]) -> None:
        backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        backends.append((bounds["mark"], bounds["upper"], backend))
        if len(backends) <= 2:
            both_running.wait()
        store(session, index=index, bounds=bounds)

    monkeypatch.setattr(search_index, "_insert_vectors", side_by_side)
    calls: list[int] = []
    result = index_pending(engine, rows=3, connections=2, progress=lambda done, total: calls.append(done))
    assert result.indexed == {"turn_search": 14}
    assert calls == [6, 12, 14]  # rounds of two chunks of 3, the last one chunk of 2
    assert len({backend for _, _, backend in backends[:2]}) == 2
    ranges = sorted((low, high) for low, high, _ in backends)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))  # no gap, no overlap
    assert vectors(engine) == 14
    with engine.connect() as connection:
        assert watermark(engine) == connection.execute(text("SELECT max(id) FROM turn")).scalar_one()


def test_chunks_that_list_the_same_new_words_do_not_hold_each_other_up(engine: Engine) -> None:
    """Each waits for the other's commit on the word list: a chunk held open until the round ends would
    wait for ever."""
    for _ in range(8):
        add_conversation(engine, "t", "zookeeper quorum leader election", "zookeeper quorum")
    done: list[IndexResult] = []
    worker = threading.Thread(
        target=lambda: done.append(index_pending(engine, rows=2, connections=4)), daemon=True
    )
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert done[0].indexed == {"turn_search": 16}
    assert listed_words(engine) == {"zookeeper", "quorum", "leader", "election"}


def test_a_round_cut_short_is_indexed_again_from_the_turns_as_they_are(
    engine: Engine, admin: TestClient, ranked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = add_conversation(engine, "t", "erlang deadlock", "mailbox")
    add_conversation(engine, "t", "kafka lag", "consumer")
    stored, start = search_index._store_chunk, watermark(engine)  # turn ids run on across tests

    def failing(engine: Engine, *, store: Any, bounds: dict[str, int]) -> None:
        if bounds["mark"] != start:
            raise RuntimeError("the second chunk failed")
        stored(engine, store=store, bounds=bounds)

    monkeypatch.setattr(search_index, "_store_chunk", failing)
    with pytest.raises(RuntimeError, match="the second chunk failed"):
        index_pending(engine, rows=2, connections=2)
    # The first chunk committed, the watermark did not move.
    assert (watermark(engine), vectors(engine)) == (start, 2)
    runner = CliRunner()
    result = runner.invoke(cli_module.cli, ["search", "status"])
    assert "problem: turn_search: 2 vectors above the watermark" in result.output
    edit_first_turn(
        engine, first, "istio mesh"
    )  # above the watermark: the trigger leaves its vector as it is
    monkeypatch.setattr(search_index, "_store_chunk", stored)
    assert index_pending(engine, rows=2, connections=2).indexed == {"turn_search": 4}
    assert vectors(engine) == 4
    assert runner.invoke(cli_module.cli, ["search", "status"]).exit_code == 0
    assert listed(admin, "/admin/conversations?q=istio+mesh") == [first]
    assert listed(admin, "/admin/conversations?q=erlang+deadlock") == []


def test_a_turn_edited_during_a_round_gets_the_vector_of_its_new_text(
    engine: Engine, admin: TestClient, ranked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round's lead holds the state row until the watermark is raised: the update trigger of a turn
    edited after its chunk was stored waits for it, then rewrites the vector."""
    edited = add_conversation(engine, "t", "erlang deadlock", "mailbox")
    add_conversation(engine, "t", "kafka lag", "consumer")
    stored, start = search_index._store_chunk, watermark(engine)
    editors: list[threading.Thread] = []

    def then_edit(engine: Engine, *, store: Any, bounds: dict[str, int]) -> None:
        stored(engine, store=store, bounds=bounds)
        if bounds["mark"] == start:  # the edited turn's chunk is stored and committed
            editor = threading.Thread(target=edit_first_turn, args=(engine, edited, "istio mesh"))
            editor.start()
            editor.join(BLOCKED_SECONDS)
            assert editor.is_alive()  # its trigger waits for the round's watermark
            editors.append(editor)

    monkeypatch.setattr(search_index, "_store_chunk", then_edit)
    assert index_pending(engine, rows=2, connections=2).indexed == {"turn_search": 4}
    editors[0].join(10)
    assert not editors[0].is_alive()
    assert listed(admin, "/admin/conversations?q=istio+mesh") == [edited]
    assert listed(admin, "/admin/conversations?q=erlang+deadlock") == []
    assert CliRunner().invoke(cli_module.cli, ["search", "status"]).exit_code == 0


@pytest.mark.parametrize(("setting", "rounds"), [("1", [1, 2, 3, 4]), ("3", [3, 4])])
def test_the_job_indexes_side_by_side_with_the_connections_set(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, setting: str, rounds: list[int]
) -> None:
    add_conversation(engine, "t", "one", "two")
    add_conversation(engine, "t", "three", "four")
    monkeypatch.setenv("PAIRWISE_SEARCH_INDEX_CONNECTIONS", setting)
    get_settings.cache_clear()
    calls: list[int] = []
    index_pending(engine, rows=1, progress=lambda done, total: calls.append(done))
    assert calls == rounds


@pytest.mark.parametrize(("pool", "rounds"), [(1, [2, 4, 6]), (3, [4, 6])])
def test_a_round_never_waits_for_a_connection_of_its_own_pool(
    engine: Engine, pool: int, rounds: list[int]
) -> None:
    """The lead holds one connection while its chunks run: a round has at most the pool's size less one
    chunks, whatever the setting asks for. A pool of one stores each chunk in the lead (with more, the chunks
    would wait for the lead's connection until the pool's timeout)."""
    small = build_engine(
        str(engine.url.render_as_string(hide_password=False)), pool_size=pool, max_overflow=0, pool_timeout=2
    )
    try:
        for i in range(3):
            add_conversation(engine, "t", f"first {i}", f"second {i}")
        calls: list[int] = []
        result = index_pending(small, rows=2, connections=8, progress=lambda done, total: calls.append(done))
        assert result.indexed == {"turn_search": 6}
        assert calls == rounds
    finally:
        small.dispose()
