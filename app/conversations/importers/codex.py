"""OpenAI Codex CLI session logs (`~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`): one conversation per file.

Each line is `{"timestamp", "type", "payload"}`. What the conversation is made of:
- `session_meta`: the session's `id` (the external id), and `cwd`, `cli_version`, `originator`, `model_provider`
  as metadata; `turn_context` adds the `model`.
- `response_item` messages: a user's `input_text` is a user turn, an assistant's `output_text` is the answer's
  text (progress notes and the final answer of one response form one turn). What the harness puts in a user
  message (`<environment_context>`, AGENTS.md or `<user_instructions>`, `<turn_aborted>`, ...) becomes a
  context block of the next typed prompt, never its text. Developer and system messages are the harness's own
  instructions and are left out.
- `reasoning` (its summary; the encrypted part is not readable) becomes a thinking block; `function_call`,
  `custom_tool_call`, `local_shell_call` and `web_search_call` become tool_use blocks and their outputs
  tool_result blocks of the answer (the shell's JSON output unwrapped, a non-zero exit code an error).
- `event_msg` lines repeat the messages for the UI (`user_message`, `agent_message`), just before or just after the
  item they copy (an answer's `reasoning` item may stand between them): such a copy is left out. A message only an event holds (a rollout that kept the UI's copy and
  not the item, as some tools' sample rollouts do, or an answer cut off before its item was written) is read from
  the event, in its place. Other events, `compacted` lines (summaries of earlier messages) and line types this
  reader does not know (newer versions add some) are left out.

Early versions wrote no envelope: a first line `{"id", "timestamp", "instructions"}` (later with `cwd`, `originator`
and `cli_version`, kept as metadata), then the response items themselves, with `{"record_type": "state"}` lines
between them; those are read the same way. The TypeScript CLI before the Rust rewrite saved each session as one
JSON object, `~/.codex/sessions/rollout-<date>-<id>.json`: `{session: {id, timestamp, instructions}, items:
[response items]}`, read the same way too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import IO, Any

import orjson

from ._json import BadRecord, unclosed
from ._records import first_byte, head_records, iter_records, object_lines, peekable, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped
from .openai import parse_arguments

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_ITEM_TYPES = (
    "message",
    "reasoning",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "web_search_call",
)
_ENVELOPE_TYPES = ("session_meta", "response_item", "event_msg", "turn_context", "compacted")
# What Codex injects as a user message: (the tag the context block gets, how the text starts).
_INJECTED = re.compile(
    r"\s*(?:<(environment_context|user_instructions|skill|user_shell_command|turn_aborted|subagent_notification)>"
    r"|(# AGENTS\.md instructions for ))",
    re.IGNORECASE,
)


_PROMPT_HISTORY = "Codex prompt history (history.jsonl: the prompts typed, no answers)"


def _is_prompt_history(record: dict[str, Any]) -> bool:
    return record.keys() == {"session_id", "ts", "text"}


class CodexImporter:
    name = "codex"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) != ord("{"):
            return False
        records = head_records(head)
        if records:
            first = records[0]
            if first.get("type") in _ENVELOPE_TYPES and type(first.get("payload")) is dict:
                return "timestamp" in first
            return _is_script_session(first) or _legacy_start(records) or _is_prompt_history(first)
        # A first line longer than the head (long instructions): the envelope's keys come first.
        return b'"type":"session_meta"' in head[:200] and b'"payload"' in head[:200]

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        first = head_records(buffered.peek(65536))
        if first and _is_prompt_history(first[0]):
            # `~/.codex/history.jsonl` uploaded on its own: what was typed, no answers (skipped by name in a folder).
            yield Skipped(_PROMPT_HISTORY)
            return
        if unclosed(buffered.peek(65536).lstrip().split(b"\n", 1)[0]):
            yield from _script_session(buffered, filename)
            return
        session = _Session()
        for entry in object_lines(buffered):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, record = entry
            try:
                session.add(record)
            except BadRecord as exc:
                yield RecordError(str(exc), line=number)
        yield session.result(filename)


# The bare first line of the early Rust rollouts (later ones added the folder, the client and its version).
_HEADER_KEYS = frozenset({"id", "timestamp", "instructions", "git", "cwd", "originator", "cli_version"})


def _script_session(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A file that is one JSON object written over many lines: the TypeScript CLI's saved session."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
        elif type(record.value) is not dict or not _is_script_session(record.value):
            yield RecordError(
                "expected a Codex session: {session, items} or JSON Lines of a rollout", json_path="$"
            )
        else:
            session = _Session()
            session.add({"id": record.value["session"]["id"]})
            for index, item in enumerate(record.value["items"]):
                if type(item) is not dict:
                    yield RecordError(
                        f"expected a response item, got {type_name(item)}", json_path=f"$.items[{index}]"
                    )
                    continue
                try:
                    session.add(item)
                except BadRecord as exc:
                    yield RecordError(str(exc), json_path=f"$.items[{index}]")
            yield session.result(filename)


def _is_script_session(record: dict[str, Any]) -> bool:
    """The TypeScript CLI's saved session (before the Rust rewrite): `{session: {id, timestamp, instructions},
    items: [response items]}`, one JSON object."""
    session = record.get("session")
    return type(session) is dict and type(session.get("id")) is str and type(record.get("items")) is list


def _legacy_start(records: Sequence[dict[str, Any]]) -> bool:
    """An early Rust rollout: a bare session line, then bare response items or state lines."""
    first = records[0]
    if type(first.get("id")) is not str or type(first.get("timestamp")) is not str or "type" in first:
        return False
    if len(records) < 2 or not set(first) <= _HEADER_KEYS:
        return False
    second = records[1]
    return "record_type" in second or second.get("type") in _ITEM_TYPES


_IDE_CONTEXT = re.compile(
    r"\s*# Context from my IDE setup:\s*\n(.*?)^## My request for Codex:[ \t]*\n?", re.DOTALL | re.MULTILINE
)


def _context(injected: re.Match[str], text: str) -> dict[str, Any]:
    """What the harness injected as a context block: a tag's inner text, or the AGENTS.md text whole."""
    tag = injected.group(1)
    if tag is None:
        return {"type": "context", "tag": "agents_md", "text": text.strip()}
    inner = text[injected.end() :]
    closing = re.search(rf"</{re.escape(tag)}>\s*$", inner, re.IGNORECASE)
    return {
        "type": "context",
        "tag": tag.lower(),
        "text": inner[: closing.start() if closing else None].strip(),
    }


def _output(item: dict[str, Any]) -> dict[str, Any]:
    """A tool's output as a tool_result block. The shell tool's is JSON text, `{"output", "metadata":
    {"exit_code", ...}}`: its output is the result, and a non-zero exit code marks it an error. Early
    versions wrote an object, `{"content", "success"}`."""
    output: Any = item.get("output")
    failed = False
    if type(output) is dict:
        failed = output.get("success") is False
        output = output.get("content")
    elif type(output) is str and output.startswith('{"output"'):
        try:
            shell = orjson.loads(output)
        except orjson.JSONDecodeError:
            shell = None
        if type(shell) is dict and type(shell.get("output")) is str:
            metadata = shell.get("metadata")
            code = metadata.get("exit_code") if type(metadata) is dict else None
            output, failed = shell["output"], type(code) is int and code != 0
    return tool_result(item.get("call_id"), output, failed)


class _Session:
    """The conversation of one rollout file, built as its lines are read."""

    def __init__(self) -> None:
        self.builder = TurnBuilder()
        self.external_id: str | None = None
        self.meta: dict[str, Any] = {}
        self.title: str | None = None
        # The role of the last message read ("" after other content: a tool call, its output, reasoning). An
        # event of that role copies it and is left out.
        self.last = ""
        # A message read from an event whose item may follow: (role, text) until that item, or anything else, comes.
        self.pending: tuple[str, str] | None = None

    def add(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        payload = record.get("payload")
        if "payload" not in record:
            # An early version's bare line: the session, a state marker, or a response item itself.
            if "record_type" in record:
                return
            if kind is None and self.external_id is None and type(record.get("id")) is str:
                self._session_meta(record)
                return
            kind, payload = "response_item", record
        elif type(payload) is not dict:
            raise BadRecord(f"payload: expected an object, got {type_name(payload)}")
        if kind == "session_meta":
            self._session_meta(payload)
        elif kind == "turn_context":
            model = payload.get("model")
            if type(model) is str and model:
                self.meta["model"] = model
        elif kind == "response_item":
            self._item(payload)
        elif kind == "event_msg":
            self._event(payload)

    def _session_meta(self, payload: dict[str, Any]) -> None:
        if self.external_id is None and type(payload.get("id")) is str:
            self.external_id = payload["id"]
        for key in ("cwd", "cli_version", "originator", "model_provider"):
            value = payload.get(key)
            if type(value) is str and value:
                self.meta.setdefault(key, value)

    def _event(self, event: dict[str, Any]) -> None:
        kind, text = event.get("type"), event.get("message")
        if kind not in ("user_message", "agent_message") or type(text) is not str or not text.strip():
            return
        role = "user" if kind == "user_message" else "assistant"
        if self.last == role:
            return  # the UI's copy of the message just read
        self._flush()
        self.pending = (role, text)
        self.last = ""

    def _flush(self) -> None:
        """The pending event's message, read as the message itself: no item came for it."""
        if self.pending is not None:
            role, text = self.pending
            self.pending = None
            if role == "user":
                self._user(text)
            else:
                self.builder.text(text)
            self.last = ""  # events never copy events: the next one is a message of its own

    def _settle(self, item: dict[str, Any]) -> None:
        """Before an item: the item a pending event copies drops the event; other content reads it first."""
        if self.pending is None:
            return
        role = self.pending[0]
        if item.get("type") == "message" and item.get("role") == role:
            content = item.get("content")
            if role == "user" and _INJECTED.match(content if type(content) is str else flatten(content)):
                return  # what the harness adds around a typed prompt: the prompt's item may still come
            self.pending = None  # the item the event copies (its text may be shorter than the item's)
            return
        if item.get("type") == "message" and item.get("role") not in ("user", "assistant"):
            return  # the harness's own instructions
        if item.get("type") == "reasoning" and role == "assistant":
            return  # the answer's reasoning, written between the UI's copy of the answer and the answer's item
        self._flush()

    def _item(self, item: dict[str, Any]) -> None:
        self._settle(item)
        builder = self.builder
        kind = item.get("type")
        if kind != "message" and kind in _ITEM_TYPES:
            self.last = ""
        if kind == "message":
            self._message(item)
        elif kind == "reasoning":
            summary = item.get("summary")
            text = flatten(summary) if type(summary) is list else ""
            if text:
                builder.block({"type": "thinking", "thinking": text})
        elif kind == "function_call":
            builder.block(
                tool_use(item.get("call_id"), item.get("name"), parse_arguments(item.get("arguments")))
            )
        elif kind == "custom_tool_call":
            builder.block(tool_use(item.get("call_id"), item.get("name"), item.get("input")))
        elif kind == "local_shell_call":
            builder.block(tool_use(item.get("call_id"), "local_shell", item.get("action")))
        elif kind == "web_search_call":
            builder.block(tool_use(item.get("call_id"), "web_search", item.get("action")))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            builder.block(_output(item))

    def _message(self, item: dict[str, Any]) -> None:
        role, content = item.get("role"), item.get("content")
        if content is not None and type(content) is not list and type(content) is not str:
            raise BadRecord(f"payload.content: expected a list of parts, got {type_name(content)}")
        if role == "assistant":
            text = flatten(content, self.builder.dropped)
            self.builder.text(text)
            self.last = "assistant"
        elif role == "user":
            text = flatten(content, self.builder.dropped)
            if self._user(text):
                self.last = "user"

    def _user(self, text: str) -> bool:
        """A user message: a typed prompt (True), or what the harness injected, kept as context (False)."""
        injected = _INJECTED.match(text)
        if injected:
            self.builder.user("", blocks=[_context(injected, text)])
            return False
        ide = _IDE_CONTEXT.match(text)
        blocks = None
        if ide is not None:
            # The VS Code extension sends the editor's state first ("# Context from my IDE setup:", open tabs,
            # the active file), then "## My request for Codex:" and what the person typed.
            blocks = [{"type": "context", "tag": "ide_context", "text": ide.group(1).strip()}]
            text = text[ide.end() :]
        if self.title is None and text.strip():
            self.title = prompt_title(text)
        self.builder.user(text, blocks=blocks)
        return True

    def result(self, filename: str) -> ParseResult:
        self._flush()
        builder = self.builder
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            return Skipped("session without a conversation")
        return builder.conversation(self.external_id or filename, title=self.title, metadata=self.meta)


importer = CodexImporter()
