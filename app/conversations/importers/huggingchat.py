"""HuggingChat (huggingface/chat-ui) data export: `conversations.json` from the `export.zip` of `/api/v2/export`.

The shape was read from chat-ui's exporter (`src/routes/api/v2/export/+server.ts`) and its types
(`src/lib/types/Conversation.ts`, `Message.ts`): the zip holds `conversations.json` (a JSON array written with
two-space indents, MongoDB documents serialized, so `_id` is a hex string and dates are ISO strings),
`assistants.json` (the assistants the user made, not conversations) and the files of the conversations
(`file-<conversation id>-<8 chars>.<ext>`) and the assistants' avatars. A conversation is `{_id, title,
rootMessageId, messages, model, preprompt, assistantId?, createdAt, updatedAt, userAgent, embeddingModel,
userId | sessionId}`; a message `{id, from: "system" | "user" | "assistant", content, createdAt, updatedAt,
ancestors, children, files, interrupted?, reasoning?, score?, routerMetadata?, webSearch?}`.

The messages are a tree (each lists its `ancestors` from the root and its `children`); the thread shown is the one
chat-ui's `createMessagesPath` builds: the last message of the list (the last written), its ancestors in order,
then from it down through the last child of each message. A retried answer or an edited prompt is a new sibling
appended last, so older drafts are not turns (the answers left out are counted as `regenerated_responses` in the
metadata). Conversations from before the tree (no `rootMessageId`, no `ancestors`) are read in order.
- `system` messages (the root, holding the `preprompt`) are the system prompt, else the `preprompt`.
- `user` messages are prompts. The exporter replaces every message's `files` with the names of all the
  conversation's files, so the distinct names are counted once, as dropped (`image` by their extension, else
  `file`).
- `assistant` messages are answers: `reasoning` (or a `<think>` section the text starts with) a thinking block,
  `content` the text. The web search sources and the `updates` (which the exporter drops) are not read.

The `_id` is the external id, the `title` the title (chat-ui's placeholder "New Chat" gives way to the first
prompt), the `model`, `assistantId` and `createdAt` (as written) the metadata; a conversation without an answer is
skipped. One conversation as a bare object, or JSON Lines of them, reads the same.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, has_top_key
from ._records import first_byte, parse_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, split_thinking
from .base import ParsedConversation, ParseResult, SkipRecord

_ROLES = ("system", "user", "assistant")
_PLACEHOLDER_TITLES = frozenset({"New Chat", "Untitled"})
_IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "avif", "heic"})
# A first message in the head: its `from`, written by chat-ui as one of its three roles.
_FROM = re.compile(rb'"from"\s*:\s*"(?:system|user|assistant)"')


def _looks(record: dict[str, Any]) -> bool:
    messages = record.get("messages")
    if type(messages) is not list:
        return False
    if not messages:
        return "rootMessageId" in record and "_id" in record
    first = messages[0]
    if type(first) is not dict or first.get("from") not in _ROLES or "content" not in first:
        return False
    # chat-ui's own keys, beside the `from` of its messages.
    return "rootMessageId" in record or "preprompt" in record or "ancestors" in first or "_id" in record


def _hint(head: bytes) -> bool:
    """A first conversation longer than the head: its tree keys and a chat-ui message role."""
    if _FROM.search(head) is None:
        return False
    if b'"rootMessageId"' not in head and b'"ancestors"' not in head:
        return False
    return first_byte(head) != ord("{") or has_top_key(head.removeprefix(BOM), b'"messages"')


class HuggingChatImporter:
    name = "huggingchat"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(stream, filename, _convert, ("HuggingChat", _looks))


def _messages(record: dict[str, Any]) -> list[dict[str, Any]]:
    messages = record.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    for index, message in enumerate(messages):
        if type(message) is not dict:
            raise BadRecord(f"messages[{index}]: expected a message object, got {type_name(message)}")
        role = message.get("from")
        if role not in _ROLES:
            shown = f'"{role}"' if type(role) is str else type_name(role)
            raise BadRecord(f"messages[{index}].from: expected system, user or assistant, got {shown}")
        content = message.get("content")
        if type(content) is not str:
            raise BadRecord(f"messages[{index}].content: expected the text, got {type_name(content)}")
    return messages


def _path(record: dict[str, Any], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The thread chat-ui shows (`createMessagesPath`): the last message's ancestors, it, then last children."""
    if not messages:
        return []
    is_tree = "rootMessageId" in record or any("ancestors" in message for message in messages)
    if not is_tree:
        return messages
    by_id = {message["id"]: message for message in messages if type(message.get("id")) is str}
    last = messages[-1]
    ancestors = last.get("ancestors")
    path = [by_id[i] for i in ancestors if type(i) is str and i in by_id] if type(ancestors) is list else []
    path.append(last)
    seen = {id(message) for message in path}
    children = last.get("children")
    while type(children) is list and children:
        child = by_id.get(children[-1]) if type(children[-1]) is str else None
        if child is None or id(child) in seen:  # a missing or looping child ends the walk
            break
        path.append(child)
        seen.add(id(child))
        children = child.get("children")
    return path


