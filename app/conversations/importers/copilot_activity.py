"""Microsoft Copilot's activity history (consumer Copilot, privacy dashboard > "Export all activity history"):
`copilot-activity-history.csv`, the header `Conversation,Time,Author,Message`.

Each row is one message: `Author` is `Human` or `AI`, `Time` a local time without a zone
(`2026-07-19T08:56:00`), `Conversation` the conversation's title. Rows come newest first, every conversation's
messages together or interleaved, and a prompt and its answer often share one time, the answer's row written
first. No conversation id is exported: rows are grouped by title, each group put back in time order (rows of one
time in the reverse of the file's order, so the prompt comes before its answer). Two conversations that share a
title read as one. The file is read whole before its conversations come out (only the rows' texts are kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from ._csv import csv_header, iter_csv_records
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped

_COLUMNS = ("Conversation", "Time", "Author", "Message")
_AUTHORS = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "copilot": "assistant",
    "assistant": "assistant",
}
_NO_ANSWER = "Copilot conversation without an answer"


class CopilotActivityImporter:
    name = "copilot-activity"

    def sniff(self, head: bytes, filename: str) -> bool:
        return csv_header(head) == list(_COLUMNS)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        # title -> [(time, position in the file, role, text, line)]
        chats: dict[str, list[tuple[str, int, str, str, int]]] = {}
        for position, row in enumerate(iter_csv_records(stream)):
            if isinstance(row, RecordError):
                yield row
                continue
            values = row.value
            if any(column not in values for column in _COLUMNS):
                raise FileFormatError(
                    f"expected the columns {','.join(_COLUMNS)} (Copilot's activity history), got {','.join(values)}"
                )
            author = values["Author"].strip()
            role = _AUTHORS.get(author.lower())
            if role is None:
                yield RecordError(f'Author: expected "Human" or "AI", got {author[:40]!r}', line=row.line)
                continue
            entry = (values["Time"].strip(), position, role, values["Message"], row.line or 0)
            chats.setdefault(values["Conversation"], []).append(entry)
        for title, rows in chats.items():
            # Oldest first; one time's rows in the reverse of the file's order (the prompt before its answer).
            rows.sort(key=lambda r: (r[0], -r[1]))
            builder = TurnBuilder()
            for _, _, role, text, _ in rows:
                builder.say(role, text)
            turns = builder.finish(complete=False)
            if len({turn.role for turn in turns}) < 2:
                yield Skipped(_NO_ANSWER)
                continue
            first = next(turn.text for turn in turns if turn.role == "user")
            yield ParsedConversation(
                external_id=f"{title}@{rows[0][0]}",
                turns=turns,
                title=title.strip() or prompt_title(first),
                metadata={"started_at": rows[0][0]},
                line=min(r[4] for r in rows),
                dropped=dict(builder.dropped),
            )


importer = CopilotActivityImporter()
