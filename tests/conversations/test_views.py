"""The conversations browser: search, filters, keyset pages, detail with turns and pairs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.conversations.models import Conversation, Turn
from app.conversations.search_index import index_pending
from app.db import session_scope
from tests.page_helpers import attr, ids_in, ids_on_every_page, one, pairs, soup, text_of
from tests.web_helpers import add_pair, html_problems

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")
_n = iter(range(1, 1_000_000))


def add_conversation(engine: Engine, title: str = "chat", *texts: str, **values: Any) -> int:
    n = next(_n)
    with session_scope(engine) as session:
        conversation = Conversation(
            title=title, source=values.pop("source", "t"), format=values.pop("format", "openai"),
            file=f"/data/f{n}.jsonl", external_id=f"c{n}", content_hash=f"{n:064x}", turn_count=len(texts), **values,
        )  # fmt: skip
        session.add(conversation)
        session.flush()
        assert conversation.id is not None
        for i, text in enumerate(texts):
            session.add(
                Turn(conversation_id=conversation.id, index=i, role=("user", "assistant")[i % 2], text=text)
            )
        return conversation.id


def listed(c: TestClient, url: str) -> list[int]:
    response = c.get(url)
    assert response.status_code == 200, response.text
    return ids_in(response.text)


class TestConversationList:
    def test_keyset_pages_newest_first_without_gaps(self, engine: Engine, admin: TestClient) -> None:
        ids = [add_conversation(engine, f"c{i}") for i in range(120)]
        seen = ids_on_every_page(admin, "/admin/conversations")
        assert seen == sorted(ids, reverse=True)

    def test_next_link_keeps_the_filters(self, engine: Engine, admin: TestClient) -> None:
        for i in range(55):
            add_conversation(engine, f"alpha {i}", source="s1")
        add_conversation(engine, "alpha other", source="s2")
        page = soup(admin.get("/admin/conversations?q=alpha&source=s1").text)
        assert len(page.select("tr[data-id]")) == 50
        href = attr(one(page, "a[rel=next]"), "href")
        assert "q=alpha" in href
        assert "source=s1" in href
        assert "page=2" in href  # few matches: ranked, paged by number
        assert len(listed(admin, href)) == 5

    def test_search_matches_titles_and_turn_text_case_insensitively(
        self, engine: Engine, admin: TestClient
    ) -> None:
        by_title = add_conversation(engine, "Deploying Kubernetes", "hello")
        by_text = add_conversation(engine, "other", "hi", "you could use kubernetes here")
        add_conversation(engine, "unrelated", "nothing")
        index_pending(
            engine
        )  # else the title, indexed on insert on PostgreSQL, ranks before the waiting turn
        assert listed(admin, "/admin/conversations?q=KUBERNETES") == [by_text, by_title]

    def test_search_wildcards_match_literally(self, engine: Engine, admin: TestClient) -> None:
        percent = add_conversation(engine, "t", "coverage is 100% now")
        add_conversation(engine, "t", "coverage is 1000 lines")
        underscore = add_conversation(engine, "t", "call my_func")
        add_conversation(engine, "t", "call myxfunc")
        assert listed(admin, "/admin/conversations?q=100%25") == [percent]
        assert listed(admin, "/admin/conversations?q=my_func") == [underscore]
        assert listed(admin, "/admin/conversations?q=%25") == [percent]

    def test_filters_source_format_and_dates(self, engine: Engine, admin: TestClient) -> None:
        jan = datetime(2026, 1, 10, 12, tzinfo=UTC)
        feb = datetime(2026, 2, 10, 23, 59, tzinfo=UTC)
        a = add_conversation(engine, source="team", format="openai", created_at=jan)
        b = add_conversation(engine, source="team", format="markdown", created_at=feb)
        c = add_conversation(engine, source="other", format="openai", created_at=feb)
        assert listed(admin, "/admin/conversations?source=team") == [b, a]
        assert listed(admin, "/admin/conversations?format=openai") == [c, a]
        assert listed(admin, "/admin/conversations?created_from=2026-02-10") == [c, b]
        assert listed(admin, "/admin/conversations?created_to=2026-02-09") == [a]
        assert listed(admin, "/admin/conversations?created_from=2026-01-10&created_to=2026-01-10") == [a]
        url = "/admin/conversations?source=team&format=markdown&created_from=&created_to=&q="
        assert listed(admin, url) == [b]

    def test_an_old_source_is_read_within_its_own_ids(self, engine: Engine, admin: TestClient) -> None:
        """A source imported first lies behind every newer conversation in the newest-first order: its page
        is read within the source's id range, not after stepping over every newer row (PostgreSQL's planner,
        for a source of a fifth of the rows, took the primary key backwards and passed 800,000 rows at 1M
        conversations)."""
        with session_scope(engine) as session:
            for source, count in (("first-import", 1_000), ("later", 4_000)):
                session.add_all(
                    Conversation(title="c", source=source, format="openai", file="/data/f.jsonl",
                                 external_id=f"{source}-{i}", content_hash=f"{source}-{i:050d}", turn_count=0)
                    for i in range(count)
                )  # fmt: skip
                session.flush()
        with session_scope(engine, read_only=True) as session:
            old = (
                session.execute(
                    select(col(Conversation.id)).where(col(Conversation.source) == "first-import")
                )
                .scalars()
                .all()
            )
        first = listed(admin, "/admin/conversations?source=first-import")
        assert first == sorted(old, reverse=True)[:50]
        assert (
            listed(admin, f"/admin/conversations?source=first-import&after={first[-1]}")
            == sorted(old, reverse=True)[50:100]
        )
        assert listed(admin, "/admin/conversations?source=nowhere") == []
        # The page's statement names the range itself: at this size every planner picks the source's index
        # anyway, so the plan cannot tell (benchmarks/scale_postgres.py measures it at 1M conversations).
        statements: list[tuple[str, Any]] = []

        def keep(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if "ORDER BY conversation.id DESC" in statement:
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", keep)
        try:
            listed(admin, "/admin/conversations?source=first-import")
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        ((statement, parameters),) = statements
        assert "conversation.id BETWEEN" in statement
        values = list(parameters.values() if isinstance(parameters, dict) else parameters)
        assert min(old) in values
        assert max(old) in values

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("format=word", "format: Value error, choose one of"),
            ("created_from=2026-02-01&created_to=2026-01-01", "the 'from' date is after the 'to' date"),
            ("created_from=yesterday", "created_from"),
            ("after=0", "after"),
            ("order=title", "order: Extra inputs are not permitted"),
            ("q=" + "x" * 201, "q: String should have at most 200 characters"),
        ],
    )
    def test_bad_filters_are_422_in_words(self, admin: TestClient, query: str, words: str) -> None:
        response = admin.get(f"/admin/conversations?{query}")
        assert response.status_code == 422
        assert words in text_of(response)

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/conversations").status_code == 403

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        response = anonymous.get("/admin/conversations?q=x")
        assert response.headers["location"] == "/login?next=/admin/conversations%3Fq%3Dx"


class TestConversationDetail:
    def test_turns_render_markdown_inertly_with_tools_collapsed_and_pairs_listed(
        self, engine: Engine, admin: TestClient
    ) -> None:
        with session_scope(engine) as session:
            pair = add_pair(
                session, second="**Bold** <script>window.__xss=1</script> <div hx-get='/x'>x</div>"
            )
            turn = session.get(Turn, pair.second_turn_id)
            assert turn is not None
            turn.blocks = [
                {"type": "thinking", "thinking": "check the folder"},
                {"type": "text", "text": "t"},
                {"type": "tool_use", "name": "Bash", "input": {"cmd": "ls"}},
                {"type": "tool_result", "tool_use_id": None, "content": "a.py", "is_error": False},
                {"type": "tool_use", "name": "Write", "input": "echo 'hi' <b>x</b> 🔥"},
            ]
            session.add(turn)
            conversation_id, pair_id = pair.conversation_id, pair.id
        response = admin.get(f"/admin/conversations/{conversation_id}")
        assert response.status_code == 200
        page = soup(response.text)
        assert len(page.select(".turn-card")) == 4
        assert all(md.has_attr("hx-disable") for md in page.select(".md"))
        assert one(page, ".md strong").get_text() == "Bold"
        tools = one(page, "details.tools")
        assert not tools.has_attr("open")
        assert "Bash" in tools.get_text()
        # Counted by kind, in order of appearance.
        assert one(tools, "summary").get_text() == "1 thinking step, 2 tool calls, 1 result"
        inputs = [pre.get_text() for pre in tools.select(".tool-tool_use pre")]
        # A string input as written (escaped as text, not as JSON for a script), other inputs as JSON.
        assert inputs == ['{\n  "cmd": "ls"\n}', "echo 'hi' <b>x</b> 🔥"]
        assert not tools.select("b")
        assert page.select_one(f'a[href="/admin/pairs/{pair_id}"]')
        assert "chosen in pair" in one(page, "#turn-3 .role").get_text()
        assert html_problems(response.text) == []

    def test_a_long_tool_call_and_result_are_cut_and_say_how_much(
        self, engine: Engine, admin: TestClient
    ) -> None:
        # A Write of a whole file and the log a test run printed: megabytes in real sessions.
        written, printed = "w" * 100_000, "line of test output\n" * 5_000
        with session_scope(engine) as session:
            pair = add_pair(session)
            turn = session.get(Turn, pair.second_turn_id)
            assert turn is not None
            turn.blocks = [
                {"type": "tool_use", "name": "Write", "input": {"file_path": "a.py", "content": written}},
                {"type": "tool_result", "tool_use_id": None, "content": printed, "is_error": False},
                {"type": "tool_use", "name": "Bash", "input": "ls"},
            ]
            session.add(turn)
            conversation_id = pair.conversation_id
        response = admin.get(f"/admin/conversations/{conversation_id}")
        assert response.status_code == 200
        shown = [pre.get_text() for pre in one(soup(response.text), "details.tools").select("pre")]
        call, result, short = shown
        # Each string of a structured input is cut on its own, so the path shows whatever the key order
        # (PostgreSQL's jsonb puts "content" first); the JSON escapes the note's line break.
        assert '"file_path": "a.py"' in call
        assert '"content": "' + "w" * 1500 + "\\n… 98,500 more characters not shown" in call
        assert len(call) < 1600
        assert result == printed[:4000] + "\n… 96,000 more characters not shown"
        assert short == "ls"
        assert len(response.text) < 40_000

    def test_unknown_conversation_is_404(self, admin: TestClient) -> None:
        assert admin.get("/admin/conversations/999999").status_code == 404

    def test_bad_id_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/conversations/first").status_code == 422

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        pairs(engine, 1)
        assert reviewer.get("/admin/conversations/1").status_code == 403
