"""LangChain chat histories: a JSON array of messages, as `FileChatMessageHistory` keeps a session
(`messages_to_dict`: `[{type: "human" | "ai" | "system" | "tool", data: {content, tool_calls?, ...}}]`), or of
messages serialized with LangChain's `dumpd` (`{lc: 1, type: "constructor", id: [..., "HumanMessage"], kwargs:
{content, ...}}`, as LangSmith and LangGraph checkpoints store them). One conversation per file.

Shape from `langchain_core.messages` (`messages_to_dict`, `message_to_dict`) and `langchain_community`'s
`FileChatMessageHistory`. `content` is text or a list of parts (`{type: "text", text}`; images are counted as
dropped); an `ai` message's `tool_calls` (`{name, args, id}`) are tool calls of the answer and `tool` messages
(`tool_call_id`) their results; `system` messages are the system prompt. The file's path is the external id and
the first prompt the title. Scripts that save messages themselves also write them flat (`[{type: "human", content}]`,
the `data` object's fields beside `type`): read the same way.

LangChain.js's `FileSystemChatMessageHistory` keeps every session in one file (`.history/history.json`, which
projects commit): `{<user id>: {<session id>: {messages: [...]}}}`, the messages in `messages_to_dict`'s shape; each
session is a conversation, its external id the file's path with `<user id>/<session id>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._frameworks import conversation_of, parse_message_list, whole_value
from ._json import BOM, BadRecord
from ._records import first_byte, head_records, peekable, sniff_head, type_name
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import FileFormatError, ParseResult, RecordError, Skipped

_CLASSES = {
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "SystemMessage": "system",
    "ToolMessage": "tool",
    "FunctionMessage": "tool",
}
_KINDS = ("human", "ai", "system", "tool", "function")


def _kind_and_data(message: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    if message.get("lc") == 1 and message.get("type") == "constructor":
        names = message.get("id")
        kind = _CLASSES.get(names[-1]) if type(names) is list and names and type(names[-1]) is str else None
        data = message.get("kwargs")
    else:
        kind, data = message.get("type"), message.get("data")
        if "data" not in message and "content" in message:
            data = message  # written flat: the message's fields beside its type
    if kind not in _KINDS:
        raise BadRecord(
            f"{where}.type: expected human, ai, system or tool, got {orjson.dumps(kind).decode()}"
        )
    if type(data) is not dict:
        raise BadRecord(f"{where}.data: expected an object, got {type_name(data)}")
    return str(kind), data


def add(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    """Feed one LangChain message (either serialized shape) to `builder`; BadRecord names the bad field."""
    kind, data = _kind_and_data(message, where)
    content = data.get("content")
    if content is not None and type(content) is not str and type(content) is not list:
        raise BadRecord(f"{where}.content: expected text or a list of parts, got {type_name(content)}")
    if kind == "human":
        builder.user(flatten(content, builder.dropped))
    elif kind == "ai":
        builder.text(flatten(content, builder.dropped))
        calls = data.get("tool_calls")
        for call in calls if type(calls) is list else ():
            if type(call) is dict and type(call.get("name")) is str:
                builder.block(tool_use(call.get("id"), call["name"], call.get("args")))
    elif kind == "system":
        builder.system(flatten(content))
    else:
        builder.block(tool_result(data.get("tool_call_id"), content))


def looks(record: dict[str, Any]) -> bool:
    if record.get("lc") == 1 and record.get("type") == "constructor":
        names = record.get("id")
        return type(names) is list and bool(names) and type(names[-1]) is str and names[-1] in _CLASSES
    if record.get("type") not in _KINDS:
        return False
    data = record.get("data", record)
    return type(data) is dict and "content" in data


def _sessions(record: dict[str, Any]) -> list[tuple[str, str, Any]] | None:
    """The sessions of LangChain.js's `FileSystemChatMessageHistory` store (`.history/history.json`: `{<user id>:
    {<session id>: {messages: [...]}}}`, the user id "" when none was given) as (user, session, messages), or None
    when the record is not that store."""
    found: list[tuple[str, str, Any]] = []
    for user, sessions in record.items():
        if type(sessions) is not dict:
            return None
        for session, stored in sessions.items():
            if type(stored) is not dict or type(stored.get("messages")) is not list:
                return None
            found.append((user, session, stored["messages"]))
    return found


def _looks_stored(record: dict[str, Any]) -> bool:
    sessions = _sessions(record)
    if not sessions:
        return False
    messages = sessions[0][2]
    return not messages or (type(messages[0]) is dict and looks(messages[0]))


# A store too long for the head: `{"<user>":{"<session>":{"messages":[{"type":"human","data":`.
_STORE_HEAD = re.compile(
    rb'\{\s*"[^"]*"\s*:\s*\{\s*"[^"]+"\s*:\s*\{\s*"messages"\s*:\s*\[\s*\{\s*"type"\s*:\s*"(?:human|ai|system)"'
)


class LangChainImporter:
    name = "langchain"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) == ord("{"):
            records = head_records(head)
            if records:
                return _looks_stored(records[0])
            return _STORE_HEAD.match(head.removeprefix(BOM)) is not None
        return sniff_head(
            head,
            opener=b"[",
            looks=looks,
            hint=lambda h: (
                (b'"type": "human"' in h or b'"type":"human"' in h) and (b'"data"' in h or b'"content"' in h)
            ),
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        if first_byte(buffered.peek(65536)) != ord("{"):
            yield from parse_message_list(buffered, filename, add, what="LangChain messages")
            return
        for value in whole_value(buffered):
            if isinstance(value, RecordError):
                yield value
                continue
            sessions = _sessions(value) if type(value) is dict else None
            if sessions is None:
                raise FileFormatError(
                    "expected LangChain.js's chat history store: {user: {session: {messages}}}"
                )
            name = filename.replace("\\", "/")
            for user, session, messages in sessions:
                where = f"$[{orjson.dumps(user).decode()}][{orjson.dumps(session).decode()}]"
                if not messages:
                    yield Skipped("LangChain chat history session without messages")
                    continue
                yield conversation_of(
                    messages, add, external_id=f"{name}:{user}/{session}", field="messages", json_path=where
                )


importer = LangChainImporter()
