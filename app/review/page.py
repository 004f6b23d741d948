"""What the review screen shows for one leased pair: context, prompt, two answers in screen order, diff."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from app.conversations.models import Conversation, Turn
from app.pairs.models import Pair
from app.pairs.shape import prompt_turns
from app.patterns.models import Pattern
from app.patterns.service import list_patterns
from app.review.models import Assignment

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(slots=True)
class Side:
    key: str  # "left" | "right"
    origin: str  # "first" | "second" (detected orientation), never shown to the reviewer
    turn: Turn


@dataclass(slots=True)
class ReviewView:
    pair: Pair
    assignment: Assignment
    conversation: Conversation
    context: list[Turn]
    prompt: Turn | None
    pushback: Turn | None
    left: Side
    right: Side
    patterns: list[Pattern]


def build_view(session: Session, *, assignment: Assignment) -> ReviewView:
    pair = session.get(Pair, assignment.pair_id)
    assert pair is not None
    conversation = session.get(Conversation, pair.conversation_id)
    assert conversation is not None
    turns = list(
        session.exec(
            select(Turn).where(col(Turn.conversation_id) == pair.conversation_id).order_by(col(Turn.index))
        )
    )
    by_id = {t.id: t for t in turns}
    first, second = by_id[pair.first_turn_id], by_id[pair.second_turn_id]
    before = prompt_turns(turns, pair.prompt_end_index)
    prompt = before[-1] if before and before[-1].role == "user" else None
    context = before[:-1] if prompt is not None else before
    left_turn, right_turn = (first, second) if assignment.left_side == "first" else (second, first)
    left_origin = assignment.left_side
    right_origin = "second" if left_origin == "first" else "first"
    return ReviewView(
        pair=pair,
        assignment=assignment,
        conversation=conversation,
        context=context,
        prompt=prompt,
        pushback=by_id.get(pair.pushback_turn_id) if pair.pushback_turn_id else None,
        left=Side("left", left_origin, left_turn),
        right=Side("right", right_origin, right_turn),
        patterns=list_patterns(session, active_only=True),
    )


def word_diff(left: str, right: str) -> Markup:
    """A word-level diff of two texts as escaped HTML with <del> (left only) and <ins> (right only)."""
    a, b = _TOKEN_RE.findall(left), _TOKEN_RE.findall(right)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(str(escape("".join(a[i1:i2]))))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above


def tool_blocks(turn: Turn) -> list[dict[str, Any]]:
    """The non-text blocks of an answer (tool calls, results, thinking), shown collapsed."""
    return [b for b in (turn.blocks or []) if b.get("type") != "text"]
