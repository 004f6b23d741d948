"""Fitting, activating and rolling back the per-installation scorer, and re-ranking the queue with it.

Labels come from reviewed pairs: accepted or tie -> a real pair, not_a_pair -> not (conflicts wait). About a
fifth of them (fixed per pair) is held back to measure each model. Until a model is active, scores stay the
rule-based detector's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy
from fastapi import BackgroundTasks
from sqlalchemy import ScalarSelect, and_, func, update
from sqlmodel import Session, col, select

from app.errors import ConflictError, NotFoundError
from app.jobs.models import ACTIVE, Job
from app.jobs.service import start_job
from app.models_base import utcnow
from app.pairs.detection import DEFAULT_THRESHOLD, DETECTOR_VERSION
from app.pairs.learning import ScoreModel, fit, held_back, measure, split_signals
from app.pairs.models import DetectionModel, Pair, PairStatus
from app.pairs.service import IMPORTED_DETECTOR, PAIR_TABLE

MIN_LABELS = 40  # below this an installation keeps the rule-based scorer
MIN_PER_CLASS = 8  # both real pairs and non-pairs, or the model learns a constant
RETRAIN_AFTER = 25  # pairs labelled (or relabelled) since the active model before a retraining is due
LABELS = {PairStatus.accepted: 1, PairStatus.tie: 1, PairStatus.not_a_pair: 0}
# A label for the scorer: a reviewed pair the rule-based detector found.
_SCORER_LABEL = (col(Pair.status).in_(list(LABELS)), col(Pair.detector) != IMPORTED_DETECTOR)
TRAIN_JOB = "pairs.train"


@dataclass(frozen=True, slots=True)
class LabelCounts:
    total: int
    positive: int
    since_active: int


def labelled_rows(session: Session) -> list[tuple[int, list[str], int]]:
    """(pair id, signals, label) for every reviewed pair the rule-based detector found."""
    rows = session.execute(
        select(col(Pair.id), col(Pair.signals), col(Pair.status)).where(*_SCORER_LABEL).order_by(col(Pair.id))
    )
    return [(int(pid), split_signals(signals), LABELS[PairStatus(status)]) for pid, signals, status in rows]


def active_model(session: Session) -> DetectionModel | None:
    return session.exec(select(DetectionModel).where(col(DetectionModel.active).is_(True))).first()


def scorer_of(model: DetectionModel | None) -> ScoreModel | None:
    return (
        None if model is None else ScoreModel(version=model.version, bias=model.bias, weights=model.weights)
    )


def label_counts(session: Session) -> LabelCounts:
    return _label_counts(session, active=active_model(session))


def _label_counts(session: Session, *, active: DetectionModel | None) -> LabelCounts:
    """The counts of `labelled_rows`, counted by the database, and those labelled since the active model."""
    by_status = session.execute(
        select(col(Pair.status), func.count()).where(*_SCORER_LABEL).group_by(col(Pair.status))
    ).all()
    total = sum(n for _, n in by_status)
    positive = sum(n for status, n in by_status if LABELS[PairStatus(status)])
    since = 0
    if active is not None:
        since = session.execute(
            select(func.count()).where(*_SCORER_LABEL, col(Pair.updated_at) > active.created_at)
        ).scalar_one()
    return LabelCounts(total=total, positive=positive, since_active=since)


def training_due(session: Session) -> bool:
    """Enough labels for a first model, or enough new ones since the active model."""
    active = active_model(session)
    counts = _label_counts(session, active=active)
    return _due(
        total=counts.total,
        positive=counts.positive,
        negative=counts.total - counts.positive,
        has_model=active is not None,
        since=counts.since_active,
    )


def _due(*, total: int, positive: int, negative: int, has_model: bool, since: int) -> bool:
    """The rule: enough labels of both kinds for a first model, then RETRAIN_AFTER new ones per model."""
    if total < MIN_LABELS or min(positive, negative) < MIN_PER_CLASS:
        return False
    return not has_model or since >= RETRAIN_AFTER


def _at_most(cap: int, *conditions: Any, order_by: Any = None) -> ScalarSelect[int]:
    """How many pairs meet `conditions`, counted up to `cap`: a verdict's question stays as cheap at 300,000
    reviewed pairs as at 300."""
    found = select(col(Pair.id)).where(*conditions).order_by(order_by).limit(cap).subquery()
    return select(func.count()).select_from(found).scalar_subquery()


_ACTIVE_SINCE = (
    select(col(DetectionModel.created_at))
    .where(col(DetectionModel.active).is_(True))
    .limit(1)
    .scalar_subquery()
)
# Labels since the active model, one status at a time in ix_pair_status_updated's order: the planner cannot
# know when the model was made, and without that order it may read every reviewed pair.
_SINCE_ACTIVE = [
    _at_most(
        RETRAIN_AFTER,
        col(Pair.status) == status,
        col(Pair.detector) != IMPORTED_DETECTOR,
        col(Pair.updated_at) > _ACTIVE_SINCE,
        order_by=col(Pair.updated_at),
    )
    for status in LABELS
]
# What the training rule reads, as columns (a verdict asks them in its own statement, app/review/service.py):
# a training job queued or running, when the active model was made (None without one), and the counts
# `_due` needs, each counted only as far as the rule looks: labels, real pairs, non-pairs, labels since the
# active model.
DUE_COLUMNS = (
    select(col(Job.id))
    .where(col(Job.kind) == TRAIN_JOB, col(Job.status).in_(list(ACTIVE)))
    .limit(1)
    .scalar_subquery(),
    _ACTIVE_SINCE,
    _at_most(MIN_LABELS, *_SCORER_LABEL),
    _at_most(
        MIN_PER_CLASS, *_SCORER_LABEL, col(Pair.status).in_([s for s, label in LABELS.items() if label])
    ),
    _at_most(
        MIN_PER_CLASS, *_SCORER_LABEL, col(Pair.status).in_([s for s, label in LABELS.items() if not label])
    ),
    sum(_SINCE_ACTIVE[1:], _SINCE_ACTIVE[0]),
)
_DUE_INPUTS = sqlalchemy.select(*DUE_COLUMNS)


@dataclass(frozen=True, slots=True)
class DueInputs:
    """What `DUE_COLUMNS` read, in their order."""

    waiting: int | None
    active_since: datetime | None
    total: int
    positive: int
    negative: int
    since: int

    def with_label(self, status: str) -> DueInputs:
        """The inputs once one more open pair that the rule-based detector found takes `status`, as a verdict
        does: a label counts once, and as new when a model is active (its status changes now). The counts
        stop where the rule stops looking, so one more keeps them past the rule's bounds."""
        if status not in LABELS:
            return self
        real = LABELS[PairStatus(status)]
        return DueInputs(
            self.waiting,
            self.active_since,
            self.total + 1,
            self.positive + real,
            self.negative + 1 - real,
            self.since + (self.active_since is not None),
        )


