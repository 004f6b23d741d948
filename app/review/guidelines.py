"""Review guidelines (Markdown) and a good and a bad example per pattern, written by admins."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from app.errors import ValidationFailedError
from app.settings.service import audit, get_object, set_object

KEY = "review_guidelines"  # read with the run-time settings (app/settings/service.py PREFETCHED_OBJECTS)
MAX_TEXT = 50_000
MAX_EXAMPLE = 2_000


@dataclass(slots=True)
class Guidelines:
    text: str = ""
    # slug -> {"good": ..., "bad": ...}
    examples: dict[str, dict[str, str]] = field(default_factory=dict)


def get_guidelines(session: Session) -> Guidelines:
    stored = get_object(session, key=KEY)
    if stored is None:
        return Guidelines()
    examples = stored.get("examples") or {}
    return Guidelines(
        text=str(stored.get("text") or ""), examples={str(k): dict(v) for k, v in examples.items()}
    )


def save_guidelines(session: Session, *, admin_id: int | None, guidelines: Guidelines) -> None:
    """Store the guidelines; the change is recorded in the audit log."""
    if len(guidelines.text) > MAX_TEXT:
        raise ValidationFailedError(f"guidelines: longer than {MAX_TEXT:,} characters")
    for slug, pair in guidelines.examples.items():
        for kind in ("good", "bad"):
            if len(pair.get(kind, "")) > MAX_EXAMPLE:
                raise ValidationFailedError(
                    f"{slug}: the {kind} example is longer than {MAX_EXAMPLE:,} characters"
                )
    set_object(session, key=KEY, value={"text": guidelines.text, "examples": guidelines.examples})
    audit(
        session, user_id=admin_id, action="review.guidelines_saved", object_type="guidelines", object_id=KEY
    )
