"""ChatGPT conversations saved as HTML: the data export's `chat.html`, and ChatGPT Exporter's HTML pages.

`chat.html` (in ChatGPT's "Export data" zip, beside `conversations.json`) is a page whose script holds the
conversations as `var jsonData = [...];` and renders them in the browser: the same array as conversations.json.
The shape comes from readers written for real exports (they cut the array out between `var jsonData =` and
the `;` after it, before `function getConversationMessages` or `</script>`). The array is streamed item by
item, wherever in the page it starts, and each conversation is read as `chatgpt` reads conversations.json;
an error names the item as `jsonData[i]`. In a folder or zip where conversations.json sits beside it,
chat.html is skipped (counted) as the same conversations, so an unpacked export imports once.

ChatGPT Exporter (pionxzh/chatgpt-exporter, a userscript; "Export HTML") writes one conversation per page
(shape from its `src/exporter/html.ts` and `src/template.html`): each message is a
`<div class="conversation-item">` whose `<div class="author …">` says `user` for the user and the model
(`GPT-3`, `GPT-4`) for every other author, with the message in `<div class="conversation-content">`.
- The user's text is the page's text as typed: the exporter escapes it into one paragraph, line breaks kept.
- The assistant's was Markdown rendered to HTML; it is written back as Markdown (`_html`). Consecutive
  non-user messages (a plugin's output, then the answer) are one answer, as the page shows them.
- A reasoning model's thoughts (`<details class="thinking">`, when the exporter was set to include them)
  become the answer's thinking block; images are counted as dropped (`image`).
- The title is the page's `<h1>`; the external id is the chat id of the `…/c/<id>` link in it (else the
  file's path); the first message time (`<time datetime>`, when the exporter wrote times) is `create_time`
  in the metadata, and the link `source_url`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import IO

from . import chatgpt
from ._html import Element, classes, element_markdown, element_text, find_all, html_tree
from ._json import BOM, BadRecord
from ._records import Chain, array_items, converted, peekable, read_text, stream_results
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParseResult, RecordError

_MARKER = b"var jsonData"
_ITEM = b'class="conversation-item"'
_CHUNK = 1 << 20
_HEAD = 65536
_WHITESPACE = b" \t\r\n"
# A chat link, https://chatgpt.com/c/<id> or https://chat.openai.com/c/<id>.
_CHAT_LINK = re.compile(r"^https?://(?:chatgpt\.com|chat\.openai\.com)/c/([0-9A-Za-z-]+)")


def _base_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1].lower()


class ChatGPTHtmlImporter:
    name = "chatgpt-html"

    def sniff(self, head: bytes, filename: str) -> bool:
        if not head.removeprefix(BOM).lstrip(_WHITESPACE).startswith(b"<"):
            return False
        if _MARKER in head or _ITEM in head:
            return True
        # The export's page with more than a head of markup before its script.
        return _base_name(filename) == "chat.html"

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        # The head as the sniffer saw it (a page's style sheet alone can be 15 KB), then the rest of the stream.
        head = stream.read(_HEAD)
        rest = peekable(Chain(io.BytesIO(head), stream))
        if _ITEM in head and _MARKER not in head:
            yield _exporter_page(read_text(rest), filename)
            return
        array = _after_marker(rest)
        if array is None:
            raise FileFormatError(
                "an HTML page without ChatGPT conversations: neither the export's `var jsonData = [...]` "
                "(chat.html) nor ChatGPT Exporter's conversation items"
            )
        yield from stream_results(
            array_items(array, "jsonData"),
            lambda value, where: converted(chatgpt.importer.convert, value, where, f"{filename}:{where}"),
            "chat.html holds no conversations (`var jsonData = []`)",
        )


def _after_marker(stream: io.BufferedReader) -> io.BufferedReader | None:
    """The page from the `[` that opens jsonData's array on, or None when the page never says
    `var jsonData`. Read in chunks: the markup before the script is not held."""
    tail = b""
    while chunk := stream.read(_CHUNK):
        data = tail + chunk
        at = data.find(_MARKER)
        if at < 0:
            tail = data[-(len(_MARKER) - 1) :]
            continue
        rest = peekable(Chain(io.BytesIO(data[at + len(_MARKER) :]), stream))
        _skip_whitespace(rest)
        if rest.read(1) != b"=":
            raise FileFormatError("`var jsonData` is not followed by `= [...]`")
        _skip_whitespace(rest)
        if rest.peek(1)[:1] != b"[":
            raise FileFormatError("`var jsonData =` is not followed by a JSON array")
        return rest
    return None


def _skip_whitespace(stream: io.BufferedReader) -> None:
    while (byte := stream.peek(1)[:1]) and byte in _WHITESPACE:
        stream.read(1)


def _is_item(element: Element) -> bool:
    return element.tag == "div" and "conversation-item" in classes(element)


def _has_class(name: str) -> Callable[[Element], bool]:
    return lambda element: name in classes(element)


def _first(element: Element, name: str) -> Element | None:
    return next(find_all(element, _has_class(name)), None)


def _exporter_page(page: str, filename: str) -> ParseResult:
    tree = html_tree(page)
    builder = TurnBuilder()
    times: list[str] = []
    for item in find_all(tree, _is_item):
        author = _first(item, "author")
        content = _first(item, "conversation-content")
        if author is None or content is None:
            builder.dropped["unreadable message"] += 1
            continue
        images = sum(1 for _ in find_all(content, lambda e: e.tag == "img"))
        if images:
            builder.dropped["image"] += images
        stamp = next(find_all(item, lambda e: e.tag == "time"), None)
        if stamp is not None and stamp.attrs.get("datetime"):
            times.append(stamp.attrs["datetime"])
        if "user" in classes(author):
            builder.user(element_text(content).strip())
            continue
        thinking = _first(item, "thinking")
        if thinking is not None:
            thoughts = (
                element_text(node).strip() for node in find_all(thinking, lambda e: e.tag in ("p", "li"))
            )
            builder.thinking("\n\n".join(thought for thought in thoughts if thought))
        builder.text(element_markdown(content))
    heading = next(find_all(tree, lambda e: e.tag == "h1"), None)
    title = " ".join(element_text(heading).split()) if heading is not None else ""
    link = next(find_all(heading, lambda e: e.tag == "a"), None) if heading is not None else None
    href = link.attrs.get("href", "") if link is not None else ""
    chat = _CHAT_LINK.match(href)
    metadata = {"source_url": href} if chat else {}
    if times:
        metadata["create_time"] = times[0]
    try:
        conversation = builder.conversation(
            chat[1] if chat else filename, title=title or None, metadata=metadata
        )
    except BadRecord as exc:
        return RecordError(f"ChatGPT Exporter page: {exc}")
    if not conversation.title and conversation.turns:
        conversation.title = prompt_title(conversation.turns[0].text)
    return conversation


importer = ChatGPTHtmlImporter()
