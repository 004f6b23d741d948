"""Claude Code's `/export` transcript: the text file it writes (`YYYY-MM-DD-HHMMSS-<first prompt>.txt`), the
terminal view of the session with its colours stripped, one conversation per file.

The shape comes from Claude Code's export command (`export.tsx`, its plain-text renderer) and real exported
files (v1.x, 2.0 and 2.1): a banner first (the logo with `Claude Code vX`, the model and the folder; a rounded
welcome box since 2.1), then the transcript:
- a prompt starts at a line beginning `> ` (a heavy angle quote, U+276F, since 2.1) and runs on to the next
  marker, its lines as typed
  (2.1 pads them with spaces, which are dropped);
- an answer is a block starting `⏺ ` (`● ` on Linux and Windows), its further lines indented by two spaces
  (the terminal's wrapping is kept as it is: it cannot be told from the answer's own line breaks);
- a block followed by `⎿` lines is a tool call and its output (`⏺ Bash(git status)` then `  ⎿  On branch
  main`): a tool call block of the answer (`Bash` with `{"args": "git status"}`) and its result;
- a prompt whose request failed (`⎿  API Error: ...` under it: the model never read it) is left out, counted as
  a dropped `failed prompt`;
- `✻ Thinking…` and the indented lines under it (a transcript exported with the thinking shown) are a thinking
  block of the answer;
- status lines (`✻ Brewed for 6s`, `✳ Shimmying… (esc to interrupt)`), the compaction rule (`═══ Conversation
  compacted ═══`) and `⎿` lines under a prompt (files Claude Code read for it) are not text; the latter are
  counted as dropped (`attachment`); a prompt that is one slash command no answer follows (`> /model`, `> /context`)
  or one the CLI answered under it (`> /permissions`, `⎿  (no content)`: its output counted as a dropped `command
  output`) is a command block of the next prompt, as in the session files, not the person's words;
- a tool call shown without its output (`● Bash(touch notes.txt)` alone) and the line Claude Code 2 folds reads and
  searches into (`● Searched for 2 patterns (ctrl+o to expand)`) are tool call blocks, not the answer's words;
- 2.1's folded tool runs on a line of their own with no bullet (`Ran 1 shell command (ctrl+o to expand)`) are tool call
  blocks of the answer, not the prompt's words; its recap line (`※ recap: You asked ...`) is left out, counted as a
  dropped `session recap`; a copy that lost line breaks (a prompt and then `⏺ <answer>` on one line, `⏺ Write(x) ⎿ Wrote
  7 lines` on one line) is read with those marks opening lines of their own;
- an answer's words the person stopped (`⎿  Interrupted by user` under them) stay its words, the mark counted as a
  dropped `interruption`; the prompt box a copy of the terminal shows after the last answer (`╭───╮`, `│ > ... │`,
  `╰───╯`: never sent) is left out, counted as a dropped `prompt box`;
- 2.x's notices about background work (`● Agent "x" completed · 18m 26s`, `● Task "x" still running in background`,
  `● Background command "x" failed ...`) are left out, counted as dropped `background notice`s; a folded run indented
  under an answer (`  Read 2 files (ctrl+o to expand)`) is a tool call block; a call whose bullet the copy caught
  blinking off (`  Task(x)` with `⎿` output under it) is a call of its own; the input box 2.x draws between two `───`
  rules after the last answer is left out, counted as a dropped `prompt box`;
- the cost summary Claude Code prints on exit (`Total cost: $3.20`, the durations, `Usage by model:`), copied
  with the terminal's text, is left out, counted as a dropped `session cost summary`;
- the compaction's summary shown as a prompt (`> This session is being continued from a previous conversation ...`)
  is left out with what follows it up to the next prompt, counted as a dropped `compaction summary`; an answer's
  words with a to-do list under them (`⎿  ☐ ...`) stay its words, the list an `Update Todos` call's output; a prompt
  indented by two spaces (`  > ...`), a paragraph of its own right before an answer, is a prompt; a prompt stopped
  before any answer (`⎿  Interrupted by user` under it) and sent again as it was is one prompt, the stopped copy
  counted as a dropped `interrupted prompt`.
A Markdown document whose first prompt or answer sits in a code block after its headings (a README showing a demo
session) is not this format. The file's path is the external id, the first prompt the title, the version and model from the banner the
metadata. Markdown was rendered for the terminal, so backticks and emphasis are gone from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._fences import closes, opens
from ._json import BOM
from ._records import read_text
from ._turns import TurnBuilder, terminal_conversation, tool_result, tool_use
from .base import ParseResult

_PROMPT = re.compile(r"(?:>|\u276f) ")
_ANSWER = re.compile(r"(?:⏺|●) ")
_RESULT = re.compile(r"  ⎿ ?")
_STATUS = re.compile(r"[✻✳✶✢✽·] \S")
# The model's thinking, shown when the transcript was exported with it expanded: the mark, then indented lines.
_THINKING = re.compile(r"[✻✳✶✢✽] Thinking(?:…|\.\.\.)\s*$")
_RULE = "═══"
# The mark under words or a call the person stopped: 1.x and 2.0 wrote the first, 2.x also the second.
_INTERRUPTED = ("Interrupted by user", "Interrupted · What should Claude do instead?")
# A call the person rejected and said why (`⎿  Tool use rejected with user message: no loop, use tenacity`, wrapped
# to the terminal's width): their words are their turn after the answer that made the call, as the session file
# hands them to the model (eleventh fetch: "YES BUT YOU MUST ALSO ENSURE ..." was read as the call's output).
_REJECTED_SAYING = "Tool use rejected with user message:"
# The status lines that may follow it under a sub-agent's call (`+29 more tool uses (ctrl+o to expand)`).
_TOOL_STATUS = re.compile(r"\+\d+ more tool uses?\b|Interrupted · ")
# The prompt box, drawn after the last answer when the terminal was copied (`╭───╮`, `│ > what was typed │`,
# `╰───╯`): what it holds was never sent.
_BOX_TOP, _BOX_BOTTOM = "╭─", "╰─"
_RECAP = "※ recap:"
# A tool call: its name (`Bash`, `Web Search`) runs up to the parenthesis, no space before it; an answer's words with
# a parenthesis in them (`The page loads (HTTP 200) but ...`, eleventh fetch) are no call.
_TOOL = re.compile(r"([A-Z](?:[\w ]*?\w)?)\((.*)\)\s*$", re.DOTALL)
_BANNER = re.compile(r"Claude Code v(\d[\w.]*)")
_MODEL = re.compile(r"(?:▝▜█████▛▘|│)\s+((?:Opus|Sonnet|Haiku|Claude)[\w .-]*?)(?:\s+·|\s*│|$)")
_HEAD_PROMPT = re.compile(r"(?m)^(?:>|\u276f) \S")
_HEAD_ANSWER = re.compile(r"(?m)^(?:⏺|●) \S")
# A prompt that is one slash command, with its arguments (or the status the CLI printed after it).
_COMMAND = re.compile(r"/([a-z][\w:-]*)(?:[ \t]+([^\n]*))?")
_RUNNING = re.compile(r"/([a-z][\w:-]*) is running…?|The \"[^\"\n]{1,80}\" skill is running")
# Claude Code 2 folds a run of reads and searches into one line ("Searched for 2 patterns, read 1 file (ctrl+o to
# expand)"): tool calls whose inputs and outputs the export does not hold.
_COLLAPSED = re.compile(r"(\S[^\n]*?)[ \t]*\((?:ctrl|cmd)\+\w to expand\)[ \t]*")
# The session's cost summary Claude Code prints when it exits, copied with the terminal's text: not the answer's.
_COST = re.compile(r"Total (?:cost|duration \(API\)):")
# What Claude Code shows under a prompt for the files it read for it (`⎿  Read src/app.py (40 lines)`).
_ATTACHED = ("Read ", "Referenced file ", "Listed directory ")
# Claude Code 2's notices about work it runs in the background (eleventh fetch: `● Task "Build" still running in
# background`, `● Agent "Empty States" completed · 18m 26s`, `● Background command "Start server" failed with exit
# code 1`): events of the session, not the answer's words.
_NOTICE = re.compile(
    r'(?:Task|Agent|Background command|Shell) "[^"\n]+" (?:still running in background|completed|failed|was stopped)'
    r"\b[^\n]*"
)
# A call whose bullet the copy caught blinking off (a running sub-agent: `  Task(DB lock investigation)`, its `⎿`
# output under it, eleventh fetch): a call of its own, not the words of the answer above it.
_BLINKED = re.compile(r"  [A-Z]\w*\(.*\)\s*$")
# The input box Claude Code 2 draws under the last answer between two rules (`────`, `> `, `────`, then a
# footer such as `2 background tasks · ? for shortcuts`): what it holds was never sent.
_DIVIDER = re.compile(r"─{20,}\s*$")
# Claude Code's summary of a session that ran out of context, shown as the first prompt after the compaction rule
# (thirteenth fetch: a copy joined it, and the `/status` panel under it, to the person's next prompt).
_CONTINUED = "This session is being continued from a previous conversation that ran out of context."
# A to-do list under an answer's words with no call named above it (thirteenth fetch: `⏺ I understand ... 4. Test
# Commands ...`, then `⎿  ☐ Analyze ...`): the list is the output of the to-do tool, the words stay the answer's.
_TODO = re.compile(r"[☐☒] ")
# A call's bare title (`Update Todos`), not an answer's words.
_TITLE = re.compile(r"[A-Z][\w ]{0,30}")
# A prompt indented by two spaces, a paragraph of its own right before an answer (thirteenth fetch: `  > Perfect.
# Can you please now map out ...` after an answer's last paragraph).
_INDENTED_PROMPT = re.compile(r"  (?:>|\u276f) \S")


class ClaudeCodeExportImporter:
    name = "claude-code-export"

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head.removeprefix(BOM).decode(errors="ignore")
        if _HEAD_PROMPT.search(text) is None or _HEAD_ANSWER.search(text) is None:
            return False
        # Linux and Windows terminals draw the answer's bullet as `●`: then its tool results' `⎿` tell it apart.
        signs = "Claude Code" in text or "⏺ " in text or "  ⎿ " in text or "✻ " in text
        return signs and not _demo_in_docs(text)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = _unjoined(read_text(stream).splitlines())
        builder = TurnBuilder()
        metadata: dict[str, str] = {}
        blocks = _blocks(lines, builder, metadata)
        for number, (kind, text, results) in enumerate(blocks):
            following = blocks[number + 1] if number + 1 < len(blocks) else None
            answered = following is not None and following[0] not in ("user", "command", "interrupted")
            # A slash command the CLI answered itself (`> /permissions`, `⎿  (no content)` under it, eleventh fetch)
            # is one even when the model's work goes on after it.
            typed = kind == "command" or (kind == "user" and not answered)
            command = _COMMAND.fullmatch(text.strip()) if typed else None
            running = _RUNNING.fullmatch(text.strip()) if kind == "user" else None
            if running is not None:
                # What Claude Code shows where a prompt goes while a command or a skill runs (`/skills is
                # running…`, `The "x" skill is running`): the CLI's status, not the person's words.
                if running[1]:
                    builder.user("", blocks=[{"type": "command", "name": f"/{running[1]}", "args": ""}])
                else:
                    builder.dropped["skill status"] += 1
            elif command is not None:
                # A slash command no answer follows (`/model`, `/context`): what it did, not what the person asked.
                # One that the model answers (a custom command's prompt) stays the prompt.
                name, args = command[1], (command[2] or "").strip()
                builder.user("", blocks=[{"type": "command", "name": f"/{name}", "args": args}])
                if kind == "command":
                    builder.dropped["command output"] += 1
            elif kind == "bash":
                # What the person ran and what it printed: context of their next prompt, as Claude Code's session
                # files keep it (`<bash-input>`, `<bash-stdout>`).
                shown = text if results is None else f"{text}\n{results}"
                builder.user("", blocks=[{"type": "context", "tag": "bash", "text": shown}])
            elif kind == "interrupted" and following is not None and _same_prompt(text, following):
                # The stopped prompt, sent again as it was (thirteenth fetch: kept, the two merged into one turn
                # holding the text twice).
                builder.dropped["interrupted prompt"] += 1
            elif kind in ("user", "interrupted"):
                builder.user(text)
                if kind == "interrupted":
                    builder.dropped["interruption"] += 1
            elif kind == "thinking":
                builder.thinking(text)
            elif results is None and _NOTICE.fullmatch(text) is not None:
                builder.dropped["background notice"] += 1
            elif results is None and (collapsed := _COLLAPSED.fullmatch(text)) is not None:
                builder.block(tool_use(None, collapsed[1], {}))
            elif results is None and "\n" not in text and (call := _TOOL.fullmatch(text)) is not None:
                # A tool call the export shows without its output (`● Bash(touch notes.txt)`, nothing under it).
                builder.block(tool_use(None, call[1].strip(), {"args": call[2]} if call[2] else {}))
            elif results is None:
                builder.text(text)
            elif _TODO.match(results) and _TOOL.fullmatch(text) is None and _TITLE.fullmatch(text) is None:
                builder.text(text)
                builder.block(tool_use(None, "Update Todos", {}))
                builder.block(tool_result(None, results))
            elif results.startswith(_INTERRUPTED) and _TOOL.fullmatch(text) is None:
                # Words the person stopped (`● Let me continue styling ...`, then `⎿  Interrupted by user`): the
                # answer's words, not a tool call (a real copy's answer was left with no words).
                builder.text(text)
                builder.dropped["interruption"] += 1
            else:
                tool = _TOOL.match(text)
                name, args = (tool[1].strip(), tool[2]) if tool else (text, "")
                builder.block(tool_use(None, name, {"args": args} if args else {}))
                if results.startswith(_REJECTED_SAYING):
                    builder.block(tool_result(None, "Tool use rejected.", True))
                    builder.user(_rejection_words(results))
                else:
                    builder.block(tool_result(None, results))
        yield terminal_conversation(builder, filename, metadata, "Claude Code export")


# A copy that lost some line breaks (a real 2.1 terminal copy): an answer's bullet or a tool's output mark in the middle
# of a line opens a line of its own, also after the spaces that padded a prompt or a call to the terminal's width
# (`> /permissions     ⎿  (no content)`, eleventh fetch).
_JOINED = re.compile(r"(?<=\S) +(?=⏺ |⎿ )")


def _same_prompt(text: str, following: tuple[str, str, str | None]) -> bool:
    """Whether the next block is a prompt with the same words (its wrapped lines may be indented otherwise)."""
    return following[0] in ("user", "interrupted") and text.split() == following[1].split()


def _rejection_words(results: str) -> str:
    """What the person typed rejecting a call: the rejection's lines up to the CLI's status lines, unwrapped."""
    lines = results.removeprefix(_REJECTED_SAYING).splitlines()
    end = next((at for at, line in enumerate(lines) if _TOOL_STATUS.match(line.strip())), len(lines))
    return " ".join(line.strip() for line in lines[:end] if line.strip())


def _unjoined(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if " ⏺ " not in line and " ⎿ " not in line:
            out.append(line)
            continue
        for piece in _JOINED.split(line):
            out.append(f"  {piece}" if piece.startswith("⎿ ") else piece)
    return out


def _answered_command(prompt: str, output: list[str]) -> bool:
    """Whether a prompt with `⎿` output under it is a slash command the CLI answered (`/permissions`, `(no content)`
    under it), not one still running (`/skills is running…`) or one with the files read for it (`Read x.py`)."""
    command = prompt.strip()
    read = bool(output) and output[0].lstrip().startswith(_ATTACHED)
    return _COMMAND.fullmatch(command) is not None and _RUNNING.fullmatch(command) is None and not read


def _ruled_box(lines: list[str], number: int) -> int:
    """The line after the ruled input box (`────`, `> what was typed`, `────`) opening at `number`, or 0."""
    if (
        not _DIVIDER.match(lines[number])
        or number + 1 >= len(lines)
        or not _PROMPT.match(lines[number + 1] + " ")
    ):
        return 0
    end = next((at for at in range(number + 2, len(lines)) if _DIVIDER.match(lines[at])), None)
    return end + 1 if end is not None else 0


def _after_blank(lines: list[str], number: int) -> bool:
    return number > 0 and not lines[number - 1].strip()


def _indented_prompt(lines: list[str], number: int) -> bool:
    """Whether the line opens a prompt indented by two spaces: a paragraph of its own that an answer follows."""
    if not _INDENTED_PROMPT.match(lines[number]) or not _after_blank(lines, number):
        return False
    end = next((at for at in range(number + 1, len(lines)) if not lines[at].strip()), len(lines))
    after = next((line for line in lines[end:] if line.strip()), "")
    return _ANSWER.match(after) is not None


def _indented_fold(lines: list[str], number: int) -> bool:
    """Whether the line is a folded run of calls indented as an answer's paragraph of its own."""
    line = lines[number]
    return (
        line.startswith("  ")
        and not line.startswith("   ")
        and _after_blank(lines, number)
        and _COLLAPSED.fullmatch(line[2:]) is not None
    )


