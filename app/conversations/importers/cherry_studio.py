"""Cherry Studio backups (CherryHQ/cherry-studio, a desktop chat client): the `data.json` inside a backup zip
(`cherry-studio.<time>[.<host>.<device>].zip`, Settings > Data > Backup, local, WebDAV, S3 or Nutstore), or the
whole file of the earliest versions (`cherry-studio.<time>`, no extension).

The shape was read from Cherry Studio's backup service (`getBackupData`: `{time, version, localStorage,
indexedDB}`), its Dexie tables (`src/renderer/src/databases/index.ts`) and its message types
(`src/renderer/src/types/newMessage.ts`):
- `indexedDB.topics` is a list of `{id, messages}`, one per chat ("topic"). A message is `{id, role, assistantId,
  topicId, createdAt, status, blocks: [block id], askId?, model?, modelId?, type?, foldSelected?, useful?}`; its
  words are in `indexedDB.message_blocks`, `{id, messageId, type, content, ...}`: `main_text` (the text),
  `thinking`, `code` (`language`), `tool` (`toolId`, `toolName`, `arguments`, `content`), `translation`,
  `citation`, `image`, `file`, `video`, `error`, `compact`. Backups from before the blocks (Dexie version 7,
  early 2025) hold each message's words in its own `content`.
- Topic names, and each assistant's name and system prompt, are in `localStorage["persist:cherry-studio"]`: a
  JSON string whose `assistants` value is itself a JSON string, `{defaultAssistant, assistants: [{id, name,
  prompt, topics: [{id, name, createdAt}]}]}`.

Read: each topic with messages is a conversation (its id the external id, its name the title, the assistant's
`prompt` the system prompt). Several answers to one question (`askId`: a question sent to several models at
once) keep the one shown folded (`foldSelected`), else the one marked useful, else the last; the others are
counted as `other_answers`. An answer that failed (status `error`, or only an error block) is left out and
counted as `failed_responses`. A `clear` message (the context cleared in the chat) starts a new conversation,
`<topic id>#2` and on. Thinking and tool blocks are kept as blocks of the answer, code blocks as fenced code;
translations, citations, images, files and videos are counted as dropped. The backup's `Data/` folder (files
and knowledge bases beside `data.json` in the zip) holds no conversations and is skipped by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

import orjson

from ._json import BadRecord, decode, has_top_key
from ._records import as_object, converted, iter_records, sniff_head, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

_PERSIST = "persist:cherry-studio"
_DROPPED_BLOCKS = ("translation", "citation", "image", "file", "video")
_NO_TOPICS = "Cherry Studio backup without chats"
_NO_TALK = "Cherry Studio chat without a prompt and an answer"


def _looks(record: dict[str, Any]) -> bool:
    database = record.get("indexedDB")
    return type(database) is dict and "localStorage" in record and "topics" in database


def _hint(head: bytes) -> bool:
    return has_top_key(head, b'"indexedDB"') or (
        has_top_key(head, b'"localStorage"') and _PERSIST.encode() in head
    )


class CherryStudioImporter:
    name = "cherry-studio"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            backup = record.value
            database = backup.get("indexedDB") if type(backup) is dict else None
            if type(database) is not dict:
                yield RecordError(f"indexedDB: expected an object, got {type_name(database)}", json_path="$")
                continue
            yield from _topics(backup, database, filename)


def _topics(backup: dict[str, Any], database: dict[str, Any], filename: str) -> Iterator[ParseResult]:
    topics = database.get("topics")
    if type(topics) is not list:
        yield RecordError(f"topics: expected a list, got {type_name(topics)}", json_path="$.indexedDB.topics")
        return
    blocks = _blocks(database.get("message_blocks"))
    named = _named_topics(as_object(backup.get("localStorage")).get(_PERSIST))
    found = False
    for index, topic in enumerate(topics):
        where = f"$.indexedDB.topics[{index}]"
        if type(topic) is not dict:
            yield RecordError(f"expected a chat object, got {type_name(topic)}", json_path=where)
            continue
        messages = topic.get("messages")
        if type(messages) is not list:
            yield RecordError(f"messages: expected a list, got {type_name(messages)}", json_path=where)
            continue
        if not messages:
            continue
        found = True
        given = topic.get("id")
        topic_id = given if type(given) is str and given else f"{filename}:{where}"
        for part, segment in enumerate(_segments(messages), start=1):
            external_id = topic_id if part == 1 else f"{topic_id}#{part}"
            convert = partial(_conversation, blocks=blocks, topic=named.get(topic_id, {}))
            yield converted(convert, segment, where, external_id)
    if not found:
        yield Skipped(_NO_TOPICS)


def _blocks(value: Any) -> dict[str, dict[str, Any]]:
    """The message blocks by id (a malformed table reads as none: the messages then say what is missing)."""
    if type(value) is not list:
        return {}
    return {b["id"]: b for b in value if type(b) is dict and type(b.get("id")) is str}


def _named_topics(persisted: Any) -> dict[str, dict[str, Any]]:
    """{topic id: {"name", "assistant", "prompt", "created"}} from the persisted app state (a JSON string whose
    `assistants` value is a JSON string too); empty when it is missing or does not decode."""
    try:
        state = decode(persisted.encode()) if type(persisted) is str else None
        assistants = (
            decode(state["assistants"].encode())
            if type(state) is dict and type(state.get("assistants")) is str
            else None
        )
    except BadRecord:
        return {}
    if type(assistants) is not dict:
        return {}
    listed = assistants.get("assistants")
    everyone = [assistants.get("defaultAssistant"), *(listed if type(listed) is list else ())]
    named: dict[str, dict[str, Any]] = {}
    for assistant in everyone:
        if type(assistant) is not dict:
            continue
        topics = assistant.get("topics")
        for topic in topics if type(topics) is list else ():
            if type(topic) is dict and type(topic.get("id")) is str:
                named[topic["id"]] = {
                    "name": topic.get("name"),
                    "created": topic.get("createdAt"),
                    "assistant": assistant.get("name"),
                    "prompt": assistant.get("prompt"),
                }
    return named


def _segments(messages: list[Any]) -> Iterator[list[Any]]:
    """The topic's messages cut at each `clear` message (the context cleared: a fresh conversation after it)."""
    current: list[Any] = []
    for message in messages:
        if type(message) is dict and message.get("type") == "clear":
            if current:
                yield current
            current = []
        else:
            current.append(message)
    if current:
        yield current


