"""Model-written suggestions for leaky pairs: propose them (a job), and let a reviewer accept or ignore them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.assist.client import complete
from app.assist.models import Suggestion, SuggestionStatus
from app.assist.provider import ProviderConfig
from app.auth.models import User
from app.errors import ConflictError, NotFoundError
from app.models_base import utcnow
from app.pairs.edits import add_edit
from app.pairs.leaks import LeakKind
from app.pairs.models import EditField, Pair
from app.pairs.views_data import PairDetail, load_details

REWRITE_SYSTEM = (
    "You edit training data. The user gives a question, a follow-up the user wrote after a first answer, and "
    "the assistant's revised answer. The follow-up will be removed from the training row. Rewrite the revised "
    "answer so it answers the question on its own: no acknowledgement of feedback, no reference to the "
    "follow-up or an earlier answer. Keep its content, code and formatting otherwise. Reply with the rewritten "
    "answer only."
)
FOLD_SYSTEM = (
    "You edit training data. The user gives a question and a follow-up the user wrote after a first answer. "
    "Rewrite the question so it already states every fact and constraint the follow-up adds (versions, sizes, "
    "names, requirements), in the question's language and voice. Reply with the rewritten question only."
)


def _question(detail: PairDetail) -> str:
    users = [m["content"] for m in detail.prompt if m["role"] == "user"]
    return detail.gold_prompt if detail.gold_prompt is not None else (users[-1] if users else "")


def propose(session: Session, *, pair_id: int, config: ProviderConfig) -> list[Suggestion]:
    """Ask the provider for a standalone rewrite of the revised answer and, for information leaks, a folded
    prompt; store them as pending suggestions (a pair with pending ones is not asked again)."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    pending = session.exec(
        select(Suggestion).where(
            col(Suggestion.pair_id) == pair_id, col(Suggestion.status) == SuggestionStatus.pending
        )
    ).first()
    if pending is not None or not pair.leak_kinds or pair.swapped:
        return []
    detail = load_details(session, pairs=[pair])[0]
    question, followup = _question(detail), detail.pushback or ""
    made: list[Suggestion] = []
    answer = complete(
        config=config,
        messages=[
            {"role": "system", "content": REWRITE_SYSTEM},
            {
                "role": "user",
                "content": f"Question:\n{question}\n\nFollow-up:\n{followup}\n\nRevised answer:\n{detail.chosen}",
            },
        ],
    )
    made.append(
        Suggestion(
            pair_id=pair_id, field=EditField.chosen, text=answer, base_text=detail.chosen, model=config.model
        )
    )
    if LeakKind.information in detail.leak_kinds:
        folded = complete(
            config=config,
            messages=[
                {"role": "system", "content": FOLD_SYSTEM},
                {"role": "user", "content": f"Question:\n{question}\n\nFollow-up:\n{followup}"},
            ],
        )
        made.append(
            Suggestion(
                pair_id=pair_id, field=EditField.prompt, text=folded, base_text=question, model=config.model
            )
        )
    session.add_all(made)
    session.flush()
    return made


def pending_suggestions(session: Session, *, pair_id: int) -> list[Suggestion]:
    return list(
        session.exec(
            select(Suggestion)
            .where(col(Suggestion.pair_id) == pair_id, col(Suggestion.status) == SuggestionStatus.pending)
            .order_by(col(Suggestion.id))
        )
    )


def decide(session: Session, *, pair_id: int, suggestion_id: int, reviewer: User, accept: bool) -> Suggestion:
    """Accept (the text becomes the pair's gold prompt or answer, with lineage) or ignore a pending suggestion."""
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.pair_id != pair_id:
        raise NotFoundError(f"suggestion {suggestion_id} of pair {pair_id} does not exist")
    if suggestion.status != SuggestionStatus.pending:
        raise ConflictError(f"suggestion {suggestion_id} was already {suggestion.status}")
    suggestion.status = SuggestionStatus.accepted if accept else SuggestionStatus.ignored
    suggestion.decided_by, suggestion.decided_at = reviewer.id, utcnow()
    session.add(suggestion)
    if accept:
        add_edit(
            session, pair_id=pair_id, field=EditField(suggestion.field), text=suggestion.text, source="suggestion",
            author_id=reviewer.id, suggestion_id=suggestion.id,
        )  # fmt: skip
    session.flush()
    return suggestion


def leaky_pairs_without_suggestions(session: Session, *, limit: int) -> list[int]:
    """Ids of unswapped leaky pairs that have no suggestion yet, oldest first."""
    asked = select(col(Suggestion.pair_id))
    rows = session.execute(
        select(col(Pair.id))
        .where(col(Pair.leak_kinds) != "", col(Pair.swapped).is_(False), col(Pair.id).not_in(asked))
        .order_by(col(Pair.id))
        .limit(limit)
    ).scalars()
    return [int(pair_id) for pair_id in rows]
