"""Pairs streamed for export: one joined query per batch plus prompts, gold edits and pattern tags.

`app.pairs.views_data.iter_pair_details` builds ORM objects and whole conversations for every pair; an export
reads every accepted pair once and only needs texts, so this reader selects plain columns (and only the prompt
turns) in keyset batches, which keeps memory bounded and is several times faster on 100k pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session

from app.conversations.models import Conversation, Turn
from app.pairs.models import Pair
from app.review.models import Judgment

PAIR: Table = Pair.__table__  # type: ignore[attr-defined]
CONVERSATION: Table = Conversation.__table__  # type: ignore[attr-defined]
TURN: Table = Turn.__table__  # type: ignore[attr-defined]
JUDGMENT: Table = Judgment.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ReleaseFilters:
    """Which pairs a release takes. Pattern filters look at the tags reviewers put on the chosen answer."""

    status: str = "accepted"
    min_score: float | None = None
    source: str | None = None
    patterns_present: tuple[str, ...] = ()
    patterns_absent: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "min_score": self.min_score,
            "source": self.source,
            "patterns_present": sorted(self.patterns_present),
            "patterns_absent": sorted(self.patterns_absent),
        }


@dataclass(slots=True)
class ReleasePair:
    id: int
    # The conversation's messages up to the prompt end, its system prompt first when it has one.
    prompt: list[dict[str, str]]
    chosen: str  # the latest gold edit when there is one
    chosen_original: str
    rejected: str
    gold_edited: bool = False
    chosen_patterns: set[str] = field(default_factory=set)


def iter_release_pairs(
    session: Session, *, filters: ReleaseFilters, batch_size: int = 1000, after_id: int = 0
) -> Iterator[ReleasePair]:
    """Pairs matching `filters` in id order (reviewed orientation: chosen is the preferred answer)."""
    pair, conversation = PAIR.c, CONVERSATION.c
    first_turn, second_turn = TURN.alias("first_turn"), TURN.alias("second_turn")
    first, second = first_turn.c, second_turn.c
    query = (
        select(
            pair.id,
            pair.conversation_id,
            pair.prompt_end_index,
            pair.swapped,
            conversation.system_prompt,
            first.text,
            second.text,
        )
        .select_from(PAIR)
        .join(CONVERSATION, conversation.id == pair.conversation_id)
        .join(first_turn, first.id == pair.first_turn_id)
        .join(second_turn, second.id == pair.second_turn_id)
        # `status || ''` keeps the planner off ix_pair_status_score: without table statistics SQLite would
        # join every accepted pair and sort them for each batch; walking the primary key is linear.
        .where(pair.status.concat("") == filters.status)
        .order_by(pair.id)
    )
    if filters.min_score is not None:
        query = query.where(pair.score >= filters.min_score)
    if filters.source is not None:
        query = query.where(conversation.source == filters.source)
    needs_patterns = bool(filters.patterns_present or filters.patterns_absent)
    while True:
        rows = session.execute(query.where(pair.id > after_id).limit(batch_size)).all()
        if not rows:
            return
        after_id = rows[-1][0]
        prompts = _prompt_turns(session, rows)
        gold = _gold_edits(session, [row[0] for row in rows])
        tags = _chosen_patterns(session, rows) if needs_patterns else {}
        for pair_id, conversation_id, prompt_end, swapped, system_prompt, first_text, second_text in rows:
            chosen_patterns = tags.get(pair_id, set())
            if needs_patterns and not _patterns_match(chosen_patterns, filters):
                continue
            prompt = [{"role": "system", "content": system_prompt}] if system_prompt else []
            prompt.extend(
                {"role": role, "content": text}
                for index, role, text in prompts[conversation_id]
                if index <= prompt_end
            )
            chosen_original, rejected = (first_text, second_text) if swapped else (second_text, first_text)
            edited = gold.get(pair_id)
            yield ReleasePair(
                id=pair_id,
                prompt=prompt,
                chosen=chosen_original if edited is None else edited,
                chosen_original=chosen_original,
                rejected=rejected,
                gold_edited=edited is not None,
                chosen_patterns=chosen_patterns,
            )


def _prompt_turns(session: Session, rows: Sequence[Any]) -> dict[int, list[tuple[int, str, str]]]:
    """Turns up to the furthest prompt end of the batch's pairs, per conversation, in order."""
    ends: dict[int, int] = {}
    for row in rows:
        ends[row[1]] = max(ends.get(row[1], -1), row[2])
    turns: dict[int, list[tuple[int, str, str]]] = {cid: [] for cid in ends}
    turn = TURN.c
    query = (
        select(turn.conversation_id, turn.index, turn.role, turn.text)
        .where(turn.conversation_id.in_(list(ends)), turn.index <= max(ends.values()))
        .order_by(turn.conversation_id, turn.index)
    )
    for conversation_id, index, role, text in session.execute(query).all():
        if index <= ends[conversation_id]:
            turns[conversation_id].append((index, role, text))
    return turns


def _gold_edits(session: Session, pair_ids: list[int]) -> dict[int, str]:
    """The latest edited chosen text per pair (ties broken by judgment id so a rebuild picks the same)."""
    judgment = JUDGMENT.c
    query = (
        select(judgment.pair_id, judgment.edited_text)
        .where(judgment.pair_id.in_(pair_ids), judgment.edited_text.is_not(None))
        .order_by(judgment.edited_at, judgment.id)
    )
    return dict(session.execute(query).all())


def _chosen_patterns(session: Session, rows: Sequence[Any]) -> dict[int, set[str]]:
    """Pattern slugs any reviewer tagged on the answer that ended up chosen."""
    swapped = {row[0]: row[3] for row in rows}
    tags: dict[int, set[str]] = {}
    judgment = JUDGMENT.c
    query = select(judgment.pair_id, judgment.patterns_first, judgment.patterns_second).where(
        judgment.pair_id.in_(list(swapped))
    )
    for pair_id, patterns_first, patterns_second in session.execute(query):
        chosen = patterns_first if swapped[pair_id] else patterns_second
        tags.setdefault(pair_id, set()).update(chosen or ())
    return tags


def _patterns_match(tags: set[str], filters: ReleaseFilters) -> bool:
    return all(p in tags for p in filters.patterns_present) and not any(
        p in tags for p in filters.patterns_absent
    )
