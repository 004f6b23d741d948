"""aider's LLM history (`--llm-history-file`, often `.aider.llm.history`): every request aider sent and every
answer it got, as text.

A request is a `TO LLM <time>` line, then each message as a `-------` line and its content lines prefixed
with the role in capitals (`SYSTEM `, `USER `, `ASSISTANT `); an answer is an `LLM RESPONSE <time>` line and
its `ASSISTANT ` lines. Every request sends the whole chat again, after aider's own context (the repo map,
the files' contents, example exchanges, each acknowledged by a canned "Ok, ..."), so the conversation is
read from the requests themselves: each one's last user message is what was asked, and its answer follows.
A request that carries the answer before it continues that conversation; one that does not (a new session,
`/clear`, history summarized away) starts another. Requests aider makes for itself, commit messages and
chat summaries, are skipped, and so is a request that got no answer.

aider may append its system reminder to the message asked (`reminder: user`); text after a blank line that
the system prompt also holds is cut off. The file is read a line at a time: only the request being read and
the conversation being built are held.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from ._json import iter_lines
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, Skipped

_HEADER = re.compile(rb"(TO LLM|LLM RESPONSE) (\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)\r?\n?")
_SEPARATOR = b"-------"
_ROLES = {"SYSTEM": "system", "USER": "user", "ASSISTANT": "assistant", "TOOL": "tool", "FUNCTION": "tool"}
# aider's own requests: commit messages for its edits and summaries of long chats (by their system prompts).
_AUXILIARY = (
    ("commit message", "aider commit-message request"),
    ("summarize this partial conversation", "aider chat-summary request"),
)
# The shortest tail of an asked message that counts as aider's reminder when the system prompt holds it.
_MIN_REMINDER = 80


def _digest(text: str) -> bytes:
    return hashlib.blake2b(" ".join(text.split()).encode(), digest_size=16).digest()


@dataclass(slots=True)
class _Request:
    line: int
    stamp: str
    system: list[str] = field(default_factory=list)
    asked: str | None = None  # the last user message
    answers_before: set[bytes] = field(default_factory=set)  # digests of the assistant messages sent


@dataclass(slots=True)
class _Chat:
    line: int
    stamp: str
    builder: TurnBuilder = field(default_factory=TurnBuilder)
    last_answer: bytes = b""
    system: str | None = None


def _without_reminder(asked: str, system: str) -> str:
    """The asked message without aider's system reminder appended after a blank line (the system prompt
    holds the same text)."""
    at = asked.find("\n\n")
    while at >= 0:
        tail = asked[at:].strip()
        if len(tail) >= _MIN_REMINDER and tail in system:
            return asked[:at].rstrip()
        at = asked.find("\n\n", at + 2)
    return asked


class AiderLlmHistoryImporter:
    name = "aider-llm"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = head.lstrip(b"\xef\xbb\xbf\r\n").split(b"\n", 2)
        return len(first) >= 2 and _HEADER.fullmatch(first[0]) is not None and first[1].rstrip() == _SEPARATOR

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        chat: _Chat | None = None
        request: _Request | None = None
        answer: list[str] | None = None  # lines of the answer being read
        role: str | None = None  # of the request's message being read
        message: list[str] = []
        prefix = ""  # its lines' role prefix ("USER ")
        stray = False  # lines before the first request were reported (once)

        def close_message() -> None:
            nonlocal role
            if request is None or role is None:
                return
            text = "\n".join(message)
            if role == "system":
                request.system.append(text)
            elif role == "user":
                request.asked = text
            elif role == "assistant":
                request.answers_before.add(_digest(text))
            role = None
            message.clear()

        def finish_exchange() -> Iterator[ParseResult]:
            """The request and its answer read: continue the chat, or start another."""
            nonlocal chat
            if request is None or answer is None:
                return  # a request without an answer (it failed, or the file ends there)
            system = "\n\n".join(request.system)
            reason = next((why for marker, why in _AUXILIARY if marker in system[:2000].lower()), None)
            if reason is not None:
                yield Skipped(reason)
                return
            if not request.asked or not request.asked.strip():
                yield Skipped("aider request without a user message")
                return
            if chat is None or chat.last_answer not in request.answers_before:
                if chat is not None:
                    yield from _finished(chat, filename)
                chat = _Chat(request.line, request.stamp, system=system or None)
            chat.builder.user(_without_reminder(request.asked, system))
            text = "\n".join(answer).strip()
            chat.builder.text(text)
            chat.last_answer = _digest(text)

        for entry in iter_lines(stream):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, raw = entry
            header = _HEADER.fullmatch(raw) if raw[:1] in (b"T", b"L") else None
            if header is not None:
                close_message()
                if header.group(1) == b"TO LLM":
                    yield from finish_exchange()
                    request, answer = _Request(number, header.group(2).decode()), None
                elif request is None:
                    yield RecordError("an answer (LLM RESPONSE) before any request (TO LLM)", line=number)
                    stray = True  # its lines are not reported one by one
                else:
                    answer = []
                continue
            try:
                line = raw.decode().rstrip("\r\n")
            except UnicodeDecodeError as exc:
                yield RecordError(f"not valid UTF-8 at byte {exc.start}", line=number)
                continue
            if answer is not None:
                answer.append(line[len("ASSISTANT ") :] if line.startswith("ASSISTANT ") else line)
            elif request is None:
                if not stray:
                    yield RecordError("text before the first request (TO LLM)", line=number)
                stray = True
            elif line == "-------":
                close_message()
            elif role is None:
                word = line.split(" ", 1)[0]
                if word not in _ROLES:
                    yield RecordError(f"a message line must start with SYSTEM, USER or ASSISTANT, got {word[:20]!r}",
                                      line=number)  # fmt: skip
                    continue
                role, prefix = _ROLES[word], word + " "
                message.append(line[len(prefix) :])
            else:
                message.append(line[len(prefix) :] if line.startswith(prefix) else line)
        close_message()
        yield from finish_exchange()
        if chat is not None:
            yield from _finished(chat, filename)


def _finished(chat: _Chat, filename: str) -> Iterator[ParseResult]:
    turns = chat.builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        yield Skipped("aider chat without an answer")
        return
    first = next(turn.text for turn in turns if turn.role == "user")
    yield ParsedConversation(
        external_id=f"{filename}@{chat.stamp}#{chat.line}",
        turns=turns,
        title=prompt_title(first),
        system_prompt=chat.system,
        metadata={"started_at": chat.stamp},
        line=chat.line,
        dropped=dict(chat.builder.dropped),
    )


importer = AiderLlmHistoryImporter()
