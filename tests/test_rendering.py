"""Markdown of untrusted transcripts is bounded: pathological or huge texts are shown raw, rendering is
cached per text, and nothing large is rendered on the event loop."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import app.rendering as rendering
from app.conversations.importing import run_import
from app.conversations.models import Conversation
from app.rendering import MAX_LINK_OPENERS, MAX_RAW_CHARS, MAX_RENDER_CHARS, render_markdown
from tests.web_helpers import fast_passwords, make_user, signed_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts that reached markdown-it (the cache is emptied first)."""
    seen: list[str] = []
    real = rendering._render_uncached

    def spy(text: str) -> str:
        seen.append(text)
        return real(text)

    rendering._cache.clear()
    monkeypatch.setattr(rendering, "_render_uncached", spy)
    return seen


def test_a_wall_of_brackets_is_shown_raw_without_parsing(renders: list[str]) -> None:
    text = "[" * (MAX_LINK_OPENERS * 10)
    html = str(render_markdown(text))
    assert renders == []
    assert "Shown as plain text (more than 2,000 &#39;[&#39; characters)" in html
    assert f'<pre class="raw">{text}</pre>' in html


def test_a_30_mb_turn_is_shown_raw_and_cut(renders: list[str]) -> None:
    text = "<script>alert(1)</script> " * (30 * 1024 * 1024 // 26)
    html = str(render_markdown(text))
    assert renders == []
    assert f"longer than {MAX_RENDER_CHARS:,} characters" in html
    assert "<script>" not in html
    assert len(html) < MAX_RAW_CHARS * 2
    assert "more characters not shown" in html


def test_ordinary_markdown_still_renders(renders: list[str]) -> None:
    html = str(render_markdown("Some **bold** and [a link](https://example.com) " * 100))
    assert "<strong>bold</strong>" in html
    assert "Shown as plain text" not in html


def test_a_turn_is_rendered_once_then_served_from_the_cache(renders: list[str]) -> None:
    text = "# Title\n\n" + "a paragraph with `code` " * 200
    first = render_markdown(text)
    second = render_markdown(text)
    assert first == second
    assert renders == [text]


def test_the_cache_is_bounded(renders: list[str]) -> None:
    for i in range(rendering.CACHE_ENTRIES + 50):
        render_markdown(f"text {i}")
    assert len(rendering._cache) == rendering.CACHE_ENTRIES


def test_warming_up_renders_once_and_caches_nothing(renders: list[str]) -> None:
    rendering.warm_up()
    assert len(renders) == 1
    assert len(rendering._cache) == 0


def test_code_is_sent_escaped_with_its_language_for_the_browser_to_highlight() -> None:
    """The server does not highlight (static/app.js does): a fence becomes escaped text in a code element
    whose class names its language; a fence without a language has no class."""
    html = str(render_markdown('```python title="x.py"\nif a < b:\n    print("<b>")\n```\n\n```\nplain\n```'))
    assert '<pre><code class="language-python">if a &lt; b:\n    print("&lt;b&gt;")\n</code></pre>' in html
    assert "<pre><code>plain\n</code></pre>" in html
    assert "<span" not in html


def test_a_language_name_cannot_break_out_of_its_class() -> None:
    html = str(render_markdown('```x"><script>alert(1)</script>\ncode\n```'))
    assert "<script" not in html
    assert '<code class="language-x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">code' in html


def test_on_the_event_loop_only_small_texts_are_rendered(renders: list[str]) -> None:
    big = "word " * 2000

    async def on_loop() -> tuple[str, str, str]:
        small = str(render_markdown("*hi*"))
        raw = str(render_markdown(big))
        threaded = await anyio.to_thread.run_sync(lambda: str(render_markdown(big)))
        return small, raw, threaded

    small, raw, threaded = asyncio.run(on_loop())
    assert "<em>hi</em>" in small
    assert "Shown as plain text (too long to format here)" in raw
    assert "Shown as plain text" not in threaded
    assert renders == ["*hi*", big]


def test_the_conversation_page_shows_a_pathological_turn_raw(
    engine: Engine, tmp_path: Path, renders: list[str]
) -> None:
    record: dict[str, Any] = {"messages": [{"role": "user", "content": "paste"},
                                           {"role": "assistant", "content": "[" * 600_000}]}  # fmt: skip
    path = tmp_path / "evil.jsonl"
    path.write_text(json.dumps(record) + "\n")
    run_import(engine, paths=[path])
    with Session(engine) as session:
        conversation_id = session.execute(select(col(Conversation.id))).scalar_one()
    make_user(engine, "adm", role="admin")
    response = signed_in("adm").get(f"/admin/conversations/{conversation_id}")
    assert response.status_code == 200
    assert "Shown as plain text" in response.text
    assert all(len(text) < 1000 for text in renders)
