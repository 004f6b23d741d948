"""Ranked search, and the job-filled full-text index (FTS5 on SQLite, turn_search on PostgreSQL): the job that
fills it, its lag, deletions, edits, hostile queries, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import col
from starlette.testclient import TestClient
from typer.testing import CliRunner

import app.cli as cli_module
from app.conversations import search, search_index
from app.conversations.search_index import index_pending, index_states
from app.conversations.search_repair import integrity_problems
from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.jobs.service import recover_jobs
from tests.conftest import only_sqlite
from tests.conversations.test_views import add_conversation, listed
from tests.page_helpers import attr, ids_in, ids_on_every_page, one, soup
from tests.web_helpers import add_pair

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")
FILLER = " ".join(f"filler{i}" for i in range(40))


def marks(engine: Engine) -> dict[str, tuple[int, int]]:
    with session_scope(engine, read_only=True) as session:
        return {s.index.name: (s.indexed_to, s.top) for s in index_states(session)}


def fts_rows(engine: Engine, name: str = "turn_fts") -> int:
    """Rows in the turn index (or SQLite's title index): FTS5 doc sizes, or PostgreSQL's stored vectors."""
    if engine.dialect.name == "postgresql":
        table = {"turn_fts": "turn_search"}[name]
    else:  # the doc-size table has one row per indexed row (the FTS table itself reads through to `turn`)
        table = f"{name}_docsize"
    with engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def all_indexed(engine: Engine, turns: int, titles: int) -> dict[str, int]:
    """What indexing `turns` turns and `titles` titles reports on this backend (PostgreSQL indexes turns only)."""
    if engine.dialect.name == "postgresql":
        return {"turn_search": turns}
    return {"turn_fts": turns, "conversation_fts": titles}


@pytest.fixture
def ranked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank every search whatever the planner expects (PostgreSQL's estimate on a tiny table is a guess)."""
    monkeypatch.setattr(search, "FEW_MATCHES", 10**12)


class TestRanking:
    def test_best_match_first_not_newest(self, engine: Engine, admin: TestClient, ranked: None) -> None:
        dense = add_conversation(engine, "t", "kafka retries, kafka offsets, kafka lag")
        sparse = add_conversation(engine, "t", f"kafka {FILLER}")
        add_conversation(engine, "t", "nothing relevant")
        index_pending(engine)
        response = admin.get("/admin/conversations?q=kafka")
        assert attr(one(soup(response.text), "[data-order]"), "data-order") == "ranked"
        assert listed(admin, "/admin/conversations?q=kafka") == [dense, sparse]

    def test_common_words_list_newest_first(self, engine: Engine, admin: TestClient) -> None:
        ids = [add_conversation(engine, "t", f"kafka {'kafka ' * i}{FILLER}") for i in range(3)]
        index_pending(engine)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search, "FEW_MATCHES", 0)
            response = admin.get("/admin/conversations?q=kafka")
        assert attr(one(soup(response.text), "[data-order]"), "data-order") == "newest"
        assert [int(attr(tr, "data-id")) for tr in soup(response.text).select("tr[data-id]")] == ids[::-1]

    def test_ranked_pages_by_number_without_gaps(
        self, engine: Engine, admin: TestClient, ranked: None
    ) -> None:
        ids = {add_conversation(engine, f"alpha {i}", "x") for i in range(120)}
        index_pending(engine)
        seen = ids_on_every_page(admin, "/admin/conversations?q=alpha")
        assert sorted(seen) == sorted(ids)
        assert len(seen) == len(ids)

    def test_page_beyond_the_limit_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/conversations?q=a&page=0").status_code == 422
        assert admin.get("/admin/conversations?q=a&page=1001").status_code == 422

    def test_filters_apply_to_ranked_results(self, engine: Engine, admin: TestClient, ranked: None) -> None:
        kept = add_conversation(engine, "t", "kafka", source="s1")
        add_conversation(engine, "t", "kafka kafka", source="s2")
        index_pending(engine)
        assert listed(admin, "/admin/conversations?q=kafka&source=s1") == [kept]


