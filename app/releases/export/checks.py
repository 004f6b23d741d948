"""The format checks of OpenAI's data-preparation cookbook, applied to a row exactly as it is written.

The cookbook checks SFT `messages`; the same rules are applied to every message list of the other shapes
(DPO input and outputs, TRL prompt/chosen/rejected), and a preference output without an assistant message
counts as `example_missing_assistant_message`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

FORMAT_ERRORS = (
    "data_type",
    "missing_messages_list",
    "message_missing_key",
    "message_unrecognized_key",
    "unrecognized_role",
    "missing_content",
    "example_missing_assistant_message",
)
ALLOWED_KEYS = frozenset({"role", "content", "name", "function_call", "weight", "tool_calls", "tool_call_id"})
ALLOWED_ROLES = frozenset({"system", "user", "assistant", "tool", "function"})


def check_sft(row: Any) -> Counter[str]:
    errors: Counter[str] = Counter()
    if clean_sft(row):
        return errors
    if not isinstance(row, dict):
        errors["data_type"] += 1
        return errors
    _check_list(row.get("messages"), errors, need_assistant=True)
    return errors


def check_dpo_openai(row: Any) -> Counter[str]:
    errors: Counter[str] = Counter()
    if clean_dpo_openai(row):
        return errors
    if not isinstance(row, dict):
        errors["data_type"] += 1
        return errors
    source = row.get("input")
    _check_list(source.get("messages") if isinstance(source, dict) else None, errors, need_assistant=False)
    for key in ("preferred_output", "non_preferred_output"):
        _check_output(row.get(key), errors)
    return errors


def check_dpo_conversational(row: Any) -> Counter[str]:
    errors: Counter[str] = Counter()
    if clean_dpo_conversational(row):
        return errors
    if not isinstance(row, dict):
        errors["data_type"] += 1
        return errors
    _check_list(row.get("prompt"), errors, need_assistant=False)
    for key in ("chosen", "rejected"):
        _check_output(row.get(key), errors)
    return errors


def check_dpo_standard(row: Any) -> Counter[str]:
    errors: Counter[str] = Counter()
    if not isinstance(row, dict):
        errors["data_type"] += 1
        return errors
    for key in ("prompt", "chosen", "rejected"):
        value = row.get(key)
        if not isinstance(value, str):
            errors["data_type"] += 1
        elif not value:
            errors["missing_content"] += 1
    return errors


# Quick answers to "would the check above find nothing?" for the rows an export builds (plain dicts and
# lists of {role, content} messages with text), so the full check only runs on a row that may have errors.


def clean_sft(row: Any) -> bool:
    return type(row) is dict and _clean(row.get("messages"), need_assistant=True)


def clean_dpo_openai(row: Any) -> bool:
    return (
        type(row) is dict
        and type(source := row.get("input")) is dict
        and _clean(source.get("messages"), need_assistant=False)
        and _clean(row.get("preferred_output"), need_assistant=True)
        and _clean(row.get("non_preferred_output"), need_assistant=True)
    )


def clean_dpo_conversational(row: Any) -> bool:
    return (
        type(row) is dict
        and _clean(row.get("prompt"), need_assistant=False)
        and _clean(row.get("chosen"), need_assistant=True)
        and _clean(row.get("rejected"), need_assistant=True)
    )


def clean_dpo_standard(row: Any) -> bool:
    if type(row) is not dict:
        return False
    prompt, chosen, rejected = row.get("prompt"), row.get("chosen"), row.get("rejected")
    return (
        type(prompt) is str
        and type(chosen) is str
        and type(rejected) is str
        and bool(prompt)
        and bool(chosen)
        and bool(rejected)
    )


def _clean(messages: Any, *, need_assistant: bool) -> bool:
    """True when `_check_list` (and `_check_output`) would find nothing: a non-empty list of plain
    {role, content} messages with allowed roles and non-empty text."""
    if type(messages) is not list or not messages:
        return False
    assistant = False
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return False
        content = message.get("content")
        role = message.get("role")
        if type(content) is not str or not content or type(role) is not str or role not in ALLOWED_ROLES:
            return False
        if role == "assistant":
            assistant = True
    return assistant or not need_assistant


def _check_output(messages: Any, errors: Counter[str]) -> None:
    if not isinstance(messages, list) or not messages:
        errors["example_missing_assistant_message"] += 1
        return
    _check_list(messages, errors, need_assistant=True)


def _check_list(messages: Any, errors: Counter[str], *, need_assistant: bool) -> None:
    if not messages or not isinstance(messages, list):
        errors["missing_messages_list"] += 1
        return
    for message in messages:
        if not isinstance(message, dict):
            errors["data_type"] += 1
            continue
        if "role" not in message or "content" not in message:
            errors["message_missing_key"] += 1
        if any(key not in ALLOWED_KEYS for key in message):
            errors["message_unrecognized_key"] += 1
        if message.get("role") not in ALLOWED_ROLES:
            errors["unrecognized_role"] += 1
        content = message.get("content")
        calls = message.get("function_call") or message.get("tool_calls")
        # OpenAI allows a null content on an assistant message that only calls tools.
        if (not content and not calls) or not (isinstance(content, str) or (content is None and calls)):
            errors["missing_content"] += 1
    if need_assistant and not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors["example_missing_assistant_message"] += 1
