"""Rows of public instruction and chat datasets that are neither OpenAI messages nor ShareGPT turns, JSON Lines or
a JSON array (or Parquet, read as its rows), one conversation per row. The shapes are the datasets' cards and the
training frameworks' documentation:

- UltraChat (stingning/ultrachat): `{"id", "data": [text, text, ...]}`, the texts alternating user and
  assistant, the user first;
- Capybara (LDJnr/Capybara and its kin): `{"source", "conversation": [{"input", "output"}, ...]}`, one user input
  and its answer per item;
- Dolly (databricks/databricks-dolly-15k): `{"instruction", "context", "response", "category"}`: the instruction,
  then the context (when there is one) after a blank line, is the prompt;
- HelpSteer / HelpSteer2 (nvidia): `{"prompt", "response", "helpfulness", "correctness", "coherence",
  "complexity", "verbosity"}`: one exchange, the five ratings kept as metadata (`helpsteer`); a prompt that holds
  earlier turns (HelpSteer2's multi-turn rows: each later turn opened by a line `<extra_id_1>User` or
  `<extra_id_1>Assistant`) is read as those turns;
- Alpaca (Stanford Alpaca, LLaMA-Factory's `alpaca` format): `{"instruction", "input"?, "output", "system"?,
  "history"?: [[prompt, answer], ...]}`: the instruction, then the input (when there is one) after a blank line,
  is the prompt, as Stanford Alpaca's template puts them both before the model; `system` is the system prompt and
  `history` the exchanges before;
- ms-swift's (and Qwen's) query-response rows: `{"system"?, "query", "response", "history"?}`, read as Alpaca's;
- prompt-completion rows (TRL's prompt-completion datasets, mlx-lm's `completions`): `{"prompt", "completion"}`,
  strings, or in TRL's conversational form a list of messages and a list holding the assistant's message; TRL's
  unpaired preference rows (KTO) keep their `label` as metadata;
- one exchange a script logged (a real `conversation_history.json` of `{"prompt", "response"}`, a real
  `chat_history.jsonl` of `{"user", "assistant", "model", ...}`): both strings, the prompt and its answer (a reasoning
  model's `<think>` opening the answer kept as a thinking block); `model` is metadata, other keys (settings, times)
  are left out;
- glaive-function-calling-v2 (glaiveai): `{"system", "chat"}`, `system` the system prompt (after its `SYSTEM: `)
  and `chat` the turns in one string, each opened by `USER: `, `ASSISTANT: ` or `FUNCTION RESPONSE: ` (an answer
  ends with `<|endoftext|>`): an answer's `<functioncall> {"name", "arguments"}` is a tool call, the function's
  response its result.

An empty answer in a `history` (an exchange whose answer was lost) restarts the conversation after it, as the
`openai` importer does, and the media a row lists (`images`, `videos`, `audios`) are counted as dropped, their
placeholders (`<image>`, ...) taken out of the prompt. The row's `id` (UltraChat) or the file and line is the
external id; the `source` or `category` is metadata, the first prompt the title. A row whose texts are not strings
is an error naming the field; a row without an answer is skipped. A row of another training shape among the rows
(OpenAI messages, ShareGPT turns) is read by its own reader (`_training_rows`).
"""

from __future__ import annotations

import re
from typing import Any

from ._json import BadRecord, has_top_key
from ._records import RecordImporter, external_id, first_byte, type_name
from ._training_rows import (
    LostAnswers,
    MixedRowsImporter,
    media_placeholders,
    restarted,
    without_placeholders,
)
from ._turns import TurnBuilder, add_marked_prompt, split_thinking, tool_result, tool_use
from .base import ParsedConversation, SkipRecord
from .openai import add_message, message_kind, parse_arguments, read_messages

_RATINGS = ("helpfulness", "correctness", "coherence", "complexity", "verbosity")
_NO_ANSWER = "dataset row without an answer"


def _text(value: Any, field: str) -> str:
    if type(value) is not str:
        raise BadRecord(f"{field}: expected a string, got {type_name(value)}")
    return value


def _answer(record: dict[str, Any], field: str) -> str:
    """The row's answer; SkipRecord when it has none (left out or blank)."""
    answer = record.get(field)
    if answer is None or not _text(answer, field).strip():
        raise SkipRecord(_NO_ANSWER)
    return answer


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


def _is_alpaca(record: dict[str, Any]) -> bool:
    """An Alpaca row (its `output` may be left out), not a preference one."""
    return (
        "instruction" in record
        and ("output" in record or "input" in record)
        and "chosen" not in record
        and "rejected" not in record
    )


