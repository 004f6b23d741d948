"""full-text search on PostgreSQL filled by the index job, not by inserts

Revision ID: 13be455bd874
Revises: 435123756e99
Create Date: 2026-12-04 21:30:00.000000

The GIN expression index over `to_tsvector('simple', turn.text)` (b7d3e2a91c44) made every turn insert
compute its vector, most of a PostgreSQL import. It is replaced by a side table `turn_search` (one stored
vector per indexed turn, GIN-indexed) that the `search_index` job fills behind the imports, as on SQLite
(b7c2915ed1c4): `search_index_state.indexed_to` is its watermark, turns above it are searched with ILIKE.
Existing turns wait for the job (the migration stays instant on a big database). Deleting a turn deletes
its vector (the foreign key cascades). A turn with more distinct words than a tsvector holds (1 MB) is
stored with a NULL vector and searched with ILIKE (a partial index finds those few). A trigger rewrites
an indexed turn's vector when its text changes; it reads the watermark FOR SHARE, so it waits for an
indexer holding the state row and then sees whether that indexer took the turn. The title index stays an
expression index (titles are short). `exact_positions` says whether the vector holds every position of
its words (a tsvector keeps at most 255 per word and none past 16,383): where it does, a phrase query on
the vector narrows a search of several words before its substring test reads the turn.
PostgreSQL only; the tables are not part of the SQLModel metadata (they exist on one backend only, like
SQLite's FTS5 tables, and tsvector has no SQLite type).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "13be455bd874"
down_revision: str | None = "435123756e99"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whether a phrase query on a turn's vector finds every phrase of its text: a tsvector keeps at most 255
# positions per word and none past 16,383, and a text shorter than that has fewer words.
EXACT_FUNCTION = """
CREATE FUNCTION turn_search_exact(body text, words tsvector) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT length(body) < 16383
        AND NOT EXISTS (SELECT 1 FROM unnest(words) AS word WHERE array_length(word.positions, 1) >= 255)
$$
"""

UPDATE_FUNCTION = """
CREATE FUNCTION turn_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE turn_search (turn_id INTEGER NOT NULL, vector TSVECTOR, exact_positions BOOLEAN, "
        "CONSTRAINT pk_turn_search PRIMARY KEY (turn_id), "
        "CONSTRAINT fk_turn_search_turn_id_turn FOREIGN KEY (turn_id) REFERENCES turn (id) ON DELETE CASCADE)"
    )
    op.execute("CREATE INDEX ix_turn_search_vector ON turn_search USING gin (vector)")
    op.execute("CREATE INDEX ix_turn_search_unindexable ON turn_search (turn_id) WHERE vector IS NULL")
    op.execute(
        "CREATE TABLE search_index_state (name VARCHAR NOT NULL, indexed_to INTEGER NOT NULL, "
        "CONSTRAINT pk_search_index_state PRIMARY KEY (name))"
    )
    op.execute("INSERT INTO search_index_state (name, indexed_to) VALUES ('turn_search', 0)")
    op.execute(EXACT_FUNCTION)
    op.execute(UPDATE_FUNCTION)
    op.execute(
        "CREATE TRIGGER turn_search_update AFTER UPDATE OF text ON turn "
        "FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text) EXECUTE FUNCTION turn_search_update()"
    )
    op.execute("DROP INDEX ix_turn_text_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_turn_text_search ON turn USING gin (to_tsvector('simple'::regconfig, text))")
    op.execute("DROP TRIGGER turn_search_update ON turn")
    op.execute("DROP FUNCTION turn_search_update()")
    op.execute("DROP FUNCTION turn_search_exact(text, tsvector)")
    op.execute("DROP TABLE search_index_state")
    op.execute("DROP TABLE turn_search")
