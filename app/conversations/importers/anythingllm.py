"""AnythingLLM's "Export chats" (Settings > Workspace Chats > Export): the JSON, CSV and Alpaca JSON files.

The shapes are AnythingLLM's own (Mintplex-Labs/anything-llm, `server/utils/helpers/chat/convertTo.js`). Every
workspace's chats are exported together, ordered by id, one row per prompt and its response:
- JSON (`anythingllm-chats-<date>.json`, 4-space indented): `[{id, prompt, response, sent_at (ISO), attachments:
  [{type: "image", image: <data URL>}], workspace, username, rating ("--", "GOOD" or "BAD")}]`;
- CSV (`anythingllm-chats-<date>.csv`): the header `id,workspace,prompt,response,sent_at,username,rating`
  (before mid-2024 `id,username,workspace,prompt,response,sent_at`), every value quoted, **newlines in the texts
  written as spaces** (so a multi-line prompt or answer reads as one line), `sent_at` as JavaScript prints a
  date (`Sat May 11 2024 09:15:09 GMT+0000 (Coordinated Universal Time)`);
- Alpaca JSON (`anythingllm-chats-<date>-alpaca.json`): `[{instruction, input, output}]`, the instruction being
  the workspace's system prompt followed by the sources retrieved for that prompt (`\\nContext:\\n[CONTEXT 0]:\\n…`).
The embedded chat widget's export has the same JSON and CSV rows without `username` and `rating`. The JSONL
export (one `{"messages": [...]}` line per workspace) is OpenAI's shape and read by the `openai` importer, as is
the JSON export before mid-2024 (a bare array of every workspace's messages, each workspace opened by its system
message).

No conversation or thread id is exported, so rows become conversations thus:
- JSON and CSV rows with a `username` are grouped by workspace and user, in the file's (id) order: AnythingLLM
  sends each user the recent chats of the same workspace as history, and its own JSONL export groups them by
  workspace. The threads of one workspace read as one conversation (the export does not say which thread a row
  was in), and rows a `/reset` left out of the model's history are read too. Groups are built once the file is
  read (only their texts are kept meanwhile).
- rows without a `username` (the chat widget's: the visitors' sessions are not exported) and Alpaca rows (which
  name no workspace) are each a conversation of their own. An Alpaca row's instruction is the system prompt and
  the retrieved sources a `retrieved` context block of the prompt (the input); a row without an input reads the
  instruction as the prompt.

An Alpaca array is AnythingLLM's only where it says so: its file name (`anythingllm-chats-…alpaca….json`), or in
its first 64 KB the sources AnythingLLM retrieved for a prompt (`\\nContext:\\n[CONTEXT 0]:`) or its default
system prompt ("Given the following conversation, relevant context, and a follow up question, ..."); a row with
retrieved sources is AnythingLLM's in any file. Other Alpaca files are datasets, read by `sft-dataset` (the
instruction is the task, not a system prompt): rows of theirs read here (`--format anythingllm`) read as there.

Attached images are counted as dropped; a row without a response is left out (counted as `unanswered_prompts`).
The workspace and user, the first row's `sent_at` (as written) and the ratings given (by row id) are metadata; the
title is the first prompt; the external id is `<workspace>/<user>` (a lone row: `<workspace>/<row id>`; an Alpaca
row: the file and its index). A conversation without an answer is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from . import sft_dataset
from ._csv import csv_header, iter_csv_records
from ._json import BOM, BadRecord
from ._records import Record, iter_records, peekable, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

_CSV_COLUMNS = frozenset(("workspace", "prompt", "response", "sent_at"))
# A row's keys (`response` is left out when AnythingLLM has no text for it).
_ROW_KEYS = ("prompt", "sent_at", "workspace")
_NO_ANSWER = "AnythingLLM chat without an answer"
_NO_OUTPUT = "Alpaca row without an output"
# Where the sources retrieved for a prompt start in an Alpaca row's instruction (`buildSystemPrompt`).
_CONTEXT = "\nContext:\n[CONTEXT 0]:\n"
_SOURCE = re.compile(r"\[CONTEXT (\d+)\]:\n(.*?)\n\[END CONTEXT \1\]", re.DOTALL)
_STRING = rb'"(?:[^"\\]++|\\.)*+"'
# A first row longer than the head: the keys AnythingLLM writes first, the prompt whole.
_LONG_ROW = re.compile(
    rb'\s*\[\s*\{\s*"id"\s*:\s*\d+\s*,\s*"prompt"\s*:\s*' + _STRING + rb'\s*,\s*"(?:response|sent_at)"\s*:'
)
# What says an Alpaca array is AnythingLLM's own (`anythingllm-chats-<date>-alpaca.json`): its name, or in its head
# the sources retrieved for a prompt or AnythingLLM's default system prompt (both as JSON writes them).
_ALPACA_NAME = re.compile(r"anythingllm-chats-[^/\\]*alpaca[^/\\]*\.json$", re.IGNORECASE)
_ALPACA_SIGNS = (
    b"\\nContext:\\n[CONTEXT 0]:\\n",
    b"Given the following conversation, relevant context, and a follow up question, reply with an answer",
)
_LONG_ALPACA = re.compile(
    rb'\s*\[\s*\{\s*"instruction"\s*:\s*'
    + _STRING
    + rb'\s*,\s*"input"\s*:\s*'
    + _STRING
    + rb'\s*,\s*"output"\s*:'
)


def _is_row(record: dict[str, Any]) -> bool:
    return all(key in record for key in _ROW_KEYS)


def _is_alpaca(record: dict[str, Any]) -> bool:
    """An Alpaca row (AnythingLLM leaves out an `output` it has no text for), not a preference one."""
    return (
        type(record.get("instruction")) is str
        and ("output" in record or "input" in record)
        and "chosen" not in record
        and "rejected" not in record
    )


def _is_csv(head: bytes) -> bool:
    names = csv_header(head)
    return names is not None and _CSV_COLUMNS.issubset(names)


def _own_alpaca(head: bytes, filename: str) -> bool:
    """Whether Alpaca rows in this file are AnythingLLM's export (its name or its head says so)."""
    return _ALPACA_NAME.search(filename) is not None or any(sign in head for sign in _ALPACA_SIGNS)


