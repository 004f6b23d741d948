"""Claude.ai's chat page copied whole (select all, copy), as people paste it into notes, READMEs and `.txt` files.

The copy keeps the screen reader's labels: each message the person wrote opens with `You said: `, each answer with
`Claude responded: `. The label repeats the message's opening (its first sentence, or its first 150 characters and
`…`) before the message itself, and the person's message ends with its time (`4:50 AM`, `22:30`), after `Show
more` / `Show less` when the page folded it and before `2 / 2` when it was edited. What separated the page's blocks
is lost: the labels follow the text before them with no line break (`...Tell me when it's done.You said: done`).
Markdown is lost too (a code block's language name runs into its first line); the text is kept as copied.
An answer's label counts only right after a time, and the person's message opens at the last `You said: ` before
it: the same words inside an answer (a bot that prints "You said: ...") stay its text.

The labels, the repeated openings and the times are left out; the page's notices (`Claude's response was
interrupted`, `Retry`, the disclaimer under the last answer) too, counted as dropped page text, as is what stands
before the first `You said: ` (the rest of an answer whose question was not copied, or the person's own notes). A
`# ` line first is the title. The file is one conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM
from ._records import first_byte, read_text
from ._turns import TurnBuilder, copied_chat
from .base import ParseResult, RecordError

_PERSON = "You said: "
_CLAUDE = "Claude responded: "
# The labels in the page's other languages, as real copies show them: German "Du hast gesagt: " / "Claude hat
# geantwortet: " (ninth fetch: matched no format).
_PERSON_LABEL = re.compile(r"(?:You said|Du hast gesagt): ")
_CLAUDE_LABEL = r"Claude (?:responded|hat geantwortet): "
_ANSWER = re.compile(_CLAUDE_LABEL)
# What ends the person's message on the page: the fold button, the time, the edit's version.
_MESSAGE_END = re.compile(
    r"(?:Show (?:more|less))?\s*(?P<hour>\d{1,2}):(?P<minute>[0-5]\d)(?:\s?(?P<half>[AaPp]\.?[Mm]\.?))?"
    r"(?:\s*\d+ / \d+)?\s*\Z"
)
# The page's signature: a time (and the edit's version) right before an answer's label.
_TIME = r"\d:[0-5]\d(?:\s?[AaPp]\.?[Mm]\.?)?(?:\s*\d+ / \d+)?\s*"
_SIGNATURE = re.compile((_TIME + _CLAUDE_LABEL).encode())
_TIME_END = re.compile(_TIME + r"\Z")
_INTERRUPTED = re.compile(r"\s*Claude's response was interrupted\s*(?:Retry)?\s*\Z")
_DISCLAIMER = re.compile(
    r"\s*Claude (?:is AI and )?can make mistakes\. Please double-check (?:responses|cited sources)\."
    r"|\s*Claude ist eine KI und kann Fehler machen\. Bitte überprüfe die Antworten\."
)
# The model picker's label above the disclaimer ("Opus 4.7").
_MODEL_LABEL = re.compile(r"\s*(?:Claude )?(?:Opus|Sonnet|Haiku)(?: \d+(?:\.\d+)?)?\s*\Z")
_TITLE = re.compile(r"#[ \t]+(\S[^\n]*)")
_LABEL_SEARCH = 4  # characters of a message's opening looked for again after its label ("Okay.Okay. ...")
_LABEL_LONGEST = 1000  # a label is a sentence or 150 characters; past this, no label was found


class ClaudePageImporter:
    name = "claude-page"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) in (None, ord("{"), ord("[")) or b"\x00" in head:
            return False
        return (
            _PERSON_LABEL.search(head.decode(errors="ignore")) is not None
            and _SIGNATURE.search(head) is not None
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream).removeprefix(BOM.decode())
        builder = TurnBuilder()
        head: str | None = None
        answered = 0  # where the last answer's label ended: its text runs to the next message of the person's
        for label in _ANSWER.finditer(text):
            # An answer's label follows the time of the person's message; one that does not (a log line in an
            # answer, `Claude responded: ok`) is text. Its message opens at the last `You said: ` before it.
            if _TIME_END.search(text, max(label.start() - 40, 0), label.start()) is None:
                continue
            person = _last_person(text, answered, label.start())
            if person is None:
                continue
            if head is None:
                head = text[: person.start()]
            else:
                builder.text(_answer(text[answered : person.start()], builder, last=False))
            prompt = _message(text[person.end() : label.start()])
            builder.user(prompt)
            answered = label.end()
        if head is None:
            yield RecordError(
                f"no message of yours (`{_PERSON}...`) ending with its time and Claude's answer (`9:01 AM{_CLAUDE}...`)"
                " in the copied page"
            )
            return
        builder.text(_answer(text[answered:], builder, last=True, prompt=prompt))
        if head.strip():
            builder.dropped["page text"] += 1
        title = _TITLE.match(head.lstrip())
        yield copied_chat(
            builder,
            filename,
            metadata={"exporter": "claude-page-copy"},
            missing=f"no answer (`{_CLAUDE}...`) in the copied page",
            title=title.group(1).strip() if title else None,
        )


def _message(body: str) -> str:
    """The person's message without its time, fold button and version, and without the label's opening."""
    end = _MESSAGE_END.search(body)
    if end is not None:
        hour = end.group("hour")
        if end.group("half") and len(hour) == 2 and int(hour) > 12:
            body = body[: end.start("hour") + 1]  # `version 21:06 PM`: a 12-hour clock has no hour 21
        else:
            body = body[: end.start()]
    return _without_label(body)


def _last_person(text: str, start: int, end: int) -> re.Match[str] | None:
    """The last label of the person's between `start` and `end`."""
    labels = list(_PERSON_LABEL.finditer(text, start, end))
    return labels[-1] if labels else None


