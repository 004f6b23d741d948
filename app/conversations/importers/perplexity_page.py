"""Perplexity's thread page copied whole (select all, copy; not its "Export as Markdown", which `markdown` reads), as
people paste it into notes and `.md` files.

Each question stands on its own line(s) above two lines the page adds, `Sources` and `Answer` (the page's tabs;
`Sources` is left out when the answer cited nothing), and the answer runs to the blank lines that come before the
next question: the page leaves three or more there, where an answer's own paragraphs have one. The citation numbers
the page puts after a sentence come out glued to it (`field1.`) or on lines of their own (`4`, `.`): the lines that
are only a number or a full stop are left out and counted as dropped citations; the glued ones stay as copied.
Markdown is lost (a code block is its language's name on a line, then the code). The file is one conversation; the
first question is its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM
from ._records import first_byte, read_text
from ._turns import TurnBuilder, copied_chat
from .base import ParseResult, RecordError

# The tabs under a question: `Sources` then `Answer`, or `Answer` alone.
_TABS = re.compile(r"\n(?:Sources\n)?Answer\n")
_SIGN = re.compile(rb"\nSources\r?\nAnswer\r?\n")
_TURN_GAP = re.compile(r"\n[ \t]*\n[ \t]*\n[ \t]*\n")  # three blank lines or more before the next question
_CITATION = re.compile(r"[ \t]*(?:\d{1,3}\.?|\.)[ \t]*")


class PerplexityPageImporter:
    name = "perplexity-page"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) in (None, ord("{"), ord("[")) or b"\x00" in head:
            return False
        return _SIGN.search(head.removeprefix(BOM)) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = "\n" + read_text(stream).removeprefix(BOM.decode()).replace("\r\n", "\n")
        builder = TurnBuilder()
        tabs = list(_TABS.finditer(text))
        if not tabs:
            yield RecordError("no question with `Sources` / `Answer` under it in the copied page")
            return
        asked = 0  # where the text before the next tabs starts: the previous answer, then the question
        for number, tab in enumerate(tabs):
            before = text[asked : tab.start()]
            split = _question_start(before)
            if number > 0:
                _add_answer(builder, before[:split])
            elif before[:split].strip():
                builder.dropped["page text"] += 1  # the page's own text above the first question
            builder.user(before[split:].strip())
            asked = tab.end()
        _add_answer(builder, text[asked:])
        yield copied_chat(
            builder,
            filename,
            metadata={"exporter": "perplexity-page-copy"},
            missing="no question with an answer in the copied page",
        )


def _question_start(before: str) -> int:
    """Where the question starts in the text between two answers' tabs: after the last run of three blank lines
    (the page's gap between turns), else after the last blank line, else at the last line."""
    gaps = list(_TURN_GAP.finditer(before))
    if gaps:
        return gaps[-1].end()
    stripped = before.rstrip("\n")
    blank = stripped.rfind("\n\n")
    return blank + 2 if blank >= 0 else stripped.rfind("\n") + 1


def _add_answer(builder: TurnBuilder, answer: str) -> None:
    lines = answer.strip("\n").split("\n")
    kept = [line for line in lines if not _CITATION.fullmatch(line)]
    builder.dropped["citation"] += len(lines) - len(kept)
    builder.text("\n".join(kept).strip())


importer = PerplexityPageImporter()
