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

The page as it was before those labels (2024-25) is read too: no line names a speaker there. The person's initials
(`CY`, their avatar) stand alone on the line above each of their messages, the message's `Edit` button on the line
under it, and the answer's `Retry` button on the line under the answer. Before the first message come the sidebar
(its chats, the plan, the initials and the e-mail address) and the chat's title; after the last answer the
disclaimer, the model's name (`3.7 Sonnet`), `Choose style` and the open artifact's panel, all dropped as page text.
An artifact's card in an answer (its title, `Click to open code` or `Tap to open`) is counted as an artifact the copy
does not hold, and a code block's `Copy` button is left out.
"""

from __future__ import annotations

import re
from collections import Counter
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
# The page before its screen-reader labels (twelfth fetch: a copy of 2025 matched no format). Its signature: an
# answer's `Retry` button, then the initials above the person's next message or the disclaimer; and an `Edit` button.
_OLD_RETRY = re.compile(
    r"^Retry[ \t]*\n(?:[ \t]*\n)*(?:(?P<initials>[^\W\d_]{1,3})[ \t]*\n|Claude can make mistakes)",
    re.MULTILINE,
)
_OLD_EDIT = re.compile(r"^Edit[ \t]*$", re.MULTILINE)
# `CopyRetry`: the two buttons' words run together.
_RETRY_LINE = re.compile(r"[ \t]*(?:Copy[ \t]*)?Retry[ \t]*")
_EDIT_LINE = re.compile(r"[ \t]*Edit[ \t]*")
_INITIALS = re.compile(r"[ \t]*([^\W\d_]{1,3})[ \t]*")
_EMAIL = re.compile(r"[ \t]*[\w.+-]+@[\w-]+(?:\.[\w-]+)+[ \t]*")
_OLD_DISCLAIMER = re.compile(r"[ \t]*Claude can make mistakes\.")
# The notice the page of 2024 put above the disclaimer.
_CANNOT_RUN = re.compile(r"[ \t]*Claude does not have the ability to run the code it generates yet\.[ \t]*")
# An artifact's card in an answer: its title, `Edited` when the answer changed it, then the button (`Click to open
# code`, `... component`, `... document`; `Tap to open` on a phone).
_CARD_BUTTON = re.compile(r"[ \t]*(?:Click to open(?: [a-z]+)?|Tap to open)[ \t]*")
_COPY_LINE = re.compile(r"[ \t]*Copy[ \t]*")
_PASTED = re.compile(r"[ \t]*pasted[ \t]*")  # under the preview of a text the person pasted as a file
_LABEL_SEARCH = 4  # characters of a message's opening looked for again after its label ("Okay.Okay. ...")
_LABEL_LONGEST = 1000  # a label is a sentence or 150 characters; past this, no label was found


class ClaudePageImporter:
    name = "claude-page"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) in (None, ord("{"), ord("[")) or b"\x00" in head:
            return False
        text = head.decode(errors="ignore")
        if _PERSON_LABEL.search(text) is not None and _SIGNATURE.search(head) is not None:
            return True
        return _old_layout(text)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream).removeprefix(BOM.decode())
        if _SIGNATURE.search(text.encode()) is None and _old_layout(text):
            yield _old_page(text, filename)
            return
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


def _old_layout(text: str) -> bool:
    """Whether a text is the page of 2024-25 copied: an `Edit` button, and a `Retry` button followed by the person's
    initials or by the disclaimer."""
    if _OLD_EDIT.search(text) is None:
        return False
    return any(
        retry.group("initials") is None or retry.group("initials").isupper()
        for retry in _OLD_RETRY.finditer(text)
    )


def _old_page(text: str, filename: str) -> ParseResult:
    """The page of 2024-25 copied: each exchange the person's initials, their message, `Edit`, the answer, `Retry`."""
    lines = text.replace("\r\n", "\n").split("\n")
    builder = TurnBuilder()
    end = _old_footer(lines)
    if end < len(lines):
        builder.dropped["page text"] += 1
    segments: list[list[str]] = [[]]
    for line in lines[:end]:
        if _RETRY_LINE.fullmatch(line):
            segments.append([])
        else:
            segments[-1].append(line)
    initials = _initials(lines[:end], segments)
    title: str | None = None
    exchanges: list[tuple[str, list[str]]] = []
    for number, segment in enumerate(segments):
        # The button is the last `Edit` line with an answer under it: the person's message may list `Edit` too.
        edits = [at for at, line in enumerate(segment) if _EDIT_LINE.fullmatch(line)]
        answered = max((at for at, line in enumerate(segment) if line.strip()), default=-1)
        edit = next((at for at in reversed(edits) if at < answered), edits[0] if edits else None)
        mark = None
        if edit is not None and initials is not None:
            mark = next((at for at in range(edit - 1, -1, -1) if segment[at].strip() == initials), None)
        if edit is None or mark is None:
            if number + 1 < len(segments) and exchanges:
                exchanges[-1][1].extend(["Retry", *segment])  # a `Retry` line of the answer's own
            elif any(line.strip() for line in segment):
                builder.dropped["page text"] += 1
            continue
        before = [line for line in segment[:mark] if line.strip()]
        if before and _PASTED.fullmatch(before[-1]):
            builder.dropped["attachment"] += 1  # a text pasted as a file: its preview, not its content
            before = before[:-2]
        if not exchanges:
            title = _old_title(segment[:mark], initials)
        if before:
            builder.dropped["page text"] += 1
        exchanges.append(("\n".join(segment[mark + 1 : edit]).strip(), segment[edit + 1 :]))
    for prompt, answer in exchanges:
        builder.user(prompt)
        builder.text(_old_answer(answer, builder))
    return copied_chat(
        builder,
        filename,
        metadata={"exporter": "claude-page-copy"},
        missing="no message of yours (your initials, then `Edit`) with Claude's answer (ending with `Retry`) in the"
        " copied page",
        title=title,
    )


