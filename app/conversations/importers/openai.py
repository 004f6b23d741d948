"""OpenAI chat JSONL (the fine-tuning SFT format): one `{"messages": [...]}` per line.

System and developer messages become the system prompt. Assistant `tool_calls` become `tool_use` blocks
(arguments parsed from their JSON string when valid) and `role: tool` messages become `tool_result` blocks
of the current assistant turn. A JSON array of such records is read too.

A record may hold its answer beside the messages, as a script logs a call: `{"messages": [...], "response": <the
answer's text or message>}` (a real `chat_history.jsonl`; `reply` in a tutoring app's `history.jsonl`); the response
is the last assistant message.

A JSON array of the messages themselves (`[{"role", "content"}, ...]`, no record around them) is a conversation
of its own, and so are JSON Lines of them, one message a line (as chat apps and scripts append a chat, a real
`chat_history.jsonl` with `tool_calls` and `tool` lines). A system message after the talk began is read by what
follows it: before a prompt it opens the next conversation; before an answer (a tool's output fed back to the
model as a system message, as a real chat log does) it is a tool result of that answer. Tools write their chats so: shell_gpt's chat cache (`<tempdir>/chat_cache/<chat id>`, no extension,
`json.dump` of the last 100 messages), fabric's sessions (`~/.config/fabric/sessions/<name>.json`, go-openai
messages, a `meta` role for fabric's own notes, never sent to the model and left out) and AnythingLLM's early
"Export chats" JSON (until mid-2024: every workspace's messages in a row, each opened by its system message). So a
system message after the conversation has begun starts the next conversation. shell_gpt 0.9 kept no system
message: it wrapped the first prompt as `###\nRole name: <name>\n<role text>\n\nRequest: <prompt>\n###\n
<expecting>:` and ended the later ones with `\n<expecting>:`; that first prompt is unwrapped (the role text is
the system prompt) and the suffix taken off the later ones. Each item is a record: a message that cannot be read
is an error at `$[i]` and the rest of its conversation still imports. The external id is the file's name with the
index of the conversation's first message (`<file>:$[0]`); a piece without a prompt and an answer is skipped.
Open Interpreter saves its conversations so too (`<config dir>/open-interpreter/conversations/*.json`): 0.2 and
later in its "LMC" messages, where an assistant `type: code` message (its `format` the language) is a tool call
and the `computer` role's `console` output its result (images it showed are left out as dropped parts); 0.1
with the text under `message` and a step's `language`, `code` and `output` on the assistant message.

The public chat logs in the same message shape are read as well: LMSYS-Chat-1M and WildChat hold the messages
under `conversation` (`{"conversation_id" or "conversation_hash", "model", "language", "conversation":
[{"role", "content", ...}]}`); their id becomes the external id, `model` and `language` the metadata, and the
per-message extras (moderation flags, hashed IPs) are left out.

An answer lost from a conversation (an empty assistant message between two user messages, as scraped chats hold
them) would merge the two questions into one turn, the second reading as a reply to an answer nobody sees: the
conversation restarts after it, the lost answer counted as a dropped `empty answer`. A record in which no user
message is answered (it opens with the assistant's message and ends with the user's) is an error. LLaMA-Factory's
multimodal rows list their media beside the messages (`images`, `videos`, `audios`) and mark each in a user's text
with a placeholder (`<image>`, `<video>`, `<audio>`): the placeholders are taken out and the media counted as
dropped. An answer that opens with a reasoning model's thinking (`<think>…</think>`, a lone `</think>`,
`<seed:think>`, gpt-oss's analysis channel) keeps it as a thinking block, out of the answer's text, as the chat
apps' readers do. A row of another training shape among the records (ShareGPT turns, an Alpaca or prompt-completion row) is
read by its own reader (`_training_rows`).

Chat apps save messages in this shape with their own words for it, read the same: `role: "ai"` (or `bot`, `human`),
the text under `text`, no role but `isUser`; Claude's content blocks kept in the list (`tool_use`, `tool_result`,
`thinking`) are the answer's blocks. JSON Lines of messages that name their chat on each line (`session`,
`session_id`, `conversation_id`, ...) start the next conversation where that value changes. A chat of an app's saved
list (a record with a `title` or times beside its messages) that holds no answer is skipped, not an error.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO, Any

import orjson

from ._json import BOM, BadRecord
from ._records import (
    Record,
    RecordImporter,
    expect,
    external_id,
    first_byte,
    has_top_key,
    head_records,
    iter_records,
    key_of,
    parse_records,
    type_name,
)
from ._training_rows import (
    LostAnswers,
    has_exchange,
    media_placeholders,
    mixed,
    require_exchange,
    restarted,
    without_placeholders,
)
from ._turns import TurnBuilder, flatten, part_kind, response_block, split_thinking, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_SYSTEM_ROLES = ("system", "developer")
_TOOL_ROLES = ("tool", "function")
# Roles other tools write for the same three speakers: Cohere's `System` / `User` / `Chatbot` (its chat
# fine-tuning format), `human` and `bot` in older datasets, Gemini's `model`. Case is ignored.
_ROLE_NAMES = {
    "chatbot": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "human": "user",
}
# Keys a chat log writes on each message line to say which chat it belongs to (a real `chat_log.jsonl`:
# `{"session": 1782250872, "role": "user", ...}`): where the value changes, the next conversation begins.
_SESSION_KEYS = (
    "session",
    "session_id",
    "sessionId",
    "conversation_id",
    "conversationId",
    "thread_id",
    "chat_id",
    "convId",
)
_DIRECTIONS = {"in": "user", "inbound": "user", "incoming": "user", "out": "assistant", "outbound": "assistant",
               "outgoing": "assistant"}  # fmt: skip
# Signs that a `messages` record is OpenAI-shaped rather than Anthropic-shaped.
_OPENAI_PART_TYPES = ("image_url", "input_audio", "file", "refusal")


def add_messages(builder: TurnBuilder, messages: Any, field: str) -> None:
    """Feed OpenAI-style messages to `builder`; raise BadRecord naming the first bad field."""
    for i, message in enumerate(expect(messages, list, field)):
        add_message(builder, message, f"{field}[{i}]")


def read_messages(messages: Any, field: str, placeholders: tuple[str, ...] = ()) -> TurnBuilder:
    """A builder fed a conversation's OpenAI-style messages, restarted after a lost answer (`LostAnswers`), the
    `placeholders` of media listed beside them taken out of the user's texts; BadRecord names the first bad field."""
    builder = TurnBuilder()
    watch = LostAnswers()
    for i, message in enumerate(expect(messages, list, field)):
        if watch.restarts(message_kind(message)):
            builder = restarted(builder)
        add_message(
            builder, without_media(message, placeholders) if placeholders else message, f"{field}[{i}]"
        )
    return builder


