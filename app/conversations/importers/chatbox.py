"""Chatbox (Bin-Huang/chatbox, now chatboxai/chatbox) data export: `chatbox-exported-data-<Y>-<M>-<D>.json`.

The shape was read from Chatbox's exporters (settings page "Export data") and its types (`src/shared/types.ts`,
later `src/shared/types/session.ts`). The file is the app's storage as one object, minus secrets: `settings`,
`configVersion`, `myCopilots`, `__exported_items`, `__exported_at` and the chats, in one of two layouts:
- older versions: `chat-sessions`, a list of sessions `{id, name, type?, picUrl?, copilotId?, messages}` whose
  messages are `{id, role, content, timestamp?, model?, aiProvider?, generating?, error?, ...}`;
- newer versions: `chat-sessions-list` (`[{id, name, type, starred?, ...}]`, the sidebar) and one key per chat,
  `session:<id>`: `{id, name, type, messages, settings?, threads?, threadName?, messageForksHash?, ...}`, whose
  messages hold `contentParts` (`text`, `image`, `info`, `reasoning`, `tool-call`, `app`) instead of `content`.

`session.messages` is the thread shown. A regenerated answer (or an edited prompt sent again) forks the chat after
the message before it: `messageForksHash[<message id>] = {position, lists: [{id, messages}], createdAt}`, where
`lists[position]` is the branch shown (its messages are the ones in `session.messages`) and the other lists hold
the stashed branches: not turns, their answers counted as `regenerated_responses` in the metadata. `threads` are
the chat's earlier threads (the context cleared with "new thread"): each is a conversation of its own
(`<session id>/<thread id>`, titled by its `name`).
- `system` messages are the system prompt; compaction summaries (`isSummary`) are left out.
- `user` messages are prompts: their `text` parts (or `content`); images, `files` and `links` are counted as
  dropped.
- `assistant` messages are answers: `reasoning` parts (or the older `reasoningContent`) a thinking block, `text`
  parts the text, `tool-call` parts a tool call (`toolName`, `args`) with its `result` (an error for `state:
  "error"`); `info` notices are left out, images and `app` parts counted as dropped. An answer holding an `error`
  is a failed request: left out and counted as `failed_responses`.
- `tool` messages are tool results.

The session id is the external id, its `name` the title (Chatbox's placeholder "Untitled" gives way to the first
prompt), the models, `starred` (the sidebar list's, when the list comes before the chat) and `type` (a `picture`
chat) the metadata; a chat without an answer is skipped, an export without chats too.

The file is scanned one top-level member at a time and only the chats are decoded: each `session:<id>` alone
(within the record limit, so an export of any size reads, and a cut file keeps the chats before the cut), the
older `chat-sessions` list as one member.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from ._json import BadRecord, decode, has_top_key, too_large
from ._records import converted, first_byte, peekable, sniff_head, type_name
from ._turns import TurnBuilder, part_kind, prompt_title, tool_result, tool_use
from .base import (
    MAX_JSON_DEPTH,
    MAX_RECORD_BYTES,
    FileFormatError,
    ParsedConversation,
    ParseResult,
    RecordError,
    Skipped,
    SkipRecord,
)

_ROLES = ("system", "user", "assistant", "tool")
_SESSION = "session:"
_LEGACY = "chat-sessions"
_LIST = "chat-sessions-list"
_PLACEHOLDER_TITLES = frozenset({"Untitled", "New Chat"})
_KEYS = (b'"__exported_items"', b'"chat-sessions"', b'"chat-sessions-list"')
# A `session:<id>` key; the first in the head must be one of the object's own keys.
_SESSION_KEY = re.compile(rb'"session:[^"\\]*"')
# The file is scanned for strings and brackets only (as `iter_array` does), a megabyte at a time.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|["\[\]{}]', re.S)
_NEXT = re.compile(rb"\s*(\S)")
_QUOTE = ord('"')
_OPEN = b"[{"
_CHUNK = 1 << 20


def _looks(record: dict[str, Any]) -> bool:
    if type(record.get(_LEGACY)) is list or type(record.get(_LIST)) is list:
        return True
    if type(record.get("__exported_items")) is list and "__exported_at" in record:
        return True
    return any(key.startswith(_SESSION) and type(value) is dict for key, value in record.items())


def _hint(head: bytes) -> bool:
    """A first chat longer than the head: Chatbox's own keys among the object's, or a `session:` key."""
    if any(has_top_key(head, key) for key in _KEYS):
        return True
    match = _SESSION_KEY.search(head)
    return match is not None and has_top_key(head, match.group())


class ChatboxImporter:
    name = "chatbox"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        chats = False
        chatbox = False
        starred: set[str] = set()
        for key, value in _members(stream):
            where = f"$[{_quoted(key)}]"
            if key == _LEGACY or key.startswith(_SESSION):
                chats = True
                yield from _member(key, value, where, starred)
            elif key == _LIST and isinstance(value, bytes):
                starred = _starred(value)
            chatbox = chatbox or key in (_LIST, "__exported_items", "myCopilots")
        if chats:
            return
        if chatbox:
            yield Skipped("Chatbox export without chats")
        else:
            reason = "not a Chatbox export: expected `chat-sessions` or `session:<id>` keys"
            yield RecordError(reason, json_path="$")


def _starred(value: bytes) -> set[str]:
    """The ids of the chats the sidebar list (`chat-sessions-list`) marks as starred."""
    try:
        entries = decode(value)
    except BadRecord:
        return set()
    listed = entries if type(entries) is list else ()
    return {
        entry["id"]
        for entry in listed
        if type(entry) is dict and entry.get("starred") is True and type(entry.get("id")) is str
    }


def _member(key: str, value: bytes | str, where: str, starred: set[str]) -> Iterator[ParseResult]:
    """The conversations of one member: a `session:<id>` chat, or the older `chat-sessions` list."""
    if isinstance(value, str):
        yield RecordError(value, json_path=where)
        return
    try:
        decoded = decode(value)
    except BadRecord as exc:
        yield RecordError(str(exc), json_path=where)
        return
    if key.startswith(_SESSION):
        decoded = [decoded]
    elif type(decoded) is not list:
        yield RecordError(f"expected a list of chats, got {type_name(decoded)}", json_path=where)
        return
    for index, session in enumerate(decoded):
        at = where if key.startswith(_SESSION) else f"{where}[{index}]"
        if type(session) is dict:
            chat_id = session.get("id")
            yield from _session(session, at, type(chat_id) is str and chat_id in starred)
        else:
            yield RecordError(f"expected a chat object, got {type_name(session)}", json_path=at)


def _key(token: bytes) -> str:
    try:
        return str(orjson.loads(token))
    except orjson.JSONDecodeError:
        return token[1:-1].decode(errors="replace")


def _quoted(key: str) -> str:
    return orjson.dumps(key).decode()


def _members(stream: IO[bytes]) -> Iterator[tuple[str, bytes | str]]:
    """(key, value bytes) for each member of the file's object whose value is an object or a list, holding one
    member at a time (scalar members are passed over); a member that cannot be kept comes with the reason instead
    of its bytes (over the record limit, nested too deep, cut by the end of the file).

    Like `iter_array`, only strings and brackets are scanned; a string at the object's own level is a key when a
    colon follows it.
    """
    buf = bytearray()
    base = 0  # absolute offset of buf[0]
    pos = 0  # scan position in buf
    depth = 0
    key = ""
    start = 0  # absolute offset where the current member's value starts
    keep = True
    deep = False
    buffered = peekable(stream)
    first = first_byte(buffered.peek(65536))
    if first is None:
        raise FileFormatError("file is empty")
    if first != ord("{"):
        shown = "a JSON list" if first == ord("[") else repr(bytes([first]))
        raise FileFormatError(f"not a Chatbox export: the file starts with {shown}, not a JSON object")
    while chunk := buffered.read(_CHUNK):
        drop = start - base if depth >= 2 and keep else pos
        del buf[:drop]
        buf += chunk
        base += drop
        pos -= drop
        if depth >= 2 and keep and base + len(buf) - start > MAX_RECORD_BYTES:
            keep = False
        for match in _TOKEN.finditer(buf, pos):
            at = match.start()
            byte = buf[at]
            if byte == _QUOTE:
                if match.end() - at == 1:
                    break  # a string cut by the buffer end: rescan it with the next chunk
                if depth == 1:
                    after = _NEXT.match(buf, match.end())
                    if after is None:
                        break  # what follows the string is in the next chunk
                    if after.group(1) == b":":
                        key = _key(match.group())
            elif byte in _OPEN:
                depth += 1
                if depth == 2:
                    start, keep, deep = base + at, True, False
                elif depth > MAX_JSON_DEPTH + 1 and not deep:
                    deep, keep = True, False
            else:
                depth -= 1
                if depth == 1:
                    end = base + match.end()
                    if deep:
                        yield key, f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
                    elif not keep or end - start > MAX_RECORD_BYTES:
                        yield key, too_large("the chat", end - start)
                    else:
                        yield key, bytes(memoryview(buf)[start - base : match.end()])
                elif depth == 0:
                    return
            pos = match.end()
        else:
            pos = len(buf)
    if depth >= 2:
        yield key, "file ends inside this chat"


def _session(session: dict[str, Any], where: str, starred: bool) -> Iterator[ParseResult]:
    """The chat's earlier threads, each a conversation, then its current messages (`starred` in the sidebar)."""
    if starred:
        session = {**session, "starred": True}
    session_id = session.get("id")
    external = session_id if type(session_id) is str and session_id else where
    forks = session.get("messageForksHash")
    forks = forks if type(forks) is dict else {}
    threads = session.get("threads")
    for index, thread in enumerate(threads if type(threads) is list else ()):
        thread_where = f"{where}.threads[{index}]"
        if type(thread) is not dict:
            yield RecordError(f"expected a thread object, got {type_name(thread)}", json_path=thread_where)
            continue
        thread_id = thread.get("id")
        thread_external = f"{external}/{thread_id if type(thread_id) is str and thread_id else index}"
        yield _result(thread, thread_where, thread_external, session, forks)
    yield _result(session, where, external, session, forks)