def _old_footer(lines: list[str]) -> int:
    """Where the page's footer starts: the disclaimer after the last answer's `Retry` (and the notice above it);
    the model's name, `Choose style` and the open artifact's panel follow. The end when there is none."""
    for at in range(len(lines) - 1, -1, -1):
        if not _OLD_DISCLAIMER.match(lines[at]):
            continue
        start = at
        while start and (not lines[start - 1].strip() or _CANNOT_RUN.fullmatch(lines[start - 1])):
            start -= 1
        if start and _RETRY_LINE.fullmatch(lines[start - 1]):
            return start
    return len(lines)


def _initials(lines: list[str], segments: list[list[str]]) -> str | None:
    """The person's initials: the sidebar's, above their e-mail address, else the line most often opening an
    exchange (after an answer's `Retry`), else the last such line above the first `Edit`."""
    seen: Counter[str] = Counter()
    for at, line in enumerate(lines):
        if _EMAIL.fullmatch(line):
            above = next((lines[i] for i in range(at - 1, -1, -1) if lines[i].strip()), "")
            if (initials := _INITIALS.fullmatch(above)) is not None and initials.group(1).isupper():
                return initials.group(1)
            break
    for segment in segments[1:]:
        first = next((line for line in segment if line.strip()), "")
        if (initials := _INITIALS.fullmatch(first)) is not None and initials.group(1).isupper():
            seen[initials.group(1)] += 1
    if seen:
        return seen.most_common(1)[0][0]
    edit = next((at for at, line in enumerate(lines) if _EDIT_LINE.fullmatch(line)), 0)
    for line in reversed(lines[:edit]):
        if (initials := _INITIALS.fullmatch(line)) is not None and initials.group(1).isupper():
            return initials.group(1)
    return None


def _old_title(head: list[str], initials: str | None) -> str | None:
    """The chat's title: the first line under the sidebar's e-mail address that is not the initials again."""
    email = next((at for at, line in enumerate(head) if _EMAIL.fullmatch(line)), None)
    if email is None:
        return None
    return next(
        (line.strip() for line in head[email + 1 :] if line.strip() and line.strip() != initials), None
    )


def _old_answer(lines: list[str], builder: TurnBuilder) -> str:
    """An answer without the artifacts' cards (counted: the copy holds no artifact's content) and without the code
    blocks' `Copy` buttons."""
    kept: list[str] = []
    card = False  # the line before was an artifact's card: one blank line stands for it
    for line in lines:
        if _CARD_BUTTON.fullmatch(line):
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and kept[-1].strip() == "Edited":
                kept.pop()
            if kept:
                kept.pop()  # the artifact's title
            while kept and not kept[-1].strip():
                kept.pop()
            kept.append("")
            builder.dropped["artifact not copied"] += 1
            card = True
            continue
        if card and not line.strip():
            continue
        card = False
        if _COPY_LINE.fullmatch(line) and (not kept or not kept[-1].strip()):
            while kept and not kept[-1].strip():
                kept.pop()
            builder.dropped["page text"] += 1
            continue
        kept.append(line)
    return "\n".join(kept).strip()


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
