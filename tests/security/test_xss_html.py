"""S1-S3 on the raw HTML: the XSS corpus and payload-carrying user fields render inert on every page."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine

from app.db import session_scope
from tests.page_helpers import attr, one
from tests.web_helpers import (
    PAYLOAD,
    PAYLOADS,
    XSS_CORPUS,
    client,
    csrf,
    html_problems,
    login_page_token,
    post_form,
    seed_xss_world,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture(autouse=True)
def _overlap_two(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    monkeypatch.setenv("PAIRWISE_OVERLAP", "2")
    get_settings.cache_clear()


PAIR_ID_RE = re.compile(r'data-pair-id="(\d+)"')


def _corpus_strings() -> list[str]:
    texts = []
    for line in XSS_CORPUS.read_text().splitlines():
        record = json.loads(line)
        texts.append(record["title"])
        texts.extend(m["content"] for m in record["messages"] if m.get("content"))
    return texts


class TestCorpus:
    def test_corpus_carries_every_attack_class(self) -> None:
        text = XSS_CORPUS.read_text()
        for needle in ("<script>", "onerror=", "<svg onload=", "](javascript:", "hx-get=", "hx-post=",
                       "hx-on:click=", "hx-trigger=", "{{7*7}}", "</script>", "\\u2028", "```html"):  # fmt: skip
            assert needle in text, needle

    def test_every_conversation_yields_a_pushback_pair(self, engine: Engine) -> None:
        from app.pairs.models import Pair
        from tests.web_helpers import seed_corpus

        pairs = seed_corpus(engine)
        with session_scope(engine, read_only=True) as session:
            conversations = {session.get_one(Pair, p).conversation_id for p in pairs}
        assert len(conversations) == 5  # each of the five conversations is in the queue


class TestReviewPagesAreInert:
    def test_review_pane_of_every_pair(self, engine: Engine) -> None:
        world = seed_xss_world(engine)
        c = signed_in("rev")
        problems, seen = [], []
        response = post_form(c, "/review/next")
        while match := PAIR_ID_RE.search(response.text):
            pair_id = int(match.group(1))
            seen.append(pair_id)
            problems += html_problems(response.text, page=f"pane {pair_id}")
            full = c.get("/review")
            problems += html_problems(full.text, page=f"/review {pair_id}")
            diff = c.get(f"/review/{pair_id}/diff")
            assert diff.status_code == 200
            problems += html_problems(diff.text, page=f"diff {pair_id}")
            assert "<del>" in diff.text or "<ins>" in diff.text
            response = post_form(c, f"/review/{pair_id}/skip", htmx=True)
            assert response.status_code == 200
        assert sorted(seen) == sorted(world.pairs)
        assert problems == []

    def test_template_syntax_is_shown_literally(self, engine: Engine) -> None:
        seed_xss_world(engine)
        c = signed_in("rev")
        html = post_form(c, "/review/next").text
        texts = [BeautifulSoup(html, "html.parser").get_text()]
        while match := PAIR_ID_RE.search(html):
            html = post_form(c, f"/review/{match.group(1)}/skip", htmx=True).text
            texts.append(BeautifulSoup(html, "html.parser").get_text())
        joined = "\n".join(texts)
        assert "{{7*7}}" in joined
        assert "${7*7}" in joined

    def test_tool_call_json_cannot_break_out(self, engine: Engine) -> None:
        seed_xss_world(engine)
        c = signed_in("rev")
        html = post_form(c, "/review/next").text
        pages = [html]
        while match := PAIR_ID_RE.search(html):
            html = post_form(c, f"/review/{match.group(1)}/skip", htmx=True).text
            pages.append(html)
        with_tools = [p for p in pages if 'class="tool tool-tool_use"' in p]
        assert len(with_tools) == 1
        soup = BeautifulSoup(with_tools[0], "html.parser")
        pre = soup.select_one(".tool-tool_use pre")
        assert pre is not None
        arguments = json.loads(pre.get_text())
        assert arguments["html"].startswith("</script><script>window.__xss=1</script>")
        assert "\u2028" in arguments["html"]
        assert "</script><script>" not in with_tools[0]

    def test_markdown_keeps_text_and_drops_live_html(self, engine: Engine) -> None:
        from app.rendering import render_markdown

        for text in _corpus_strings():
            rendered = str(render_markdown(text))
            assert html_problems(f"<div class='md' hx-disable>{rendered}</div>", page=text[:40]) == []
            soup = BeautifulSoup(rendered, "html.parser")
            for a in soup.find_all("a"):
                href = attr(a, "href")
                assert href.startswith(("http://", "https://", "mailto:", "/", "#")) or "://" not in href
                assert a.get("rel") == ["noopener", "noreferrer", "nofollow"]


class TestOtherPagesAreInert:
    def test_history_and_every_judgment_page(self, engine: Engine) -> None:
        world = seed_xss_world(engine)
        c = signed_in("judge")
        history = c.get("/review/history")
        problems = html_problems(history.text, page="history")
        assert len(world.judgments) == len(world.pairs) >= 5
        for judgment_id in world.judgments:
            page = c.get(f"/review/judgments/{judgment_id}")
            assert page.status_code == 200
            problems += html_problems(page.text, page=f"judgment {judgment_id}")
            soup = BeautifulSoup(page.text, "html.parser")
            assert one(soup, "textarea[name=edited_text]").get_text() == f"Gold {PAYLOAD}"
            assert one(soup, "input[name=comment]")["value"] == f"Comment {PAYLOAD}".strip()
        assert problems == []

    def test_tokens_page_and_new_token_page(self, engine: Engine) -> None:
        seed_xss_world(engine)
        c = signed_in("rev")
        problems = html_problems(c.get("/account/tokens").text, page="tokens")
        created = post_form(c, "/account/tokens", {"name": PAYLOADS[1]})
        problems += html_problems(created.text, page="token created")
        assert problems == []
        names = [
            td.get_text() for td in BeautifulSoup(created.text, "html.parser").select("tbody td:first-child")
        ]
        assert PAYLOADS[1] in names

    def test_patterns_page(self, engine: Engine) -> None:
        seed_xss_world(engine)
        html = signed_in("adm").get("/admin/patterns").text
        assert html_problems(html, page="patterns") == []
        soup = BeautifulSoup(html, "html.parser")
        assert PAYLOADS[1] in [i["value"] for i in soup.select("input[name=name]")]

    def test_error_pages(self, engine: Engine) -> None:
        seed_xss_world(engine)
        admin = signed_in("adm")
        anonymous = client()
        token = login_page_token(anonymous)
        pages = {
            "404 path": anonymous.get("/<script>window.__xss=1</script>"),
            "404 id": admin.get("/review/judgments/999999"),
            "422 taxonomy": post_form(
                admin,
                "/admin/patterns",
                {"slug": [PAYLOADS[1]], "name": ["x"], "description": [""], "hotkey": ["q"]},
            ),
            "422 validation": post_form(admin, "/review/1/judge", {"verdict": PAYLOADS[0]}),
            "422 htmx toast": post_form(admin, "/review/1/judge", {"verdict": PAYLOADS[0]}, htmx=True),
            "401 login": anonymous.post(
                "/login", data={"username": PAYLOADS[3][:60], "password": "x" * 12, "csrf_token": token}
            ),
            "login next": anonymous.get("/login", params={"next": f'/"><script>{PAYLOADS[0]}</script>'}),
            "403 csrf": admin.post("/account/tokens", data={"name": "x", "csrf_token": "forged"}),
        }
        problems = []
        for name, response in pages.items():
            assert response.status_code in (200, 401, 403, 404, 422), (name, response.status_code)
            problems += html_problems(response.text, page=name)
        assert problems == []
        assert csrf(admin)


class TestAdminPages:
    def test_dashboard_browsers_and_details_render_the_corpus_inert(self, engine: Engine) -> None:
        from sqlalchemy import select
        from sqlmodel import col

        from app.conversations.models import Conversation, ImportBatch
        from app.pairs.models import Pair

        world = seed_xss_world(engine)
        with session_scope(engine, read_only=True) as session:
            conversation_ids = list(session.execute(select(col(Conversation.id))).scalars())
            pair_ids = list(session.execute(select(col(Pair.id))).scalars())
            batch_ids = list(session.execute(select(col(ImportBatch.id))).scalars())
        assert conversation_ids, world
        assert pair_ids
        assert batch_ids
        admin = signed_in("adm")
        paths = ["/admin", "/admin/conversations", "/admin/pairs", "/admin/imports", "/admin/users",
                 "/admin/settings", "/admin/conversations?q=script"]  # fmt: skip
        paths += [f"/admin/conversations/{i}" for i in conversation_ids]
        paths += [f"/admin/pairs/{i}" for i in pair_ids]
        paths += [f"/admin/imports/{i}" for i in batch_ids]
        problems = []
        for path in paths:
            response = admin.get(path)
            assert response.status_code == 200, path
            problems += html_problems(response.text, page=path)
        assert problems == []