def _answer(body: str, builder: TurnBuilder, *, last: bool, prompt: str = "") -> str:
    if last and (disclaimer := _DISCLAIMER.search(body)) is not None and len(body) - disclaimer.end() <= 200:
        body = body[: disclaimer.start()]
        builder.dropped["page text"] += 1
        if (model := _MODEL_LABEL.search(body)) is not None:
            body = body[: model.start()]
            builder.dropped["page text"] += 1
        body = _without_draft(body, prompt, builder)
    interrupted = _INTERRUPTED.search(body)
    if interrupted is not None:
        body = body[: interrupted.start()]
        builder.dropped["page text"] += 1
    return _without_label(body)


def _without_draft(body: str, prompt: str, builder: TurnBuilder) -> str:
    """The last answer without the message box's draft under it, when the box still held the last prompt (a
    German copy: the prompt again, never sent, after the answer)."""
    wanted = _squeezed(prompt)
    if not wanted:
        return body
    count, at = 0, len(body)
    while at > 0 and count < len(wanted):
        at -= 1
        count += not body[at].isspace()
    if at > 0 and _squeezed(body[at:]) == wanted:
        builder.dropped["unsent draft"] += 1
        return body[:at]
    return body


def _without_label(body: str) -> str:
    """The message after its label: the label is the message's opening (whitespace aside, `…` where it was cut),
    so the message starts where that opening is found again. Kept whole when it is not."""
    body = body.strip()
    probe = body[: min(_LABEL_SEARCH, len(body) // 2)]
    if not probe:
        return body
    at = body.find(probe, len(probe))
    while at != -1 and at <= _LABEL_LONGEST:
        label = _squeezed(body[:at]).removesuffix("…")
        if label and _squeezed(body[at : at + 4 * at + 16]).startswith(label):
            return body[at:]
        at = body.find(probe, at + 1)
    return body


def _squeezed(text: str) -> str:
    return "".join(text.split())


importer = ClaudePageImporter()