def _role(message: dict[str, Any]) -> Any:
    """A message's role as this reader names it (other tools' names for the same speakers read as theirs)."""
    role = message.get("role")
    if type(role) is str and role not in _MESSAGE_ROLES:
        return _ROLE_NAMES.get(role.lower(), role.lower())
    if role is None and type(message.get("isUser")) is bool:
        return "user" if message["isUser"] else "assistant"  # `{"text", "isUser"}`, as a chat app saved them
    if role is None and type(direction := message.get("direction")) is str:
        # A chatbot server's log: what came in is the person's, what went out the answer (eighth fetch).
        return _DIRECTIONS.get(direction.lower(), role)
    return role


def message_kind(message: Any) -> str:
    """What a message is to `LostAnswers`: `user`, `answer` (an assistant's text or tool call, a tool's result),
    `empty` (an assistant message with neither) or `other`."""
    if type(message) is not dict:
        return "other"
    role = _role(message)
    content = message.get("content", message.get("text"))
    # Claude's blocks in an OpenAI-shaped list: a user message of tool results only carries the tools' output, an
    # assistant message of a tool call only is an answer at work (an agent's log in Anthropic's shape).
    kinds = {part.get("type") for part in content if type(part) is dict} if type(content) is list else set()
    if role == "user":
        return "answer" if kinds == {"tool_result"} else "user"
    if role in _TOOL_ROLES:
        return "answer"
    if role != "assistant":
        return "other"
    text = flatten(content)
    if text and not text.isspace():
        return "answer"
    called = message.get("tool_calls") or message.get("function_call") or "tool_use" in kinds
    return "answer" if called else "empty"


