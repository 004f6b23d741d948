"""Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/session-*.json` or `.jsonl`): one conversation a file.

Older versions write one object, `{sessionId, projectHash, startTime, lastUpdated, messages, summary?}`, again
in full at every change. Newer ones append JSON Lines: a first line with the same keys but `messages`, then one
line per message (a message written again when it changes: the last copy wins, in the place of the first),
`{"$set": {...}}` lines that update those keys (`messages` among them) and `{"$rewindTo": id}` lines that drop
that message and everything after it.

A message is `{id, timestamp, type, content, displayContent?}`:
- `user`: the prompt. Its `displayContent`, when there is one, is what was typed; the files an `@path`
  reference pulled in (newer versions: the rest of `content`; older: the part after "--- Content from
  referenced files ---") are a context block. Slash commands (`/…`, `?`) are not prompts, and what the CLI
  adds as a user message (`<session_context>`, `<hook_context>`) is context.
- `gemini`: the answer. `thoughts` (`{subject, description}`) become a thinking block, `toolCalls` (`{id, name,
  args, result, status}`) a tool call and its result (an error when its status is `error`), `content` the
  text; the model is metadata.
- `info`, `warning` and `error` are the CLI's own notices and are left out.

The `sessionId` is the external id and the `summary`, when there is one, the title. A subagent's recording
(`kind: "subagent"`) is skipped, as Claude Code's sidechains are.

`/chat save <tag>` checkpoints (`~/.gemini/tmp/<project>/checkpoint-<tag>.json`) hold the model's history:
`{history: [Content], authType?}`, or (older versions, and `/chat share file.json`) the bare list. A Content is
`{role: "user" | "model", parts}` (gemini-cli's logger.ts and @google/genai): `text` parts are the words,
`functionCall` parts (model) tool calls and `functionResponse` parts (user) their results, each result placed
after its call as a recording has them; thoughts are not kept by the CLI. The history starts with the setup
the CLI sends (a user message "This is the Gemini CLI. We are setting up the context for our chat.", newer
versions inside `<session_context>`) and the model's "Got it. Thanks for the context!": the setup is context of
the first prompt, the reply is left out. So a checkpoint of a session reads as its recording does, and the
second of the two to be imported is a duplicate. The tag (with the project folder, when the path shows it) is
the external id; the first prompt is the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import unquote

from ._json import BOM, BadRecord, has_top_key
from ._records import Record, first_byte, head_records, iter_records, peekable, type_name
from ._turns import (
    TurnBuilder,
    drop_unfinished_exchange,
    flatten,
    prompt_title,
    thinking_block,
    tool_result,
    tool_use,
)
from .base import ParseResult, RecordError, Skipped

_REFERENCED = "\n--- Content from referenced files ---"
_CONTEXT_TAGS = ("<session_context>", "<hook_context>")
# The first message of a checkpoint's history, as `/chat resume` recognises it.
_SETUP = re.compile(r"context for our chat|^\s*<session_context>")
# A checkpoint's first Content when even that is longer than the head: role first, as the CLI builds it.
_CONTENT_START = re.compile(rb'\[\s*\{\s*"role"\s*:\s*"(?:user|model)"\s*,\s*"parts"\s*:\s*\[')
_ROLE = re.compile(rb'"role"\s*:\s*"(?:user|model)"')
_PARTS = re.compile(rb'"parts"\s*:\s*\[')
_CHECKPOINT_NAME = re.compile(r"checkpoint-(.+)\.json")


_CUT = "session whose only answer was cut off (cancelled, or only a preamble before its last tool call)"


def _is_meta(record: Any) -> bool:
    return (
        type(record) is dict
        and type(record.get("sessionId")) is str
        and type(record.get("projectHash")) is str
    )


def _is_content(value: Any) -> bool:
    return type(value) is dict and value.get("role") in ("user", "model") and type(value.get("parts")) is list


def _is_checkpoint(record: dict[str, Any]) -> bool:
    history = record.get("history")
    return type(history) is list and (not history or _is_content(history[0])) and "sessionId" not in record


def _checkpoint_head(head: bytes) -> bool:
    """A checkpoint too long for the head: `history` a key of its object, or a list of Contents."""
    if first_byte(head) == ord("["):
        return _CONTENT_START.match(head.removeprefix(BOM).lstrip()) is not None
    return (
        has_top_key(head, b'"history"')
        and not has_top_key(head, b'"sessionId"')  # a Continue.dev session's `history` is of other items
        and _ROLE.search(head) is not None
        and _PARTS.search(head) is not None
    )


PROMPT_LOG = "Gemini CLI prompt log (logs.json: the prompts typed, no answers)"
_PROMPT_LOG_KEYS = frozenset(("sessionId", "messageId", "type", "message", "timestamp"))


def _is_prompt_log(record: dict[str, Any]) -> bool:
    """An entry of `~/.gemini/tmp/<project>/logs.json`: what was typed at the prompt, with no answer."""
    return record.keys() == _PROMPT_LOG_KEYS and record["type"] == "user"


class GeminiCliImporter:
    name = "gemini-cli"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = first_byte(head)
        if first != ord("{") and first != ord("["):
            return False
        records = head_records(head)
        if records:
            if first == ord("["):
                return _is_content(records[0]) or _is_prompt_log(records[0])
            return _is_meta(records[0]) or _is_checkpoint(records[0])
        # A recording whose first message is longer than the head: its keys come first.
        if b'"sessionId"' in head[:400] and b'"projectHash"' in head[:400]:
            return True
        return _checkpoint_head(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        head = buffered.peek(65536)
        records = head_records(head)
        if first_byte(head) == ord("[") and records and _is_prompt_log(records[0]):
            return iter([Skipped(PROMPT_LOG)])
        if first_byte(head) == ord("[") or has_top_key(head, b'"history"'):
            return _parse_checkpoint(buffered, filename)
        return self._parse_recording(buffered, filename)

    def _parse_recording(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        meta: dict[str, Any] | None = None
        messages: dict[str, dict[str, Any]] = {}
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            try:
                if type(value) is not dict:
                    raise BadRecord(f"expected a JSON object, got {type_name(value)}")
                if meta is None:
                    if not _is_meta(value):
                        raise BadRecord("expected the recording's sessionId and projectHash first")
                    meta = dict(value)
                    _set_messages(messages, value.get("messages"), "messages")
                elif "$set" in value:
                    update = value["$set"]
                    if type(update) is not dict:
                        raise BadRecord(f"$set: expected an object, got {type_name(update)}")
                    meta.update(update)
                    if "messages" in update:
                        messages.clear()
                        _set_messages(messages, update["messages"], "$set.messages")
                elif "$rewindTo" in value:
                    _rewind(messages, value["$rewindTo"])
                else:
                    _set_messages(messages, [value], "message")
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
        if meta is None:
            return
        if meta.get("kind") == "subagent":
            yield Skipped("Gemini CLI subagent session")
            return
        yield _conversation(meta, list(messages.values()), filename)


def _set_messages(messages: dict[str, dict[str, Any]], value: Any, field: str) -> None:
    if value is None:
        return
    if type(value) is not list:
        raise BadRecord(f"{field}: expected a list of messages, got {type_name(value)}")
    for i, message in enumerate(value):
        if type(message) is not dict or type(message.get("id")) is not str:
            raise BadRecord(f"{field}[{i}]: expected a message with an id, got {type_name(message)}")
        messages[message["id"]] = message


def _rewind(messages: dict[str, dict[str, Any]], target: Any) -> None:
    if type(target) is not str:
        raise BadRecord(f"$rewindTo: expected a message id, got {type_name(target)}")
    if target in messages:
        keys = list(messages)
        for key in keys[keys.index(target) :]:
            del messages[key]


def _conversation(meta: dict[str, Any], messages: list[dict[str, Any]], filename: str) -> ParseResult:
    builder = TurnBuilder()
    title: str | None = None
    models: list[str] = []
    for message in messages:
        kind = message.get("type")
        if kind == "user":
            typed = _user(builder, message)
            if title is None and typed:
                title = prompt_title(typed)
        elif kind == "gemini":
            _answer(builder, message)
            model = message.get("model")
            if type(model) is str and model and model not in models:
                models.append(model)
    turns = builder.finish(complete=False)
    # A last answer the person cancelled ("I will clone the repository." and a cancelled tool call) is no answer.
    cut = drop_unfinished_exchange(turns, builder.dropped)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_CUT if cut else "session without a conversation")
    summary = meta.get("summary")
    metadata: dict[str, Any] = {"models": models} if models else {}
    return builder.conversation(
        meta["sessionId"], title=summary if type(summary) is str and summary else title, metadata=metadata
    )


def _text(content: Any, builder: TurnBuilder) -> str:
    """The words of a message's content: a string, or its Gemini parts' `text` (not the thoughts). Inline
    files and images are counted as dropped; function calls and responses are read elsewhere."""
    if type(content) is str:
        return content
    texts = []
    for part in content if type(content) is list else ():
        if type(part) is str:
            texts.append(part)
        elif type(part) is not dict or part.get("thought") is True:
            continue
        elif type(part.get("text")) is str:
            texts.append(part["text"])
        elif type(part.get("inlineData")) is dict or type(part.get("fileData")) is dict:
            data = part.get("inlineData") or part.get("fileData")
            mime = data.get("mimeType") if type(data) is dict else None
            builder.dropped["image" if type(mime) is str and mime.startswith("image/") else "file"] += 1
    return "".join(texts)


def _user(builder: TurnBuilder, message: dict[str, Any]) -> str:
    """Add a user message; return the text typed, or "" for a command or an added context."""
    content = message.get("content")
    parts = content if type(content) is list else []
    for part in parts:
        if type(part) is dict and type(part.get("functionResponse")) is dict:
            builder.block(_response(part["functionResponse"], None))
    text = _text(content, builder)
    shown = message.get("displayContent")
    typed = _text(shown, TurnBuilder()) if type(shown) in (str, list) else text
    if typed.lstrip().startswith(_CONTEXT_TAGS):
        builder.user("", blocks=[{"type": "context", "tag": "gemini_context", "text": typed.strip()}])
        return ""
    if typed.startswith(("/", "?")) or not typed.strip():
        return ""
    context = ""
    if type(shown) in (str, list):
        context = text.replace(typed, "", 1).strip() if typed in text else text.strip()
    elif _REFERENCED in text:
        typed, context = text.split(_REFERENCED, 1)
        context = _REFERENCED.strip() + context
    blocks = [{"type": "context", "tag": "referenced_files", "text": context}] if context else None
    builder.user(typed, blocks=blocks)
    return typed


def _answer(builder: TurnBuilder, message: dict[str, Any]) -> None:
    thinking = thinking_block(message.get("thoughts"), ("subject", "description"))
    if thinking is not None:
        builder.block(thinking)
    builder.text(_text(message.get("content"), builder))
    calls = message.get("toolCalls")
    for call in calls if type(calls) is list else ():
        if type(call) is not dict:
            continue
        builder.block(tool_use(call.get("id"), call.get("name"), call.get("args")))
        result = call.get("result")
        responses = [
            part["functionResponse"]
            for part in (result if type(result) is list else ())
            if type(part) is dict and type(part.get("functionResponse")) is dict
        ]
        for response in responses:
            builder.block(_response(response, call))
        if not responses and call.get("status") in ("error", "cancelled"):
            display = call.get("resultDisplay")
            builder.block(
                tool_result(call.get("id"), display if type(display) is str else call["status"], True)
            )


def _response(response: dict[str, Any], call: dict[str, Any] | None) -> dict[str, Any]:
    """A functionResponse part as a tool_result block: its `output` (or `error`) as the text."""
    body = response.get("response")
    body = body if type(body) is dict else {}
    failed = "error" in body or (call is not None and call.get("status") == "error")
    value = body.get("output", body.get("error", ""))
    text = value if type(value) is str else flatten(value) if type(value) is list else str(value)
    call_id = response.get("id", call.get("id") if call is not None else None)
    return tool_result(call_id, text, failed)


def _parse_checkpoint(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A `/chat save` checkpoint: `{history, authType}` (one record) or the bare list (a record per Content)."""
    contents: list[dict[str, Any]] = []
    auth_type: Any = None
    failed = False
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            failed = True
            yield record
            continue
        value = record.value
        if record.json_path is not None and record.json_path.startswith("$["):
            yield from _add_content(contents, value, record, record.json_path)
            continue
        if type(value) is not dict or type(value.get("history")) is not list:
            got = type_name(value.get("history")) if type(value) is dict else type_name(value)
            reason = f"history: expected the checkpoint's list of messages, got {got}"
            failed = True
            yield RecordError(reason, line=record.line, json_path=record.json_path)
            continue
        auth_type = value.get("authType")
        for i, content in enumerate(value["history"]):
            yield from _add_content(contents, content, record, f"$.history[{i}]")
    if contents or not failed:  # nothing read and errors said why: not also "without a conversation"
        yield _checkpoint(contents, auth_type, filename)