def _result(
    holder: dict[str, Any], where: str, external: str, session: dict[str, Any], forks: dict[str, Any]
) -> ParseResult:
    """One conversation: a session's current messages or one of its threads (`forks` the session's forks)."""
    return converted(
        lambda value, fallback: _convert(value, fallback, session, forks), holder, where, external
    )


@dataclass(slots=True)
class _Reading:
    builder: TurnBuilder = field(default_factory=TurnBuilder)
    models: list[str] = field(default_factory=list)
    failed: int = 0
    title: str | None = None


def _convert(
    holder: dict[str, Any],
    external: str,
    session: dict[str, Any],
    forks: dict[str, Any],
) -> ParsedConversation:
    messages = holder.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    reading = _Reading()
    for index, message in enumerate(messages):
        _read(reading, message, f"messages[{index}]")
    builder = reading.builder
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("Chatbox chat without an answer")
    metadata: dict[str, Any] = {}
    if reading.models:
        metadata["models"] = reading.models
    if session.get("starred") is True:
        metadata["starred"] = True
    if session.get("type") == "picture":
        metadata["type"] = "picture"
    regenerated = _stashed_answers(forks, messages)
    for name, count in (("regenerated_responses", regenerated), ("failed_responses", reading.failed)):
        if count:
            metadata[name] = count
    return builder.conversation(external, title=_title(holder) or reading.title, metadata=metadata)


