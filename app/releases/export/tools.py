"""Tool calls in exports (`--tools keep`): an answer's tool calls and results as chat messages.

OpenAI chat shape, which TRL's conversational format shares: an assistant message carrying `tool_calls`
(`{"id", "type": "function", "function": {"name", "arguments"}}`, arguments as a JSON string), then one
`tool` message per result with its `tool_call_id`. The answer's text (gold edit or transform applied)
is the final assistant message; thinking blocks are never exported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from app.releases.export.rows import Message, RowOptions
from app.releases.models import ReleaseFormat, ReleaseKind

EMPTY_RESULT = "(the tool returned no output)"


def answer_messages(blocks: list[dict[str, Any]] | None, text: str) -> list[dict[str, Any]]:
    """The assistant turn as messages: each run of tool calls (content null) with its results, then the text."""
    messages: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []

    def flush() -> None:
        if calls:
            messages.append({"role": "assistant", "content": None, "tool_calls": list(calls)})
            messages.extend(results)
        calls.clear()
        results.clear()

    for block in blocks or ():
        kind = block.get("type")
        if kind == "tool_use":
            if results:
                flush()
            arguments = orjson.dumps(block.get("input") or {}, option=orjson.OPT_SORT_KEYS).decode()
            function = {"name": str(block.get("name") or "tool"), "arguments": arguments}
            calls.append(
                {"id": str(block.get("id") or f"call_{len(calls)}"), "type": "function", "function": function}
            )
        elif kind == "tool_result" and calls:
            content = block.get("content")
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": str(block.get("tool_use_id") or calls[-1]["id"]),
                    "content": content if isinstance(content, str) and content else EMPTY_RESULT,
                }
            )
    flush()
    messages.append({"role": "assistant", "content": text})
    return messages


def tool_row_builder(
    options: RowOptions,
) -> Callable[[list[Message], list[dict[str, Any]], list[dict[str, Any]]], dict[str, Any]]:
    """Rows whose answers are message lists (tool calls kept); the same keys as the text-only rows."""
    if options.kind == ReleaseKind.sft:
        return lambda prompt, chosen, _rejected: {"messages": [*prompt, *chosen]}
    if options.format == ReleaseFormat.openai:
        return lambda prompt, chosen, rejected: {
            "input": {"messages": prompt},
            "preferred_output": chosen,
            "non_preferred_output": rejected,
        }
    return lambda prompt, chosen, rejected: {"prompt": prompt, "chosen": chosen, "rejected": rejected}
