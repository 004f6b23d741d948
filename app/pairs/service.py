"""Candidate pairs: building rows from detection and re-running detection (texts: views_data)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, insert, update
from sqlmodel import Session, col, select

from app.conversations.importers.base import ParsedConversation
from app.conversations.models import Conversation, Turn
from app.models_base import table_of, utcnow
from app.pairs.detection import DETECTOR_VERSION, DetectedPair, detect_pairs
from app.pairs.leak_check import check_unchecked_pairs, leak_fields, prompt_text
from app.pairs.learning import ScoreModel
from app.pairs.models import DetectionModel, Pair, PairStatus

PAIR_TABLE: Table = table_of(Pair)
IMPORTED_DETECTOR = "import:preference"


def active_scorer(session: Session) -> ScoreModel | None:
    """The installation's active verdict-fitted model, or None: the rule-based detector scores."""
    active = session.exec(select(DetectionModel).where(col(DetectionModel.active).is_(True))).first()
    return (
        None
        if active is None
        else ScoreModel(version=active.version, bias=active.bias, weights=active.weights)
    )


def content_key(prompt: str, rejected: str, chosen: str) -> str:
    """The identity of a pair across exports: its texts with whitespace normalized, hashed."""
    parts = (" ".join(text.split()) for text in (prompt, rejected, chosen))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _key_of(conversation: ParsedConversation, rejected: int, chosen: int) -> str:
    turns = conversation.turns
    prompt = turns[rejected - 1].text if rejected > 0 else ""
    return content_key(prompt, turns[rejected].text, turns[chosen].text)


def pair_rows_for(
    *,
    conversation_id: int,
    conversation: ParsedConversation,
    turn_ids: Sequence[int],
    scorer: ScoreModel | None = None,
) -> list[dict[str, Any]]:
    """Rows for the pairs of a freshly stored conversation: stated by the source, or detected."""
    now = utcnow()
    turns = [(t.role, t.text) for t in conversation.turns]
    if conversation.explicit_pairs is not None:
        rows = [
            _row(conversation_id, turn_ids, p.rejected, p.pushback, p.chosen, 1.0, "", IMPORTED_DETECTOR, now)
            | _leaks(turns, p.rejected, p.pushback, p.chosen)
            for p in conversation.explicit_pairs
        ]
        keys = [_key_of(conversation, p.rejected, p.chosen) for p in conversation.explicit_pairs]
        for row, key in zip(rows, keys, strict=True):
            row["content_key"] = key
        return rows
    rows = []
    for d in detect_pairs(turns):
        row = _detected_row(conversation_id, turn_ids, turns, d, scorer, now)
        row["content_key"] = _key_of(conversation, d.rejected, d.chosen)
        rows.append(row)
    return rows


def _detected_row(
    conversation_id: int,
    turn_ids: Sequence[int],
    turns: Sequence[tuple[str, str]],
    d: DetectedPair,
    scorer: ScoreModel | None,
    now: datetime,
) -> dict[str, Any]:
    """The row of a pair the current detector found, scored by the active model if there is one, with the
    leaks of its revised answer."""
    score, detector = scored(d, scorer)
    signals = ",".join(d.signals)
    return _row(
        conversation_id, turn_ids, d.rejected, d.pushback, d.chosen, score, signals, detector, now
    ) | _leaks(turns, d.rejected, d.pushback, d.chosen)


def _leaks(
    turns: Sequence[tuple[str, str]], rejected: int, pushback: int | None, chosen: int
) -> dict[str, Any]:
    return leak_fields(
        answer=turns[chosen][1],
        followup=turns[pushback][1] if pushback is not None else None,
        prompt=prompt_text(turns, end=rejected - 1),
    )


