"""HTML to Markdown for answers an export keeps as HTML (Google Takeout's Gemini activity), with the stdlib parser.

Written for what Gemini's answers hold, not for any web page:
- `p`, `div` and other block containers are paragraphs a blank line apart; `br` a line break;
- `h1`-`h6` are `#` headings; `strong`/`b` are `**bold**`, `em`/`i` `*italic*`, inline `code` a code span;
- `pre` (with its `code`) is a fenced block, in the language its `class="language-x"` names;
- `ul`/`ol`/`li` are `-` and `1.` lists (an `ol`'s `start` is kept), nested lists indented under their item;
- `blockquote` is `> ` quoted; `hr` is `---`;
- `a` keeps its text, followed by its URL in parentheses only when the two differ (a `javascript:` URL is
  never kept);
- `table` (with `thead`/`tbody`/`tfoot`, `tr`, `th`/`td`) is a Markdown table whose first row is the header;
- `img` keeps its `alt` text; `script`, `style` and `template` are left out with their content; any other tag
  keeps its text.
Entities are unescaped by the parser. Text is not escaped for Markdown (a literal `*` stays as it is): the
answer reads as Gemini wrote it, not as a round trip of HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})
# Tags whose content is blocks (paragraphs, lists...) rather than a run of text.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li",
        "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead",
        "tr", "ul",
    }
)  # fmt: skip
# A start tag that closes an open element (tags it closes, tags that stop the search).
_IMPLIED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "li": (("li",), ("ul", "ol")),
    "td": (("td", "th"), ("tr", "table")),
    "th": (("td", "th"), ("tr", "table")),
    "tr": (("tr",), ("table", "thead", "tbody", "tfoot")),
}
# Open elements nested deeper than this open nothing more (the tree is walked recursively).
MAX_DEPTH = 100
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_LISTS = frozenset({"ul", "ol"})
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"th", "td"})
# HTML's whitespace (not a no-break space, which is text).
_SPACES = re.compile(r"[ \t\n\r\f]+")
_BACKTICKS = re.compile(r"`+")
_LANGUAGE = re.compile(r"(?:^|\s)(?:language|lang)-([\w+#.-]+)")


@dataclass(slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """The document as a tree of elements and text.

    An end tag closes up to the element it names (an unmatched one is ignored), and whatever is still open at
    the end is closed. As in HTML, a new `li` closes the item still open in its list, a `td`/`th` the open
    cell, a `tr` the open row, and a block the open `p`. Past `MAX_DEPTH` open elements a start tag opens
    nothing (its content goes to the element around it), so no input nests the tree deeper than that.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        element = Element(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(element)
        if tag not in _VOID and len(self._open) <= MAX_DEPTH:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        self._open[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self._close((tag,), ())

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)

    def _close_implied(self, tag: str) -> None:
        implied = _IMPLIED.get(tag)
        if implied is not None:
            self._close(*implied)
        if tag in _BLOCKS and self._open[-1].tag == "p":
            self._open.pop()

    def _close(self, tags: tuple[str, ...], scope: tuple[str, ...]) -> None:
        """Close the innermost open element among `tags` (and all inside it), unless one of `scope` (or the
        root) is reached first."""
        for depth in range(len(self._open) - 1, 0, -1):
            current = self._open[depth].tag
            if current in tags:
                del self._open[depth:]
                return
            if current in scope:
                return


def html_to_markdown(html: str) -> str:
    """Markdown for an HTML fragment (see the module docstring for what each tag becomes)."""
    return element_markdown(html_tree(html))


def html_tree(html: str) -> Element:
    """A document as a tree of elements and text (under a `root` element), for a reader that finds its parts
    by tag and class before writing them as Markdown (`element_markdown`) or text (`element_text`)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def element_markdown(element: Element) -> str:
    """Markdown for what an element holds (as `html_to_markdown` writes a fragment)."""
    return "\n\n".join(_blocks(element)).strip()


def element_text(element: Element) -> str:
    """All the text under an element as it is, whitespace and line breaks kept (`br` is one)."""
    return _text(element)


def classes(element: Element) -> list[str]:
    return element.attrs.get("class", "").split()


def find_all(element: Element, test: Callable[[Element], bool]) -> Iterator[Element]:
    """The elements under `element` that pass `test`, in document order; an element that passes is not
    searched further."""
    stack: list[Element | str] = list(reversed(element.children))
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            continue
        if test(node):
            yield node
        else:
            stack.extend(reversed(node.children))


def _is_block(node: Element | str) -> bool:
    return isinstance(node, Element) and node.tag in _BLOCKS


def _blocks(element: Element) -> list[str]:
    """The blocks of a container: each block child's, and each run of inline content between them as a
    paragraph (a run that is only whitespace is no paragraph)."""
    blocks: list[str] = []
    run: list[Element | str] = []

    def flush() -> None:
        text = _inline(run)
        if text:
            blocks.append(text)
        run.clear()

    for child in element.children:
        if _is_block(child):
            flush()
            assert isinstance(child, Element)
            blocks.extend(_block(child))
        else:
            run.append(child)
    flush()
    return blocks


def _block(element: Element) -> list[str]:
    tag = element.tag
    if tag in _HEADINGS:
        text = " ".join(_inline(element.children).split())
        return [f"{'#' * _HEADINGS[tag]} {text}"] if text else []
    if tag == "pre":
        return [_fenced(element)]
    if tag in _LISTS:
        text = _list(element)
        return [text] if text else []
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(element))
        return [_prefix(inner, "> ", ">")] if inner else []
    if tag == "table":
        return _table(element)
    if tag == "hr":
        return ["---"]
    return _blocks(element)


class _Line:
    """Inline text being written: HTML whitespace collapses to one space, none at the start of a line."""

    __slots__ = ("parts", "trim")

    def __init__(self, *, trim: bool = True) -> None:
        self.parts: list[str] = []
        # Whether a space at the very start goes (not inside an element: its spaces go outside its markers).
        self.trim = trim

    def _at_line_start(self) -> bool:
        return self.trim if not self.parts else self.parts[-1].endswith((" ", "\n"))

    def text(self, data: str) -> None:
        data = _SPACES.sub(" ", data)
        if data.startswith(" ") and self._at_line_start():
            data = data[1:]
        if data:
            self.parts.append(data)

    def raw(self, data: str) -> None:
        if data:
            self.parts.append(data)

    def wrapped(self, inner: str, marker: str) -> None:
        """`inner` between two markers, the spaces at its ends kept outside them."""
        core = inner.strip(" ")
        if not core:
            self.text(inner)
            return
        if inner.startswith(" "):
            self.text(" ")
        self.raw(f"{marker}{core}{marker}")
        if inner.endswith(" "):
            self.text(" ")

    def result(self) -> str:
        text = "".join(self.parts).replace("\xa0", " ")
        # A line break (`br`) takes the spaces around it.
        return "\n".join(line.strip(" ") for line in text.split("\n")).strip("\n")


def _inline(nodes: list[Element | str]) -> str:
    line = _Line()
    for node in nodes:
        _write(line, node)
    return line.result()


def _write(line: _Line, node: Element | str) -> None:
    if isinstance(node, str):
        line.text(node)
        return
    tag = node.tag
    if tag in _HIDDEN:
        return
    if tag == "br":
        line.raw("\n")
    elif tag in ("strong", "b"):
        line.wrapped(_inner(node), "**")
    elif tag in ("em", "i"):
        line.wrapped(_inner(node), "*")
    elif tag == "code":
        line.raw(_code_span(_SPACES.sub(" ", _text(node))))
    elif tag == "a":
        _link(line, node)
    elif tag == "img":
        line.text(node.attrs.get("alt", ""))
    elif tag in _BLOCKS:
        # A block inside a run of text (a `div` in a `span`): its blocks on lines of their own.
        line.raw("\n" + "\n\n".join(_block(node)) + "\n")
    else:
        for child in node.children:
            _write(line, child)


def _inner(element: Element) -> str:
    """An inline element's content, with the spaces at its ends (they belong outside its markers)."""
    line = _Line(trim=False)
    for child in element.children:
        _write(line, child)
    return "".join(line.parts).replace("\xa0", " ")


def _link(line: _Line, element: Element) -> None:
    text = _inline(element.children)
    href = element.attrs.get("href", "").strip()
    if href.lower().startswith("javascript:"):
        href = ""
    if not text:
        line.text(href)
    elif href and href != text:
        line.text(text)
        line.raw(f" ({href})")
    else:
        line.text(text)


def _text(element: Element) -> str:
    """All the text under an element, as it is (line breaks from `br`), hidden tags left out."""
    parts: list[str] = []
    stack: list[Element | str] = [element]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
        elif node.tag == "br":
            parts.append("\n")
        elif node.tag not in _HIDDEN:
            stack.extend(reversed(node.children))
    return "".join(parts)


def _fence(text: str, minimum: int) -> str:
    """Backticks one longer than the longest run in `text`, at least `minimum`."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    return "`" * max(minimum, longest + 1)


def _code_span(text: str) -> str:
    if not text.strip():
        return text
    fence = _fence(text, 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(pre: Element) -> str:
    code = _text(pre).replace("\xa0", " ")
    # A newline right after <pre> is not content (HTML drops it); the last one closes the block.
    code = code.removeprefix("\n").removesuffix("\n")
    language = _language(pre)
    fence = _fence(code, 3)
    return f"{fence}{language}\n{code}\n{fence}"


def _language(pre: Element) -> str:
    """The language a `pre` or its `code` names in its class (`language-x` or `lang-x`)."""
    candidates = [
        pre,
        *(child for child in pre.children if isinstance(child, Element) and child.tag == "code"),
    ]
    for element in candidates:
        match = _LANGUAGE.search(element.attrs.get("class", ""))
        if match:
            return match.group(1)
    return ""


def _list(element: Element) -> str:
    """A list's items, each under its marker, its other lines indented to the marker's width."""
    ordered = element.tag == "ol"
    try:
        number = int(element.attrs.get("start", "1"))
    except ValueError:
        number = 1
    items: list[tuple[str, str]] = []
    for child in element.children:
        if isinstance(child, str) and not child.strip():
            continue
        if isinstance(child, Element) and child.tag in _LISTS and items:
            # A list right inside a list (not in an item) belongs to the item before it.
            marker, content = items[-1]
            items[-1] = (marker, "\n".join(part for part in (content, _list(child)) if part))
            continue
        if isinstance(child, Element) and child.tag == "li":
            content = "\n".join(_blocks(child))
        elif _is_block(child):
            assert isinstance(child, Element)
            content = "\n".join(_block(child))
        else:
            content = _inline([child])
        items.append((f"{number}. " if ordered else "- ", content))
        number += 1
    return "\n".join(_item(marker, content) for marker, content in items)


def _item(marker: str, content: str) -> str:
    if not content:
        return marker.rstrip()
    return marker + _prefix(content, " " * len(marker), "", first="")


def _prefix(text: str, prefix: str, blank: str, *, first: str | None = None) -> str:
    """Every line of `text` with `prefix` (an empty line with `blank`); the first line with `first` when
    given."""
    lines = text.split("\n")
    out = [(prefix if line else blank) + line for line in lines]
    if first is not None:
        out[0] = first + lines[0]
    return "\n".join(out)


def _table(table: Element) -> list[str]:
    rows: list[list[str]] = []
    captions: list[str] = []

    def walk(element: Element) -> None:
        for child in element.children:
            if not isinstance(child, Element):
                continue
            if child.tag == "tr":
                cells = [c for c in child.children if isinstance(c, Element) and c.tag in _CELLS]
                rows.append([_cell(cell) for cell in cells])
            elif child.tag in _ROW_GROUPS:
                walk(child)
            elif child.tag == "caption":
                captions.extend(_blocks(child))

    walk(table)
    rows = [row for row in rows if row]
    if not rows:
        return captions
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = [_row(rows[0]), _row(["---"] * width), *(_row(row) for row in rows[1:])]
    return [*captions, "\n".join(lines)]


def _cell(cell: Element) -> str:
    """A cell's text on one line (a Markdown table has no room for more), its `|` escaped."""
    return " ".join(" ".join(_blocks(cell)).split()).replace("|", "\\|")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
