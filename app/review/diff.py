"""A bounded word diff of two answers as a reader sees them (rendered text, not Markdown syntax)."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from html.parser import HTMLParser

from markupsafe import Markup, escape

from app.rendering import render_markdown

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")
_BLOCKS = {
    "p",
    "pre",
    "li",
    "tr",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "hr",
    "table",
    "div",
}
# Word-level matching inside one changed block is quadratic in the worst case: past this many tokens a
# block is shown as removed and added as a whole, and past the budget every remaining block is.
BLOCK_TOKEN_CAP = 2_000
WORD_BUDGET = 20_000


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markdown: str) -> str:
    """The text a reader sees once the Markdown is rendered: no fences, hashes, asterisks or link targets."""
    parser = _Text()
    parser.feed(str(render_markdown(markdown)))
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _blocks(text: str) -> list[str]:
    """Paragraphs with the blank lines after them: units that rarely repeat, unlike bare blank lines."""
    return [block for block in re.split(r"(?<=\n)(?=[^\n])", text) if block]


def _tokens(lines: list[str]) -> list[str]:
    return _TOKEN_RE.findall("".join(lines))


def _whole(parts: list[str], removed: list[str], added: list[str]) -> None:
    if removed:
        parts.append(f"<del>{escape(''.join(removed))}</del>")
    if added:
        parts.append(f"<ins>{escape(''.join(added))}</ins>")


@lru_cache(maxsize=64)
def word_diff(left: str, right: str) -> Markup:
    """Rendered-text diff of two Markdown answers: blocks first, then words inside changed blocks (bounded)."""
    a_lines = _blocks(plain_text(left))
    b_lines = _blocks(plain_text(right))
    parts: list[str] = []
    budget = WORD_BUDGET
    # autojunk stays on here: a block repeated all over (a closing fence, "---") would otherwise make the
    # block-level match quadratic in the number of blocks.
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a_lines, b=b_lines).get_opcodes():
        if op == "equal":
            parts.append(str(escape("".join(a_lines[i1:i2]))))
            continue
        a, b = _tokens(a_lines[i1:i2]), _tokens(b_lines[j1:j2])
        if not a or not b or len(a) + len(b) > BLOCK_TOKEN_CAP or budget <= 0:
            _whole(parts, ["".join(a_lines[i1:i2])] if a else [], ["".join(b_lines[j1:j2])] if b else [])
            continue
        budget -= len(a) + len(b)
        for wop, x1, x2, y1, y2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
            if wop == "equal":
                parts.append(str(escape("".join(a[x1:x2]))))
            else:
                _whole(parts, a[x1:x2], b[y1:y2])
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above
