"""A session written out as numbered prompts and their responses: what people's own export scripts make of a Codex
CLI (or other agent) session, as found in a real repository (`dev_history/prompt_history.md`):

    Prompt #2:
    Timestamp: 2025-11-22T21:48:36.901000+01:00
    Prompt: I want to make a chess variant ...
    Response:
    Built a static lichess-inspired board ...

    --------------------------------------------------------------------------------

Each entry is a `Prompt #<n>:` line (numbered from 1, one more each time), an optional `Timestamp:` line, the
prompt after `Prompt: ` (over as many lines as it takes), a `Response:` line and the answer, up to the rule that
ends the entry. A prompt that pastes entries of its own (`Prompt #1:` ... `Response:` inside it, numbered out of
order) keeps them as its text: its own `Response:` line is the one after as many of them as it holds prompts. An
answer the script could not find (`[no response captured]`) leaves its prompt out (counted as `unanswered
prompt`), so the next prompt is not read as a reply to nothing; a prompt that is only the agent's environment block
(`<environment_context>`) is the tool's, not the person's (counted as `context`). The file is one conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

from ._records import read_text
from ._turns import TurnBuilder, prompt_title
from .base import ParseResult, Skipped

_ENTRY = re.compile(r"^Prompt #(\d+):[ \t]*$", re.MULTILINE)
_ENTRY_HEAD = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*Prompt #1:[ \t]*\r?\n(?:Timestamp:[^\n]*\n)?Prompt: ")
_TIMESTAMP = re.compile(r"Timestamp:[ \t]*(\S[^\n]*)\n")
_RESPONSE = re.compile(r"^Response:[ \t]*$", re.MULTILINE)
_PROMPT_LABEL = re.compile(r"^Prompt: ", re.MULTILINE)
_RULE = re.compile(r"\n[ \t]*-{20,}[ \t]*\s*\Z")
_NO_RESPONSE = "[no response captured]"
_CONTEXT = re.compile(r"\A\s*<environment_context>.*</environment_context>\s*\Z", re.DOTALL)
_NO_TALK = "prompt log without an answered prompt"


class PromptLogImporter:
    name = "prompt-log"

    def sniff(self, head: bytes, filename: str) -> bool:
        return _ENTRY_HEAD.match(head) is not None and b"\nResponse:" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream).replace("\r\n", "\n").lstrip("\ufeff")
        builder = TurnBuilder()
        started = None
        for timestamp, prompt, answer in _entries(text):
            started = started or timestamp
            if _CONTEXT.match(prompt):
                builder.dropped["context"] += 1
            elif answer.strip() in ("", _NO_RESPONSE):
                builder.dropped["unanswered prompt"] += 1
            else:
                builder.user(prompt)
                builder.text(answer)
        turns = builder.finish(complete=False)
        if not any(turn.role == "assistant" for turn in turns):
            yield Skipped(_NO_TALK)
            return
        yield builder.conversation(
            PurePosixPath(filename).name,
            title=prompt_title(turns[0].text),
            metadata={"started_at": started} if started else None,
        )


def _entries(text: str) -> Iterator[tuple[str | None, str, str]]:
    """(timestamp, prompt, answer) of each entry, the entries numbered 1, 2, 3, ... (other numbers are text)."""
    starts: list[re.Match[str]] = []
    for entry in _ENTRY.finditer(text):
        if int(entry.group(1)) == len(starts) + 1:
            starts.append(entry)
    for at, entry in enumerate(starts):
        end = starts[at + 1].start() if at + 1 < len(starts) else len(text)
        body = _RULE.sub("", text[entry.end() : end].strip("\n"))
        timestamp = None
        if (stamp := _TIMESTAMP.match(body)) is not None:
            timestamp, body = stamp.group(1).strip(), body[stamp.end() :]
        if not body.startswith("Prompt: "):
            continue
        # The entry's own `Response:` follows those of the entries its prompt pastes, one per `Prompt: ` line.
        prompts = len(_PROMPT_LABEL.findall(body))
        responses = list(_RESPONSE.finditer(body))
        if len(responses) < prompts:
            continue
        response = responses[prompts - 1]
        yield timestamp, body[len("Prompt: ") : response.start()].strip(), body[response.end() :].strip()


importer = PromptLogImporter()
