"""Rows of public instruction and chat datasets that are neither OpenAI messages nor ShareGPT turns, JSON Lines or
a JSON array (or Parquet, read as its rows), one conversation per row. The shapes are the datasets' cards:

- UltraChat (stingning/ultrachat): `{"id", "data": [text, text, ...]}`, the texts alternating user and
  assistant, the user first;
- Capybara (LDJnr/Capybara and its kin): `{"source", "conversation": [{"input", "output"}, ...]}`, one user input
  and its answer per item;
- Dolly (databricks/databricks-dolly-15k): `{"instruction", "context", "response", "category"}`: the instruction,
  then the context (when there is one) after a blank line, is the prompt;
- HelpSteer / HelpSteer2 (nvidia): `{"prompt", "response", "helpfulness", "correctness", "coherence",
  "complexity", "verbosity"}`: one exchange, the five ratings kept as metadata (`helpsteer`); a prompt that holds
  earlier turns (HelpSteer2's multi-turn rows: each later turn opened by a line `<extra_id_1>User` or
  `<extra_id_1>Assistant`) is read as those turns.

The row's `id` (UltraChat) or the file and line is the external id; the `source` or `category` is metadata, the
first prompt the title. A row whose texts are not strings is an error naming the field; a row without an answer
is skipped.
"""

from __future__ import annotations

from typing import Any

from ._json import BadRecord
from ._records import RecordImporter, external_id, type_name
from ._turns import TurnBuilder, add_marked_prompt
from .base import ParsedConversation, SkipRecord

_RATINGS = ("helpfulness", "correctness", "coherence", "complexity", "verbosity")
_NO_ANSWER = "dataset row without an answer"


def _text(value: Any, field: str) -> str:
    if type(value) is not str:
        raise BadRecord(f"{field}: expected a string, got {type_name(value)}")
    return value


def _ultrachat(builder: TurnBuilder, texts: list[Any]) -> None:
    for i, text in enumerate(texts):
        (builder.user if i % 2 == 0 else builder.text)(_text(text, f"data[{i}]"))


def _capybara(builder: TurnBuilder, items: list[Any]) -> None:
    for i, item in enumerate(items):
        if type(item) is not dict:
            raise BadRecord(
                f"conversation[{i}]: expected an object with input and output, got {type_name(item)}"
            )
        builder.user(_text(item.get("input"), f"conversation[{i}].input"))
        if item.get("output") is not None:
            builder.text(_text(item.get("output"), f"conversation[{i}].output"))


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    metadata: dict[str, Any] = {}
    if type(record.get("data")) is list:
        _ultrachat(builder, record["data"])
    elif type(record.get("conversation")) is list:
        _capybara(builder, record["conversation"])
    elif "instruction" in record and "response" in record:
        context = record.get("context")
        prompt = _text(record.get("instruction"), "instruction")
        if context is not None and _text(context, "context").strip():
            prompt = f"{prompt}\n\n{context}"
        builder.user(prompt)
        builder.text(_text(record.get("response"), "response"))
    else:
        add_marked_prompt(builder, _text(record.get("prompt"), "prompt"))
        builder.text(_text(record.get("response"), "response"))
        ratings = {key: record[key] for key in _RATINGS if type(record.get(key)) in (int, float)}
        if ratings:
            metadata["helpsteer"] = ratings
    for key in ("source", "category"):
        if type(record.get(key)) is str and record[key]:
            metadata[key] = record[key]
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        raise SkipRecord(_NO_ANSWER)
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


def _looks(record: dict[str, Any]) -> bool:
    data = record.get("data")
    if type(data) is list and data and all(type(text) is str for text in data[:2]):
        return True
    conversation = record.get("conversation")
    if type(conversation) is list and conversation and type(conversation[0]) is dict:
        return "input" in conversation[0] and "output" in conversation[0]
    if "instruction" in record and "response" in record and "chosen" not in record:
        return True
    return "prompt" in record and "response" in record and any(key in record for key in _RATINGS)


def _hint(head: bytes) -> bool:
    return (b'"conversation"' in head and b'"input"' in head and b'"output"' in head) or (
        b'"instruction"' in head and b'"response"' in head and b'"chosen"' not in head
    )


importer = RecordImporter(name="sft-dataset", convert=_convert, looks=_looks, hint=_hint)
