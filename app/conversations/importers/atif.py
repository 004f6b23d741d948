"""Agent trajectories in ATIF, the Agent Trajectory Interchange Format (Harbor's RFC 0001, `trajectory.json`):
`{"schema_version": "ATIF-v1.x", "session_id", "agent": {name, version, model_name}, "steps": [...]}`, the format
Harbor writes for every agent it runs (terminus-2, claude-code, codex, openhands, ...); a committed one matched no
format in the tenth fetch.

Each step has a `source`: `system` (the system prompt; a later system step is an event of the run, counted as
dropped), `user` (the person's message, or the task a harness sent) or `agent` (the answer: `reasoning_content` a
thinking block, `message` its words, `tool_calls` tool calls `{tool_call_id, function_name, arguments}`, and its
`observation.results` the results, matched to their call by `source_call_id`, or to the step's only call). Agent
steps between two user steps are one answer. The session id is the external id, the first message the title, the
agent's name, version and model the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._frameworks import whole_value
from ._json import BadRecord
from ._records import sniff_head, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped

_NO_TALK = "ATIF trajectory without a message and an answer"


def _is_trajectory(record: dict[str, Any]) -> bool:
    version = record.get("schema_version")
    return type(version) is str and version.startswith("ATIF-") and type(record.get("steps")) is list


def _agent_step(builder: TurnBuilder, step: dict[str, Any]) -> None:
    reasoning = step.get("reasoning_content")
    if type(reasoning) is str and reasoning.strip():
        builder.thinking(reasoning)
    message = flatten(step.get("message"))
    if message.strip():
        builder.text(message)
    calls = step.get("tool_calls")
    ids: list[Any] = []
    for call in calls if type(calls) is list else []:
        if type(call) is not dict:
            raise BadRecord(f"tool_calls: expected objects, got {type_name(call)}")
        ids.append(call.get("tool_call_id"))
        builder.block(tool_use(call.get("tool_call_id"), call.get("function_name"), call.get("arguments")))
    observation = step.get("observation")
    results = observation.get("results") if type(observation) is dict else None
    for result in results if type(results) is list else []:
        if type(result) is not dict:
            continue
        source = result.get("source_call_id")
        if source is None and len(ids) == 1:
            source = ids[0]
        builder.block(tool_result(source, flatten(result.get("content"))))


def _conversation(record: dict[str, Any], fallback: str) -> ParseResult:
    builder = TurnBuilder()
    for number, step in enumerate(record["steps"]):
        if type(step) is not dict:
            return RecordError(f"steps[{number}]: expected an object, got {type_name(step)}", json_path="$")
        source = step.get("source")
        try:
            if source == "agent":
                _agent_step(builder, step)
            elif source == "user":
                builder.user(flatten(step.get("message")))
            elif source == "system" and not builder.turns and builder.last_role is None:
                builder.system(flatten(step.get("message")))
            elif source == "system":
                builder.dropped["system event"] += 1
            else:
                got = repr(source[:40]) if type(source) is str else type_name(source)
                return RecordError(
                    f'steps[{number}].source: expected "system", "user" or "agent", got {got}', json_path="$"
                )
        except BadRecord as exc:
            return RecordError(f"steps[{number}].{exc}", json_path="$")
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    agent = record.get("agent")
    agent = agent if type(agent) is dict else {}
    metadata = {
        key: agent[field] for key, field in (("agent", "name"), ("agent_version", "version"), ("model", "model_name"))
        if type(agent.get(field)) is str
    }  # fmt: skip
    metadata["schema_version"] = record["schema_version"]
    first = next((turn.text for turn in turns if turn.role == "user" and turn.text.strip()), "")
    session = record.get("session_id")
    return ParsedConversation(
        external_id=session if type(session) is str and session else fallback,
        turns=turns,
        title=prompt_title(first),
        metadata=metadata,
        system_prompt=builder.system_prompt,
        json_path="$",
        dropped=dict(builder.dropped),
    )


class AtifImporter:
    name = "atif"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head,
            opener=b"{",
            looks=_is_trajectory,
            hint=lambda h: b'"schema_version"' in h[:4096] and b'"ATIF-v' in h[:4096] and b'"steps"' in h,
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        name = filename.replace("\\", "/")
        for value in whole_value(stream):
            if isinstance(value, RecordError):
                yield value
                continue
            if type(value) is not dict or not _is_trajectory(value):
                raise FileFormatError(
                    'expected an ATIF trajectory, {"schema_version": "ATIF-v1.x", "steps": [...]}'
                )
            yield _conversation(value, name)


importer = AtifImporter()
