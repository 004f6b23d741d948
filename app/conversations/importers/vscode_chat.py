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
A request that was cancelled or failed before any text keeps its prompt but has no answer. The `sessionId`
(stored sessions) is the external id, the `customTitle` the title, the responder and models metadata.
"""

from __future__ import annotations

from typing import Any

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id, first_byte, has_top_key, type_name
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParsedConversation

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
        if type(response) is list:
            _answer(builder, response)
        model = request.get("modelId")
        if type(model) is str and model and model not in models:
            models.append(model)
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


importer = RecordImporter("vscode-chat", _convert, looks=_looks, hint=_hint, starts=b"{")
