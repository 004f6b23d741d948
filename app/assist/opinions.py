"""Second opinions: ask the suggestion provider whether an uncertain candidate is a real preference pair.

Display only. An opinion is shown on the review screen and counted on the detection page (how often it
agrees with the reviewers); nothing reads it to score, rank, decide or export a pair.

An opinion is about the exchange as imported (the first answer, the user's follow-up, the revision). Those
turns never change: gold edits, transforms and accepted suggestions change what an export writes, not what
was said. So one opinion per pair and PROMPT_VERSION is kept, and a pair is asked again only when the
instruction changes (a new PROMPT_VERSION).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlalchemy import and_, exists, func
from sqlmodel import Session, col, select

from app.assist import replies
from app.assist.client import complete
from app.assist.models import OpinionVerdict, SecondOpinion
from app.assist.provider import ProviderConfig
from app.conversations.models import Turn
from app.errors import PairwiseError
from app.pairs.learning_service import LABELS
from app.pairs.models import Pair, PairStatus
from app.pairs.service import IMPORTED_DETECTOR

PROMPT_VERSION = "opinion-1"
MAX_PART = 4000  # characters of each turn sent; the opening and the end say most about a revision
MAX_REASON = 300
MAX_REPLY_TOKENS = 300
SYSTEM = (
    "You check candidate training data. A candidate is an assistant's first answer, the user's follow-up, "
    "and the assistant's next answer. It is a preference pair when the follow-up pushes back on the first "
    "answer (a correction, a missing requirement, a failure, a stated constraint) and the next answer revises "
    "the first in response, so the revision is the better answer to the original request. It is not a pair "
    "when the follow-up accepts or praises the answer, asks something new, only says 'go on', or when the "
    "next answer defends the first one without changing it. Reply with strict JSON only, no other text: "
    '{"verdict": "pair" or "not_pair", "confidence": a number from 0 to 1, "reason": one short sentence}.'
)


class MalformedOpinionError(PairwiseError):
    """The model answered, but not with the JSON opinion it was asked for."""


@dataclass(frozen=True, slots=True)
class ParsedOpinion:
    verdict: OpinionVerdict
    confidence: float | None
    reason: str


def _bounded(text: str, limit: int = MAX_PART) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[… {len(text) - limit:,} characters left out …]\n{text[-half:]}"


def opinion_messages(*, answer: str, pushback: str, revision: str) -> list[dict[str, str]]:
    """The request: the instruction, then the three turns, each cut to MAX_PART characters."""
    user = (
        f"First answer:\n{_bounded(answer)}\n\nUser's follow-up:\n{_bounded(pushback)}\n\n"
        f"Next answer:\n{_bounded(revision)}"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def parse_opinion(reply: str) -> ParsedOpinion:
    """The opinion in a reply; a MalformedOpinionError that says what is wrong otherwise. One ```json fence
    around the object is tolerated (models add it even when told not to); anything else is refused."""
    data = replies.json_object(reply, error=MalformedOpinionError)
    verdict = data.get("verdict")
    if verdict not in (OpinionVerdict.pair, OpinionVerdict.not_pair):
        raise MalformedOpinionError(
            f'the model\'s verdict is {json.dumps(verdict)[:40]}, not "pair" or "not_pair": {replies.shown(reply)}'
        )
    confidence = data.get("confidence")
    if confidence is not None:
        number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
        if not number or not math.isfinite(confidence) or not 0 <= confidence <= 1:
            raise MalformedOpinionError(
                f"the model's confidence is {json.dumps(confidence)[:40]}, not a number from 0 to 1"
            )
        confidence = float(confidence)
    reason = replies.reason(data, reply, limit=MAX_REASON, error=MalformedOpinionError)
    return ParsedOpinion(verdict=OpinionVerdict(verdict), confidence=confidence, reason=reason)


_CURRENT = col(SecondOpinion.prompt_version) == PROMPT_VERSION


def current_opinion(session: Session, *, pair_id: int) -> SecondOpinion | None:
    return session.exec(select(SecondOpinion).where(col(SecondOpinion.pair_id) == pair_id, _CURRENT)).first()


def current_opinions(session: Session, *, pair_ids: list[int]) -> dict[int, SecondOpinion]:
    """The current opinion of each of `pair_ids` that has one (one statement for a page of pairs)."""
    if not pair_ids:
        return {}
    rows = session.exec(select(SecondOpinion).where(col(SecondOpinion.pair_id).in_(pair_ids), _CURRENT))
    return {o.pair_id: o for o in rows}


def ask(session: Session, *, pair_id: int, config: ProviderConfig) -> SecondOpinion | None:
    """Ask the provider about one pair and store its opinion. None, and no request, when the pair has a
    current opinion already or no longer exists. A reply that is not the asked-for JSON raises
    MalformedOpinionError and stores nothing; a provider failure raises SuggestionProviderError."""
    pair = session.get(Pair, pair_id)
    if pair is None or current_opinion(session, pair_id=pair_id) is not None:
        return None
    ids = [pair.first_turn_id, pair.pushback_turn_id, pair.second_turn_id]
    texts = {t.id: t.text for t in session.exec(select(Turn).where(col(Turn.id).in_([i for i in ids if i])))}
    messages = opinion_messages(
        answer=texts.get(pair.first_turn_id, ""),
        pushback=texts.get(pair.pushback_turn_id or 0, ""),
        revision=texts.get(pair.second_turn_id, ""),
    )
    parsed = parse_opinion(complete(config=config, messages=messages, max_tokens=MAX_REPLY_TOKENS))
    opinion = SecondOpinion(
        pair_id=pair_id, prompt_version=PROMPT_VERSION, verdict=parsed.verdict, confidence=parsed.confidence,
        reason=parsed.reason, model=config.model[:200],
    )  # fmt: skip
    session.add(opinion)
    session.flush()
    return opinion


def band_candidates(session: Session, *, low: float, high: float, threshold: float, limit: int) -> list[int]:
    """Open candidates scored from `low` to `high` without a current opinion: the most uncertain (closest to
    the threshold) first, then the oldest."""
    asked = exists().where(col(SecondOpinion.pair_id) == col(Pair.id), _CURRENT)
    rows = session.execute(
        select(col(Pair.id))
        .where(
            col(Pair.status) == PairStatus.candidate,
            col(Pair.detector) != IMPORTED_DETECTOR,
            col(Pair.score) >= low,
            col(Pair.score) <= high,
            ~asked,
        )
        .order_by(func.abs(col(Pair.score) - threshold), col(Pair.id))
        .limit(limit)
    ).scalars()
    return [int(pair_id) for pair_id in rows]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Current opinions, and how they compare with reviewers' verdicts on the pairs that have both."""

    opinions: int
    compared: int
    agreed: int
    # Of the reviewers' real pairs, how many the model called a pair; of their non-pairs, how many it did not.
    pairs: int
    pairs_agreed: int
    not_pairs: int
    not_pairs_agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def agreement(session: Session) -> Agreement:
    """Reviewers' verdicts are labels as for the scorer: accepted or tie = a pair, not a pair = not."""
    opinions = session.execute(select(func.count()).select_from(SecondOpinion).where(_CURRENT)).scalar_one()
    rows = session.execute(
        select(col(SecondOpinion.verdict), col(Pair.status), func.count())
        .join(Pair, and_(col(Pair.id) == col(SecondOpinion.pair_id), col(Pair.status).in_(list(LABELS))))
        .where(_CURRENT)
        .group_by(col(SecondOpinion.verdict), col(Pair.status))
    ).all()
    counts: dict[tuple[bool, bool], int] = {}  # (the model said pair, the reviewers said pair) -> pairs
    for verdict, status, n in rows:
        key = (verdict == OpinionVerdict.pair, LABELS[PairStatus(status)] == 1)
        counts[key] = counts.get(key, 0) + int(n)
    pairs_agreed, missed = counts.get((True, True), 0), counts.get((False, True), 0)
    not_pairs_agreed, wrong = counts.get((False, False), 0), counts.get((True, False), 0)
    return Agreement(
        opinions=int(opinions),
        compared=pairs_agreed + missed + not_pairs_agreed + wrong,
        agreed=pairs_agreed + not_pairs_agreed,
        pairs=pairs_agreed + missed,
        pairs_agreed=pairs_agreed,
        not_pairs=not_pairs_agreed + wrong,
        not_pairs_agreed=not_pairs_agreed,
    )
