"""SpecStory Markdown exports (`.specstory/history/*.md`, from Cursor, Claude Code and other editors).

A file is one conversation, or one a session where SpecStory appended several sessions to it (a real file held five,
each opened by its own `# Title (2025-07-07 06:03Z)` line after a `---`, then the person's first block: they are
split there, each with its title, the first keeping the file's name as its id and the others `<file>#<n>`; before,
each session's first prompt read as a reply to the last session's answer). A session is a `# Title (timestamp)` line,
then blocks opened by `_**User**_` /
`_**User (timestamp)**_` / `_**User: name (timestamp)**_` or `_**Agent (model …)**_` / `_**Assistant**_`
lines and separated by `---`. Consecutive agent blocks are one response. Tool activity inside a block
(`<tool-use …>…</tool-use>`, `<details>…</details>` named by their summary's opening words such as "Searched
codebase", `_Tools used: A, B_` lines) becomes `tool_use` blocks
and `<think>` sections `thinking` blocks, so the visible text is the prose only. Cursor sessions exported in early
2025 write a terminal run as a part of its own (the command in a shell fence, then its output in a bare fence): a
`run_terminal_cmd` call and its result; and an edit as a part that is one diff fence: an `edit_file` call; a file the agent read as a `Read file: <path>` line: a
`read_file` call. Cursor's own "Export chat" of 2025 (`_Exported on … from Cursor (1.5.11)_`) writes the same
headers with a `---` line between every step of the agent: no rule of the answer's, a step that is one shell fence
a `run_terminal_cmd` call, a failed edit's result line a `tool_result`. Claude Code sessions write a
tool call as a block of its own (`Tool use: **Bash** …`, its input, then `Result:` and its output): a
`tool_use` and a `tool_result` block; their task list (`**Agent task list:**`) is a `TodoWrite` call. A
pasted image ("User provided an image (image/png).") is counted as a dropped image, an empty code block (where an
edit was not written out) as a dropped one. Blocks marked
`(sidechain)` are subagents talking to the agent and are left out. Claude Code's prompt suggestions (a block that
opens with "[SUGGESTION MODE: Suggest what the user might naturally type next ...]", and the agent blocks after it
up to the person's next message: its thinking and the suggestion) are the editor's machinery, not the answer, and
are counted as `prompt suggestion`; SpecStory labels those blocks `Agent - sidechain`, as it labels the answer
before them, which is kept. A person's block with nothing in it between two answers (what they sent did not export:
an image, a paste) cuts the conversation there: what came before is one conversation, what follows the answer to it
another (`<id> (part 2)`), and that answer, which replies to what nobody can see, is left out (counted as dropped
`empty prompt` and `answer to an empty prompt`): the two answers must not merge into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._fences import closes, opens
from ._json import BadRecord
from ._records import read_text
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped

_CLAUDE_CODE_MARK = re.compile(r"\[Request interrupted by user(?: for tool use)?\]")
_COMMAND_RUN = re.compile(r"/[\w:-]+[^\n]*\n\s*⎿")
_CONTINUED = "This session is being continued from a previous conversation that ran out of context."
_HEADER = re.compile(r"^_\*\*(User|Agent|Assistant)\b(.*?)\*\*_\s*$")
# Versions of early 2025 wrote it as a second-level heading under `## SpecStory` ("## Enhancing Project with Rich
# Colors (3/8/2025, 11:08:35 AM)").
_TITLE = re.compile(r"^##? (?!SpecStory\s*$)(.+?)(?: \([^()]*\))?\s*$")
# A session's title line: its timestamp as SpecStory writes it ("(2025-07-07 06:03Z)", "(2025-05-27 10:02:11)").
_SESSION_TITLE = re.compile(r"^# (.+?) \(\d{4}-\d{2}-\d{2}[ T]\d{2}[:-]\d{2}[^()]*\)\s*$")
_SEPARATOR = re.compile(r"^\s*---\s*$")
_UNNAMED = ("_****_", "_\\*\\*\\*\\*_")  # as written, or with the asterisks escaped (a real file)
_PERMISSION = "#### Permission Request"
_OPENED = re.compile(r"^_Opened file: `([^`\n]+)`_[ \t]*\n*", re.MULTILINE)
_TOOL_SPANS = re.compile(
    r"<tool-use\b.*?</tool-use>|<details\b.*?</details>|<think>(.*?)</think>"
    # Cursor's sessions as SpecStory wrote them early in 2025: a file the agent read, a line of its own.
    r"|(?m:^Read file: ([^\n]+)$)",
    re.DOTALL | re.IGNORECASE,
)
_TOOLS_USED = re.compile(r"^_Tools used: (.+?)_\s*$", re.MULTILINE)
_SEPARATOR_LINE = re.compile(r"^[ \t]*---[ \t]*$", re.MULTILINE)
_SUGGESTION = "[SUGGESTION MODE:"
# What a `---` line inside does not split: code fences (to their closing fence or the end) and tool spans.
_PROTECTED = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)|<tool-use\b.*?</tool-use>|<details\b.*?</details>",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)
_MARKER = "<!-- Generated by SpecStory"
# Claude Code sessions (SpecStory 2025-07 on): an agent block that is one tool call, its input, then its output.
_TOOL_CALL = re.compile(r"\ATool use: \*\*([^*\n]+)\*\*[ \t]*(.*?)(?:\n\s*Result:[ \t]*\n(.*))?\Z", re.DOTALL)
_TASK_LIST = re.compile(r"\A\*\*Agent task list:\*\*[ \t]*\n(.*)\Z", re.DOTALL)
_FENCE = re.compile(r"\A```[^\n]*\n(.*?)\n?```\Z", re.DOTALL)
# Cursor sessions SpecStory exported in early 2025 write a terminal run as a bubble of its own: the command in a
# shell fence, then its output in a bare one (`---` lines around the bubble); an edit the agent made is a bubble
# that is one diff fence.
_TERMINAL = re.compile(
    r"\A```(?:bash|sh|shell|zsh|console|powershell|pwsh|cmd)[ \t]*\n(.*?)\n```[ \t]*\n\s*```[ \t]*\n(.*?)\n?```\Z",
    re.DOTALL,
)
_EDIT = re.compile(r"\A```diff[ \t]*\n(.*?)\n?```\Z", re.DOTALL)
# Cursor's own "Export chat" of 2025 (`_Exported on … from Cursor (1.5.11)_`, the same `_**User (…)**_` /
# `_**Assistant**_` headers; thirteenth fetch): a `---` line between every step of the agent, a command it ran as a
# step that is one shell fence (its output not written), and a failed edit's result as a step of its own.
_CURSOR_EXPORT = re.compile(r"^_Exported on .+ from Cursor \([\d.]+\)_[ \t]*$")
_COMMAND = re.compile(
    r"\A```(?:bash|sh|shell|shellscript|zsh|powershell|pwsh|cmd)[ \t]*\n(.*?)\n?```\Z", re.DOTALL
)
_CURSOR_TOOL_RESULTS = (
    "The string to replace was not found in the file.",
    "The model made no changes to the file.",
)
# A `<think>` section that SpecStory also folds into `<details>` (with a `<summary>` or not).
_FOLDED = re.compile(r"\A\s*<details>\s*(?:<summary>.*?</summary>\s*)?(.*?)\s*</details>\s*\Z", re.DOTALL)
# Where the user pasted an image, SpecStory writes this line in its place.
_IMAGE = re.compile(r"^User provided an image \([^)\n]*\)\.[ \t]*$", re.MULTILINE)


# Claude Code's subagents, as its 2026 exports write them in the person's section (`#### Subagent Started - <time>`,
# its type and id, then `#### Subagent Completed - <time>` and its `**Result:**`), and the summary the export adds
# where a session ended or was cleared (`## Session Summary`, its counts and token usage): eighth fetch, where the
# subagent's result was glued to the person's prompt and the summary to the answer.
_SUBAGENT = re.compile(r"^#### Subagent (Started|Completed) - [^\n]*\n", re.MULTILINE)
_SUBAGENT_TYPE = re.compile(r"^\*\*Type:\*\* `([^`\n]+)`", re.MULTILINE)
_SUBAGENT_RESULT = re.compile(r"^\*\*Result:\*\*[ \t]*\n?(.*)", re.MULTILINE | re.DOTALL)
_TRAILING_RULES = re.compile(r"(?:\s*^[ \t]*---[ \t]*$)+\s*\Z", re.MULTILINE)
_SESSION_SUMMARY = re.compile(r"^## Session Summary(?: \([^)\n]*\))?[ \t]*\n.*", re.MULTILINE | re.DOTALL)


def _subagent_blocks(text: str) -> list[dict[str, Any]]:
    """The tool call and result blocks of the subagents a section holds, from its first `#### Subagent` line."""
    pieces = _SUBAGENT.split(text)
    blocks: list[dict[str, Any]] = []
    for event, body in zip(pieces[1::2], pieces[2::2], strict=True):
        body = _SEPARATOR_LINE.sub("", body).strip()
        kind = _SUBAGENT_TYPE.search(body)
        if event == "Started":
            blocks.append(tool_use(None, "Task", {"subagent_type": kind.group(1)} if kind else None))
        else:
            result = _SUBAGENT_RESULT.search(body)
            blocks.append(tool_result(None, result.group(1).strip() if result else body))
    return blocks


def _unfenced(text: str) -> str:
    text = text.strip()
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def _tool_call(text: str) -> list[dict[str, Any]] | None:
    """An agent block that is one tool call (`Tool use: **Bash** …`, then `Result:`), the task list, or one of the
    older Cursor exports' tool bubbles (a terminal command and its output, an edit's diff), as blocks; None for any
    other block."""
    terminal = _TERMINAL.match(text)
    if terminal is not None:
        return [
            tool_use(None, "run_terminal_cmd", {"command": terminal.group(1)}),
            tool_result(None, terminal.group(2)),
        ]
    edit = _EDIT.match(text)
    if edit is not None:
        return [tool_use(None, "edit_file", {"diff": edit.group(1)[:4000]})]
    call = _TOOL_CALL.match(text)
    if call is not None:
        name, arguments, output = call.groups()
        blocks = [tool_use(None, name.strip(), _unfenced(arguments)[:4000])]
        if output is not None:
            blocks.append(tool_result(None, _unfenced(output)))
        return blocks
    tasks = _TASK_LIST.match(text)
    if tasks is not None:
        return [tool_use(None, "TodoWrite", tasks.group(1).strip())]
    return None


def _cursor_step(text: str) -> list[dict[str, Any]] | None:
    """A step of Cursor's own export that is the agent's tool work, not its words: a command it ran (one shell
    fence), or a failed edit's result; None for any other step."""
    command = _COMMAND.match(text)
    if command is not None:
        return [tool_use(None, "run_terminal_cmd", {"command": command.group(1)})]
    if text.strip() in _CURSOR_TOOL_RESULTS:
        return [tool_result(None, text.strip(), is_error=True)]
    return None


