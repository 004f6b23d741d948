"""Code fences in the text formats (Markdown exports, aider's history, VS Code's copied chat): a reader tracks
which block is open so that a speaker's name inside code stays code."""

from __future__ import annotations

import re

# Three or more backticks or tildes, after optional indentation; an info string (`python`) may follow. Tildes then
# carets (`    ~~~~^^^^`) are no fence: Python's traceback marks under the failing call (thirteenth fetch: a pasted
# traceback's marks opened a block that swallowed the next answer of a Markdown transcript).
FENCE = re.compile(r"[ \t]*(`{3,}|~{3,}(?![~^]*\^))")


def opens(line: str) -> str:
    """The fence a line opens (its backticks or tildes), or "" when it opens none."""
    opening = FENCE.match(line)
    return opening.group(1) if opening else ""


def closes(line: str, fence: str) -> bool:
    """Whether `line` closes the block `fence` opened: the same character, at least as many, nothing after."""
    closing = FENCE.match(line)
    return closing is not None and closing.group(1).startswith(fence) and not line[closing.end() :].strip()
