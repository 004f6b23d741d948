"""The pi coding agent's sessions (`~/.pi/agent/sessions/--<folder>--/<time>_<id>.jsonl`, and its forks' the same):
JSON Lines whose first line is the session's header (`{"type": "session", "version": 3, "id", "timestamp", "cwd"}`)
and every later line an entry of a tree (`id`, `parentId`).

Shape from the agent's session documentation and real sessions people committed (tenth fetch: matched no format).
The thread read is the path from the file's last entry back to the first: a branch the person left (`/tree`) is
not. `message` entries hold the turns: a `user` message's text (its images counted as dropped), an `assistant`
message's `text`, `thinking` and `toolCall` blocks (`id`, `name`, `arguments`), and `toolResult` messages
(`toolCallId`, `content`, `isError`), the results of the answer's calls; a command the person ran (`bashExecution`:
`command`, `output`) is context of their next prompt. What extensions inject (`custom_message`, a message of role
`custom`), and the summaries of a compaction or of a branch left, are not the person's words: left out and counted.
Model changes, thinking levels, labels and extension state carry no words. The header's id is the external id, a
`session_info` name or the first prompt the title, the folder and the models the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import head_records, object_lines, peekable, type_name
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped

_NO_TALK = "pi session without a prompt and an answer"
# Entries that hold no words of the conversation.
_SILENT = frozenset(("model_change", "thinking_level_change", "fast_mode_change", "custom", "label", "leaf"))


def _is_header(record: dict[str, Any]) -> bool:
    return (
        record.get("type") == "session"
        and type(record.get("version")) is int
        and type(record.get("id")) is str
        and type(record.get("cwd")) is str
    )


def _text(content: Any, builder: TurnBuilder) -> str:
    """A message's text: a string, or its text blocks joined (images counted as dropped)."""
    if type(content) is str:
        return content
    if type(content) is not list:
        return ""
    texts = []
    for block in content:
        kind = block.get("type") if type(block) is dict else None
        if kind == "text" and type(block.get("text")) is str:
            texts.append(block["text"])
        elif kind == "image":
            builder.dropped["image"] += 1
    return "\n\n".join(texts)


def _add(builder: TurnBuilder, message: Any) -> None:
    if type(message) is not dict:
        raise BadRecord(f"message: expected an object, got {type_name(message)}")
    role = message.get("role")
    if role == "user":
        builder.user(_text(message.get("content"), builder))
    elif role == "assistant":
        content = message.get("content")
        for block in content if type(content) is list else []:
            kind = block.get("type") if type(block) is dict else None
            if kind == "text" and type(block.get("text")) is str:
                builder.text(block["text"])
            elif kind == "thinking" and type(block.get("thinking")) is str:
                builder.thinking(block["thinking"])
            elif kind == "toolCall":
                builder.block(tool_use(block.get("id"), block.get("name"), block.get("arguments")))
    elif role == "toolResult":
        builder.block(
            tool_result(
                message.get("toolCallId"),
                flatten(message.get("content")),
                is_error=message.get("isError") is True,
            )
        )
    elif role == "bashExecution":
        shown = f"{message.get('command') or ''}\n{message.get('output') or ''}".strip()
        builder.user("", blocks=[{"type": "context", "tag": "bash", "text": shown}])
    elif role in ("custom", "branchSummary", "compactionSummary"):
        builder.dropped["extension message" if role == "custom" else "summary"] += 1
    else:
        got = repr(role[:40]) if type(role) is str else type_name(role)
        raise BadRecord(f"message.role: expected user, assistant or toolResult, got {got}")


def _thread(
    entries: dict[str, tuple[int, dict[str, Any]]], last: str | None
) -> list[tuple[int, dict[str, Any]]]:
    """The entries (with their lines) from the first to `last`, following `parentId`."""
    path: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    while last is not None and last in entries and last not in seen:
        seen.add(last)
        path.append(entries[last])
        parent = entries[last][1].get("parentId")
        last = parent if type(parent) is str else None
    path.reverse()
    return path


class PiAgentImporter:
    name = "pi-agent"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        return bool(records) and _is_header(records[0])

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        header: dict[str, Any] = {}
        entries: dict[str, tuple[int, dict[str, Any]]] = {}  # by id: (line, entry)
        unlinked: list[tuple[int, dict[str, Any]]] = []  # entries without an id: read in file order
        last: str | None = None
        for entry in object_lines(peekable(stream)):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, record = entry
            if number == 1 and _is_header(record):
                header = record
                continue
            if type(record.get("id")) is str:
                entries[record["id"]] = entry
                last = record["id"]
            else:
                unlinked.append(entry)
        builder = TurnBuilder()
        name: str | None = None
        models: list[str] = []
        for number, record in _thread(entries, last) + unlinked:
            kind = record.get("type")
            try:
                if kind == "message":
                    message = record.get("message")
                    _add(builder, message)
                    model = message.get("model") if type(message) is dict else None
                    if type(model) is str and model not in models:
                        models.append(model)
                elif kind == "custom_message":
                    builder.dropped["extension message"] += 1
                elif kind in ("compaction", "branch_summary"):
                    builder.dropped["summary"] += 1
                elif kind == "session_info" and type(record.get("name")) is str:
                    name = record["name"]
                elif kind not in _SILENT:
                    builder.dropped["other entry"] += 1
            except BadRecord as exc:
                yield RecordError(str(exc), line=number)
        turns = builder.finish(complete=False)
        if len({turn.role for turn in turns}) < 2:
            yield Skipped(_NO_TALK)
            return
        first = next((turn.text for turn in turns if turn.role == "user" and turn.text.strip()), "")
        metadata: dict[str, Any] = {"tool": "pi"}
        if type(header.get("cwd")) is str:
            metadata["cwd"] = header["cwd"]
        if models:
            metadata["models"] = models
        yield ParsedConversation(
            external_id=str(header.get("id") or filename),
            turns=turns,
            title=name or prompt_title(first),
            metadata=metadata,
            line=1,
            dropped=dict(builder.dropped),
        )


importer = PiAgentImporter()