def _agent_blocks(text: str) -> tuple[str, list[dict[str, Any]]]:
    """The prose of an agent block and its tool/thinking blocks, in order of appearance."""
    blocks: list[dict[str, Any]] = []

    called = _tool_call(text)
    if called is not None:
        return "", called

    def take(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            blocks.append(tool_use(None, "read_file", {"path": match.group(2).strip()}))
            return ""
        if match.group(1) is not None:
            thinking = match.group(1).strip()
            folded = _FOLDED.match(thinking)
            blocks.append({"type": "thinking", "thinking": folded.group(1) if folded else thinking})
        else:
            name = re.search(
                r'data-tool-name="([^"]+)"|Tool use: \*\*([^*]+)\*\*|<summary>\s*([A-Z][a-z]+(?: [a-z]+)?)\b',
                match.group(0),
            )
            label = next((g for g in name.groups() if g), None) if name else None
            blocks.append({"type": "tool_use", "id": None, "name": label, "input": match.group(0)[:4000]})
        return ""

    text = _TOOL_SPANS.sub(take, text)
    for match in _TOOLS_USED.finditer(text):
        blocks.extend(
            {"type": "tool_use", "id": None, "name": name.strip(), "input": None}
            for name in match.group(1).split(",")
        )
    return _TOOLS_USED.sub("", text).strip(), blocks


def _parts(text: str) -> list[str]:
    """An agent block's parts: SpecStory 2.x writes a `---` line between the agent's texts and tool calls within one
    block. Split there, outside code fences and tool spans (whose output may hold such a line)."""
    kept = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    parts: list[str] = []
    start = 0
    for separator in _SEPARATOR_LINE.finditer(text):
        if any(begin <= separator.start() < end for begin, end in kept):
            continue
        parts.append(text[start : separator.start()].strip())
        start = separator.end()
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _without_empty_fences(text: str) -> tuple[str, int]:
    """The text without its code blocks that hold nothing (where SpecStory could not write an edit the agent made;
    VS Code Copilot sessions answer with runs of them before the prose), and how many there were. Blocks are
    found line by line, so the end of one block and the start of the next are never read as an empty one."""
    if "```" not in text and "~~~" not in text:
        return text, 0
    kept: list[str] = []
    block: list[str] = []
    fence = ""
    empty = 0
    for line in text.split("\n"):
        if not fence:
            fence = opens(line)
            (block if fence else kept).append(line)
            continue
        block.append(line)
        if closes(line, fence):
            if all(not inner.strip() for inner in block[1:-1]):
                empty += 1
            else:
                kept.extend(block)
            block, fence = [], ""
    kept.extend(block)  # a block still open at the end is text as it stands
    return "\n".join(kept), empty


def _body(lines: list[str]) -> str:
    while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1])):
        lines.pop()
    return "\n".join(lines).strip()


