"""The shapes every importer produces: parsed conversations and rejected records."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from app.pairs.findings import PairFinding

Role = Literal["user", "assistant"]


# Per class: a function from an object to its fields' values, in __init__ order.
_FIELD_VALUES: dict[type, Callable[[object], tuple[Any, ...]]] = {}


def _field_values(cls: Any) -> Callable[[object], tuple[Any, ...]]:
    values = _FIELD_VALUES.get(cls)
    if values is None:
        names = [f.name for f in dataclasses.fields(cls)]
        get = operator.attrgetter(*names)  # a tuple for two names or more, the value itself for one
        values = _FIELD_VALUES[cls] = get if len(names) > 1 else lambda value: (get(value),)
    return values


class PickledByFields:
    """Base of a slots dataclass that pickles as its class and its fields' values, in order.

    Import workers hand every parsed record to the importing process as a pickle. The default reduction of a
    slots class builds a dict of its slots per object (and a frozen one's goes through dataclasses' Python
    `__getstate__`); a tuple is cheaper on both sides: pickling the records of 10,000 sessions took 0.54 s
    before and 0.29 s after, unpickling them 0.46 and 0.31 s. Every field must be an `__init__` parameter.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), _field_values(type(self))(self)


# Guards shared by every importer (S13): a single record or line above this is rejected, not parsed.
MAX_RECORD_BYTES = 32 * 1024 * 1024
# JSON nested deeper than this is rejected with a clear reason instead of a RecursionError.
MAX_JSON_DEPTH = 200


@dataclass(slots=True)
class ParsedTurn(PickledByFields):
    """One user text message or one whole assistant response.

    `blocks` keeps the structured content of an assistant response in order: dicts with a `type` of
    `text`, `thinking`, `tool_use` (`id`, `name`, `input`) or `tool_result` (`tool_use_id`, `content`,
    `is_error`). `text` is the visible text only (text blocks joined by blank lines).
    """

    role: Role
    text: str
    blocks: list[dict[str, Any]] | None = None


@dataclass(slots=True)
class ExplicitPair(PickledByFields):
    """A pair stated by the source itself (preference format): indices into the conversation's turns."""

    rejected: int
    chosen: int
    pushback: int | None = None


@dataclass(slots=True)
class ParsedConversation(PickledByFields):
    """A conversation as read from one record of a source file."""

    external_id: str
    turns: list[ParsedTurn]
    title: str | None = None
    system_prompt: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Where the record sits in the file, for messages: line number (1-based) and/or a JSON path like `$[3]`.
    line: int | None = None
    json_path: str | None = None
    # Set only by the preference importer; conversations with explicit pairs skip detection.
    explicit_pairs: list[ExplicitPair] | None = None
    # Content parts the importer could not keep (images, audio without a transcript...), by kind.
    dropped: dict[str, int] = field(default_factory=dict)
    # Filled before storing (in a worker process when an import runs in parallel), so the process that
    # writes only writes: the content hash and the pairs found in it.
    content_hash: str | None = None
    found_pairs: list[PairFinding] | None = None
    # True once that preparing found no NUL character anywhere (the writer then need not look).
    nul_free: bool = False
    # Bytes of its content as the content hash reads it (system prompt, turns' text and blocks, as JSON),
    # also filled by preparing: an import's chunks are bounded by it, so a tool's long output counts.
    size: int = 0


@dataclass(slots=True)
class RecordError(PickledByFields):
    """A record that could not be imported, with where it sits and why, in words."""

    reason: str
    line: int | None = None
    json_path: str | None = None


@dataclass(slots=True)
class Skipped(PickledByFields):
    """Something known not to be a conversation (an empty chat, a snapshot-only session): counted by
    reason in the reports, never an error."""

    reason: str


class SkipRecord(Exception):
    """Raised by a converter for a record that is known not to be a conversation; the message is the reason."""


ParseResult = ParsedConversation | RecordError | Skipped


class FileFormatError(Exception):
    """The whole file cannot be read as the chosen format (wrong encoding, not JSON at all, empty)."""


class Importer(Protocol):
    """One module per format implements this."""

    name: str

    def sniff(self, head: bytes, filename: str) -> bool:
        """Say whether the first bytes of a file look like this format (by content, name only as a hint)."""
        ...

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        """Yield conversations and rejected records one at a time, never reading a large file whole."""
        ...
