"""Google Takeout "My Activity" for Gemini Apps: `Takeout/My Activity/Gemini Apps/My Activity.json`.

The shape was read from write-ups and readers of real exports (field statistics of a 2,061-record export, a
1,980-record one measured field by field, readers written from 875- and 1,452-record ones), not from Google's
documentation. The file is one JSON array of activity records, newest first, in Takeout's Gson style
(`[{\\n  "header": …},{` with `<`, `>`, `&`, `=` and `'` written as `\\u003c`-style escapes, which JSON
decoding undoes):
`{header: "Gemini Apps", title, time: "2025-05-02T14:38:52.107Z", products: ["Gemini Apps"],
activityControls: ["Gemini Apps Activity"], safeHtmlItem?: [{html}], subtitles?: [{name, url?}],
details?: [{name, url}], attachedFiles?: [...], imageFile?: "<file name>"}`. Older (Bard) exports say
`"header": "Bard"`; a measured export had one "Gemini in Google Messages" record, read the same.

What a record is, by the verb its `title` starts with:
- `Prompted <prompt>` is one exchange: the prompt is the rest of the title (the full text, already unescaped
  by JSON), the answer the HTML of `safeHtmlItem` converted to Markdown (`_html.html_to_markdown`). Several
  `safeHtmlItem` items are drafts of the one answer: the first is the answer as Gemini first gave it and
  showed it, the later ones drafts regenerated after it (the write-ups of real exports: 29 of 1,972 prompts
  had 2 to 5, "the first answer, then the regenerated ones"; the readers written from real exports take the
  first, one joins them all). Which draft a user settled on is not recorded (`Selected preferred draft` is a record of its
  own with nothing naming the draft), so the first is kept and the others are counted as
  `regenerated_responses` in the metadata. A prompt with no answer HTML (or HTML without text, such as a
  generated image's empty paragraph) is skipped ("Gemini prompt without an answer"), and so is one whose
  title has no text after the verb (a prompt that was only an attached file or image).
- Every other verb (`Gave feedback: …`, `Selected preferred draft`, `Created Gemini Canvas titled …`,
  `Used an Assistant feature`, `Branched …`, `Answered survey question`, `Cleared previous feedback`,
  `Added …`) is activity around the chat, not an exchange: skipped, counted by one reason per verb
  ("Gemini activity that is not a prompt (Gave feedback)"), never by the record's own text.
Files the user attached (`attachedFiles`, `imageFile`; the files themselves sit beside the JSON) are counted as
dropped; a Gem named in `subtitles` ("<name> was used in this chat. …") is kept in the metadata as `gems`.

The export does not group records into chats. A record whose `details` link to a chat
(`https://gemini.google.com/app/<id>`, in `name` and `url`: 1,933 of the 1,980 records of one measured export,
none in two others) joins the other records of that chat, and the chat id is the external id (a record linking
several chats joins the first it names). Records without such a link are grouped by time: sorted oldest first, a
record continues the conversation of the previous unlinked record of the same `header` when at most
`GAP_MINUTES` passed since it, else it starts a new one; the external id is then the header and the first
record's `time` (`Gemini Apps@2025-05-02T14:38:07.412Z`), and the metadata say `"grouped_by_time": true`. Either
way the first prompt is the title and the first record's `time` is `create_time` in the metadata. The whole
file is read before anything is yielded (grouping needs every record); only the text of each exchange is held.

A record that is not an object, or lacks a string `title` or `time` (or whose `time` is not an ISO date and
time), is an error naming its `$[i]`; the others import. Other products' My Activity files (YouTube, Search,
Chrome...) have the same record shape with their own `header`: they are not conversations and are not taken
for this format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from ._html import html_to_markdown
from ._json import BadRecord
from ._records import expect, iter_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

# Unlinked records more than this far apart (from the previous one of the same header) start a new conversation.
GAP_MINUTES = 10
_GAP = timedelta(minutes=GAP_MINUTES)

_HEADERS = ("Gemini Apps", "Bard")
_PROMPTED = re.compile(r"Prompted(?:[ \u00a0](.*))?", re.DOTALL)
# Verbs of more than one word, named whole in a skip reason; any other verb is its first word.
_PHRASES = ("Gave feedback", "Selected preferred draft")
_VERB = re.compile(r"[A-Z][a-z]{1,30}\b")
_CHAT_LINK = re.compile(r"https?://gemini\.google\.com/app/([A-Za-z0-9_-]+)")
_GEM = re.compile(r"(.+?) was used in this chat\b", re.DOTALL)
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp|heic|heif|bmp|svg)$", re.IGNORECASE)
_HEADER_SIGN = re.compile(rb'"header"\s*:\s*"(?:Gemini Apps|Bard)"')

NO_ANSWER = "Gemini prompt without an answer"
NO_PROMPT = "Gemini prompt without text (only an attachment)"


def _looks(record: dict[str, Any]) -> bool:
    products = record.get("products", [])
    return (
        record.get("header") in _HEADERS
        and type(record.get("title")) is str
        and type(record.get("time")) is str
        and type(products) is list
    )


def _hint(head: bytes) -> bool:
    # A first record longer than the head: Takeout writes `header` first, then `title` (the prompt).
    return _HEADER_SIGN.search(head) is not None and b'"title"' in head


@dataclass(slots=True)
class _Exchange:
    """One prompt and its answer, with what grouping and the conversation need."""

    when: datetime
    order: int
    time: str
    header: str
    chat: str | None
    prompt: str
    answer: str
    json_path: str | None
    regenerated: int = 0
    gems: list[str] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


class GeminiTakeoutImporter:
    name = "gemini-takeout"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        exchanges: list[_Exchange] = []
        for order, record in enumerate(iter_records(stream)):
            if isinstance(record, RecordError):
                yield record
                continue
            try:
                exchanges.append(_exchange(record.value, order, record.json_path))
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
            except SkipRecord as exc:
                yield Skipped(str(exc))
        for group in _groups(exchanges):
            yield _conversation(group)


def _exchange(value: Any, order: int, json_path: str | None) -> _Exchange:
    """A record read as an exchange; BadRecord when it cannot be read, SkipRecord when it is no exchange."""
    if type(value) is not dict:
        raise BadRecord(f"expected an activity record (a JSON object), got {type_name(value)}")
    title = expect(value.get("title"), str, "title")
    time = expect(value.get("time"), str, "time")
    when = _parse_time(time)
    prompted = _PROMPTED.fullmatch(title)
    if prompted is None:
        raise SkipRecord(f"Gemini activity that is not a prompt ({_verb(title)})")
    prompt = (prompted.group(1) or "").strip()
    if not prompt:
        raise SkipRecord(NO_PROMPT)
    drafts = _drafts(value.get("safeHtmlItem"))
    if not drafts:
        raise SkipRecord(NO_ANSWER)
    header = value.get("header")
    return _Exchange(
        when=when,
        order=order,
        time=time,
        header=header if type(header) is str else "",
        chat=_chat(value.get("details")),
        prompt=prompt,
        answer=drafts[0],
        json_path=json_path,
        regenerated=len(drafts) - 1,
        gems=_gems(value.get("subtitles")),
        dropped=_attachments(value),
    )


def _parse_time(time: str) -> datetime:
    try:
        when = datetime.fromisoformat(time.replace("Z", "+00:00"))
    except ValueError:
        raise BadRecord(f'time: expected an ISO 8601 date and time, got "{time[:60]}"') from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _verb(title: str) -> str:
    """What a record that is not a prompt did, in a few words of the title (never its own text)."""
    for phrase in _PHRASES:
        if title.startswith(phrase):
            return phrase
    match = _VERB.match(title)
    return match.group() if match else "other"


def _drafts(items: Any) -> list[str]:
    """The answer's drafts that have text, as Markdown, in the export's order."""
    if items is None:
        return []
    if type(items) is not list:
        raise BadRecord(f"safeHtmlItem: expected a list of answers, got {type_name(items)}")
    drafts = []
    for item in items:
        html = item.get("html") if type(item) is dict else None
        if type(html) is str and html.strip():
            markdown = html_to_markdown(html)
            if markdown:
                drafts.append(markdown)
    return drafts


def _chat(details: Any) -> str | None:
    """The id of the first chat a record's `details` link to."""
    for detail in details if type(details) is list else ():
        if type(detail) is not dict:
            continue
        for key in ("url", "name"):
            link = detail.get(key)
            match = _CHAT_LINK.match(link) if type(link) is str else None
            if match:
                return match.group(1)
    return None


