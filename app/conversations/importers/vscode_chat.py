"""VS Code chat sessions (GitHub Copilot Chat): "Chat: Export Chat..." (`chat.json`) and the sessions VS Code
keeps in `workspaceStorage/<id>/chatSessions/*.json`. One conversation per file.

`{responderUsername, initialLocation, requests: [...]}` (a stored session adds `version`, `sessionId`,
`creationDate`, `customTitle`). Each request is a prompt and its answer:
- the prompt is `message.text` as typed (`#file:` references stay in it as written);
- the answer is its `response` parts in order: markdown parts (`{value}`, no `kind`) are its text, with an
  `inlineReference` written as VS Code renders it (a symbol's name in backticks, a file's base name, a web
  address whole); `thinking` parts become a thinking block, `toolInvocationSerialized` a tool call (with the
  terminal's output as its result when there is one), `textEditGroup` an `edit_file` call naming the file;
  progress messages, code block links and undo stops are left out.
A request that was cancelled or failed before any text keeps its prompt but has no answer; so does one whose
`modelState` says it was pending, cancelled or failed when saved (a streamed fragment, "I'd be happy to help you
create a ... and push it to", is no answer: counted as a dropped `unfinished answer`). The `sessionId`
(stored sessions) is the external id, the `customTitle` the title, the responder and models metadata.

Since VS Code 1.109 a stored session is an operation log, `chatSessions/<sessionId>.jsonl` (microsoft/vscode's
objectMutationLog.ts): a first line `{"kind":0,"v":<the session object>}`, then one change a line, replayed in
order into that same object: `{"kind":1,"k":path,"v":value}` sets the value at a path (a list of keys and
indexes; without `v`, it removes it), `{"kind":2,"k":path,"v":[items],"i":n}` cuts the list at `k` to `n` items
when `i` is given and then appends `v` (a streamed answer rewritten from a part on, a request edited and sent
again: the replaced requests are gone), `{"kind":3,"k":path}` removes it, and a later kind 0 starts over. The
replayed session is read as above.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BOM, BadRecord, decode, has_top_key, iter_lines
from ._records import (
    expect,
    external_id,
    first_byte,
    head_records,
    parse_records,
    peekable,
    type_name,
)
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

_SKIPPED_KINDS = (
    "codeblockUri",
    "undoStop",
    "prepareToolInvocation",
    "progressMessage",
    "progressTaskSerialized",
    "mcpServersStarting",
    "treeData",
    "confirmation",
    "command",
    "warning",
    "markdownVuln",
    "elicitation",
)


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("requests")) is list and (
        "responderUsername" in record or "initialLocation" in record
    )


def _hint(head: bytes) -> bool:
    return (
        first_byte(head) == ord("{")
        and b'"requests"' in head
        and (has_top_key(head, b'"responderUsername"') or has_top_key(head, b'"initialLocation"'))
    )


# An operation log's first line as VS Code writes it (compact JSON, `kind` first), up to its session object.
_LOG_START = re.compile(rb'\{\s*"kind"\s*:\s*0\s*,\s*"v"\s*:\s*\{')
# Any line of an operation log starts so: how a log whose first line is not a snapshot is still read as one.
_LOG_LINE = re.compile(rb'\{\s*"kind"\s*:')
_SESSION_KEYS = (b'"requests"', b'"initialLocation"', b'"responderUsername"')


def _is_kind(value: Any, kind: int) -> bool:
    return type(value) is int and value == kind  # not a boolean: False == 0


def _looks_log(record: dict[str, Any]) -> bool:
    session = record.get("v")
    return _is_kind(record.get("kind"), 0) and type(session) is dict and type(session.get("requests")) is list


def _log_hint(head: bytes) -> bool:
    """A snapshot line longer than the head: `{"kind":0,"v":{` and a session key among that object's own."""
    head = head.removeprefix(BOM).lstrip()
    start = _LOG_START.match(head)
    return start is not None and any(has_top_key(head[start.end() - 1 :], key) for key in _SESSION_KEYS)


def _markdown(value: Any) -> str:
    """The text of a markdown value: a string, or `{value}`."""
    if type(value) is dict:
        value = value.get("value")
    return value if type(value) is str else ""


def _path_name(uri: Any) -> str:
    """A URI's base name, or the whole address of a web page."""
    if type(uri) is not dict:
        return ""
    if uri.get("scheme") in ("http", "https") and type(uri.get("external")) is str:
        return uri["external"]
    path = uri.get("path", uri.get("fsPath"))
    return path.rstrip("/").rsplit("/", 1)[-1] if type(path) is str else ""


