"""Augment Code's chats in JetBrains IDEs: `.idea/AugmentWebviewStateStore.xml`, which many projects commit.

No source of the plugin is public; the shape was read from real files committed to public repositories (2025): the
project file's `AugmentWebviewStateStore` component holds `<entry key="CHAT_STATE" value="..."/>`, whose value is
one JSON document, XML-escaped: `{currentConversationId, conversations: {<id>: {id, createdAtIso,
lastInteractedAtIso, chatHistory: [...], draftExchange, extraData, ...}}}`. Each `chatHistory` item is one exchange,
the question and its answer together: `request_message` (the text typed; `rich_text_json_repr` and
`structured_request_nodes` repeat it) and `response_text` (the answer as Markdown, code in ````lang path=... fences;
`structured_output_nodes` of type 0 repeat it, read only when `response_text` is missing). The draft (`draftExchange`,
text not sent) is not a turn; the retrieved file ranges (nodes of type 3) are left out.

Each conversation is one: its id the external id, its first question the title, when it was created and whether it
ran as an agent the metadata. Files of 2026 hold the state in a compact key-table encoding whose answers live
elsewhere: they are one clear error.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import converted, expect, read_text, type_name
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParsedConversation, ParseResult, SkipRecord

_COMPONENT = b'<component name="AugmentWebviewStateStore"'
_CHAT_STATE = re.compile(r'<entry\s+key="CHAT_STATE"\s+value="([^"]*)"')
_NO_TALK = "Augment conversation without a question and an answer"


class AugmentImporter:
    name = "augment"

    def sniff(self, head: bytes, filename: str) -> bool:
        return _COMPONENT in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream)
        entry = _CHAT_STATE.search(text)
        if entry is None:
            raise FileFormatError(
                'expected Augment\'s chat state: <entry key="CHAT_STATE" value="..."/> in the '
                "AugmentWebviewStateStore component"
            )
        try:
            state = orjson.loads(html.unescape(entry.group(1)))
        except orjson.JSONDecodeError as exc:
            raise FileFormatError(f"CHAT_STATE: not JSON ({exc})") from None
        if type(state) is not dict or type(state.get("conversations")) is not dict:
            found = type_name(state.get("conversations")) if type(state) is dict else type_name(state)
            raise FileFormatError(
                f"CHAT_STATE.conversations: expected an object of conversations by id, got {found} "
                "(Augment's 2026 compact encoding, whose answers are kept elsewhere, is not read)"
            )
        for key, value in state["conversations"].items():
            yield converted(_conversation, value, f"CHAT_STATE.conversations.{key}", key)


def _conversation(value: Any, key: str) -> ParsedConversation:
    conversation = expect(value, dict, "conversation")
    history = expect(conversation.get("chatHistory"), list, "chatHistory")
    builder = TurnBuilder()
    for number, item in enumerate(history):
        exchange = expect(item, dict, f"chatHistory[{number}]")
        question = exchange.get("request_message")
        if type(question) is str:
            builder.user(question.strip())
        builder.text(_answer(exchange, f"chatHistory[{number}]").strip())
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    first = next(turn.text for turn in builder.turns if turn.role == "user")
    metadata: dict[str, Any] = {}
    if type(created := conversation.get("createdAtIso")) is str:
        metadata["created_at"] = created
    extra = conversation.get("extraData")
    if type(extra) is dict and extra.get("isAgentConversation") is True:
        metadata["agent"] = True
    identifier = conversation.get("id")
    return builder.conversation(
        identifier if type(identifier) is str and identifier else key,
        title=prompt_title(first),
        metadata=metadata,
    )


def _answer(exchange: dict[str, Any], where: str) -> str:
    """The answer's Markdown: `response_text`, else the text nodes (type 0) of `structured_output_nodes`."""
    text = exchange.get("response_text")
    if type(text) is str and text.strip():
        return text
    nodes = exchange.get("structured_output_nodes")
    if nodes is None:
        return ""
    parts = []
    for number, node in enumerate(expect(nodes, list, f"{where}.structured_output_nodes")):
        if type(node) is dict and node.get("type") == 0:
            content = node.get("content")
            if type(content) is not str:
                raise BadRecord(
                    f"{where}.structured_output_nodes[{number}].content: expected a string, got {type_name(content)}"
                )
            parts.append(content)
    return "".join(parts)


importer = AugmentImporter()
