"""The Gemini API's `contents`: Vertex AI's tuning JSONL for Gemini, and request bodies or chat histories saved as
JSON (one record per line, a JSON array of records, or one object per file).

The shape is the API's (`GenerateContentRequest` in Google's reference, the tuning dataset format in Vertex AI's
documentation): `{systemInstruction?, contents: [{role, parts: [...]}], tools?, generationConfig?}`, the REST
names in camelCase or snake_case (`system_instruction`, `function_call`, `inline_data`, ...). A content's `role`
is `user` or `model` (left out: `user`, as in a single-turn request; `function` and `tool` are older names for
the function results the user role sends). Its parts:
- `text`: the turn's text; a model part with `thought: true` is the answer's thinking block;
- `functionCall` `{name, args, id?}` a tool call of the answer, `functionResponse` `{name, response, id?}` its
  result (attached to the answer, as in the API);
- `executableCode` `{language, code}` a code block of the answer, `codeExecutionResult` `{outcome, output}` its
  result;
- `inlineData` and `fileData` (images, audio, PDFs) are counted as dropped by kind.
`systemInstruction` (`{parts: [{text}]}`, a role optional) is the system prompt. `model` (a request's, when
present) is kept in the metadata. An error names the record's line or JSON path and the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParsedConversation

_DATA_PARTS = ("inlineData", "inline_data", "fileData", "file_data")


def _get(part: dict[str, Any], camel: str) -> Any:
    """A part's field by its camelCase name or its snake_case one."""
    value = part.get(camel)
    if value is None:
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
        value = part.get(snake)
    return value


def system_text(value: Any, field: str) -> str:
    """The text of a `systemInstruction` (a content's parts, a bare text, or a string)."""
    if value is None or value == {}:
        return ""
    if type(value) is str:
        return value
    instruction = expect(value, dict, field)
    if type(instruction.get("text")) is str:
        return str(instruction["text"])
    parts = instruction.get("parts", [])
    texts = [
        part["text"]
        for part in expect(parts, list, f"{field}.parts")
        if type(part) is dict and type(part.get("text")) is str
    ]
    return "\n\n".join(texts)


def add_contents(builder: TurnBuilder, contents: Any, field: str) -> None:
    """Feed a Gemini `contents` list to `builder`; BadRecord names the first bad field."""
    for i, content in enumerate(expect(contents, list, field)):
        where = f"{field}[{i}]"
        role = expect(content, dict, where).get("role", "user")
        if role not in ("user", "model", "function", "tool"):
            raise BadRecord(f'{where}.role: expected "user" or "model", got {orjson.dumps(role).decode()}')
        for k, part in enumerate(expect(content.get("parts"), list, f"{where}.parts")):
            _add_part(builder, role, expect(part, dict, f"{where}.parts[{k}]"), f"{where}.parts[{k}]")


def add_text(builder: TurnBuilder, role: str, text: str, *, thought: bool) -> None:
    """A Gemini text part: the model's thinking (a `thought` part), the model's answer, or the user's words."""
    if role != "model":
        builder.user(text)
    elif thought:
        builder.thinking(text)
    else:
        builder.text(text)


def _add_part(builder: TurnBuilder, role: str, part: dict[str, Any], where: str) -> None:
    text = part.get("text")
    if type(text) is str:
        add_text(builder, role, text, thought=part.get("thought") is True)
        return
    call = _get(part, "functionCall")
    if call is not None:
        call = expect(call, dict, f"{where}.functionCall")
        name = expect(call.get("name"), str, f"{where}.functionCall.name")
        builder.block(tool_use(call.get("id"), name, call.get("args")))
        return
    response = _get(part, "functionResponse")
    if response is not None:
        response = expect(response, dict, f"{where}.functionResponse")
        output = response.get("response")
        content = output if type(output) is str else orjson.dumps(output).decode()
        builder.block(tool_result(response.get("id"), content))
        return
    code = _get(part, "executableCode")
    if code is not None:
        code = expect(code, dict, f"{where}.executableCode")
        language = code.get("language")
        fence = language.lower() if type(language) is str and language != "LANGUAGE_UNSPECIFIED" else ""
        builder.text(f"```{fence}\n{code.get('code') if type(code.get('code')) is str else ''}\n```")
        return
    result = _get(part, "codeExecutionResult")
    if result is not None:
        result = expect(result, dict, f"{where}.codeExecutionResult")
        output = result.get("output")
        builder.block(
            tool_result(
                None, output if type(output) is str else "", result.get("outcome") not in (None, "OUTCOME_OK")
            )
        )
        return
    for key in _DATA_PARTS:
        if key in part:
            data = part[key]
            mime = data.get("mimeType", data.get("mime_type")) if type(data) is dict else None
            builder.dropped[mime.split("/", 1)[0] if type(mime) is str and mime else "file"] += 1
            return
    builder.dropped["unknown part"] += 1


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    system = record.get("systemInstruction", record.get("system_instruction"))
    builder.system(system_text(system, "systemInstruction"))
    add_contents(builder, record.get("contents"), "contents")
    metadata = {"model": record["model"]} if type(record.get("model")) is str else {}
    title = record.get("title")
    return builder.conversation(
        external_id(record, fallback), title=title if type(title) is str else None, metadata=metadata
    )


def _looks(record: dict[str, Any]) -> bool:
    contents = record.get("contents")
    if type(contents) is not list:
        return False
    first = contents[0] if contents else None
    return type(first) is dict and type(first.get("parts")) is list


importer = dataclasses.replace(
    RecordImporter.by_key("gemini-api", _convert, key="contents", kind=list, sign=b'"parts"'), looks=_looks
)
