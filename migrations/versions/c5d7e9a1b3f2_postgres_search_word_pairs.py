"""PostgreSQL: each stored turn vector keeps its pairs of adjacent words, under a GIN index of their own

Revision ID: c5d7e9a1b3f2
Revises: f3a81c2d9b57
Create Date: 2026-12-05 14:30:00.000000

A search of several words found its candidate turns by the words alone, then read every candidate's vector
to test that they stand together: at 1M conversations "disk config" has 64,529 turns with both words and
1,225 with the phrase, and reading the 64,529 took 300 ms. `turn_search.pairs` holds each pair of words at
consecutive positions of the vector as one lexeme ("disk config"), so GIN finds the turns with the phrase
itself (`turn_search_pairs`). Only a vector that holds every position of its words (`exact_positions`) has
pairs; the others, and turns too long for a vector, keep NULL and are found by their words, as before (a
partial index lists those few). The trigger that rewrites an indexed turn's vector when its text changes
rewrites its pairs too.

The vectors stored before keep their place and get NULL pairs: search finds them by their words, as before
this migration, and stays as fast as it was. When there are any, the migration adds the state row
`turn_search_pairs` (its `indexed_to` a cursor over turn ids, 0), and the `search_index` job fills their
pairs in short transactions behind it (app/conversations/search_index.fill_pairs), then drops the row. An
earlier form of this migration emptied `turn_search` instead: at 1M conversations search then read every
turn with ILIKE for the 14 minutes the job took to index them again. Downgrade drops the pairs and the
cursor and keeps the vectors.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c5d7e9a1b3f2"
down_revision: str | None = "f3a81c2d9b57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The state row of the job that fills the pairs of the vectors stored before (app/conversations/search_index).
PAIRS_CURSOR = "turn_search_pairs"

# Every two lexemes at consecutive positions, as one lexeme "first second" (a lexeme of the `simple`
# parser never holds a space). Each position holds one lexeme in a vector with exact positions.
PAIRS_FUNCTION = """
CREATE FUNCTION turn_search_pairs(words tsvector) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(adjacent.pair)), ''::tsvector) FROM (
        SELECT placed.word || ' ' || lead(placed.word) OVER ordered AS pair,
               lead(placed.position) OVER ordered - placed.position AS gap
        FROM (SELECT entry.lexeme AS word, unnest(entry.positions) AS position FROM unnest(words) AS entry)
            AS placed
        WINDOW ordered AS (ORDER BY placed.position)
    ) AS adjacent
    WHERE adjacent.gap = 1
$$
"""


def _update_function(with_pairs: bool) -> str:
    """The trigger function of 13be455bd874, writing the pairs too when `with_pairs`."""
    columns = "turn_id, vector, exact_positions" + (", pairs" if with_pairs else "")
    values = "NEW.id, words, exact" + (
        ", CASE WHEN exact THEN turn_search_pairs(words) END" if with_pairs else ""
    )
    updates = "vector = EXCLUDED.vector, exact_positions = EXCLUDED.exact_positions" + (
        ", pairs = EXCLUDED.pairs" if with_pairs else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION turn_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words tsvector;
    exact boolean;
BEGIN
    IF NEW.id <= (SELECT indexed_to FROM search_index_state WHERE name = 'turn_search' FOR SHARE) THEN
        BEGIN
            words := to_tsvector('simple'::regconfig, NEW.text);
        EXCEPTION WHEN program_limit_exceeded THEN  -- over a tsvector's 1 MB: searched with ILIKE
            words := NULL;
        END;
        exact := turn_search_exact(NEW.text, words);
        INSERT INTO turn_search ({columns}) VALUES ({values})
        ON CONFLICT (turn_id) DO UPDATE SET {updates};
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE turn_search ADD COLUMN pairs TSVECTOR")
    op.execute(PAIRS_FUNCTION)
    op.execute(_update_function(with_pairs=True))
    op.execute("CREATE INDEX ix_turn_search_pairs ON turn_search USING gin (pairs)")
    # Lists the vectors without pairs: the few that keep no exact positions and, until the job has filled
    # theirs, every vector stored before.
    op.execute("CREATE INDEX ix_turn_search_no_pairs ON turn_search (turn_id) WHERE pairs IS NULL")
    op.execute(
        f"INSERT INTO search_index_state (name, indexed_to) SELECT '{PAIRS_CURSOR}', 0 "
        "WHERE EXISTS (SELECT 1 FROM turn_search)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DELETE FROM search_index_state WHERE name = '{PAIRS_CURSOR}'")
    op.execute("DROP INDEX ix_turn_search_no_pairs")
    op.execute("DROP INDEX ix_turn_search_pairs")
    op.execute(_update_function(with_pairs=False))
    op.execute("ALTER TABLE turn_search DROP COLUMN pairs")
    op.execute("DROP FUNCTION turn_search_pairs(tsvector)")
