"""the words of PostgreSQL's stored turn vectors, for the last word of a search

Revision ID: 8c4f1e6b3a90
Revises: 5e0c8a7d2f61
Create Date: 2026-12-05 00:10:00.000000

A search's last word is a prefix ("erlang deadl" finds "deadlock"). As a tsquery prefix (`deadl:*`) GIN
gathers every entry of every matching word into one bitmap before it can intersect it with the other
words: 77 ms for `deadlock:*` at 1M conversations, where the same AND with whole words takes 33 ms.
`turn_search_words` lists each distinct word of the stored vectors once (C collation: a prefix is a range
of its primary key), so search can replace the prefix by the few words that begin with it, OR-ed, which
GIN intersects entry by entry. Two statement-level triggers on `turn_search` list the words of every
vector stored or rewritten, whoever writes it (the index job a chunk at a time, the update trigger of an
edited turn, a person by hand), in the same transaction. Words are never removed (a word no turn holds
any more costs nothing), so the list always holds every word of every stored vector. Existing vectors'
words are listed here. PostgreSQL only, like `turn_search` (migration 13be455bd874).
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
    "unnest(tsvector_to_array(vector)) AS word ORDER BY word ON CONFLICT DO NOTHING"
)

# Statement-level with the rows written as a transition table: one set-based insert per statement.
LIST_FUNCTION = f"""
CREATE FUNCTION turn_search_list_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {ADD_WORDS.format(source="stored")};
    RETURN NULL;
END
$$
"""

# A trigger with a transition table takes one event: one for inserts, one for updates.
EVENTS = {"turn_search_words_inserted": "INSERT", "turn_search_words_updated": "UPDATE"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        'CREATE TABLE turn_search_words (word TEXT COLLATE "C" NOT NULL, '
        "CONSTRAINT pk_turn_search_words PRIMARY KEY (word))"
    )
    op.execute(ADD_WORDS.format(source="turn_search"))
    op.execute(LIST_FUNCTION)
    for name, event in EVENTS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON turn_search REFERENCING NEW TABLE AS stored "
            "FOR EACH STATEMENT EXECUTE FUNCTION turn_search_list_words()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in EVENTS:
        op.execute(f"DROP TRIGGER {name} ON turn_search")
    op.execute("DROP FUNCTION turn_search_list_words()")
    op.execute("DROP TABLE turn_search_words")