@pytest.mark.parametrize(
    "query",
    ['"', 'say "hi', "a*", "-kafka", "kafka -redis", "NEAR(kafka redis)", "kafka AND redis", "kafka OR",
     "col:kafka", "^kafka", "(kafka", "kafka)", "{kafka}", "+", "'", "\\", "%", "_", "kafka NOT"],
)  # fmt: skip
def test_query_syntax_in_user_input_is_literal(
    engine: Engine, admin: TestClient, ranked: None, query: str
) -> None:
    """FTS5 operators typed into the box are text, never syntax: no 500, and only literal matches."""
    hit = add_conversation(engine, "t", f"before {query} after")
    other = add_conversation(engine, "t", "kafka and redis NEAR here")
    index_pending(engine)
    response = admin.get("/admin/conversations", params={"q": query})
    assert response.status_code == 200, response.text
    expected = [other, hit] if query.lower() in "kafka and redis near here" else [hit]
    assert sorted(listed(admin, str(response.url))) == sorted(expected)


def test_fts_phrase_quotes_everything() -> None:
    assert search.fts_phrase('say "hi') == '"say ""hi"*'
    assert search.fts_phrase("NEAR(a b)") == '"NEAR(a b)"*'


class TestIndexJob:
    @only_sqlite
    def test_index_fills_both_tables_and_raises_the_watermarks(self, engine: Engine) -> None:
        first = add_conversation(engine, "Kafka notes", "one", "two")
        assert marks(engine)["turn_fts"][0] == 0
        result = index_pending(engine, rows=1)  # one row per transaction: chunks join up
        assert result.indexed == {"turn_fts": 2, "conversation_fts": 1}
        turn_top = marks(engine)["turn_fts"][1]
        assert marks(engine) == {"turn_fts": (turn_top, turn_top), "conversation_fts": (first, first)}
        assert fts_rows(engine) == 2
        assert fts_rows(engine, "conversation_fts") == 1
        assert index_pending(engine).indexed == {"turn_fts": 0, "conversation_fts": 0}
        assert integrity_problems(engine) == []

    def test_import_job_queues_the_index_job(
        self, engine: Engine, enqueued: list[int], tmp_path: Path
    ) -> None:
        folder = tmp_path / "upload"
        folder.mkdir()
        (folder / "a.jsonl").write_text(
            json.dumps({"messages": [{"role": "user", "content": "zookeeper quorum"},
                                     {"role": "assistant", "content": "use an odd number"}]}) + "\n"
        )  # fmt: skip
        with session_scope(engine) as session:
            job = Job(kind="import", payload={"folder": str(folder), "source": "s"})
            session.add(job)
            session.flush()
            import_id = job.id
        assert import_id is not None
        execute(engine, import_id)
        with session_scope(engine, read_only=True) as session:
            kinds: dict[int, str] = {
                row.id: row.kind for row in session.execute(select(col(Job.id), col(Job.kind)))
            }
        assert enqueued[-1] != import_id
        assert kinds[enqueued[-1]] == search_index.JOB
        execute(engine, enqueued[-1])
        with session_scope(engine, read_only=True) as session:
            done = session.get(Job, enqueued[-1])
            assert done is not None
            assert done.status == "succeeded", done.error
            assert done.result == {"indexed": all_indexed(engine, 2, 1)}
        assert all(mark == top for mark, top in marks(engine).values())

    def test_worker_catches_up_once_after_a_cli_import(self, engine: Engine, enqueued: list[int]) -> None:
        add_conversation(engine, "t", "one")
        recover_jobs(engine)
        recover_jobs(engine)  # a second minute with the job still queued adds none
        with session_scope(engine, read_only=True) as session:
            queued = session.execute(
                select(func.count()).select_from(Job).where(col(Job.kind) == "search_index")
            )
            assert queued.scalar_one() == 1
        execute(engine, enqueued[-1])
        recover_jobs(engine)  # nothing left to index: no job
        assert len(enqueued) == 1


