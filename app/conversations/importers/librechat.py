"""LibreChat conversation exports (the Export dialog's JSON): one conversation per file.

`{conversationId, endpoint, title, exportAt, branches, recursive, options?, messages | messagesTree}`.
Sequential exports list the messages flat, each with its `parentMessageId` (a root's is all zeros);
recursive ones (the dialog's default) nest them under `messagesTree` through `children`, and the nesting
gives the parents. With "all branches" the file holds every regenerated answer and edited prompt: the thread
is the path from the root to the newest leaf (by `createdAt`, then file order), as the other branches are
alternatives nobody continued.

A message is the user's when `isCreatedByUser`. Its words are `text`, or, for agent responses (whose `text`
is empty), its `content` parts: `text` parts (a string or `{value}`) are the text, `think` parts a thinking
block, `tool_call` parts a tool call and its output; image parts are counted as dropped. Error messages
(`error: true`) are not answers and are left out. The `conversationId` is the external id; the endpoint
and the model are metadata, and so is the count of the other branches' messages (`other_branch_messages`). The
conversation's custom instructions (`options.promptPrefix`) are its system prompt.
"""

from __future__ import annotations

from typing import Any

from ._json import BadRecord
from ._records import RecordImporter, external_id, first_byte, has_top_key, type_name
from ._turns import TurnBuilder, part_kind, tool_result, tool_use
from .base import ParsedConversation
from .openai import parse_arguments

_NO_PARENT = "00000000-0000-0000-0000-000000000000"
# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_IMAGE_PARTS = ("image_file", "image_url")


def _messages(record: dict[str, Any]) -> list[Any] | None:
    tree = record.get("messagesTree")
    if type(tree) is list:
        return tree
    messages = record.get("messages")
    return messages if type(messages) is list else None


def _looks(record: dict[str, Any]) -> bool:
    if type(record.get("conversationId")) is not str:
        return False
    messages = _messages(record)
    if messages is None:
        return False
    return not messages or (type(messages[0]) is dict and "messageId" in messages[0])


def _hint(head: bytes) -> bool:
    return (
        first_byte(head) == ord("{")
        and b'"parentMessageId"' in head
        and has_top_key(head, b'"conversationId"')
    )


def _nodes(record: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    """Every message with its parent's id, in file order; nested messages take their parent from the
    nesting (as LibreChat's own importer does)."""
    messages = _messages(record)
    if messages is None:
        raise BadRecord("messages: expected a list of messages (or messagesTree)")
    field = "messagesTree" if type(record.get("messagesTree")) is list else "messages"
    nested = field == "messagesTree" or record.get("recursive") is True
    nodes: list[tuple[dict[str, Any], Any]] = []
    stack: list[tuple[Any, Any, str]] = [
        (m, None, f"{field}[{i}]") for i, m in reversed(list(enumerate(messages)))
    ]
    while stack:
        message, parent, where = stack.pop()
        if type(message) is not dict:
            raise BadRecord(f"{where}: expected an object, got {type_name(message)}")
        nodes.append((message, parent if nested else message.get("parentMessageId")))
        children = message.get("children")
        if nested and type(children) is list:
            stack.extend(
                (child, message.get("messageId"), f"{where}.children[{j}]")
                for j, child in reversed(list(enumerate(children)))
            )
    return nodes


def _thread(nodes: list[tuple[dict[str, Any], Any]]) -> list[dict[str, Any]]:
    """The path from the root to the newest leaf (by createdAt, then file order)."""
    by_id: dict[str, tuple[dict[str, Any], Any]] = {}
    for message, parent in nodes:
        key = message.get("messageId")
        if type(key) is str:
            by_id.setdefault(key, (message, parent))
    parents = {parent for _, parent in nodes if type(parent) is str}
    leaves = [
        (_created(message), position, message, parent)
        for position, (message, parent) in enumerate(nodes)
        if not (type(message.get("messageId")) is str and message["messageId"] in parents)
    ]
    if not leaves and nodes:
        raise BadRecord("messages: every message is another's parent (the parentMessageId links loop)")
    if not leaves:
        return []
    _, _, message, parent = max(leaves, key=lambda leaf: (leaf[0], leaf[1]))
    thread = [message]
    seen: set[str] = set()
    while type(parent) is str and parent != _NO_PARENT and parent in by_id and parent not in seen:
        seen.add(parent)
        message, parent = by_id[parent]
        thread.append(message)
    thread.reverse()
    return thread


def _created(message: dict[str, Any]) -> str:
    value = message.get("createdAt")
    return value if type(value) is str else ""


def _parts(builder: TurnBuilder, content: list[Any], *, user: bool) -> list[str]:
    """The text of a message's content parts; an answer's thinking and tool calls go to `builder`."""
    texts: list[str] = []
    for part in content:
        kind = part.get("type") if type(part) is dict else None
        if kind == "text":
            value = part.get("text")
            value = value.get("value") if type(value) is dict else value
            if type(value) is str:
                texts.append(value)
        elif kind == "think" and not user:
            value = part.get("think")
            value = value.get("value") if type(value) is dict else value
            if type(value) is str and value.strip():
                builder.block({"type": "thinking", "thinking": value.strip()})
        elif kind == "tool_call" and not user and type(part.get("tool_call")) is dict:
            call = part["tool_call"]
            builder.block(tool_use(call.get("id"), call.get("name"), parse_arguments(call.get("args"))))
            if call.get("output") is not None:
                builder.block(tool_result(call.get("id"), call["output"]))
        elif kind in _IMAGE_PARTS:
            builder.dropped["image"] += 1
        elif kind not in (None, "error", "agent_update", "text_delta"):
            builder.dropped[part_kind(part)] += 1
    return texts


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    options = record.get("options")
    if type(options) is dict:
        # The conversation's custom instructions ("promptPrefix"), sent to the model before the messages.
        prefix = options.get("promptPrefix")
        builder.system(prefix if type(prefix) is str else "")
    models: list[str] = []
    nodes = _nodes(record)
    thread = _thread(nodes)
    for message in thread:
        if message.get("error") is True:
            continue
        user = message.get("isCreatedByUser") is True
        content, text = message.get("content"), message.get("text")
        texts = _parts(builder, content, user=user) if type(content) is list and content else []
        if not texts and type(text) is str:
            texts = [text]
        joined = "\n\n".join(t for t in texts if t.strip())
        if user:
            builder.user(joined)
        else:
            builder.text(joined)
            model = message.get("model")
            if type(model) is str and model and model not in models:
                models.append(model)
    metadata: dict[str, Any] = {}
    endpoint = record.get("endpoint")
    if type(endpoint) is str and endpoint:
        metadata["endpoint"] = endpoint
    if models:
        metadata["models"] = models
    if len(thread) < len(nodes):
        metadata["other_branch_messages"] = len(nodes) - len(thread)
    title = record.get("title")
    return builder.conversation(
        external_id({"id": record.get("conversationId")}, fallback),
        title=title if type(title) is str and title else None,
        metadata=metadata,
    )


importer = RecordImporter("librechat", _convert, looks=_looks, hint=_hint, starts=b"{")