def _add_content(
    contents: list[dict[str, Any]], content: Any, record: Record, path: str
) -> Iterator[RecordError]:
    """Keep a Content, or say why it is not one (by its JSON path)."""
    reason = None
    if type(content) is not dict:
        reason = f"expected a message ({{role, parts}}), got {type_name(content)}"
    elif content.get("role") not in ("user", "model"):
        role = content.get("role")
        reason = f"role: expected user or model, got {role if type(role) is str else type_name(role)}"
    elif type(content.get("parts")) is not list:
        reason = f"parts: expected a list, got {type_name(content.get('parts'))}"
    if reason is None:
        contents.append(content)
    else:
        yield RecordError(reason, line=record.line, json_path=path)


def _checkpoint_id(filename: str) -> tuple[str, dict[str, Any]]:
    """The external id of a checkpoint file and what its path says: `<project>/<tag>` (under `tmp/`) or the
    tag (decoded: the CLI writes it URI-encoded), else the file name."""
    parts = filename.replace("\\", "/").split("/")
    name = _CHECKPOINT_NAME.fullmatch(parts[-1])
    if name is None:
        return filename, {}
    tag = unquote(name.group(1))
    if len(parts) >= 3 and parts[-3] == "tmp" and parts[-2]:
        return f"{parts[-2]}/{tag}", {"tag": tag, "project": parts[-2]}
    return tag, {"tag": tag}