def _reference(part: dict[str, Any]) -> str:
    """An inline reference as VS Code writes it into the answer's text."""
    reference = part.get("inlineReference")
    if type(reference) is not dict:
        return ""
    if type(reference.get("name")) is str:
        return f"`{reference['name']}`"
    if type(reference.get("uri")) is dict:  # a location in a file
        return _path_name(reference["uri"])
    return _path_name(reference)


def _answer(builder: TurnBuilder, parts: list[Any]) -> None:
    text: list[str] = []

    def flush() -> None:
        builder.text("".join(text).strip())
        text.clear()

    for part in parts:
        if type(part) is not dict:
            continue
        kind = part.get("kind")
        if kind is None or kind == "markdownContent":
            text.append(_markdown(part.get("content", part)) if kind else _markdown(part.get("value")))
        elif kind == "inlineReference":
            text.append(_reference(part))
        elif kind == "thinking":
            value = _markdown(part.get("value"))
            if value.strip():
                flush()
                builder.block({"type": "thinking", "thinking": value.strip()})
        elif kind == "toolInvocationSerialized":
            flush()
            _tool(builder, part)
        elif kind == "textEditGroup":
            flush()
            edits = part.get("edits")
            changed = (
                [e.get("text") for group in edits if type(group) is list for e in group if type(e) is dict]
                if type(edits) is list
                else []
            )
            builder.block(
                tool_use(None, "edit_file", {"file": _path_name(part.get("uri")), "edits": changed})
            )
        elif kind not in _SKIPPED_KINDS and type(kind) is str:
            builder.dropped[kind[:40]] += 1
    flush()


def _tool(builder: TurnBuilder, part: dict[str, Any]) -> None:
    data = part.get("toolSpecificData")
    data = data if type(data) is dict else {}
    command = data.get("commandLine")
    arguments: Any = (
        {"command": command["original"]}
        if type(command) is dict and type(command.get("original")) is str
        else {"invocation": _markdown(part.get("invocationMessage"))}
    )
    call_id = part.get("toolCallId")
    builder.block(tool_use(call_id, part.get("toolId"), arguments))
    output = data.get("terminalCommandOutput")
    output = output.get("text") if type(output) is dict else output
    if type(output) is str:
        builder.block(tool_result(call_id, output))


_NO_ANSWER = "VS Code chat without an answer"
# `modelState.value` (ResponseModelState): 0 pending, 1 complete, 2 cancelled, 3 failed, 4 waiting for the person.
_CUT_OFF = (0, 2, 3)


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    models: list[str] = []
    for i, request in enumerate(expect(record.get("requests"), list, "requests")):
        where = f"requests[{i}]"
        expect(request, dict, where)
        message = request.get("message")
        prompt = message.get("text") if type(message) is dict else message
        if type(prompt) is not str:
            raise BadRecord(f"{where}.message: expected the prompt's text, got {type_name(prompt)}")
        builder.user(prompt)
        response = request.get("response")
        state = request.get("modelState")
        if type(state) is dict and state.get("value") in _CUT_OFF:
            # Stopped, failed or still streaming when saved: what it wrote is a fragment, not an answer.
            builder.dropped["unfinished answer"] += 1
        elif type(response) is list:
            _answer(builder, response)
        model = request.get("modelId")
        if type(model) is str and model and model not in models:
            models.append(model)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        # Requests that got no answer: while Copilot sets itself up the response holds only progress messages.
        raise SkipRecord(_NO_ANSWER)
    metadata: dict[str, Any] = {}
    for key in ("responderUsername", "initialLocation"):
        if type(record.get(key)) is str:
            metadata[key] = record[key]
    if models:
        metadata["models"] = models
    title = record.get("customTitle")
    return builder.conversation(
        external_id({"id": record.get("sessionId")}, fallback),
        title=title if type(title) is str and title else None,
        metadata=metadata,
    )


def _path_text(path: list[Any]) -> str:
    return orjson.dumps(path).decode()


def _step(node: Any, key: Any) -> Any:
    """The value at one key (of an object) or index (of a list), or None when there is none."""
    if type(node) is dict and type(key) is str:
        return node.get(key)
    if type(node) is list and type(key) is int and 0 <= key < len(node):
        return node[key]
    return None


def _snapshot(entry: dict[str, Any]) -> dict[str, Any]:
    """The session object of a snapshot line (kind 0)."""
    session: dict[str, Any] = expect(entry.get("v"), dict, "v")
    return session


