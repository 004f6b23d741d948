"""Safe Markdown: raw HTML off, links sanitized, code highlighted on the server."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")
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


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang.strip().split()[0]) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return str(escape(code))
    return highlight(code, lexer, _FORMATTER)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "js-default" disables raw HTML and validates link schemes; we add tables and strikethrough.
    md = MarkdownIt("js-default", {"highlight": _highlight, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    return md


@lru_cache(maxsize=4096)
def _render(text: str) -> str:
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitized HTML; anything that looks like markup in the source is shown as text."""
    return Markup(_render(text or ""))  # noqa: S704 - sanitized by markdown-it (html off) and nh3
