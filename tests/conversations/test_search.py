"""Conversation search on both backends, and on PostgreSQL through both of its plans (index and probe)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, text
from starlette.testclient import TestClient

from app.conversations import search
from app.conversations.search_index import index_pending
from app.db import session_scope
from tests.conftest import only_postgres
from tests.conversations.test_views import add_conversation, listed

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")


@pytest.fixture(params=["index", "probe"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Force either plan: the index path when any number of matches counts as few, else the probe."""
    monkeypatch.setattr(search, "FEW_MATCHES", 10**12 if request.param == "index" else -1)
    return str(request.param)


def test_both_plans_find_the_same_conversations(engine: Engine, admin: TestClient, plan: str) -> None:
    titled = add_conversation(engine, "Deploying Kubernetes", "hello")
    in_text = add_conversation(engine, "other", "hi", "you could use kubernetes here")
    phrase = add_conversation(engine, "t", "an erlang deadlock in the scheduler")
    apart = add_conversation(engine, "t", "a deadlock, then erlang again")
    snake = add_conversation(engine, "t", "call my_func(x) twice")
    add_conversation(engine, "unrelated", "nothing to see")
    index_pending(engine)  # the index plan reads the index, not the rows waiting for it
    assert listed(admin, "/admin/conversations?q=KUBERNETES") == [in_text, titled]
    assert listed(admin, "/admin/conversations?q=kube") == [in_text, titled]
    assert listed(admin, "/admin/conversations?q=erlang+deadlock") == [phrase]
    assert listed(admin, "/admin/conversations?q=deadlock") == [apart, phrase]
    assert listed(admin, "/admin/conversations?q=my_func(") == [snake]
    assert listed(admin, "/admin/conversations?q=xylophonequartz") == []


def test_search_words_split_like_the_simple_parser() -> None:
    assert search.search_words("My_Func(x) 100% Café") == ["my", "func", "x", "100", "café"]
    assert search.search_words("% _ ()") == []


def test_the_gin_indexes_exist_on_postgresql_only(engine: Engine) -> None:
    """PostgreSQL: GIN over the stored turn vectors, their pairs of adjacent words and the title expression,
    none over turn text (an insert would compute its vector). SQLite has no such index (its FTS5 tables are tested elsewhere)."""
    postgres = engine.dialect.name == "postgresql"
    query = (
        "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%search%'"
        if postgres
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_%search%'"
    )
    with engine.connect() as connection:
        names = set(connection.execute(text(query)).scalars())
    expected = {
        "ix_turn_search_vector",
        "ix_turn_search_unindexable",
        "ix_turn_search_pairs",
        "ix_turn_search_no_pairs",
        "ix_conversation_title_search",
    }
    assert names == (expected if postgres else set())


def test_postgres_query_looks_up_whole_words_and_a_prefix_last() -> None:
    """Words followed by more of the query end where a word of the text ends; only the last may go on."""
    assert search.ts_query("erlang deadl") == "erlang & deadl:*"
    assert search.ts_query("my_func(") == "my & func:*"
    assert search.ts_query("Kube") == "kube:*"


