"""SWE-agent trajectories (SWE-agent/SWE-agent): `<run folder>/<instance id>/<instance id>.traj`, one per task.

The shape was read from its agent (`get_trajectory_data`: `{trajectory, history, info, replay_config,
environment}`) and its types (`sweagent/types.py`), and checked against the demonstrations it ships:
- `history` is what the model saw, in order: `{role, content, agent, message_type, ...}` with `message_type`
  `system_prompt`, `observation` (the task, then the environment's answers) or `action`. An assistant item adds
  `thought`, `action` (the command it ran) and, with function calling, `tool_calls` in OpenAI's shape (and
  `thinking_blocks`); the command's output then comes back as a `tool` item with `tool_call_ids`. Without function
  calling the command is only in `action` and its output is the next `user` item. Demonstrations shown to the model
  (`is_demo`) are examples, not this run, and are left out.
- `trajectory` repeats each step (action, observation, thought, the query sent) and `info` says how the run ended
  (`exit_status`, `submission`, `model_stats`, the version); `replay_config` is the run's configuration as a JSON
  string, whose `agent.model.name` is the model.

The file is one conversation: the system prompt, the task (the first user item), and each answer with its
commands and their output as tool calls and results. SWE-agent runs without a person, so every later user item is
the environment's (an observation) and a tool result of the command before it, unless it follows a tool item whose
calls were all answered: then it is a message of its own (a person's, where a wrapper let one in). The instance id
(the file's name) is the title; the model, exit status, calls, cost and version are the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, decode, has_top_key
from ._records import as_object, one_object, sniff_head, type_name
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import ParsedConversation, ParseResult
from .openai import add_tool_calls


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("history")) is list and type(record.get("trajectory")) is list and "info" in record


def _hint(head: bytes) -> bool:
    """A trajectory longer than the head: it opens with `trajectory`, whose steps hold these keys."""
    return has_top_key(head, b'"trajectory"') and all(
        key in head for key in (b'"action"', b'"observation"', b'"thought"')
    )


class SweAgentImporter:
    name = "swe-agent"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return one_object(stream, filename, _conversation, noun="a trajectory object")


def _conversation(trajectory: dict[str, Any], filename: str) -> ParsedConversation:
    history = trajectory.get("history")
    if type(history) is not list:
        raise BadRecord(f"history: expected a list, got {type_name(history)}")
    builder = TurnBuilder()
    answered = False
    previous: str | None = None  # the role of the item before, once the task was given
    for index, item in enumerate(history):
        where = f"history[{index}]"
        if type(item) is not dict:
            raise BadRecord(f"{where}: expected an object, got {type_name(item)}")
        if item.get("is_demo") is True:
            builder.dropped["demonstration"] += 1
            continue
        role = item.get("role")
        text = flatten(item.get("content"), builder.dropped)
        if role == "system":
            builder.system(text)
        elif role == "user" and (not answered or previous == "tool"):
            builder.user(text)
        elif role == "user":  # the environment's answer to a command run without function calling
            builder.block(tool_result(None, text))
        elif role == "assistant":
            answered = True
            _add_answer(builder, item, text, where)
        elif role == "tool":
            ids = item.get("tool_call_ids")
            first = ids[0] if type(ids) is list and ids else item.get("tool_call_id")
            builder.block(tool_result(first, text))
        else:
            got = type_name(role) if type(role) is not str else f'"{role}"'
            raise BadRecord(f'{where}.role: expected "system", "user", "assistant" or "tool", got {got}')
        previous = str(role)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".traj")
    metadata = _metadata(as_object(trajectory.get("info")), trajectory.get("replay_config"))
    return builder.conversation(filename, title=name or None, metadata=metadata)


def _add_answer(builder: TurnBuilder, item: dict[str, Any], text: str, where: str) -> None:
    """An answer's thinking, words and commands: its tool calls, else the `action` it ran."""
    thinking = item.get("thinking_blocks")
    for block in thinking if type(thinking) is list else ():
        if type(block) is dict and type(block.get("thinking")) is str:
            builder.thinking(block["thinking"])
    builder.text(text)
    calls = item.get("tool_calls")
    if type(calls) is list and calls:
        add_tool_calls(builder, item, where)
        return
    action = item.get("action")
    if type(action) is str and action.strip():
        builder.block(tool_use(None, action.split(None, 1)[0], {"command": action}))


def _metadata(info: dict[str, Any], replay_config: Any) -> dict[str, Any]:
    stats = as_object(info.get("model_stats"))
    model = None
    if type(replay_config) is str:
        try:
            config = decode(replay_config.encode())
        except BadRecord:
            config = None
        model = as_object(as_object(as_object(config).get("agent")).get("model")).get("name")
    found = {
        "model": model,
        "exit_status": info.get("exit_status"),
        "api_calls": stats.get("api_calls"),
        "instance_cost": stats.get("instance_cost"),
        "swe_agent_version": info.get("swe_agent_version"),
    }
    return {key: value for key, value in found.items() if type(value) in (str, int, float) and value != ""}


importer = SweAgentImporter()