def _title(holder: dict[str, Any]) -> str | None:
    name = holder.get("name")
    if type(name) is str and name.strip() and name.strip() not in _PLACEHOLDER_TITLES:
        return name
    return None


def _stashed_answers(forks: dict[str, Any], messages: list[Any]) -> int:
    """The answers in the branches kept aside (every list but the one at `position`) by the forks at these
    messages (a fork in one of the chat's threads counts for that thread)."""
    ids = {
        message.get("id") for message in messages if type(message) is dict and type(message.get("id")) is str
    }
    count = 0
    for fork_at, fork in forks.items():
        if fork_at not in ids or type(fork) is not dict:
            continue
        lists, position = fork.get("lists"), fork.get("position")
        for index, branch in enumerate(lists if type(lists) is list else ()):
            stashed = branch.get("messages") if type(branch) is dict and index != position else None
            for message in stashed if type(stashed) is list else ():
                count += type(message) is dict and message.get("role") == "assistant"
    return count


def _read(reading: _Reading, message: Any, where: str) -> None:
    if type(message) is not dict:
        raise BadRecord(f"{where}: expected a message object, got {type_name(message)}")
    role = message.get("role")
    if role not in _ROLES:
        shown = f'"{role}"' if type(role) is str else type_name(role)
        raise BadRecord(f"{where}.role: expected system, user, assistant or tool, got {shown}")
    if message.get("isSummary") is True:
        return
    parts = _parts(message, where)
    builder = reading.builder
    if role == "system":
        builder.system(_words(parts, builder))
    elif role == "user":
        text = _words(parts, builder)
        builder.user(text)
        if reading.title is None and text.strip():
            reading.title = prompt_title(text)
        for key, kind in (("files", "file"), ("links", "link")):
            attached = message.get(key)
            if type(attached) is list and attached:
                builder.dropped[kind] += len(attached)
    elif role == "assistant":
        _answer(reading, message, parts)
    else:
        builder.block(tool_result(message.get("toolCallId"), _words(parts, builder)))


