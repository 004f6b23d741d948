"""aider's `.aider.chat.history.md`: one conversation per `# aider chat started at …` session.

Lines starting `#### ` are what the person typed (a multi-line prompt repeats the marker on every line);
`> ` lines are aider's own output (version banner, "Applied edit to …", command results) and become
context of the next prompt; everything else is the model's answer. aider ends lines with two spaces (a
Markdown line break); they are trimmed. In-chat commands (`/add`, `/run`, `/copy-context`, …) are not
prompts and are left out, except `/ask`, `/code` and `/architect`, whose argument is the prompt (newer versions log
that prompt once more, as a `#### ` line of its own, before the answer: it is read once); what `/git` printed runs
to the next prompt. A `#### ` line in an answer is the model's heading (`#### main.py`), not a prompt: aider ends
what the person typed with two spaces and, after answer text, writes two blank lines before it.
Sessions in which nobody got an answer (a banner, then Ctrl-C) yield nothing.

aider writes each output message as one `> ` line ending in two spaces; a message of several lines (a failed
SEARCH/REPLACE block echoed back, a commit message) has the marker on its first line only, and the two spaces on
its last: those lines are output too, not the answer (when the file kept its trailing spaces). A shell command it
suggests, over several lines, is padded to one width with spaces: more than two trailing spaces are that padding,
not the message's end. A typed answer to a
question ("Add file to the chat? (Y)es/(N)o ... [Yes]: all") and `#### <blank>` (an empty line sent) are no
prompts. A reasoning model's thinking, between `<thinking-content-…>` tags or under "► **THINKING**" up to
"► **ANSWER**", or the `<think>` a model writes itself, is a thinking block of the answer. A code fence the model
left open ends at aider's next output or prompt line. `/clear` and `/reset` empty aider's chat history: what follows
is a conversation of its own (the model no longer sees what came before).
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
# A typed answer to one of aider's questions, logged as a `#### ` line.
_CONFIRM = re.compile(r"\(Y\)es/\(N\)o\b.*\[(?:Yes|No)\]:")
_BLANK = "<blank>"
# `/clear`, `/reset` and the prefixes aider accepts for them (`/res`, `/cle`): the chat history starts over.
_CLEARS = re.compile(r"^####\s+/(?:cle|clea|clear|res|rese|reset)\s*$")
# aider's reasoning tag (`thinking-content-` and a fixed hash), the `<think>` some models write themselves (aider
# passes it through), and how aider shows reasoning in the terminal; each opens a line.
_THINKING = re.compile(
    r"^<(thinking-content-[0-9a-f]+|think|thinking)>[ \t]*\n(.*?)\n?[ \t]*</\1>[ \t]*$\n?"
    r"|^►\s*\*\*THINKING\*\*[ \t]*\n(.*?)\s*(?:^-{3,}[ \t]*\n)?^►\s*\*\*ANSWER\*\*[ \t]*$\n?",
    re.DOTALL | re.MULTILINE,
)
_PROMPT_COMMANDS = re.compile(r"^/(?:ask|code|architect)\s+", re.IGNORECASE)
# `/git …`: aider runs git and prints what it printed (the `> ` marker on its first line only); the model is not
# asked, so all up to the next prompt is that output, even where the file lost the two spaces that end it.
_GIT_COMMAND = re.compile(r"^/git(?:\s|$)")
_NAME = ".aider.chat.history.md"


def is_history(head: bytes) -> bool:
    """Whether a file opens as aider's chat history does, whatever its name."""
    return head.lstrip().startswith(b"# aider chat started at ")


def _sessions(lines: list[str]) -> Iterator[tuple[int, str, list[str]]]:
    start, stamp = 0, ""
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        match = _SESSION.match(line)
        if match:
            if any(kept.strip() for kept in body):
                yield start, stamp, body
            start, stamp, body = number, match.group(1), []
        else:
            body.append(line)
    if any(kept.strip() for kept in body):  # not the blank line aider writes before the first session
        yield start, stamp, body


def _is_output(line: str) -> bool:
    # Not ">>>>>>> REPLACE", the end of an edit block aider echoes back.
    return line.startswith(">") and not line.startswith(">>>>>>>")


def _ends_message(raw: str) -> bool:
    """Whether an output line is its message's last: aider ends that one with a Markdown line break (two spaces).
    The lines of a shell command it suggests are padded to one width with spaces (a real history): more than two
    is that padding, not the end."""
    return raw.endswith("  ") and not raw.endswith("   ")


def _typed_after_answer(raw: str, blanks: int, spaced: bool) -> bool:
    """Whether a `####` line right after answer text is what the person typed, not the model's own heading. In a file
    that kept aider's trailing spaces, a prompt ends in two; where they were lost (twelfth fetch: `#### main.py` over
    each file, `#### Example:`), aider's blank line after an answer and its own before a prompt make two blank lines
    (a heading in an answer has one)."""
    return raw.endswith("  ") if spaced else blanks >= 2