def without_media(message: Any, placeholders: tuple[str, ...]) -> Any:
    """A message with the media `placeholders` taken out of its text when it is a user's text message."""
    if not placeholders or type(message) is not dict or type(message.get("content")) is not str:
        return message
    if _role(message) != "user":
        return message
    return {**message, "content": without_placeholders(message["content"], placeholders)}


def add_message(builder: TurnBuilder, message: Any, where: str) -> None:
    """Feed one OpenAI-style message to `builder`; BadRecord names the bad field under `where` (the message's
    own path, or "" when the error is reported at the message itself)."""
    if type(message) is not dict:
        raise BadRecord(f"{where or 'message'}: expected an object, got {type_name(message)}")
    prefix = f"{where}." if where else ""
    written = message.get("role")
    role = _role(message)
    content = message.get("content")
    if content is None and type(message.get("text")) is str:
        content = message["text"]  # `{"role": "bot", "text": ...}`, as a real chat app saved its messages
    if content is None and type(message.get("texte")) is str:
        # A browser extension's export of Grok and Perplexity chats names the text in French.
        content = message["texte"]
    if content is not None and type(content) is not str and type(content) is not list:
        raise BadRecord(f"{prefix}content: expected a string or a list of parts, got {type_name(content)}")
    if type(content) is list and role in ("user", "assistant") and any(_is_block(part) for part in content):
        _add_blocks(builder, role, content)
    elif role == "user":
        builder.user(flatten(content, builder.dropped))
    elif role == "assistant":
        text = flatten(content, builder.dropped)
        if "think>" in text or "<|channel|>" in text:
            # A reasoning model's thinking at the start of its answer (`<think>…</think>`, gpt-oss's channels).
            thinking, text = split_thinking(text)
            builder.thinking(thinking or "")
        builder.text(text)
        add_tool_calls(builder, message, where)
    elif role in _SYSTEM_ROLES:
        builder.system(flatten(content))
    elif role in _TOOL_ROLES:
        builder.block(tool_result(message.get("tool_call_id"), content))
    else:
        got = orjson.dumps(written).decode()
        raise BadRecord(f'{prefix}role: expected "system", "user", "assistant" or "tool", got {got}')


def _is_block(part: Any) -> bool:
    return type(part) is dict and part.get("type") in ("tool_use", "tool_result", "thinking")


def _part_text(part: Any) -> str | None:
    text = part.get("text") if type(part) is dict else None
    return text if type(text) is str else None


def _add_blocks(builder: TurnBuilder, role: str, parts: list[Any]) -> None:
    """A message whose content holds Anthropic's blocks (a chat log keeping Claude's messages as the API returned
    them, in OpenAI's role/content list): tool calls, their results and thinking are blocks of the answer, in
    order; a tool's result before any answer (its call made in an earlier session) is left out, counted."""
    for part in parts:
        block = response_block(part) if _is_block(part) else None
        if block is not None and (block["type"] != "tool_result" or builder.last_role is not None):
            builder.block(block)
        elif (text := part if type(part) is str else _part_text(part)) is not None:
            if role == "user":
                builder.user(text)
            else:
                builder.text(text)
        else:
            builder.dropped[part_kind(part) if type(part) is dict else "part"] += 1