def _parts(message: dict[str, Any], where: str) -> list[Any]:
    """The message's content parts: `contentParts`, else the older `content` as one text part."""
    parts = message.get("contentParts")
    if type(parts) is list:
        return parts
    content = message.get("content")
    if parts is None and type(content) is str:
        return [{"type": "text", "text": content}]
    if parts is None and content is None:
        return []
    field_name, value = ("contentParts", parts) if parts is not None else ("content", content)
    raise BadRecord(f"{where}.{field_name}: expected a list of parts or the text, got {type_name(value)}")


def _words(parts: list[Any], builder: TurnBuilder) -> str:
    """The text parts joined; other parts but notices are counted as dropped."""
    texts = []
    for part in parts:
        kind = part.get("type") if type(part) is dict else None
        if kind == "text" and type(part.get("text")) is str:
            texts.append(part["text"])
        elif kind != "info":
            builder.dropped[part_kind(part)] += 1
    return "".join(texts)


def _answer(reading: _Reading, message: dict[str, Any], parts: list[Any]) -> None:
    error = message.get("error")
    if (type(error) is str and error) or message.get("errorCode") is not None:
        reading.failed += 1
        return
    builder = reading.builder
    older = message.get("reasoningContent")
    if type(older) is str and older.strip():
        builder.block({"type": "thinking", "thinking": older})
    texts: list[Any] = []
    for part in parts:
        kind = part.get("type") if type(part) is dict else None
        if kind == "reasoning" and type(part.get("text")) is str:
            builder.text(_words(texts, builder))
            texts = []
            if part["text"].strip():
                builder.block({"type": "thinking", "thinking": part["text"]})
        elif kind == "tool-call":
            builder.text(_words(texts, builder))
            texts = []
            _tool_call(builder, part)
        else:
            texts.append(part)
    builder.text(_words(texts, builder))
    model = message.get("model")
    if type(model) is str and model and model not in reading.models:
        reading.models.append(model)


def _tool_call(builder: TurnBuilder, part: dict[str, Any]) -> None:
    call_id = part.get("toolCallId")
    builder.block(tool_use(call_id, part.get("toolName"), part.get("args")))
    state = part.get("state")
    if "result" in part or state in ("result", "error"):
        result = part.get("result")
        text = result if type(result) is str else "" if result is None else _json_text(result)
        builder.block(tool_result(call_id, text, state == "error"))


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


importer = ChatboxImporter()