def _row(
    conversation_id: int,
    turn_ids: Sequence[int],
    rejected: int,
    pushback: int | None,
    chosen: int,
    score: float,
    signals: str,
    detector: str,
    now: Any,
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "first_turn_id": turn_ids[rejected],
        "second_turn_id": turn_ids[chosen],
        "pushback_turn_id": turn_ids[pushback] if pushback is not None else None,
        "prompt_end_index": rejected - 1,
        "detector": detector,
        "score": round(score, 4),
        "signals": signals[:500],
        "status": PairStatus.candidate,
        "swapped": False,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


@dataclass(slots=True)
class RedetectResult:
    conversations: int = 0
    added: int = 0
    rescored: int = 0
    kept_reviewed: int = 0


def redetect(session: Session, *, batch_size: int = 500) -> RedetectResult:
    """Run the current detector over every conversation: add new pairs, rescore unreviewed ones.

    Reviewed pairs (any status but candidate, or with judgments) are never touched; pairs stated by
    a preference file are kept as they are.
    """
    result = RedetectResult()
    scorer = active_scorer(session)
    last_id = 0
    while True:
        # Selected primary keys are never None (SQLModel types `id` as `int | None` for unsaved rows).
        ids: list[int] = list(
            session.execute(
                select(col(Conversation.id))
                .where(col(Conversation.id) > last_id, col(Conversation.format) != "preference")
                .order_by(col(Conversation.id))
                .limit(batch_size)
            ).scalars()
        )
        if not ids:
            # Pairs checked by an older leak detector (or imported before leaks were stored) catch up.
            check_unchecked_pairs(session.connection())
            return result
        last_id = ids[-1]
        _redetect_conversations(session, conversation_ids=ids, result=result, scorer=scorer)


def scored(d: DetectedPair, scorer: ScoreModel | None) -> tuple[float, str]:
    """(score, detector name) of a detected pair: the installation's model if one is active, else the rules'."""
    if scorer is None:
        return round(d.score, 4), DETECTOR_VERSION
    return round(scorer.predict(d.signals), 4), f"{DETECTOR_VERSION}+{scorer.version}"


def _redetect_conversations(
    session: Session, *, conversation_ids: list[int], result: RedetectResult, scorer: ScoreModel | None
) -> None:
    turns_by_conversation: dict[int, list[tuple[int, str, str]]] = {cid: [] for cid in conversation_ids}
    rows = session.execute(
        select(col(Turn.conversation_id), col(Turn.id), col(Turn.role), col(Turn.text))
        .where(col(Turn.conversation_id).in_(conversation_ids))
        .order_by(col(Turn.conversation_id), col(Turn.index))
    )
    for conversation_id, turn_id, role, text in rows:
        turns_by_conversation[conversation_id].append((turn_id, role, text))
    existing = {
        (p.conversation_id, p.first_turn_id, p.second_turn_id): p
        for p in session.exec(select(Pair).where(col(Pair.conversation_id).in_(conversation_ids)))
    }
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    for conversation_id, turns in turns_by_conversation.items():
        result.conversations += 1
        turn_ids = [t[0] for t in turns]
        texts = [(t[1], t[2]) for t in turns]
        for d in detect_pairs(texts):
            score, detector = scored(d, scorer)
            key = (conversation_id, turn_ids[d.rejected], turn_ids[d.chosen])
            pair = existing.get(key)
            if pair is None:
                new_rows.append(_detected_row(conversation_id, turn_ids, texts, d, scorer, now))
            elif pair.status != PairStatus.candidate or pair.detector == IMPORTED_DETECTOR:
                result.kept_reviewed += 1
            elif pair.score != score or pair.detector != detector:
                session.execute(
                    update(PAIR_TABLE)
                    .where(and_(PAIR_TABLE.c.id == pair.id, PAIR_TABLE.c.status == PairStatus.candidate))
                    .values(
                        score=score,
                        detector=detector,
                        signals=",".join(d.signals)[:500],
                        updated_at=now,
                    )
                )
                result.rescored += 1
    if new_rows:
        session.execute(insert(PAIR_TABLE), new_rows)
        result.added += len(new_rows)
