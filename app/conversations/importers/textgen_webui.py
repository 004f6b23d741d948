"""text-generation-webui (oobabooga) saved chats: one conversation a file, as its `save_history` writes it.

Where: `user_data/logs/chat/<character>/<YYYYmmdd-HH-MM-SS>.json` (chat and chat-instruct modes) and
`user_data/logs/instruct/<id>.json` (instruct mode); before `user_data/` the same under `logs/`, and before
that one `logs/<character>_persistent.json` (or `persistent_<character>.json`) a character.

Shape: `{"internal": [[user, assistant], ...], "visible": [[user, assistant], ...], "metadata": {...}}`; the
oldest files say `data` and `data_visible`. Each row is an exchange. `internal` holds the raw text the model
read and wrote; `visible` the same HTML-escaped for the page, after the extensions that rewrite output (a
translation, TTS audio tags, pictures). **`internal` is read**: it is what was said, not its markup (a
translation extension shows the person the translated text, and the model saw the other). A row's first
text `<|BEGIN-VISIBLE-CHAT|>` marks the character's greeting (written by the character's author): a
`greeting` context block of the first prompt. An empty user text (a reply continued or sent alone) adds no
prompt.

An answer's thinking, which the web UI folds away, is a thinking block: `<think>…</think>` (or only the
closing tag, as some models write it), `<seed:think>…</seed:think>` and GPT-OSS's `analysis` channel before
its `final` one. Newer versions keep, per message, `metadata["user_<row>"]` and `["assistant_<row>"]`:
`model_name` (metadata), `attachments` (text files and web search results: `attachment` context blocks of the
prompt; images counted as dropped), `versions` (the answers regenerated for that row: the shown one is in
`internal`, the others are counted as `regenerated_responses`) and `tool_sequence` (tool calls and their
results before the answer: tool blocks). The id is the file's path under `logs/` without `.json`
(`chat/<character>/<id>`); the first prompt is the title; the mode and character (from the path) metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, has_top_key, json_or_text
from ._records import parse_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, split_thinking, tool_result, tool_use
from .base import ParsedConversation, ParseResult, SkipRecord

GREETING = "<|BEGIN-VISIBLE-CHAT|>"
# A file too long for the head: the object opens with `internal` (or the oldest `data`) and a list of rows.
_HEAD = re.compile(rb'\{\s*"(internal|data)"\s*:\s*\[\s*\[\s*"')


def _rows(record: dict[str, Any]) -> Any:
    return record["internal"] if "internal" in record else record.get("data")


def _looks(record: dict[str, Any]) -> bool:
    if "internal" in record:
        return type(record["internal"]) is list and type(record.get("visible")) is list
    return type(record.get("data")) is list and type(record.get("data_visible")) is list


def _head_hint(head: bytes) -> bool:
    match = _HEAD.match(head.removeprefix(BOM).lstrip())
    if match is None:
        return False
    # `data` is a common key: the oldest files are known by their greeting marker.
    return match.group(1) == b"internal" or (GREETING.encode() in head and has_top_key(head, b'"data"'))


def _where(filename: str) -> tuple[str, dict[str, Any]]:
    """The external id (the path under `logs/`, without `.json`) and what the path says: mode, character."""
    parts = [part for part in filename.replace("\\", "/").split("/") if part]
    stem = parts[-1].removesuffix(".json") if parts else filename
    if "logs" not in parts[:-1]:
        return filename, {}
    under = parts[len(parts) - parts[::-1].index("logs") : -1]  # the folders below the last `logs`
    external = "/".join([*under, stem])
    if len(under) == 2 and under[0] == "chat":
        return external, {"mode": "chat", "character": under[1]}
    if under == ["instruct"]:
        return external, {"mode": "instruct"}
    if not under:
        character = stem.removesuffix("_persistent").removeprefix("persistent_")
        return external, {"mode": "chat", "character": character} if character != stem else {}
    return external, {}


def _meta(metadata: dict[str, Any], key: str) -> dict[str, Any]:
    value = metadata.get(key)
    return value if type(value) is dict else {}


def _attachments(builder: TurnBuilder, entry: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    items = entry.get("attachments")
    for item in items if type(items) is list else ():
        if type(item) is not dict:
            continue
        kind, content, name = item.get("type"), item.get("content"), item.get("name")
        if kind == "image" or (type(kind) is str and kind.startswith("image/")):
            builder.dropped["image"] += 1
        elif type(content) is str and content.strip():
            block: dict[str, Any] = {"type": "context", "tag": "attachment", "text": content}
            block["name"] = name if type(name) is str else None
            if type(item.get("url")) is str:
                block["url"] = item["url"]
            blocks.append(block)
        else:
            builder.dropped["file"] += 1
    return blocks


def _arguments(value: Any) -> Any:
    return json_or_text(value) if type(value) is str else value


def _calls(builder: TurnBuilder, calls: Any) -> None:
    for call in calls if type(calls) is list else ():
        if type(call) is dict:
            function = call.get("function")
            function = function if type(function) is dict else {}
            builder.block(
                tool_use(call.get("id"), function.get("name"), _arguments(function.get("arguments")))
            )


def _tool_sequence(builder: TurnBuilder, sequence: Any) -> None:
    for item in sequence if type(sequence) is list else ():
        if type(item) is not dict:
            continue
        if "tool_calls" in item:
            content = item.get("content")
            if type(content) is str:
                builder.text(content)
            _calls(builder, item["tool_calls"])
        elif item.get("role") == "tool":
            builder.block(tool_result(item.get("tool_call_id"), item.get("content")))


def _convert(record: dict[str, Any], filename: str) -> ParsedConversation:
    key = "internal" if "internal" in record else "data"
    rows = _rows(record)
    if type(rows) is not list:
        raise BadRecord(f"{key}: expected the list of [user, assistant] rows, got {type_name(rows)}")
    metadata = record.get("metadata")
    metadata = metadata if type(metadata) is dict else {}
    builder = TurnBuilder()
    title: str | None = None
    models: list[str] = []
    regenerated = 0
    prompted = False
    for i, row in enumerate(rows):
        if type(row) is not list or len(row) < 2 or type(row[0]) is not str or type(row[1]) is not str:
            raise BadRecord(f"{key}[{i}]: expected a [user, assistant] pair of texts, got {_shape(row)}")
        user, answer = row[0], row[1]
        entry = row[3] if len(row) > 3 and type(row[3]) is dict else {}
        user_meta, answer_meta = _meta(metadata, f"user_{i}"), _meta(metadata, f"assistant_{i}")
        if user == GREETING or (not prompted and not user.strip() and i == 0):
            if answer.strip():
                builder.user("", blocks=[{"type": "context", "tag": "greeting", "text": answer.strip()}])
            continue
        blocks = _attachments(builder, user_meta)
        if entry.get("role") == "system":
            if user.strip():
                blocks.insert(0, {"type": "context", "tag": "system", "text": user.strip()})
            builder.user("", blocks=blocks)
        else:
            if user.strip():
                prompted = True
                title = title or prompt_title(user)
            builder.user(user, blocks=blocks)
        _tool_sequence(builder, answer_meta.get("tool_sequence"))
        thinking, text = split_thinking(answer)
        if thinking:
            builder.block({"type": "thinking", "thinking": thinking})
        builder.text(text)
        _calls(builder, entry.get("tool_calls"))
        if len(row) > 2 and type(row[2]) is str and row[2].strip():
            builder.block(tool_result(entry.get("tool_call_id"), row[2]))
        model = answer_meta.get("model_name")
        if type(model) is str and model and model not in models:
            models.append(model)
        versions = answer_meta.get("versions")
        if type(versions) is list and len(versions) > 1:
            regenerated += len(versions) - 1
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("text-generation-webui chat without a conversation")
    external_id, info = _where(filename)
    if models:
        info["models"] = models
    if regenerated:
        info["regenerated_responses"] = regenerated
    return builder.conversation(external_id, title=title, metadata=info)


def _shape(row: Any) -> str:
    if type(row) is not list:
        return type_name(row)
    return "[" + ", ".join(type_name(item) for item in row[:3]) + (", ...]" if len(row) > 3 else "]")


class TextgenWebuiImporter:
    name = "textgen-webui"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_head_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(
            stream,
            filename,
            lambda record, _fallback: _convert(record, filename),
            ("text-generation-webui", _looks),
        )


importer = TextgenWebuiImporter()