def _checkpoint(contents: list[dict[str, Any]], auth_type: Any, filename: str) -> ParseResult:
    builder = TurnBuilder()
    title: str | None = None
    start = 0
    if contents and contents[0]["role"] == "user":
        setup = _text(contents[0]["parts"], TurnBuilder())
        if _SETUP.search(setup):
            builder.user("", blocks=[{"type": "context", "tag": "gemini_context", "text": setup.strip()}])
            start = 1
            # The model's "Got it. Thanks for the context!", which answers the setup, not a person.
            if len(contents) > 1 and contents[1]["role"] == "model" and not _calls(contents[1]["parts"]):
                start = 2
    placed: set[int] = set()  # the function responses already written after their call
    for index in range(start, len(contents)):
        content = contents[index]
        parts = content["parts"]
        if content["role"] == "model":
            following = contents[index + 1] if index + 1 < len(contents) else None
            responses = _responses(following["parts"]) if following and following["role"] == "user" else []
            _model(builder, parts, responses, placed)
            continue
        for response in _responses(parts):
            if id(response) not in placed:
                builder.block(_response(response, None))
        words = [part for part in parts if not (type(part) is dict and "functionResponse" in part)]
        if words:
            typed = _user(builder, {"content": words})
            if title is None and typed:
                title = prompt_title(typed)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        return Skipped("checkpoint without a conversation")
    external_id, metadata = _checkpoint_id(filename)
    if type(auth_type) is str and auth_type:
        metadata["authType"] = auth_type
    return builder.conversation(external_id, title=title, metadata=metadata)


