"""Files of OpenAI's API that are not chat exports: the Batch API's input and output files (also written by
OpenAI-compatible batch services: Groq, vLLM's batch runner, ...) and a reply saved on its own.

Shapes from OpenAI's API reference:

- Batch input, JSON Lines: `{custom_id, method: "POST", url: "/v1/chat/completions" | "/v1/responses", body}`,
  `body` the request (`messages`, or the Responses API's `input` and `instructions`).
- Batch output, JSON Lines: `{id, custom_id, response: {status_code, request_id, body}, error}`, `body` the
  reply (a `chat.completion` with `choices[].message`, or a `response` with `output` items); lines come in any
  order.
- A reply saved alone: `{object: "chat.completion", choices: [...]}` or `{object: "response", output: [...]}`.

An output file holds answers without their questions, and the input file holds the questions: an output file is
read with the input files beside it (the same folder, any name, read whole, 256 MB at most), each result joined
to its request by `custom_id` into one conversation (the request's messages, then the answer; the custom id is
the external id, the model metadata). A result whose request is not found beside it, or that failed (`error`, or
a status other than 200), is skipped with that reason; so is an input file (its requests are read with their
output file) and a reply saved alone (no question). A zip or a single uploaded output file has no folder to look
in: its results are skipped as without their requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import lru_cache
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import head_records, iter_records
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, Skipped
from .openai import add_message, read_messages
from .openai_items import add_item

_INPUT_SKIPPED = (
    "Batch API request: its answer is in the batch's output file, read with it (import both together)"
)
_NO_REQUEST = "Batch API result without its request (no input file with its custom_id beside it)"
_ALONE = "a model reply saved without its request (no question to pair it with)"
_MAX_INPUT_BYTES = 256 * 1024 * 1024
_HEAD = 4096


def _is_input(record: dict[str, Any]) -> bool:
    return type(record.get("custom_id")) is str and type(record.get("body")) is dict and "url" in record


def _is_output(record: dict[str, Any]) -> bool:
    return (
        type(record.get("custom_id")) is str
        and ("response" in record or "error" in record)
        and "body" not in record
    )


def _is_reply(record: dict[str, Any]) -> bool:
    kind = record.get("object")
    return (kind == "chat.completion" and type(record.get("choices")) is list) or (
        kind == "response" and type(record.get("output")) is list
    )


def _looks(record: dict[str, Any]) -> bool:
    return _is_input(record) or _is_output(record) or _is_reply(record)


class OpenAIApiImporter:
    name = "openai-api"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records:
            return _looks(records[0])
        # A first line longer than the head: a batch line opens with its id and custom id.
        start = head.lstrip()[:300]
        return (
            start.startswith(b"{")
            and b'"custom_id"' in start
            and (b'"body"' in head or b'"response"' in head)
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        requests: dict[str, dict[str, Any]] | None = None
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            if type(value) is not dict or not _looks(value):
                yield RecordError(
                    "expected a Batch API request or result line", record.line, record.json_path
                )
                continue
            if _is_input(value):
                yield Skipped(_INPUT_SKIPPED)
                continue
            if _is_reply(value):
                yield Skipped(_ALONE)
                continue
            if requests is None:
                requests = _requests_beside(filename)
            try:
                result = _result(value, requests)
            except BadRecord as exc:
                yield RecordError(str(exc), record.line, record.json_path)
                continue
            if isinstance(result, ParsedConversation):
                result.line, result.json_path = record.line, record.json_path
            yield result


def _result(line: dict[str, Any], requests: dict[str, dict[str, Any]]) -> ParseResult:
    """The conversation of one output line and its request, or why there is none."""
    custom_id = line["custom_id"]
    response = line.get("response")
    status = response.get("status_code") if type(response) is dict else None
    if line.get("error") or type(response) is not dict or status not in (None, 200):
        return Skipped(
            f"Batch API result that failed (status {status})" if status else "Batch API result that failed"
        )
    request = requests.get(custom_id)
    if request is None:
        return Skipped(_NO_REQUEST)
    reply = response.get("body")
    if type(reply) is not dict:
        raise BadRecord("response.body: expected the reply object")
    builder = _request_turns(request)
    if type(reply.get("choices")) is list:
        choices = [c for c in reply["choices"] if type(c) is dict]
        if not choices:
            raise BadRecord("response.body.choices: expected at least one choice")
        add_message(builder, choices[0].get("message"), "response.body.choices[0].message")
    elif type(reply.get("output")) is list:
        for i, item in enumerate(reply["output"]):
            if type(item) is dict:
                add_item(builder, item, f"response.body.output[{i}]")
    else:
        raise BadRecord("response.body: expected choices or output")
    model = reply.get("model", request.get("model"))
    conversation = builder.conversation(custom_id, metadata={"model": model} if type(model) is str else {})
    conversation.title = prompt_title(conversation.turns[0].text)
    return conversation


def _request_turns(request: dict[str, Any]) -> TurnBuilder:
    """A builder fed a request's question: chat messages, or the Responses API's instructions and input."""
    if "messages" in request:
        return read_messages(request["messages"], "request body.messages")
    builder = TurnBuilder()
    instructions = request.get("instructions")
    if type(instructions) is str:
        builder.system(instructions)
    given = request.get("input")
    if type(given) is str:
        builder.user(given)
    elif type(given) is list:
        for i, item in enumerate(given):
            if type(item) is dict:
                add_item(builder, item, f"request body.input[{i}]")
    else:
        raise BadRecord("request body: expected messages or input")
    return builder


def _requests_beside(filename: str) -> dict[str, dict[str, Any]]:
    """The requests of the Batch API input files in the output file's folder, by custom id (none for a file
    inside an archive, or when the folder cannot be read)."""
    folder = os.path.dirname(filename)
    if "!" in filename or not os.path.isfile(filename):
        return {}
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        return {}
    files = []
    for name in names:
        path = os.path.join(folder, name)
        if path != filename and name.lower().endswith((".jsonl", ".json")) and os.path.isfile(path):
            stat = os.stat(path)
            files.append((path, stat.st_size, stat.st_mtime_ns))
    return _read_inputs(tuple(files))


@lru_cache(maxsize=1)
def _read_inputs(files: tuple[tuple[str, int, int], ...]) -> dict[str, dict[str, Any]]:
    """Requests by custom id from those of `files` (path, size, mtime) that are Batch API input files; kept for
    the next output file of the same folder."""
    requests: dict[str, dict[str, Any]] = {}
    total = 0
    for path, size, _ in files:
        try:
            with open(path, "rb") as f:
                if not _is_input_head(f.read(_HEAD)):
                    continue
                total += size
                if total > _MAX_INPUT_BYTES:
                    break
                f.seek(0)
                for line in f:
                    try:
                        record = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue
                    if type(record) is dict and _is_input(record):
                        requests[record["custom_id"]] = record["body"]
        except OSError:
            continue
    return requests


def _is_input_head(head: bytes) -> bool:
    records = head_records(head)
    if records:
        return _is_input(records[0])
    start = head.lstrip()[:300]
    return start.startswith(b"{") and b'"custom_id"' in start and b'"body"' in head and b'"url"' in head


importer = OpenAIApiImporter()