def _answer(builder: TurnBuilder, text: str) -> None:
    """An answer's text, its reasoning (tagged or shown as aider prints it; a reply aider sent again after a question
    holds its own) made thinking blocks in their place."""
    at = 0
    for found in _THINKING.finditer(text):
        if text[at : found.start()].strip():
            builder.text(text[at : found.start()].strip())
        thinking = (found.group(2) if found.group(1) else found.group(3) or "").strip()
        if thinking:
            builder.block({"type": "thinking", "thinking": thinking})
        at = found.end()
    if text[at:].strip():
        builder.text(text[at:].strip())


def _conversation(body: list[str], filename: str, start: int, stamp: str) -> ParsedConversation | None:
    builder = TurnBuilder()
    # A multi-line output message is told by its trailing spaces: only where the file kept them.
    spaced = sum(1 for raw in body if raw.startswith("> ") and raw.endswith("  "))
    unspaced = sum(1 for raw in body if raw.startswith("> ") and not raw.endswith("  "))
    multiline = spaced >= 3 * unspaced
    continued = False  # inside an output message of several lines
    prompt: list[str] = []
    answer: list[str] = []
    output: list[str] = []
    fence = ""
    relogged = ""  # the prompt of an `/ask`, which newer versions log once more as it is sent
    answering = False  # the last line that was not blank belongs to the answer
    blanks = 0  # blank lines right before this one
    git_output = False  # after a `/git` command: its output, up to the next prompt

    def flush_prompt() -> None:
        nonlocal relogged, git_output
        text = "\n".join(prompt).strip()
        prompt.clear()
        if not text:
            return
        if text.startswith("/"):
            command = _PROMPT_COMMANDS.match(text)
            if command is None:
                builder.dropped["aider command"] += 1
                git_output = _GIT_COMMAND.match(text) is not None
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
            _answer(builder, text)

    for raw in body:
        line = raw.rstrip()
        after_blanks, blanks = blanks, (0 if line else blanks + 1)
        if line.startswith("####"):
            git_output = False
        if continued and not line.startswith("####"):
            output.append(line)
            continued = not _ends_message(raw)
            continue
        continued = False
        if fence and multiline and raw.endswith("  ") and (line.startswith("####") or _is_output(line)):
            # A fence the model left open (a README's own fences inside an edit block): aider's next output or
            # the next prompt, which end in two spaces as no answer line does, ends it.
            fence = ""
        if fence:
            answer.append(line)
            if closes(line, fence):
                fence = ""
            continue
        if line.startswith("####") and answering and not _typed_after_answer(raw, after_blanks, multiline):
            answer.append(line)  # `#### Step 1: Create Admin Layout` inside an answer: the model's heading
            continue
        if line.strip():
            answering = False
        if line.startswith("####"):
            typed = line[5:] if line.startswith("#### ") else line[4:]
            if _CONFIRM.search(typed):
                builder.dropped["aider confirmation"] += 1
                continue
            if typed.strip() == _BLANK:
                continue
            flush_answer()
            prompt.append(typed)
            continue
        flush_prompt()
        if git_output:
            output.append(line[2:] if line.startswith("> ") else line)
            continue
        if _is_output(line):
            output.append(line[2:] if line.startswith("> ") else line[1:])
            continued = multiline and line.startswith("> ") and not _ends_message(raw)
            continue
        fence = opens(line)
        if not line and answer and not answer[-1]:
            continue  # the blank lines around output left out of an answer: one paragraph break, not several
        answer.append(line)
        answering = answering or bool(line.strip())
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
        return is_history(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).splitlines()
        for start, stamp, body in _sessions(lines):
            for part, (offset, lines_of_part) in enumerate(_cleared(body)):
                conversation = _conversation(lines_of_part, filename, start + offset, stamp)
                if conversation is None:
                    yield Skipped("aider session without an answer")
                    continue
                if part:
                    conversation.external_id += f"#{part + 1}"
                yield conversation


def _cleared(body: list[str]) -> list[tuple[int, list[str]]]:
    """A session's lines cut where `/clear` or `/reset` emptied the chat history: (line offset, lines) per part; a
    part with no prompt (the history cleared twice, or at the start) is left out."""
    parts: list[tuple[int, list[str]]] = [(0, [])]
    for number, line in enumerate(body, 1):
        if _CLEARS.match(line.rstrip()):
            parts.append((number, []))
        else:
            parts[-1][1].append(line)
    return [part for part in parts if any(line.startswith("####") for line in part[1])] or parts[:1]


importer = AiderImporter()
