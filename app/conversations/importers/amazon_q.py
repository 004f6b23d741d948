"""Amazon Q Developer CLI and Kiro CLI saved chats (`/save <file>`, later `/chat save <file>`): the chat's state as
pretty JSON, `{conversation_id, history, transcript, valid_history_range, tools, model_info, ...}`.

The shape was read from aws/amazon-q-developer-cli (`cli/chat/conversation.rs`: `ConversationState` and its
`HistoryEntry`; `cli/chat/message.rs`: the messages) and checked against saved files in public repositories:
- `history` is a list of exchanges, each `{user, assistant, request_metadata}` (earlier versions: a
  `[user, assistant]` pair). The user side's `content` is tagged: `{"Prompt": {prompt}}` (typed),
  `{"ToolUseResults": {tool_use_results}}` (tool output, no person) or `{"CancelledToolUses": {prompt,
  tool_use_results}}` (the person stopped the tools and typed). A result is `{tool_use_id, content: [{"Text": ..}
  | {"Json": ..}], status}`. The assistant side is `{"Response": {message_id, content}}` or `{"ToolUse":
  {message_id, content, tool_uses: [{id, name, args}]}}`. `request_metadata.model_id` names the model.
- `transcript` is the chat as printed: a person's lines start with "> ", the assistant's end with
  "[Tool uses: ...]". A chat compacted or cut to its `valid_history_range` keeps fewer exchanges in `history`
  than prompts in `transcript` (a real file had an empty history and 70 transcript lines); the transcript is then
  read instead: its prompts and answers, without the tools' calls and output.

The conversation id is the external id; the first prompt's words the title; the models and the working folder the
metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BadRecord, has_top_key
from ._records import as_object, one_object, sniff_head, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, SkipRecord

_TOOL_USES = re.compile(r"\n?\[Tool uses: [^\]]*\]\s*\Z")
_NO_TALK = "Amazon Q / Kiro chat without a prompt and an answer"


def _looks(record: dict[str, Any]) -> bool:
    return (
        "conversation_id" in record
        and type(record.get("history")) is list
        and ("transcript" in record or "valid_history_range" in record)
    )


def _hint(head: bytes) -> bool:
    return (
        has_top_key(head, b'"conversation_id"')
        and has_top_key(head, b'"history"')
        and (b'"Prompt"' in head or b'"valid_history_range"' in head or b'"ToolUseResults"' in head)
    )


class AmazonQImporter:
    name = "amazon-q"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return one_object(stream, filename, _conversation, noun="a saved chat object")


def _conversation(state: dict[str, Any], fallback: str) -> ParsedConversation:
    history, transcript = state.get("history"), state.get("transcript")
    if type(history) is not list:
        raise BadRecord(f"history: expected a list, got {type_name(history)}")
    lines = [line for line in transcript if type(line) is str] if type(transcript) is list else []
    builder = TurnBuilder()
    metadata: dict[str, Any] = {}
    prompts = sum(1 for line in lines if line.startswith("> "))
    if prompts > _prompts(history):
        _from_transcript(builder, lines)
        metadata["read_from"] = "transcript"
    else:
        _from_history(builder, history, metadata)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    conversation_id = state.get("conversation_id")
    first = next((turn.text for turn in builder.turns if turn.role == "user"), "")
    return builder.conversation(
        conversation_id if type(conversation_id) is str and conversation_id else fallback,
        title=prompt_title(first) or None,
        metadata={key: sorted(value) if type(value) is set else value for key, value in metadata.items()},
    )


def _prompts(history: list[Any]) -> int:
    """How many typed prompts the history holds."""
    count = 0
    for entry in history:
        content = as_object(as_object(_sides(entry)[0]).get("content"))
        count += "Prompt" in content or "CancelledToolUses" in content
    return count


def _sides(entry: Any) -> tuple[Any, Any]:
    """An exchange's (user, assistant): `{user, assistant}`, or `[user, assistant]` in earlier versions."""
    if type(entry) is dict:
        return entry.get("user"), entry.get("assistant")
    if type(entry) is list and len(entry) == 2:
        return entry[0], entry[1]
    return None, None


def _from_history(builder: TurnBuilder, history: list[Any], metadata: dict[str, Any]) -> None:
    models: set[str] = set()
    for index, entry in enumerate(history):
        where = f"history[{index}]"
        user, assistant = _sides(entry)
        if type(user) is not dict:
            raise BadRecord(f"{where}: expected an exchange with a user message, got {type_name(entry)}")
        content = as_object(user.get("content"))
        folder = as_object(as_object(user.get("env_context")).get("env_state")).get(
            "current_working_directory"
        )
        if type(folder) is str and folder and "cwd" not in metadata:
            metadata["cwd"] = folder
        images = user.get("images")
        if type(images) is list and images:
            builder.dropped["image"] += len(images)
        if "Prompt" in content:
            builder.user(_text(as_object(content["Prompt"]).get("prompt")))
        elif "CancelledToolUses" in content:
            cancelled = as_object(content["CancelledToolUses"])
            _add_results(builder, cancelled.get("tool_use_results"))
            builder.user(_text(cancelled.get("prompt")))
        elif "ToolUseResults" in content:
            _add_results(builder, as_object(content["ToolUseResults"]).get("tool_use_results"))
        else:
            raise BadRecord(f"{where}.user.content: expected Prompt, ToolUseResults or CancelledToolUses")
        model = as_object(entry.get("request_metadata")).get("model_id") if type(entry) is dict else None
        if type(model) is str and model:
            models.add(model)
        _add_answer(builder, assistant, f"{where}.assistant")
    if models:
        metadata["models"] = models


def _add_answer(builder: TurnBuilder, assistant: Any, where: str) -> None:
    if assistant is None:
        return  # the last exchange of a chat saved while the answer was still coming
    answer = as_object(assistant)
    if "Response" in answer:
        builder.text(_text(as_object(answer["Response"]).get("content")))
    elif "ToolUse" in answer:
        use = as_object(answer["ToolUse"])
        builder.text(_text(use.get("content")))
        calls = use.get("tool_uses")
        for call in calls if type(calls) is list else ():
            if type(call) is dict:
                name = call.get("orig_name") or call.get("name")
                builder.block(tool_use(call.get("id"), name, call.get("orig_args", call.get("args"))))
    else:
        raise BadRecord(f"{where}: expected Response or ToolUse, got {type_name(assistant)}")


def _add_results(builder: TurnBuilder, results: Any) -> None:
    for result in results if type(results) is list else ():
        if type(result) is not dict:
            continue
        parts = result.get("content")
        texts = []
        for part in parts if type(parts) is list else ():
            part = as_object(part)
            if type(part.get("Text")) is str:
                texts.append(part["Text"])
            elif "Json" in part:
                texts.append(orjson.dumps(part["Json"]).decode())
        status = result.get("status")
        failed = type(status) is str and status.lower() == "error"
        builder.block(tool_result(result.get("tool_use_id"), "\n".join(texts), failed))


def _from_transcript(builder: TurnBuilder, lines: list[str]) -> None:
    """The chat as printed: "> " lines are the person's, the others the assistant's (their tool calls named only)."""
    for line in lines:
        if line.startswith("> "):
            builder.user(line[2:])
        else:
            builder.text(_TOOL_USES.sub("", line))


def _text(value: Any) -> str:
    return flatten(value) if value is not None else ""


importer = AmazonQImporter()
