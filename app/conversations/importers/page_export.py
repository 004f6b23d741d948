"""JSON written by the page-scraping exporters claude-export and chatgpt-export (ryanschiang, run in the browser
console on claude.ai or chatgpt.com): one conversation per file.

The shape comes from their source (`src/exportJSON.js` in both repositories) and the examples in their READMEs:
`{"meta": {"title", "exported_at" | "exportedAt"}, "chats": [{"index", "type", "message"}]}`. `type` is
`prompt` (the user) or `response` (the assistant); claude-export leaves it out for a page element it could not
place, and such an element is counted as dropped. `message` lists what the page showed, in order:
- a plain string (the typed prompt, as claude-export stores it);
- `{"type": "p", "data": text}` a paragraph;
- `{"type": "pre", "language", "data"}` a code block, written back as a fenced block with its language;
- `{"type": "ol" | "ul", "data": [{"type": "li", "data": text}]}` a list, written back as `1.` / `-` lines;
- `{"type": "table", "data": [{"type": "thead" | "tbody", "data": [{"type": "tr", "data": [{"type": "th" |
  "td", "data": text}]}]}]}` a table, written back as a Markdown table.
Other element types are counted as dropped. The page's text has no inline Markdown left (the exporters read
`textContent`), so backticks and emphasis inside a paragraph are gone. The file holds no ids: the file's path
is the external id, the meta title the title, the export time metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import iter_records, sniff_head, type_name
from ._turns import TurnBuilder
from .base import ParseResult, RecordError

_ROLES = {"prompt": "user", "response": "assistant"}


def _looks(record: dict[str, Any]) -> bool:
    chats, meta = record.get("chats"), record.get("meta")
    if type(chats) is not list or type(meta) is not dict:
        return False
    first = chats[0] if chats else None
    return type(first) is dict and type(first.get("message")) is list and "index" in first


def _hint(head: bytes) -> bool:
    # A first message longer than the head: the meta block and the first chat's keys come before its text.
    return b'"meta"' in head and b'"chats"' in head and b'"index"' in head and b'"message"' in head


def _text(value: Any, where: str) -> str:
    if type(value) is not str:
        raise BadRecord(f"{where}.data: expected text, got {type_name(value)}")
    return value


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    if type(value) is not list or not all(type(item) is dict for item in value):
        raise BadRecord(f"{where}.data: expected a list of elements, got {type_name(value)}")
    return value


def _table(sections: list[dict[str, Any]], where: str) -> str:
    rows: list[list[str]] = []
    header = 0
    for s, section in enumerate(sections):
        for r, row in enumerate(_items(section.get("data"), f"{where}.data[{s}]")):
            cells = _items(row.get("data"), f"{where}.data[{s}].data[{r}]")
            rows.append(
                [
                    _text(cell.get("data"), f"{where}.data[{s}].data[{r}].data[{c}]")
                    .replace("|", "\\|")
                    .strip()
                    for c, cell in enumerate(cells)
                ]
            )
            if section.get("type") == "thead":
                header = len(rows)
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    # A Markdown table needs a header row: the first row is taken when the page had no <thead>.
    lines.insert(max(header, 1), "|" + " --- |" * width)
    return "\n".join(lines)


def _element(element: Any, where: str, dropped: dict[str, int]) -> str:
    """One element of a message as Markdown text ("" for one that is left out and counted)."""
    if type(element) is str:
        return element
    if type(element) is not dict:
        raise BadRecord(f"{where}: expected text or an element object, got {type_name(element)}")
    kind = element.get("type")
    if kind == "p":
        return _text(element.get("data"), where)
    if kind == "pre":
        language = element.get("language")
        fence = "```" + (language.strip() if type(language) is str else "")
        return f"{fence}\n{_text(element.get('data'), where)}\n```"
    if kind in ("ol", "ul"):
        items = _items(element.get("data"), where)
        texts = [_text(item.get("data"), f"{where}.data[{i}]").strip() for i, item in enumerate(items)]
        return "\n".join(f"{i}. {t}" if kind == "ol" else f"- {t}" for i, t in enumerate(texts, 1))
    if kind == "table":
        return _table(_items(element.get("data"), where), where)
    shown = kind if type(kind) is str else type_name(kind)
    dropped[f"page element {shown}"] = dropped.get(f"page element {shown}", 0) + 1
    return ""


def _conversation(record: Any, filename: str) -> Any:
    if type(record) is not dict:
        raise BadRecord(f"expected the export object, got {type_name(record)}")
    chats = record.get("chats")
    if type(chats) is not list:
        raise BadRecord(f"chats: expected a list, got {type_name(chats)}")
    meta = record.get("meta")
    meta = meta if type(meta) is dict else {}
    builder = TurnBuilder()
    dropped: dict[str, int] = {}
    for n, chat in enumerate(chats):
        where = f"chats[{n}]"
        if type(chat) is not dict:
            raise BadRecord(f"{where}: expected a message object, got {type_name(chat)}")
        elements = chat.get("message")
        if type(elements) is not list:
            raise BadRecord(f"{where}.message: expected a list, got {type_name(elements)}")
        kind = chat.get("type")
        role = _ROLES.get(kind) if type(kind) is str else None
        parts = [_element(e, f"{where}.message[{i}]", dropped) for i, e in enumerate(elements)]
        text = "\n\n".join(part.strip("\n") for part in parts if part.strip())
        if role is None:
            dropped["unplaced page element"] = dropped.get("unplaced page element", 0) + 1
        elif role == "user":
            builder.user(text)
        else:
            builder.text(text)
    builder.dropped.update(dropped)
    exported = meta.get("exported_at", meta.get("exportedAt"))
    metadata = {"exported_at": exported} if type(exported) is str and exported else {}
    title = meta.get("title")
    return builder.conversation(
        filename, title=title.strip() if type(title) is str and title.strip() else None, metadata=metadata
    )


class PageExportImporter:
    name = "page-export"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            try:
                yield _conversation(record.value, filename)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)


importer = PageExportImporter()
