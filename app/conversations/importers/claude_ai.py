"""The Claude.ai data export `conversations.json`: a JSON array of `{uuid, name, chat_messages, ...}`.

Each message has a `sender` (`human` or `assistant`), the plain `text` and, in newer exports, `content`
blocks (`text`, `thinking`, `tool_use`, `tool_result`), which win over `text` when present. Attachment
text (`attachments[].extracted_content`) is context of the user turn, not its text; uploaded `files`
(images, PDFs without extracted text) are counted as dropped parts, unless an attachment of the same
message (same `file_name`) kept their text. A file that is one conversation as a bare object (as tools
write one per file), pretty-printed or on one line, reads as that conversation does in the array, and so does each
conversation of an export some tools wrap in an object (`{"conversations": [...]}`). A chat that holds only the
person's messages (the reply was stopped or failed) is skipped with its reason counted.

`chat_messages` is every message ever written in the chat, in one flat list: an edited prompt and a retried answer
stay there beside the versions that replaced them, each message naming its `parent_message_uuid`, and the export
says nothing of which branch is shown. When the messages carry those links, the conversation is the branch of the
most recent leaf (the latest `created_at`, then the later in the list), walked back to its root through the
parents, as the exporters that read these files do; the messages of the other branches are not turns, counted as
`other_branch_messages` in the metadata. Without the links (older exports) the list is read in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import (
    RecordImporter,
    converted,
    expect,
    first_byte,
    has_top_key,
    head_records,
    iter_records,
    parse_records,
    peekable,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder, require_answer, response_block
from .base import ParsedConversation, ParseResult, RecordError, SkipRecord


def _assistant(builder: TurnBuilder, message: dict[str, Any]) -> None:
    content = message.get("content")
    if type(content) is not list or not content:
        text = message.get("text")
        builder.text(text if type(text) is str else "")
        return
    for block in content:
        if type(block) is not dict:
            builder.dropped["malformed block"] += 1
            continue
        kind = block.get("type")
        if kind == "text" and type(block.get("text")) is str:
            builder.text(block["text"])
        elif (stored := response_block(block)) is not None:
            builder.block(stored)
        elif kind is not None:
            builder.dropped[str(kind)[:40]] += 1


def _user(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    content = message.get("content")
    if type(content) is list and content:
        texts = [
            b["text"]
            for b in content
            if type(b) is dict and b.get("type") == "text" and type(b.get("text")) is str
        ]
        text = "\n\n".join(texts)
    else:
        plain = message.get("text")
        text = plain if type(plain) is str else ""
    attachments = message.get("attachments")
    if attachments is not None and type(attachments) is not list:
        raise BadRecord(f"{where}.attachments: expected a list, got {type_name(attachments)}")
    context = [
        {"type": "context", "tag": "attachment", "text": a["extracted_content"], "name": a.get("file_name")}
        for a in attachments or ()
        if type(a) is dict and type(a.get("extracted_content")) is str and a["extracted_content"].strip()
    ]
    files = message.get("files")
    if type(files) is list and files:
        kept = [block["name"] for block in context if type(block["name"]) is str]
        lost = sum(1 for f in files if not (type(f) is dict and f.get("file_name") in kept))
        if lost:
            builder.dropped["file"] += lost
    builder.user(text or "", blocks=context or None)


def _active_branch(messages: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """The (index, message) pairs of the branch shown: the most recent leaf walked back to its root through
    `parent_message_uuid`, or every message in order when they carry no such links. A retried answer that came back
    empty (no text, no blocks) is a leaf of its own; the branch shown is the latest leaf that holds something."""
    by_id: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, message in messages:
        if type(message) is dict and type(message.get("uuid")) is str:
            by_id.setdefault(message["uuid"], (i, message))
    linked = [m for _, m in messages if type(m) is dict and type(m.get("parent_message_uuid")) is str]
    if not linked or len(by_id) != len(messages):
        return messages
    parents = {m["parent_message_uuid"] for m in linked if m["parent_message_uuid"] in by_id}
    if not parents:
        return messages  # links that lead nowhere in this chat: keep the list's order
    leaves = [(i, m) for uuid, (i, m) in by_id.items() if uuid not in parents]
    _, leaf = max(
        [pair for pair in leaves if not _empty_answer(pair[1])] or leaves,
        key=lambda pair: (_time(pair[1]), pair[0]),
    )
    branch: list[tuple[int, Any]] = []
    seen: set[str] = set()
    node: dict[str, Any] | None = leaf
    while node is not None and node["uuid"] not in seen:
        seen.add(node["uuid"])
        branch.append(by_id[node["uuid"]])
        parent = node.get("parent_message_uuid")
        node = by_id[parent][1] if type(parent) is str and parent in by_id else None
    return branch[::-1]


def _empty_answer(message: dict[str, Any]) -> bool:
    """An answer that came back with nothing: no text and no content block that holds any."""
    if message.get("sender") != "assistant":
        return False
    text = message.get("text")
    if type(text) is str and text.strip():
        return False
    content = message.get("content")
    return not (
        type(content) is list
        and any(
            type(block) is dict and (block.get("type") != "text" or str(block.get("text") or "").strip())
            for block in content
        )
    )


def _time(message: dict[str, Any]) -> str:
    created = message.get("created_at")
    return created if type(created) is str else ""


def _listed(record: dict[str, Any]) -> bool:
    """An entry of the chat list (`GET .../chat_conversations`) as browser exporters save it ("Export all" of the
    Claude Exporter extension): the chat's metadata and no messages."""
    return (
        "chat_messages" not in record
        and type(record.get("uuid")) is str
        and "current_leaf_message_uuid" in record
    )


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    if _listed(record):
        raise SkipRecord(_LISTED)
    builder = TurnBuilder()
    listed = expect(record.get("chat_messages"), list, "chat_messages")
    # A null in the list (seen in real exports) holds no message: left out and counted, the chat kept.
    messages = [(i, message) for i, message in enumerate(listed) if message is not None]
    if len(messages) < len(listed):
        builder.dropped["empty message entry"] += len(listed) - len(messages)
    if not messages:
        raise SkipRecord("empty conversation")
    branch = _active_branch(messages)
    for i, message in branch:
        sender = expect(message, dict, f"chat_messages[{i}]").get("sender")
        if sender == "human" or sender == "user":
            _user(builder, message, f"chat_messages[{i}]")
        elif sender == "assistant":
            _assistant(builder, message)
        else:
            got = orjson.dumps(sender).decode()
            raise BadRecord(f'chat_messages[{i}].sender: expected "human" or "assistant", got {got}')
    uuid, name = record.get("uuid"), record.get("name")
    metadata: dict[str, Any] = {
        key: record[key] for key in ("created_at", "updated_at") if type(record.get(key)) is str
    }
    if len(branch) < len(messages):
        metadata["other_branch_messages"] = len(messages) - len(branch)
    if not builder.finish(complete=False):
        raise SkipRecord("empty conversation")  # messages whose text and blocks are all empty
    require_answer(builder, "Claude.ai chat without an answer")
    return builder.conversation(
        uuid if type(uuid) is str and uuid else fallback,
        title=name if type(name) is str and name else None,
        metadata=metadata,
    )


