"""org-ai chats (rksm/org-ai, the Emacs package): `#+begin_ai ... #+end_ai` blocks in any Org file.

The shape was read from org-ai's `org-ai--collect-chat-messages` (org-ai-block.el) and the way it streams an answer
into the block: each block is one chat, its turns opened by the markers `[SYS]:`, `[ME]:` and `[AI]:` (found
anywhere in the block, as org-ai finds them; text before the first marker is the person's), each turn's text trimmed,
empty turns left out (org-ai leaves an empty `[ME]: ` after every answer for the next prompt). The block's options
(`#+begin_ai :model gpt-4o :max-tokens 800`) give the model; `:image` and `:sd-image` blocks make pictures and
`:completion` blocks hold a prompt with its continuation and no turns, so they are skipped. Text outside the blocks
(notes, headings) is not a chat.

Each block is one conversation: `<file>#<n>` (its place among the file's blocks) the external id, the Org heading
above it (else the first prompt) the title, the model (and service) the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._records import first_byte, read_text
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParseResult, RecordError, Skipped

_BEGIN_HEAD = re.compile(rb"^[ \t]*#\+begin_ai\b", re.IGNORECASE | re.MULTILINE)
_BEGIN = re.compile(r"^[ \t]*#\+begin_ai\b([^\n]*)$", re.IGNORECASE | re.MULTILINE)
_END = re.compile(r"^[ \t]*#\+end_ai\b[^\n]*$", re.IGNORECASE | re.MULTILINE)
_MARKER = re.compile(r"\[(SYS|ME|AI)\]:")
_OPTION = re.compile(r":([\w-]+)(?:[ \t]+([^:\s][^\s]*))?")
# An Org heading: its stars, an optional TODO keyword and priority, the title, optional :tags:.
_HEADING = re.compile(
    r"^\*+[ \t]+(?:(?:TODO|DONE)[ \t]+)?(?:\[#[A-Z]\][ \t]+)?(.*?)(?:[ \t]+:[\w@#%:]+:)?[ \t]*$", re.MULTILINE
)
_NOT_CHATS = {
    "image": "org-ai image block (makes a picture, no chat)",
    "sd-image": "org-ai image block (makes a picture, no chat)",
    "completion": "org-ai completion block (a prompt and its continuation, no turns)",
}
_NO_TALK = "org-ai block without a prompt and an answer"


class OrgAiImporter:
    name = "org-ai"

    def sniff(self, head: bytes, filename: str) -> bool:
        # org-ai works in Org buffers: a Markdown page that shows a block as an example stays Markdown.
        if b"\x00" in head or first_byte(head) in (None, ord("{"), ord("[")):
            return False
        return filename.lower().endswith(".org") and _BEGIN_HEAD.search(head) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream).replace("\r\n", "\n")
        blocks = 0
        at = 0
        heading = ""  # the last Org heading before the block, read once along the file
        while (begin := _BEGIN.search(text, at)) is not None:
            blocks += 1
            heading = next(reversed(_HEADING.findall(text, at, begin.start())), heading)
            end = _END.search(text, begin.end())
            if end is None:
                line = text.count("\n", 0, begin.start()) + 1
                yield RecordError(reason="#+begin_ai without a #+end_ai after it", line=line)
                break
            options = {m.group(1).lower(): m.group(2) or "" for m in _OPTION.finditer(begin.group(1))}
            at = end.end()
            skipped = next((reason for option, reason in _NOT_CHATS.items() if option in options), None)
            if skipped is not None:
                yield Skipped(skipped)
                continue
            builder = TurnBuilder()
            _add_turns(builder, text[begin.end() : end.start()])
            if len({turn.role for turn in builder.finish(complete=False)}) < 2:
                yield Skipped(_NO_TALK)
                continue
            first = next(turn.text for turn in builder.turns if turn.role == "user")
            metadata = {key: options[key] for key in ("model", "service") if options.get(key)}
            yield builder.conversation(
                f"{filename}#{blocks}", title=heading.strip() or prompt_title(first), metadata=metadata
            )
        if blocks == 0:
            raise FileFormatError("expected org-ai chats: #+begin_ai ... #+end_ai blocks")


def _add_turns(builder: TurnBuilder, content: str) -> None:
    """The block's turns: each marker opens one, the text before the first is the person's."""
    pieces = _MARKER.split(content)
    builder.user(pieces[0].strip())
    for marker, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        piece = piece.strip()
        if marker == "ME":
            builder.user(piece)
        elif marker == "AI":
            builder.text(piece)
        else:
            builder.system(piece)


importer = OrgAiImporter()
