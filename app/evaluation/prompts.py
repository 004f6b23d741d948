"""The prompt set of an evaluation, taken from a release with the release's own filters, system prompt policy
and split, each prompt with the patterns reviewers tagged on its pair's chosen answer."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from app.errors import ValidationFailedError
from app.pairs.models import Pair
from app.releases.export.options import ExportOptions
from app.releases.export.reader import iter_release_pairs
from app.releases.export.rows import prompt_messages
from app.releases.export.split import VALIDATION, prompt_group, splitter
from app.releases.models import DatasetRelease
from app.review.models import Judgment

SPLITS = ("validation", "all")


@dataclass(slots=True)
class PromptIn:
    pair_id: int
    messages: list[dict[str, str]]
    expected_patterns: list[str]


def chosen_patterns(session: Session, *, pair_ids: list[int]) -> dict[int, set[str]]:
    """Patterns any reviewer tagged on the answer that ended up chosen, per pair."""
    if not pair_ids:
        return {}
    rows = session.execute(select(col(Pair.id), col(Pair.swapped)).where(col(Pair.id).in_(pair_ids)))
    swapped = {int(pair_id): bool(flag) for pair_id, flag in rows}
    query = select(col(Judgment.pair_id), col(Judgment.patterns_first), col(Judgment.patterns_second)).where(
        col(Judgment.pair_id).in_(pair_ids)
    )
    tags: dict[int, set[str]] = {pid: set() for pid in pair_ids}
    for pair_id, first, second in session.execute(query):
        tags[pair_id].update((first if swapped.get(pair_id) else second) or ())
    return tags


def select_prompts(
    session: Session, *, release: DatasetRelease, split: str, limit: int | None, seed: int
) -> list[PromptIn]:
    """The release's pairs as they match its filters now: the validation split, or all; then `limit` of them
    drawn with `seed`. The prompt is written as the release wrote it (its system prompt policy)."""
    if split not in SPLITS:
        raise ValidationFailedError(f"unknown split {split!r}; choose validation or all")
    spec = ExportOptions.of_release(release)
    if split == "validation" and spec.split <= 0:
        raise ValidationFailedError(
            f"release {release.id} has no validation split; choose the whole release (split all) or a "
            "release built with a validation fraction"
        )
    assign = splitter(fraction=spec.split, seed=spec.seed)
    chosen: list[tuple[int, list[dict[str, str]]]] = []
    for pair in iter_release_pairs(session, filters=spec.filters):
        prompt = prompt_messages(pair, spec.rows)
        if split == "validation" and assign(prompt_group(prompt)) != VALIDATION:
            continue
        chosen.append((pair.id, prompt))
    if limit is not None:
        if limit < 1:
            raise ValidationFailedError("the prompt limit must be at least 1")
        if limit < len(chosen):
            picked = sorted(random.Random(seed).sample(range(len(chosen)), limit))
            chosen = [chosen[i] for i in picked]
    if not chosen:
        raise ValidationFailedError(
            f"release {release.id} has no prompts in its {'validation split' if split == 'validation' else 'pairs'} "
            "(its pairs may have changed status since it was built)"
        )
    tags = chosen_patterns(session, pair_ids=[pid for pid, _ in chosen])
    return [
        PromptIn(pair_id=pid, messages=m, expected_patterns=sorted(tags.get(pid, ()))) for pid, m in chosen
    ]
