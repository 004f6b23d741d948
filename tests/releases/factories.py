"""Conversations, turns, pairs and judgments inserted directly, as the importer and review would leave them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.auth.models import User
from app.conversations.models import Conversation, Turn
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.patterns.models import TaxonomyVersion
from app.review.models import Judgment

_counter = itertools.count(1)


def _id(value: int | None) -> int:
    assert value is not None, "flush before reading an id"
    return value


@dataclass
class Seeded:
    pair: Pair
    prompt: list[dict[str, str]]  # as the conversation has it, system message first when present
    chosen: str
    rejected: str
    turns: list[Turn] = field(default_factory=list)


def add_pair(
    session: Session,
    *,
    question: str = "How should I version my REST API?",
    rejected: str = "Use URI versioning.",
    pushback: str = "That's shallow. What are the tradeoffs?",
    chosen: str = "Let me weigh URI, header and media-type versioning...",
    history: tuple[tuple[str, str], ...] = (),
    system_prompt: str | None = None,
    source: str = "test",
    status: PairStatus = PairStatus.accepted,
    score: float = 0.9,
    swapped: bool = False,
) -> Seeded:
    """A conversation [history..., question, first, pushback, second] and its pair.

    Not swapped: first = rejected, second = chosen. Swapped (reviewers preferred the first answer):
    first = chosen, second = rejected, as the review stores it.
    """
    n = next(_counter)
    conversation = Conversation(
        source=source, format="openai", file=f"file-{n}.jsonl", external_id=str(n), title=f"conversation {n}",
        system_prompt=system_prompt, content_hash=f"{n:064x}", turn_count=len(history) + 4,
    )  # fmt: skip
    session.add(conversation)
    session.flush()
    first, second = (chosen, rejected) if swapped else (rejected, chosen)
    texts = [*history, ("user", question), ("assistant", first), ("user", pushback), ("assistant", second)]
    turns = [
        Turn(conversation_id=_id(conversation.id), index=i, role=role, text=text)
        for i, (role, text) in enumerate(texts)
    ]
    session.add_all(turns)
    session.flush()
    base = len(history)
    first_id, pushback_id, second_id = (_id(t.id) for t in turns[base + 1 : base + 4])
    pair = Pair(
        conversation_id=_id(conversation.id), first_turn_id=first_id, second_turn_id=second_id,
        pushback_turn_id=pushback_id, prompt_end_index=base, detector="test", score=score, status=status,
        swapped=swapped,
    )  # fmt: skip
    session.add(pair)
    session.flush()
    prompt = [{"role": "system", "content": system_prompt}] if system_prompt else []
    prompt += [{"role": role, "content": text} for role, text in [*history, ("user", question)]]
    return Seeded(pair=pair, prompt=prompt, chosen=chosen, rejected=rejected, turns=turns)


def add_user(session: Session, username: str = "reviewer") -> User:
    user = User(username=f"{username}-{next(_counter)}", password_hash="x", role="reviewer")
    session.add(user)
    session.flush()
    return user


def add_judgment(
    session: Session,
    *,
    pair: Pair,
    reviewer: User,
    edited_text: str | None = None,
    patterns_first: list[str] | None = None,
    patterns_second: list[str] | None = None,
) -> Judgment:
    judgment = Judgment(
        pair_id=_id(pair.id), reviewer_id=_id(reviewer.id), verdict="first" if pair.swapped else "second", left_side="first",
        patterns_first=patterns_first or [], patterns_second=patterns_second or [], edited_text=edited_text,
        edited_at=utcnow() if edited_text is not None else None,
    )  # fmt: skip
    session.add(judgment)
    session.flush()
    return judgment


def add_taxonomy_version(session: Session) -> int:
    version = TaxonomyVersion(snapshot=[{"slug": "tradeoffs", "name": "Tradeoffs"}])
    session.add(version)
    session.flush()
    assert version.id is not None
    return version.id


def add_many(session: Session, n: int, **kwargs: Any) -> list[Seeded]:
    """n distinct accepted pairs (distinct questions, so distinct prompt groups)."""
    return [
        add_pair(
            session, question=f"Question {i}: how do I do thing {i}?", rejected=f"Short answer {i}.",
            chosen=f"A careful answer {i} with tradeoffs and a recommendation.", **kwargs,
        )
        for i in range(n)
    ]  # fmt: skip
