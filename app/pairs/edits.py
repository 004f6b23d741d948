"""Reviewer edits of what a pair exports (gold prompt, chosen answer), kept as an append-only lineage."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import NotFoundError, ValidationFailedError
from app.pairs.models import EditField, Pair, PairEdit
from app.pairs.views_data import load_details

MAX_TEXT = 200_000


def add_edit(
    session: Session,
    *,
    pair_id: int,
    field: EditField,
    text: str,
    source: str,
    author_id: int | None,
    suggestion_id: int | None = None,
) -> PairEdit:
    """Record a new current text for the pair's prompt (last user message) or chosen answer."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    if not text.strip():
        raise ValidationFailedError(f"{field}: the text is empty")
    if len(text) > MAX_TEXT:
        raise ValidationFailedError(f"{field}: at most {MAX_TEXT} characters")
    detail = load_details(session, pairs=[pair])[0]
    if field == EditField.prompt:
        users = [m["content"] for m in detail.prompt if m["role"] == "user"]
        previous = detail.gold_prompt if detail.gold_prompt is not None else (users[-1] if users else "")
    else:
        previous = detail.chosen
    edit = PairEdit(
        pair_id=pair_id, field=field, text=text, previous_text=previous, source=source, author_id=author_id,
        suggestion_id=suggestion_id,
    )  # fmt: skip
    session.add(edit)
    session.flush()
    return edit


def lineage(session: Session, *, pair_id: int) -> list[PairEdit]:
    """Every edit of the pair, oldest first."""
    return list(
        session.exec(
            select(PairEdit)
            .where(col(PairEdit.pair_id) == pair_id)
            .order_by(col(PairEdit.created_at), col(PairEdit.id))
        )
    )
