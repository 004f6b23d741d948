"""What the readers of fine-tuning rows share: rows of mixed shapes, lost answers, media placeholders.

Fine-tuning rows of the chat shapes that one file may mix (a data set put together from others' files): OpenAI
`messages` (the `openai` reader), ShareGPT `conversations` (`sharegpt`) and the instruction datasets' fields
(`sft-dataset`: Alpaca, prompt-completion, ...). A file goes to the reader of its first row's shape; once a row of
that shape is read, a later row of another of these shapes is read by that shape's reader instead of being refused
for lacking the first one's fields. A file none of whose rows has the reader's shape (a format forced on the wrong
file) is refused row by row, as it was asked to be read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import IO, Any

from ._json import BadRecord
from ._records import Converter, RecordImporter, parse_records
from ._turns import TurnBuilder
from .base import ParsedConversation, ParsedTurn, ParseResult

Looks = Callable[[dict[str, Any]], bool]


def mixed(rows: RecordImporter) -> Converter:
    """A converter for one file of `rows`: after a row of their shape, a row of another of these shapes goes to its
    own reader."""
    seen = False

    def read(record: Any, fallback: str) -> ParsedConversation:
        nonlocal seen
        if type(record) is dict:
            if rows.looks(record):
                seen = True
            elif seen:
                for looks, convert in _shapes():
                    if looks(record):
                        return convert(record, fallback)
        return rows.convert(record, fallback)

    return read


@cache
def _shapes() -> tuple[tuple[Looks, Converter], ...]:
    # Imported on first use: each of these readers imports this module.
    from . import openai, sft_dataset, sharegpt

    readers = (openai.rows, sharegpt.importer.rows, sft_dataset.importer.rows)
    return tuple((reader.looks, reader.convert) for reader in readers)


@dataclass(frozen=True, slots=True)
class MixedRowsImporter:
    """The reader of one of these shapes: sniffed as its `rows` are, its files read with `mixed`."""

    name: str
    rows: RecordImporter

    def sniff(self, head: bytes, filename: str) -> bool:
        return self.rows.sniff(head, filename)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(stream, filename, mixed(self.rows), (self.name, self.rows.looks))


# What a conversation's lost answers are counted as, among its dropped parts.
EMPTY_ANSWER = "empty answer"


class LostAnswers:
    """Watches a conversation's messages for an answer that was lost: an empty assistant message between two user
    messages. Left in, the two user messages merge into one turn and the second reads as a reply to an answer
    nobody sees (pushback on nothing); the conversation restarts after it instead (`restarted`)."""

    __slots__ = ("_asked", "_lost")

    def __init__(self) -> None:
        self._asked = False  # the latest message that said something is the user's
        self._lost = False  # and an empty answer came after it

    def restarts(self, kind: str) -> bool:
        """Whether a message of `kind` (`user`, `answer`, `empty` or `other`, as `openai.message_kind` tells them)
        starts the conversation over."""
        if kind == "user":
            restart = self._lost
            self._asked, self._lost = True, False
            return restart
        if kind == "answer":
            self._asked = self._lost = False
        elif kind == "empty" and self._asked:
            self._lost = True
        return False


def restarted(builder: TurnBuilder) -> TurnBuilder:
    """A builder for what follows a lost answer: the system prompt and the dropped parts carried over, the lost
    answer counted among them; the turns before it are left out."""
    fresh = TurnBuilder()
    fresh.system(builder.system_prompt or "")
    fresh.dropped.update(builder.dropped)
    fresh.dropped[EMPTY_ANSWER] += 1
    return fresh


def has_exchange(turns: list[ParsedTurn]) -> bool:
    """Whether some user turn is answered (a conversation of the assistant's message and then the user's has both
    sides but no exchange)."""
    return any(a.role == "user" and b.role == "assistant" for a, b in pairwise(turns))


def require_exchange(turns: list[ParsedTurn]) -> None:
    """BadRecord unless some user turn is answered."""
    if not has_exchange(turns):
        raise BadRecord("no user message is answered: the assistant's messages all come before the user's")


# LLaMA-Factory's multimodal rows (and LLaVA's `image`): the media listed beside the messages, each marked by a
# placeholder in a user's text, and the kind a medium is counted as when dropped.
_MEDIA = (
    ("images", "<image>", "image"),
    ("image", "<image>", "image"),
    ("videos", "<video>", "video"),
    ("audios", "<audio>", "audio"),
)


def media_placeholders(record: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The placeholders of the media a row lists beside its messages, and how many media of each kind it lists."""
    placeholders: list[str] = []
    counts: dict[str, int] = {}
    for key, placeholder, kind in _MEDIA:
        media = record.get(key)
        if not media:
            continue
        count = len(media) if type(media) is list else int(type(media) is str)
        if count:
            counts[kind] = counts.get(kind, 0) + count
            if placeholder not in placeholders:
                placeholders.append(placeholder)
    return tuple(placeholders), counts


def without_placeholders(text: str, placeholders: tuple[str, ...]) -> str:
    """A user's text without the media placeholders in it (and the line break one stands on its own line with)."""
    found = False
    for placeholder in placeholders:
        if placeholder in text:
            text = text.replace(placeholder + "\n", "").replace(placeholder, "")
            found = True
    return text.strip() if found else text
