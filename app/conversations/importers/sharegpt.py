"""ShareGPT: a JSON array (or JSONL) of `{"conversations": [{"from", "value"}], "system"?}`.

The turns may be written as `{"role", "content"}` messages instead (Unsloth's `standardize_sharegpt` and Axolotl's
`chat_template` datasets), read as the `openai` importer reads a message. `function_call` values (a JSON string
`{"name", "arguments"}`) become `tool_use` blocks and `observation` values the `tool_result` of the latest call,
both on the assistant turn. Two preference variants are imported as an explicit pair: `chosen` / `rejected` turn
objects after the conversation (LLaMA-Factory), and the conversation's last turns `chosen_gpt` and `rejected_gpt`
(shibing624/MedicalGPT's DPO rows).

As in the `openai` importer: a conversation restarts after a lost answer (an empty `gpt` turn between two `human`
ones), counted as a dropped `empty answer`; a row in which no `human` turn is answered is an error; the media a
multimodal row lists (`images`, LLaVA's `image`, `videos`, `audios`) are counted as dropped and their placeholders
(`<image>`, ...) taken out of the human turns. A row of another training shape among the rows (OpenAI messages, an
Alpaca or prompt-completion row) is read by its own reader (`_training_rows`).

Function-calling sets in the Hermes format (NousResearch's hermes-function-calling, and the sets built like it)
write the calls into the answer's text, `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`, and the
results into `tool` turns as `<tool_response>...</tool_response>`; a reasoning model's answer opens with
`<think>...</think>`. The calls are `tool_use` blocks, the results their `tool_result`s (the wrapper taken off),
the reasoning a thinking block; only the words around them are the answer's text.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ._json import BadRecord, has_top_key
from ._records import RecordImporter, expect, external_id, first_byte
from ._training_rows import (
    LostAnswers,
    MixedRowsImporter,
    media_placeholders,
    require_exchange,
    restarted,
    without_placeholders,
)
from ._turns import TurnBuilder, append_pair, tool_result, tool_use
from .base import ParsedConversation, ParsedTurn
from .openai import add_message, message_kind, parse_arguments, without_media

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_USER = ("human", "user")
_ASSISTANT = ("gpt", "assistant", "model", "chatgpt", "bard", "bing")
_TOOL_RESULT = ("observation", "tool", "function_response")
# The answers a DPO row states as its last turns.
_CHOSEN, _REJECTED = "chosen_gpt", "rejected_gpt"


_THINK = re.compile(r"\A\s*<think(?:ing)?>(.*?)</think(?:ing)?>\s*", re.DOTALL)
_HERMES_RESULT = re.compile(r"<tool_response>\s*(.*?)\s*</tool_response>", re.DOTALL)
_HERMES_TAG = re.compile(
    r"<tool_call>\s*(?P<call>.*?)\s*</tool_call>|<tool_response>\s*(?P<result>.*?)\s*</tool_response>",
    re.DOTALL,
)


def _add_answer(builder: TurnBuilder, value: str, calls: int) -> int:
    """An answer's text, its reasoning and its Hermes-format tool calls (and results, where a stated answer holds the
    whole exchange inline), in order; returns the calls numbered so far."""
    if "<think" in value[:64] and (thought := _THINK.match(value)) is not None:
        builder.thinking(thought.group(1).strip())
        value = value[thought.end() :]
    if "<tool_call>" not in value:
        builder.text(value)
        return calls
    at = 0
    for match in _HERMES_TAG.finditer(value):
        builder.text(value[at : match.start()].strip())
        if match.group("call") is not None:
            calls += 1
            builder.block(_tool_use(match.group("call"), calls))
        else:
            builder.block(tool_result(f"call_{calls}" if calls else None, match.group("result")))
        at = match.end()
    builder.text(value[at:].strip())
    return calls


def _add_results(builder: TurnBuilder, value: str, calls: int) -> None:
    """A tool turn: one result, or (Hermes) one `<tool_response>` per call made, the latest calls' in order."""
    results = _HERMES_RESULT.findall(value) if "<tool_response>" in value else []
    if not results:
        builder.block(tool_result(f"call_{calls}" if calls else None, value))
        return
    first = calls - len(results) + 1
    for k, result in enumerate(results):
        number = first + k
        builder.block(tool_result(f"call_{number}" if number > 0 else None, result))


def _tool_use(value: str, number: int) -> dict[str, Any]:
    # ShareGPT calls have no ids; number them so each observation can point at its call.
    try:
        call = orjson.loads(value)
    except orjson.JSONDecodeError:
        call = None
    if type(call) is not dict:
        return tool_use(f"call_{number}", None, value)
    return tool_use(f"call_{number}", call.get("name"), parse_arguments(call.get("arguments")))


def _kind(turn: Any) -> str:
    """What a turn is to `LostAnswers` (`message_kind` for a `{role, content}` message)."""
    if type(turn) is not dict:
        return "other"
    if "from" not in turn:
        return message_kind(turn)
    source = turn.get("from")
    if source in _USER:
        return "user"
    if source in _ASSISTANT:
        value = turn.get(_text_key(turn))
        return "empty" if type(value) is str and (not value or value.isspace()) else "answer"
    return "answer" if source == "function_call" or source in _TOOL_RESULT else "other"


