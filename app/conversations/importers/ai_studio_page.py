"""Google AI Studio's chat page copied whole (select all, copy), as people paste it into notes and `.md` files.

Each message opens with a line `User` or `Model`. The page's icons come out as their names on lines of their own
(`more_vert`, `edit`, `arrow_upwardarrow_downwardedit`, `chevron_right`, `expand_less`, `content_copy`,
`download`), with the time a model answer took (`9.6s`) and `warning` under its label; a code block is headed by
`code`, its language and those buttons (2025), or followed by `content_copyUse code with caution.Python` (2024);
a thinking model's answer opens with `ThinkingThoughts` and `Expand to view model thoughts` (the thoughts stay
folded on the page, so they are not in the copy); the page ends with "Google AI models may make mistakes, so
double-check outputs." All of it is left out and counted as dropped page text. The file is one conversation; the
first prompt is its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM
from ._records import first_byte, read_text
from ._turns import TurnBuilder, copied_chat
from .base import ParseResult

_SPEAKERS = {"User": "user", "Model": "assistant"}
# The page's icons and notices, each on a line of its own.
_NOISE = frozenset(
    (
        "more_vert",
        "edit",
        "warning",
        "arrow_upwardarrow_downwardedit",
        "arrow_upward",
        "arrow_downward",
        "chevron_right",
        "expand_more",
        "expand_less",
        "content_copy",
        "download",
        "thumb_up",
        "thumb_down",
        "ThinkingThoughts",
        "Thoughts",
        "Expand to view model thoughts",
        "Collapse to hide model thoughts",
    )
)
_SIGNS = (b"more_vert", b"content_copy", b"chevron_right", b"Expand to view model thoughts")
_DURATION = re.compile(r"\d+(?:\.\d+)?s")
_CAUTION = re.compile(r"content_copyUse code with caution\.[\w+#-]*")
_CODE_HEADER = ("download", "content_copy", "expand_less")
_DISCLAIMER = "Google AI models may make mistakes"


class AiStudioPageImporter:
    name = "ai-studio-page"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) in (None, ord("{"), ord("[")) or not any(sign in head for sign in _SIGNS):
            return False
        speakers = {line.strip() for line in head.removeprefix(BOM).split(b"\n")} & {b"User", b"Model"}
        return speakers == {b"User", b"Model"} and b"\x00" not in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).removeprefix(BOM.decode()).split("\n")
        builder = TurnBuilder()
        role: str | None = None
        body: list[str] = []
        index = 0
        while index < len(lines):
            line = lines[index].strip()
            if line in _SPEAKERS:
                _add(builder, role, body)
                role, body = _SPEAKERS[line], []
            elif line in _NOISE or _CAUTION.fullmatch(line) or line.startswith(_DISCLAIMER):
                builder.dropped["page text"] += 1
            elif line == "code" and tuple(s.strip() for s in lines[index + 2 : index + 5]) == _CODE_HEADER:
                # `code`, the language, `download`, `content_copy`, `expand_less`: a code block's header.
                builder.dropped["page text"] += 1
                index += 5
                continue
            elif role == "assistant" and not body and _DURATION.fullmatch(line):
                builder.dropped["page text"] += 1
            elif role is not None:
                body.append(lines[index].rstrip())
            elif line:
                builder.dropped["page text"] += 1  # before the first message: the page's header
            index += 1
        _add(builder, role, body)
        yield copied_chat(
            builder,
            filename,
            metadata={"exporter": "ai-studio-page-copy"},
            missing="no `User` message with a `Model` answer in the copied page",
        )


def _add(builder: TurnBuilder, role: str | None, body: list[str]) -> None:
    text = "\n".join(body).strip()
    if role == "user":
        builder.user(text)
    elif role == "assistant":
        builder.text(text)


importer = AiStudioPageImporter()
