"""Google Antigravity's agent transcripts (`~/.gemini/antigravity/brain/<conversation id>/.system_generated/logs/
transcript.jsonl`, and `transcript_full.jsonl` beside it, the same steps never cut by a checkpoint): one step a line,
`{step_index, source, type, status, created_at, content, ...}`. The shape is from a real transcript a repository
committed and from the step types other tools' readers of it name.

- `USER_INPUT` (source `USER_EXPLICIT`) is the person's message: the text inside its `<USER_REQUEST>` element (the
  metadata Antigravity adds beside it, `<ADDITIONAL_METADATA>`, is not theirs), or the whole content without one.
- `PLANNER_RESPONSE` (source `MODEL`) is the answer: `thinking` a thinking block, `content` its words, and each of
  `tool_calls` (`{name, args}`, every argument's value written as JSON of its own: `"\"d:\\\\repo\""`) a tool call.
- The other model steps are the tools run for those calls (`LIST_DIRECTORY`, `VIEW_FILE`, `RUN_COMMAND`,
  `INVOKE_SUBAGENT`, ...): their `content` a tool result of the answer (an `ERROR` status an error).
- A field Antigravity cut itself ends with `<truncated N bytes>` and a note to the model ("NOTE: The output was
  truncated ..."), which are taken off; an opening `<USER_REQUEST>` whose closing tag was cut away still marks
  where the person's words begin.
- System steps (`CONVERSATION_HISTORY`, `SYSTEM_MESSAGE` such as a subagent's report or a background task's
  end, `KNOWLEDGE_ARTIFACTS`, `CHECKPOINT`) are Antigravity's context for the model, not turns: counted as dropped
  `system step`. A field Antigravity cut itself (`truncated_fields`) is counted as dropped `truncated by Antigravity`.

A file is one conversation; its id is the `brain/<id>` folder's name (else the file's path), the first prompt the
title. `transcript.jsonl` in a folder that also holds `transcript_full.jsonl` is skipped (`files.py`): the full
one holds every step of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import PurePosixPath
from typing import IO, Any

from ._json import json_or_text
from ._records import as_object, head_records, object_lines
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped

_REQUEST = re.compile(r"<USER_REQUEST>\s*\n?(.*?)\n?\s*(?:</USER_REQUEST>|\Z)", re.DOTALL)
# Where Antigravity cut a long field itself: its mark and the note it adds for the model.
_CUT = re.compile(
    r"\s*<truncated \d+ bytes>(?:\s*NOTE: The output was truncated because it was too long\..*)?\Z", re.DOTALL
)
_SOURCES = ("USER_EXPLICIT", "USER_IMPLICIT", "SYSTEM", "MODEL")


def _looks(record: dict[str, Any]) -> bool:
    return (
        type(record.get("step_index")) is int
        and record.get("source") in _SOURCES
        and type(record.get("type")) is str
    )


class AntigravityImporter:
    name = "antigravity"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        return bool(records) and _looks(records[0])

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        builder = TurnBuilder()
        for entry in object_lines(stream):
            if isinstance(entry, RecordError):
                yield entry
                continue
            _, step = entry
            kind, source, content = step.get("type"), step.get("source"), step.get("content")
            text = content if type(content) is str else ""
            if step.get("truncated_fields"):
                builder.dropped["truncated by Antigravity"] += 1
            text = _CUT.sub("", text)
            if kind == "USER_INPUT":
                request = _REQUEST.search(text)
                builder.user((request.group(1) if request else text).strip())
            elif kind == "PLANNER_RESPONSE":
                thinking = step.get("thinking")
                if type(thinking) is str:
                    builder.thinking(thinking.strip())
                builder.text(text.strip())
                calls = step.get("tool_calls")
                for call in calls if type(calls) is list else ():
                    call = as_object(call)
                    arguments = {key: _argument(value) for key, value in as_object(call.get("args")).items()}
                    builder.block(tool_use(None, call.get("name"), arguments))
            elif source == "MODEL":
                builder.block(tool_result(None, text, is_error=step.get("status") == "ERROR"))
            else:
                builder.dropped["system step"] += 1
        turns = builder.finish(complete=False)
        if not any(a.role == "user" and b.role == "assistant" for a, b in pairwise(turns)):
            yield Skipped("Antigravity transcript without a prompt and an answer")
            return
        path = PurePosixPath(filename.replace("\\", "/"))
        logs = (
            len(path.parents) > 3
            and path.parent.name == "logs"
            and path.parents[1].name == ".system_generated"
        )
        brain = path.parents[2].name if logs else None
        user = next(turn for turn in turns if turn.role == "user")
        yield ParsedConversation(
            external_id=brain or filename,
            turns=turns,
            title=prompt_title(user.text),
            line=1,
            dropped=dict(builder.dropped),
        )


def _argument(value: Any) -> Any:
    """An argument as Antigravity writes it, each value JSON of its own; other values as they are."""
    return json_or_text(value) if type(value) is str else value


importer = AntigravityImporter()
