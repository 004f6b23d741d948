"""gptel chats (karthink/gptel, the Emacs LLM client): any chat buffer the person saves, Org, Markdown or text.

The shape was read from gptel's `gptel-org--save-state` and its test examples: the file opens with an Org property
drawer holding the chat's state, `:GPTEL_MODEL:`, `:GPTEL_BACKEND:`, `:GPTEL_SYSTEM:` (line breaks written `\\n`)
and `:GPTEL_BOUNDS:`, where the answers are: `((response (BEG END) (BEG END) ...))` in current versions (also
`(ignore ...)` and `(tool ...)` spans), `((BEG . END) ...)` in earlier ones, as 1-based character positions in the
buffer. Text inside a `response` span is the assistant's, `tool` spans are tool output of the answer, `ignore` spans
are left out, and everything else after the drawer is the person's: the prompt prefix (`*** ` by default, or a
custom `*Prompt*:`) is taken off, as is a trailing response label (`*Response*:`). Answers stay in the Org markup
gptel wrote them in.

Chats saved from Markdown or text buffers (gptel's default) keep the same state in file-local variables at the end
of the file instead (`<!-- gptel--bounds: ... -->`, `;; gptel-model: ...`; real chats committed to public
repositories show both), read the same way; the later dotted form of the spans, `(response . ((BEG END) ...))`, too.
Those are recognised when the whole file fits the head a format is told by; longer ones need `--format gptel`.

The file is one conversation: its name the external id, the `#+title:` (else the first prompt) the title, the model
and backend the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._records import first_byte, read_text
from ._turns import TurnBuilder, prompt_title, tool_result
from .base import FileFormatError, ParseResult, Skipped

_DRAWER = re.compile(r"\A\s*:PROPERTIES:[ \t]*\n(.*?)\n[ \t]*:END:[ \t]*\n?", re.DOTALL | re.IGNORECASE)
_PROPERTY = re.compile(r"[ \t]*:([A-Za-z_]+):[ \t]*(.*)")
_TOKEN = re.compile(r"\(|\)|\.(?=[\s()])|\"(?:[^\"\\]|\\.)*\"|[^\s()\"]+")
_TITLE = re.compile(r"#\+title:[ \t]*(.+)", re.IGNORECASE)
# Org keyword lines (`#+title: ...`, `#+STARTUP: ...`) are the file's settings, not the person's words.
_KEYWORD_LINE = re.compile(r"[ \t]*#\+[A-Za-z_]+:")
# What opens a prompt (Org heading stars, Markdown's `### `, a custom bold label) and what may close it (the label before an answer).
_PROMPT_PREFIX = re.compile(r"\A\s*(?:\*+[ \t]+|#{1,6}[ \t]+|\*[^*\n]{1,20}\*:[ \t]*)?")
_RESPONSE_LABEL = re.compile(r"\n?[ \t]*(?:\*[^*\n]{1,20}\*:|\*+)[ \t]*\Z")
_NO_TALK = "gptel chat without a prompt and an answer"


class GptelImporter:
    name = "gptel"

    def sniff(self, head: bytes, filename: str) -> bool:
        if b"\x00" in head or first_byte(head) in (None, ord("{"), ord("[")):
            return False
        if b":GPTEL_BOUNDS:" in head or (b":GPTEL_MODEL:" in head and b":PROPERTIES:" in head):
            return True
        # A Markdown (or text) chat's state is in file-local variables at its end: seen when the file fits the head.
        return b"gptel--bounds:" in head and b"Local Variables:" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream).replace("\r\n", "\n")  # Emacs counts a line break as one character
        drawer = _DRAWER.match(text)
        local = _LOCAL_VARIABLES.search(text)
        if drawer is not None:
            state = {
                match.group(1).upper(): match.group(2).strip()
                for line in drawer.group(1).splitlines()
                if (match := _PROPERTY.match(line))
            }
            start_at = drawer.end()
        elif local is not None:
            state = _local_state(local.group(0))
            start_at = 0
            # The variables block is not the person's: blank it out, keeping every position.
            text = text[: local.start()] + " " * (local.end() - local.start()) + text[local.end() :]
        else:
            raise FileFormatError(
                "expected gptel's state: a property drawer (:PROPERTIES: ... :END:) at the top of the file, or "
                "file-local variables (Local Variables: ... gptel--bounds: ... End:)"
            )
        spans = _spans(state.get("GPTEL_BOUNDS", ""))
        builder = TurnBuilder()
        system = state.get("GPTEL_SYSTEM")
        if system:
            builder.system(system.replace("\\n", "\n"))
        at = start_at
        for kind, start, end in spans:
            if start < at or end > len(text) or end < start:
                raise FileFormatError(
                    f"GPTEL_BOUNDS: the span {start + 1}-{end + 1} is outside the chat's text "
                    f"({at + 1}-{len(text) + 1})"
                )
            _prompt(builder, text[at:start])
            if kind == "response":
                builder.text(text[start:end].strip())
            elif kind == "tool":
                builder.block(tool_result(None, text[start:end].strip()))
            at = end
        _prompt(builder, text[at:])
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            yield Skipped(_NO_TALK)
            return
        title = _TITLE.search(text[start_at : spans[0][1]] if spans else "")
        first = next((turn.text for turn in builder.turns if turn.role == "user"), "")
        metadata = {
            key: state[name]
            for key, name in (("model", "GPTEL_MODEL"), ("backend", "GPTEL_BACKEND"))
            if state.get(name)
        }
        yield builder.conversation(
            filename, title=title.group(1).strip() if title else prompt_title(first), metadata=metadata
        )


def _prompt(builder: TurnBuilder, text: str) -> None:
    """The person's text between answers, without Org keyword lines, the prompt prefix and a response label."""
    kept = "\n".join(line for line in text.split("\n") if not _KEYWORD_LINE.match(line))
    kept = _RESPONSE_LABEL.sub("", _PROMPT_PREFIX.sub("", kept, count=1))
    if kept.strip():
        builder.user(kept.strip())