class TestCorrectWhileLagging:
    def test_rows_above_the_watermark_are_found_after_the_ranked_ones(
        self, engine: Engine, admin: TestClient, ranked: None
    ) -> None:
        indexed = add_conversation(engine, "t", "etcd lease")
        index_pending(engine)
        fresh = add_conversation(engine, "t", "etcd lease renewal")
        titled = add_conversation(engine, "etcd in the title", "x")
        found = listed(admin, "/admin/conversations?q=etcd")
        assert sorted(found) == [indexed, fresh, titled]
        assert found[-1] == fresh  # not yet indexed: after the ranked hits
        if (
            engine.dialect.name == "sqlite"
        ):  # titles too wait for the index there; unindexed ones newest first
            assert found == [indexed, titled, fresh]
        index_pending(engine)
        assert sorted(listed(admin, "/admin/conversations?q=etcd")) == [indexed, fresh, titled]

    def test_deleted_conversations_leave_no_hits(
        self, engine: Engine, admin: TestClient, ranked: None
    ) -> None:
        kept = add_conversation(engine, "t", "consul gossip")
        gone = add_conversation(engine, "consul title", "consul gossip again")
        index_pending(engine)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM conversation WHERE id = :id"), {"id": gone})
        assert listed(admin, "/admin/conversations?q=consul") == [kept]
        assert fts_rows(engine) == 1
        assert integrity_problems(engine) == []

    def test_ids_handed_out_again_after_a_delete_are_searched(
        self, engine: Engine, admin: TestClient, ranked: None
    ) -> None:
        """SQLite reuses the highest ids once their rows are gone; the index must not take them as indexed."""
        add_conversation(engine, "t", "nomad job")
        newest = add_conversation(engine, "t", "nomad allocation")
        index_pending(engine)
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM conversation WHERE id = :id"), {"id": newest})
        again = add_conversation(engine, "t", "vault secret")
        assert listed(admin, "/admin/conversations?q=vault") == [again]
        assert listed(admin, "/admin/conversations?q=allocation") == []
        index_pending(engine)
        assert listed(admin, "/admin/conversations?q=vault") == [again]
        assert integrity_problems(engine) == []

    def test_edited_text_is_found_by_its_new_words_only(
        self, engine: Engine, admin: TestClient, ranked: None
    ) -> None:
        edited = add_conversation(engine, "old title", "linkerd sidecar")
        index_pending(engine)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE turn SET text = 'istio mesh' WHERE conversation_id = :id"), {"id": edited}
            )
            connection.execute(
                text("UPDATE conversation SET title = 'new name' WHERE id = :id"), {"id": edited}
            )
        assert listed(admin, "/admin/conversations?q=linkerd") == []
        assert listed(admin, "/admin/conversations?q=old+title") == []
        assert listed(admin, "/admin/conversations?q=istio") == [edited]
        assert listed(admin, "/admin/conversations?q=new+name") == [edited]
        assert integrity_problems(engine) == []


class TestCli:
    def invoke(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli_module.cli, ["search", *args])
        return result.exit_code, result.output

    def test_reindex_and_status(self, engine: Engine) -> None:
        add_conversation(engine, "Kafka", "one", "two")
        code, output = self.invoke("status", "--json")
        assert code == 0, output
        status = json.loads(output)
        assert [(i["index"], i["pending"] > 0) for i in status["indexes"]] == [
            (name, True) for name in all_indexed(engine, 2, 1)
        ]
        code, output = self.invoke("reindex", "--json")
        assert (code, json.loads(output)) == (0, {"indexed": all_indexed(engine, 2, 1)})
        code, output = self.invoke("status")
        assert code == 0
        assert "(0 waiting)" in output
        code, output = self.invoke("reindex", "--rebuild", "--json")
        assert (code, json.loads(output)) == (0, {"indexed": all_indexed(engine, 2, 1)})
        assert fts_rows(engine) == 2

    @only_sqlite
    def test_status_fails_on_a_damaged_index_until_rebuilt(self, engine: Engine) -> None:
        add_conversation(engine, "t", "one")
        index_pending(engine)
        with engine.begin() as connection:  # an index entry without its row
            connection.execute(text("INSERT INTO turn_fts (rowid, text) VALUES (999999, 'ghost')"))
        code, output = self.invoke("status")
        assert code == 1
        assert "problem: turn_fts" in output
        assert self.invoke("reindex", "--rebuild")[0] == 0
        assert self.invoke("status")[0] == 0
        assert fts_rows(engine) == 1


def test_pair_search_goes_through_the_index(engine: Engine, admin: TestClient, ranked: None) -> None:
    """The pairs page filters by the same plan (ranked hits as a filter), keeping its newest-first order."""
    with session_scope(engine) as session:
        older = add_pair(session, first="Use Kafka for the queue.").id
        add_pair(session, first="Use Redis for the queue.")
        newer = add_pair(session, second="Kafka, partitioned by tenant.").id
    index_pending(engine)
    page = admin.get("/admin/pairs?q=kafka")
    assert page.status_code == 200
    assert ids_in(page.text) == [newer, older]
