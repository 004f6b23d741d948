"""The pattern taxonomy: the default ten, edits that create a new version, and the current version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.errors import ValidationFailedError
from app.patterns.models import Pattern, TaxonomyVersion

# Verdict and navigation keys of the review screen; pattern hotkeys must not shadow them.
RESERVED_KEYS = frozenset("abensuw[]?dcfgj/tpyi")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

DEFAULT_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("tradeoffs", "Tradeoffs", "Weighs alternatives with pros and cons"),
    ("assumptions", "Assumptions", "States assumptions and constraints explicitly"),
    ("concrete-example", "Concrete example", "Includes a concrete, runnable code example"),
    ("failure-modes", "Failure modes", "Discusses edge cases and failure modes"),
    ("testing", "Testing", "Says how to test or verify the solution"),
    ("security", "Security", "Addresses security implications"),
    ("performance", "Performance", "Addresses performance or cost"),
    ("migration-path", "Migration path", "Gives an incremental adoption or migration path"),
    ("recommendation", "Recommendation", "Ends with a clear recommendation or decision"),
    ("clarifying-questions", "Clarifying questions", "Asks about missing context when it matters"),
)


@dataclass(frozen=True, slots=True)
class PatternInput:
    slug: str
    name: str
    description: str
    hotkey: str
    position: int
    is_active: bool = True


# session.info key of the active patterns read in the session's current transaction (see `list_patterns`).
_ACTIVE = "pairwise.active_patterns"
_ACTIVE_QUERY = select(Pattern).where(col(Pattern.is_active)).order_by(col(Pattern.position), col(Pattern.id))


def list_patterns(session: Session, *, active_only: bool = False) -> list[Pattern]:
    """The taxonomy in screen order. The active patterns are read once per transaction (a verdict checks its
    tags against them and then renders them for the next pair); a taxonomy change in the same session
    forgets them, and nothing is kept between transactions."""
    if not active_only:
        return list(session.exec(select(Pattern).order_by(col(Pattern.position), col(Pattern.id))))
    transaction = session.get_transaction()
    cached = session.info.get(_ACTIVE)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return list(cached[1])
    patterns = list(session.exec(_ACTIVE_QUERY))
    session.info[_ACTIVE] = (session.get_transaction(), patterns)
    return patterns


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_on_rollback(session: OrmSession, _transaction: Any) -> None:
    """A rolled-back savepoint may have changed the taxonomy: read it again."""
    session.info.pop(_ACTIVE, None)


def current_version_id(session: Session) -> int | None:
    return session.execute(select(func.max(TaxonomyVersion.id))).scalar_one_or_none()


def seed_defaults(session: Session) -> bool:
    """Create the default ten patterns and taxonomy version 1, once; returns whether it seeded."""
    if session.execute(select(func.count()).select_from(TaxonomyVersion)).scalar_one():
        return False
    for position, (slug, name, description) in enumerate(DEFAULT_PATTERNS):
        hotkey = str((position + 1) % 10)
        session.add(Pattern(slug=slug, name=name, description=description, hotkey=hotkey, position=position))
    session.flush()
    _snapshot(session, user_id=None)
    return True


def save_taxonomy(session: Session, *, patterns: list[PatternInput], user_id: int | None) -> int:
    """Replace the taxonomy with `patterns` (matched by slug) and record a new version; returns its id."""
    _validate(patterns)
    existing = {p.slug: p for p in list_patterns(session)}
    for item in patterns:
        pattern = existing.pop(item.slug, None) or Pattern(slug=item.slug, name=item.name, hotkey=item.hotkey)
        pattern.name = item.name
        pattern.description = item.description
        pattern.hotkey = item.hotkey
        pattern.position = item.position
        pattern.is_active = item.is_active
        session.add(pattern)
    # Patterns left out are deactivated, not deleted: old judgments still name them.
    for pattern in existing.values():
        pattern.is_active = False
        session.add(pattern)
    session.flush()
    return _snapshot(session, user_id=user_id)


def _validate(patterns: list[PatternInput]) -> None:
    seen_slugs: set[str] = set()
    seen_keys: set[str] = set()
    for item in patterns:
        if not SLUG_RE.match(item.slug):
            raise ValidationFailedError(f"slug {item.slug!r}: use lowercase letters, digits and '-' (max 40)")
        if not item.name.strip() or len(item.name) > 80:
            raise ValidationFailedError(f"pattern {item.slug}: name must be 1-80 characters")
        if len(item.description) > 300:
            raise ValidationFailedError(f"pattern {item.slug}: description must be at most 300 characters")
        if len(item.hotkey) != 1 or item.hotkey in RESERVED_KEYS or not item.hotkey.isprintable():
            raise ValidationFailedError(
                f"pattern {item.slug}: hotkey must be one character and not one of {''.join(sorted(RESERVED_KEYS))}"
            )
        if item.slug in seen_slugs:
            raise ValidationFailedError(f"slug {item.slug!r} is used twice")
        if item.is_active and item.hotkey in seen_keys:
            raise ValidationFailedError(f"hotkey {item.hotkey!r} is used by two active patterns")
        seen_slugs.add(item.slug)
        if item.is_active:
            seen_keys.add(item.hotkey)


def _snapshot(session: Session, *, user_id: int | None) -> int:
    session.info.pop(_ACTIVE, None)  # every taxonomy change ends here
    snapshot = [
        {
            "slug": p.slug,
            "name": p.name,
            "description": p.description,
            "hotkey": p.hotkey,
            "active": p.is_active,
        }
        for p in list_patterns(session)
    ]
    version = TaxonomyVersion(snapshot=snapshot, created_by_id=user_id)
    session.add(version)
    session.flush()
    assert version.id is not None
    return version.id
