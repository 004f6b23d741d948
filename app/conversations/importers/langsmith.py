"""LangSmith runs saved as JSON (a run object, a JSON array of them, or JSON Lines, as the SDK's `Run` objects
dump): `{id, name, run_type, inputs, outputs, extra, start_time, ...}`.

A chat model run (`run_type: "llm"`) holds the prompt under `inputs.messages` as a batch, a list of message
lists of which the first is read, and the answer under `outputs.generations[0][0]`: its `message`, else its
`text`. A graph or chain run holds the conversation state under `inputs.messages` and `outputs.messages`; the
output's list is read when it continues the input's, else the two one after the other. Messages are LangChain's
(`dumpd`'s `{lc, type: "constructor", id, kwargs}` or `messages_to_dict`'s `{type, data}`) or `{role, content}`
ones. The run's `id` is the external id; its name, type, model (`extra.invocation_params.model`) and thread
(`extra.metadata.thread_id`) are metadata. A run without an output (it failed or is still running) is skipped.
The steps of one LangGraph thread are runs of their own whose conversations grow one from another: their pairs
repeat, and a repeated pair is linked to the first one rather than queued again.
"""

from __future__ import annotations

from typing import Any

from . import langchain
from ._json import BadRecord
from ._records import RecordImporter, as_object, expect, external_id, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, SkipRecord
from .openai import add_message

_NO_OUTPUT = "LangSmith run without an output (failed or still running)"


def _looks(record: dict[str, Any]) -> bool:
    inputs = record.get("inputs")
    return (
        type(inputs) is dict
        and type(inputs.get("messages")) is list
        and "outputs" in record
        and ("run_type" in record or "trace_id" in record)
    )


def _hint(head: bytes) -> bool:
    return b'"run_type"' in head and b'"inputs"' in head and b'"messages"' in head


def _add(builder: TurnBuilder, message: Any, where: str) -> None:
    if type(message) is not dict:
        raise BadRecord(f"{where}: expected an object, got {type_name(message)}")
    if "role" in message and "lc" not in message:
        add_message(builder, message, where)
    else:
        langchain.add(builder, message, where)


def _answer(outputs: dict[str, Any]) -> tuple[list[Any], str] | None:
    """The output's messages and where they are, or None without any."""
    generations = outputs.get("generations")
    if type(generations) is list and generations:
        first = generations[0][0] if type(generations[0]) is list and generations[0] else generations[0]
        if type(first) is dict:
            if type(first.get("message")) is dict:
                return [first["message"]], "outputs.generations[0][0].message"
            if type(first.get("text")) is str:
                return [{"role": "assistant", "content": first["text"]}], "outputs.generations[0][0].text"
    if type(outputs.get("messages")) is list:
        return outputs["messages"], "outputs.messages"
    return None


def _texts(messages: list[Any]) -> list[str]:
    """What identifies each message when comparing lists: its content, wherever the shape keeps it."""
    found = []
    for message in messages:
        data = message.get("kwargs", message.get("data", message)) if type(message) is dict else None
        found.append(str(data.get("content")) if type(data) is dict else "")
    return found


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    inputs = expect(expect(record.get("inputs"), dict, "inputs").get("messages"), list, "inputs.messages")
    field = "inputs.messages"
    if inputs and type(inputs[0]) is list:  # a chat model's batch: the first prompt
        inputs, field = inputs[0], "inputs.messages[0]"
    outputs = record.get("outputs")
    if outputs is None:
        raise SkipRecord(_NO_OUTPUT)
    answer = _answer(expect(outputs, dict, "outputs"))
    if answer is None:
        raise BadRecord("outputs: expected generations or messages")
    messages, where = answer
    builder = TurnBuilder()
    if where == "outputs.messages" and _texts(messages)[: len(inputs)] == _texts(inputs):
        for i, message in enumerate(messages):
            _add(builder, message, f"{where}[{i}]")
    else:
        for i, message in enumerate(inputs):
            _add(builder, message, f"{field}[{i}]")
        for i, message in enumerate(messages):
            _add(builder, message, where if len(messages) == 1 else f"{where}[{i}]")
    extra = as_object(record.get("extra"))
    params, meta = as_object(extra.get("invocation_params")), as_object(extra.get("metadata"))
    metadata = {
        key: value
        for key, value in (
            ("run_name", record.get("name")),
            ("run_type", record.get("run_type")),
            ("model", params.get("model") or params.get("model_name") or meta.get("ls_model_name")),
            ("thread_id", meta.get("thread_id")),
            ("started_at", record.get("start_time")),
        )
        if type(value) is str and value
    }
    conversation = builder.conversation(external_id(record, fallback), metadata=metadata)
    conversation.title = prompt_title(next((t.text for t in conversation.turns if t.role == "user"), ""))
    return conversation


importer = RecordImporter(name="langsmith", convert=_convert, looks=_looks, hint=_hint, starts=b"{[")
