"""Cline and Roo Code task folders (`<VS Code globalStorage>/saoudrizwan.claude-dev/tasks/<taskId>/` and
`…/rooveterinaryinc.roo-cline/tasks/<taskId>/`; Kilo Code, a Roo fork, writes the same): one conversation per task.

Only `api_conversation_history.json` is read: the messages the model was sent, Anthropic `MessageParam`s in
a JSON array (Cline; Roo's legacy files add `ts` to each), or Roo's newer `{"version": 2, "messages": [...]}`
with AI SDK parts (`reasoning`, `tool-call`) and `role: "tool"` messages holding the `tool-result`s. The task's
other files (`ui_messages.json`, the UI's event log; `task_metadata.json`, `settings.json`, the global
`taskHistory.json` index, …) are skipped with a reason by `files.not_conversation_reason`.

What a person saw, read from what the model was sent:
- The first user message's `<task>…</task>` is the prompt. Later, what the person typed comes wrapped too:
  `<feedback>` (pushback after `attempt_completion`, or on approving or denying a tool), `<answer>` (to a
  follow-up question), `<user_message>` (when a task is resumed): the inner text is the user turn.
- `<environment_details>` (visible files, open tabs, time, mode), appended to every user message, is a
  context block of the user turn typed in that message; those sent with tool results only are left out (a
  long task repeats them hundreds of times). Files an `@` mention pulled in (`<file_content>`, …) are context.
- Tool results, as `tool_result` blocks or as `[read_file for 'x'] Result:` text (the content in the same or
  the next text block), are tool_result blocks of the answer; a user message holding only tool results and
  environment details is not a user turn. The harness's own notices (`[TASK RESUMPTION]`, `[ERROR] You did not
  use a tool`, task-progress reminders) are left out.
- Assistant text, thinking (`thinking` blocks, Roo's `reasoning` parts and `reasoning_content`, and the
  `<thinking>` tags of older versions) and tool calls (`tool_use`, `tool-call`, or XML in the text as older
  versions wrote them: `<read_file><path>…</path></read_file>`) are blocks of the answer, everything the
  assistant does between two typed user messages one turn. `attempt_completion`'s `result`, the question of
  `ask_followup_question` and the `response` of `plan_mode_respond` are what the person read: answer text,
  not tool calls.
- Roo's condense summaries (`isSummary`) and truncation markers are the model's memory, not turns.

The task id (the folder's name) is the external id, the first prompt the title; the tool (from the folder),
the models (`modelInfo`, or Roo's `<model>` in the environment details) and the working directory metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BOM, BadRecord, has_top_key
from ._records import first_byte, head_records, iter_records, type_name
from ._turns import TurnBuilder, flatten, part_kind, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped

HISTORY_FILE = "api_conversation_history.json"
# What a message becomes, in order: ["block", a block of the answer], ["text", answer text], ["user", typed
# text], ["context", a context block]. Lists, so a two-block tool result can get its content later.
Pieces = list[list[Any]]
# The extensions' globalStorage folders (VS Code writes extension ids in lower case) -> the tool.
EXTENSION_FOLDERS = {
    "saoudrizwan.claude-dev": "cline",
    "saoudrizwan.cline-nightly": "cline",
    "rooveterinaryinc.roo-cline": "roo-code",
    "kilocode.kilo-code": "kilo-code",
}

# Tools whose call is what the person read (the answer) and whose result is what they typed back.
_ANSWER_TOOLS = {
    "attempt_completion": "result",
    "ask_followup_question": "question",
    "plan_mode_respond": "response",
    "plan_mode_response": "response",
}
# Tool names the XML-in-text versions wrote (Cline and Roo); only these tags are read as tool calls.
_XML_TOOLS = (
    "execute_command",
    "read_file",
    "write_to_file",
    "replace_in_file",
    "apply_diff",
    "insert_content",
    "search_and_replace",
    "search_files",
    "list_files",
    "list_code_definition_names",
    "codebase_search",
    "browser_action",
    "use_mcp_tool",
    "access_mcp_resource",
    "load_mcp_documentation",
    "ask_followup_question",
    "attempt_completion",
    "plan_mode_respond",
    "plan_mode_response",
    "new_task",
    "switch_mode",
    "fetch_instructions",
    "update_todo_list",
    "web_fetch",
    "inspect_site",
)
_XML = re.compile(r"<(thinking|" + "|".join(_XML_TOOLS) + r")>(.*?)</\1>", re.DOTALL)
_PARAM = re.compile(r"<([A-Za-z_][\w-]*)>\n?(.*?)\n?</\1>", re.DOTALL)

# What the person typed, wrapped by the harness (a feedback's preamble is matched separately).
_TYPED = re.compile(r"<(task|feedback|answer|user_message)>\n?(.*?)\n?</\1>", re.DOTALL)
# Feedback inside a tool result: the harness's words before it say so.
_FEEDBACK = re.compile(
    r"The user (?:has )?(?:provided|denied|approved)[^<]{0,300}<feedback>\n?(.*?)\n?</feedback>", re.DOTALL
)
_ENVIRONMENT = re.compile(r"<environment_details>\n?(.*?)\n?</environment_details>", re.DOTALL)
# `[read_file for 'src/a.ts'] Result:` or `[attempt_completion] Result:`, then the result. Roo Code and IBM Bob add
# a note after the files read (`[read_file for '.bob'. Reading multiple files at once is more efficient for the LLM.
# ...] Result:`, a real export: the result was a prompt of its own).
_RESULT_HEADER = re.compile(
    r"\s*\[([A-Za-z_][\w-]*)(?: for '.*?'(?:\. [^\[\]\n]{1,400})?)?\] Result:[ \t]*\n?", re.DOTALL
)
_OPENING_TAG = re.compile(r"<([A-Za-z_][\w-]*)[\s>]")
# `[Response interrupted by a tool use result. Only one tool may be used at a time ...]`, `[Response interrupted by
# API Error]`, `[Response interrupted by user]`: the harness's, appended to the answer it cut.
_CUT_NOTE = re.compile(r"\n*\[Response interrupted by [^\]\n]*\][ \t]*")
_ATTACHED = "Files attached by the user:"
_HARNESS = ("[TASK RESUMPTION]", "[ERROR]", "[NOTE]", "# task_progress", "(The user did not provide")
_FAILED = ("The tool execution failed", "The user denied this operation")
_CWD = re.compile(r"# Current (?:Working|Workspace) Directory \((.+?)\) Files")
_MODEL = re.compile(r"<model>(.*?)</model>")
_SIGNS = (b"<task>", b"<environment_details>", b'"tool-call"', b'"tool-result"')


def task_location(filename: str) -> tuple[str | None, str | None]:
    """The tool (from the extension's folder) and the task id (from `tasks/<id>/`) a path shows, if any."""
    parts = [
        part for part in filename.replace("\\", "/").replace("!", "/").split("/") if part and part != "."
    ]
    tool = next((EXTENSION_FOLDERS[p.lower()] for p in parts[:-1] if p.lower() in EXTENSION_FOLDERS), None)
    task = parts[-2] if len(parts) >= 3 and parts[-3] == "tasks" else None
    return tool, task


def _named(filename: str) -> bool:
    return filename.replace("\\", "/").rsplit("/", 1)[-1] == HISTORY_FILE


def _is_v2(value: Any) -> bool:
    version = value.get("version") if type(value) is dict else None
    return type(version) is int and version == 2 and type(value.get("messages")) is list


def _texts(content: Any) -> list[str]:
    if type(content) is str:
        return [content]
    if type(content) is not list:
        return []
    return [b["text"] for b in content[:8] if type(b) is dict and type(b.get("text")) is str]


def _opens_task(record: dict[str, Any]) -> bool:
    """A first message as Cline and Roo write it: the user's `<task>`, or environment details."""
    if record.get("role") != "user":
        return False
    return any(
        text.lstrip().startswith("<task>") or "<environment_details>" in text
        for text in _texts(record.get("content"))
    )


class ClineImporter:
    name = "cline"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = first_byte(head)
        named = _named(filename)
        records = head_records(head)
        if first == ord("["):
            if records:
                return _opens_task(records[0]) or (named and "role" in records[0])
            # A first message longer than the head: its role and the task's opening tag come first.
            start = head.removeprefix(BOM).lstrip()[:400]
            return b'"role"' in start and (b"<task>" in start or named)
        if first == ord("{"):
            signs = named or any(sign in head for sign in _SIGNS)
            if records:
                return _is_v2(records[0]) and signs
            return signs and has_top_key(head, b'"version"') and has_top_key(head, b'"messages"')
        return False

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        tool, task_id = task_location(filename)
        task = TaskHistory(tool)
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            if record.json_path != "$" and record.line is None:
                # An item of the legacy JSON array: one message.
                try:
                    task.add(value)
                except BadRecord as exc:
                    yield RecordError(str(exc), json_path=record.json_path)
                continue
            if not _is_v2(value):
                yield RecordError(
                    'expected a JSON array of messages or a {"version": 2, "messages": [...]} object',
                    line=record.line,
                    json_path=record.json_path,
                )
                continue
            task.meta.setdefault("tool", "roo-code")
            for i, message in enumerate(value["messages"]):
                try:
                    task.add(message)
                except BadRecord as exc:
                    yield RecordError(str(exc), line=record.line, json_path=f"$.messages[{i}]")
        yield task.result(task_id or filename)


class TaskHistory:
    """The conversation of one task, built from its history's messages one by one (the task folder's JSON, or the
    export's Markdown, `cline_export`)."""

    def __init__(self, tool: str | None) -> None:
        self.builder = TurnBuilder()
        self.meta: dict[str, Any] = {"tool": tool} if tool else {}
        self.models: list[str] = []
        self.title: str | None = None
        # Calls of answer tools by id (their results hold what the person typed back), and the latest
        # response's other calls, to link `[name] Result:` texts to them.
        self.answer_calls: set[str] = set()
        self.open_calls: list[tuple[str, str]] = []
        # Results of a Roo v2 `tool` message, held until the user message that follows it (its other half).
        self.held: Pieces = []

    def add(self, message: Any) -> None:
        if type(message) is not dict:
            raise BadRecord(f"expected a message object, got {type_name(message)}")
        role = message.get("role")
        if role is None and message.get("type") == "reasoning":
            # Roo's standalone reasoning item: its summary is readable, the encrypted part is not.
            self._flush()
            summary = flatten(message.get("summary"))
            if summary.strip():
                self.builder.block({"type": "thinking", "thinking": summary})
            return
        if role not in ("user", "assistant", "tool"):
            got = orjson.dumps(role).decode() if type(role) in (str, int, float, bool) else type_name(role)
            raise BadRecord(f'role: expected "user", "assistant" or "tool", got {got}')
        content = message.get("content")
        if type(content) is not str and type(content) is not list:
            raise BadRecord(f"content: expected a string or a list of blocks, got {type_name(content)}")
        if message.get("isSummary") is True or message.get("isTruncationMarker") is True:
            return
        if role == "assistant":
            pieces = self._answer(message, content)
            self._flush()
            self._apply(pieces)
        elif role == "tool":
            self.held.extend(self._user_pieces(content))
        else:
            pieces = self._user_pieces(content)
            held, self.held = self.held, []
            self._apply(held + pieces)

    def _flush(self) -> None:
        held, self.held = self.held, []
        self._apply(held)

    # -- user messages -------------------------------------------------------------------------------

    def _user_pieces(self, content: Any) -> Pieces:
        """A user (or Roo `tool`) message as pieces: ("block", tool result), ("user", typed text),
        ("context", block). Raises BadRecord naming the bad block before any turn changes."""
        pieces: Pieces = []
        if type(content) is str:
            content = [{"type": "text", "text": content}]
        opened: list[Any] | None = None  # a `[tool] Result:` whose content is the next text block
        for k, block in enumerate(content):
            if type(block) is not dict:
                raise BadRecord(f"content[{k}]: expected an object, got {type_name(block)}")
            kind = block.get("type")
            if kind == "text":
                text = block.get("text")
                if type(text) is not str:
                    raise BadRecord(f"content[{k}].text: expected a string, got {type_name(text)}")
                opened = self._user_text(text, pieces, opened)
            elif kind == "tool_result":
                self._result(
                    block.get("tool_use_id"), None, block.get("content"), block.get("is_error"), pieces
                )
                opened = None
            elif kind == "tool-result":
                output = block.get("output")
                value, failed = output, False
                if type(output) is dict:
                    value = output.get("value")
                    failed = output.get("type") in ("error-text", "error-json")
                    if type(value) is not str and type(value) is not list:
                        value = orjson.dumps(value).decode()
                self._result(block.get("toolCallId"), block.get("toolName"), value, failed, pieces)
                opened = None
            else:
                self.builder.dropped[part_kind(block)] += 1
        return pieces

    def _user_text(self, text: str, pieces: Pieces, opened: list[Any] | None) -> list[Any] | None:
        """Sort one text block of a user message into pieces; return the result still open for content."""
        for match in _ENVIRONMENT.finditer(text):
            pieces.append(
                ["context", {"type": "context", "tag": "environment_details", "text": match.group(1)}]
            )
            self._environment(match.group(1))
        text = _ENVIRONMENT.sub("", text).strip() if "<environment_details>" in text else text.strip()
        if not text:
            return opened
        header = _RESULT_HEADER.match(text)
        if header is not None:
            body = text[header.end() :]
            piece = self._result(None, header.group(1), body, False, pieces)
            return piece if piece is not None and not body.strip() else None
        if opened is not None:
            # The second half of a two-block result (`[tool] Result:`, then its content), which may hold
            # the feedback given on denying or approving the call.
            opened[1]["content"] = text
            opened[1]["is_error"] = text.startswith(_FAILED)
            self._typed(text, pieces, everything=False)
            return None
        if _FEEDBACK.search(text) or _TYPED.search(text):
            self._typed(text, pieces, everything=True)
        elif text.startswith(_ATTACHED):
            # Files the person attached to the task, written whole in a block of their own (a real task's
            # 6,000-character document): context of their prompt, not their words.
            pieces.append(
                [
                    "context",
                    {"type": "context", "tag": "file_content", "text": text[len(_ATTACHED) :].strip()},
                ]
            )
        elif not text.startswith(_HARNESS):
            pieces.append(["user", text])
        return None

    def _typed(self, text: str, pieces: Pieces, *, everything: bool) -> None:
        """Add what the person typed inside `text`: in any wrapper, or (in a tool's result) feedback only."""
        found = [m.group(1) for m in _FEEDBACK.finditer(text)]
        rest = _FEEDBACK.sub("", text) if found else text
        if everything:
            for match in _TYPED.finditer(rest):
                found.append(match.group(2))
            rest = _TYPED.sub("", rest)
            # What an @ mention pulled in is appended after the wrapper (`<file_content path=…>`, …).
            tail = rest.strip()
            opening = _OPENING_TAG.match(tail) if found else None
            if opening is not None:
                pieces.append(["context", {"type": "context", "tag": opening.group(1), "text": tail}])
        typed = [text.strip() for text in found if text.strip()]
        pieces.extend(["user", text] for text in typed)

    def _result(self, call_id: Any, name: Any, content: Any, failed: Any, pieces: Pieces) -> list[Any] | None:
        """A tool's result: what the person typed back to an answer tool is a user turn, other results are
        tool_result blocks (returned, so a two-block result can get its content)."""
        text = flatten(content, self.builder.dropped)
        header = _RESULT_HEADER.match(text)
        if header is not None:
            name = name if type(name) is str else header.group(1)
            text = text[header.end() :]
        if (type(call_id) is str and call_id in self.answer_calls) or (
            type(name) is str and name in _ANSWER_TOOLS
        ):
            self._typed(text, pieces, everything=True)
            return None
        self._typed(text, pieces, everything=False)
        if type(call_id) is not str:
            call_id = next((cid for cid, called in self.open_calls if called == name), None)
        if type(call_id) is str:
            self.open_calls = [call for call in self.open_calls if call[0] != call_id]
        block = tool_result(call_id, text, failed is True or text.lstrip().startswith(_FAILED))
        piece: list[Any] = ["block", block]
        pieces.append(piece)
        return piece

    def _environment(self, details: str) -> None:
        cwd = _CWD.search(details)
        if cwd is not None:
            self.meta.setdefault("cwd", cwd.group(1))
        model = _MODEL.search(details)
        if model is not None:
            self._model(model.group(1).strip())

    # -- assistant messages --------------------------------------------------------------------------

    def _answer(self, message: dict[str, Any], content: Any) -> Pieces:
        pieces: Pieces = []
        self.open_calls = []
        reasoning = message.get("reasoning_content")
        if type(reasoning) is str and reasoning.strip():
            pieces.append(["block", {"type": "thinking", "thinking": reasoning}])
        if type(content) is str:
            content = [{"type": "text", "text": content}]
        for k, block in enumerate(content):
            if type(block) is not dict:
                raise BadRecord(f"content[{k}]: expected an object, got {type_name(block)}")
            kind = block.get("type")
            if kind == "text":
                text = block.get("text")
                if type(text) is not str:
                    raise BadRecord(f"content[{k}].text: expected a string, got {type_name(text)}")
                self._answer_text(text, pieces)
            elif kind in ("thinking", "reasoning"):
                thinking = block.get("thinking", block.get("text"))
                if type(thinking) is str and thinking.strip():
                    pieces.append(["block", {"type": "thinking", "thinking": thinking}])
            elif kind == "tool_use":
                self._call(block.get("id"), block.get("name"), block.get("input"), pieces)
            elif kind == "tool-call":
                self._call(
                    block.get("toolCallId"),
                    block.get("toolName"),
                    block.get("input", block.get("args")),
                    pieces,
                )
            elif kind not in ("redacted_thinking", "reasoning_details"):
                self.builder.dropped[part_kind(block)] += 1
        info = message.get("modelInfo")
        if type(info) is dict and type(info.get("modelId")) is str:
            self._model(info["modelId"])
        return pieces

    def _answer_text(self, text: str, pieces: Pieces) -> None:
        """Assistant text, with the `<thinking>` tags and XML tool calls of older versions taken out of it, and the
        harness's note where it cut the message after its first call (counted as a dropped notice)."""
        text, notes = _CUT_NOTE.subn("", text)
        self.builder.dropped["notice"] += notes
        at = 0
        for match in _XML.finditer(text):
            pieces.append(["text", text[at : match.start()].strip()])
            at = match.end()
            tag, body = match.group(1), match.group(2)
            if tag == "thinking":
                if body.strip():
                    pieces.append(["block", {"type": "thinking", "thinking": body.strip()}])
                continue
            params = dict(_PARAM.findall(body))
            self._call(None, tag, params, pieces)
        pieces.append(["text", text[at:].strip()])

    def _call(self, call_id: Any, name: Any, arguments: Any, pieces: Pieces) -> None:
        field = _ANSWER_TOOLS.get(name) if type(name) is str else None
        if field is not None:
            if type(call_id) is str:
                self.answer_calls.add(call_id)
            said = arguments.get(field) if type(arguments) is dict else None
            if type(said) is str:
                pieces.append(["text", said.strip()])
            return
        if type(call_id) is str and type(name) is str:
            self.open_calls.append((call_id, name))
        pieces.append(["block", tool_use(call_id, name, arguments)])

    def _model(self, model: str) -> None:
        if model and model not in self.models:
            self.models.append(model)

    # -- the conversation ----------------------------------------------------------------------------

    def _apply(self, pieces: Pieces) -> None:
        """Add a message's pieces: its blocks and text, then its typed text as one user turn with the
        message's context (context without typed text is left out)."""
        builder = self.builder
        typed: list[str] = []
        context: list[dict[str, Any]] = []
        for kind, value in pieces:
            if kind == "block":
                builder.block(value)
            elif kind == "text":
                builder.text(value)
            elif kind == "user":
                typed.append(value)
            else:
                context.append(value)
        if typed:
            text = "\n\n".join(typed)
            if self.title is None:
                self.title = prompt_title(text)
            builder.user(text, blocks=context)

    def result(self, external_id: str) -> ParseResult:
        self._flush()
        builder = self.builder
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            return Skipped("task without a conversation")
        if self.models:
            self.meta["models"] = self.models
        return builder.conversation(external_id, title=self.title, metadata=self.meta)


importer = ClineImporter()
