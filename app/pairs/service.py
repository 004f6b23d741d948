"""Candidate pairs: building rows from detection and re-running detection (texts: views_data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, and_, cast, insert, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from app.conversations.importers.base import ParsedConversation
from app.conversations.models import Conversation, Turn
from app.models_base import table_of, utcnow
from app.pairs.detection import DETECTOR_VERSION, DetectedPair, detect_pairs
from app.pairs.findings import content_key as content_key  # the pair identity, imported from here too
from app.pairs.findings import find_pairs, pair_leaks
from app.pairs.leak_check import check_unchecked_pairs
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


def pair_rows_for(
    *,
    conversation_id: int,
    conversation: ParsedConversation,
    turn_ids: Sequence[int],
    scorer: ScoreModel | None = None,
) -> list[dict[str, Any]]:
    """Rows for the pairs of a freshly stored conversation: stated by the source, or detected.

    The pairs were found before storing when the import ran in worker processes (`found_pairs`).
    """
    now = utcnow()
    found = conversation.found_pairs
    rows = []
    for f in find_pairs(conversation) if found is None else found:
        if f.detected is None:
            row = _row(
                conversation_id, turn_ids, f.rejected, f.pushback, f.chosen, 1.0, "", IMPORTED_DETECTOR, now
            )
        else:
            score, detector = scored(f.detected, scorer)
            signals = ",".join(f.detected.signals)
            row = _row(
                conversation_id, turn_ids, f.rejected, f.pushback, f.chosen, score, signals, detector, now
            )
        row.update(f.leaks)
        row["content_key"] = f.content_key
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
    ) | pair_leaks(turns, d.rejected, d.pushback, d.chosen)


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
    acting_by_conversation: dict[int, set[int]] = {cid: set() for cid in conversation_ids}
    # Whether an answer calls tools, asked of the database: the blocks (tool outputs, often large) stay there. A
    # `tool_use` block's type is the only `"tool_use"` in them (a result's key is `"tool_use_id"`).
    calls_tools = and_(col(Turn.role) == "assistant", cast(col(Turn.blocks), String).contains('"tool_use"'))
    rows = session.execute(
        sql_select(col(Turn.conversation_id), col(Turn.id), col(Turn.role), col(Turn.text), calls_tools)
        .where(col(Turn.conversation_id).in_(conversation_ids))
        .order_by(col(Turn.conversation_id), col(Turn.index))
    )
    for conversation_id, turn_id, role, text, acts in rows:
        turns = turns_by_conversation[conversation_id]
        if acts:
            acting_by_conversation[conversation_id].add(len(turns))
        turns.append((turn_id, role, text))
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
        for d in detect_pairs(texts, acting=frozenset(acting_by_conversation[conversation_id])):
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
