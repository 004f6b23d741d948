"""Google AI Studio chats: the JSON file AI Studio saves for each chat in the user's Drive (`Google AI Studio/`
folder, no file extension) or downloads, one chat per file.

The shape comes from readers written for real saved chats (AI Studio has no documented export):
`{runSettings: {model, temperature, ...}, systemInstruction: {parts: [{text}]} | {text} | {}, citations?,
chunkedPrompt: {chunks: [...], pendingInputs?}}`. Each chunk is one message: `{text, role: "user" | "model",
tokenCount, isThought?, finishReason?}`, a newer one holding `parts` (`[{text}, ...]`) instead of `text`, and an
attachment chunk a `driveImage`, `driveDocument`, `driveVideo`, `youtubeVideo` or `inlineImage` reference.
- A model chunk marked `isThought` (or `thought`) is the answer's thinking block; attachment chunks are counted as
  dropped by kind (`image`, `document`, `video`); `pendingInputs` (a draft never sent) are not read.
- The file holds no title, id or time: the file's name (AI Studio names it after the chat) is the title, its path
  the external id; `runSettings.model` is kept in the metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import IO, Any

import orjson

from ._json import BadRecord, has_top_key
from ._records import RecordImporter, expect, first_byte, parse_records
from ._turns import TurnBuilder
from .base import ParsedConversation, ParseResult
from .gemini_api import add_text, system_text

_ATTACHMENTS = {
    "driveImage": "image",
    "inlineImage": "image",
    "driveDocument": "document",
    "driveVideo": "video",
    "youtubeVideo": "video",
}


def _chunk_text(chunk: dict[str, Any], where: str) -> str:
    text = chunk.get("text")
    if type(text) is str:
        return text
    parts = chunk.get("parts")
    if parts is None:
        return ""
    return "".join(
        part["text"]
        for part in expect(parts, list, f"{where}.parts")
        if type(part) is dict and type(part.get("text")) is str
    )


def _convert(record: dict[str, Any], fallback: str, *, filename: str) -> ParsedConversation:
    builder = TurnBuilder()
    builder.system(system_text(record.get("systemInstruction"), "systemInstruction"))
    prompt = expect(record.get("chunkedPrompt"), dict, "chunkedPrompt")
    for k, chunk in enumerate(expect(prompt.get("chunks"), list, "chunkedPrompt.chunks")):
        where = f"chunkedPrompt.chunks[{k}]"
        role = expect(chunk, dict, where).get("role")
        if role not in ("user", "model"):
            raise BadRecord(f'{where}.role: expected "user" or "model", got {orjson.dumps(role).decode()}')
        attached = [kind for key, kind in _ATTACHMENTS.items() if key in chunk]
        for kind in attached:
            builder.dropped[kind] += 1
        thought = chunk.get("isThought") is True or chunk.get("thought") is True
        add_text(builder, role, _chunk_text(chunk, where), thought=thought)
    settings = record.get("runSettings")
    model = settings.get("model") if type(settings) is dict else None
    path = filename.replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    title = name[: -len(".json")] if name.lower().endswith(".json") else name
    return builder.conversation(
        path if fallback.endswith(":$") else fallback,
        title=title or None,
        metadata={"model": model} if type(model) is str else {},
    )


_RECORDS = RecordImporter.by_key(
    "ai-studio", partial(_convert, filename=""), key="chunkedPrompt", kind=dict, sign=b'"chunks"'
)


class AiStudioImporter:
    name = "ai-studio"

    def sniff(self, head: bytes, filename: str) -> bool:
        # A long system instruction can push `chunkedPrompt` past the head: `runSettings` opens every saved chat.
        return _RECORDS.sniff(head, filename) or (
            first_byte(head) == ord("{") and has_top_key(head, b'"runSettings"')
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        convert = partial(_convert, filename=filename)
        return parse_records(stream, filename, convert, (self.name, _RECORDS.looks))


importer = AiStudioImporter()
