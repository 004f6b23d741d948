"""Pairs read together with their texts, in the reviewed orientation (for lists, exports and the API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from app.conversations.models import Conversation, Turn
from app.pairs.models import EditField, Pair, PairEdit
from app.pairs.shape import PairDetail, chosen_text, oriented, prompt_messages, prompt_turns
from app.review.models import Judgment


def iter_pair_details(
    session: Session,
    *,
    status: str | None = None,
    min_score: float | None = None,
    after_id: int = 0,
    limit: int | None = None,
    batch_size: int = 500,
) -> Iterator[PairDetail]:
    """Pairs in id order with prompt, answers and pushback texts, read in batches (keyset)."""
    produced = 0
    while limit is None or produced < limit:
        query = select(Pair).where(col(Pair.id) > after_id).order_by(col(Pair.id))
        if status is not None:
            query = query.where(col(Pair.status) == status)
        if min_score is not None:
            query = query.where(col(Pair.score) >= min_score)
        take = batch_size if limit is None else min(batch_size, limit - produced)
        pairs = list(session.exec(query.limit(take)))
        if not pairs:
            return
        yield from load_details(session, pairs=pairs)
        produced += len(pairs)
        after_id = pairs[-1].id or 0


def load_details(session: Session, *, pairs: list[Pair]) -> list[PairDetail]:
    """Attach conversation turns and gold edits to a batch of pairs with three queries."""
    conversation_ids = {p.conversation_id for p in pairs}
    conversations = {
        c.id: c for c in session.exec(select(Conversation).where(col(Conversation.id).in_(conversation_ids)))
    }
    turns: dict[int, list[Turn]] = {cid: [] for cid in conversation_ids}
    for turn in session.exec(
        select(Turn)
        .where(col(Turn.conversation_id).in_(conversation_ids))
        .order_by(col(Turn.conversation_id), col(Turn.index))
    ):
        turns[turn.conversation_id].append(turn)
    # The gold answer is the latest edit, from a judgment or from a pair edit (transform, suggestion).
    latest: dict[int, tuple[Any, str]] = {}
    for pair_id, text, at in session.execute(
        select(col(Judgment.pair_id), col(Judgment.edited_text), col(Judgment.edited_at))
        .where(col(Judgment.pair_id).in_([p.id for p in pairs]), col(Judgment.edited_text).is_not(None))
        .order_by(col(Judgment.edited_at))
    ):
        latest[pair_id] = (at, text)
    gold_prompts: dict[int, str] = {}
    for pair_id, field_, text, at in session.execute(
        select(col(PairEdit.pair_id), col(PairEdit.field), col(PairEdit.text), col(PairEdit.created_at))
        .where(col(PairEdit.pair_id).in_([p.id for p in pairs]))
        .order_by(col(PairEdit.created_at), col(PairEdit.id))
    ):
        if field_ == EditField.prompt:
            gold_prompts[pair_id] = text
        elif pair_id not in latest or at is None or latest[pair_id][0] is None or at >= latest[pair_id][0]:
            latest[pair_id] = (at, text)
    gold = {pair_id: text for pair_id, (_, text) in latest.items()}
    details = []
    for pair in pairs:
        conversation = conversations[pair.conversation_id]
        by_id = {t.id: t for t in turns[pair.conversation_id]}
        before = prompt_turns(turns[pair.conversation_id], pair.prompt_end_index)
        prompt = prompt_messages(conversation.system_prompt, ((t.role, t.text) for t in before))
        chosen_original, rejected = oriented(
            by_id[pair.first_turn_id].text, by_id[pair.second_turn_id].text, swapped=pair.swapped
        )
        pushback = by_id[pair.pushback_turn_id].text if pair.pushback_turn_id else None
        details.append(
            PairDetail(
                id=pair.id or 0,
                conversation_id=pair.conversation_id,
                source={
                    "name": conversation.source,
                    "file": conversation.file,
                    "external_id": conversation.external_id,
                },
                title=conversation.title,
                score=pair.score,
                detector=pair.detector,
                status=pair.status,
                prompt=prompt,
                rejected=rejected,
                pushback=pushback,
                chosen=chosen_text(chosen_original, gold.get(pair.id or 0)),
                chosen_original=chosen_original,
                gold_edited=(pair.id or 0) in gold,
                signals=[s for s in pair.signals.split(",") if s],
                leak_kinds=[k for k in pair.leak_kinds.split(",") if k],
                leak_spans=pair.leak_spans or [],
                gold_prompt=gold_prompts.get(pair.id or 0),
            )
        )
    return details
