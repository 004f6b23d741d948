"""NextChat (ChatGPTNextWeb/NextChat, formerly ChatGPT-Next-Web) backups: "Export" in the settings'
data section (`Backup-<local date and time>.json`), the same JSON its cloud sync (WebDAV, Upstash) uploads.

The shape comes from the app's source (`app/utils/sync.ts` `getLocalAppState`, `app/store/chat.ts`) and a real
backup (H0llyW00dzZ/ChatGPT-Next-Web-Session-Exporter's `testing.json`, Nov 2023). The file is one object of
the app's stores, by their storage keys: `chat-next-web-store` holds the chats, `access-control`, `app-config`,
`mask-store` and `prompt-store` (settings, API keys, masks, prompts) are not conversations and are not read.
The chat store is `{sessions, currentSessionIndex, lastUpdateTime}` (builds since 2024 add `lastInput` and
`_hasHydrated`); the sessions are streamed item by item when they open the file (as the app writes it:
`{"chat-next-web-store":{"sessions":[…`), otherwise the file is read whole, within the record limit.

A session is `{id, topic, memoryPrompt, messages, stat, lastUpdate (ms), lastSummarizeIndex,
clearContextIndex?, mask}`; a message `{id, date, role, content, streaming?, isError?, model?, tools?,
audio_url?, isMcpResponse?}`, `content` a string or (a prompt with images) `[{type: "text", text},
{type: "image_url", image_url}]`. There are no branches: "retry" deletes the old answer and asks again, so
`messages` is the thread.
- `user` messages are prompts (images counted as dropped). A message NextChat sent for the model itself
  (`isMcpResponse`: an MCP tool's output, fenced as ```` ```json:mcp-response:<client> ````) is a tool result of
  the answer, not a prompt; the call it answers, the ```` ```json:mcp:<client> ```` block the model wrote
  (`{method, params: {name, arguments}}`), is a tool call, the text around it the answer's text.
- `assistant` messages are answers: their `tools` (plugin calls, `{id, function: {name, arguments}, content,
  isError, errorMsg}`) tool calls each followed by its result, then the text (the content holds the text of
  every round of the tool loop, so it follows them). An answer NextChat wrote to report a failed request
  (`isError`) is not the model's: it is left out and counted as `error_messages` in the metadata. Answers
  before the first prompt (a greeting, as the app shows in a new chat, not the model's answer to anything) are
  a `greeting` context block of the first prompt. The TTS audio of an answer (`audio_url`) is a copy of its text and is not read.
- `system` messages and the mask's `system` context messages (`mask.context`; the oldest sessions, from
  before masks, have `context` on the session) are the system prompt. The mask's other context messages
  (few-shot examples and instructions the mask's author wrote, sent ahead of every request) are
  `mask_context` context blocks of the first prompt, not turns.
- `memoryPrompt` (a summary of older messages the app wrote for its own context window) is left out: the
  messages it summarises are all read. `clearContextIndex` (where the user cleared the context) is metadata.

The session `id` is the external id. The `topic` is the title, unless it is still the placeholder a new session
starts with (the default topic, or the name of the mask it was made from): then the first prompt. `date` is
the browser's locale string (`11/28/2023, 10:16:25 AM`, `2025/3/2 14:05:33`), neither ISO nor in a known
time zone, so the first message's is kept as written (`first_message_date`); `lastUpdate` (milliseconds)
becomes `updated_at` in UTC (the oldest sessions' locale string is kept as written). The models answering
(else the mask's model) are metadata. A session without a prompt and an answer is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from ._json import BOM, BadRecord, decode, has_top_key
from ._records import converted, iter_records, peekable, sniff_head, stream_items, stream_results, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import (
    ParsedConversation,
    ParseResult,
    RecordError,
    Skipped,
    SkipRecord,
)
from .openai import parse_arguments

_STORE = "chat-next-web-store"
_SESSIONS = f'$["{_STORE}"].sessions'
# The opening of a backup as NextChat writes it, up to (not including) the sessions' `[`.
_OPENING = re.compile(rb'\s*\{\s*"chat-next-web-store"\s*:\s*\{\s*"sessions"\s*:\s*(?=\[)')
# The topic of a new session in the app's two main locales (`Locale.Store.DefaultTopic`, en and cn); any
# other locale's is also its default mask's name, which the title rule below catches.
_DEFAULT_TOPICS = ("New Conversation", "新的聊天")
_SKIP = "NextChat session without an answer"
# NextChat's MCP protocol, written into the messages' text (`app/mcp/utils.ts`): the model asks for a call with
# a fenced block, and the app sends the tool's output back as a user message fenced the same way.
_MCP_CALL = re.compile(r"```json:mcp:([^{\s]+)([\s\S]*?)```")
_MCP_RESPONSE = re.compile(r"\s*```json:mcp-response:[^\n]*\n([\s\S]*?)\n?```\s*")


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get(_STORE)) is dict


def _hint(head: bytes) -> bool:
    return has_top_key(head.removeprefix(BOM), f'"{_STORE}"'.encode())


class NextChatImporter:
    name = "nextchat"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, _SESSIONS)
        if items is None:
            yield from _whole(buffered, filename)
            return
        yield from stream_results(items, lambda value, where: _result(value, where, filename), _SKIP)


def _whole(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A backup whose sessions do not open the file, read as one object."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        value = record.value
        store = value.get(_STORE) if type(value) is dict else None
        sessions = store.get("sessions") if type(store) is dict else None
        if type(sessions) is not list:
            if type(value) is not dict:
                reason = f"expected the backup's JSON object, got {type_name(value)}"
            elif type(store) is not dict:
                got = type_name(store)
                reason = f"the file's JSON object is not a NextChat backup: {_STORE}: expected an object, got {got}"
            else:
                reason = f"{_STORE}.sessions: expected the list of sessions, got {type_name(sessions)}"
            yield RecordError(reason, line=record.line, json_path=record.json_path)
            continue
        if not sessions:
            yield Skipped(_SKIP)
        for index, session in enumerate(sessions):
            result = _result(session, f"{_SESSIONS}[{index}]", filename)
            if isinstance(result, ParsedConversation | RecordError):
                result.line = record.line
            yield result


def _result(value: Any, where: str, filename: str) -> ParseResult:
    return converted(_convert, value, where, f"{filename}:{where}")


def _text(content: Any, where: str, builder: TurnBuilder) -> str:
    if content is not None and type(content) is not str and type(content) is not list:
        raise BadRecord(f"{where}.content: expected a string or a list of parts, got {type_name(content)}")
    return flatten(content, builder.dropped)


class _Session:
    """The conversation of one session, built message by message."""

    def __init__(self) -> None:
        self.builder = TurnBuilder()
        self.models: list[str] = []
        self.errors = 0
        self.title: str | None = None
        self.prompted = False
        # Context blocks waiting for the first prompt: the mask's examples, the app's greeting.
        self.context: list[dict[str, Any]] = []

    def mask_context(self, messages: Any, where: str) -> None:
        for i, message in enumerate(messages if type(messages) is list else ()):
            if type(message) is not dict:
                raise BadRecord(f"{where}[{i}]: expected a message object, got {type_name(message)}")
            text = _text(message.get("content"), f"{where}[{i}]", self.builder)
            if message.get("role") == "system":
                self.builder.system(text)
            elif text.strip():
                self.context.append({"type": "context", "tag": "mask_context", "text": text.strip()})

    def add(self, message: Any, where: str) -> None:
        if type(message) is not dict:
            raise BadRecord(f"{where}: expected a message object, got {type_name(message)}")
        role = message.get("role")
        text = _text(message.get("content"), where, self.builder)
        if role == "user":
            if message.get("isMcpResponse") is True:
                response = _MCP_RESPONSE.fullmatch(text)
                self.builder.block(tool_result(None, response.group(1) if response else text))
                return
            self.prompted = True
            if self.title is None and text.strip():
                self.title = prompt_title(text)
            self.builder.user(text, self.context)
            self.context = []
        elif role == "assistant":
            self._answer(message, text, where)
        elif role == "system":
            self.builder.system(text)
        else:
            shown = f'"{role}"' if type(role) is str else type_name(role)
            raise BadRecord(f'{where}.role: expected "user", "assistant" or "system", got {shown}')

    def _answer(self, message: dict[str, Any], text: str, where: str) -> None:
        if message.get("isError") is True:
            self.errors += 1
            return
        if not self.prompted:
            # Before the first prompt: the app's greeting, not an answer.
            if text.strip():
                self.context.append({"type": "context", "tag": "greeting", "text": text.strip()})
            return
        tools = message.get("tools")
        if tools is not None and type(tools) is not list:
            raise BadRecord(f"{where}.tools: expected a list, got {type_name(tools)}")
        for j, tool in enumerate(tools or ()):
            if type(tool) is not dict:
                raise BadRecord(f"{where}.tools[{j}]: expected an object, got {type_name(tool)}")
            function = tool.get("function")
            function = function if type(function) is dict else {}
            call_id = tool.get("id") if type(tool.get("id")) is str else None
            self.builder.block(
                tool_use(call_id, function.get("name"), parse_arguments(function.get("arguments")))
            )
            failed = tool.get("isError") is True
            output = tool.get("errorMsg") if failed and tool.get("content") is None else tool.get("content")
            if output is not None:
                self.builder.block(
                    tool_result(call_id, output if type(output) is str else str(output), failed)
                )
        self._text(text)
        model = message.get("model")
        if type(model) is str and model and model not in self.models:
            self.models.append(model)

    def _text(self, text: str) -> None:
        """An answer's text; the MCP call it ends with (the app runs the first only) a tool call."""
        call = _MCP_CALL.search(text)
        request = _mcp_request(call.group(2)) if call else None
        if call is None or request is None:
            self.builder.text(text)
            return
        self.builder.text(text[: call.start()].rstrip())
        params = request.get("params")
        params = params if type(params) is dict else {}
        name = params.get("name") if type(params.get("name")) is str else request.get("method")
        self.builder.block(tool_use(None, name, params.get("arguments")))
        self.builder.text(text[call.end() :].strip())