def add_tool_calls(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    """An assistant message's `tool_calls` (or the legacy `function_call`) as tool_use blocks; BadRecord names the
    bad field under `where`."""
    calls = message.get("tool_calls")
    if calls is None:
        legacy = message.get("function_call")
        calls = [] if legacy is None else [{"function": legacy}]
    field = f"{where}.tool_calls" if where else "tool_calls"
    for j, call in enumerate(expect(calls, list, field)):
        function = expect(expect(call, dict, f"{field}[{j}]").get("function"), dict, f"{field}[{j}].function")
        name = expect(function.get("name"), str, f"{field}[{j}].function.name")
        builder.block(tool_use(call.get("id"), name, parse_arguments(function.get("arguments"))))


def parse_arguments(value: Any) -> Any:
    """OpenAI sends arguments as a JSON string; keep the string when it is not a JSON object."""
    if type(value) is str:
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return parsed if type(parsed) is dict else value
    return value


# What a chat log (LMSYS-Chat-1M, WildChat) says about its conversation, kept as metadata.
_LOG_FIELDS = ("model", "language")


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    meta = record.get("metadata")
    meta = meta if type(meta) is dict else {}
    placeholders, media = media_placeholders(record)
    if "messages" not in record and _is_chat_log(record):
        builder = read_messages(record["conversation"], "conversation")
        meta = {key: record[key] for key in _LOG_FIELDS if type(record.get(key)) is str} | meta
        hashed = record.get("conversation_hash")
        fallback = hashed if type(hashed) is str and hashed else fallback
    else:
        builder = read_messages(record.get("messages"), "messages", placeholders)
        # A maths tutor's log names it `reply` (ninth fetch: every call's answer was lost).
        answer = record.get("response", record.get("reply"))
        if type(answer) is str or (type(answer) is dict and _role(answer) == "assistant"):
            # A call as a script logs it: the request's messages and the answer's text (or message) beside them.
            add_message(
                builder,
                {"role": "assistant", "content": answer} if type(answer) is str else answer,
                "response",
            )
    builder.dropped.update(media)
    # GitHub Copilot's chat on github.com, saved whole, names its thread `threadName`.
    title = record.get("title", meta.get("title", record.get("threadName")))
    if is_saved_chat(record) and not has_exchange(builder.finish(complete=False)):
        # A chat app's list of chats holds unused ones ("New Chat", no messages) and unanswered drafts.
        raise SkipRecord(UNANSWERED_CHAT)
    conversation = builder.conversation(
        external_id(record, external_id(meta, fallback)),
        title=title if type(title) is str else None,
        metadata=meta,
    )
    require_exchange(conversation.turns)
    return conversation


UNANSWERED_CHAT = "chat an app saved without an answer (an unused or unanswered chat)"
# What a chat app writes beside a chat's messages, and a training row does not.
_SAVED_CHAT_KEYS = ("title", "createdAt", "created_at", "updatedAt", "updated_at", "last_updated")


def is_saved_chat(record: dict[str, Any]) -> bool:
    return any(key in record for key in _SAVED_CHAT_KEYS)


def _is_chat_log(record: dict[str, Any]) -> bool:
    """A chat log's record: its `conversation` is a list of messages that start with a role."""
    messages = record.get("conversation")
    return type(messages) is list and bool(messages) and type(messages[0]) is dict and "role" in messages[0]


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("messages")) is list or _is_chat_log(record)


def _hint(head: bytes) -> bool:
    """A head too short for one record: a `messages` or `conversation` key of the record, and a role."""
    if b'"role"' not in head:
        return False
    for needle in (b'"messages"', b'"conversation"'):
        if needle in head and (first_byte(head) != ord("{") or has_top_key(head, needle)):
            return True
    return False


def is_openai_shaped(message: Any) -> bool:
    """Whether one message carries something only the OpenAI format has (roles, tool calls, part types)."""
    if type(message) is not dict:
        return False
    if message.get("role") in _SYSTEM_ROLES or message.get("role") in _TOOL_ROLES:
        return True
    if "tool_calls" in message or "function_call" in message or "tool_call_id" in message:
        return True
    content = message.get("content")
    return type(content) is list and any(
        type(p) is dict and p.get("type") in _OPENAI_PART_TYPES for p in content
    )


