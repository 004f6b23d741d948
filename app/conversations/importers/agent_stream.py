"""What coding agents print in headless mode, as JSON: runs that scripts, CI jobs and evaluations log.

- Claude Code, `claude -p --output-format stream-json --verbose`: a `system` line (`subtype: init`, `session_id`),
  then `assistant` lines (an Anthropic message, one content block a line, the blocks of one response sharing
  `message.id`), `user` lines carrying tool results, and a `result` line (`result`: the final text again). The
  person's prompt is in the output only when the run read its prompts as stream-json and replayed them
  (`--replay-user-messages`): a `user` line whose content is a string (or text blocks), `isReplay: true`.
  `--output-format json` prints the `result` object alone (or, with `--verbose`, an array of the same lines);
  early versions printed `{role: "system", cost_usd, duration_ms, result, session_id}` instead. Lines whose
  `parent_tool_use_id` is set belong to a subagent's run (the Task tool's prompt, which the assistant wrote, and
  the subagent's messages and tool calls): they are no turn of the conversation, whose Task tool result holds
  the subagent's report.
- Gemini CLI, `gemini -p --output-format stream-json`: `init` (`session_id`, `model`), `message` (`role` user or
  assistant; the answer comes in `delta: true` chunks to join), `tool_use` (`tool_name`, `tool_id`,
  `parameters`), `tool_result` (`tool_id`, `status`, `output`, `error`), `error` and `result`. The prompt is the
  `user` message. `--output-format json` prints `{session_id?, response, stats}`.
- Cursor's agent CLI, `cursor-agent -p --output-format stream-json`: `system` (`subtype: init`), a `user` echo of
  the prompt, `assistant` messages, `tool_call` pairs (`subtype` started/completed, `tool_call: {<kind>ToolCall:
  {args, result}}`) and `result`.
- Codex, `codex exec --json` (`thread.started`, `turn.started`, `item.*`, `turn.completed`), and opencode,
  `opencode run --format json` (`step_start`, `text`, `tool_use`, `step_finish` with a `part`), print no prompt.

A run resumed in the same session (`--resume <id>`) and appended to the same log continues that session's
conversation: one conversation per session id, in the order they first appear. A run whose prompt is not in
the file cannot give a pair (there is no question to pair the answers with): it is skipped with that reason,
as is a session in which nobody or only one side speaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._records import as_object, head_records, iter_records, type_name
from ._turns import TurnBuilder, prompt_title, response_block, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped

_NO_PROMPT = "headless agent run without its prompt (given on the command line, not in the output)"
_NO_TALK = "headless agent run without a prompt and an answer"
_NO_ANSWER = "headless agent input without answers (the prompts a script sent, not the run's output)"
_CODEX = frozenset(("thread.started", "turn.started", "turn.completed", "turn.failed"))
_CODEX_ITEMS = frozenset(("item.started", "item.updated", "item.completed"))
_OPENCODE = frozenset(("step_start", "step_finish"))
_GEMINI = frozenset(("init", "message", "tool_use", "tool_result"))
_TOOLS = {"claude": "claude-code", "cursor": "cursor-agent", "gemini": "gemini-cli"}


def _kind(record: dict[str, Any]) -> str | None:
    """Which tool wrote a record: `claude`, `cursor`, `gemini`, `codex`, `opencode`, or None."""
    kind = record.get("type")
    if type(kind) is not str:
        # Gemini CLI's `--output-format json`: `{session_id?, response, stats}`, no type.
        stats = record.get("stats")
        if "response" in record and type(stats) is dict and ("models" in stats or "session_id" in record):
            return "gemini-json"
        # Claude Code's first `--output-format json`: `{role: "system", cost_usd, duration_ms, result, ...}`.
        if (
            record.get("role") == "system"
            and "result" in record
            and "session_id" in record
            and "cost_usd" in record
        ):
            return "claude-json"
        return None
    if kind == "system" and record.get("subtype") == "init" and type(record.get("session_id")) is str:
        # Cursor's init names its key's source and model in words, and carries no tool list.
        return "claude" if "tools" in record or "claude_code_version" in record else "cursor"
    if kind in ("assistant", "user") and type(record.get("message")) is dict and "session_id" in record:
        return "claude" if "parent_tool_use_id" in record else "cursor"
    if kind == "result" and "session_id" in record and ("result" in record or "subtype" in record):
        return "claude" if "num_turns" in record or "total_cost_usd" in record else "cursor"
    if kind == "tool_call" and "call_id" in record and type(record.get("tool_call")) is dict:
        return "cursor"
    if (
        kind in _GEMINI
        and "timestamp" in record
        and ("session_id" in record or "role" in record or "tool_id" in record)
    ):
        return "gemini"
    if kind in _CODEX or (kind in _CODEX_ITEMS and type(record.get("item")) is dict):
        return "codex"
    if (
        (kind in _OPENCODE or kind in ("text", "tool_use"))
        and "sessionID" in record
        and type(record.get("part")) is dict
    ):
        return "opencode"
    return None


class _Session:
    def __init__(self, line: int | None) -> None:
        self.builder = TurnBuilder()
        self.line = line
        self.tool = ""
        self.metadata: dict[str, Any] = {}
        self.prompted = False
        self.answered = False
        self.answer = ""  # Gemini's chunks of the answer being written, joined at the next event
        self.final: str | None = None  # a `result` line's text, used only when no answer text came before
        self.tool_names: dict[str, str] = {}

    def flush(self) -> None:
        if self.answer:
            self.builder.text(self.answer)
            self.answered = True
            self.answer = ""

    def prompt(self, text: Any) -> None:
        self.flush()
        if type(text) is str and text.strip():
            self.builder.user(text)
            self.prompted = True


class AgentStreamImporter:
    name = "agent-stream"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if not records:
            return False
        # A wrapper may write a line of its own first (its copy of the prompt): a run's opening line after it
        # still says whose output this is.
        return _kind(records[0]) is not None or any(
            record.get("type") in ("init", "system") and _kind(record) is not None for record in records[1:]
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        sessions: dict[str, _Session] = {}
        current: _Session | None = None
        silent = False  # a Codex or opencode run, or a bare result object: no prompt is ever written
        for entry in iter_records(stream):
            if isinstance(entry, RecordError):
                yield entry
                continue
            record, line = entry.value, entry.line
            if type(record) is not dict:
                yield RecordError(
                    f"expected a JSON object, got {type_name(record)}", line=line, json_path=entry.json_path
                )
                continue
            tool = _kind(record)
            if tool in ("codex", "opencode", "gemini-json", "claude-json"):
                silent = True
                continue
            session_id = record.get("session_id")
            if type(session_id) is str and session_id:
                if session_id not in sessions:
                    sessions[session_id] = _Session(line)
                current = sessions[session_id]
            elif current is None:
                if tool is None:
                    continue  # a notice before any session (Codex's reconnecting errors)
                current = sessions.setdefault("", _Session(line))
            if tool is not None:
                current.tool = current.tool or _TOOLS[tool]
            _read(current, record)
        for session_id, session in sessions.items():
            session.flush()
            if session.final and not session.answered:
                session.builder.text(session.final)
                session.answered = True
            turns = session.builder.finish(complete=False)
            roles = {turn.role for turn in turns}
            if roles != {"user", "assistant"}:
                yield Skipped(_NO_PROMPT if "assistant" in roles else _NO_ANSWER if roles else _NO_TALK)
                continue
            yield ParsedConversation(
                external_id=session_id or filename,
                turns=turns,
                title=prompt_title(turns[0].text),
                metadata={"tool": session.tool, **session.metadata},
                line=session.line,
                dropped=dict(session.builder.dropped),
            )
        if not sessions and silent:
            yield Skipped(_NO_PROMPT)


def _read(session: _Session, record: dict[str, Any]) -> None:
    kind = record.get("type")
    builder = session.builder
    if kind == "system" and record.get("subtype") == "init":
        for key in ("model", "cwd", "claude_code_version"):
            if type(record.get(key)) is str and key not in session.metadata:
                session.metadata[key] = record[key]
    elif kind == "init":  # Gemini CLI
        if type(record.get("model")) is str:
            session.metadata.setdefault("model", record["model"])
    elif kind == "message":  # Gemini CLI
        if record.get("role") == "user":
            session.prompt(record.get("content"))
        elif record.get("role") == "assistant" and type(record.get("content")) is str:
            if record.get("delta") is True:
                session.answer += record["content"]
            else:
                session.flush()
                session.answer = record["content"]
    elif kind == "tool_use":  # Gemini CLI
        session.flush()
        builder.block(tool_use(record.get("tool_id"), record.get("tool_name"), record.get("parameters")))
    elif kind == "tool_result":  # Gemini CLI
        session.flush()
        error = as_object(record.get("error"))
        content = record.get("output") if "output" in record else error.get("message", "")
        builder.block(tool_result(record.get("tool_id"), content, is_error=record.get("status") == "error"))
    elif kind in ("assistant", "user"):  # Claude Code and Cursor
        if record.get("parent_tool_use_id") is not None:
            return  # a subagent's run (its prompt, written by the assistant, is no turn of the person's)
        message = as_object(record.get("message"))
        content = message.get("content")
        if kind == "user":
            if type(content) is str:
                session.prompt(content)
                return
            blocks = [as_object(block) for block in content] if type(content) is list else []
            texts = [
                block["text"]
                for block in blocks
                if block.get("type") == "text" and type(block.get("text")) is str
            ]
            if texts and len(texts) == len(blocks):
                session.prompt("\n\n".join(texts))  # a prompt written as text blocks (Cursor's echo)
                return
            for block in blocks:
                stored = response_block(block)
                if stored is not None:
                    builder.block(stored)
            return
        for block in [as_object(block) for block in content] if type(content) is list else ():
            if block.get("type") == "text" and type(block.get("text")) is str:
                builder.text(block["text"])
                session.answered = session.answered or bool(block["text"].strip())
            else:
                stored = response_block(block)
                if stored is not None:
                    builder.block(stored)
        if type(content) is str:
            builder.text(content)
            session.answered = session.answered or bool(content.strip())
    elif kind == "tool_call":  # Cursor
        _cursor_tool(session, record)
    elif kind == "result":
        session.flush()
        if type(record.get("result")) is str and record["result"].strip():
            session.final = record["result"]


def _cursor_tool(session: _Session, record: dict[str, Any]) -> None:
    """A Cursor tool call: `{<kind>ToolCall: {args, result}}`, its call when started, its result when completed."""
    call = as_object(record.get("tool_call"))
    name = next(iter(call), None)
    body = as_object(call.get(name)) if name is not None else {}
    call_id = record.get("call_id")
    if record.get("subtype") == "started":
        session.builder.block(tool_use(call_id, name, body.get("args")))
    elif record.get("subtype") == "completed":
        result = as_object(body.get("result"))
        success, failure = result.get("success"), result.get("error") or result.get("failure")
        session.builder.block(
            tool_result(call_id, success if failure is None else failure, is_error=failure is not None)
        )


importer = AgentStreamImporter()
