"""SillyTavern chat files (`data/<user>/chats/<character>/<character> - <date>.jsonl` and `data/<user>/group
chats/<id>.jsonl`): one conversation a file, as SillyTavern's `/api/chats/save` and `/api/chats/group/save` write it.

The first line is a header, `{user_name, character_name, create_date, chat_metadata}` (a group chat's says
`"unused"` for both names; group chats saved before SillyTavern kept metadata there have no header at all;
TavernAI's group "rooms", `public/rooms/<name>.jsonl`, list the characters instead, `character_names`). Each
other line is a message: `{name, is_user, is_system, send_date, mes, extra, swipe_id, swipes, swipe_info,
gen_started, gen_finished, force_avatar, original_avatar}`.

- `is_user` messages are prompts (`mes`, what was typed).
- Character messages are the answer: `mes` is the swipe shown (`swipes[swipe_id]`), the other swipes are answers
  the person swiped away, like regenerated answers elsewhere: not turns, counted as `regenerated_responses` in the
  metadata. `extra.reasoning` is a thinking block, `extra.model` metadata. Where several characters speak (a group
  chat) each character's message is written as `Name: text`, as SillyTavern's own text export does, since several
  of them may answer in a row (one answer); a chat with one character keeps its messages as they are, whatever its
  header says (current versions write `"unused"` for both names in every chat's header).
- The character's greeting (character messages before the first prompt; its swipes are the card's alternate
  greetings) was written by the card's author, not the model: a `greeting` context block of the first prompt.
- Narrator messages (`/sys`, `extra.type: "narrator"`) are scene text the person adds, sent to the model: a
  `narrator` context block of the next prompt.
- `is_system` messages are left out of the prompt by SillyTavern itself: its own notices (help, welcome),
  `/comment` notes and messages hidden with `/hide`. They are left out here too, counted as `hidden_messages`.
- Images, files and other media attached to a message (`extra.image`, `extra.file`, `extra.files`,
  `extra.media`) are counted as dropped; translations shown instead of the text (`extra.display_text`) are
  left out: `mes` is what the model read or wrote.

The external id is the chat's file name with its folder (`<character>/<chat name>`, `group chats/<id>`); the
header's names and `chat_metadata.integrity` (SillyTavern's id of the chat, shared by its branches) are metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import first_byte, head_records, iter_records, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParseResult, RecordError, Skipped

_UNUSED = "unused"
_GROUP_FOLDER = "group chats"


def _is_header(record: dict[str, Any]) -> bool:
    return type(record.get("chat_metadata")) is dict or (
        "user_name" in record
        and ("character_name" in record or type(record.get("character_names")) is list)
        and "mes" not in record
    )


def _is_message(record: dict[str, Any]) -> bool:
    return type(record.get("mes")) is str and type(record.get("is_user")) is bool and "name" in record


def _head_hint(head: bytes) -> bool:
    """A first line longer than the head (a large `chat_metadata`): the header's keys, or a message's."""
    return (
        has_top_key(head, b'"chat_metadata"')
        or (
            has_top_key(head, b'"user_name"')
            and (has_top_key(head, b'"character_name"') or has_top_key(head, b'"character_names"'))
        )
        or (has_top_key(head, b'"mes"') and has_top_key(head, b'"is_user"'))
    )


class SillyTavernImporter:
    name = "sillytavern"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) != ord("{"):
            return False
        records = head_records(head)
        if records:
            first = records[0]
            if _is_header(first):
                return len(records) == 1 or _is_message(records[1])
            return _is_message(first)
        return _head_hint(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        header: dict[str, Any] | None = None
        chat = _Chat(filename)
        seen = False
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            try:
                if type(value) is not dict:
                    raise BadRecord(f"expected a JSON object, got {type_name(value)}")
                if not seen and _is_header(value):
                    header = value
                else:
                    chat.add(value)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
            seen = True
        if seen:
            yield chat.result(header)


def _dropped_media(builder: TurnBuilder, extra: dict[str, Any]) -> None:
    """Count what a message carries besides its text (images, files, other media) as dropped."""
    if type(extra.get("image")) is str and extra["image"]:
        builder.dropped["image"] += 1
    if type(extra.get("file")) is dict:
        builder.dropped["file"] += 1
    for key, kind in (("files", "file"), ("media", "image")):
        items = extra.get(key)
        for item in items if type(items) is list else ():
            found = item.get("type") if type(item) is dict else None
            builder.dropped[found if type(found) is str and found else kind] += 1


class _Chat:
    """The messages of one chat file, folded into turns as they come."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        parts = [part for part in filename.replace("\\", "/").split("/") if part]
        self.parts = parts
        self.builder = TurnBuilder()
        self.prompted = False
        self.title: str | None = None
        self.models: list[str] = []
        self.regenerated = 0
        self.hidden = 0
        self.messages: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def add(self, message: dict[str, Any]) -> None:
        text = message.get("mes")
        if type(text) is not str:
            raise BadRecord(f"mes: expected the message's text, got {type_name(text)}")
        if "is_user" in message and type(message["is_user"]) is not bool:
            raise BadRecord(f"is_user: expected a boolean, got {type_name(message['is_user'])}")
        extra = message.get("extra")
        extra = extra if type(extra) is dict else {}
        # Kept until the header is known: whether this is a group chat decides how answers are written.
        self.messages.append((message, extra))

    def result(self, header: dict[str, Any] | None) -> ParseResult:
        speakers = {
            message.get("name")
            for message, extra in self.messages
            if message.get("is_user") is not True
            and message.get("is_system") is not True
            and extra.get("type") != "narrator"
        }
        group = len(speakers) > 1 or _GROUP_FOLDER in self.parts[:-1]
        for message, extra in self.messages:
            self._fold(message, extra, group)
        builder = self.builder
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            if not self.prompted and self.messages:
                return Skipped(
                    "SillyTavern chat without a message from the person (the characters' greeting alone)"
                )
            return Skipped("SillyTavern chat without a conversation")
        return builder.conversation(
            self._external_id(header), title=self.title, metadata=self._metadata(header)
        )

    def _fold(self, message: dict[str, Any], extra: dict[str, Any], group: bool) -> None:
        builder = self.builder
        text: str = message["mes"]
        if message.get("is_system") is True:
            self.hidden += 1
            return
        _dropped_media(builder, extra)
        if extra.get("type") == "narrator":
            if text.strip():
                builder.user("", blocks=[{"type": "context", "tag": "narrator", "text": text.strip()}])
            return
        if message.get("is_user") is True:
            if text.strip():
                self.prompted = True
                if self.title is None:
                    self.title = prompt_title(text)
            builder.user(text)
            return
        name = message.get("name")
        if not self.prompted:
            # The card's greeting (its swipes are the card's alternate greetings, not regenerations).
            if text.strip():
                builder.user("", blocks=[{"type": "context", "tag": "greeting", "text": text.strip()}])
            return
        swipes = message.get("swipes")
        if type(swipes) is list and len(swipes) > 1:
            self.regenerated += len(swipes) - 1
        reasoning = extra.get("reasoning")
        if type(reasoning) is str and reasoning.strip():
            builder.block({"type": "thinking", "thinking": reasoning})
        if group and type(name) is str and name and text.strip():
            text = f"{name}: {text}"
        builder.text(text)
        model = extra.get("model")
        if type(model) is str and model and extra.get("api") != "manual" and model not in self.models:
            self.models.append(model)

    def _external_id(self, header: dict[str, Any] | None) -> str:
        parts = self.parts
        if parts and parts[-1].endswith(".jsonl"):
            stem = parts[-1][: -len(".jsonl")]
            if len(parts) >= 2 and parts[-2] == _GROUP_FOLDER:
                return f"{_GROUP_FOLDER}/{stem}"
            if len(parts) >= 3 and parts[-3] == "chats":
                return f"{parts[-2]}/{stem}"
        metadata = header.get("chat_metadata") if header is not None else None
        integrity = metadata.get("integrity") if type(metadata) is dict else None
        return integrity if type(integrity) is str and integrity else self.filename

    def _metadata(self, header: dict[str, Any] | None) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        if header is not None:
            for key in ("user_name", "character_name", "create_date"):
                value = header.get(key)
                if type(value) in (str, int) and value != _UNUSED and value != "":
                    metadata[key] = value
            names = header.get("character_names")
            if type(names) is list and (names := [name for name in names if type(name) is str and name]):
                metadata["character_names"] = names
            chat_metadata = header.get("chat_metadata")
            integrity = chat_metadata.get("integrity") if type(chat_metadata) is dict else None
            if type(integrity) is str and integrity:
                metadata["chat_id"] = integrity
        if self.models:
            metadata["models"] = self.models
        if self.regenerated:
            metadata["regenerated_responses"] = self.regenerated
        if self.hidden:
            metadata["hidden_messages"] = self.hidden
        return metadata


importer = SillyTavernImporter()