def _mcp_request(body: str) -> dict[str, Any] | None:
    try:
        value = decode(body.strip().encode())
    except BadRecord:
        return None
    return value if type(value) is dict else None


def _updated_at(value: Any) -> str | None:
    if type(value) is int or type(value) is float:
        try:
            return datetime.fromtimestamp(value / 1000, UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    return value if type(value) is str and value.strip() else None


def _external_id(session: dict[str, Any], fallback: str) -> str:
    value = session.get("id")
    if (type(value) is str and value) or type(value) is int:
        return str(value)
    return fallback


def _convert(session: Any, fallback: str) -> ParsedConversation:
    if type(session) is not dict:
        raise BadRecord(f"expected a session object, got {type_name(session)}")
    messages = session.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    mask = session.get("mask")
    mask = mask if type(mask) is dict else {}
    state = _Session()
    state.mask_context(mask.get("context"), "mask.context")
    state.mask_context(session.get("context"), "context")
    for i, message in enumerate(messages):
        state.add(message, f"messages[{i}]")
    builder = state.builder
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_SKIP)
    return builder.conversation(
        _external_id(session, fallback),
        title=_title(session, mask) or state.title,
        metadata=_metadata(session, mask, messages, state),
    )


def _title(session: dict[str, Any], mask: dict[str, Any]) -> str | None:
    topic = session.get("topic")
    if type(topic) is not str or not topic.strip():
        return None
    if topic in _DEFAULT_TOPICS or topic == mask.get("name"):
        return None  # still the placeholder of a new session
    return topic


def _metadata(
    session: dict[str, Any], mask: dict[str, Any], messages: list[Any], state: _Session
) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    models = state.models
    if not models:
        config = mask.get("modelConfig")
        model = config.get("model") if type(config) is dict else None
        models = [model] if type(model) is str and model else []
    if models:
        metadata["models"] = models
    first = messages[0] if messages and type(messages[0]) is dict else {}
    if type(first.get("date")) is str and first["date"].strip():
        metadata["first_message_date"] = first["date"]
    updated = _updated_at(session.get("lastUpdate"))
    if updated is not None:
        metadata["updated_at"] = updated
    if type(session.get("clearContextIndex")) is int:
        metadata["clear_context_index"] = session["clearContextIndex"]
    if state.errors:
        metadata["error_messages"] = state.errors
    return metadata


importer = NextChatImporter()
