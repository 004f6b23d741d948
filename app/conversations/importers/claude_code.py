"""Claude Code session files (`~/.claude/projects/<project>/<sessionId>.jsonl`): one conversation per session.

A session file holds one `sessionId`; a file that concatenates several yields one conversation each, and
only a few sessions are held open at a time, so a huge file is read in bounded memory.

The thread is rebuilt from the records' links, not taken from file order blindly:
- Every record with a `uuid` is a node whose parent is `parentUuid`, or `logicalParentUuid` where a
  compaction started a new root. A uuid written twice (resumed sessions copy records) keeps its first
  record. An entry whose parent is not in the session continues from the entry before it: older Claude
  Code versions and some tools write no links at all.
- The conversation is the path from the root to the latest user/assistant entry (by timestamp, then file
  order). Branches left by a rewind (a different prompt typed at the same point) or by a compaction replay
  are not turns; side branches Claude Code records for parallel tool calls and late tool results are.
- Consecutive assistant entries (Claude Code writes one content block per entry, the entries of one API
  message sharing `message.id`) and the tool results between them form one assistant turn: a response
  that continues after a tool result is still the same response.

Sidechains are dropped: subagent threads (`isSidechain: true`, and files under a `subagents/` folder) are
summarised in the main thread by their Task tool result.

A slash command is a `<command-name>` entry next to an `isMeta` entry holding the expanded prompt: the
expansion becomes the user turn with a `command` block (`/init`, its args). Shell and IDE wrappers
(`<bash-stdout>`, `<local-command-stdout>`, `<ide_selection>`, ...) become context blocks of the next typed
prompt (see TurnBuilder). Dropped as noise, never reported: other `isMeta` entries, commands without an
expansion (`/clear`, `/cost`), local-command caveats, interruption notices, compaction summaries, synthetic
or API-error assistant entries, and records that are not user/assistant messages (`system`, `summary`,
`file-history-snapshot`, `queue-operation`, `progress`, ...). A file in which the user and the assistant
never both speak (snapshots only, a prompt left unanswered) yields one Skipped, counted by reason.

A session whose last answer is unfinished loses that exchange (prompt and answer, counted as dropped
`unfinished answer`): an answer without words (only a tool call the person rejected), or one that stops at a
tool call or its result, where the session ended or the person stopped it before the text it was going to
end with. Earlier answers are whole (text, tool calls, results, more text) and stay; a session with no other
answer is skipped with that reason, unless the person stopped that answer by rejecting a call after it had said
something about a tool's result (it found and did things; a lone exchange is in no pair): then it is kept.

Title: a `custom-title` record, else a `summary` whose `leafUuid` is on the conversation's path, else an
`ai-title`, else the first user text cut to 80 characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from ._claude_session import Session, from_gemini_parts
from ._json import BOM
from ._records import as_object, first_byte, head_records, object_lines, peekable, read_text, type_name
from .base import ParseResult, RecordError, Skipped

_TITLE_FIELDS = {"custom-title": "customTitle", "ai-title": "aiTitle"}
# `~/.claude/history.jsonl`, uploaded on its own: `{display, pastedContents, timestamp, project}` per prompt typed.
_HISTORY_KEYS = frozenset(("display", "timestamp", "project"))
PROMPT_HISTORY = "Claude Code prompt history (history.jsonl: the prompts typed, without answers)"
# Sessions held in memory at once; the least recently written one is finished first beyond this.
_OPEN_SESSIONS = 16


# Entry types no Claude Code session holds: Gemini CLI's answers and a converter's header line before them
# (`{"type": "session_metadata", "sessionId", "projectHash"}`, then `{"type": "gemini", ...}` lines).
_OTHER_AGENTS_TYPES = ("gemini", "session_metadata")


class ClaudeCodeImporter:
    name = "claude-code"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) != ord("{"):
            return False
        records = head_records(head)
        if records and all(_is_history(r) for r in records):
            return True
        if records:
            if records[0].get("type") in _OTHER_AGENTS_TYPES:
                return False
            return any(
                type(r.get("type")) is str and ("sessionId" in r or "parentUuid" in r or "leafUuid" in r)
                for r in records
            ) or all(r.get("type") == "file-history-snapshot" for r in records)
        # Claude Code writes parentUuid and sessionId before the message: a long first entry still shows them.
        return b'"parentUuid"' in head and b'"sessionId"' in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        if "/subagents/" in "/" + filename.replace("\\", "/"):
            return
        sessions: dict[str, Session] = {}
        last_used: dict[str, int] = {}
        summaries: dict[str, str] = {}
        current = ""
        session: Session | None = None
        finished = False
        sidechain = False  # a subagent's entry was passed over
        buffered = peekable(stream)
        pretty = buffered.peek(_PRETTY_PEEK).removeprefix(BOM).lstrip()[:2] in (b"{\n", b"{\r")
        for entry in _pretty_objects(buffered) if pretty else object_lines(buffered):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, record = entry
            if number == 1 and _is_history(record):
                yield Skipped(PROMPT_HISTORY)
                return
            kind = record.get("type")
            if kind == "summary":
                leaf, summary = record.get("leafUuid"), record.get("summary")
                if type(leaf) is str and type(summary) is str:
                    summaries[leaf] = summary
                continue
            session_id = record.get("sessionId")
            if session is None or (session_id != current and type(session_id) is str):
                # Records without a sessionId belong to the session being written.
                current = session_id if type(session_id) is str else current
                last_used[current] = number
                session = sessions.get(current)
                if session is None:
                    if len(sessions) >= _OPEN_SESSIONS:
                        oldest = min(sessions, key=last_used.__getitem__)
                        del last_used[oldest]
                        for result in _finish(sessions.pop(oldest), filename, summaries):
                            finished = True
                            yield result
                    session = sessions[current] = Session(number)
            if kind == "custom-title" or kind == "ai-title":
                title = record.get(_TITLE_FIELDS[kind])
                if type(title) is str and title:
                    session.titles[kind] = title
                continue
            uuid = record.get("uuid")
            if record.get("isSidechain") is True:
                sidechain = True
            elif type(uuid) is str and uuid not in session.nodes:
                session.add(from_gemini_parts(record), uuid)
        found = False
        for session in sessions.values():
            for result in _finish(session, filename, summaries):
                found = True
                yield result
        if not found and not finished:
            # Snapshot-only sessions, a prompt nobody answered, summaries only: known shapes, not errors. A file of a
            # subagent's thread alone (`agent-<id>.jsonl` beside the sessions, every entry `isSidechain`) says so.
            if sidechain and not _sessions_spoke(sessions):
                yield Skipped(SIDECHAIN)
            elif _only_api_errors(sessions):
                yield Skipped(API_ERRORS)
            elif _only_prompts(sessions):
                yield Skipped(UNANSWERED)
            else:
                yield Skipped("session without a conversation")


SIDECHAIN = (
    "Claude Code subagent thread (isSidechain): the assistant's own subtask, not the person's conversation"
)


UNANSWERED = "Claude Code session without an answer (the person's prompt alone)"


API_ERRORS = "Claude Code session whose every reply is an API error (not logged in, no credit, ...)"


def _only_api_errors(sessions: dict[str, Session]) -> bool:
    """Whether every reply in the sessions is Claude Code's own API error message (`isApiErrorMessage`)."""
    replies = [
        record
        for session in sessions.values()
        for record, _ in session.nodes.values()
        if record.get("type") == "assistant"
    ]
    return bool(replies) and all(
        record.get("isApiErrorMessage") is True
        or as_object(record.get("message")).get("model") == "<synthetic>"
        for record in replies
    )


