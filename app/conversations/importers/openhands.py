"""OpenHands (formerly OpenDevin) event streams: a conversation's "Export trajectory" (`trajectory-<conversation
id>.json`, the UI's download) and the evaluation harness's `output.jsonl` (one run per line, its events under
`history`).

The shape was read from OpenHands' event serialization (`openhands/events/serialization/event.py`: `id`,
`timestamp`, `source`, `message`, `cause`, `action` or `observation`, `args` or `content` and `extras`,
`tool_call_metadata`) and its actions and observations, and checked against the trajectories in its test suite:
- `action: "message"` is a message: the user's (`source: "user"`) or the agent's, its words in `args.content`
  (attached images, `args.image_urls`, are counted as dropped). `action: "system"` holds the system prompt.
- Any other agent action is a tool call: named by `tool_call_metadata.function_name` (else the action: `run`,
  `read`, `edit`, `run_ipython`, `browse`, `finish`, ...), its `args` the input, the model's words before it
  (`args.thought`) text of the answer. `finish` says its last words in `args.final_thought` (or, when that and
  the thought are empty, in the event's `message`).
- An observation caused by an action (`cause`: the action's id) is that call's result, its `content` the output.
  The agent's state changes and other observations without a cause are the environment's bookkeeping and are
  left out.

Each export, and each line of `output.jsonl`, is one conversation: the file name's id (or the line's
`instance_id`) the external id and title, the models that answered (`tool_call_metadata.model_response.model`) the
metadata. OpenHands' own event store (one event per file under `sessions/<id>/events/`) is not read: export the
trajectory from the conversation's menu.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import Record, as_object, converted, iter_records, sniff_head, type_name
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, SkipRecord

_NO_TALK = "OpenHands run without a message and an answer"


def _is_event(value: Any) -> bool:
    return (
        type(value) is dict
        and "source" in value
        and "timestamp" in value
        and ("action" in value or "observation" in value)
    )


def _looks(record: dict[str, Any]) -> bool:
    history = record.get("history")
    return _is_event(record) or (type(history) is list and bool(history) and _is_event(history[0]))


def _hint(head: bytes) -> bool:
    """An export whose first event is longer than the head, or a harness line whose history starts in it."""
    if not all(key in head for key in (b'"source"', b'"timestamp"', b'"action"')):
        return False
    return head.lstrip()[:1] == b"[" or (
        has_top_key(head, b'"instance_id"') and has_top_key(head, b'"history"')
    )


class OpenHandsImporter:
    name = "openhands"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"[{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        events: list[tuple[str, Any]] = []
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
            elif type(record.value) is dict and "history" in record.value and not _is_event(record.value):
                yield _run(record, filename)
            else:
                events.append((record.json_path or "$", record.value))
        if events:
            stem = filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".json")
            name = stem.removeprefix("trajectory-")
            yield converted(_conversation, events, "$", name or filename)


def _run(record: Record, filename: str) -> ParseResult:
    """One line of the evaluation harness's output: its events under `history`."""
    run = record.value
    where = record.json_path or "$"
    history = run.get("history")
    if type(history) is not list:
        return RecordError(f"history: expected a list of events, got {type_name(history)}", json_path=where)
    instance = run.get("instance_id")
    name = str(instance) if type(instance) in (str, int) else f"{filename}:{where}"
    events = [(f"history[{i}]", event) for i, event in enumerate(history)]
    return converted(_conversation, events, where, name)


def _conversation(events: list[tuple[str, Any]], name: str) -> ParsedConversation:
    builder = TurnBuilder()
    calls: dict[int | str, Any] = {}  # an action's id -> its tool call's id
    models: set[str] = set()
    for where, event in events:
        if type(event) is not dict:
            raise BadRecord(f"{where}: expected an event object, got {type_name(event)}")
        source, action = event.get("source"), event.get("action")
        args = as_object(event.get("args"))
        if action == "system":
            builder.system(_text(args.get("content")))
        elif action == "message" and source == "user":
            _count_images(builder, args)
            builder.user(_text(args.get("content", event.get("message"))))
        elif action == "message":
            _count_images(builder, args)
            builder.text(_text(args.get("content", event.get("message"))))
        elif action is not None and source == "agent":
            metadata = as_object(event.get("tool_call_metadata"))
            model = as_object(metadata.get("model_response")).get("model")
            if type(model) is str and model:
                models.add(model)
            builder.text(_text(args.get("thought")))
            if action == "finish":
                # Its last words: `final_thought`, or in versions that leave it and the thought empty, the event's
                # `message` (what the app shows; for other actions that is a line of its own, "Running command").
                said = _text(args.get("final_thought")) or (
                    "" if _text(args.get("thought")) else _text(event.get("message"))
                )
                builder.text(said)
            call_id = metadata.get("tool_call_id")
            name_of = metadata.get("function_name")
            if type(event.get("id")) in (int, str):
                calls[event["id"]] = call_id
            inputs = {key: value for key, value in args.items() if key not in ("thought", "final_thought")}
            builder.block(
                tool_use(call_id, name_of if type(name_of) is str and name_of else str(action), inputs)
            )
        elif action is not None:
            builder.dropped[f"{source or 'unknown'} action"] += 1
        elif type(event.get("cause")) in (int, str) and event["cause"] in calls and "observation" in event:
            builder.block(tool_result(calls[event["cause"]], _text(event.get("content"))))
        elif "observation" not in event:
            raise BadRecord(f"{where}: expected an action or an observation")
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    return builder.conversation(name, title=name, metadata={"models": sorted(models)} if models else {})


def _text(value: Any) -> str:
    return flatten(value) if value is not None else ""


def _count_images(builder: TurnBuilder, args: dict[str, Any]) -> None:
    images = args.get("image_urls")
    if type(images) is list and images:
        builder.dropped["image"] += len(images)


importer = OpenHandsImporter()
