"""Perplexity threads as JSON: what perplexport (leonid-shevtsov/perplexport and its forks) saves for each thread of a
library, `<slug>.json`, the response of Perplexity's `GET /rest/thread/<slug>`.

The shape was read from the exporter's types and renderer (`conversation.ts`, `renderConversation.ts`):
`{status, entries: [...], has_next_page, next_cursor}`, one entry per exchange: `query_str` is the question and the
answer is the block with `intended_usage: "ask_text"`, `markdown_block.answer` (its `chunks` repeat it in pieces and
are read only when `answer` is missing). The other blocks (web results, sources, images, related questions) are not
turns; the sources the answer cites and the images shown beside it are counted as dropped. The thread's slug (else the file name) is the external
id, `thread_title` the title, the models and the mode the metadata. The Markdown perplexport renders beside it
(`# Me` / `# Perplexity`) is read by the Markdown reader: the same thread without its citation marks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import expect, one_object, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, ParseResult, SkipRecord

_NO_TALK = "Perplexity thread without a question and an answer"


def _looks(record: dict[str, Any]) -> bool:
    entries = record.get("entries")
    return type(entries) is list and bool(entries) and type(entries[0]) is dict and "query_str" in entries[0]


def _hint(head: bytes) -> bool:
    return has_top_key(head, b'"entries"') and b'"query_str"' in head


class PerplexityImporter:
    name = "perplexity"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return one_object(stream, filename, _thread, noun="a Perplexity thread object")


def _thread(value: dict[str, Any], filename: str) -> ParsedConversation:
    entries = expect(value.get("entries"), list, "entries")
    builder = TurnBuilder()
    title = slug = None
    models: list[str] = []
    modes: list[str] = []
    for number, item in enumerate(entries):
        entry = expect(item, dict, f"entries[{number}]")
        question = entry.get("query_str")
        if type(question) is not str:
            raise BadRecord(f"entries[{number}].query_str: expected a string, got {type_name(question)}")
        builder.user(question.strip())
        builder.text(_answer(entry, builder, f"entries[{number}]").strip())
        title = title or _text(entry.get("thread_title"))
        slug = slug or _text(entry.get("thread_url_slug"))
        for found, key in ((models, "display_model"), (modes, "mode")):
            if (name := _text(entry.get(key))) and name not in found:
                found.append(name)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    first = next(turn.text for turn in builder.turns if turn.role == "user")
    metadata: dict[str, Any] = {}
    if models:
        metadata["models"] = models
    if modes:
        metadata["modes"] = modes
    return builder.conversation(slug or filename, title=title or prompt_title(first), metadata=metadata)


def _answer(entry: dict[str, Any], builder: TurnBuilder, where: str) -> str:
    """The entry's `ask_text` answer (`markdown_block.answer`, else its chunks joined); the cited sources counted."""
    blocks = entry.get("blocks")
    if blocks is None:
        return ""
    answer = ""
    for number, block in enumerate(expect(blocks, list, f"{where}.blocks")):
        if type(block) is not dict:
            raise BadRecord(f"{where}.blocks[{number}]: expected an object, got {type_name(block)}")
        usage = block.get("intended_usage")
        if usage == "ask_text" and not answer:
            markdown = expect(block.get("markdown_block"), dict, f"{where}.blocks[{number}].markdown_block")
            text = markdown.get("answer")
            chunks = markdown.get("chunks")
            if type(text) is str:
                answer = text
            elif type(chunks) is list and all(type(chunk) is str for chunk in chunks):
                answer = "".join(chunks)
            else:
                raise BadRecord(
                    f"{where}.blocks[{number}].markdown_block.answer: expected a string, got {type_name(text)}"
                )
        elif usage == "media_items":
            media = block.get("media_block")
            items = media.get("media_items") if type(media) is dict else None
            builder.dropped["image"] += len(items) if type(items) is list else 0
        elif type(usage) is str and usage.startswith("sources"):
            sources = block.get("sources_mode_block")
            rows = sources.get("rows") if type(sources) is dict else None
            builder.dropped["source"] += len(rows) if type(rows) is list else 0
    return answer


def _text(value: Any) -> str | None:
    return (value.strip() or None) if type(value) is str else None


importer = PerplexityImporter()
