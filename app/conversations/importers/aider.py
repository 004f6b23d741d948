"""aider's `.aider.chat.history.md`: one conversation per `# aider chat started at …` session.

Lines starting `#### ` are what the person typed (a multi-line prompt repeats the marker on every line);
`> ` lines are aider's own output (version banner, "Applied edit to …", command results) and become
context of the next prompt; everything else is the model's answer. aider ends lines with two spaces (a
Markdown line break); they are trimmed. In-chat commands (`/add`, `/run`, `/copy-context`, …) are not
prompts and are left out, except `/ask`, `/code` and `/architect`, whose argument is the prompt (newer versions log
that prompt once more, as a `#### ` line of its own, before the answer: it is read once).
Sessions in which nobody got an answer (a banner, then Ctrl-C) yield nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._fences import closes, opens
from ._records import read_text
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, Skipped

_SESSION = re.compile(r"^# aider chat started at (.+?)\s*$")
_PROMPT_COMMANDS = re.compile(r"^/(?:ask|code|architect)\s+", re.IGNORECASE)
_NAME = ".aider.chat.history.md"


def _sessions(lines: list[str]) -> Iterator[tuple[int, str, list[str]]]:
    start, stamp = 0, ""
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        match = _SESSION.match(line)
        if match:
            if body:
                yield start, stamp, body
            start, stamp, body = number, match.group(1), []
        else:
            body.append(line)
    if body:
        yield start, stamp, body


def _conversation(body: list[str], filename: str, start: int, stamp: str) -> ParsedConversation | None:
    builder = TurnBuilder()
    prompt: list[str] = []
    answer: list[str] = []
    output: list[str] = []
    fence = ""
    relogged = ""  # the prompt of an `/ask`, which newer versions log once more as it is sent

    def flush_prompt() -> None:
        nonlocal relogged
        text = "\n".join(prompt).strip()
        prompt.clear()
        if not text:
            return
        if text.startswith("/"):
            command = _PROMPT_COMMANDS.match(text)
            if command is None:
                builder.dropped["aider command"] += 1
                return
            text = text[command.end() :]
            relogged = text
        elif text == relogged:
            relogged = ""
            return
        context = [{"type": "context", "tag": "aider-output", "text": "\n".join(output).strip()}]
        output.clear()
        builder.user(text, blocks=context if context[0]["text"] else None)

    def flush_answer() -> None:
        nonlocal relogged
        text = "\n".join(answer).strip()
        answer.clear()
        if text:
            relogged = ""
            builder.text(text)

    for raw in body:
        line = raw.rstrip()
        if fence:
            answer.append(line)
            if closes(line, fence):
                fence = ""
            continue
        if line.startswith("####"):
            flush_answer()
            prompt.append(line[5:] if line.startswith("#### ") else line[4:])
            continue
        flush_prompt()
        if line.startswith(">"):
            output.append(line[2:] if line.startswith("> ") else line[1:])
            continue
        fence = opens(line)
        answer.append(line)
    flush_prompt()
    flush_answer()
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return None
    first = next(turn.text for turn in turns if turn.role == "user")
    return ParsedConversation(
        external_id=f"{filename}@{stamp or start}",
        turns=turns,
        title=prompt_title(first),
        metadata={"started_at": stamp} if stamp else {},
        line=start,
        dropped=dict(builder.dropped),
    )


class AiderImporter:
    name = "aider"

    def sniff(self, head: bytes, filename: str) -> bool:
        if filename.replace("\\", "/").rsplit("/", 1)[-1] == _NAME:
            return True
        return head.lstrip().startswith(b"# aider chat started at ")

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).splitlines()
        for start, stamp, body in _sessions(lines):
            conversation = _conversation(body, filename, start, stamp)
            yield conversation if conversation is not None else Skipped("aider session without an answer")


importer = AiderImporter()
