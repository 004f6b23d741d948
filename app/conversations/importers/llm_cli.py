"""Simon Willison's `llm` CLI: the JSON its `llm logs --json` prints (with `-c`, `--cid`, `-n 0` or none).

The shape is `logs_list` in `llm/cli.py` (`LOGS_COLUMNS`, written with `json.dumps(rows, indent=2)`): a JSON
array of response records in time order, one per prompt and its response: `{id, model, resolved_model?, prompt,
system, prompt_json, options_json, response, response_json, conversation_id, duration_ms, datetime_utc,
input_tokens?, output_tokens?, token_details?, conversation_name, conversation_model, schema_json?,
prompt_fragments?, system_fragments?, tools?, tool_calls?, tool_results?, attachments}` (the token fields came
with 0.19, `schema_json` with 0.23, fragments with 0.24, tools with 0.26).

Records sharing a `conversation_id` are one conversation: `llm -c` and `--cid` continue one, and with `-n 0` (all
logs) a conversation continued later is interleaved with others, so records are grouped over the whole file and
the conversations built once the array is read (only their texts are kept meanwhile, not `prompt_json` and
`response_json`, which are most of the file). Each conversation's records are sorted by `datetime_utc` (a
search, `-q`, lists them by rank), file order breaking ties; a record without a `conversation_id` is a
conversation of its own.

Per record, in order: `tool_results` (the results of the previous response's tool calls, sent with this prompt:
`output`, an `exception` marks an error), `prompt` (what was typed; `prompt_fragments`, the files and URLs `-f`
pulled in, are `fragment` context blocks of it, cut short by `llm logs` unless it ran with `--expand`), then
`response` (the text) and `tool_calls` (`name`, `arguments`, `tool_call_id`), so a tool chain is one assistant
turn. `system` (with `system_fragments` before it) is the system prompt: llm writes it on the record that set it
and null on those that continued with it, so each distinct one is kept in order. `attachments` are counted as
dropped by their mime type. `response_json` is left out: it repeats the response, since 0.24 as a placeholder
(`{"content": {"$": "r:<id>"}}`); so are the options, token counts (`token_details` is JSON in a string) and the
schema.

`prompt_json` repeats the earlier turns of the conversation for OpenAI models (`{"messages": [...]}`): they are
not read again, except when a conversation's first record in the file continues one whose start is not there
(`llm logs` shows the last 3 records by default); its `messages` before its own (the prompt and the tool results
it sent) are then the turns it followed. The `conversation_id` is the external id, `conversation_name` (llm's title: the first prompt, cut to 32
characters) the title, else the first prompt; the models and the first record's `datetime_utc` (as written:
naive UTC before 0.25, with `+00:00` since) the metadata. A conversation without a prompt and an answer is
skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ._json import BOM, BadRecord
from ._records import iter_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped
from .openai import add_messages, parse_arguments

_NO_TALK = "llm conversation without a prompt and an answer"
# A first record longer than the head: the keys llm writes first (`resolved_model` since 0.24).
_LONG_FIRST = re.compile(
    rb'\s*\[\s*\{\s*"id"\s*:\s*(?:"[0-9a-zA-Z]+"|\d+)\s*,\s*"model"\s*:\s*(?:"(?:[^"\\]|\\.)*"|null)\s*,'
    rb'\s*(?:"resolved_model"\s*:\s*(?:"(?:[^"\\]|\\.)*"|null)\s*,\s*)?"prompt"\s*:'
)


def _looks(record: dict[str, Any]) -> bool:
    return (
        "prompt" in record
        and "response" in record
        and "conversation_id" in record
        and ("datetime_utc" in record or "prompt_json" in record)
    )


def _hint(head: bytes) -> bool:
    return _LONG_FIRST.match(head.removeprefix(BOM)) is not None


@dataclass(slots=True)
class _Exchange:
    """What one record adds to its conversation (its `prompt_json` history only while it may come first)."""

    order: tuple[str, int]
    prompt: str
    response: str
    system: str
    fragments: list[dict[str, Any]]
    results: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    dropped: list[str]
    model: str | None
    title: str | None
    history: list[Any] | None


@dataclass(slots=True)
class _Conversation:
    key: str
    json_path: str | None
    line: int | None
    exchanges: list[_Exchange] = field(default_factory=list)
    earliest: _Exchange | None = None


class LlmCliImporter:
    name = "llm-cli"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        conversations: dict[str, _Conversation] = {}
        for index, record in enumerate(iter_records(stream)):
            if isinstance(record, RecordError):
                yield record
                continue
            where = record.json_path if record.line is None else record.line
            try:
                exchange, conversation_id = _exchange(record.value, index)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
                continue
            key = conversation_id or f"{filename}:{where}"
            conversation = conversations.get(key)
            if conversation is None:
                conversation = conversations[key] = _Conversation(key, record.json_path, record.line)
            _add(conversation, exchange)
        for conversation in conversations.values():
            yield _result(conversation)


def _add(conversation: _Conversation, exchange: _Exchange) -> None:
    """Keep the exchange; only the earliest one's history can be needed."""
    earliest = conversation.earliest
    if earliest is None or exchange.order < earliest.order:
        if earliest is not None:
            earliest.history = None
        conversation.earliest = exchange
    else:
        exchange.history = None
    conversation.exchanges.append(exchange)


