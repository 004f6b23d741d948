"""S1-S3 in real Chromium: every page with the XSS corpus renders without running anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.web_helpers import PAYLOADS, XssWorld, html_problems, live_sqlite_server, seed_xss_world

pytestmark = pytest.mark.browser
WORLD: dict[str, XssWorld] = {}

# Everything in the DOM that could run: handlers, script URLs, live foreign tags, htmx outside the app's own.
DOM_SCAN = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = (a.value || '').trim().toLowerCase();
      if (n.startsWith('on')) bad.push(`${el.tagName} ${n}=`);
      if (n.startsWith('hx-on') || n.startsWith('data-hx-on')) bad.push(`${el.tagName} ${n}=`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(n)
          && /^(javascript|vbscript|data):/.test(v)) bad.push(`${el.tagName} ${n}=${v.slice(0, 40)}`);
      if (/^(hx-|data-hx-)(get|post|put|patch|delete)$/.test(n)
          && !/^\\/review\\/(next|undo|\\d+\\/(judge|skip|diff|standalone(\\/transform|\\/prompt)?|suggestions\\/\\d+\\/(accept|ignore)))$|^\\/admin\\/(imports|jobs\\/\\d+\\/status|releases\\/\\d+|releases\\/preview)$/.test(a.value))
        bad.push(`${el.tagName} ${n}=${a.value}`);
    }
  }
  const chartParts = new Set(['svg', 'g', 'rect', 'line', 'text', 'title', 'path', 'circle', 'polyline']);
  const isAppChart = (svg) => svg.classList.contains('chart') && !svg.closest('[hx-disable]')
    && [...svg.querySelectorAll('*')].every((el) => chartParts.has(el.tagName.toLowerCase()));
  for (const el of document.querySelectorAll('iframe, object, embed, svg, img, style, base, meta[http-equiv]'))
    if (!(el.tagName.toLowerCase() === 'svg' && isAppChart(el))) bad.push(`live <${el.tagName}>`);
  for (const s of document.scripts)
    if (!/^\\/static\\//.test(new URL(s.src || 'about:blank', location.href).pathname) || s.textContent.trim())
      bad.push(`script ${s.outerHTML.slice(0, 60)}`);
  return bad;
}"""


def _seed(engine: Engine) -> None:
    WORLD["w"] = seed_xss_world(engine)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with live_sqlite_server(tmp_path_factory.mktemp("browser-xss"), _seed,
                            extra_env={"PAIRWISE_OVERLAP": "2"}) as pair:  # fmt: skip
        yield pair


def _check(w: Any, where: str) -> list[str]:
    page = w.page
    page.wait_for_load_state("networkidle")
    problems = [f"{where}: {p}" for p in page.evaluate(DOM_SCAN)]
    if page.evaluate("typeof window.__xss") != "undefined":
        problems.append(f"{where}: window.__xss was set")
    problems += html_problems(page.content(), page=where)
    return problems


def _assert_clean(w: Any, problems: list[str]) -> None:
    assert problems == []
    assert w.dialogs == []
    # The error pages visited on purpose log their status; anything else (a CSP violation, a script error) fails.
    expected = "Failed to load resource: the server responded with a status of 4"
    assert [e for e in w.console_errors if not e.startswith(expected)] == []
    assert [u for u in w.requests if "xss-hx" in u] == []  # the corpus's hx-get/hx-post targets
    assert w.blocked == []


class TestReviewPane:
    def test_every_pair_in_the_review_pane(self, live: Any, watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.sign_in("rev")
        w.goto("/review")
        page, problems, seen = w.page, [], []
        while page.query_selector("#review-pane[data-pair-id]"):
            pair_id = int(page.get_attribute("#review-pane", "data-pair-id"))
            seen.append(pair_id)
            page.wait_for_selector("#review-pane[data-ready=keys]")  # settled: the keys act on this pair
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            page.keyboard.press("d")
            page.wait_for_selector("#diff[open] #diff-body :is(del, ins)")
            page.keyboard.press("d")
            page.keyboard.press("w")
            page.keyboard.press("Escape")
            page.keyboard.press("?")
            page.keyboard.press("Escape")
            problems += _check(w, f"pair {pair_id}")
            page.wait_for_selector("#review-pane[data-ready=keys]")  # the minimum time after serving
            page.keyboard.press("s")
            page.wait_for_function(
                "id => { const p = document.getElementById('review-pane');"
                " return p && p.dataset.pairId !== String(id) && !p.classList.contains('busy'); }",
                arg=pair_id,
            )
        assert sorted(seen) == sorted(WORLD["w"].pairs)
        assert "The queue is empty" in page.inner_text("#review-pane")
        _assert_clean(w, problems)


class TestOtherPages:
    def test_history_and_judgment_pages(self, live: Any, watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.sign_in("judge")
        w.goto("/review/history")
        problems = _check(w, "history")
        for judgment_id in WORLD["w"].judgments:
            w.goto(f"/review/judgments/{judgment_id}")
            problems += _check(w, f"judgment {judgment_id}")
            assert w.page.input_value("textarea[name=edited_text]").startswith("Gold <script>")
        _assert_clean(w, problems)

    def test_tokens_patterns_and_error_pages(self, live: Any, watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.sign_in("adm")
        problems = []
        for path in ("/account/tokens", "/admin/patterns", "/review/judgments/999999", "/nothing/<svg onload=x>",
                     "/api/v1/pairs", "/admin", "/admin/conversations", "/admin/pairs", "/admin/imports",
                     "/admin/conversations/1", "/admin/pairs/1"):  # fmt: skip
            w.goto(path)
            problems += _check(w, path)
        w.page.goto(f"{server.url}/account/tokens")
        w.page.fill("input[name=name]", PAYLOADS[1])
        w.page.press("input[name=name]", "Enter")
        w.page.wait_for_load_state("networkidle")
        problems += _check(w, "token created")
        assert w.page.is_visible("#new-token")
        _assert_clean(w, problems)

    def test_login_error_page_with_payload_username(self, live: Any, watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.goto("/login?next=" + "/%22%3E%3Cscript%3Ewindow.__xss=1%3C/script%3E")
        problems = _check(w, "login next")
        w.page.fill("input[name=username]", PAYLOADS[3][:60])
        w.page.fill("input[name=password]", "wrong password!!")
        w.page.press("input[name=password]", "Enter")
        w.page.wait_for_load_state("networkidle")
        problems += _check(w, "login 401")
        assert w.page.input_value("input[name=username]") == PAYLOADS[3][:60]
        _assert_clean(w, problems)