def _file_kind(entry: Any) -> str:
    name = entry if type(entry) is str else entry.get("name") if type(entry) is dict else None
    mime = entry.get("mime") if type(entry) is dict else None
    if type(mime) is str and mime.startswith("image/"):
        return "image"
    extension = name.rsplit(".", 1)[-1].lower() if type(name) is str and "." in name else ""
    return "image" if extension in _IMAGE_EXTENSIONS else "file"


def _count_files(messages: list[dict[str, Any]], dropped: Counter[str]) -> None:
    """Each distinct file of the conversation once (the exporter lists all of them on every message)."""
    seen: set[str] = set()
    for message in messages:
        files = message.get("files")
        for entry in files if type(files) is list else ():
            key = entry if type(entry) is str else repr(entry.get("name")) if type(entry) is dict else None
            if key is not None and key not in seen:
                seen.add(key)
                dropped[_file_kind(entry)] += 1


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    messages = _messages(record)
    path = _path(record, messages)
    on_path = {id(message) for message in path}
    builder = TurnBuilder()
    title: str | None = None
    for message in path:
        role, content = message["from"], message["content"]
        if role == "system":
            builder.system(content)
        elif role == "user":
            builder.user(content)
            if title is None and content.strip():
                title = prompt_title(content)
        else:
            _answer(builder, message)
    if not builder.system_prompt and type(record.get("preprompt")) is str:
        builder.system(record["preprompt"])
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("HuggingChat conversation without an answer")
    _count_files(messages, builder.dropped)
    metadata: dict[str, Any] = {}
    for key in ("model", "assistantId", "createdAt"):
        value = record.get(key)
        if type(value) is str and value:
            metadata["created_at" if key == "createdAt" else key] = value
    regenerated = sum(1 for m in messages if m["from"] == "assistant" and id(m) not in on_path)
    if regenerated:
        metadata["regenerated_responses"] = regenerated
    name = record.get("title")
    if type(name) is not str or not name.strip() or name.strip() in _PLACEHOLDER_TITLES:
        name = title
    return builder.conversation(_external_id(record, fallback), title=name, metadata=metadata)


def _answer(builder: TurnBuilder, message: dict[str, Any]) -> None:
    thinking, text = split_thinking(message["content"])
    reasoning = message.get("reasoning")
    if type(reasoning) is str and reasoning.strip():
        thinking = reasoning if not thinking else f"{reasoning}\n\n{thinking}"
    if thinking:
        builder.block({"type": "thinking", "thinking": thinking})
    builder.text(text)


def _external_id(record: dict[str, Any], fallback: str) -> str:
    value = record.get("_id")
    if type(value) is dict:  # MongoDB extended JSON (mongoexport): {"$oid": "..."}
        value = value.get("$oid")
    if type(value) is str and value:
        return value
    value = record.get("id")
    return value if type(value) is str and value else fallback


importer = HuggingChatImporter()
