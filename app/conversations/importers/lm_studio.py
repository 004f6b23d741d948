"""LM Studio chats (`~/.lmstudio/conversations/<created ms>.conversation.json`, earlier `~/.cache/lm-studio/
conversations/`): one conversation per file.

LM Studio is closed source; the shape is the one its files show and the tools that read and write them agree
on. A file is one object: `{name, pinned, createdAt, preset, tokenCount, systemPrompt, messages,
perChatPredictionConfig: {fields: [{key, value}]}, lastUsedModel: {identifier, indexedModelIdentifier}, ...}`.
Each message is `{versions: [...], currentlySelected}`: a regenerated answer (or an edited prompt) is one more
version, and the one shown is read. A version is
- `{type: "singleStep", role, content: [{type: "text", text} | {type: "file", ...}]}` (prompts; files are
  counted as dropped), or
- `{type: "multiStep", role: "assistant", senderInfo: {senderName}, steps}`: an answer as its steps.
  `contentBlock` steps hold content parts: `text` (thinking when the step's `style.type` is `thinking`),
  `toolCallRequest` (`toolCallRequestId`, `callId`, `name`, `parameters` or `arguments`) and `toolCallResult`
  (`content`, the tool's output as text); `toolStatus` (a failed call marks its result an error), `genInfo` and
  `debugInfoBlock` steps are the UI's.

The name is the title and the file's name (the chat's creation time) the external id; `systemPrompt`, or the
chat's `llm.prediction.systemPrompt` setting, the system prompt; the models answering are metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, has_top_key
from ._records import parse_records, sniff_head, type_name
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParsedConversation, ParseResult, SkipRecord

_SYSTEM_KEY = "llm.prediction.systemPrompt"
_FILE_NAME = re.compile(r"(.+)\.conversation\.json", re.IGNORECASE)
# The first version of the first message, when even that is longer than the head.
_FIRST_VERSION = re.compile(rb'"versions"\s*:\s*\[\s*\{\s*"type"\s*:\s*"(?:single|multi)Step"')


def _looks(record: dict[str, Any]) -> bool:
    messages = record.get("messages")
    if type(messages) is not list:
        return False
    if messages:
        first = messages[0]
        return type(first) is dict and "versions" in first
    # An empty chat: LM Studio's own keys beside the empty list.
    return "createdAt" in record and ("perChatPredictionConfig" in record or "lastUsedModel" in record)


def _hint(head: bytes) -> bool:
    """A first message longer than the head: a top-level `messages` whose first entry has versions."""
    stripped = head.removeprefix(BOM)
    return has_top_key(stripped, b'"messages"') and _FIRST_VERSION.search(stripped) is not None


class LmStudioImporter:
    name = "lm-studio"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        def convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
            return _convert(record, fallback, filename)

        return parse_records(stream, filename, convert, ("LM Studio", _looks))


def _external_id(record: dict[str, Any], fallback: str, filename: str) -> str:
    name = _FILE_NAME.fullmatch(filename.replace("\\", "/").rsplit("/", 1)[-1])
    if name is not None:
        return name.group(1)
    created = record.get("createdAt")
    return str(created) if type(created) is int else fallback


def _system_prompt(record: dict[str, Any]) -> str:
    prompt = record.get("systemPrompt")
    if type(prompt) is str and prompt.strip():
        return prompt
    config = record.get("perChatPredictionConfig")
    fields = config.get("fields") if type(config) is dict else None
    for field in fields if type(fields) is list else ():
        if type(field) is dict and field.get("key") == _SYSTEM_KEY and type(field.get("value")) is str:
            return str(field["value"])
    return ""


def _selected(message: Any, path: str) -> dict[str, Any]:
    """The version of a message that is shown (`currentlySelected`, else the first)."""
    if type(message) is not dict:
        raise BadRecord(f"{path}: expected a message object, got {type_name(message)}")
    versions = message.get("versions")
    if type(versions) is not list or not versions:
        got = "an empty list" if versions == [] else type_name(versions)
        raise BadRecord(f"{path}.versions: expected a list of versions, got {got}")
    index = message.get("currentlySelected", 0)
    if type(index) is not int or not 0 <= index < len(versions):
        raise BadRecord(f"{path}.currentlySelected: {index!r} is not one of its {len(versions)} versions")
    version = versions[index]
    if type(version) is not dict:
        raise BadRecord(f"{path}.versions[{index}]: expected an object, got {type_name(version)}")
    return version


def _convert(record: dict[str, Any], fallback: str, filename: str) -> ParsedConversation:
    messages = record.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    builder = TurnBuilder()
    builder.system(_system_prompt(record))
    models: list[str] = []
    for i, message in enumerate(messages):
        version = _selected(message, f"messages[{i}]")
        role = version.get("role")
        if role == "user":
            builder.user(_words(version.get("content"), builder))
        elif role == "system":
            builder.system(_words(version.get("content"), builder))
        elif role == "assistant":
            _answer(builder, version, models)
        else:
            shown = role if type(role) is str else type_name(role)
            raise BadRecord(f"messages[{i}].role: expected user, assistant or system, got {shown}")
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("chat without a conversation")
    last = record.get("lastUsedModel")
    model = last.get("identifier") if type(last) is dict else None
    if type(model) is str and model and model not in models:
        models.append(model)
    metadata: dict[str, Any] = {"models": models} if models else {}
    name = record.get("name")
    return builder.conversation(
        _external_id(record, fallback, filename),
        title=name if type(name) is str and name.strip() else None,
        metadata=metadata,
    )


def _words(content: Any, builder: TurnBuilder) -> str:
    """The text parts of a content list (or a plain string); other parts are counted as dropped."""
    if type(content) is str:
        return content
    texts = []
    for part in content if type(content) is list else ():
        if type(part) is dict and part.get("type") == "text" and type(part.get("text")) is str:
            texts.append(part["text"])
        elif type(part) is dict:
            builder.dropped[str(part.get("type"))[:40]] += 1
    return "".join(texts)


def _call_id(part: dict[str, Any]) -> str | None:
    for key in ("toolCallRequestId", "callId", "id"):
        value = part.get(key)
        if (type(value) is str and value) or type(value) is int:
            return str(value)
    return None


def _answer(builder: TurnBuilder, version: dict[str, Any], models: list[str]) -> None:
    sender = version.get("senderInfo")
    name = sender.get("senderName") if type(sender) is dict else None
    if type(name) is str and name and name not in models:
        models.append(name)
    if version.get("type") != "multiStep":
        builder.text(_words(version.get("content"), builder))
        return
    steps = version.get("steps")
    failed: set[str] = set()
    for step in steps if type(steps) is list else ():
        if type(step) is not dict or step.get("type") != "contentBlock":
            if type(step) is dict and step.get("type") == "toolStatus" and _failed(step):
                failed.add(repr(step.get("callId")))
            continue
        content = step.get("content")
        style = step.get("style")
        if type(style) is dict and style.get("type") == "thinking":
            thinking = _words(content, TurnBuilder())
            if thinking.strip():
                builder.block({"type": "thinking", "thinking": thinking})
            continue
        words: list[Any] = []
        for part in content if type(content) is list else ():
            kind = part.get("type") if type(part) is dict else None
            if kind not in ("toolCallRequest", "toolCallResult"):
                words.append(part)
                continue
            builder.text(_words(words, builder))
            words = []
            if kind == "toolCallRequest":
                arguments = part.get("parameters", part.get("arguments"))
                builder.block(tool_use(_call_id(part), part.get("name"), arguments))
            else:
                output = part.get("content")
                text = output if type(output) is str else "" if output is None else str(output)
                failed_call = "callId" in part and repr(part["callId"]) in failed
                builder.block(tool_result(_call_id(part), text, failed_call))
        builder.text(_words(words, builder))


def _failed(step: dict[str, Any]) -> bool:
    state = step.get("statusState")
    status = state.get("status") if type(state) is dict else None
    kind = status.get("type") if type(status) is dict else None
    return type(kind) is str and "fail" in kind.lower()


importer = LmStudioImporter()
