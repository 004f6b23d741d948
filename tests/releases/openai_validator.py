"""An independent checker of OpenAI fine-tuning files, written from OpenAI's documented rules (formats.md).

Deliberately shares no code with app.releases: it reads the bytes on disk and judges them on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 512 * 1024 * 1024
MIN_TRAINING_EXAMPLES = 10
ROLES = {"system", "user", "assistant", "tool"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id"}
SFT_KEYS = {"messages", "tools", "parallel_tool_calls"}
DPO_KEYS = {"input", "preferred_output", "non_preferred_output"}
DPO_INPUT_KEYS = {"messages", "tools", "parallel_tool_calls"}


def validate_file(path: Path, *, method: str, training: bool = True) -> list[str]:
    """Problems found in a JSONL file for `method` "supervised" or "dpo"; an empty list means valid."""
    problems: list[str] = []
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        problems.append(f"file is {len(raw)} bytes, over OpenAI's 512 MB limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"not UTF-8: {exc}"]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            problems.append(f"line {number}: blank line")
            continue
        try:
            example = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        check = _check_sft if method == "supervised" else _check_dpo
        problems.extend(f"line {number}: {p}" for p in check(example))
    if training and len(lines) < MIN_TRAINING_EXAMPLES:
        problems.append(f"{len(lines)} examples; a training file needs at least {MIN_TRAINING_EXAMPLES}")
    return problems


def _check_sft(example: Any) -> list[str]:
    if not isinstance(example, dict):
        return ["example is not a JSON object"]
    problems = [f"unexpected top-level key {k!r}" for k in example if k not in SFT_KEYS]
    messages = example.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "`messages` must be a non-empty list"]
    for index, message in enumerate(messages):
        problems.extend(f"messages[{index}]: {p}" for p in _check_message(message))
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        problems.append("no assistant message to train on")
    problems.extend(_check_tools_fields(example))
    return problems


def _check_dpo(example: Any) -> list[str]:
    if not isinstance(example, dict):
        return ["example is not a JSON object"]
    problems = [f"unexpected top-level key {k!r}" for k in example if k not in DPO_KEYS]
    source = example.get("input")
    if not isinstance(source, dict):
        problems.append("`input` must be an object")
    else:
        problems.extend(f"unexpected input key {k!r}" for k in source if k not in DPO_INPUT_KEYS)
        messages = source.get("messages")
        if not isinstance(messages, list) or not messages:
            problems.append("`input.messages` must be a non-empty list")
        else:
            for index, message in enumerate(messages):
                problems.extend(f"input.messages[{index}]: {p}" for p in _check_message(message))
            last = messages[-1]
            if isinstance(last, dict) and last.get("role") == "assistant":
                problems.append("`input.messages` must end before the answer (last role is assistant)")
        problems.extend(_check_tools_fields(source))
    for key in ("preferred_output", "non_preferred_output"):
        output = example.get(key)
        if not isinstance(output, list) or len(output) != 1:
            problems.append(f"`{key}` must be a list of exactly one message")
            continue
        message = output[0]
        problems.extend(f"{key}[0]: {p}" for p in _check_message(message))
        if isinstance(message, dict) and message.get("role") != "assistant":
            problems.append(f"`{key}` must be an assistant message")
    return problems


def _check_message(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return ["message is not an object"]
    problems = [f"unknown key {k!r}" for k in message if k not in MESSAGE_KEYS]
    role = message.get("role")
    if role not in ROLES:
        problems.append(f"role {role!r} is not one of {sorted(ROLES)}")
    content = message.get("content")
    has_calls = bool(message.get("tool_calls"))
    if not (isinstance(content, str) and content) and not (
        role == "assistant" and has_calls and content is None
    ):
        problems.append("content must be a non-empty string")
    if "weight" in message and (role != "assistant" or message["weight"] not in (0, 1)):
        problems.append("weight is allowed only on assistant messages, as 0 or 1")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        problems.append("tool messages need a tool_call_id")
    for call in message.get("tool_calls") or []:
        arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
        if not isinstance(arguments, str):
            problems.append("tool_calls[].function.arguments must be a JSON string")
    return problems


def _check_tools_fields(holder: dict[str, Any]) -> list[str]:
    problems = []
    if "tools" in holder and not isinstance(holder["tools"], list):
        problems.append("`tools` must be a list")
    if "parallel_tool_calls" in holder and not isinstance(holder["parallel_tool_calls"], bool):
        problems.append("`parallel_tool_calls` must be a boolean")
    return problems


def assert_valid(path: Path, *, kind: str, training: bool = True) -> None:
    """Fail the test with every problem listed; `kind` is the export kind, sft or dpo."""
    problems = validate_file(path, method="supervised" if kind == "sft" else "dpo", training=training)
    assert not problems, f"{path.name} breaks OpenAI's rules:\n" + "\n".join(problems[:20])
