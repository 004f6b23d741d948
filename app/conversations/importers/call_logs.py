"""Model calls logged by LLM observability tools and gateways, one conversation per call: the request's messages and
the answer the model gave.

These tools keep calls, not conversations: the second call of a chat holds the first answer and the person's reply
in its request, so the call with the pushback is the conversation with the pair (the earlier calls are shorter
conversations of their own; a pair repeated by a later call is linked to the first one, as for LangSmith's runs).
Shapes, read from each tool's serializers, API models and documentation (the fields named here):

- Langfuse: traces or observations (`GET /api/public/traces`, `/observations`: `{data: [...], meta}`, and the
  UI's JSONL batch export), `input` the messages and `output` the answer message, each an object or JSON text in a
  string; `sessionId` (else `traceId`) the session. Observations other than `GENERATION` are not model calls.
- Helicone (`@helicone/export --include-body`, JSONL): `request_body.messages` and `response_body.choices`;
  `request_properties["Helicone-Session-Id"]`. Bodies left out (`{"helicone_message": ...}`) hold no call.
- Arize Phoenix / OpenInference spans (`GET /v1/projects/<id>/spans`: `{data: [...]}` of spans whose `attributes`
  are flat: `llm.input_messages.<i>.message.role` / `.content`, `llm.output_messages...`; and the spans dataframe
  saved as JSON Lines, `attributes.llm.input_messages` a list of `{"message.role", "message.content"}`);
  `session.id` the session. Spans of other kinds (chains, tools) are not model calls.
- Braintrust project logs (`POST /v1/project_logs/<id>/fetch`: `{events: [...]}`): `input` the messages, `output`
  the `choices` (or a message); spans whose `span_attributes.type` is not `llm` are not model calls.
- W&B Weave calls (`calls/stream_query`, JSONL): `inputs.messages` and `output.choices`; `thread_id` the session.
- LiteLLM proxy spend logs (`GET /spend/logs`, an array): `messages` and `response.choices` (kept only with
  `store_prompts_in_spend_logs`; rows without them hold no call); `session_id`.
- Portkey logs export (JSONL): `request.body.messages` and `response.body.choices`.
- MLflow 3 traces (`Trace.to_json()`, one file each: `{info, data: {spans}}`), every span attribute JSON-encoded:
  the `CHAT_MODEL` (or `LLM`) span's `mlflow.spanInputs.messages` and `mlflow.spanOutputs` (a chat completion),
  else the root span's; `info.trace_metadata["mlflow.trace.session"]` the session.
- OpenTelemetry GenAI spans (OTLP JSON, as the Collector's file exporter writes them: `{resourceSpans: [...]}`),
  attributes `gen_ai.system_instructions`, `gen_ai.input.messages` and `gen_ai.output.messages` (JSON text of
  `{role, parts: [{type: "text", content}, {type: "tool_call", ...}, ...]}`); `gen_ai.conversation.id` the session.
  Spans without these attributes are not model calls.
- Amazon Bedrock batch inference output (`<input>.jsonl.out`): `{recordId, modelInput, modelOutput}` a line,
  `modelInput` an Anthropic Messages request (`anthropic_version`, `system`, `messages`) or Nova's (`messages` of
  Converse blocks), `modelOutput` the response message (Nova: `output.message`). A record with `error` in its
  place failed; one without either is the batch's input, with no answer; a model prompted with text (`prompt`,
  `inputText`) is not a chat.
- claude-trace (`.claude-trace/log-<time>.jsonl`, Claude Code's HTTP traffic): `{request: {url, body},
  response: {status_code, body | body_raw}, logged_at}`, the body an Anthropic Messages request; a streamed answer
  is `body_raw`, its Server-Sent Events joined (text, thinking, tool input). Claude Code's own calls, which offer
  the model no tools (the quota check, a session's topic or title, a compaction's summary), are not the person's
  conversation; a call whose answer ends at a tool call is a step of an answer that goes on in the next call, which
  holds it whole, and is skipped as such.

- A call as a script logs it (seen in real repositories): `{request, response}`, the request body as sent
  (`messages`, and for Anthropic a `system` of its own) and the response as received, an Anthropic message (`type:
  "message"`, content blocks) or a chat completion (`choices`); `id`, the model and `timestamp` the metadata. In a
  list of such records, a request body alone with its answers in its messages (`{model, system, messages}`) reads
  as the `anthropic` format reads it.

Messages are OpenAI's (`role`, `content`, `tool_calls`, `tool` results), Anthropic's for Bedrock, claude-trace and
Anthropic responses.
The call's id is the external id, the first question the title, the tool, the session, the model and the time the
metadata. Usage exports without any text (OpenRouter's activity CSV) are not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from . import anthropic
from ._json import BadRecord
from ._records import Record, as_object, converted, expect, first_byte, head_records, iter_records, type_name
from ._turns import TurnBuilder, flatten, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, SkipRecord
from .openai import add_message


@dataclass(slots=True)
class _Call:
    tool: str
    messages: list[Any]  # the request's messages, OpenAI-shaped
    answers: list[Any]  # the assistant messages answered
    id: Any = None
    session: Any = None
    model: Any = None
    time: Any = None
    system: str | None = None  # a system prompt given apart from the messages (OpenTelemetry, Anthropic)
    anthropic: bool = False  # messages and answers in Anthropic's shape (content blocks), not OpenAI's
    field: str = "messages"  # where the messages are, for errors


_NOT_A_CALL = "logged span or event that is not a model call"
_NO_ANSWER = "logged model call without its answer"
_NO_MESSAGES = "logged model call without its messages (prompts not stored)"
_NOT_A_CHAT = "logged call whose input is not a chat (an object of its own fields)"
_FAILED = "logged model call that failed (an error in place of the answer)"
_TEXT_PROMPT = "logged model call prompted with text, not chat messages"
_HELPER = "Claude Code's own model call (a quota check, a topic or title, a summary), not the person's chat"
_STEP = "logged agent step ending at a tool call (the answer goes on in the next call, which holds it whole)"


def _json_text(value: Any) -> Any:
    """A value some tools store as JSON text in a string: decoded when it is JSON, else the string itself (a
    prompt or an answer may well open with a bracket: "[1] See ...")."""
    if type(value) is str and value[:1] in ("{", "[", '"'):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _chat_messages(value: Any, field: str) -> list[Any]:
    """The request's messages: a list, the `messages` of a request object, or a prompt's text (one user message).
    An object of other fields (a pipeline step's own input) is not a chat."""
    value = _json_text(value)
    if type(value) is dict and "messages" in value:
        return expect(value["messages"], list, f"{field}.messages")
    if type(value) is list:
        return value
    if type(value) is str:
        return [{"role": "user", "content": value}] if value.strip() else []
    if type(value) is dict:
        raise SkipRecord(_NOT_A_CHAT)
    raise BadRecord(f"{field}: expected the chat messages (a list), got {type_name(value)}")


def _answers(value: Any, field: str) -> list[Any]:
    """The answer messages of a call's output: a chat completion's `choices`, a list of choices or messages, one
    message, or the answer's text."""
    value = _json_text(value)
    if value is None or value == {} or value == "":
        return []
    if type(value) is str:
        return [{"role": "assistant", "content": value}]
    if type(value) is dict and "choices" in value:
        value = expect(value["choices"], list, f"{field}.choices")
    if type(value) is dict and "role" in value:
        return [value]
    if type(value) is list:
        return [item["message"] if type(item) is dict and "message" in item else item for item in value]
    raise BadRecord(f"{field}: expected the answer (a message, choices or text), got {type_name(value)}")


def _langfuse(record: dict[str, Any]) -> _Call:
    kind = record.get("type")
    if kind is not None and kind != "GENERATION":
        raise SkipRecord(_NOT_A_CALL)
    return _Call(
        "langfuse",
        _chat_messages(record.get("input"), "input"),
        _answers(record.get("output"), "output"),
        id=record.get("id"),
        session=record.get("sessionId") or record.get("traceId"),
        model=record.get("model"),
        time=record.get("timestamp") or record.get("startTime"),
    )


def _helicone(record: dict[str, Any]) -> _Call:
    request, response = record.get("request_body"), record.get("response_body")
    if (type(request) is dict and "helicone_message" in request) or not request:
        raise SkipRecord(_NO_MESSAGES)
    properties = record.get("request_properties") or record.get("properties")
    return _Call(
        "helicone",
        _chat_messages(request, "request_body"),
        []
        if type(response) is dict and "helicone_message" in response
        else _answers(response, "response_body"),
        id=record.get("request_id"),
        session=properties.get("Helicone-Session-Id") if type(properties) is dict else None,
        model=record.get("response_model") or record.get("model"),
        time=record.get("request_created_at"),
    )


def _phoenix_messages(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """OpenInference's messages, flat (`<prefix>.0.message.role`) or as a list of `{"message.role", ...}`."""
    listed = attributes.get(prefix)
    if type(listed) is list:
        return [
            {"role": item.get("message.role"), "content": item.get("message.content")}
            for item in listed
            if type(item) is dict
        ]
    messages: dict[int, dict[str, Any]] = {}
    start = f"{prefix}."
    for key, value in attributes.items():
        if key.startswith(start):
            index, _, field = key[len(start) :].partition(".message.")
            if index.isdigit() and field in ("role", "content"):
                messages.setdefault(int(index), {})[field] = value
    return [messages[index] for index in sorted(messages)]


def _phoenix(record: dict[str, Any]) -> _Call:
    attributes = record.get("attributes")
    if type(attributes) is not dict:  # a dataframe row: `attributes.<name>` columns
        attributes = {key[11:]: value for key, value in record.items() if key.startswith("attributes.")}
    if attributes.get("openinference.span.kind", "LLM") != "LLM":
        raise SkipRecord(_NOT_A_CALL)
    context = record.get("context")
    return _Call(
        "phoenix",
        _phoenix_messages(attributes, "llm.input_messages"),
        _phoenix_messages(attributes, "llm.output_messages"),
        id=context.get("span_id") if type(context) is dict else record.get("context.span_id"),
        session=attributes.get("session.id"),
        model=attributes.get("llm.model_name"),
        time=record.get("start_time"),
    )


def _braintrust(record: dict[str, Any]) -> _Call:
    span = record.get("span_attributes")
    if type(span) is dict and span.get("type") not in (None, "llm"):
        raise SkipRecord(_NOT_A_CALL)
    metadata = as_object(record.get("metadata"))
    return _Call(
        "braintrust",
        _chat_messages(record.get("input"), "input"),
        _answers(record.get("output"), "output"),
        id=record.get("id"),
        session=metadata.get("conversation_id") or metadata.get("session_id") or metadata.get("thread_id"),
        model=metadata.get("model"),
        time=record.get("created"),
    )


def _weave(record: dict[str, Any]) -> _Call:
    inputs = expect(record.get("inputs"), dict, "inputs")
    if "messages" not in inputs:
        raise SkipRecord(_NOT_A_CALL)
    return _Call(
        "weave",
        _chat_messages(inputs, "inputs"),
        _answers(record.get("output"), "output"),
        id=record.get("id"),
        session=record.get("thread_id"),
        model=inputs.get("model"),
        time=record.get("started_at"),
    )


def _litellm(record: dict[str, Any]) -> _Call:
    if not record.get("messages"):
        raise SkipRecord(_NO_MESSAGES)
    return _Call(
        "litellm",
        _chat_messages(record["messages"], "messages"),
        _answers(record.get("response"), "response"),
        id=record.get("request_id"),
        session=record.get("session_id"),
        model=record.get("model"),
        time=record.get("startTime"),
    )


def _portkey(record: dict[str, Any]) -> _Call:
    request, response = record.get("request"), record.get("response")
    metadata = as_object(record.get("metadata"))
    return _Call(
        "portkey",
        _chat_messages(expect(request, dict, "request").get("body"), "request.body"),
        _answers(response.get("body") if type(response) is dict else None, "response.body"),
        id=record.get("id"),
        session=record.get("trace_id") or metadata.get("session_id"),
        model=record.get("ai_model"),
        time=record.get("created_at"),
    )


def _request_log(record: dict[str, Any]) -> _Call:
    """A call as a script of one's own logs it: the request body as sent (`messages`, a `system` of its own for
    Anthropic) and the response as received, an Anthropic message or a chat completion."""
    request, response = record["request"], record["response"]
    anthropic_response = anthropic.is_response(response)
    answers = [response] if anthropic_response else _answers(response, "response")
    return _Call(
        "request-log",
        request["messages"],
        answers,
        id=record.get("id") or response.get("id"),
        model=response.get("model") or request.get("model"),
        time=record.get("timestamp") or record.get("created_at"),
        system=flatten(request.get("system")) if anthropic_response else None,
        anthropic=anthropic_response,
        field="request.messages",
    )


def _is_request_log(record: dict[str, Any]) -> bool:
    request, response = record.get("request"), record.get("response")
    return (
        type(request) is dict
        and type(request.get("messages")) is list
        and type(response) is dict
        and (anthropic.is_response(response) or type(response.get("choices")) is list)
    )


def _mlflow(record: dict[str, Any]) -> _Call:
    info = expect(record.get("info"), dict, "info")
    spans = expect(expect(record.get("data"), dict, "data").get("spans"), list, "data.spans")
    chosen = None
    for number, span in enumerate(spans):
        attributes = expect(
            expect(span, dict, f"data.spans[{number}]").get("attributes") or {}, dict, "attributes"
        )
        kind = _json_text(attributes.get("mlflow.spanType"))
        if kind in ("CHAT_MODEL", "LLM") or (chosen is None and span.get("parent_span_id") is None):
            chosen = (number, attributes)
            if kind in ("CHAT_MODEL", "LLM"):
                break
    if chosen is None:
        raise SkipRecord(_NOT_A_CALL)
    number, attributes = chosen
    where = f"data.spans[{number}].attributes"
    inputs = _json_text(attributes.get("mlflow.spanInputs"))
    if type(inputs) is not dict or "messages" not in inputs:
        raise SkipRecord(_NOT_A_CALL)
    metadata = as_object(info.get("trace_metadata"))
    return _Call(
        "mlflow",
        _chat_messages(inputs, f"{where}.mlflow.spanInputs"),
        _answers(_json_text(attributes.get("mlflow.spanOutputs")), where),
        id=info.get("trace_id") or info.get("request_id"),
        session=metadata.get("mlflow.trace.session"),
        model=inputs.get("model"),
        time=info.get("request_time"),
    )


def _bedrock_batch(record: dict[str, Any]) -> _Call:
    request = expect(record["modelInput"], dict, "modelInput")
    output = record.get("modelOutput")
    if output is None:
        raise SkipRecord(_FAILED if record.get("error") else _NO_ANSWER)
    if "messages" not in request:
        raise SkipRecord(_TEXT_PROMPT)
    output = expect(output, dict, "modelOutput")
    nova = as_object(output.get("output")).get("message")
    return _Call(
        "bedrock-batch",
        expect(request["messages"], list, "modelInput.messages"),
        [output if nova is None else nova],
        id=record.get("recordId"),
        model=output.get("model"),
        system=flatten(request.get("system")),
        anthropic=True,
        field="modelInput.messages",
    )


def _claude_trace(record: dict[str, Any]) -> _Call:
    request = record["request"]
    body = _json_text(request.get("body"))
    if type(body) is not dict or "messages" not in body or "/count_tokens" in str(request.get("url")):
        raise SkipRecord(_NOT_A_CALL)
    if not body.get("tools"):
        raise SkipRecord(_HELPER)
    response = as_object(record.get("response"))
    raw, status = response.get("body_raw"), response.get("status_code")
    if type(status) is int and status >= 400:
        raise SkipRecord(_FAILED)
    message = anthropic.streamed_message(raw) if type(raw) is str else as_object(response.get("body"))
    if message is None or not anthropic.is_response(message):
        message = None  # no response: the request was stopped, or the log ended first
    elif _ends_at_a_tool_call(message):
        raise SkipRecord(_STEP)
    return _Call(
        "claude-trace",
        expect(body["messages"], list, "request.body.messages"),
        [] if message is None else [message],
        id=None if message is None else message.get("id"),
        model=body.get("model"),
        time=record.get("logged_at"),
        system=flatten(body.get("system")),
        anthropic=True,
        field="request.body.messages",
    )


def _ends_at_a_tool_call(message: dict[str, Any]) -> bool:
    content = message["content"]
    return message.get("stop_reason") == "tool_use" or (
        bool(content) and as_object(content[-1]).get("type") == "tool_use"
    )


def _otel_value(value: Any) -> Any:
    """An OTLP attribute value (`{"stringValue": ...}`, `{"intValue": "38"}`, arrays) as a plain one (None when it
    is none of these)."""
    if type(value) is not dict:
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    number = value.get("intValue")
    if type(number) is int or (type(number) is str and number.lstrip("-").isdigit()):
        return int(number)
    array = value.get("arrayValue")
    items = array.get("values") if type(array) is dict else None
    return [_otel_value(item) for item in items] if type(items) is list else None


def _otel_messages(value: Any, field: str) -> list[dict[str, Any]]:
    """GenAI messages (`{role, parts: [...]}`) as OpenAI ones: text parts joined, tool calls and their results."""
    messages: list[dict[str, Any]] = []
    for number, item in enumerate(expect(_json_text(value), list, field)):
        message = expect(item, dict, f"{field}[{number}]")
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for part in expect(message.get("parts", []), list, f"{field}[{number}].parts"):
            if type(part) is not dict:
                continue
            kind = part.get("type")
            if kind == "text" and type(part.get("content")) is str:
                texts.append(part["content"])
            elif kind == "tool_call":
                arguments = part.get("arguments")
                calls.append(
                    {
                        "id": part.get("id"),
                        "function": {"name": part.get("name"), "arguments": orjson.dumps(arguments).decode()},
                    }
                )
            elif kind == "tool_call_response":
                messages.append(
                    {"role": "tool", "tool_call_id": part.get("id"), "content": part.get("response")}
                )
        if texts or calls:
            messages.append(
                {
                    "role": message.get("role"),
                    "content": "\n\n".join(texts),
                    **({"tool_calls": calls} if calls else {}),
                }
            )
    return messages


def _otel_span(span: dict[str, Any]) -> _Call:
    attributes = {
        item["key"]: _otel_value(item.get("value"))
        for item in expect(span.get("attributes", []), list, "attributes")
        if type(item) is dict and type(item.get("key")) is str
    }
    if "gen_ai.input.messages" not in attributes:
        raise SkipRecord(_NOT_A_CALL)
    instructions = attributes.get("gen_ai.system_instructions")
    system = None
    if instructions is not None:
        parts = _json_text(instructions)
        system = (
            "\n\n".join(
                part["content"] for part in parts if type(part) is dict and type(part.get("content")) is str
            )
            if type(parts) is list
            else str(parts)
        )
    output = attributes.get("gen_ai.output.messages")
    return _Call(
        "opentelemetry",
        _otel_messages(attributes["gen_ai.input.messages"], "gen_ai.input.messages"),
        _otel_messages(output, "gen_ai.output.messages") if output is not None else [],
        id=span.get("spanId"),
        session=attributes.get("gen_ai.conversation.id"),
        model=attributes.get("gen_ai.response.model") or attributes.get("gen_ai.request.model"),
        time=span.get("startTimeUnixNano"),
        system=system,
    )


# Each tool's records by their own keys, most specific first.
_SHAPES: tuple[tuple[Callable[[dict[str, Any]], bool], Callable[[dict[str, Any]], _Call]], ...] = (
    (lambda r: "info" in r and type(r.get("data")) is dict and "spans" in r["data"], _mlflow),
    (lambda r: "request_body" in r and "response_body" in r, _helicone),
    (
        lambda r: (
            (type(r.get("attributes")) is dict and "openinference.span.kind" in r["attributes"])
            or "attributes.openinference.span.kind" in r
        ),
        _phoenix,
    ),
    (lambda r: "span_attributes" in r and "input" in r and "output" in r, _braintrust),
    (lambda r: "op_name" in r and "inputs" in r and "output" in r, _weave),
    (lambda r: "messages" in r and "response" in r and ("spend" in r or "call_type" in r), _litellm),
    (lambda r: "recordId" in r and type(r.get("modelInput")) is dict, _bedrock_batch),
    (lambda r: type(r.get("request")) is dict and "url" in r["request"] and "logged_at" in r, _claude_trace),
    (lambda r: type(r.get("request")) is dict and "body" in r["request"] and "response" in r, _portkey),
    (_is_request_log, _request_log),
    (
        lambda r: (
            "input" in r and "output" in r and ("sessionId" in r or "traceId" in r or "observationCount" in r)
        ),
        _langfuse,
    ),
)
# The lists a page of an API response holds its records in (Langfuse and Phoenix `data`, Braintrust `events`).
_PAGE_KEYS = ("data", "events")


def _shape(record: dict[str, Any]) -> Callable[[dict[str, Any]], _Call] | None:
    if type(record.get("resourceSpans")) is list:
        return _otel_span
    return next((extract for test, extract in _SHAPES if test(record)), None)


def _page(record: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """A page of records (`{data: [...]}`, `{events: [...]}`) whose first record is a logged call."""
    for key in _PAGE_KEYS:
        items = record.get(key)
        if type(items) is list and items and type(items[0]) is dict and _shape(items[0]) is not None:
            return key, items
    return None


def _looks(record: dict[str, Any]) -> bool:
    return _shape(record) is not None or _page(record) is not None


def _hint(head: bytes) -> bool:
    """Signs of a record longer than the head (a call with a long history)."""
    return any(
        all(sign in head for sign in signs)
        for signs in (
            (b'"resourceSpans"', b'"gen_ai.'),
            (b'"request_body"', b'"response_body"'),
            (b"openinference.span.kind",),
            (b'"span_attributes"', b'"input"'),
            (b'"op_name"', b'"inputs"'),
            (b'"mlflow.spanInputs',),
            (b'"sessionId"', b'"input"', b'"output"'),
            (b'"recordId"', b'"modelInput"'),
            (b'"request"', b'"url"', b"/v1/messages"),
        )
    )


class CallLogsImporter:
    name = "call-logs"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = first_byte(head)
        if first is None or first not in b"{[":
            return False
        records = head_records(head)
        return _looks(records[0]) if records else _hint(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            yield from _results(record, filename)


def _results(record: Record, filename: str) -> Iterator[ParseResult]:
    """The conversations of one record: a call, a page of calls or (OpenTelemetry) a batch of spans."""
    value = record.value
    where = record.json_path or "$"
    if type(value) is not dict:
        yield _placed(
            RecordError(f"expected a logged call (an object), got {type_name(value)}", json_path=where),
            record,
        )
        return
    page = _page(value)
    convert = _convert
    if page is not None:
        key, items = page
        calls = [(f"{where}.{key}[{number}]", item) for number, item in enumerate(items)]
    elif type(value.get("resourceSpans")) is list:
        calls = list(_otel_spans(value, where))
        convert = _convert_span
    else:
        calls = [(where, value)]
    for path, item in calls:
        yield _placed(converted(convert, item, path, f"{filename}:{path}"), record)


def _otel_spans(batch: dict[str, Any], where: str) -> Iterator[tuple[str, Any]]:
    for i, resource in enumerate(batch["resourceSpans"]):
        scopes = resource.get("scopeSpans") if type(resource) is dict else None
        for j, scope in enumerate(scopes if type(scopes) is list else []):
            spans = scope.get("spans") if type(scope) is dict else None
            for k, span in enumerate(spans if type(spans) is list else []):
                yield f"{where}.resourceSpans[{i}].scopeSpans[{j}].spans[{k}]", span


def _placed(result: ParseResult, record: Record) -> ParseResult:
    """The line of a JSON Lines record on what came of it (a call of a page keeps its path too)."""
    if isinstance(result, (ParsedConversation, RecordError)) and record.line is not None:
        result.line = record.line
    return result


def _convert(value: Any, fallback: str) -> ParsedConversation:
    record = expect(value, dict, "call")
    extract = _shape(record)
    if extract is None and anthropic.looks_anthropic(record) and "response" not in record:
        return anthropic.convert(record, fallback)  # a request body beside logged calls, its answers in it
    if extract is None:
        raise BadRecord("not a logged model call of a known tool (no request messages and answer found)")
    return _conversation(extract(record), fallback)


def _convert_span(value: Any, fallback: str) -> ParsedConversation:
    return _conversation(_otel_span(expect(value, dict, "span")), fallback)


def _conversation(call: _Call, fallback: str) -> ParsedConversation:
    if not call.answers:
        raise SkipRecord(_NO_ANSWER)
    if not call.messages:
        raise SkipRecord(_NO_MESSAGES)
    builder = TurnBuilder()
    if call.system:
        builder.system(call.system)
    add_one = anthropic.add_message if call.anthropic else add_message
    for number, message in enumerate(call.messages):
        add_one(builder, message, f"{call.field}[{number}]")
    for number, answer in enumerate(call.answers):
        add_one(builder, answer, f"answer[{number}]")
    turns = builder.finish()
    first = next((turn.text for turn in turns if turn.role == "user"), "")
    metadata: dict[str, Any] = {"tool": call.tool}
    for key, found in (("session", call.session), ("model", call.model), ("time", call.time)):
        if type(found) in (str, int, float) and found != "":
            metadata[key] = found
    identifier = call.id if type(call.id) is str and call.id else fallback
    return builder.conversation(identifier, title=prompt_title(first), metadata=metadata)


importer = CallLogsImporter()
