"""Conversation search: a case-insensitive substring of the title or of any turn, ranked when it is rare.

The substring test is the same on both backends and decides what matches. A full-text index finds the
candidates first (app/conversations/search_index.py): on PostgreSQL the stored vectors of `turn_search`
(GIN; a phrase by the vectors' pairs of adjacent words, GIN as well) and a GIN index over
`to_tsvector('simple', title)`, on SQLite FTS5 tables. When the index holds at
most FEW_MATCHES candidate turns (on PostgreSQL fewer in a smaller index: `few_matches`), every match is scored (bm25 on SQLite, ts_rank of the stored vector on
PostgreSQL; a conversation scores by its best turn or title) and listed best first. When it holds more (a
common word), ranking every match would read them all: the list is then newest first, from a scan that
probes each conversation's turns and stops at the first page of hits, which for a common word is soon.

The turn index trails the imports (a job fills it): turns above its watermark are matched with LIKE /
ILIKE and listed after the ranked ones, so a search right after an import still finds them. Only on the
index path, a fragment from inside a word ("ubernetes") finds nothing while the probe path finds it: a
query's first word must begin a word of the text.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    any_,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR
from sqlmodel import Session, col

from app.conversations.models import Conversation, Turn
from app.conversations.search_index import PAIRS_CURSOR, TITLES, TURN_VECTORS, TURN_WORDS, TURNS, has_fts

# `simple`: no stemming or stop words, so a word's prefix in the query is a prefix of the stored token.
SEARCH_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 16
# Up to this many matching turns in the index, the matches are ranked; above it, newest first.
FEW_MATCHES = 10_000
# PostgreSQL bounds the ranked case by the index's size as well (`few_matches`): ranking reads every match,
# the newest-first scan probes about turns / matches turns for each hit it lists, so the two cost the same
# where matches x (cost of ranking one) = turns / matches x (cost of probing for one hit), near
# sqrt(turns x the ratio of those costs). Measured on two corpora, that ratio was 54 (short generated turns,
# 227,000 of them: 8 µs a match against 0.43 ms) and 62 (turns of real source code, 40,000: 40 µs against
# 2.5 ms). Never below RANKED_AT_LEAST, never above FEW_MATCHES.
RANK_TURNS_FACTOR = 60
RANKED_AT_LEAST = 1_000
# A last word that begins more indexed words than this is looked up as a prefix (`_turn_words`).
MAX_PREFIX_WORDS = 64
# PostgreSQL's work_mem for a search (the transaction's only): room for an exact bitmap of its candidates.
SEARCH_WORK_MEM = "32MB"
# PostgreSQL's stored turn vectors (migration 13be455bd874; not in the SQLModel metadata: PostgreSQL only).
TURN_SEARCH = table(
    TURN_VECTORS.name,
    column("turn_id", Integer),
    column("vector", TSVECTOR),
    column("exact_positions", Boolean),
    column("pairs", TSVECTOR),
)


@dataclass(slots=True)
class SearchPlan:
    """Either `ranked` (conversation_id, score: lower is better, every match) or a newest-first `where`."""

    ranked: Subquery | None = None
    where: ColumnElement[bool] | None = None

    def as_filter(self) -> ColumnElement[bool]:
        """The conversations that match, as a condition on Conversation.id (for lists that keep their order)."""
        if self.ranked is not None:
            return col(Conversation.id).in_(select(self.ranked.c.conversation_id))
        assert self.where is not None
        return self.where


def plan_search(session: Session, query: str) -> SearchPlan:
    """How to find `query`: ranked through the full-text index when its matches are few, else newest first."""
    dialect = session.get_bind().dialect.name
    if search_words(query):
        if dialect == "postgresql":
            ranked = _postgres_ranked(session, query)
            if ranked is not None:
                return SearchPlan(ranked=ranked)
        elif has_fts(session) and _fts_candidates(session, query) <= FEW_MATCHES:
            return SearchPlan(ranked=_sqlite_ranked(query))
    return SearchPlan(where=_probe(session, query))


def text_match(session: Session, query: str) -> ColumnElement[bool]:
    """Title or any turn contains `query`, case-insensitively; % and _ in it match themselves."""
    return plan_search(session, query).as_filter()


def search_words(query: str) -> list[str]:
    """The query's words as PostgreSQL's `simple` parser splits them (lower-cased letters and digits)."""
    return [w.lower() for w in WORD.findall(query)][:MAX_SEARCH_WORDS]


def search_vector(value: Any) -> ColumnElement[Any]:
    """The indexed expression of the title GIN index (app/conversations/models.search_index)."""
    return func.to_tsvector(SEARCH_CONFIG, value)


def ts_query(query: str) -> str:
    """`query`'s words for PostgreSQL's to_tsquery: each but the last a whole word, the last a prefix.

    The query is a substring of the text, so every word followed by more of the query ends where a word
    of the text ends; only the last may continue ("deadl" in "deadlock"). Whole words are looked up in
    the GIN index directly, several times faster than a prefix, which collects every matching entry.
    """
    words = search_words(query)
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


def spaced_words(query: str) -> bool:
    """`query` has several words, with nothing but white space between them.

    Then wherever a text contains the query, the words stand at consecutive positions of its vector
    (`ts_phrase`). Other separators may not: PostgreSQL's parser reads "foo-bar" as `foo-bar`, `foo`
    and `bar` at three positions, so "x foo-bar" has `x` and `foo` two apart.
    """
    spans = list(WORD.finditer(query))[:MAX_SEARCH_WORDS]
    gaps = (query[a.end() : b.start()] for a, b in itertools.pairwise(spans))
    return len(spans) > 1 and all(gap.isspace() for gap in gaps)


def ts_phrase(query: str) -> str:
    """`query`'s words as one phrase for PostgreSQL's to_tsquery, each next to the one before: `a <-> b:*`
    (for a query of `spaced_words`)."""
    words = search_words(query)
    return " <-> ".join([*words[:-1], f"{words[-1]}:*"])


def fts_phrase(query: str) -> str:
    """`query` as one FTS5 phrase whose last word is a prefix: `"my_func("*`.

    Inside double quotes FTS5 reads every character literally (AND, NEAR, `*`, `-`, `:`, parentheses)
    and splits the text with the index's own tokenizer; a quote is written twice. No user input can
    form FTS5 syntax, so no query is a syntax error.
    """
    return '"' + query.replace('"', '""') + '"*'


def like_pattern(query: str) -> str:
    """A LIKE pattern (escape character `\\`) for `query` as a literal substring."""
    return "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _probe(session: Session, query: str) -> ColumnElement[bool]:
    """Title or any turn contains `query`: probed per conversation, for newest-first pages."""
    in_title = col(Conversation.title).icontains(query, autoescape=True)
    probe = select(col(Turn.id)).where(
        col(Turn.conversation_id) == col(Conversation.id), col(Turn.text).icontains(query, autoescape=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        # OFFSET 0 keeps the probe per conversation: with statistics the planner would otherwise
        # hash every matching turn up front, reading the whole table for a common word.
        probe = probe.offset(0)
    return or_(in_title, probe.exists())


def _fts_candidates(session: Session, query: str) -> int:
    """Indexed turns whose words match `query`'s phrase, counted up to FEW_MATCHES + 1 (cheap either way)."""
    counted = text(
        f"SELECT count(*) FROM (SELECT 1 FROM {TURNS.name} WHERE {TURNS.name} MATCH :phrase LIMIT :cap)"
    )
    return int(session.execute(counted, {"phrase": fts_phrase(query), "cap": FEW_MATCHES + 1}).scalar_one())


