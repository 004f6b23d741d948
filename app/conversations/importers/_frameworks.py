"""What the four framework readers share: a file that is one conversation's list of messages (read whole), turned
into one conversation or the first error in it, named by the file's path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import iter_records
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError

AddMessage = Callable[[TurnBuilder, dict[str, Any], str], None]


def conversation_of(
    messages: list[Any],
    add: AddMessage,
    *,
    external_id: str,
    field: str,
    json_path: str = "$",
    metadata: dict[str, Any] | None = None,
) -> RecordError | ParsedConversation:
    """One conversation from `messages` (each fed to `add` with its path under `field`), or the RecordError of
    the first bad one; either is placed at `json_path` in the file."""
    builder = TurnBuilder()
    try:
        for i, message in enumerate(messages):
            where = f"{field}[{i}]"
            if type(message) is not dict:
                raise BadRecord(f"{where}: expected an object")
            add(builder, message, where)
        conversation = builder.conversation(external_id, metadata=metadata)
    except BadRecord as exc:
        return RecordError(str(exc), json_path=json_path)
    conversation.title = prompt_title(conversation.turns[0].text)
    conversation.json_path = json_path
    return conversation


def whole_value(stream: IO[bytes]) -> Iterator[Any | RecordError]:
    """The file's JSON values: a top-level array's items as one list, else each object (one for a file that is
    one object, one per line for JSON Lines); decoding errors as they come."""
    items: list[Any] = []
    in_array = False
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
        elif record.json_path is not None and record.json_path.startswith("$["):
            in_array = True
            items.append(record.value)
        else:
            yield record.value
    if in_array:
        yield items


def parse_message_list(
    stream: IO[bytes], filename: str, add: AddMessage, *, what: str
) -> Iterator[ParseResult]:
    """A file that is one top-level JSON array of messages (`what` names them in the error otherwise)."""
    for value in whole_value(stream):
        if isinstance(value, RecordError):
            yield value
        elif type(value) is list:
            yield conversation_of(value, add, external_id=filename.replace("\\", "/"), field="$")
        else:
            raise FileFormatError(f"expected a JSON array of {what}")
