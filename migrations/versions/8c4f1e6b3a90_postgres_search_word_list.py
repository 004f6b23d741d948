"""the words of PostgreSQL's stored turn vectors, for the last word of a search

Revision ID: 8c4f1e6b3a90
Revises: 5e0c8a7d2f61
Create Date: 2026-12-05 00:10:00.000000

A search's last word is a prefix ("erlang deadl" finds "deadlock"). As a tsquery prefix (`deadl:*`) GIN
gathers every entry of every matching word into one bitmap before it can intersect it with the other
words: 77 ms for `deadlock:*` at 1M conversations, where the same AND with whole words takes 33 ms.
`turn_search_words` lists each distinct word of the stored vectors once (C collation: a LIKE prefix is a
range of its primary key), so search can replace the prefix by the few words that begin with it, OR-ed,
which GIN intersects entry by entry. The index job adds a chunk's words with its vectors, the update
trigger adds an edited turn's; words are never removed (a word no turn holds any more costs nothing),
so the list always holds every word of every stored vector. Existing vectors' words are listed here.
PostgreSQL only, like `turn_search` (migration 13be455bd874).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8c4f1e6b3a90"
down_revision: str | None = "5e0c8a7d2f61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# In word order, so two transactions adding the same new words wait on each other instead of deadlocking.
ADD_WORDS = (
    "INSERT INTO turn_search_words (word) SELECT DISTINCT word FROM {source}, "
    "unnest(tsvector_to_array({vector})) AS word ORDER BY word ON CONFLICT DO NOTHING"
)

UPDATE_FUNCTION = """
CREATE OR REPLACE FUNCTION turn_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    words tsvector;
BEGIN
    IF NEW.id <= (SELECT indexed_to FROM search_index_state WHERE name = 'turn_search' FOR SHARE) THEN
        BEGIN
            words := to_tsvector('simple'::regconfig, NEW.text);
        EXCEPTION WHEN program_limit_exceeded THEN  -- over a tsvector's 1 MB: searched with ILIKE
            words := NULL;
        END;
        INSERT INTO turn_search (turn_id, vector, exact_positions)
        VALUES (NEW.id, words, turn_search_exact(NEW.text, words))
        ON CONFLICT (turn_id) DO UPDATE SET vector = EXCLUDED.vector, exact_positions = EXCLUDED.exact_positions;
        {add_words}
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        'CREATE TABLE turn_search_words (word TEXT COLLATE "C" NOT NULL, '
        "CONSTRAINT pk_turn_search_words PRIMARY KEY (word))"
    )
    op.execute(ADD_WORDS.format(source="turn_search", vector="vector"))
    add_words = ADD_WORDS.format(source="(SELECT 1) AS edited", vector="words") + ";"
    op.execute(UPDATE_FUNCTION.replace("{add_words}", add_words))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(UPDATE_FUNCTION.replace("{add_words}", ""))
    op.execute("DROP TABLE turn_search_words")