def _read_turns(builder: TurnBuilder, turns: list[Any], placeholders: tuple[str, ...]) -> TurnBuilder:
    """`builder` fed the turns (a new one when a lost answer restarts the conversation); BadRecord names a bad turn."""
    calls = 0
    watch = LostAnswers()
    for i, turn in enumerate(turns):
        where = f"conversations[{i}]"
        if watch.restarts(_kind(turn)):
            builder = restarted(builder)
        if "from" not in expect(turn, dict, where) and "role" in turn:
            add_message(builder, without_media(turn, placeholders), where)
            continue
        source = turn.get("from")
        key = _text_key(turn)
        value = expect(turn.get(key), str, f"{where}.{key}")
        if source in _USER:
            builder.user(without_placeholders(value, placeholders))
        elif source in _ASSISTANT:
            calls = _add_answer(builder, value, calls)
        elif source == "system":
            builder.system(value)
        elif source == "function_call":
            calls += 1
            builder.block(_tool_use(value, calls))
        elif source in _TOOL_RESULT:
            _add_results(builder, value, calls)
        elif source in (_CHOSEN, _REJECTED):
            raise BadRecord(f"{where}.from: {source} is read only among the last turns, after the prompt")
        else:
            got = orjson.dumps(source).decode()
            expected = '"human", "gpt", "system", "function_call" or "observation"'
            raise BadRecord(f"{where}.from: expected {expected}, got {got}")
    return builder


def _answer(turn: Any, field: str) -> ParsedTurn:
    """A stated answer, `{from, value}` or `{role, content}`, as an assistant turn (its Hermes-format calls and
    reasoning as blocks)."""
    key = _text_key(turn)
    value = expect(expect(turn, dict, field).get(key), str, f"{field}.{key}")
    builder = TurnBuilder()
    _add_answer(builder, value, 0)
    turns = builder.finish(complete=False)
    return turns[0] if turns else ParsedTurn("assistant", value)


def _text_key(turn: Any) -> str:
    """Where a turn holds its text: `value`, or `content` in rows that name the speaker `from` but the text as
    OpenAI does (`{"from": "user", "content": ...}`, a real DPO demo file)."""
    return "content" if type(turn) is dict and "value" not in turn and "content" in turn else "value"


def _stated_answers(turns: list[Any]) -> tuple[list[Any], dict[str, ParsedTurn]]:
    """The turns before the answers a DPO row states as its last turns (`chosen_gpt`, `rejected_gpt`), and those
    answers by name (none when it states none)."""
    end = len(turns)
    while end and type(turns[end - 1]) is dict and turns[end - 1].get("from") in (_CHOSEN, _REJECTED):
        end -= 1
    answers: dict[str, ParsedTurn] = {}
    for i in range(end, len(turns)):
        source = turns[i]["from"]
        if source in answers:
            raise BadRecord(f"conversations[{i}].from: a second {source} turn")
        answers[source] = _answer(turns[i], f"conversations[{i}]")
    if len(answers) == 1:
        missing = _REJECTED if _CHOSEN in answers else _CHOSEN
        raise BadRecord(f"conversations: expected a {missing} turn beside the {next(iter(answers))} one")
    return turns[:end], answers


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    system = record.get("system")
    if system is not None:
        builder.system(expect(system, str, "system"))
    placeholders, media = media_placeholders(record)
    turns, answers = _stated_answers(expect(record.get("conversations"), list, "conversations"))
    builder = _read_turns(builder, turns, placeholders)
    builder.dropped.update(media)
    if "chosen" in record and "rejected" in record:
        answers = {
            _CHOSEN: _answer(record["chosen"], "chosen"),
            _REJECTED: _answer(record["rejected"], "rejected"),
        }
    pairs = None
    if answers:
        parsed = builder.finish(complete=False)
        pairs = append_pair(parsed, answers[_REJECTED], answers[_CHOSEN])
    else:
        parsed = builder.finish()
        require_exchange(parsed)
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=parsed,
        system_prompt=builder.system_prompt,
        explicit_pairs=pairs,
        dropped=dict(+builder.dropped),
    )


def _looks(record: dict[str, Any]) -> bool:
    turns = record.get("conversations")
    if type(turns) is not list:
        return False
    first = turns[0] if turns else None
    return first is None or (
        type(first) is dict and ("from" in first or ("role" in first and "content" in first))
    )


def _hint(head: bytes) -> bool:
    """A head too short for one row: the `conversations` key (the object's own, when the file is one) and a turn's
    `from` or `role`."""
    if b'"conversations"' not in head or (b'"from"' not in head and b'"role"' not in head):
        return False
    return first_byte(head) != ord("{") or has_top_key(head, b'"conversations"')


importer = MixedRowsImporter(
    "sharegpt", RecordImporter(name="sharegpt", convert=_convert, looks=_looks, hint=_hint)
)