def _history(builder: TurnBuilder, history: Any) -> TurnBuilder:
    """`builder` fed the exchanges before the prompt (`history: [[prompt, answer], ...]`), restarted after one whose
    answer is empty."""
    if history is None:
        return builder
    if type(history) is not list:
        raise BadRecord(f"history: expected a list of [prompt, answer] pairs, got {type_name(history)}")
    watch = LostAnswers()
    for i, pair in enumerate(history):
        if type(pair) is not list or len(pair) != 2 or not all(type(text) is str for text in pair):
            raise BadRecord(f"history[{i}]: expected a [prompt, answer] pair of strings")
        if watch.restarts("user"):
            builder = restarted(builder)
        builder.user(pair[0])
        watch.restarts("answer" if pair[1].strip() else "empty")
        builder.text(pair[1])
    if watch.restarts("user"):
        builder = restarted(builder)
    return builder


def _exchange(record: dict[str, Any], prompt: str, answer: str, placeholders: tuple[str, ...]) -> TurnBuilder:
    """An Alpaca or ms-swift row: its system prompt, the exchanges before, the prompt and its `answer` field."""
    builder = TurnBuilder()
    if record.get("system") is not None:
        builder.system(_text(record["system"], "system"))
    builder = _history(builder, record.get("history"))
    builder.user(without_placeholders(prompt, placeholders))
    builder.text(_answer(record, answer))
    return builder


def _alpaca_prompt(record: dict[str, Any]) -> str:
    """The instruction, then the input after a blank line (either alone when the other is blank)."""
    extra = record.get("input")
    texts = (_text(record["instruction"], "instruction"), "" if extra is None else _text(extra, "input"))
    return "\n\n".join(text for text in texts if text.strip())


def _completion(record: dict[str, Any], placeholders: tuple[str, ...]) -> TurnBuilder:
    """A prompt-completion row: strings, or (TRL's conversational form) the prompt's messages and the answer's."""
    prompt, completion = record.get("prompt"), record.get("completion")
    if type(prompt) is list:
        builder = read_messages(prompt, "prompt", placeholders)
    else:
        builder = TurnBuilder()
        builder.user(without_placeholders(_text(prompt, "prompt"), placeholders))
    if type(completion) is not list:
        builder.text(_answer(record, "completion"))
        return builder
    kinds = [message_kind(message) for message in completion]
    for i, message in enumerate(completion):
        if kinds[i] not in ("answer", "empty"):
            raise BadRecord(f"completion[{i}]: expected the assistant's message, got {_speaker(message)}")
        add_message(builder, message, f"completion[{i}]")
    if "answer" not in kinds:
        raise SkipRecord(_NO_ANSWER)
    return builder


# glaive-function-calling-v2's speakers, each at the start of the chat or after white space.
_GLAIVE_SPEAKER = re.compile(r"(?:^|\s)(USER|ASSISTANT|FUNCTION RESPONSE): ")
_GLAIVE_CALL = re.compile(r"<functioncall>\s*(.*?)\s*(?:<\|endoftext\|>|$)", re.DOTALL)


def _glaive(builder: TurnBuilder, record: dict[str, Any]) -> None:
    """A glaive-function-calling-v2 row: `system`, and `chat` as `USER: ` / `ASSISTANT: ` / `FUNCTION RESPONSE: `."""
    system = record.get("system")
    if system is not None:
        builder.system(_text(system, "system").removeprefix("SYSTEM: ").strip())
    chat = _text(record.get("chat"), "chat")
    pieces = _GLAIVE_SPEAKER.split(chat)
    if pieces[0].strip():
        raise BadRecord("chat: expected it to open with USER: or ASSISTANT:")
    calls = 0
    for speaker, said in zip(pieces[1::2], pieces[2::2], strict=True):
        said = said.replace("<|endoftext|>", "").strip()
        if speaker == "USER":
            builder.user(said)
        elif speaker == "FUNCTION RESPONSE":
            builder.block(tool_result(f"call_{calls}" if calls else None, said))
        elif (call := _GLAIVE_CALL.search(said)) is not None:
            builder.text(said[: call.start()].strip())
            calls += 1
            builder.block(_glaive_call(call.group(1), calls))
        else:
            builder.text(said)


