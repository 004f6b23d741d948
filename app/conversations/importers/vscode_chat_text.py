"""VS Code's chat copied as text ("Copy All" in the Chat view, as people paste it into `chat_history.md` or a `.log`).

Each request opens with the signed-in account's name and a colon (`octocat: add a README`), each response with
`GitHub Copilot: ` (`Workspace: ` for the @workspace participant's, right after a request); a message runs to the next such line outside a code block. The first line names the person:
only that name opens their messages, so a response's own `Note: ...` lines stay text.

What the agent did is written as lines of their own, read as tool calls of the response in their place:
`Ran terminal command: npm test`, `Ran <tool title>` with its `Completed with input: {...}` (JSON over several
lines), `Read [](file:///...)` (with `, lines 10 to 40`), `Read changed files in [](...)`, `Created [](...)`,
`Searched codebase for "..."` / `Searched for files matching ...` / `Searched for text ...`, `Using "Replace String in
File"` (the empty code block the copy writes for the edit is left out), `Checked background terminal output`, the todo
list's `Created 6 todos`,
`Starting: *...* (1/6)`, `Completed: *...* (1/6)`, and a test run's `45/45 tests passed (100%)`. Its notices
(`Made changes.`, `Optimizing tool selection...`, `Summarized conversation history`, `Discovering tests...`) are left
out and counted as dropped. The file is one conversation; the first request is its title. Text pasted above the
first request (the request right above the first response then names the person) is left out, counted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import unquote

from ._fences import closes, opens
from ._json import BOM
from ._records import first_byte, read_text
from ._turns import TurnBuilder, copied_chat, tool_use
from .base import ParseResult, RecordError

_ASSISTANT = "GitHub Copilot: "
# The @workspace participant's responses (`Workspace: 正在收集工作区信息…`, thirteenth fetch): one opens a response
# only right after a request and a blank line, so an answer's or a request's own `Workspace: ` line stays text.
_PARTICIPANT = "Workspace: "
# A GitHub account name (letters, digits, single hyphens), then `: ` and the request.
_PERSON = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}): ")
_ACTION = re.compile(
    r"(?:Ran terminal command: (?P<command>.+)"
    r"|Read (?P<changed>changed files in )?\[[^\]\n]*\]\((?P<read>[^)\s]+)\)(?:, lines (?P<first>\d+) to (?P<last>\d+))?"
    # The same with its link lost in the copy (`Read `, `Read , lines 1 to 60`), and a subagent's search
    # (`Search complete: Explore project structure`), as a 2026 copy wrote them (eighth fetch).
    r"|(?P<unlinked>Read)(?: ?, lines (?P<from>\d+) to (?P<to>\d+))?"
    r"|Search complete: (?P<explored>.+)"
    # The agent reading a terminal it started (thirteenth fetch: `Checked background terminal output`).
    r"|(?P<terminal>Checked (?:background )?terminal output)"
    r"|Created \[[^\]\n]*\]\((?P<created>[^)\s]+)\)"
    r"|Searched (?P<search>.+?)"
    r"|Using \"(?P<using>[^\"\n]+)\""
    r"|(?P<todo>Created \d+ todos?|(?:Starting|Completed): \*.+\* \(\d+/\d+\))"
    r"|(?P<tests>\d+/\d+ tests? passed \(\d+%\))"
    r"|(?P<notice>Made changes\.|Optimizing tool selection\.\.\.|Summarized conversation history|Discovering tests\.\.\.)"
    # A tool's title, as the copy writes it (`Ran Navigate to a URL `): capitalized, no sentence after it.
    r"|Ran (?P<tool>[A-Z][^.!?\n]{0,60}?))[ \t]*$"
)
_INPUT = "Completed with input: "


def _lines_of(text: str) -> list[str]:
    return text.removeprefix("\ufeff").splitlines()


def _person(lines: list[str]) -> str | None:
    first = next((line for line in lines if line.strip()), "")
    match = _PERSON.match(first)
    if match is None or first.startswith(_ASSISTANT):
        return _person_above_first_response(lines)
    return match.group(1)


def _person_above_first_response(lines: list[str]) -> str | None:
    """The name opening the most messages (lines after a blank line, outside code blocks) across a copy with other
    text pasted above its first request (twelfth fetch: a README, the earlier answer the request calls "this", above
    the copied chat, which matched no format), a tie going to the last such name above the first response; None
    when no response follows such a line. A message's own line after a blank one (`Error: ...`) is no name."""
    fence, previous = "", ""
    counts: Counter[str] = Counter()
    last: str | None = None  # the last name above the first response
    answered = False
    for line in lines:
        if fence:
            fence = "" if closes(line, fence) else fence
        elif line.startswith(_ASSISTANT):
            answered = answered or last is not None
        elif (
            not (fence := opens(line)) and not previous.strip() and (match := _PERSON.match(line)) is not None
        ):
            counts[match.group(1)] += 1
            last = last if answered else match.group(1)
        previous = line
    if not answered:
        return None
    most = max(counts.values())
    return (
        last if counts[last or ""] == most else next(name for name, count in counts.items() if count == most)
    )


