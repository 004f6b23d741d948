"""big-AGI chats: the "Backup all chats" file and a single chat's export (`.agi.json`).

The shape is big-AGI's own (enricoros/big-AGI, `src/common/stores/chat/chats.converters.ts`, `DataAtRestV1`,
whose stored types it promises never to change; `chat.message.ts`, `chat.fragments.ts`):
- the backup, `backup_chats_<host>_<n>_<YYYY-MM-DD-HHMM>.agi.json` (minified), is `{conversations: [chat],
  models: {sources}, folders?: {folders, enableFolders}}`; older backups (2023, `conversations-<date>.json`) the
  same without `folders`. The conversations are streamed item by item when they are the object's first key (as
  big-AGI writes them); otherwise the file is read whole, within the record limit. `models.sources` (the
  services' settings, API keys included) and the folders are never read.
- a single chat, `conversation_<title>_<date>.agi.json` (pretty-printed), is one chat: `{id, messages,
  systemPurposeId, userTitle?, autoTitle?, created, updated}` (ms since the epoch).

A message is `{id, role: "user" | "assistant" | "system", ..., created, updated}` in one of two generations:
- since May 2024, `fragments`: `{ft, fId, part}`. `content` fragments hold a `text` part (the words), an
  `error` part (big-AGI's notice of a failed or aborted generation, not the model's: left out), `tool_invocation`
  (a function call, `args` a JSON string, or Gemini's `code_execution`) and `tool_response` parts (its result,
  `error` truthy for a failure), `image_ref` and `reference` parts (images and audio, counted as dropped).
  `attachment` fragments: a `doc` part's inline text is an `attachment` context block of the prompt (named by the
  fragment's `title`), images are counted as dropped. `void` fragments: `ma` reasoning parts are a thinking block,
  citations (`annotations`) and placeholders (`ph`, an unfinished generation) are the UI's and left out.
- before, `text` with `sender` ("You"/"Bot"), `avatar` and `typing`: the text is the message.
`metadata.inReferenceTo` (text of an answer the person quoted when replying; V3's `metadata.inReplyToText`) is a
`reference` context block of the prompt.

`system` messages are the system prompt (the persona's text, first in every chat). big-AGI has no branches in a
chat: regenerating or Beam replaces the message in place and "branch" copies the chat, so the messages are read in
order. The chat `id` is the external id, `userTitle` (else `autoTitle`, else the first prompt) the title, the
persona (`systemPurposeId`), `created` and the models that answered (`generator.name`, V3's `originLLM`) the
metadata. A chat without a prompt and an answer is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, has_top_key
from ._records import (
    converted,
    expect,
    iter_records,
    peekable,
    sniff_head,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord
from .openai import parse_arguments

_ROLES = ("user", "assistant", "system")
# The opening of a backup whose first key is the conversations array, up to (not including) its `[`.
_OPENING = re.compile(rb'\s*\{\s*"conversations"\s*:\s*(?=\[)')
_EMPTY_BACKUP = "big-AGI backup without chats"
_NO_TALK = "big-AGI chat without a prompt and an answer"
# A first message longer than the head: its fragments (`ft`, `fId`) or the V3 message's `sender` and `typing`.
_V4_SIGN = re.compile(rb'"fragments"\s*:\s*\[\s*\{\s*"ft"\s*:')
_V3_SIGN = re.compile(rb'"sender"\s*:\s*"[^"]*"\s*,\s*"avatar"\s*:')
_DROPPED_PARTS = {"image_ref": "image", "doc": "document"}


def _is_message(message: Any) -> bool:
    if type(message) is not dict:
        return False
    if type(message.get("fragments")) is list:
        return True
    return type(message.get("text")) is str and "sender" in message and "typing" in message


def _is_chat(record: Any) -> bool:
    if type(record) is not dict or type(record.get("messages")) is not list:
        return False
    messages = record["messages"]
    if messages:
        return _is_message(messages[0])
    return "systemPurposeId" in record


def _looks(record: dict[str, Any]) -> bool:
    """A single chat, or a backup: its conversations are chats (none: its `models.sources`)."""
    if _is_chat(record):
        return True
    conversations = record.get("conversations")
    if type(conversations) is not list:
        return False
    if conversations:
        return _is_chat(conversations[0])
    models = record.get("models")
    return type(models) is dict and type(models.get("sources")) is list


def _hint(head: bytes) -> bool:
    head = head.removeprefix(BOM)
    if not (has_top_key(head, b'"conversations"') or has_top_key(head, b'"messages"')):
        return False
    return _V4_SIGN.search(head) is not None or _V3_SIGN.search(head) is not None


class BigAgiImporter:
    name = "big-agi"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, "$.conversations")
        if items is None:
            yield from _whole(buffered, filename)
            return
        yield from stream_results(items, lambda value, where: _result(value, where, filename), _EMPTY_BACKUP)


def _whole(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A single chat, or a backup whose conversations are not its first key, read as one record."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        value = record.value
        base = record.json_path or "$"
        if type(value) is dict and "messages" in value:
            results: list[ParseResult] = [_result(value, base, filename)]
        elif type(value) is dict and type(value.get("conversations")) is list:
            chats = value["conversations"]
            results = [_result(chat, f"{base}.conversations[{i}]", filename) for i, chat in enumerate(chats)]
            if not chats:
                results = [Skipped(_EMPTY_BACKUP)]
        else:
            got = type_name(value.get("conversations")) if type(value) is dict else type_name(value)
            reason = f"conversations: expected the list of chats of a big-AGI backup, got {got}"
            results = [RecordError(reason, json_path=record.json_path)]
        for result in results:
            if isinstance(result, ParsedConversation | RecordError):
                result.line = record.line
            yield result


def _result(value: Any, where: str, filename: str) -> ParseResult:
    return converted(_convert, value, where, f"{filename}:{where}")


class _Chat:
    """The turns of one chat, built as its messages are read."""

    def __init__(self) -> None:
        self.builder = TurnBuilder()
        self.title: str | None = None
        self.models: list[str] = []

    def add(self, message: Any, where: str) -> None:
        expect(message, dict, where)
        role = message.get("role")
        if role not in _ROLES:
            shown = f'"{role}"' if type(role) is str else type_name(role)
            raise BadRecord(f'{where}.role: expected "user", "assistant" or "system", got {shown}')
        fragments = message.get("fragments")
        if fragments is None:
            text = message.get("text")
            if type(text) is not str:
                raise BadRecord(
                    f"{where}: expected its fragments (or the text of an older chat), got neither"
                )
            self._words(role, text, _quoted(message))
        else:
            self._fragments(role, expect(fragments, list, f"{where}.fragments"), _quoted(message))
        if role == "assistant":
            self._model(message)

    def _words(self, role: str, text: str, context: list[dict[str, Any]]) -> None:
        if role == "user":
            self.builder.user(text, blocks=context or None)
            if self.title is None and text.strip():
                self.title = prompt_title(text)
        elif role == "assistant":
            self.builder.text(text)
        else:
            self.builder.system(text)

    def _fragments(self, role: str, fragments: list[Any], context: list[dict[str, Any]]) -> None:
        texts: list[str] = []
        for fragment in fragments:
            if type(fragment) is not dict or type(fragment.get("part")) is not dict:
                continue  # big-AGI drops a damaged fragment on load too
            kind, part = fragment.get("ft"), fragment["part"]
            pt = part.get("pt")
            if kind == "content" and pt == "text" and type(part.get("text")) is str:
                texts.append(part["text"])
            elif kind == "content" and pt in ("tool_invocation", "tool_response") and role == "assistant":
                self._words(role, "\n\n".join(texts), [])
                texts = []
                self.builder.block(_tool_block(part))
            elif kind == "attachment" and pt == "doc":
                context.append(_attachment(fragment, part))
            elif kind == "void" and pt == "ma" and type(part.get("aText")) is str and part["aText"].strip():
                if role == "assistant":
                    self._words(role, "\n\n".join(texts), [])
                    texts = []
                    self.builder.block({"type": "thinking", "thinking": part["aText"]})
            elif kind in ("content", "attachment") and pt not in ("error", "ph", "_pt_sentinel"):
                self.builder.dropped[_dropped_kind(part)] += 1
        self._words(role, "\n\n".join(texts), context)

    def _model(self, message: dict[str, Any]) -> None:
        generator = message.get("generator")
        name = generator.get("name") if type(generator) is dict else message.get("originLLM")
        if type(name) is str and name and name not in self.models:
            self.models.append(name)


def _quoted(message: dict[str, Any]) -> list[dict[str, Any]]:
    """What the person quoted from an answer when replying, as context blocks of the prompt."""
    metadata = message.get("metadata")
    if type(metadata) is not dict:
        return []
    texts = [metadata.get("inReplyToText")]
    references = metadata.get("inReferenceTo")
    for reference in references if type(references) is list else ():
        if type(reference) is dict:
            texts.append(reference.get("mText"))
    return [{"type": "context", "tag": "reference", "text": t} for t in texts if type(t) is str and t.strip()]


def _attachment(fragment: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    data = part.get("data")
    text = data.get("text") if type(data) is dict else None
    name = fragment.get("title", part.get("l1Title"))
    return {
        "type": "context",
        "tag": "attachment",
        "text": text if type(text) is str else "",
        "name": name if type(name) is str else None,
    }


def _dropped_kind(part: dict[str, Any]) -> str:
    kind = part.get("pt")
    if kind == "reference":
        asset = part.get("assetType")
        return asset if type(asset) is str and asset else "reference"
    return _DROPPED_PARTS.get(kind, kind[:40]) if type(kind) is str else "unknown"


def _tool_block(part: dict[str, Any]) -> dict[str, Any]:
    """A tool invocation as a tool call, a tool response as its result."""
    call_id = part.get("id")
    if part["pt"] == "tool_invocation":
        invocation = part.get("invocation")
        invocation = invocation if type(invocation) is dict else {}
        if invocation.get("type") == "code_execution":
            code = {"language": invocation.get("language"), "code": invocation.get("code")}
            return tool_use(call_id, "code_execution", code)
        return tool_use(call_id, invocation.get("name"), parse_arguments(invocation.get("args")))
    response = part.get("response")
    result = response.get("result") if type(response) is dict else None
    return tool_result(call_id, result if type(result) is str else "", bool(part.get("error")))


def _convert(chat: Any, fallback: str) -> ParsedConversation:
    expect(chat, dict, "chat")
    messages = expect(chat.get("messages"), list, "messages")
    builder = _Chat()
    for i, message in enumerate(messages):
        builder.add(message, f"messages[{i}]")
    if len({turn.role for turn in builder.builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    metadata: dict[str, Any] = {}
    if type(chat.get("systemPurposeId")) is str and chat["systemPurposeId"]:
        metadata["persona"] = chat["systemPurposeId"]
    if type(chat.get("created")) is int:
        metadata["created"] = chat["created"]
    if builder.models:
        metadata["models"] = builder.models
    title = next(
        (chat[k] for k in ("userTitle", "autoTitle") if type(chat.get(k)) is str and chat[k].strip()), None
    )
    chat_id = chat.get("id")
    return builder.builder.conversation(
        chat_id if type(chat_id) is str and chat_id else fallback,
        title=title or builder.title,
        metadata=metadata,
    )


importer = BigAgiImporter()