def start_training_if_due(
    session: Session, background: BackgroundTasks, *, user_id: int | None, inputs: DueInputs | None = None
) -> Job | None:
    """Queue a training job when enough new verdicts exist and none is queued or running already.

    The same rule as `training_due`, asked with one statement whose cost does not grow with the labels. A
    verdict passes `inputs`: what it read with its room check, its own label added (`DueInputs.with_label`),
    and no statement is needed."""
    due_inputs = inputs or DueInputs(*session.execute(_DUE_INPUTS).one())
    due = _due(
        total=due_inputs.total,
        positive=due_inputs.positive,
        negative=due_inputs.negative,
        has_model=due_inputs.active_since is not None,
        since=due_inputs.since,
    )
    if due_inputs.waiting is not None or not due:
        return None
    return start_job(session, background, kind=TRAIN_JOB, payload={}, user_id=user_id)


def train(session: Session, *, user_id: int | None) -> DetectionModel:
    """Fit a model on the non-held-back labels, measure it on the held-back ones, and make it active."""
    rows = labelled_rows(session)
    positive = sum(r[2] for r in rows)
    if len(rows) < MIN_LABELS or min(positive, len(rows) - positive) < MIN_PER_CLASS:
        raise ConflictError(
            f"Not enough verdicts to learn from: {len(rows)} reviewed pairs ({positive} real), need {MIN_LABELS} "
            f"with at least {MIN_PER_CLASS} of each kind. The rule-based scorer stays in use."
        )
    training = [(signals, label) for pid, signals, label in rows if not held_back(pid)]
    measuring = [(signals, label) for pid, signals, label in rows if held_back(pid)]
    fitted = fit(training, version="pending")
    metrics = measure(fitted, measuring, threshold=DEFAULT_THRESHOLD)
    model = DetectionModel(
        bias=fitted.bias,
        weights=fitted.weights,
        trained_on=len(training),
        held_back=len(measuring),
        precision=metrics.precision,
        recall=metrics.recall,
        created_by_id=user_id,
    )
    session.add(model)
    session.flush()
    _activate(session, model)
    return model


