"""Jan threads (`<Jan data folder>/threads/<thread id>/messages.jsonl`): one conversation per file.

Jan (janhq/jan) keeps a folder per thread: `thread.json` holds its metadata (title, assistant, model) and is
skipped (files.py); `messages.jsonl` holds one message per line, appended as they are sent and rewritten
whole on an edit or a deletion. A message is an OpenAI-Assistants-like `ThreadMessage` (`core/src/types/
message/messageEntity.ts`): `{id, object: "thread.message", thread_id, role, content, status, created_at,
completed_at, metadata?}`, `content` a list of items:
- `{type: "text", text: {value, annotations}}`: the words. An answer's reasoning is written inside them,
  `<think>…</think>` first (or gpt-oss's `<|channel|>analysis<|message|>…<|start|>assistant<|channel|>final
  <|message|>`): a thinking block.
- `{type: "reasoning", text: {value}}` (newer versions): a thinking block.
- `{type: "tool_call", tool_call_id, tool_name, input, output}` (newer versions): a tool call and its result.
- `{type: "image_url", image_url}`: counted as a dropped image.

Jan 0.6 keeps an answer's tool calls in `metadata.tool_calls`: `{tool: {id, function: {name, arguments}},
response: {content: [{type: "text", text}], error}, state}`, each a call and its result (an error when
`response.error` says one). Messages of role `tool` (`tool_call_id`, content) are results, `system` ones the
system prompt. An answer Jan wrote to report a failure (`status: "error"` or `metadata.error`) is not the
model's and is left out.

The thread id is the external id; the title is the first prompt (what Jan names a new thread by: the title
in `thread.json`, which a rename changes, is in a file of its own and not read).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import object_lines, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped
from .openai import parse_arguments

_ROLES = ("user", "assistant", "system", "tool")
# Reasoning written into an answer's text, as Jan's parseReasoning finds it: (opening, closing).
_REASONING = (
    ("<think>", "</think>"),
    ("<|channel|>analysis<|message|>", "<|start|>assistant<|channel|>final<|message|>"),
)
# A first line longer than the head: the message's keys as Jan's web app (insertion order) or its Rust core
# (sorted keys, so `content` comes first) write them.
_LONG_FIRST = re.compile(rb'"object"\s*:\s*"thread\.message"|^\{"completed_at":[^,]*,"content":\[\{"text":\{')


def _looks(record: dict[str, Any]) -> bool:
    return (
        record.get("object") == "thread.message"
        and type(record.get("thread_id")) is str
        and type(record.get("content")) is list
    )


def _long_first(head: bytes) -> bool:
    """A first message longer than the head: its keys in the first line's opening."""
    return _LONG_FIRST.search(head.split(b"\n", 1)[0].lstrip()) is not None


class JanImporter:
    name = "jan"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_long_first)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        thread = _Thread()
        for entry in object_lines(stream, noun="a message object"):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, message = entry
            try:
                thread.add(message)
            except BadRecord as exc:
                yield RecordError(str(exc), line=number)
        yield thread.result(filename)


def _value(item: dict[str, Any]) -> str:
    """The words of a `text` or `reasoning` item: `text.value` (or a plain string `text`)."""
    text = item.get("text")
    if type(text) is dict:
        text = text.get("value")
    return text if type(text) is str else ""


def _split_reasoning(text: str) -> tuple[str, str]:
    """An answer's text without its leading reasoning, and the reasoning (an unclosed one runs to the end)."""
    for opening, closing in _REASONING:
        start = text.find(opening)
        if start == -1 or text[:start].strip():
            continue
        end = text.find(closing, start)
        if end == -1:
            return "", text[start + len(opening) :].strip()
        return text[end + len(closing) :].strip(), text[start + len(opening) : end].strip()
    return text, ""


def _result_text(response: Any) -> str:
    """A tool result as Jan keeps it: `{content: [{type: "text", text}], error}`, a string, or anything."""
    if type(response) is str:
        return response
    if type(response) is dict and "content" not in response:
        return orjson.dumps(response).decode()  # a tool's own JSON (`{"items": [...]}`): kept as it was
    content = response.get("content") if type(response) is dict else response
    if type(content) is list:
        return "\n".join(
            part["text"] for part in content if type(part) is dict and type(part.get("text")) is str
        )
    if type(content) is str:
        return content
    return "" if content is None else str(content)


