"""Safe Markdown: raw HTML off, links sanitized, and bounded work. Code blocks are sent escaped, with their
language as a class (`language-python`), and highlighted in the browser (static/app.js): highlighting here
(Pygments) took about 5 ms for an answer with 70 lines of Python, on every pair shown.

Transcripts are untrusted: a turn of 600,000 `[` took 27 s of CPU to render. Texts over MAX_RENDER_CHARS,
or with more than MAX_LINK_OPENERS `[` (markdown-it's link scanning is superlinear in them), are shown as
plain text instead ("shown raw"); rendered HTML is cached per text (a turn is rendered once, not on every
key press); and on an event-loop thread (an `async def` route) only small texts are rendered, so one
request can never stall the server: the pages that show transcripts are sync routes, run in a thread pool.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

# Longer texts are shown as plain text (a few hundred ms of rendering at most below this).
MAX_RENDER_CHARS = 100_000
# More `[` than this and the text is shown as plain text (2,000 cost ~40 ms; 20,000 cost 4 s).
MAX_LINK_OPENERS = 2_000
# On an event-loop thread only texts up to this size are rendered.
MAX_LOOP_RENDER_CHARS = 4_000
# Plain-text fallbacks show at most this much; the rest is counted, not sent.
MAX_RAW_CHARS = 1_000_000
# Rendered HTML kept, by text digest (the text itself is not kept).
CACHE_ENTRIES = 512

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "pre",
    "code",
    "span",
    "em",
    "strong",
    "del",
    "s",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "div",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "div": {"class"},
    "th": {"style"},
    "td": {"style"},
}


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" disables raw HTML and validates link schemes; we add tables and strikethrough.
    md = MarkdownIt("js-default", {"linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


_cache: OrderedDict[bytes, str] = OrderedDict()
_cache_lock = threading.Lock()


def _render(text: str) -> str:
    """Sanitized HTML of `text`, from the cache when this text was rendered before."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _cache_lock:
        html = _cache.get(digest)
        if html is not None:
            _cache.move_to_end(digest)
            return html
    html = _render_uncached(text)
    with _cache_lock:
        _cache[digest] = html
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return html


def _render_uncached(text: str) -> str:
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def raw_reason(text: str) -> str | None:
    """Why a text is shown as plain text instead of rendered, or None when it is rendered."""
    if len(text) > MAX_RENDER_CHARS:
        return f"longer than {MAX_RENDER_CHARS:,} characters"
    if text.count("[") > MAX_LINK_OPENERS:
        return f"more than {MAX_LINK_OPENERS:,} '[' characters"
    if len(text) > MAX_LOOP_RENDER_CHARS and _on_event_loop():
        log.warning("a %d-character text reached render_markdown on the event loop; shown raw", len(text))
        return "too long to format here"
    return None


def _raw(text: str, reason: str) -> str:
    shown = text[:MAX_RAW_CHARS]
    rest = len(text) - len(shown)
    more = f'<p class="muted small">… {rest:,} more characters not shown.</p>' if rest else ""
    return (
        f'<p class="muted small raw-note">Shown as plain text ({escape(reason)}).</p>'
        f'<pre class="raw">{escape(shown)}</pre>{more}'
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitized HTML; anything that looks like markup in the source is shown as text."""
    text = text or ""
    reason = raw_reason(text)
    if reason is not None:
        return Markup(_raw(text, reason))  # noqa: S704 - every part is escaped
    return Markup(_render(text))  # noqa: S704 - sanitized by markdown-it (html off) and nh3


def warm_up() -> None:
    """Load the Markdown parser and the sanitizer once, before the first page needs them, and without filling
    the cache."""
    _render_uncached("**warm** `up`\n\n```python\nx\n```\n\n| a |\n|---|\n| b |\n")