def _glaive_call(written: str, number: int) -> dict[str, Any]:
    """`{"name": "f", "arguments": '{"x": 1}'}`: glaive quotes the arguments with single quotes, so the call is not
    JSON; the name and the arguments are read apart."""
    name = re.search(r'"name"\s*:\s*"([^"]*)"', written)
    arguments = re.search(r"\"arguments\"\s*:\s*'(.*)'\s*\}\s*$", written, re.DOTALL)
    given: Any = written
    if arguments is not None:
        given = parse_arguments(arguments.group(1))
    return tool_use(f"call_{number}", name.group(1) if name else None, given)


def _speaker(message: Any) -> str:
    role = message.get("role") if type(message) is dict else None
    return f"a {role} message" if type(role) is str else type_name(message)


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    metadata: dict[str, Any] = {}
    placeholders, media = media_placeholders(record)
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
    elif _is_alpaca(record):
        builder = _exchange(record, _alpaca_prompt(record), "output", placeholders)
    elif "query" in record and "response" in record:
        builder = _exchange(record, _text(record["query"], "query"), "response", placeholders)
    elif _is_glaive(record):
        _glaive(builder, record)
    elif "completion" in record:
        builder = _completion(record, placeholders)
        if type(record.get("label")) is bool:
            metadata["label"] = record["label"]
    elif _is_logged_exchange(record):
        prompt_key, answer_key = ("user", "assistant") if "user" in record else ("prompt", "response")
        builder.user(_text(record[prompt_key], prompt_key))
        thinking, answer = split_thinking(_answer(record, answer_key))
        if thinking:
            builder.block({"type": "thinking", "thinking": thinking})
        builder.text(answer)
        if type(record.get("model")) is str and record["model"]:
            metadata["model"] = record["model"]
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
    builder.dropped.update(media)
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped=dict(+builder.dropped),
    )


# A logged call's settings, and the times a chat app stamps its exchanges with.
_SETTINGS = ("model", "temperature", "top_p", "max_tokens", "options", "parameters")
_TIMES = ("timestamp", "time", "created_at", "date", "datetime", "ts", "timestamp_utc")


def _is_logged_exchange(record: dict[str, Any]) -> bool:
    """`{prompt, response}` without HelpSteer's ratings, or `{user, assistant}`: strings, no preference beside them.

    Exchanges stamped with a time and no call settings are a chat app's log of one chat (seconds apart, each
    answering the one before): the chat-log reader's, which reads them as one conversation."""
    if "chosen" in record or "rejected" in record:
        return False
    if any(key in record for key in _TIMES) and not any(key in record for key in _SETTINGS):
        return False
    if type(record.get("user")) is str and type(record.get("assistant")) is str:
        return True
    return (
        type(record.get("prompt")) is str
        and type(record.get("response")) is str
        and not any(key in record for key in _RATINGS)
    )


def _is_glaive(record: dict[str, Any]) -> bool:
    chat = record.get("chat")
    return type(chat) is str and chat.lstrip().startswith(("USER: ", "ASSISTANT: "))


def _looks(record: dict[str, Any]) -> bool:
    if _is_glaive(record):
        return True
    data = record.get("data")
    if type(data) is list and data and all(type(text) is str for text in data[:2]):
        return True
    conversation = record.get("conversation")
    if type(conversation) is list and conversation and type(conversation[0]) is dict:
        return "input" in conversation[0] and "output" in conversation[0]
    if "instruction" in record and "response" in record and "chosen" not in record:
        return True
    if _is_alpaca(record) or ("query" in record and "response" in record):
        return True
    if "prompt" in record and "completion" in record and "chosen" not in record:
        return True
    if _is_logged_exchange(record):
        return True
    return "prompt" in record and "response" in record and any(key in record for key in _RATINGS)


# Keys of a row's shape, and the keys one of which comes with them.
_HINTS = (
    (b'"chat"', (b"USER: ",)),
    (b'"instruction"', (b'"response"', b'"output"', b'"input"')),
    (b'"query"', (b'"response"',)),
    (b'"prompt"', (b'"completion"', b'"response"')),
    (b'"user"', (b'"assistant"',)),
)


def _hint(head: bytes) -> bool:
    """A head too short for one row: the keys of a row's shape (the object's own, when the file is one)."""
    if b'"conversation"' in head and b'"input"' in head and b'"output"' in head:
        return True
    if b'"chosen"' in head:
        return False  # a preference row's
    for key, signs in _HINTS:
        if key in head and any(sign in head for sign in signs):
            return first_byte(head) != ord("{") or has_top_key(head, key)
    return False


importer = MixedRowsImporter(
    "sft-dataset", RecordImporter(name="sft-dataset", convert=_convert, looks=_looks, hint=_hint)
)