class _Thread:
    """The conversation of one messages.jsonl, built as its lines are read."""

    def __init__(self) -> None:
        self.builder = TurnBuilder()
        self.thread_id: str | None = None
        self.title: str | None = None
        self.assistants: list[str] = []

    def add(self, message: dict[str, Any]) -> None:
        role = message.get("role")
        if role not in _ROLES:
            shown = role if type(role) is str else type_name(role)
            raise BadRecord(f"role: expected user, assistant, system or tool, got {shown}")
        content = message.get("content")
        if content is None:
            content = []
        if type(content) is not list:
            raise BadRecord(f"content: expected a list of items, got {type_name(content)}")
        if self.thread_id is None and type(message.get("thread_id")) is str and message["thread_id"]:
            self.thread_id = message["thread_id"]
        metadata = message.get("metadata")
        metadata = metadata if type(metadata) is dict else {}
        if role == "assistant":
            if message.get("status") == "error" or metadata.get("error"):
                return
            self._answer(content, metadata)
        elif role == "user":
            text = self._words(content)
            if self.title is None and text.strip():
                self.title = prompt_title(text)
            self.builder.user(text)
        elif role == "system":
            self.builder.system(self._words(content))
        else:
            self.builder.block(tool_result(message.get("tool_call_id"), self._words(content)))

    def _words(self, content: list[Any]) -> str:
        """The text items' words; other items are counted as dropped."""
        texts = []
        for item in content:
            if type(item) is dict and item.get("type") == "text":
                texts.append(_value(item))
            elif type(item) is dict:
                kind = item.get("type")
                self.builder.dropped["image" if kind == "image_url" else str(kind)[:40]] += 1
        return "\n".join(text for text in texts if text)

    def _answer(self, content: list[Any], metadata: dict[str, Any]) -> None:
        builder = self.builder
        for item in content:
            kind = item.get("type") if type(item) is dict else None
            if kind == "text":
                text, reasoning = _split_reasoning(_value(item))
                if reasoning:
                    builder.block({"type": "thinking", "thinking": reasoning})
                builder.text(text)
            elif kind == "reasoning":
                if _value(item).strip():
                    builder.block({"type": "thinking", "thinking": _value(item)})
            elif kind == "tool_call":
                builder.block(tool_use(item.get("tool_call_id"), item.get("tool_name"), item.get("input")))
                if item.get("output") is not None:
                    builder.block(tool_result(item.get("tool_call_id"), _result_text(item["output"])))
            elif kind == "image_url":
                builder.dropped["image"] += 1
            elif type(item) is dict:
                builder.dropped[str(kind)[:40]] += 1
        calls = metadata.get("tool_calls")
        for call in calls if type(calls) is list else ():
            tool = call.get("tool") if type(call) is dict else None
            if type(tool) is not dict:
                continue
            function = tool.get("function")
            function = function if type(function) is dict else {}
            builder.block(
                tool_use(tool.get("id"), function.get("name"), parse_arguments(function.get("arguments")))
            )
            response = call.get("response")
            if response is not None:
                failed = type(response) is dict and bool(response.get("error"))
                builder.block(tool_result(tool.get("id"), _result_text(response), failed))
        assistant = metadata.get("assistant")
        name = assistant.get("name") if type(assistant) is dict else None
        if type(name) is str and name and name not in self.assistants:
            self.assistants.append(name)

    def result(self, filename: str) -> ParseResult:
        builder = self.builder
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            return Skipped("thread without a conversation")
        metadata: dict[str, Any] = {"assistants": self.assistants} if self.assistants else {}
        return builder.conversation(
            self.thread_id or _folder_id(filename), title=self.title, metadata=metadata
        )


def _folder_id(filename: str) -> str:
    """Without a thread id in the messages: the thread's folder (`threads/<id>/messages.jsonl`), else the name."""
    parts = filename.replace("\\", "/").split("/")
    if len(parts) >= 2 and parts[-1] == "messages.jsonl" and parts[-2]:
        return parts[-2]
    return filename


importer = JanImporter()