def _sqlite_ranked(query: str) -> Subquery:
    """Every matching conversation with its best bm25 (negative; unindexed rows score 0, after the rest)."""
    contains = "lower({0}) LIKE '%' || lower(:needle) || '%' ESCAPE '\\'"
    needle = like_pattern(query)[1:-1]
    parts = []
    for index in (TURNS, TITLES):
        owner = "conversation_id" if index is TURNS else "id"
        matches = contains.format(f"{index.table}.{index.column}")
        unindexed = contains.format(index.column)
        mark = f"(SELECT indexed_to FROM search_index_state WHERE name = '{index.name}')"
        parts.append(
            f"SELECT {index.table}.{owner} AS conversation_id, {index.name}.rank AS score "
            f"FROM {index.name} JOIN {index.table} ON {index.table}.id = {index.name}.rowid "
            f"WHERE {index.name} MATCH :phrase AND {matches}"
        )
        parts.append(
            f"SELECT {owner} AS conversation_id, 0.0 AS score FROM {index.table} "
            f"WHERE id > {mark} AND {unindexed}"
        )
    statement = text(
        "SELECT conversation_id, min(score) AS score FROM ("
        + " UNION ALL ".join(parts)
        + ") GROUP BY conversation_id"
    ).bindparams(phrase=fts_phrase(query), needle=needle)
    return statement.columns(conversation_id=Integer, score=Float).subquery("hits")


