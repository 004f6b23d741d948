"""Chats saved by apps built on the Vercel AI SDK: a JSON array of `UIMessage`s, as its chatbot examples persist
a chat (`.chats/<chat id>.json`) and many apps store one. One conversation per file.

Shape from the AI SDK's `UIMessage` type (v5: `{id, role: "user" | "assistant" | "system", parts, metadata?}`)
and its examples' `saveChat`; v4's messages (`{id, role, content, parts?}`) read the same. Parts: `text`
(`text`), `reasoning` (the answer's thinking block), a tool part (`tool-<name>` or `dynamic-tool`: `{toolCallId,
input, output, state}`, a tool call of the answer and, once it has one, its result; v4's `tool-invocation`
with `toolInvocation: {toolName, args, result}` too), `file` (counted as dropped); `step-start` and the
`source-*` parts carry no text. The file's path is the external id, the first prompt the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._frameworks import parse_message_list
from ._json import BadRecord
from ._records import sniff_head
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParseResult

_QUIET = ("step-start", "source-url", "source-document")


def _output(value: Any) -> str:
    return value if type(value) is str else orjson.dumps(value).decode()


def _part(builder: TurnBuilder, role: str, part: dict[str, Any]) -> None:
    kind = part.get("type")
    if kind == "text" and type(part.get("text")) is str:
        builder.say(role, part["text"])
    elif kind == "reasoning":
        text = part.get("text", part.get("reasoning"))
        if role == "assistant" and type(text) is str:
            builder.thinking(text)
    elif (
        type(kind) is str
        and (kind.startswith("tool-") or kind == "dynamic-tool")
        and kind != "tool-invocation"
    ):
        name = part.get("toolName") if kind == "dynamic-tool" else kind.removeprefix("tool-")
        builder.block(tool_use(part.get("toolCallId"), name, part.get("input")))
        if "output" in part or part.get("errorText") is not None:
            error = part.get("errorText")
            builder.block(
                tool_result(
                    part.get("toolCallId"),
                    _output(error if error is not None else part["output"]),
                    error is not None,
                )
            )
    elif kind == "tool-invocation" and type(part.get("toolInvocation")) is dict:
        call = part["toolInvocation"]
        builder.block(tool_use(call.get("toolCallId"), call.get("toolName"), call.get("args")))
        if "result" in call:
            builder.block(tool_result(call.get("toolCallId"), _output(call["result"])))
    elif kind not in _QUIET:
        builder.dropped[str(kind)[:40] if kind else "unknown"] += 1


def _add(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    role = message.get("role")
    if role not in ("user", "assistant", "system"):
        raise BadRecord(
            f'{where}.role: expected "user", "assistant" or "system", got {orjson.dumps(role).decode()}'
        )
    parts = message.get("parts")
    if type(parts) is list and parts:
        for part in parts:
            if type(part) is dict:
                _part(builder, role, part)
    elif type(message.get("content")) is str:
        _part(builder, role, {"type": "text", "text": message["content"]})
    else:
        raise BadRecord(f"{where}.parts: expected a list of parts")


def _looks(record: dict[str, Any]) -> bool:
    parts = record.get("parts")
    return (
        record.get("role") in ("user", "assistant", "system")
        and type(parts) is list
        and bool(parts)
        and all(type(p) is dict and type(p.get("type")) is str for p in parts)
    )


class AISDKImporter:
    name = "ai-sdk"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head, opener=b"[", looks=_looks, hint=lambda h: b'"parts"' in h and b'"type": "text"' in h
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_message_list(stream, filename, _add, what="AI SDK messages")


importer = AISDKImporter()