_LISTED = "Claude.ai chat listed without its messages (an exporter's list of chats)"
_EMPTY = "Claude.ai export without conversations"
# The opening of a wrapped export whose first key is the conversations array, up to (not including) its `[`.
_WRAPPED_OPENING = re.compile(rb'\s*\{\s*"conversations"\s*:\s*(?=\[)')


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("chat_messages")) is list or _listed(record)


def _wrapped(record: dict[str, Any]) -> bool:
    """`{"conversations": [<a Claude.ai conversation>, ...]}`: the export's array inside an object."""
    items = record.get("conversations")
    return (
        "chat_messages" not in record
        and type(items) is list
        and bool(items)
        and type(items[0]) is dict
        and _looks(items[0])
    )


def _item(value: Any, where: str, filename: str) -> ParseResult:
    if type(value) is not dict:
        return RecordError(f"expected a Claude.ai conversation, got {type_name(value)}", json_path=where)
    return converted(_convert, value, where, f"{filename}:{where}")


class ClaudeAiImporter:
    name = "claude-ai"
    _records = replace(
        RecordImporter.by_key("claude-ai", _convert, key="chat_messages", kind=list, sign=b'"sender"'),
        looks=_looks,
    )

    def sniff(self, head: bytes, filename: str) -> bool:
        if self._records.sniff(head, filename):
            return True
        records = head_records(head)
        if records:
            return _wrapped(records[0])
        return (
            first_byte(head) == ord("{")
            and has_top_key(head, b'"conversations"')
            and b'"chat_messages"' in head
            and b'"sender"' in head
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _WRAPPED_OPENING, "$.conversations")
        if items is not None:
            yield from stream_results(items, lambda value, where: _item(value, where, filename), _EMPTY)
            return
        if first_byte(buffered.peek(65536)) != ord("{"):
            yield from self._records.parse(buffered, filename)  # the export's array, streamed
            return
        # One object (a conversation, or a wrapped export whose array is not its first key), or JSON Lines.
        for record in iter_records(buffered):
            if isinstance(record, RecordError) or not (type(record.value) is dict and _wrapped(record.value)):
                yield from parse_records(
                    buffered, filename, _convert, ("claude-ai", _looks), records=[record]
                )
                continue
            for i, value in enumerate(record.value["conversations"]):
                yield _item(value, f"$.conversations[{i}]", filename)


importer = ClaudeAiImporter()
