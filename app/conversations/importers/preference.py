"""Existing preference pairs, JSONL or a JSON array, in the two common shapes.

- TRL: `{"prompt", "chosen", "rejected"}`, each a string (standard) or a message list (conversational);
  without `prompt`, the messages `chosen` and `rejected` share are the prompt (TRL's implicit prompt).
- OpenAI DPO: `{"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`.

The conversation is the prompt's turns, then the rejected answer, then the chosen one: two assistant
turns in a row (the one exception to alternation), linked by an ExplicitPair.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import expect, external_id, first_byte, head_records, parse_records, type_name
from ._turns import TurnBuilder, append_pair
from .base import ParsedConversation, ParsedTurn, ParseResult
from .openai import add_messages


def _answer(value: Any, field: str) -> ParsedTurn:
    if type(value) is str:
        return ParsedTurn("assistant", value)
    if type(value) is not list:
        raise BadRecord(f"{field}: expected a string or a list of messages, got {type_name(value)}")
    builder = TurnBuilder()
    add_messages(builder, value, field)
    turns = builder.finish(complete=False)
    if len(turns) != 1 or turns[0].role != "assistant":
        raise BadRecord(f"{field}: expected one assistant message")
    return turns[0]


def _shared_prefix(chosen: list[Any], rejected: list[Any]) -> int:
    size = 0
    for a, b in zip(chosen, rejected, strict=False):
        if a != b:
            break
        size += 1
    return size


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    if "preferred_output" in record or "input" in record:
        add_messages(builder, expect(record.get("input"), dict, "input").get("messages"), "input.messages")
        chosen_key, rejected_key = "preferred_output", "non_preferred_output"
        chosen, rejected = record.get(chosen_key), record.get(rejected_key)
    else:
        chosen_key, rejected_key = "chosen", "rejected"
        chosen, rejected, prompt = record.get("chosen"), record.get("rejected"), record.get("prompt")
        if prompt is None and type(chosen) is list and type(rejected) is list:
            size = _shared_prefix(chosen, rejected)
            prompt, chosen, rejected = chosen[:size], chosen[size:], rejected[size:]
        if type(prompt) is str:
            builder.user(prompt)
        elif type(prompt) is list:
            add_messages(builder, prompt, "prompt")
        else:
            raise BadRecord(f"prompt: expected a string or a list of messages, got {type_name(prompt)}")
    turns = builder.finish(complete=False)
    pairs = append_pair(turns, _answer(rejected, rejected_key), _answer(chosen, chosen_key))
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        system_prompt=builder.system_prompt,
        explicit_pairs=pairs,
    )


def _is_preference(record: dict[str, Any]) -> bool:
    if "preferred_output" in record:
        return True
    return "chosen" in record and "rejected" in record and "conversations" not in record


class PreferenceImporter:
    name = "preference"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records:
            return _is_preference(records[0])
        if first_byte(head) not in (ord("{"), ord("[")):
            return False
        if b'"preferred_output"' in head:
            return True
        return b'"chosen"' in head and b'"rejected"' in head and b'"conversations"' not in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(stream, filename, _convert)


importer = PreferenceImporter()
