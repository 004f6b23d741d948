"""Cursor's agent transcripts (`~/.cursor/projects/<project>/agent-transcripts/`): one conversation per file, what
Cursor writes as an agent works (since early 2026) and what people commit with their work.

- `<id>.jsonl` (or `<id>/<id>.jsonl`): one message a line, `{"role": "user" | "assistant", "message": {"content":
  [blocks]}}` and nothing else. A user message is one `text` block wrapping what was typed in `<user_query>` tags;
  an assistant line is one step of the agent, `text` blocks (its words; the narrated reasoning Cursor writes among
  them stays text, nothing marks it) and `tool_use` blocks (`name`, `input`, no id). Results are not recorded, nor
  the person's answers to the agent's questions. Consecutive steps are one answer.
- `<id>.txt`, the older form: `user:` and `assistant:` lines open the messages (each step of the agent an
  `assistant:` of its own, one answer together); in an answer a `[Thinking] ...` line is its thinking (the step's
  words follow on the next line), `[Tool call] <name>` and the indented `<argument>: <value>` lines under it a tool
  call, `[Tool result] <name>` its result (Cursor writes the mark alone, without the output).

The person's words are what `<user_query>` wraps (other tags Cursor adds around it, such as attached files, are
context, not words). The file's name without its extension is the external id, the first prompt the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO, Any

from ._records import head_records, object_lines, peekable, read_text
from ._training_rows import has_exchange
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped

_NO_TALK = "Cursor agent transcript without a prompt and an answer"
_QUERY = re.compile(r"<user_query>\s*(.*?)\s*</user_query>", re.DOTALL)
_TEXT_HEAD = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*user:[ \t]*\r?\n(?:\s*\r?\n)*\s*<user_query>")
_SPEAKER = re.compile(r"(user|assistant):[ \t]*$")
_MARK = re.compile(r"\[(Thinking|Tool call|Tool result)\][ \t]*(.*)$")
_ARGUMENT = re.compile(r"[ \t]+([\w.-]+):[ \t]?(.*)$")


def _looks(record: dict[str, Any]) -> bool:
    message = record.get("message")
    return (
        record.keys() == {"role", "message"}
        and record.get("role") in ("user", "assistant")
        and type(message) is dict
        and type(message.get("content")) is list
    )


def _said(text: str, builder: TurnBuilder) -> str:
    """The person's words in a message Cursor wrapped: what `<user_query>` holds (the rest counted as context)."""
    query = _QUERY.search(text)
    if query is None:
        return text.strip()
    if text[: query.start()].strip() or text[query.end() :].strip():
        builder.dropped["context"] += 1
    return query.group(1)


class CursorAgentImporter:
    name = "cursor-agent"

    def sniff(self, head: bytes, filename: str) -> bool:
        if _TEXT_HEAD.match(head) is not None:
            return True
        records = head_records(head)
        return bool(records) and _looks(records[0])

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        builder = TurnBuilder()
        if _TEXT_HEAD.match(buffered.peek(4096)) is not None:
            _read_text(read_text(buffered), builder)
        else:
            for entry in object_lines(buffered, noun="a message object"):
                if isinstance(entry, RecordError):
                    yield entry
                    continue
                number, record = entry
                if not _looks(record):
                    keys = ", ".join(list(record)[:6])
                    yield RecordError(
                        f'expected {{"role", "message": {{"content": [...]}}}}, got {keys}', line=number
                    )
                    continue
                _add_message(builder, record["role"], record["message"]["content"])
        turns = builder.finish(complete=False)
        if not has_exchange(turns):
            yield Skipped(_NO_TALK)
            return
        path = PurePosixPath(filename.replace("\\", "/"))
        first = next(turn.text for turn in turns if turn.role == "user")
        conversation = builder.conversation(path.stem, title=prompt_title(first))
        conversation.line = 1
        yield conversation


def _add_message(builder: TurnBuilder, role: str, content: list[Any]) -> None:
    for block in content:
        if type(block) is not dict:
            continue
        kind = block.get("type")
        if kind == "text" and type(block.get("text")) is str:
            if role == "user":
                builder.user(_said(block["text"], builder))
            else:
                builder.text(block["text"].strip())
        elif kind == "tool_use" and role == "assistant":
            name = block.get("name")
            builder.block(
                tool_use(block.get("id"), name if type(name) is str else "tool", block.get("input"))
            )
        elif kind == "tool_result" and role == "assistant":
            builder.block(tool_result(block.get("tool_use_id"), flatten(block.get("content"))))
        else:
            builder.dropped[str(kind or "part")] += 1


def _read_text(text: str, builder: TurnBuilder) -> None:
    """The older `.txt` transcript: `user:` / `assistant:` messages, marks for thinking, tool calls and results."""
    role: str | None = None
    lines: list[str] = []
    for line in [*text.splitlines(), "user:"]:
        speaker = _SPEAKER.match(line)
        if speaker is None:
            lines.append(line)
            continue
        if role == "user":
            builder.user(_said("\n".join(lines), builder))
        elif role == "assistant":
            _add_answer(builder, lines)
        role, lines = speaker.group(1), []


def _add_answer(builder: TurnBuilder, lines: list[str]) -> None:
    text: list[str] = []
    at = 0
    while at < len(lines):
        mark = _MARK.match(lines[at])
        if mark is None:
            text.append(lines[at])
            at += 1
            continue
        builder.text("\n".join(text).strip())
        text = []
        kind, rest = mark.group(1), mark.group(2).strip()
        at += 1
        if kind == "Thinking":
            # The thought is its line: the step's words follow on the next ("[Thinking] The user wants Telegram
            # installed ...", then "I'll install Telegram using Flatpak for you.").
            builder.thinking(rest)
        elif kind == "Tool call":
            arguments: dict[str, str] = {}
            while at < len(lines) and (argument := _ARGUMENT.match(lines[at])) is not None:
                arguments[argument.group(1)] = argument.group(2)
                at += 1
            builder.block(tool_use(None, rest or "tool", arguments))
        else:
            # Cursor does not record the output: the mark stands alone, a blank line after it (what follows that
            # is the answer's again).
            body = []
            while at < len(lines) and _MARK.match(lines[at]) is None and lines[at].strip():
                body.append(lines[at])
                at += 1
            builder.block(tool_result(None, "\n".join(body).strip()))
    builder.text("\n".join(text).strip())


importer = CursorAgentImporter()
