"""Continue.dev chat sessions (`~/.continue/sessions/<sessionId>.json`): one conversation per file.

`{sessionId, title, workspaceDirectory, history: [...]}` (older builds may add `mode`, `chatModelTitle`). Each
history item is `{message, contextItems, reasoning?, toolCallStates?, promptLogs?, ...}`, in order, with no
branches (an edited message truncates the history). The message's `role` says what it is:
- `user`: the prompt (`content` a string or parts: text parts are the text, images counted as dropped); the
  item's `contextItems` (the files, code, URLs and terminal output an `@` mention pulled in) are context blocks of
  the prompt, tagged with their provider (`file`, `code`, `url`, ...).
- `assistant`: the answer's text; the item's `reasoning` is a thinking block before it and the message's
  `toolCalls` are tool calls. `thinking` messages (a model's own thinking, stored as a message of its own) are a
  thinking block of the answer that follows, and `tool` messages the results of the calls (an error when the
  call's `toolCallStates` entry says `errored` or `canceled`): the whole tool loop is one assistant turn. A call
  with no `tool` message but an `output` in its state gets that output as its result.
- `system`: the system prompt.
The editor state (the typed prompt's rich-text copy), prompt logs and summaries of compacted history are left
out; the models named by the prompt logs are metadata, with the workspace. The `sessionId` is the external id,
the `title` the title (Continue's placeholder "New Session" gives way to the first prompt).

`sessions.json` beside the sessions is Continue's index of them and is skipped by its path (see
`app.conversations.files.not_conversation_reason`).
"""

from __future__ import annotations

import re
from typing import Any

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id, first_byte, has_top_key, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParsedConversation, SkipRecord
from .openai import parse_arguments

_ROLES = ("user", "assistant", "thinking", "system", "tool")
_FAILED = ("errored", "canceled", "cancelled")
_PLACEHOLDER_TITLES = ("", "New Session")
_TAG = re.compile(r"[^a-z0-9_-]+")


def _looks(record: dict[str, Any]) -> bool:
    return (
        type(record.get("sessionId")) is str
        and type(record.get("history")) is list
        and ("workspaceDirectory" in record or "title" in record)
    )


def _hint(head: bytes) -> bool:
    # A session whose first item is longer than the head: its four keys are written first, `history` last.
    return (
        first_byte(head) == ord("{")
        and has_top_key(head, b'"sessionId"')
        and has_top_key(head, b'"history"')
        and b'"workspaceDirectory"' in head
    )


def _text(content: Any, builder: TurnBuilder, where: str) -> str:
    """A message's words: a string, or its text parts joined; image parts are counted as dropped."""
    if type(content) is str:
        return content
    if content is None:
        return ""
    if type(content) is not list:
        raise BadRecord(f"{where}.content: expected a string or a list of parts, got {type_name(content)}")
    return flatten(content, builder.dropped)


def _context(items: Any) -> list[dict[str, Any]]:
    """The context items of a prompt as context blocks, tagged with their provider."""
    blocks = []
    for item in items if type(items) is list else ():
        if type(item) is not dict or type(item.get("content")) is not str or not item["content"].strip():
            continue
        provider = item.get("id", {}).get("providerTitle") if type(item.get("id")) is dict else None
        tag = _TAG.sub("_", provider.lower()).strip("_") if type(provider) is str else ""
        block: dict[str, Any] = {"type": "context", "tag": tag or "context", "text": item["content"]}
        if type(item.get("name")) is str and item["name"]:
            block["name"] = item["name"]
        blocks.append(block)
    return blocks


def _states(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    states = item.get("toolCallStates")
    return {
        state["toolCallId"]: state
        for state in (states if type(states) is list else ())
        if type(state) is dict and type(state.get("toolCallId")) is str
    }


def _output(state: dict[str, Any]) -> str | None:
    """What a tool call's state says it returned (its output context items' text), or None."""
    output = state.get("output")
    if type(output) is not list:
        return None
    texts = [item["content"] for item in output if type(item) is dict and type(item.get("content")) is str]
    return "\n\n".join(texts) if texts else None


class _Session:
    def __init__(self, history: list[Any]) -> None:
        self.builder = TurnBuilder()
        self.title: str | None = None
        self.models: list[str] = []
        # Every call's state, and the calls some `tool` message answers.
        self.states: dict[str, dict[str, Any]] = {}
        self.answered: set[str] = set()
        for item in history:
            if type(item) is dict:
                self.states.update(_states(item))
                message = item.get("message")
                if type(message) is dict and message.get("role") == "tool":
                    call_id = message.get("toolCallId")
                    if type(call_id) is str:
                        self.answered.add(call_id)

    def add(self, item: Any, where: str) -> None:
        builder = self.builder
        expect(item, dict, where)
        message = item.get("message")
        if type(message) is not dict:
            raise BadRecord(f"{where}.message: expected an object, got {type_name(message)}")
        role = message.get("role")
        if type(role) is not str or role not in _ROLES:
            shown = f'"{role}"' if type(role) is str else type_name(role)
            raise BadRecord(f"{where}.message.role: expected one of {', '.join(_ROLES)}, got {shown}")
        text = _text(message.get("content"), builder, f"{where}.message")
        if role == "user":
            builder.user(text, blocks=_context(item.get("contextItems")))
            if self.title is None and text.strip():
                self.title = prompt_title(text)
        elif role == "system":
            builder.system(text)
        elif role == "thinking":
            if text.strip():
                builder.block({"type": "thinking", "thinking": text})
        elif role == "tool":
            call_id = message.get("toolCallId")
            state = self.states.get(call_id) if type(call_id) is str else None
            builder.block(tool_result(call_id, text, state is not None and state.get("status") in _FAILED))
        else:
            self._answer(item, message, text)
        logs = item.get("promptLogs")
        for log in logs if type(logs) is list else ():
            model = log.get("modelTitle") if type(log) is dict else None
            if type(model) is str and model and model not in self.models:
                self.models.append(model)

    def _answer(self, item: dict[str, Any], message: dict[str, Any], text: str) -> None:
        builder = self.builder
        reasoning = item.get("reasoning")
        thought = reasoning.get("text") if type(reasoning) is dict else None
        if type(thought) is str and thought.strip():
            builder.block({"type": "thinking", "thinking": thought})
        builder.text(text)
        calls = message.get("toolCalls")
        for call in calls if type(calls) is list else ():
            if type(call) is not dict:
                continue
            function = call.get("function")
            function = function if type(function) is dict else {}
            call_id = call.get("id")
            builder.block(tool_use(call_id, function.get("name"), parse_arguments(function.get("arguments"))))
            state = self.states.get(call_id) if type(call_id) is str else None
            if state is not None and call_id not in self.answered:
                output = _output(state)
                if output is not None:
                    builder.block(tool_result(call_id, output, state.get("status") in _FAILED))


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    history = expect(record.get("history"), list, "history")
    session = _Session(history)
    for i, item in enumerate(history):
        session.add(item, f"history[{i}]")
    builder = session.builder
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("Continue session without a conversation")
    metadata: dict[str, Any] = {}
    for key in ("workspaceDirectory", "mode", "chatModelTitle"):
        if type(record.get(key)) is str and record[key]:
            metadata[key] = record[key]
    if session.models:
        metadata["models"] = session.models
    title = record.get("title")
    return builder.conversation(
        external_id({"id": record.get("sessionId")}, fallback),
        title=title if type(title) is str and title.strip() not in _PLACEHOLDER_TITLES else session.title,
        metadata=metadata,
    )


importer = RecordImporter("continue", _convert, looks=_looks, hint=_hint, starts=b"{")