# A bare array of messages: a message's roles (fabric adds `meta`), and its opening when it is longer than the head.
_MESSAGE_ROLES = ("user", "assistant", *_SYSTEM_ROLES, *_TOOL_ROLES, "meta", "computer")
_TALK_ROLES = ("user", "assistant", *_TOOL_ROLES)
_FIRST_MESSAGE = re.compile(
    rb'\s*\[\s*\{\s*"role"\s*:\s*"(?:system|developer|user|assistant)"\s*,\s*"content"'
)
# shell_gpt 0.9's first prompt: the role's name and text, the request, what the role answers with.
_SGPT_PROMPT = re.compile(r"###\nRole name: [^\n]*\n(.*?)\n\nRequest: (.*)\n###\n([^\n]+):", re.DOTALL)
_NO_TALK = "message list without a prompt and an answer"


def _is_message(value: Any) -> bool:
    """An item of a bare message array: a role and its content, not a record holding messages."""
    return (
        type(value) is dict
        and _role(value) in _MESSAGE_ROLES
        and (
            "content" in value
            or "tool_calls" in value
            or type(value.get("message")) is str
            or type(value.get("text")) is str
        )
        and not _looks(value)
    )


def _open_interpreter(message: dict[str, Any], dropped: Counter[str]) -> list[dict[str, Any]]:
    """An Open Interpreter message as OpenAI messages (0.2+ "LMC": `type` and `format`; 0.1: `message`, `code`,
    `language` and `output`); any other message as it is."""
    kind, role = message.get("type"), message.get("role")
    if role == "computer":  # LMC: what running the code printed or showed
        if kind == "console" and message.get("format") in (None, "output"):
            return [{"role": "tool", "content": message.get("content")}]
        dropped[str(kind or "computer")] += 1
        return []
    if kind == "code" and role == "assistant":
        return [
            {"role": "assistant", "tool_calls": [_code_call(message.get("format"), message.get("content"))]}
        ]
    if kind in ("image", "file", "audio"):
        dropped[kind] += 1
        return []
    if "message" not in message or "content" in message:
        return [message]
    converted: list[dict[str, Any]] = [{"role": role, "content": message["message"]}]
    if role == "assistant" and message.get("code") is not None:
        converted.append(
            {"role": "assistant", "tool_calls": [_code_call(message.get("language"), message["code"])]}
        )
        if message.get("output") is not None:
            converted.append({"role": "tool", "content": message["output"]})
    return converted


def _code_call(language: Any, code: Any) -> dict[str, Any]:
    """Code Open Interpreter ran, as a tool call named for its language."""
    name = language if type(language) is str and language else "code"
    return {"id": None, "function": {"name": name, "arguments": {"code": code}}}


class _Messages:
    """One conversation of a bare message array (or of JSON Lines of messages), built as its messages are read."""

    def __init__(self, start: int, *, line: int | None = None) -> None:
        self.builder = TurnBuilder()
        self.watch = LostAnswers()
        self.start = start
        self.line = line
        self.talked = False
        self.session: object = None
        # shell_gpt 0.9: what ends each prompt after the first (`\nAnswer:`), once the first one unwrapped.
        self.suffix: str | None = None

    def add(self, message: Any) -> None:
        if type(message) is dict and message.get("role") == "user" and type(message.get("content")) is str:
            message = {**message, "content": self._unwrap(message["content"])}
        for one in _open_interpreter(message, self.builder.dropped) if type(message) is dict else [message]:
            if self.watch.restarts(message_kind(one)):
                self.builder = restarted(self.builder)
            add_message(self.builder, one, "")
            self.talked = self.talked or one.get("role") in _TALK_ROLES

    def _unwrap(self, text: str) -> str:
        if not self.talked and self.suffix is None and (wrapped := _SGPT_PROMPT.fullmatch(text)) is not None:
            self.builder.system(wrapped.group(1))
            self.suffix = f"\n{wrapped.group(3)}:"
            return wrapped.group(2)
        if self.suffix is not None and text.endswith(self.suffix):
            return text[: -len(self.suffix)]
        return text

    def note(self, message: dict[str, Any]) -> None:
        """A system message an answer follows (a tool's output fed back as a system message): part of that answer,
        as a tool result."""
        self.builder.block(tool_result(None, message.get("content")))

    def result(self, filename: str) -> ParseResult:
        turns = self.builder.finish(complete=False)
        if not has_exchange(turns):
            return Skipped(_NO_TALK)
        if self.line is not None:
            conversation = self.builder.conversation(f"{filename}:{self.line}")
            conversation.line = self.line
            return conversation
        conversation = self.builder.conversation(f"{filename}:$[{self.start}]")
        conversation.json_path = f"$[{self.start}]"
        return conversation