# Emacs file-local variables, as gptel writes them in Markdown (`<!-- key: value -->`) or text (`;; key: value`).
_LOCAL_VARIABLES = re.compile(
    r"^[ \t]*(?:<!--|;;|#)[ \t]*Local Variables:.*?^[ \t]*(?:<!--|;;|#)[ \t]*End:.*?$", re.M | re.S
)
_LOCAL = re.compile(r"^[ \t]*(?:<!--|;;|#)[ \t]*([\w-]+):[ \t]*(.*?)[ \t]*(?:-->)?[ \t]*$", re.M)
_LOCAL_NAMES = {
    "gptel--bounds": "GPTEL_BOUNDS",
    "gptel-model": "GPTEL_MODEL",
    "gptel--backend-name": "GPTEL_BACKEND",
    "gptel-system-prompt": "GPTEL_SYSTEM",
    "gptel--system-message": "GPTEL_SYSTEM",
}


def _local_state(block: str) -> dict[str, str]:
    """The chat's state from its file-local variables, under the Org drawer's names; quoted values unquoted
    (`\\"` and `\\\\` unescaped, line breaks kept as `\\n` for the caller)."""
    state: dict[str, str] = {}
    for name, value in _LOCAL.findall(block):
        key = _LOCAL_NAMES.get(name)
        if key is None:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        state[key] = value
    return state


def _spans(bounds: str) -> list[tuple[str, int, int]]:
    """The (kind, start, end) spans of GPTEL_BOUNDS as 0-based offsets, in order: `((response (B E) ...) (tool
    (B E ...)) ...)`, or the earlier `((B . E) ...)`, all responses."""
    if not bounds:
        return []
    try:
        value = _read_sexp(_TOKEN.findall(bounds))
    except (IndexError, ValueError):
        raise FileFormatError(f"GPTEL_BOUNDS: cannot read {bounds[:80]!r}") from None
    spans: list[tuple[str, int, int]] = []
    for item in value if type(value) is list else ():
        if type(item) is list and item and type(item[0]) is str:
            # `(response (B E) ...)`, or the dotted `(response . ((B E) ...))` of later versions.
            listed = (
                item[1]
                if len(item) == 2 and type(item[1]) is list and item[1] and type(item[1][0]) is list
                else item[1:]
            )
            for span in listed:
                if type(span) is list and len(span) >= 2 and all(type(x) is int for x in span[:2]):
                    spans.append((item[0], span[0] - 1, span[1] - 1))
        elif type(item) is list and len(item) >= 2 and all(type(x) is int for x in item[:2]):
            spans.append(("response", item[0] - 1, item[1] - 1))
    if not spans and value:
        raise FileFormatError(f"GPTEL_BOUNDS: no response spans in {bounds[:80]!r}")
    return sorted(spans, key=lambda span: span[1])


def _read_sexp(tokens: list[str]) -> Any:
    """A list of Emacs Lisp tokens as nested lists (a dotted pair as a two-item list; numbers as ints)."""
    stack: list[list[Any]] = [[]]
    for token in tokens:
        if token == "(":
            stack.append([])
        elif token == ")":
            done = stack.pop()
            stack[-1].append(done)
        elif token == ".":
            continue
        elif token.lstrip("-").isdigit():
            stack[-1].append(int(token))
        else:
            stack[-1].append(token.strip('"'))
    if len(stack) != 1 or len(stack[0]) != 1:
        raise ValueError("unbalanced")
    return stack[0][0]


importer = GptelImporter()
