"""The one owner of a pair's shape: prompt (system prompt, then turns to the prompt end), chosen, rejected.

Review page, pair pages, the API, the CLI and exports all build pairs with these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, Field

Message = dict[str, str]


class _Indexed(Protocol):
    @property
    def index(self) -> int: ...


T = TypeVar("T", bound=_Indexed)


class PairDetail(BaseModel):
    """A pair with its texts in the reviewed orientation (pair pages, the API, `pairwise pairs export`)."""

    id: int
    conversation_id: int
    source: dict[str, Any]
    title: str | None
    score: float
    detector: str
    status: str
    signals: list[str] = []
    prompt: list[Message]
    rejected: str
    pushback: str | None
    chosen: str
    chosen_original: str
    gold_edited: bool = False
    # Context leaks of the revised (second) answer, and the reviewer's rewrite of the last user message.
    leak_kinds: list[str] = Field(
        default=[], description="Context leaks of the revised answer: reply_to_feedback, information."
    )
    leak_spans: list[dict[str, Any]] = Field(
        default=[], description="Marked spans of the revised answer: kind, start, end, text, cue."
    )
    gold_prompt: str | None = Field(
        default=None, description="A reviewer's rewrite of the last user message, when there is one."
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


def prompt_turns(turns: Sequence[T], prompt_end_index: int) -> list[T]:
    """The turns of the prompt: those up to and including `prompt_end_index` (turns in index order)."""
    return [t for t in turns if t.index <= prompt_end_index]


def prompt_messages(system_prompt: str | None, turns: Iterable[tuple[str, str]]) -> list[Message]:
    """The prompt as chat messages: the conversation's system prompt first, then (role, text) turns."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.extend({"role": role, "content": text} for role, text in turns)
    return messages


def oriented(first: str, second: str, *, swapped: bool) -> tuple[str, str]:
    """(chosen, rejected): the detector's second answer is preferred unless reviewers stored it swapped."""
    return (first, second) if swapped else (second, first)


def chosen_text(original: str, gold: str | None) -> str:
    """The chosen answer as exported and shown: the latest gold edit when a reviewer made one."""
    return original if gold is None else gold
