"""Candidate specs (`openai:MODEL`, `run:ID`, `hf:PATH`): checked when an evaluation is created, resolved to
an endpoint or a local model folder when its answers are generated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from app.errors import ValidationFailedError
from app.evaluation.models import EvalCandidate
from app.training import provider
from app.training.models import Backend
from app.training.secrets import decrypt
from app.training.service import finished_run, run_model

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$")
KINDS = ("openai", "run", "hf")


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where answers come from: a chat-completions endpoint (`remote`) or a model folder on this machine."""

    label: str
    remote: bool
    model: str  # the model name sent to the endpoint, or the local folder
    base_url: str | None = None  # None: the SDK reads OPENAI_BASE_URL
    api_key: str | None = None  # None: the SDK reads OPENAI_API_KEY


def check_label(label: str) -> str:
    clean = label.strip()
    if not LABEL_RE.match(clean):
        raise ValidationFailedError(
            f"candidate label {label!r}: use 1-60 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return clean


def split_spec(spec: str) -> tuple[str, str]:
    """("openai", "gpt-4.1-mini") from "openai:gpt-4.1-mini", with the kind checked."""
    kind, sep, value = spec.strip().partition(":")
    if not sep or kind not in KINDS or not value.strip():
        raise ValidationFailedError(f"candidate spec {spec!r}: write openai:MODEL, run:ID or hf:PATH")
    value = value.strip()
    if len(value) > 500 or not value.isprintable():
        raise ValidationFailedError(f"candidate spec {spec!r}: at most 500 printable characters")
    return kind, value


def parse_run_id(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailedError(f"run:{value}: the run id must be a number") from None


def check_spec(session: Session, spec: str) -> str:
    """The spec, normalized, after checking what it names exists now."""
    kind, value = split_spec(spec)
    if kind == "run":
        finished_run(session, run_id=parse_run_id(value))
    elif kind == "hf":
        folder = Path(value)
        if not folder.is_absolute() or not (folder / "config.json").is_file():
            raise ValidationFailedError(
                f"hf:{value}: give the absolute path of a model folder that holds a config.json"
            )
    return f"{kind}:{value}"


def resolve(session: Session, candidate: EvalCandidate) -> Resolved:
    """Where this candidate's answers come from, as of now (a run's model, the provider's credentials)."""
    kind, value = split_spec(candidate.spec)
    if kind == "hf":
        return Resolved(label=candidate.label, remote=False, model=value)
    if kind == "run":
        run = finished_run(session, run_id=parse_run_id(value))
        if run.backend == Backend.trl:
            return Resolved(label=candidate.label, remote=False, model=run_model(run))
        base_url, key = provider.credentials(session)
        return Resolved(
            label=candidate.label, remote=True, model=run_model(run), base_url=base_url, api_key=key
        )
    if candidate.base_url:
        key = decrypt(candidate.api_key) if candidate.api_key else None
        return Resolved(
            label=candidate.label, remote=True, model=value, base_url=candidate.base_url, api_key=key
        )
    base_url, key = provider.credentials(session)
    return Resolved(label=candidate.label, remote=True, model=value, base_url=base_url, api_key=key)