def _message_array(items: Iterable[Record | RecordError], filename: str) -> Iterator[ParseResult]:
    """The conversations of a bare message array or of JSON Lines of messages: a system message after talk starts
    the next conversation when a prompt follows it; when an answer follows it (a tool's output fed back as a system
    message) it is part of that answer."""
    current: _Messages | None = None
    # A system message after the talk began, held until the next message says which it is.
    held: tuple[Record, dict[str, Any]] | None = None
    for item in items:
        if isinstance(item, RecordError):
            yield item
            continue
        message = item.value
        role = message.get("role") if type(message) is dict else None
        if role == "meta":
            continue
        session = key_of(message, _SESSION_KEYS)
        if current is not None and session is not None and session != current.session:
            # Another chat's first message; a system message held from the chat before answered nothing.
            yield current.result(filename)
            current, held = None, None
        if held is not None and role not in _SYSTEM_ROLES:
            if _role(message) in ("assistant", *_TOOL_ROLES) and current is not None:
                current.note(held[1])
            else:
                if current is not None:
                    yield current.result(filename)
                current = _started(held[0])
                current.add(held[1])
            held = None
        if current is not None and role in _SYSTEM_ROLES and current.talked:
            if held is None:
                held = (item, message)
                continue
            yield current.result(filename)  # two system messages in a row: a new conversation's
            current = _started(held[0])
            current.add(held[1])
            held = None
        if current is None:
            current = _started(item)
            current.session = session
        try:
            current.add(message)
        except BadRecord as exc:
            yield RecordError(
                str(exc), line=item.line, json_path=None if item.line else item.json_path or "$"
            )
    if held is not None and current is not None:  # a system message at the very end opens a piece of its own
        yield current.result(filename)
        current = _started(held[0])
        current.add(held[1])
    yield Skipped(_NO_TALK) if current is None else current.result(filename)


def _started(item: Record) -> _Messages:
    where = item.json_path or "$"
    return _Messages(int(where[2:-1]) if where.startswith("$[") else 0, line=item.line)


# `{"messages": [...]}` records and the chat logs' `conversation` records.
rows = RecordImporter("openai", _convert, looks=_looks, hint=_hint)


class OpenAIImporter:
    """`{"messages": [...]}` records (and the chat logs' `conversation` records), or a bare array of messages,
    told apart by the file's first record."""

    name = "openai"

    def sniff(self, head: bytes, filename: str) -> bool:
        if rows.sniff(head, filename):
            return True
        first = first_byte(head)
        if first == ord("{"):
            # JSON Lines of messages, one a line, as chat apps and scripts append them (a real `chat_history.jsonl`).
            records = head_records(head)
            return bool(records) and _is_message(records[0]) and (len(records) < 2 or _is_message(records[1]))
        if first != ord("["):
            return False
        records = head_records(head)
        if records:
            return _is_message(records[0])
        return _FIRST_MESSAGE.match(head.removeprefix(BOM)) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        records = iter_records(stream)
        for item in records:
            if isinstance(item, RecordError):
                yield item
                continue
            rest = chain([item], records)
            if ((item.json_path or "").startswith("$[") or item.line is not None) and _is_message(item.value):
                yield from _message_array(rest, filename)
            else:
                yield from parse_records(stream, filename, mixed(rows), ("openai", _looks), records=rest)
            return


importer = OpenAIImporter()
