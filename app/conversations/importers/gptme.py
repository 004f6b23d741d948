"""gptme conversation logs (`~/.local/share/gptme/logs/<conversation>/conversation.jsonl`): one message a line.

The shape was read from gptme's `Message.to_dict` (`gptme/message.py`), its log manager (`Log.write_jsonl`) and its
tools: `{role, content, timestamp}` and, when set, `files`, `pinned`, `hide`, `ui_only`, `call_id` and `metadata`
(`model`, `cost`, `usage`).
- The `system` messages before the first prompt are the system prompt (gptme pins and hides them).
- gptme runs tools from the answer itself (a ```shell, ```python or ```save block) and answers with a `system`
  message (`Ran command: ...` and its output): a later `system` message is the result of the answer before it.
- `ui_only` messages were shown to the person and never sent to the model: left out. Files attached to a prompt
  (`files`) are counted as dropped.

The conversation's folder name is its external id and title; the models (`metadata.model`) the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._records import as_object, first_byte, head_records, object_lines, type_name
from ._turns import TurnBuilder, flatten, tool_result
from .base import ParseResult, RecordError, Skipped

_KEYS = frozenset(
    {
        "role", "content", "timestamp", "files", "file_hashes", "pinned", "hide", "ui_only", "quiet",
        "ephemeral_ttl", "call_id", "metadata",
    }
)  # fmt: skip
_ROLES = ("system", "user", "assistant")
_NO_TALK = "gptme log without a prompt and an answer"


def _looks(record: dict[str, Any]) -> bool:
    return (
        record.get("role") in _ROLES
        and type(record.get("content")) is str
        and type(record.get("timestamp")) is str
        and record.keys() <= _KEYS
        and ("pinned" in record or "hide" in record or record.get("role") == "system")
    )


class GptmeImporter:
    name = "gptme"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) != ord("{"):
            return False  # one message a line; an array of such messages is another tool's (chatgpt-cli's history)
        records = head_records(head)
        return bool(records) and _looks(records[0]) and all(set(r) <= _KEYS for r in records)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        builder = TurnBuilder()
        models: set[str] = set()
        talked = False
        for entry in object_lines(stream):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, message = entry
            role = message.get("role")
            if role not in _ROLES:
                got = type_name(role) if type(role) is not str else f'"{role}"'
                yield RecordError(f'role: expected "system", "user" or "assistant", got {got}', line=number)
                continue
            if message.get("ui_only") is True:
                continue
            text = flatten(message.get("content"))
            if role == "system" and not talked:
                builder.system(text)
            elif role == "system":
                builder.block(tool_result(message.get("call_id"), text))
            elif role == "user":
                talked = True
                files = message.get("files")
                if type(files) is list and files:
                    builder.dropped["file"] += len(files)
                builder.user(text)
            else:
                talked = True
                builder.text(text)
                model = as_object(message.get("metadata")).get("model")
                if type(model) is str and model:
                    models.add(model)
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            yield Skipped(_NO_TALK)
            return
        parts = filename.replace("\\", "/").split("/")
        name = parts[-2] if len(parts) > 1 and parts[-1] == "conversation.jsonl" else parts[-1]
        yield builder.conversation(name, title=name, metadata={"models": sorted(models)} if models else {})


importer = GptmeImporter()
