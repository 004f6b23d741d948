"""What the review screen shows for one leased pair: context, prompt, two answers in screen order, diff."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, select

from app.assist.models import SecondOpinion
from app.assist.opinions import PROMPT_VERSION
from app.conversations.models import Conversation, Turn
from app.pairs.models import Pair
from app.pairs.shape import prompt_turns
from app.patterns.models import Pattern
from app.patterns.service import list_patterns
from app.review.models import Assignment


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
    token: str
    # An undone verdict's tags, comment, flag and gold edit, in screen terms (left/right).
    draft: dict[str, Any]
    # The suggestion provider's opinion of whether this is a pair: shown, never used to decide anything.
    opinion: SecondOpinion | None = None


# Built once (every verdict shows the next pair): bound pair_id, and conversation_id. The second opinion
# comes in the same statement, so showing it costs the review screen no statement of its own.
_PAIR_WITH_CONVERSATION = (
    select(Pair, Conversation, SecondOpinion)
    .join(Conversation, col(Conversation.id) == col(Pair.conversation_id))
    .outerjoin(
        SecondOpinion,
        and_(col(SecondOpinion.pair_id) == col(Pair.id), col(SecondOpinion.prompt_version) == PROMPT_VERSION),
    )
    .where(col(Pair.id) == bindparam("pair_id"))
)
_TURNS = (
    select(Turn).where(col(Turn.conversation_id) == bindparam("conversation_id")).order_by(col(Turn.index))
)


def warm_up(session: Session) -> None:
    """Run the view's statements once, matching no pair (a web process's start-up)."""
    session.execute(_PAIR_WITH_CONVERSATION, {"pair_id": 0}).all()
    session.scalars(_TURNS, {"conversation_id": 0}).all()


def build_view(session: Session, *, assignment: Assignment) -> ReviewView:
    pair, conversation, opinion = session.execute(
        _PAIR_WITH_CONVERSATION, {"pair_id": assignment.pair_id}
    ).one()
    turns = list(session.scalars(_TURNS, {"conversation_id": pair.conversation_id}))
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
        token=assignment.token or "",
        draft=_screen_draft(assignment),
        opinion=opinion,
    )


def _screen_draft(assignment: Assignment) -> dict[str, Any]:
    """The stored draft (detected orientation) turned into what goes where on this reviewer's screen."""
    draft = assignment.draft or {}
    left_is_first = assignment.left_side == "first"
    first, second = draft.get("patterns_first") or [], draft.get("patterns_second") or []
    verdict = draft.get("verdict")
    edited_side = None
    if draft.get("edited_text") and verdict in ("first", "second"):
        edited_side = "left" if (verdict == "first") == left_is_first else "right"
    return {
        "patterns_left": first if left_is_first else second,
        "patterns_right": second if left_is_first else first,
        "comment": draft.get("comment") or "",
        "flagged": bool(draft.get("flagged")),
        "edited_side": edited_side,
        "edited_text": draft.get("edited_text") if edited_side else None,
    }


def tool_blocks(turn: Turn) -> list[dict[str, Any]]:
    """The non-text blocks of an answer (tool calls, results, thinking), shown collapsed."""
    return [b for b in (turn.blocks or []) if b.get("type") != "text"]


# How the collapsed blocks are counted in their summary line, by block type (others by their type's name).
_BLOCK_NOUNS = {"tool_use": ("tool call", "tool calls"), "tool_result": ("result", "results"),
                "thinking": ("thinking step", "thinking steps")}  # fmt: skip


# A collapsed block shows this many characters; a long file written or read by a tool is cut there. In a
# tool call's structured input each string is cut at INPUT_VALUE_CHARS (an Edit's old and new text both show).
BLOCK_CHARS = 4000
INPUT_VALUE_CHARS = 1500


def tool_input(value: Any) -> str:
    """A tool call's input as shown: a string as written (code, a command), anything else as indented JSON
    (`tojson` would escape quotes and non-ASCII for a script context: `\\u0027`, `\\ud83d`) whose long
    strings are cut at INPUT_VALUE_CHARS each, so every key shows (a Write's path after its file's content:
    PostgreSQL's jsonb orders keys by length)."""
    if isinstance(value, str):
        return value
    return json.dumps(_shortened(value), indent=2, ensure_ascii=False, default=str)


def _shortened(value: Any) -> Any:
    if isinstance(value, str):
        return block_text(value, INPUT_VALUE_CHARS)
    if isinstance(value, dict):
        return {key: _shortened(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shortened(item) for item in value]
    return value


def block_text(value: Any, limit: int = BLOCK_CHARS) -> str:
    """A collapsed block's text as shown: at most `limit` characters, then how many were left out. A tool
    call that wrote a file, or a result that printed a log, can be megabytes; the page stays small."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… {len(text) - limit:,} more characters not shown"


def blocks_summary(blocks: list[dict[str, Any]]) -> str:
    """What the collapsed blocks hold, counted by kind in order of first appearance: "2 tool calls,
    2 results, 1 thinking step" (an answer with thinking only no longer reads "1 tool call")."""
    counts: dict[str, int] = {}
    for block in blocks:
        kind = str(block.get("type"))
        counts[kind] = counts.get(kind, 0) + 1
    parts = []
    for kind, count in counts.items():
        one, many = _BLOCK_NOUNS.get(kind, (kind.replace("_", " "), kind.replace("_", " ")))
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)