class _Log:
    """The session object of an operation log, built as its lines are applied."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.session = _snapshot(snapshot)

    def apply(self, entry: dict[str, Any]) -> None:
        kind = entry.get("kind")
        if _is_kind(kind, 0):
            self.session = _snapshot(entry)  # the whole session again: the log starts over
            return
        if not any(_is_kind(kind, k) for k in (1, 2, 3)):
            raise BadRecord(f"kind: expected 0, 1, 2 or 3, got {_kind_text(kind)}")
        path = entry.get("k")
        if type(path) is not list or not all(type(key) in (str, int) for key in path):
            raise BadRecord(f"k: expected a path (a list of keys and indexes), got {type_name(path)}")
        if not path:
            if kind != 1 or type(entry.get("v")) is not dict:
                raise BadRecord("k: an empty path can only be set to a whole session object")
            self.session = entry["v"]
            return
        parent = self.session
        for depth, key in enumerate(path[:-1]):
            parent = _step(parent, key)
            if type(parent) is not dict and type(parent) is not list:
                raise BadRecord(
                    f"k: {_path_text(path)} does not exist: {_path_text(path[: depth + 1])} is not there"
                )
        if kind == 2:
            self._push(parent, path, entry)
        elif kind == 1 and "v" in entry:
            self._set(parent, path, entry["v"])
        else:  # a delete, or a set to `undefined`, which JSON leaves out
            self._set(parent, path, None, remove=True)

    @staticmethod
    def _set(parent: Any, path: list[Any], value: Any, *, remove: bool = False) -> None:
        key = path[-1]
        if type(parent) is dict and type(key) is str:
            if remove:
                parent.pop(key, None)
            else:
                parent[key] = value
        elif type(parent) is list and type(key) is int and 0 <= key <= len(parent):
            if key == len(parent):
                if not remove:
                    parent.append(value)
            else:
                parent[key] = value
        else:
            raise BadRecord(
                f"k: {_path_text(path)} does not exist: {_path_text(path[:-1])} has no {_path_text([key])}"
            )

    @staticmethod
    def _push(parent: Any, path: list[Any], entry: dict[str, Any]) -> None:
        items, cut = entry.get("v"), entry.get("i")
        if items is not None and type(items) is not list:
            raise BadRecord(f"v: expected a list of items to append, got {type_name(items)}")
        if cut is not None and (type(cut) is not int or cut < 0):
            raise BadRecord(f"i: expected the length to cut the list to, got {type_name(cut)}")
        key = path[-1]
        target = _step(parent, key)
        if target is None and type(parent) is dict and type(key) is str:
            target = parent[key] = []  # a list not there yet is created, as VS Code does
        if type(target) is not list:
            what = "does not exist" if target is None else f"is {type_name(target)}, not a list"
            raise BadRecord(f"k: {_path_text(path)} {what}")
        if cut is not None:
            del target[cut:]
        target.extend(items or ())


def _kind_text(kind: Any) -> str:
    return str(kind) if type(kind) is int else type_name(kind)


def _replay(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """An operation log: its lines applied in order to the snapshot on its first line, then read as a session.

    A line that cannot be applied is an error of its own and the replay goes on without it; without the
    snapshot there is nothing to apply the rest to, so a bad first line is the file's only error.
    """
    log: _Log | None = None
    for entry in iter_lines(stream):
        if isinstance(entry, RecordError):
            yield entry
            if log is None:
                return
            continue
        number, line = entry
        try:
            value = decode(line)
            if type(value) is not dict:
                raise BadRecord(f"expected a JSON object, got {type_name(value)}")
            if log is None:
                if not _is_kind(value.get("kind"), 0):
                    kind = _kind_text(value.get("kind"))
                    raise BadRecord(
                        f'expected the session\'s snapshot ({{"kind":0,"v":{{…}}}}) first, got kind {kind}'
                    )
                log = _Log(value)
            else:
                log.apply(value)
        except BadRecord as exc:
            yield RecordError(str(exc), line=number)
            if log is None:
                return
    if log is None:
        return
    try:
        yield _convert(log.session, filename)
    except BadRecord as exc:
        yield RecordError(f"the session replayed from the log: {exc}")
    except SkipRecord as exc:
        yield Skipped(str(exc))


class VsCodeChatImporter:
    """A session as one JSON object (an export, a stored `.json`) or as an operation log (a stored `.jsonl`)."""

    name = "vscode-chat"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records:
            return _looks(records[0]) or _looks_log(records[0])
        return _hint(head) or _log_hint(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        head = buffered.peek(65536).removeprefix(BOM).lstrip()
        if _LOG_LINE.match(head):
            return _replay(buffered, filename)
        return parse_records(buffered, filename, _convert, ("vscode-chat", _looks))


importer = VsCodeChatImporter()
