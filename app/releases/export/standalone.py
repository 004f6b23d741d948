"""Which prompt and chosen answer a release writes for a pair, so each row stands on its own.

Gold prompt if any, else the original; gold answer if any, else the make-standalone transform where it
applies, else the original. A row whose chosen answer still leaks the follow-up is excluded unless the
release keeps leaky rows. With `use_suggestions`, unreviewed model suggestions count as gold (an admin's
recorded choice). The outcome of every pair is tallied for the lint's `standalone` section.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.pairs.leaks import find_leaks, make_standalone
from app.releases.export.reader import ReleasePair

# At most this many excluded pair ids are listed in the lint (the count is always exact).
MAX_LISTED_IDS = 1000


class Outcome(StrEnum):
    clean = "clean"
    fixed_by_transform = "fixed_by_transform"
    gold_edited = "gold_edited"
    excluded = "excluded"
    kept_leaky = "kept_leaky"


STANDALONE_KEYS = ("checked", *(o.value for o in Outcome))


@dataclass(frozen=True, slots=True)
class Resolved:
    prompt: list[dict[str, str]]
    chosen: str
    outcome: Outcome


@dataclass(slots=True)
class StandaloneTally:
    checked: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {o.value: 0 for o in Outcome})
    excluded_ids: list[int] = field(default_factory=list)

    def add(self, pair_id: int, outcome: Outcome) -> None:
        self.checked += 1
        self.counts[outcome] += 1
        if outcome == Outcome.excluded and len(self.excluded_ids) < MAX_LISTED_IDS:
            self.excluded_ids.append(pair_id)

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked, **self.counts, "excluded_pair_ids": self.excluded_ids}


def with_prompt_text(prompt: list[dict[str, str]], text: str) -> list[dict[str, str]]:
    """The prompt with its last user message replaced by `text` (a gold prompt folds into the question)."""
    for i in range(len(prompt) - 1, -1, -1):
        if prompt[i]["role"] == "user":
            return [*prompt[:i], {**prompt[i], "content": text}, *prompt[i + 1 :]]
    return [*prompt, {"role": "user", "content": text}]


def prompt_text(prompt: list[dict[str, str]]) -> str:
    return "\n\n".join(m["content"] for m in prompt if m["role"] != "system")


def resolve(
    pair: ReleasePair,
    *,
    prompt: list[dict[str, str]],
    original_chosen: bool = False,
    keep_leaky: bool = False,
    use_suggestions: bool = False,
) -> Resolved:
    """The row's prompt and chosen text and what the policy did; `prompt` is the pair's prompt after the
    system policy."""
    gold_prompt = pair.gold_prompt or (pair.suggested_prompt if use_suggestions else None)
    if gold_prompt is not None:
        prompt = with_prompt_text(prompt, gold_prompt)
    if pair.swapped or pair.followup is None:
        # The preferred answer came before the follow-up: it cannot lean on it.
        chosen = pair.chosen_original if original_chosen else pair.chosen
        return Resolved(
            prompt,
            chosen,
            Outcome.gold_edited if _gold(pair, gold_prompt, original_chosen) else Outcome.clean,
        )
    context = prompt_text(prompt)
    gold_answer = None if original_chosen else (pair.chosen if pair.gold_edited else None)
    if gold_answer is None and use_suggestions and not original_chosen:
        gold_answer = pair.suggested_chosen
    if gold_answer is not None or gold_prompt is not None:
        chosen = gold_answer if gold_answer is not None else pair.chosen_original
        fixed = (
            None
            if gold_answer is not None
            else make_standalone(answer=chosen, followup=pair.followup, prompt=context)
        )
        chosen = fixed or chosen
        outcome = Outcome.gold_edited
    elif not pair.leak_kinds:
        return Resolved(prompt, pair.chosen_original, Outcome.clean)
    else:
        fixed = make_standalone(answer=pair.chosen_original, followup=pair.followup, prompt=context)
        chosen, outcome = (
            (fixed, Outcome.fixed_by_transform) if fixed else (pair.chosen_original, Outcome.excluded)
        )
    if outcome != Outcome.excluded and not find_leaks(answer=chosen, followup=pair.followup, prompt=context):
        return Resolved(prompt, chosen, outcome)
    return Resolved(prompt, chosen, Outcome.kept_leaky if keep_leaky else Outcome.excluded)


def _gold(pair: ReleasePair, gold_prompt: str | None, original_chosen: bool) -> bool:
    return gold_prompt is not None or (pair.gold_edited and not original_chosen)