def _postgres_ranked(session: Session, query: str) -> Subquery | None:
    """Every matching conversation with its best -ts_rank, or None when the index holds many candidates.

    Indexed turns are found by `_turn_words` and ranked by their stored vector (nothing recomputed per
    candidate); turns above the watermark, and the few too long for a vector, are matched by the substring
    alone and score 0, after the ranked ones.
    """
    # A prefix or common word gathers a large bitmap: with the default 4 MB it turns lossy and every row
    # of its pages is rechecked (4.5 s instead of 0.25 s for a two-word phrase at 1M conversations).
    session.execute(text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
    # This path reads at most FEW_MATCHES candidate turns; starting parallel workers costs more than that
    # (a search that finds nothing: 57 ms with them, 12 ms without, at 1M conversations).
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # The stored vectors are read through their GIN index, never scanned. The planner misjudges a query of
    # many words badly: the last word "socket", looked up as the 64 indexed words it begins, was estimated
    # at 10,683 of 40,000 turns and found in 434, so under the count's LIMIT it scanned every vector (large
    # ones for turns of code, each read from TOAST): 160 ms for the count and as much for the list, against
    # 2.3 and 16 ms from the index (10,000 sessions of real source text, benchmarks/import_speed.py).
    session.execute(text("SET LOCAL enable_seqscan = off"))
    # That setting prices every scan it cannot avoid (a table without a usable index) above the cost at which
    # PostgreSQL compiles a statement with JIT (on by default): the sources list on the same page then took
    # 112 ms instead of 0.1. Searches are short: no JIT in their transaction.
    session.execute(text("SET LOCAL jit = off"))
    # The watermark first: every turn at or below it was indexed, its words listed, before the word list is
    # read below. As a value, not a subquery: the planner then knows how few turns lie above it and reads
    # them through the primary key.
    mark, paired = _index_state(session)
    words = _turn_words(session, query)
    few = few_matches(mark)
    candidates, counted = _postgres_candidates(session, query, words, cap=few, paired=paired)
    if candidates > few:
        return None
    wanted = func.to_tsquery(SEARCH_CONFIG, ts_query(query))
    title, turn_text, vector = col(Conversation.title), col(Turn.text), TURN_SEARCH.c.vector
    contains = turn_text.icontains(query, autoescape=True)
    # Each candidate's turn is looked up by id (`turn_hit`). As a plain join the planner may start from the turn side
    # instead (a full scan for the substring, 7 s at 1M conversations) when it believes the substring
    # rarer than the words, which it does for any word outside its statistics; LATERAL ... OFFSET 0
    # keeps the index scan of `turn_search` first.
    turn = (
        select(col(Turn.conversation_id).label("conversation_id"))
        .where(col(Turn.id) == TURN_SEARCH.c.turn_id, contains)
        .offset(0)
        .lateral("turn_hit")
    )
    # Turns too long for a tsvector are indexed without one (a few; a partial index lists them).
    unindexable_hits = (
        select(turn.c.conversation_id, literal(0.0, Float).label("score"))
        .select_from(TURN_SEARCH.join(turn, true()))
        .where(vector.is_(None))
    )
    fresh_hits = select(
        col(Turn.conversation_id).label("conversation_id"), literal(0.0, Float).label("score")
    ).where(col(Turn.id) > mark, contains)
    titled = func.coalesce(title, "")
    title_hits = select(
        col(Conversation.id).label("conversation_id"),
        (-func.ts_rank(search_vector(titled), wanted)).label("score"),
    ).where(search_vector(titled).op("@@")(wanted), title.icontains(query, autoescape=True))
    parts: list[Select[Any]] = [unindexable_hits, fresh_hits, title_hits]
    # None: no stored vector holds a word that begins with the last one; [] the count found no turn.
    if words is not None and counted != []:
        # Ranked by the query as typed (its last word a prefix), whichever words found the turn.
        indexed_hits = (
            select(turn.c.conversation_id, (-func.ts_rank(vector, wanted)).label("score"))
            .select_from(TURN_SEARCH.join(turn, true()))
            # The turns the count found, when it counted: read by id, not looked up and checked again.
            .where(
                _indexed_matches(query, words)
                if counted is None
                else TURN_SEARCH.c.turn_id == any_(literal(counted, ARRAY(Integer)))
            )
        )
        parts.insert(0, indexed_hits)
    hits = union_all(*parts).subquery("matches")
    return (
        select(hits.c.conversation_id, func.min(hits.c.score).label("score"))
        .group_by(hits.c.conversation_id)
        .subquery("hits")
    )


def _indexed_matches(query: str, words: ColumnElement[Any]) -> ColumnElement[bool]:
    """The stored vectors that can hold `query`: they have its words (`_turn_words`) and, for a query of
    `spaced_words`, its pairs of adjacent words (`pairs_query`), where the vector has pairs.

    A query of several words is looked up by its pairs: at 1M conversations "disk config" has 64,529 turns
    with both words and 1,225 with the phrase, and testing the phrase on each of the 64,529 vectors took
    300 ms. A query of three words or more also needs its pairs in a row, which the vector tells. A vector
    without every position of its words has no pairs, and is found by its words (a partial index lists
    those few).
    """
    vector = TURN_SEARCH.c.vector
    matches = vector.op("@@")(words)
    if not spaced_words(query):
        return matches
    paired: ColumnElement[bool] = TURN_SEARCH.c.pairs.op("@@")(pairs_query(query))
    if len(search_words(query)) > 2:
        paired = and_(paired, vector.op("@@")(func.to_tsquery(SEARCH_CONFIG, ts_phrase(query))))
    return or_(paired, and_(TURN_SEARCH.c.pairs.is_(None), matches))


def word_pairs(query: str) -> list[str]:
    """The pair lexemes of a query of `spaced_words`: each word and the next, "first second" (as
    `turn_search_pairs` stores them, migration c5d7e9a1b3f2); the last pair is looked up as a prefix."""
    words = search_words(query)
    return [f"{first} {second}" for first, second in itertools.pairwise(words)]


def pairs_query(query: str) -> ColumnElement[Any]:
    """The tsquery of `word_pairs`, all of them, the last a prefix (lower-cased by PostgreSQL, as the
    `simple` dictionary lower-cased the stored words)."""
    pairs = [tsquery_word(pair) for pair in word_pairs(query)]
    return cast(func.lower(" & ".join([*pairs[:-1], f"{pairs[-1]}:*"])), TSQUERY)


def tsquery_word(word: str) -> str:
    """`word` as one lexeme of PostgreSQL's tsquery input, taken as it is (no parser, no dictionary)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _turn_words(session: Session, query: str) -> ColumnElement[Any] | None:
    """The tsquery that finds `query`'s candidate turns in their stored vectors, or None when none can hold it.

    `ts_query`'s words, with its last word, a prefix, replaced by the listed words that begin with it, OR-ed
    (`turn_search_words` holds every word of the stored vectors): GIN intersects whole words entry by entry,
    where a prefix first gathers every entry of every word that begins with it (at 1M conversations
    "erlang deadlock" took 77 ms for that, 33 ms as whole words). A prefix that begins more than
    MAX_PREFIX_WORDS words stays a prefix. None: no stored vector holds a word that begins with it.
    """
    words = search_words(query)
    # The words from the prefix on, in order (C collation: code point order, the prefix's words first); a
    # range of the primary key whatever plan a prepared statement gets. Lower-cased by PostgreSQL, as the
    # `simple` dictionary lower-cased the stored words.
    following = text(
        f"SELECT prefix, word FROM (SELECT lower(:last) AS prefix) AS typed "
        f"LEFT JOIN LATERAL (SELECT word FROM {TURN_WORDS} WHERE word >= typed.prefix ORDER BY word "
        "LIMIT :n) AS listed ON true"
    )
    rows = session.execute(following, {"last": words[-1], "n": MAX_PREFIX_WORDS + 1}).all()
    found = [word for prefix, word in rows if word is not None and word.startswith(prefix)]
    if len(found) > MAX_PREFIX_WORDS:
        return func.to_tsquery(SEARCH_CONFIG, ts_query(query))
    if not found:
        return None
    either = cast(literal("(" + " | ".join(tsquery_word(w) for w in found) + ")"), TSQUERY)
    if len(words) == 1:
        return either
    return func.to_tsquery(SEARCH_CONFIG, " & ".join(words[:-1])).op("&&")(either)


def _index_state(session: Session) -> tuple[int, bool]:
    """The turn index's watermark (every turn at or below it has its vector in `turn_search`), and whether
    every vector has the pairs it should (False while the job fills those of vectors stored before them)."""
    marks = dict(
        session.execute(
            text("SELECT name, indexed_to FROM search_index_state WHERE name IN (:vectors, :pairs)"),
            {"vectors": TURN_VECTORS.name, "pairs": PAIRS_CURSOR},
        ).all()
    )
    return int(marks.get(TURN_VECTORS.name) or 0), PAIRS_CURSOR not in marks


def few_matches(indexed_turns: int) -> int:
    """PostgreSQL: the most matches a search ranks, with `indexed_turns` turns in the index (its watermark).

    At 50,000 generated conversations (227,000 turns) a word in 9,700 of them was ranked in 92 ms (p50; 110
    to 120 ms p95) and listed newest first in 11 ms: the bound there is 3,688. In 10,000 sessions of real
    source code (40,000 turns, bound 1,549), the matches of a word in 1,132 turns were ranked in 48 ms (108 newest
    first), those of one in 7,088 in 220 ms (14 newest first). From 1.7 million turns on it is FEW_MATCHES.
    """
    return min(FEW_MATCHES, max(RANKED_AT_LEAST, math.isqrt(max(indexed_turns, 0) * RANK_TURNS_FACTOR)))


def _postgres_candidates(
    session: Session, query: str, words: ColumnElement[Any] | None, *, cap: int, paired: bool = True
) -> tuple[float, list[int] | None]:
    """How many indexed turns match `query` (`_indexed_matches`): estimated, or counted up to `cap` + 1;
    and when counted, the ids of the turns found.

    The planner's estimate is good for words in the index statistics' most common elements; for any other
    word it falls back to a fixed share of the table (0.5%: over 20,000 turns at 1M conversations), which
    would send every rare word and every miss to the newest-first scan, a full scan for a miss. A query
    with such a word is therefore counted in the index, capped: the rare word bounds the bitmap it reads.
    A query of `spaced_words` is judged by its pairs of adjacent words, as it is looked up: two common
    words may seldom stand together, and a rare phrase listed newest first reads every turn ("def main",
    in 38 conversations of the real-text corpus: 406 ms). While vectors stored before they had pairs wait
    for theirs (`paired` False), the pairs' statistics cover only some vectors: the query is judged by its
    words, as before the pairs existed.
    """
    if words is None:  # `_turn_words`: no stored vector holds a word that begins with the last one
        return 0.0, []
    phrase = paired and spaced_words(query)
    terms = word_pairs(query) if phrase else search_words(query)
    common = _common_words(session, "pairs" if phrase else "vector")
    last = len(terms) - 1
    if common is None or all(_is_common(t, common, prefix=i == last) for i, t in enumerate(terms)):
        # Estimated as typed, the last word a prefix: the planner adds up the statistics of the common words
        # it begins. The listed words OR-ed (`words`) would add a default share for each one outside the
        # statistics: in 10,000 sessions of real source text "unicode" begins 40 listed words and was
        # estimated at 6,861 of 40,000 turns (newest first, 106 ms); as typed 901; found in 1,132.
        typed = (
            TURN_SEARCH.c.pairs.op("@@")(pairs_query(query))
            if phrase
            else TURN_SEARCH.c.vector.op("@@")(func.to_tsquery(SEARCH_CONFIG, ts_query(query)))
        )
        return _estimated_rows(session, select(TURN_SEARCH.c.turn_id).where(typed)), None
    found = select(TURN_SEARCH.c.turn_id).where(_indexed_matches(query, words)).limit(cap + 1)
    ids = list(session.execute(found).scalars())
    return float(len(ids)), ids


def _is_common(word: str, common: frozenset[str], *, prefix: bool) -> bool:
    return word in common or (prefix and any(c.startswith(word) for c in common))


_common_cache: dict[tuple[str, str], tuple[float, frozenset[str] | None]] = {}
COMMON_WORDS_SECONDS = 300.0


def _common_words(session: Session, column: str = "vector") -> frozenset[str] | None:
    """The most common lexemes of `turn_search.<column>` (its words, or its `pairs`) by PostgreSQL's
    statistics (None before any ANALYZE).

    Read at most every COMMON_WORDS_SECONDS per process: statistics change only when the table is analyzed.
    """
    key = (str(session.get_bind().engine.url), column)
    now = time.monotonic()
    hit = _common_cache.get(key)
    if hit is not None and now - hit[0] < COMMON_WORDS_SECONDS:
        return hit[1]
    row = session.execute(
        text(
            "SELECT most_common_elems::text::text[] FROM pg_stats "
            "WHERE tablename = :table AND attname = :column AND most_common_elems IS NOT NULL"
        ),
        {"table": TURN_VECTORS.name, "column": column},
    ).first()
    words = frozenset(row[0]) if row is not None else None
    _common_cache[key] = (now, words)
    return words


def _estimated_rows(session: Session, query: Select[Any]) -> float:
    """The planner's row estimate for `query` (reads statistics, not the table)."""
    compiled = query.compile(bind=session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])