class VscodeChatTextImporter:
    name = "vscode-chat-text"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) in (None, ord("{"), ord("[")) or b"\nGitHub Copilot: " not in head.removeprefix(
            BOM
        ):
            return False
        return _person(_lines_of(head.decode(errors="ignore"))) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = _lines_of(read_text(stream))
        person = _person(lines)
        if person is None:
            yield RecordError("expected the first line to open a request (`<account>: ...`)", line=1)
            return
        opener = f"{person}: "
        builder = TurnBuilder()
        role, body, fence, previous = "", [], "", ""
        for line in lines:
            if fence:
                if closes(line, fence):
                    fence = ""
                body.append(line)
                continue
            fence = opens(line)
            participant = role == "user" and not previous.strip() and line.startswith(_PARTICIPANT)
            previous = line
            if not fence and (line.startswith(opener) or line.startswith(_ASSISTANT) or participant):
                _add(builder, role, body)
                role = "user" if line.startswith(opener) else "assistant"
                body = [line.split(": ", 1)[1]]
                continue
            body.append(line)
        _add(builder, role, body)
        first = next((at for at, line in enumerate(lines) if line.startswith(opener)), 0)
        if any(line.strip() for line in lines[:first]):
            # What was pasted above the first request has no speaker: left out, counted.
            builder.dropped["text before the first request"] += 1
        yield copied_chat(
            builder,
            filename,
            metadata={"exporter": "vscode-copy-all", "account": person},
            missing="no request with a response (`GitHub Copilot: ...`) in the copied chat",
        )


def _add(builder: TurnBuilder, role: str, body: list[str]) -> None:
    if role == "user":
        builder.user("\n".join(body).strip())
    elif role == "assistant":
        _add_response(builder, body)


def _add_response(builder: TurnBuilder, lines: list[str]) -> None:
    """A response's text and its action lines as tool calls, in their order."""
    text: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        match = _ACTION.match(line)
        if match is None:
            text.append(line)
            continue
        _flush(builder, text)
        groups = match.groupdict()
        if groups["notice"]:
            builder.dropped["notice"] += 1
        elif groups["command"]:
            builder.block(tool_use(None, "run_in_terminal", {"command": groups["command"].strip()}))
        elif groups["tool"]:
            given, index = _input(lines, index)
            builder.block(tool_use(None, groups["tool"].strip(), given))
        elif groups["using"]:
            builder.block(tool_use(None, groups["using"], {}))
            index = _past_empty_block(lines, index)
        elif groups["search"]:
            builder.block(tool_use(None, "search", {"query": groups["search"]}))
        elif groups["terminal"]:
            builder.block(tool_use(None, "get_terminal_output", {}))
        elif groups["explored"]:
            builder.block(tool_use(None, "search_subagent", {"task": groups["explored"].strip()}))
        elif groups["unlinked"]:
            read = {"lines": f"{groups['from']}-{groups['to']}"} if groups["from"] else {}
            builder.block(tool_use(None, "read_file", read))
        elif groups["todo"]:
            builder.block(tool_use(None, "manage_todo_list", {"update": groups["todo"]}))
        elif groups["tests"]:
            builder.block(tool_use(None, "run_tests", {"result": groups["tests"]}))
        else:
            link = (groups["created"] or groups["read"] or "").removeprefix("file://")
            path = unquote(link.split("#", 1)[0])  # `#260-260`: the lines read, given again after the link
            name = "read_file"
            if groups["created"]:
                name = "create_file"
            elif groups["changed"]:
                name = "get_changed_files"
            arguments: dict[str, Any] = {"path": path}
            if groups["first"]:
                arguments["lines"] = f"{groups['first']}-{groups['last']}"
            builder.block(tool_use(None, name, arguments))
    _flush(builder, text)


def _past_empty_block(lines: list[str], index: int) -> int:
    """Where the response goes on after the empty code block the copy writes for an edit (blank lines, a fence,
    blank lines, a fence); `index` itself when no such block follows."""
    fences = 0
    at = index
    while at < len(lines) and fences < 2:
        line = lines[at].strip()
        if line == "```":
            fences += 1
        elif line:
            return index
        at += 1
    return at if fences == 2 else index


def _input(lines: list[str], index: int) -> tuple[Any, int]:
    """The JSON after `Completed with input: ` on the next non-blank line (over as many lines as it takes), and
    where the response goes on; {} when there is none."""
    start = index
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or not lines[start].startswith(_INPUT):
        return {}, index
    chunk = lines[start][len(_INPUT) :]
    for end in range(start, min(start + 400, len(lines))):
        if end > start:
            chunk += "\n" + lines[end]
        try:
            return json.loads(chunk), end + 1
        except ValueError:
            continue
    return {"input": lines[start][len(_INPUT) :]}, start + 1


def _flush(builder: TurnBuilder, text: list[str]) -> None:
    joined = "\n".join(text).strip()
    if joined:
        builder.text(re.sub(r"\n{3,}", "\n\n", joined))
    text.clear()


importer = VscodeChatTextImporter()
