"""Ollama chats saved as a model: the Modelfile `ollama show --modelfile <name>` prints after `/save <name>` in
`ollama run` (the REPL keeps no transcript of its own; `/save` stores the chat as the model's `MESSAGE` lines),
or any Modelfile written with `MESSAGE` lines.

The syntax is Ollama's (`parser/parser.go`): one command per statement, the command's name in any case
(`FROM`, `SYSTEM`, `TEMPLATE`, `PARAMETER <name>`, `MESSAGE <role>`, `ADAPTER`, `LICENSE`, `DRAFT`, `RENDERER`,
`PARSER`, `REQUIRES`), `#` comments, and a value that runs to the end of its line unless it is quoted, in one or
three double quotes, over as many lines as it takes, with no escapes (Ollama writes three when the text holds a
double quote).
`MESSAGE user|assistant|system <text>` are the turns; `SYSTEM` is the system prompt, and so is a system message
before the first turn. The other commands configure the model and are not read.

The file's path is the external id. `ollama show` names the saved model in its header (`# FROM git-undo:latest`):
that name is the title and the metadata's `model` (the `FROM` line itself is a blob path there); a Modelfile
written by hand names its base model in `FROM`, kept as `base_model`. A Modelfile without messages defines a model,
not a conversation, and is skipped with that reason. An unknown command or role is an error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM, BadRecord
from ._records import read_text
from ._turns import TurnBuilder, prompt_title
from .base import ParseResult, RecordError, Skipped

_COMMANDS = frozenset(
    {"from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "parameter", "message",
     "requires"}
)  # fmt: skip
_ROLES = frozenset({"system", "user", "assistant"})
_FROM = re.compile(rb"(?im)^[ \t]*from[ \t]+\S")
_MESSAGE = re.compile(rb"(?im)^[ \t]*message[ \t]+(?:user|assistant|system)[ \t]")
_SAVED_AS = re.compile(r"(?m)^# FROM (\S+)[ \t]*$")
_NAME = re.compile(r"[A-Za-z]+")
_PARAMETER = re.compile(r"[A-Za-z0-9_]+")
_NO_MESSAGES = "Ollama Modelfile without MESSAGE lines (a model definition, not a conversation)"


class _SyntaxError(Exception):
    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.line = line


class OllamaImporter:
    name = "ollama"

    def sniff(self, head: bytes, filename: str) -> bool:
        stripped = head.removeprefix(BOM).lstrip()
        if not stripped or stripped[:1] in b"{[<":
            return False
        if _FROM.search(head) is None:
            return False
        # A Modelfile without messages is known too, to be skipped as a model definition.
        base = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
        return _MESSAGE.search(head) is not None or base == "modelfile" or base.endswith(".modelfile")

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream)
        try:
            commands = list(_commands(text))
        except _SyntaxError as exc:
            yield RecordError(str(exc), line=exc.line)
            return
        builder = TurnBuilder()
        started = False
        base_model = None
        for name, argument, value, _ in commands:
            if name == "from":
                base_model = value
            elif name == "system" and not started:
                builder.system(value)
            elif name == "message":
                if argument == "system" and not started:
                    builder.system(value)
                elif argument == "user":
                    builder.user(value)
                    started = True
                elif argument == "assistant":
                    builder.text(value)
                    started = True
                else:
                    builder.dropped["system message"] += 1
        if not started:
            yield Skipped(_NO_MESSAGES)
            return
        saved = _SAVED_AS.search(text)
        metadata = {"model": saved[1]} if saved else {}
        if base_model and not saved:
            metadata["base_model"] = base_model
        try:
            conversation = builder.conversation(filename.replace("\\", "/"), metadata=metadata)
        except BadRecord as exc:
            yield RecordError(f"Ollama Modelfile: {exc}")
            return
        conversation.title = (
            saved[1].removesuffix(":latest") if saved else prompt_title(conversation.turns[0].text)
        )
        yield conversation


def _commands(text: str) -> Iterator[tuple[str, str | None, str, int]]:
    """(command, its role or parameter name, value, line) for each statement; _SyntaxError on an unknown
    command or role, or a quoted value that never closes."""
    at, line, end = 0, 1, len(text)
    while at < end:
        char = text[at]
        if char in " \t\r\n":
            line += char == "\n"
            at += 1
            continue
        if char == "#":
            stop = text.find("\n", at)
            at = end if stop < 0 else stop
            continue
        name_match = _NAME.match(text, at)
        name = name_match[0].lower() if name_match else ""
        if name not in _COMMANDS:
            shown = text[at : at + 20].split(None, 1)[0]
            raise _SyntaxError(f"not a Modelfile command: {shown!r}", line)
        at = name_match.end() if name_match else at
        argument = None
        if name in ("message", "parameter"):
            at = _skip_spaces(text, at)
            word = (_NAME if name == "message" else _PARAMETER).match(text, at)
            argument = word[0] if word else ""
            if name == "message" and argument not in _ROLES:
                raise _SyntaxError(
                    f'MESSAGE role must be "system", "user" or "assistant", got {argument!r}', line
                )
            at = word.end() if word else at
        at = _skip_spaces(text, at)
        value, after = _value(text, at, line)
        yield name, argument, value, line
        line += text.count("\n", at, after)
        at = after


def _skip_spaces(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t":
        at += 1
    return at


def _value(text: str, at: int, line: int) -> tuple[str, int]:
    """The value starting at `at` and where its statement ends. A quoted value ends at a closing quote with
    nothing but spaces after it on its line, as Ollama reads it."""
    for quote in ('"""', '"'):
        if not text.startswith(quote, at):
            continue
        close = text.find(quote, at + len(quote))
        while close >= 0:
            after = close + len(quote)
            stop = text.find("\n", after)
            if not text[after : len(text) if stop < 0 else stop].strip():
                return text[at + len(quote) : close], after
            close = text.find(quote, close + 1)
        raise _SyntaxError(f"a value opened with {quote} is never closed", line)
    stop = text.find("\n", at)
    stop = len(text) if stop < 0 else stop
    return text[at:stop].strip(), stop


importer = OllamaImporter()