@only_postgres
def test_postgres_counts_rare_words_instead_of_trusting_the_planner(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner guesses 0.5% of the table for a word outside its statistics: such queries are counted."""
    for _ in range(3):
        add_conversation(engine, "t", "zookeeper quorum", "kafka")
    index_pending(engine)
    monkeypatch.setattr(
        search, "_common_words", lambda session, column="vector": frozenset({"kafka", "quorum"})
    )
    monkeypatch.setattr(search, "_estimated_rows", lambda session, query: 12345.0)
    with session_scope(engine, read_only=True) as session:

        def candidates(query: str, cap: int = search.FEW_MATCHES) -> float:
            found, ids = search._postgres_candidates(
                session, query, search._turn_words(session, query), cap=cap
            )
            assert ids is None or len(ids) == found  # the ids of the turns counted
            return found

        assert candidates("zookeeper") == 3  # counted in the index
        assert candidates("zookeeper quorum") == 3
        assert candidates("xylophonequartz") == 0
        assert candidates("kafka") == 12345.0  # common: the planner knows it
        assert candidates("quo") == 12345.0  # a prefix of a common word
        assert candidates("zookeeper", cap=1) == 2  # capped at cap + 1


@only_postgres
def test_postgres_counts_a_phrase_where_its_words_stand_together(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query of spaced words is counted as the phrase the stored vectors can tell, not as its words
    anywhere in a turn: the count decides whether the search is ranked, and the ranked search reads
    only the turns that hold the phrase."""
    for _ in range(3):
        add_conversation(engine, "t", "the zookeeper quorum was lost")
    for _ in range(4):
        add_conversation(engine, "t", "quorum lost; zookeeper restarted")
    index_pending(engine)
    monkeypatch.setattr(search, "_common_words", lambda session, column="vector": frozenset())
    with session_scope(engine, read_only=True) as session:

        def candidates(query: str) -> float:
            found, ids = search._postgres_candidates(
                session, query, search._turn_words(session, query), cap=100
            )
            assert ids is not None
            assert len(ids) == found
            return found

        assert candidates("zookeeper quorum") == 3
        assert candidates("zookeeper quo") == 3  # the last word a prefix, in the phrase too
        assert candidates("quorum lost") == 4
        assert candidates("zookeeper, quorum") == 7  # not spaced words: the words anywhere


def counted_and_ranked(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, query: str
) -> tuple[list[int], str, str]:
    """`query` with every word rare (so counted), ranked: the conversations found, the ranked statement
    (literal values) and its plan."""
    monkeypatch.setattr(search, "_common_words", lambda session, column="vector": frozenset())
    with session_scope(engine, read_only=True) as session:
        plan = search.plan_search(session, query)
        assert plan.ranked is not None
        ranked = select(plan.ranked.c.conversation_id)
        found = list(session.execute(ranked).scalars())
        compiled = str(ranked.compile(bind=engine, compile_kwargs={"literal_binds": True}))
        explained = "\n".join(session.execute(text(f"EXPLAIN {compiled}")).scalars())
    return found, compiled, explained


@only_postgres
def test_postgres_ranks_the_turns_its_count_found_by_their_ids(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A counted search hands the turns it found to the ranking, which reads them by id instead of
    looking the words up and checking the phrase again (half of a phrase search's work)."""
    phrase = add_conversation(engine, "t", "the zookeeper quorum was lost")
    add_conversation(engine, "t", "quorum lost; zookeeper restarted")
    index_pending(engine)
    found, compiled, ranked_plan = counted_and_ranked(engine, monkeypatch, "zookeeper quorum")
    assert found == [phrase]
    assert "turn_search.turn_id = ANY (ARRAY[" in compiled
    assert "turn_search.pairs @@" not in compiled
    assert "turn_search.vector @@" not in compiled
    assert "ix_turn_search_pairs" not in ranked_plan
    assert "ix_turn_search_vector" not in ranked_plan
    assert "Seq Scan on turn_search" not in ranked_plan


@only_postgres
def test_postgres_estimates_common_words_as_typed(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner is asked about the query as typed, its last word a prefix, not about the words that
    prefix begins OR-ed: it would add a default share of the table for each one outside its statistics
    ("unicode", which begins 40 listed words in 40,000 turns of real source text: 6,861 estimated, 1,132
    found, 901 estimated as typed). A phrase is judged by its pairs of adjacent words, by the statistics of
    the stored pairs: common words may seldom stand together."""
    add_conversation(engine, "t", "kafka kafkaesque kafkas kafka_topic kafka2", "lag kafka", "lag zebra")
    index_pending(engine)
    asked: list[str] = []

    def estimated(session: object, query: object) -> float:
        asked.append(str(query.compile(compile_kwargs={"literal_binds": True})))  # type: ignore[attr-defined]
        return 7.0

    def common(session: object, column: str = "vector") -> frozenset[str]:
        return frozenset({"kafka", "lag", "zebra"} if column == "vector" else {"lag kafka"})

    monkeypatch.setattr(search, "_common_words", common)
    monkeypatch.setattr(search, "_estimated_rows", estimated)
    with session_scope(engine, read_only=True) as session:

        def candidates(query: str) -> tuple[float, list[int] | None]:
            return search._postgres_candidates(session, query, search._turn_words(session, query), cap=100)

        words = search._turn_words(session, "kafk")
        assert words is not None
        assert "kafkaesque" in str(words.compile(compile_kwargs={"literal_binds": True}))
        assert candidates("kafk") == (7.0, None)
        assert candidates("lag kafk") == (7.0, None)  # a common pair
        found, ids = candidates("lag zeb")  # common words, a pair outside the statistics: counted
        assert found == 1
        assert ids is not None
        # While the job fills the pairs of vectors stored before them, the pairs' statistics cover only some
        # vectors: a phrase is judged by its words, as before the pairs existed.
        words = search._turn_words(session, "lag zeb")
        assert search._postgres_candidates(session, "lag zeb", words, cap=100, paired=False) == (7.0, None)
    assert len(asked) == 3
    assert "turn_search.vector @@ to_tsquery('simple'::regconfig, 'lag & zeb:*')" in asked[2]
    assert "to_tsquery('simple'::regconfig, 'kafk:*')" in asked[0]
    assert "kafkaesque" not in asked[0]
    assert "turn_search.pairs @@ CAST(lower('''lag kafk'':*') AS TSQUERY)" in asked[1]


@only_postgres
def test_common_words_come_from_the_index_statistics(engine: Engine) -> None:
    for i in range(30):
        add_conversation(engine, "t", f"kafka partition {i}")
    index_pending(engine)
    search._common_cache.clear()
    with engine.begin() as connection:  # the job analyzes it itself after a large batch
        connection.execute(text("ANALYZE turn_search"))
    with session_scope(engine, read_only=True) as session:
        common = search._common_words(session)
    search._common_cache.clear()
    assert common is not None
    assert {"kafka", "partition"} <= common


@pytest.mark.parametrize(
    ("query", "spaced"),
    [
        ("erlang deadlock", True),
        ("  erlang   deadlock. ", True),
        ("erlang", False),
        ("x foo-bar", False),
        ("my_func call", False),
        ("erlang, deadlock", False),
    ],
)
def test_spaced_words(query: str, spaced: bool) -> None:
    assert search.spaced_words(query) is spaced


def test_postgres_ranks_fewer_matches_in_a_smaller_index() -> None:
    """Ranking reads every match; newest first probes about turns / matches turns a hit: the bound on ranked
    matches grows with the square root of the indexed turns, up to FEW_MATCHES, and never under a floor."""
    assert search.few_matches(4_534_996) == search.FEW_MATCHES  # a million conversations
    assert search.few_matches(226_754) == 3_688  # 50,000: a word in 9,700 turns took 92 ms ranked, 11 ms not
    assert search.few_matches(39_992) == 1_549  # real code: 1,132 matches rank in 48 ms, 7,088 would take 220
    assert search.few_matches(10_000) == search.RANKED_AT_LEAST
    assert search.few_matches(0) == search.RANKED_AT_LEAST
    # Four times the turns, twice the bound.
    assert [search.few_matches(turns) for turns in (100_000, 400_000, 1_600_000)] == [2_449, 4_898, 9_797]


@only_postgres
def test_postgres_lists_a_word_newest_first_when_it_is_common_for_the_index_size(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        add_conversation(engine, "t", f"kafka lag {i}", "ok")
    index_pending(engine)
    monkeypatch.setattr(
        search, "_common_words", lambda session, column="vector": frozenset()
    )  # counted, not estimated
    asked: list[int] = []

    def bound(limit: int) -> Callable[[int], int]:
        def few_matches(indexed_turns: int) -> int:
            asked.append(indexed_turns)
            return limit

        return few_matches

    with session_scope(engine, read_only=True) as session:
        monkeypatch.setattr(search, "few_matches", bound(3))
        assert search.plan_search(session, "kafka").ranked is None  # 6 matches
        assert search.plan_search(session, "kafka lag 3").ranked is not None  # 1
        monkeypatch.setattr(search, "few_matches", bound(34))
        assert search.plan_search(session, "kafka").ranked is not None
        # The bound is asked with the index's watermark (turn ids run on across tests: not a count).
        assert set(asked) == {search._index_state(session)[0]}


@only_postgres
def test_postgres_search_reads_the_vectors_through_their_index_and_compiles_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The planner's estimate for a query of many words can be far off (64 prefix words: 10,683 of 40,000
    turns guessed, 434 found), and under a LIMIT it then scanned every stored vector (160 ms). A search's
    transaction therefore never scans `turn_search`; and since that setting prices the scans it cannot
    avoid above JIT's threshold, JIT is off there (a one-row table's list took 112 ms to compile)."""
    for i in range(4):
        add_conversation(engine, "t", f"socket.accept socket.recv sockets {i}", "ok")
    index_pending(engine)
    # Common words, estimated: the ranked statement finds the turns itself.
    monkeypatch.setattr(
        search, "_common_words", lambda session, column="vector": frozenset({"socket", "sockets"})
    )
    monkeypatch.setattr(search, "_estimated_rows", lambda session, query: 4.0)
    with session_scope(engine, read_only=True) as session:
        plan = search.plan_search(session, "sock")
        assert plan.ranked is not None
        compiled = select(plan.ranked.c.conversation_id).compile(
            bind=engine, compile_kwargs={"literal_binds": True}
        )
        ranked_plan = "\n".join(session.execute(text(f"EXPLAIN {compiled}")).scalars())
        # Four rows: without the setting the planner reads them by scanning the table.
        assert "Seq Scan on turn_search" not in ranked_plan
        assert "ix_turn_search_vector" in ranked_plan
        sources_plan = "\n".join(
            session.execute(
                text("EXPLAIN SELECT DISTINCT source FROM import_batch ORDER BY source")
            ).scalars()
        )
        assert "JIT" not in sources_plan


@only_postgres
def test_postgres_reads_no_vector_when_the_count_found_none(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A counted search that found no turn ranks titles and unindexed turns only."""
    titled = add_conversation(engine, "zookeeper quorum notes", "quorum lost; zookeeper restarted")
    index_pending(engine)
    found, compiled, _ = counted_and_ranked(engine, monkeypatch, "zookeeper quorum")
    assert found == [titled]
    assert "turn_search.turn_id = ANY" not in compiled
    assert "turn_search.pairs @@" not in compiled