class SpecStoryImporter:
    name = "specstory"

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head.decode(errors="ignore")
        if _MARKER in text[:2000]:
            return True
        return any(_HEADER.match(line) for line in text.splitlines()[:400]) and (
            "/.specstory/" in "/" + filename.replace("\\", "/")
            or any(line.startswith("_**User") for line in text.splitlines()[:400])
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).splitlines()
        cursor = any(_CURSOR_EXPORT.match(line) for line in lines[:5])
        title = next((m.group(1) for line in lines[:40] if (m := _TITLE.match(line))), None)
        sessions: list[tuple[str | None, list[tuple[str, bool, list[str]]]]] = [(title, [])]
        permission = False  # inside a permission request
        for at, line in enumerate(lines):
            if line.strip() in _UNNAMED:
                # Early 2025: `_****_` opens each further part of the agent's response (a tool run, an edit), after
                # a `---` line that separates the parts, not a rule of the answer's own.
                if sessions[-1][1]:
                    body = sessions[-1][1][-1][2]
                    while body and not body[-1].strip():
                        body.pop()
                    if body and _SEPARATOR.match(body[-1]):
                        body.pop()
                    while body and not body[-1].strip():
                        body.pop()
                continue
            if line.startswith(_PERMISSION):
                # Claude Code's sessions: a permission the agent asked for, written inside the person's block up to
                # the block's end (`#### Permission Request - <time>`, `**Tool:** `Edit``): the tool's, not the words.
                permission = True
                continue
            if permission and (_SEPARATOR.match(line) or _HEADER.match(line)):
                permission = False
            elif permission:
                continue
            header = _HEADER.match(line)
            if header:
                role = "user" if header.group(1) == "User" else "assistant"
                sessions[-1][1].append((role, "(sidechain)" in header.group(2), []))
            elif sessions[-1][1] and (later := _later_session(lines, at)) is not None:
                sessions.append((later, []))
            elif sessions[-1][1]:
                sessions[-1][1][-1][2].append(line)
        for number, (session_title, sections) in enumerate(sessions):
            external_id = filename if number == 0 else f"{filename}#{number + 1}"
            yield from _conversations(sections, external_id, session_title, cursor=cursor)


