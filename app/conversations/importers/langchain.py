"""LangChain chat histories: a JSON array of messages, as `FileChatMessageHistory` keeps a session
(`messages_to_dict`: `[{type: "human" | "ai" | "system" | "tool", data: {content, tool_calls?, ...}}]`), or of
messages serialized with LangChain's `dumpd` (`{lc: 1, type: "constructor", id: [..., "HumanMessage"], kwargs:
{content, ...}}`, as LangSmith and LangGraph checkpoints store them). One conversation per file.

Shape from `langchain_core.messages` (`messages_to_dict`, `message_to_dict`) and `langchain_community`'s
`FileChatMessageHistory`. `content` is text or a list of parts (`{type: "text", text}`; images are counted as
dropped); an `ai` message's `tool_calls` (`{name, args, id}`) are tool calls of the answer and `tool` messages
(`tool_call_id`) their results; `system` messages are the system prompt. The file's path is the external id and
the first prompt the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._frameworks import parse_message_list
from ._json import BadRecord
from ._records import sniff_head, type_name
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import ParseResult

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
    return record.get("type") in _KINDS and type(record.get("data")) is dict and "content" in record["data"]


class LangChainImporter:
    name = "langchain"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head,
            opener=b"[",
            looks=looks,
            hint=lambda h: (b'"type": "human"' in h or b'"type":"human"' in h) and b'"data"' in h,
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_message_list(stream, filename, add, what="LangChain messages")


importer = LangChainImporter()