def _left_out_answers(messages: list[dict[str, Any]]) -> set[int]:
    """Which assistant messages are left out (by position) when several answer one question (`askId`): the one shown folded is read, else the one marked useful, else the last (failed answers are not
    among them: they are counted as failed)."""
    by_question: dict[str, list[int]] = {}
    for position, message in enumerate(messages):
        ask = message.get("askId")
        if (
            message.get("role") == "assistant"
            and type(ask) is str
            and ask
            and message.get("status") != "error"
        ):
            by_question.setdefault(ask, []).append(position)
    left_out: set[int] = set()
    for positions in by_question.values():
        if len(positions) < 2:
            continue
        keep = next(
            (p for p in positions if messages[p].get("foldSelected") is True),
            next((p for p in reversed(positions) if messages[p].get("useful") is True), positions[-1]),
        )
        left_out.update(p for p in positions if p != keep)
    return left_out


def _conversation(
    messages: list[Any], external_id: str, *, blocks: dict[str, dict[str, Any]], topic: dict[str, Any]
) -> ParsedConversation:
    for index, message in enumerate(messages):
        if type(message) is not dict:
            raise BadRecord(f"messages[{index}]: expected a message object, got {type_name(message)}")
    left_out = _left_out_answers(messages)
    builder = TurnBuilder()
    prompt = topic.get("prompt")
    if type(prompt) is str:
        builder.system(prompt)
    models: set[str] = set()
    failed = 0
    first_prompt = ""
    for position, message in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant", "system"):
            raise BadRecord(
                f'messages[{position}].role: expected "user", "assistant" or "system", got {type_name(role)}'
            )
        if position in left_out:
            continue
        parts = _parts(message, blocks, position, builder.dropped)
        if role == "assistant":
            if message.get("status") == "error" or not any(kind != "error" for kind, _ in parts):
                failed += 1
                continue
            for kind, value in parts:
                if kind == "text":
                    builder.text(value)
                elif kind == "thinking":
                    builder.thinking(value)
                elif kind != "error":
                    builder.block(value)
            model = as_object(message.get("model")).get("name") or message.get("modelId")
            if type(model) is str and model:
                models.add(model)
        else:
            text = "\n\n".join(value for kind, value in parts if kind == "text")
            first_prompt = first_prompt or (text if role == "user" else "")
            builder.say(str(role), text)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    metadata: dict[str, Any] = {}
    if models:
        metadata["models"] = sorted(models)
    if type(topic.get("assistant")) is str and topic["assistant"]:
        metadata["assistant"] = topic["assistant"]
    if type(topic.get("created")) is str:
        metadata["created_at"] = topic["created"]
    if left_out:
        metadata["other_answers"] = len(left_out)
    if failed:
        metadata["failed_responses"] = failed
    name = topic.get("name")
    title = name.strip() if type(name) is str and name.strip() else prompt_title(first_prompt) or None
    return builder.conversation(external_id, title=title, metadata=metadata)


def _parts(
    message: dict[str, Any], blocks: dict[str, dict[str, Any]], position: int, dropped: Counter[str]
) -> list[tuple[str, Any]]:
    """A message's words in order as (kind, value): ("text", str), ("thinking", str), ("block", tool block) or
    ("error", None); what is not read is counted in `dropped`."""
    ids = message.get("blocks")
    if type(ids) is not list or not ids:
        content = message.get("content")  # before the blocks: the words on the message
        return [("text", content)] if type(content) is str else []
    parts: list[tuple[str, Any]] = []
    for at, block_id in enumerate(ids):
        block = blocks.get(block_id) if type(block_id) is str else None
        if block is None:
            raise BadRecord(
                f"messages[{position}].blocks[{at}]: no message block with id {block_id!r} in message_blocks"
            )
        kind, content = block.get("type"), block.get("content")
        if kind in ("main_text", "compact") and type(content) is str:
            parts.append(("text", content))
        elif kind == "thinking" and type(content) is str:
            parts.append(("thinking", content))
        elif kind == "code" and type(content) is str:
            language = block.get("language") if type(block.get("language")) is str else ""
            parts.append(("text", f"```{language}\n{content}\n```"))
        elif kind == "tool":
            call = block.get("toolId")
            parts.append(("block", tool_use(call, block.get("toolName"), block.get("arguments"))))
            if content is not None:
                parts.append(
                    ("block", tool_result(call, _tool_output(content), block.get("status") == "error"))
                )
        elif kind == "error":
            parts.append(("error", None))
        elif kind in _DROPPED_BLOCKS:
            dropped[str(kind)] += 1
    return parts


def _tool_output(content: Any) -> str:
    """A tool block's output: its text, an MCP response's text parts (`{content: [{type: "text", text}]}`),
    or other values as JSON."""
    if type(content) is str:
        return content
    if type(content) is dict and type(content.get("content")) is list:
        return flatten(content["content"])
    return orjson.dumps(content).decode()


importer = CherryStudioImporter()