def activate(session: Session, *, model_id: int | None) -> DetectionModel | None:
    """Make a stored model the scorer (None: back to the rule-based detector) and re-rank the queue."""
    model = None
    if model_id is not None:
        model = session.get(DetectionModel, model_id)
        if model is None:
            raise NotFoundError(f"No detection model {model_id}.")
    _activate(session, model)
    return model


def rollback(session: Session) -> DetectionModel | None:
    """Retire the active model for the one trained before it, or the rule-based scorer if there is none."""
    current = active_model(session)
    if current is None:
        raise ConflictError("The rule-based scorer is already in use; there is nothing to roll back.")
    previous = session.exec(
        select(DetectionModel)
        .where(col(DetectionModel.id) < current.id)
        .order_by(col(DetectionModel.id).desc())
        .limit(1)
    ).first()
    _activate(session, previous)
    return previous


def _activate(session: Session, model: DetectionModel | None) -> None:
    session.execute(update(DetectionModel).where(col(DetectionModel.active).is_(True)).values(active=False))
    if model is not None:
        model.active = True
        session.add(model)
    session.flush()
    rescore_candidates(session, scorer=scorer_of(model))


def rescore_candidates(session: Session, *, scorer: ScoreModel | None) -> int:
    """Re-rank open candidates with `scorer`; with None, mark them for the rule-based detector.

    Rule-based scores need the texts, so going back to the rules resets the detector name and leaves
    the score to the next re-detection (started with it); the model needs only the stored signals.
    """
    rows = session.execute(
        select(col(Pair.id), col(Pair.signals)).where(
            col(Pair.status) == PairStatus.candidate, col(Pair.detector) != IMPORTED_DETECTOR
        )
    ).all()
    now = utcnow()
    for pair_id, signals in rows:
        values: dict[str, object] = {"updated_at": now}
        if scorer is None:
            values["detector"] = f"{DETECTOR_VERSION}+stale"
        else:
            values |= {
                "score": round(scorer.predict(split_signals(signals)), 4),
                "detector": model_detector(scorer),
            }
        session.execute(
            update(PAIR_TABLE)
            .where(and_(PAIR_TABLE.c.id == pair_id, PAIR_TABLE.c.status == PairStatus.candidate))
            .values(**values)
        )
    return len(rows)


def model_detector(scorer: ScoreModel) -> str:
    """What a pair's `detector` column says when a model scored it: the rules' version plus the model's."""
    return f"{DETECTOR_VERSION}+{scorer.version}"


def list_models(session: Session, *, limit: int = 20) -> list[DetectionModel]:
    return list(session.exec(select(DetectionModel).order_by(col(DetectionModel.id).desc()).limit(limit)))


def scored_by_model(session: Session) -> dict[str, int]:
    """Open candidates per detector name, to show what the queue is ranked by right now."""
    rows = session.execute(
        select(col(Pair.detector), func.count())
        .where(col(Pair.status) == PairStatus.candidate)
        .group_by(col(Pair.detector))
    )
    return {str(detector): int(count) for detector, count in rows}