def _only_prompts(sessions: dict[str, Session]) -> bool:
    """Whether the sessions hold a prompt the person typed and no answer at all."""
    kinds = {record.get("type") for session in sessions.values() for record, _ in session.nodes.values()}
    return "user" in kinds and "assistant" not in kinds


def _sessions_spoke(sessions: dict[str, Session]) -> bool:
    """Whether any session holds a user or assistant entry of the main thread."""
    return any(session.leaf is not None for session in sessions.values())


_PRETTY_PEEK = 4096
_SPACE = re.compile(r"\s*")


def _pretty_objects(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]] | RecordError]:
    """(line number, object) for each object of a session saved pretty-printed (`jq . session.jsonl`: the same
    entries, each written over many lines, one after another), as `object_lines` gives them for JSON Lines."""
    text = read_text(stream)
    decoder = json.JSONDecoder()
    at, line = 0, 1
    while True:
        start = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # `\s*` always matches
        if start >= len(text):
            return
        line += text.count("\n", at, start)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            yield RecordError(f"invalid JSON in a pretty-printed session: {exc.msg}", line=exc.lineno)
            return
        if type(value) is dict:
            yield line, value
        else:
            yield RecordError(f"expected a JSON object, got {type_name(value)}", line=line)
        line += text.count("\n", start, end)
        at = end


def _is_history(record: dict[str, object]) -> bool:
    return "type" not in record and record.keys() >= _HISTORY_KEYS


def _finish(session: Session, filename: str, summaries: dict[str, str]) -> Iterator[ParseResult]:
    conversation = session.conversation(filename, summaries)
    if conversation is not None:
        yield conversation


importer = ClaudeCodeImporter()
