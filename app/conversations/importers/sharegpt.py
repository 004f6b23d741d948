"""ShareGPT: a JSON array (or JSONL) of `{"conversations": [{"from", "value"}], "system"?}`.

`function_call` values (a JSON string `{"name", "arguments"}`) become `tool_use` blocks and `observation`
values the `tool_result` of the latest call, both on the assistant turn. The preference variant, with
`chosen` / `rejected` turn objects after the conversation, is imported as an explicit pair.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id
from ._turns import TurnBuilder, append_pair, tool_result, tool_use
from .base import ParsedConversation, ParsedTurn
from .openai import parse_arguments

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_USER = ("human", "user")
_ASSISTANT = ("gpt", "assistant", "model", "chatgpt", "bard", "bing")
_TOOL_RESULT = ("observation", "tool", "function_response")


def _tool_use(value: str, number: int) -> dict[str, Any]:
    # ShareGPT calls have no ids; number them so each observation can point at its call.
    try:
        call = orjson.loads(value)
    except orjson.JSONDecodeError:
        call = None
    if type(call) is not dict:
        return tool_use(f"call_{number}", None, value)
    return tool_use(f"call_{number}", call.get("name"), parse_arguments(call.get("arguments")))


def _add_turns(builder: TurnBuilder, turns: list[Any]) -> None:
    calls = 0
    for i, turn in enumerate(turns):
        where = f"conversations[{i}]"
        source = expect(turn, dict, where).get("from")
        value = expect(turn.get("value"), str, f"{where}.value")
        if source in _USER:
            builder.user(value)
        elif source in _ASSISTANT:
            builder.text(value)
        elif source == "system":
            builder.system(value)
        elif source == "function_call":
            calls += 1
            builder.block(_tool_use(value, calls))
        elif source in _TOOL_RESULT:
            builder.block(tool_result(f"call_{calls}" if calls else None, value))
        else:
            got = orjson.dumps(source).decode()
            expected = '"human", "gpt", "system", "function_call" or "observation"'
            raise BadRecord(f"{where}.from: expected {expected}, got {got}")


def _answer(record: dict[str, Any], key: str) -> ParsedTurn:
    turn = expect(record[key], dict, key)
    return ParsedTurn("assistant", expect(turn.get("value"), str, f"{key}.value"))


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    system = record.get("system")
    if system is not None:
        builder.system(expect(system, str, "system"))
    _add_turns(builder, expect(record.get("conversations"), list, "conversations"))
    pairs = None
    if "chosen" in record and "rejected" in record:
        turns = builder.finish(complete=False)
        pairs = append_pair(turns, _answer(record, "rejected"), _answer(record, "chosen"))
    else:
        turns = builder.finish()
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        system_prompt=builder.system_prompt,
        explicit_pairs=pairs,
    )


def _looks(record: dict[str, Any]) -> bool:
    turns = record.get("conversations")
    return type(turns) is list and (not turns or (type(turns[0]) is dict and "from" in turns[0]))


importer = RecordImporter(
    name="sharegpt",
    convert=_convert,
    looks=_looks,
    hint=lambda head: b'"conversations"' in head and b'"from"' in head,
)