def _text(record: dict[str, Any], key: str, what: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if type(value) is not str:
        raise BadRecord(f"{key}: expected {what}, got {type_name(value)}")
    return value


def _list(record: dict[str, Any], key: str) -> list[Any]:
    value = record.get(key)
    if value is None:
        return []
    if type(value) is not list:
        raise BadRecord(f"{key}: expected a list, got {type_name(value)}")
    return value


def _exchange(record: dict[str, Any], index: int) -> tuple[_Exchange, str | None]:
    if type(record) is not dict:
        raise BadRecord(f"expected a JSON object, got {type_name(record)}")
    if "prompt" not in record and "response" not in record:
        raise BadRecord("expected an `llm logs` record with a prompt and a response, got neither")
    prompt = _text(record, "prompt", "the prompt's text")
    response = _text(record, "response", "the response's text")
    conversation_id = record.get("conversation_id")
    if conversation_id is not None and type(conversation_id) is not str and type(conversation_id) is not int:
        raise BadRecord(f"conversation_id: expected an id, got {type_name(conversation_id)}")
    fragments = [
        {"type": "context", "tag": "fragment", "text": f["content"], "name": _fragment_name(f)}
        for f in _list(record, "prompt_fragments")
        if type(f) is dict and type(f.get("content")) is str and f["content"].strip()
    ]
    system_bits = [
        f["content"]
        for f in _list(record, "system_fragments")
        if type(f) is dict and type(f.get("content")) is str
    ]
    system_bits.append(_text(record, "system", "the system prompt's text"))
    moment = record.get("datetime_utc")
    model = record.get("model")
    name = record.get("conversation_name")
    exchange = _Exchange(
        order=(moment if type(moment) is str else "", index),
        prompt=prompt,
        response=response,
        system="\n\n".join(bit.strip() for bit in system_bits if bit.strip()),
        fragments=fragments,
        results=[r for r in _list(record, "tool_results") if type(r) is dict],
        calls=[c for c in _list(record, "tool_calls") if type(c) is dict],
        dropped=[_attachment_kind(a) for a in _list(record, "attachments")],
        model=model if type(model) is str and model else None,
        title=name if type(name) is str and name.strip() else None,
        history=_history(record.get("prompt_json"), bool(prompt.strip())),
    )
    return exchange, None if conversation_id is None or conversation_id == "" else str(conversation_id)


def _fragment_name(fragment: dict[str, Any]) -> str | None:
    aliases = fragment.get("aliases")
    if type(aliases) is list and aliases and type(aliases[0]) is str:
        return str(aliases[0])
    source = fragment.get("source", fragment.get("hash"))
    return source if type(source) is str else None


def _attachment_kind(attachment: Any) -> str:
    kind = attachment.get("type") if type(attachment) is dict else None
    if type(kind) is not str or not kind:
        return "file"
    major = kind.split("/", 1)[0]
    return major if major in ("image", "audio", "video") else "file"


def _history(prompt_json: Any, prompted: bool) -> list[Any] | None:
    """The messages an OpenAI-style `prompt_json` sent before this record's own (its tool results and, when it
    has one, its prompt, at the end), when they hold an earlier answer."""
    messages = prompt_json.get("messages") if type(prompt_json) is dict else None
    if type(messages) is not list:
        return None
    end = len(messages)
    while end and type(messages[end - 1]) is dict and messages[end - 1].get("role") in ("tool", "function"):
        end -= 1
    if prompted and end and type(messages[end - 1]) is dict and messages[end - 1].get("role") == "user":
        end -= 1
    earlier = messages[:end]
    if not any(type(m) is dict and m.get("role") == "assistant" for m in earlier):
        return None
    return earlier


def _result(conversation: _Conversation) -> ParseResult:
    exchanges = sorted(conversation.exchanges, key=lambda e: e.order)
    builder = TurnBuilder()
    systems: list[str] = []
    history = exchanges[0].history
    if history:
        systems = [m["content"] for m in history if _is_system(m)]
        try:
            add_messages(builder, [m for m in history if not _is_system(m)], "prompt_json.messages")
        except BadRecord:
            builder, systems = TurnBuilder(), []  # a history llm did not write: read the records alone
    models: list[str] = []
    for exchange in exchanges:
        _turns(builder, exchange)
        if exchange.system and exchange.system not in systems:
            systems.append(exchange.system)
        if exchange.model and exchange.model not in models:
            models.append(exchange.model)
    for system in systems:
        builder.system(system)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        return Skipped(_NO_TALK)
    first = exchanges[0]
    metadata: dict[str, Any] = {"models": models} if models else {}
    if first.order[0]:
        metadata["create_time"] = first.order[0]
    title = next((e.title for e in exchanges if e.title), None)
    prompt = next((e.prompt for e in exchanges if e.prompt.strip()), "")
    result = builder.conversation(
        conversation.key, title=title or prompt_title(prompt) or None, metadata=metadata
    )
    result.json_path, result.line = conversation.json_path, conversation.line
    return result


def _is_system(message: Any) -> bool:
    return type(message) is dict and message.get("role") == "system" and type(message.get("content")) is str


def _turns(builder: TurnBuilder, exchange: _Exchange) -> None:
    for result in exchange.results:
        output = result.get("output")
        text = output if type(output) is str else "" if output is None else str(output)
        builder.block(tool_result(_call_id(result), text, bool(result.get("exception"))))
    builder.user(exchange.prompt, blocks=exchange.fragments or None)
    builder.text(exchange.response)
    for call in exchange.calls:
        builder.block(tool_use(_call_id(call), call.get("name"), parse_arguments(call.get("arguments"))))
    for kind in exchange.dropped:
        builder.dropped[kind] += 1


def _call_id(item: dict[str, Any]) -> str | None:
    value = item.get("tool_call_id", item.get("id"))
    return str(value) if (type(value) is str and value) or type(value) is int else None


importer = LlmCliImporter()
