"""The Claude.ai data export `conversations.json`: a JSON array of `{uuid, name, chat_messages, ...}`.

Each message has a `sender` (`human` or `assistant`), the plain `text` and, in newer exports, `content`
blocks (`text`, `thinking`, `tool_use`, `tool_result`), which win over `text` when present. Attachment
text (`attachments[].extracted_content`) is context of the user turn, not its text; uploaded `files`
(images, PDFs without extracted text) are counted as dropped parts, unless an attachment of the same
message (same `file_name`) kept their text. A file that is one conversation as a bare object (as tools
write one per file), pretty-printed or on one line, reads as that conversation does in the array.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect, type_name
from ._turns import TurnBuilder, response_block
from .base import ParsedConversation, SkipRecord


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


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    messages = expect(record.get("chat_messages"), list, "chat_messages")
    if not messages:
        raise SkipRecord("empty conversation")
    for i, message in enumerate(messages):
        sender = expect(message, dict, f"chat_messages[{i}]").get("sender")
        if sender == "human" or sender == "user":
            _user(builder, message, f"chat_messages[{i}]")
        elif sender == "assistant":
            _assistant(builder, message)
        else:
            got = orjson.dumps(sender).decode()
            raise BadRecord(f'chat_messages[{i}].sender: expected "human" or "assistant", got {got}')
    uuid, name = record.get("uuid"), record.get("name")
    metadata = {key: record[key] for key in ("created_at", "updated_at") if type(record.get(key)) is str}
    return builder.conversation(
        uuid if type(uuid) is str and uuid else fallback,
        title=name if type(name) is str and name else None,
        metadata=metadata,
    )


importer = RecordImporter.by_key("claude-ai", _convert, key="chat_messages", kind=list, sign=b'"sender"')