def _calls(parts: list[Any]) -> list[dict[str, Any]]:
    return [
        part["functionCall"]
        for part in parts
        if type(part) is dict and type(part.get("functionCall")) is dict
    ]


def _responses(parts: list[Any]) -> list[dict[str, Any]]:
    return [
        part["functionResponse"]
        for part in parts
        if type(part) is dict and type(part.get("functionResponse")) is dict
    ]


def _model(builder: TurnBuilder, parts: list[Any], responses: list[dict[str, Any]], placed: set[int]) -> None:
    """A model Content: its text, and each function call followed by its response from the next Content
    (matched by id, else by name in order): a call without an id takes its response's."""
    words: list[Any] = []
    waiting = list(responses)
    for part in parts:
        call = part.get("functionCall") if type(part) is dict else None
        if type(call) is not dict:
            words.append(part)
            continue
        builder.text(_text(words, builder))
        words = []
        call_id = call.get("id")
        response = next(
            (
                r
                for r in waiting
                if (r.get("id") == call_id if call_id else r.get("name") == call.get("name"))
            ),
            None,
        )
        if response is not None:
            waiting.remove(response)
            call_id = call_id or response.get("id")
        builder.block(tool_use(call_id, call.get("name"), call.get("args")))
        if response is not None:
            builder.block(_response(response, {"id": call_id}))
            placed.add(id(response))
    builder.text(_text(words, builder))


importer = GeminiCliImporter()
