"""mini-swe-agent trajectories (SWE-agent/mini-swe-agent): `<instance id>.traj.json` from a batch run, or
`~/.config/mini-swe-agent/last_mini_run.traj.json` from `mini`.

The shape was read from its agents' `serialize` (`{info, messages, trajectory_format}`; `trajectory_format`
"mini-swe-agent-1" and later "mini-swe-agent-1.1") and the interactive agent (`agents/interactive.py`):
- `messages` are chat messages in OpenAI's shape with an `extra` object each: `system` (the system prompt), the
  first `user` message (the task, in the instance template), then `assistant` messages and what the environment
  answered. With tool calling (1.1) an assistant's `tool_calls` run commands and `tool` messages hold their output
  (`<returncode>..</returncode><output>..</output>`); in the first format the command is a ```bash block of the
  answer (`extra.action` in later files) and its output a `user` message.
- A person speaks only in the interactive agent, and those messages say so in `extra.interrupt_type`:
  `UserInterruption` ("Interrupted by user: ..."), `UserRejection` ("Command not executed. The user rejected your
  command with the following message: ...") and `UserNewTask` ("The user added a new task: ..."). Files without
  `extra` are told by those openings. Only the person's words are the user turn; a bare interruption or a switch to
  human mode says nothing and is left out.
- Every other `user` message after the task is the environment's (command output, a format error, a limit) and is
  a tool result of the answer before it. The last message, `exit`, holds the exit status and the submission.

The file is one conversation: its name (the instance id; the task's first words for `last_mini_run`) the title,
the model, exit status, cost, calls and version the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import as_object, one_object, sniff_head, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult
from .openai import add_tool_calls

# What the interactive agent writes before a person's words, and the messages that carry none.
_SPOKEN = re.compile(
    r"(?:Interrupted by user: |The user added a new task: "
    r"|Command not executed\. The user rejected your command with the following message: )(.*)",
    re.DOTALL,
)
_SILENT = ("Temporary interruption caught.", "Command not executed. Switching to human mode")
_BASH = re.compile(r"```(?:bash|sh)\s*\n(.*?)\n```", re.DOTALL)


def _looks(record: dict[str, Any]) -> bool:
    form = record.get("trajectory_format")
    if type(form) is str and form.startswith("mini-swe-agent") and type(record.get("messages")) is list:
        return True
    info = record.get("info")
    return type(info) is dict and "mini_version" in info and type(record.get("messages")) is list


def _hint(head: bytes) -> bool:
    """A trajectory longer than the head: its `info` comes first, with the version or the classes that ran it
    (`minisweagent.agents...`) before the messages."""
    return has_top_key(head, b'"info"') and (b'"mini_version"' in head or b'"minisweagent.' in head)


class MiniSweAgentImporter:
    name = "mini-swe-agent"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return one_object(stream, filename, _conversation, noun="a trajectory object")


def _conversation(trajectory: dict[str, Any], filename: str) -> ParsedConversation:
    messages = trajectory.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    builder = TurnBuilder()
    task = ""
    answered = False
    metadata: dict[str, Any] = {}
    for index, message in enumerate(messages):
        if type(message) is not dict:
            raise BadRecord(f"messages[{index}]: expected a message object, got {type_name(message)}")
        role, extra = message.get("role"), as_object(message.get("extra"))
        text = flatten(message.get("content"), builder.dropped)
        if role == "system":
            builder.system(text)
        elif role == "user" and not answered:
            task = task or text
            builder.user(text)
        elif role == "user":
            spoken = _SPOKEN.match(text) if "interrupt_type" in extra or not extra else None
            if "interrupt_type" in extra or spoken is not None:
                words = spoken.group(1) if spoken is not None else text
                if words.strip() and words.strip() not in _SILENT:
                    builder.user(words)
            else:  # the environment: a command's output, a format error, a limit reached
                builder.block(tool_result(None, text))
        elif role == "assistant":
            answered = True
            builder.text(text)
            _add_actions(builder, message, extra, text, f"messages[{index}]")
        elif role == "tool":
            builder.block(tool_result(message.get("tool_call_id"), text))
        elif role == "exit":
            if type(extra.get("exit_status")) is str:
                metadata["exit_status"] = extra["exit_status"]
        else:
            got = type_name(role) if type(role) is not str else f'"{role}"'
            raise BadRecord(
                f'messages[{index}].role: expected "system", "user", "assistant", "tool" or "exit", got {got}'
            )
    metadata |= _info(as_object(trajectory.get("info")), trajectory.get("trajectory_format"))
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".json").removesuffix(".traj")
    title = prompt_title(task) if name == "last_mini_run" else name
    return builder.conversation(filename, title=title or None, metadata=metadata)


def _add_actions(
    builder: TurnBuilder, message: dict[str, Any], extra: dict[str, Any], text: str, where: str
) -> None:
    """An answer's commands: its tool calls, else the command of its ```bash block (`extra.action`)."""
    calls = message.get("tool_calls")
    if type(calls) is list and calls:
        add_tool_calls(builder, message, where)
        return
    action = extra.get("action")
    if type(action) is not str:
        found = _BASH.findall(text)
        action = found[-1] if len(found) == 1 else None
    if action:
        builder.block(tool_use(None, "bash", {"command": action}))


def _info(info: dict[str, Any], form: Any) -> dict[str, Any]:
    """What the run says about itself: the model, how it ended, what it cost, the version."""
    config = as_object(info.get("config"))
    model = as_object(config.get("model")).get("model_name")
    stats = as_object(info.get("model_stats"))
    found = {
        "model": model,
        "exit_status": info.get("exit_status"),
        "api_calls": stats.get("api_calls"),
        "instance_cost": stats.get("instance_cost"),
        "mini_version": info.get("mini_version"),
        "trajectory_format": form,
    }
    return {key: value for key, value in found.items() if type(value) in (str, int, float) and value != ""}


importer = MiniSweAgentImporter()