def _paragraph_of_call(lines: list[str], number: int) -> bool:
    """Whether the line is a paragraph of its own with a call's `⎿` output right under it."""
    return (
        _after_blank(lines, number)
        and number + 1 < len(lines)
        and _RESULT.match(lines[number + 1]) is not None
    )


def _demo_in_docs(text: str) -> bool:
    """Whether the first prompt or answer sits in a code block of a Markdown document (a plugin's README showing a
    session: headings and prose, then the demo fenced), not in a transcript (a pasted session a person fenced whole
    opens with its fence)."""
    fence, headed = "", False
    for line in text.splitlines():
        if fence:
            if closes(line, fence):
                fence = ""
            elif _PROMPT.match(line) or _ANSWER.match(line):
                return headed
        elif fence := opens(line):
            continue
        elif line.startswith("#"):
            headed = True
        elif _PROMPT.match(line) or _ANSWER.match(line):
            return False
    return False


def _blocks(
    lines: list[str], builder: TurnBuilder, metadata: dict[str, str]
) -> list[tuple[str, str, str | None]]:
    """(user, assistant or thinking, text, a tool call's output or None) in file order; the banner goes to
    `metadata`."""
    found: list[tuple[str, str, str | None]] = []
    kind: str | None = None
    text: list[str] = []
    results: list[str] | None = None
    boxed = False  # inside the prompt box after the last answer
    resume = 0  # the line after a ruled input box

    def close() -> None:
        nonlocal kind, text, results
        if kind is not None:
            rest = [line for line in text[1:] if line.strip()]
            if kind == "user" and rest and all(line.startswith("  ") for line in rest):
                # Older exports indent a prompt's wrapped lines under the `> `: the indent is not the person's.
                text = text[:1] + [line[2:] for line in text[1:]]
            body = "\n".join(text).strip("\n")
            if body.endswith("\n```") and body.count("```") % 2:
                # The fence a person wrapped the whole pasted transcript in, closed after the last answer.
                body = body[: -len("```")].rstrip()
            if kind == "user" and body.startswith(_CONTINUED):
                builder.dropped["compaction summary"] += 1
            elif (
                kind == "user"
                and results is not None
                and results[:1]
                and results[0].lstrip().startswith("API Error")
            ):
                # The request failed (`⎿ API Error: 404 ...`): the model never read this prompt, and the person
                # usually sends it again; kept, the two would merge into one turn.
                builder.dropped["failed prompt"] += 1
            elif kind == "user" and results is not None and _answered_command(body, results):
                found.append(("command", body, "\n".join(results).strip()))
            elif (
                kind == "user"
                and results is not None
                and any(r.lstrip().startswith(_INTERRUPTED) for r in results)
            ):
                # Stopped before any answer (`⎿  Interrupted by user` under it): the person often sends it again.
                if any(not r.lstrip().startswith(_INTERRUPTED) for r in results if r.strip()):
                    builder.dropped["attachment"] += 1
                found.append(("interrupted", body, None))
            elif kind == "user" and results is not None:
                builder.dropped["attachment"] += 1
                found.append((kind, body, None))
            else:
                found.append((kind, body, "\n".join(results).strip() if results is not None else None))
        kind, text, results = None, [], None

    for number, line in enumerate(lines):
        if number < resume:
            continue
        if kind is None and not found:
            # The banner: version and model, before the first prompt or answer.
            if (version := _BANNER.search(line)) and "version" not in metadata:
                metadata["version"] = version[1]
            if (model := _MODEL.search(line)) and "model" not in metadata:
                metadata["model"] = model[1].strip()
        if boxed:
            boxed = not line.startswith(_BOX_BOTTOM)
            continue
        if line.startswith(_BOX_TOP) and (found or kind is not None):
            # The prompt box under the last answer (a copy of the terminal; the banner's box comes before any).
            close()
            boxed = True
            builder.dropped["prompt box"] += 1
            continue
        if (box := _ruled_box(lines, number)) and (found or kind is not None):
            close()
            resume = box
            builder.dropped["prompt box"] += 1
            continue
        if _PROMPT.match(line):
            close()
            kind, text = "user", [line[2:].rstrip()]
        elif (kind is not None or found) and _indented_prompt(lines, number):
            close()
            kind, text = "user", [line[4:].rstrip()]
        elif _ANSWER.match(line):
            close()
            kind, text = "assistant", [line[2:].rstrip()]
        elif line.startswith("! ") and (found or kind is not None):
            # A command the person ran in bash mode (`! git init`, its output under `⎿`): theirs, not the answer's.
            close()
            kind, text = "bash", [line[2:].rstrip()]
        elif _THINKING.match(line):
            close()
            kind, text = "thinking", []
        elif _STATUS.match(line) or line.lstrip().startswith(_RULE):
            close()
        elif line.startswith(_RECAP):
            # Claude Code 2.1's recap of the session so far (`※ recap: You asked ...`), its own, not the person's.
            close()
            builder.dropped["session recap"] += 1
        elif _COLLAPSED.fullmatch(line) is not None and (kind == "user" or (kind is None and found)):
            # 2.1 writes a folded run of tool calls on a line of its own, no bullet (`Ran 1 shell command (ctrl+o to
            # expand)`): the answer's work, not the words of the prompt above it.
            close()
            found.append(("assistant", line.strip(), None))
        elif kind == "assistant" and _indented_fold(lines, number):
            # The same line indented under an answer or a call's output (`  Read 2 files (ctrl+o to expand)`, eleventh
            # fetch): the answer's work, neither its words nor the call's output.
            close()
            found.append(("assistant", line.strip(), None))
        elif kind == "assistant" and _BLINKED.match(line) and _paragraph_of_call(lines, number):
            close()
            kind, text = "assistant", [line[2:].rstrip()]
        elif _COST.match(line):
            if kind is not None:  # the summary's first line, after the last answer
                builder.dropped["session cost summary"] += 1
            close()
        elif kind is None:
            continue
        elif _RESULT.match(line):
            results = results if results is not None else []
            results.append(_RESULT.sub("", line, count=1).rstrip())
        elif results is not None:
            results.append(line[5:].rstrip() if line.startswith("     ") else line.strip())
        elif kind == "assistant" or kind == "thinking":
            text.append(line[2:].rstrip() if line.startswith("  ") else line.rstrip())
        else:
            text.append(line.rstrip())
    close()
    return found


importer = ClaudeCodeExportImporter()