def _gems(subtitles: Any) -> list[str]:
    gems = []
    for subtitle in subtitles if type(subtitles) is list else ():
        name = subtitle.get("name") if type(subtitle) is dict else None
        match = _GEM.match(name) if type(name) is str else None
        if match:
            gems.append(match.group(1).strip())
    return gems


def _attachments(record: dict[str, Any]) -> Counter[str]:
    """The files a prompt carried, by kind (an image or another file), each name counted once."""
    names: set[str] = set()
    unnamed = 0
    files = record.get("attachedFiles")
    for item in files if type(files) is list else ():
        name = item.get("name") if type(item) is dict else item
        if type(name) is str and name:
            names.add(name)
        else:
            unnamed += 1
    image = record.get("imageFile")
    if type(image) is str and image:
        names.add(image)
    dropped: Counter[str] = Counter()
    for name in names:
        dropped["image" if name == image or _IMAGE_FILE.search(name) else "file"] += 1
    if unnamed:
        dropped["file"] += unnamed
    return dropped


def _groups(exchanges: list[_Exchange]) -> list[list[_Exchange]]:
    """The exchanges oldest first, grouped into conversations: by chat link, else by time per header."""
    # Newest first in the file: of two records with the same time, the later one in the file is the older.
    exchanges.sort(key=lambda exchange: (exchange.when, -exchange.order))
    groups: dict[tuple[str, ...], list[_Exchange]] = {}
    # Per header, the unlinked conversation still open and the time of its last record.
    open_groups: dict[str, tuple[tuple[str, ...], datetime]] = {}
    for exchange in exchanges:
        if exchange.chat is not None:
            key: tuple[str, ...] = ("chat", exchange.chat)
        else:
            current = open_groups.get(exchange.header)
            if current is not None and exchange.when - current[1] <= _GAP:
                key = current[0]
            else:
                key = ("time", exchange.header, exchange.time)
            open_groups[exchange.header] = (key, exchange.when)
        groups.setdefault(key, []).append(exchange)
    return list(groups.values())


def _conversation(group: list[_Exchange]) -> ParsedConversation:
    builder = TurnBuilder()
    gems: list[str] = []
    regenerated = 0
    for exchange in group:
        builder.user(exchange.prompt)
        builder.text(exchange.answer)
        builder.dropped.update(exchange.dropped)
        regenerated += exchange.regenerated
        gems.extend(gem for gem in exchange.gems if gem not in gems)
    first = group[0]
    by_time = first.chat is None
    metadata: dict[str, Any] = {"grouped_by_time": by_time, "create_time": first.time}
    if first.header not in ("", "Gemini Apps"):
        metadata["header"] = first.header
    if gems:
        metadata["gems"] = gems
    if regenerated:
        metadata["regenerated_responses"] = regenerated
    external_id = f"{first.header}@{first.time}" if by_time else str(first.chat)
    conversation = builder.conversation(external_id, title=prompt_title(first.prompt), metadata=metadata)
    conversation.json_path = first.json_path
    return conversation


importer = GeminiTakeoutImporter()