class AnythingLlmImporter:
    name = "anythingllm"

    def sniff(self, head: bytes, filename: str) -> bool:
        if _is_csv(head):
            return True
        own = _own_alpaca(head, filename)

        def hint(head: bytes) -> bool:
            head = head.removeprefix(BOM)
            return _LONG_ROW.match(head) is not None or (own and _LONG_ALPACA.match(head) is not None)

        return sniff_head(head, opener=b"[", looks=lambda r: _is_row(r) or (own and _is_alpaca(r)), hint=hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        head = buffered.peek(65536)
        csv = _is_csv(head)
        own = _own_alpaca(head, filename)
        records: Iterable[Record | RecordError] = (
            iter_csv_records(buffered) if csv else iter_records(buffered)
        )
        groups: dict[tuple[str, str], _Group] = {}
        for record in records:
            if isinstance(record, RecordError):
                yield record
                continue
            try:
                result = _read(record, filename, groups, own)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
                continue
            if result is not None:
                yield result
        for group in groups.values():
            yield group.result()


def _read(
    record: Record, filename: str, groups: dict[tuple[str, str], _Group], own: bool
) -> ParseResult | None:
    """An Alpaca row's or a lone row's conversation; a user's row joins its group (None). Alpaca rows are
    AnythingLLM's where the file (`own`) or the row says so, else a dataset's."""
    value = record.value
    if type(value) is not dict:
        raise BadRecord(f"expected a JSON object, got {type_name(value)}")
    if _is_alpaca(value):
        if own or _CONTEXT in value["instruction"]:
            return _alpaca(value, record, filename)
        return _dataset_row(value, record, filename)
    row = _row(value)
    user = value.get("username")
    if type(user) is not str:
        group = _Group(f"{row.workspace}/{row.id}", row.workspace, None, record)
        group.add(row)
        return group.result()
    key = (row.workspace, user)
    if key not in groups:
        groups[key] = _Group(f"{row.workspace}/{user}", row.workspace, user, record)
    groups[key].add(row)
    return None


@dataclass(slots=True)
class _Row:
    id: str
    prompt: str
    response: str
    sent_at: str | None
    workspace: str
    rating: str | None
    images: int


def _row(value: dict[str, Any]) -> _Row:
    prompt = value.get("prompt")
    if type(prompt) is not str:
        raise BadRecord(f"prompt: expected the prompt's text, got {type_name(prompt)}")
    response = value.get("response")
    if response is not None and type(response) is not str:
        raise BadRecord(f"response: expected the response's text, got {type_name(response)}")
    workspace = value.get("workspace")
    if type(workspace) is not str:
        raise BadRecord(f"workspace: expected the workspace's name, got {type_name(workspace)}")
    row_id = value.get("id")
    attachments = value.get("attachments")
    rating = value.get("rating")
    sent_at = value.get("sent_at")
    return _Row(
        id=str(row_id).strip() if type(row_id) in (int, str) else "",
        prompt=prompt,
        response=response or "",
        sent_at=sent_at if type(sent_at) is str and sent_at else None,
        workspace=workspace,
        rating=rating if rating in ("GOOD", "BAD") else None,
        images=len(attachments) if type(attachments) is list else 0,
    )


@dataclass(slots=True)
class _Group:
    """The rows of one workspace and user (or a lone row), in file order."""

    external_id: str
    workspace: str
    user: str | None
    first: Record
    rows: list[_Row] = field(default_factory=list)

    def add(self, row: _Row) -> None:
        self.rows.append(row)

    def result(self) -> ParseResult:
        builder = TurnBuilder()
        title: str | None = None
        unanswered = 0
        ratings: dict[str, str] = {}
        for row in self.rows:
            if not row.response.strip():
                unanswered += 1
                continue
            builder.user(row.prompt)
            builder.text(row.response)
            if row.images:
                builder.dropped["image"] += row.images
            if title is None and row.prompt.strip():
                title = prompt_title(row.prompt)
            if row.rating is not None:
                ratings[row.id] = row.rating
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            return Skipped(_NO_ANSWER)
        metadata: dict[str, Any] = {"workspace": self.workspace}
        if self.user is not None:
            metadata["user"] = self.user
        sent_at = next((row.sent_at for row in self.rows if row.sent_at), None)
        if sent_at is not None:
            metadata["create_time"] = sent_at
        if ratings:
            metadata["ratings"] = ratings
        if unanswered:
            metadata["unanswered_prompts"] = unanswered
        conversation = builder.conversation(self.external_id, title=title, metadata=metadata)
        conversation.line, conversation.json_path = self.first.line, self.first.json_path
        return conversation


def _alpaca(value: dict[str, Any], record: Record, filename: str) -> ParseResult:
    instruction = value["instruction"]
    prompt, output = value.get("input"), value.get("output")
    for key, text in (("input", prompt), ("output", output)):
        if text is not None and type(text) is not str:
            raise BadRecord(f"{key}: expected a string, got {type_name(text)}")
    if not output or not output.strip():
        return Skipped(_NO_OUTPUT)
    builder = TurnBuilder()
    if prompt and prompt.strip():
        system, _, sources = instruction.partition(_CONTEXT)
        builder.system(system)
        builder.user(prompt, blocks=_sources(sources) or None)
    else:
        prompt = instruction
        builder.user(prompt)
    builder.text(output)
    where = record.json_path if record.line is None else record.line
    conversation: ParsedConversation = builder.conversation(f"{filename}:{where}")
    first = next(turn.text for turn in conversation.turns if turn.role == "user")
    conversation.title, conversation.line, conversation.json_path = (
        prompt_title(first),
        record.line,
        record.json_path,
    )
    return conversation


def _dataset_row(value: dict[str, Any], record: Record, filename: str) -> ParseResult:
    """An Alpaca row of a dataset, read as `sft-dataset` reads it (the instruction is the task)."""
    where = record.json_path if record.line is None else record.line
    try:
        conversation = sft_dataset.importer.rows.convert(value, f"{filename}:{where}")
    except SkipRecord as exc:
        return Skipped(str(exc))
    conversation.line, conversation.json_path = record.line, record.json_path
    return conversation


def _sources(text: str) -> list[dict[str, Any]]:
    """The sources retrieved for a prompt (`[CONTEXT i]:\n…\n[END CONTEXT i]`), a context block each."""
    if not text.strip():
        return []
    sources = [match.group(2).strip() for match in _SOURCE.finditer("[CONTEXT 0]:\n" + text)]
    return [{"type": "context", "tag": "retrieved", "text": t} for t in sources or [text.strip()] if t]


importer = AnythingLlmImporter()