def _later_session(lines: list[str], at: int) -> str | None:
    """The title of a session SpecStory appended to the file, when line `at` opens one: a `# Title (timestamp)`
    line after a `---` line, the person's block next."""
    title = _SESSION_TITLE.match(lines[at])
    if title is None:
        return None
    before = next((line for line in reversed(lines[max(at - 4, 0) : at]) if line.strip()), "")
    after = next((line for line in lines[at + 1 : at + 5] if line.strip()), "")
    if _SEPARATOR.match(before) is None or not after.startswith("_**User"):
        return None
    return title.group(1)


def _conversations(
    sections: list[tuple[str, bool, list[str]]], external_id: str, title: str | None, *, cursor: bool = False
) -> Iterator[ParseResult]:
    """One session's conversation from its blocks (role, sidechain, lines): two, where an empty prompt between
    answers cuts it (the answer to that prompt left out). `cursor`: the file is Cursor's own export, whose `---`
    lines separate the agent's steps, never the answer's own rules."""
    if not any(line.strip() for _, _, body in sections for line in body):
        # Only the export's header and the session's comment (a session opened and closed with nothing said).
        yield Skipped("SpecStory session without a conversation")
        return
    builder = TurnBuilder()
    suggesting = False
    unseen = False  # answering a prompt that did not export
    answered = False  # an answer since the last prompt
    part = 1
    for role, sidechain, body in sections:
        text = _body(body)
        if sidechain:
            continue
        if "## Session Summary" in text:
            text, summaries = _SESSION_SUMMARY.subn("", text)
            text = _TRAILING_RULES.sub("", text) if summaries else text
            builder.dropped["session summary"] += summaries
        if role == "assistant" and (suggesting or text.startswith(_SUGGESTION)):
            suggesting = True
            builder.dropped["prompt suggestion"] += 1
            continue
        suggesting = False
        if role == "user":
            text, images = _IMAGE.subn("", text)
            builder.dropped["image"] += images
            if not text.strip() and not images and answered:
                yield _result(builder, external_id if part == 1 else f"{external_id} (part {part})", title)
                dropped = builder.dropped
                builder, unseen, answered, part = TurnBuilder(), True, False, part + 1
                builder.dropped.update(dropped)
                builder.dropped["empty prompt"] += 1
                continue
            if _CLAUDE_CODE_MARK.fullmatch(text.strip()) or _COMMAND_RUN.match(text):
                # Claude Code's own marks in a block of their own ("[Request interrupted by user]", "/clear" and its
                # "⎿  (no content)"): not what the person wrote.
                builder.dropped["Claude Code mark"] += 1
                continue
            if text.startswith(_CONTINUED):
                # Claude Code's summary of a session that ran out of context, sent as the first prompt: context.
                builder.user("", blocks=[{"type": "context", "tag": "summary", "text": text}])
                continue
            text = text.replace("\\@", "@")  # an `@file` mention, escaped by some versions (`\@2-handoff.md`)
            unseen = answered = False
            # Claude Code's sessions note the file open in the editor above the prompt (`_Opened file: `x.md`_`):
            # the editor's context, not the person's words.
            opened = [
                {"type": "context", "tag": "opened file", "text": m.group(1)} for m in _OPENED.finditer(text)
            ]
            subagents = _SUBAGENT.search(text)
            ran = _subagent_blocks(text[subagents.start() :]) if subagents else []
            text = text[: subagents.start()] if subagents else text
            builder.user(_OPENED.sub("", text).strip(), blocks=opened or None)
            for block in ran:
                builder.block(block)
            answered = answered or bool(ran)
            continue
        if unseen:
            builder.dropped["answer to an empty prompt"] += 1
            continue
        written = (
            False  # the last piece was prose only: a `---` between two such pieces is the answer's own rule
        )
        for piece in _parts(text):
            step = _cursor_step(piece) if cursor else None
            if step is not None:
                for block in step:
                    builder.block(block)
                written, answered = False, True
                continue
            prose, blocks = _agent_blocks(piece)
            if written and not blocks and prose.strip() and not cursor:
                builder.text("---")
            for block in blocks:
                builder.block(block)
            prose, empty = _without_empty_fences(prose)
            builder.dropped["empty code block"] += empty
            builder.text(prose.strip())
            written = not blocks and bool(prose.strip())
            answered = answered or bool(blocks or prose.strip())
    yield _result(builder, external_id if part == 1 else f"{external_id} (part {part})", title)


def _result(builder: TurnBuilder, external_id: str, title: str | None) -> ParseResult:
    turns = builder.finish(complete=False)
    if not turns:
        # Only Claude Code's own marks (`/exit` and its "Catch you later!"): a session with nothing said.
        return Skipped("SpecStory session without a conversation")
    if {turn.role for turn in turns} == {"user"}:
        # A prompt the editor recorded and nobody answered (an empty `_**Assistant**_` section, as a session
        # stopped at once leaves it): a known shape, not an error.
        return Skipped("SpecStory session without an answer")
    try:
        return builder.conversation(external_id, title=title)
    except BadRecord as exc:
        return RecordError(str(exc))


importer = SpecStoryImporter()
