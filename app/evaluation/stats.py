"""Evaluation statistics: Wilson intervals, pattern adherence, head-to-head win rates and the SFT/DPO decision.

Pure functions over plain numbers, so every figure can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Z95 = 1.959963984540054
# The method's thresholds: above SFT_SUFFICIENT supervised fine-tuning is enough, below CONSIDER_DPO it is not.
SFT_SUFFICIENT = 0.90
CONSIDER_DPO = 0.80
# The most extra judgments we look for before saying "many more" (the search stops there).
MAX_EXTRA = 1_000_000


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when there is no observation.

    `successes` may be fractional (a tie counts half a win).
    """
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    return (max(0.0, (centre - margin) / denominator), min(1.0, (centre + margin) / denominator))


@dataclass(frozen=True, slots=True)
class Instance:
    """One reviewer's look at one answer for one expected pattern: did they tag it?"""

    prompt_id: int
    pattern: str
    tagged: bool


@dataclass(slots=True)
class Adherence:
    instances: int
    tagged: int
    overall: float | None
    ci95: tuple[float, float]
    per_pattern: dict[str, float]
    per_pattern_ci95: dict[str, tuple[float, float]]
    per_pattern_instances: dict[str, int]
    per_prompt: dict[int, float] = field(default_factory=dict)
    # Population standard deviation of per-prompt adherence (the method's "quality consistency").
    spread: float | None = None


def adherence(instances: Iterable[Instance]) -> Adherence:
    """Share of (answer, expected pattern) instances tagged, overall, per pattern and per prompt."""
    total = tagged = 0
    by_pattern: dict[str, list[int]] = {}
    by_prompt: dict[int, list[int]] = {}
    for item in instances:
        hit = 1 if item.tagged else 0
        total += 1
        tagged += hit
        by_pattern.setdefault(item.pattern, [0, 0])
        by_pattern[item.pattern][0] += hit
        by_pattern[item.pattern][1] += 1
        by_prompt.setdefault(item.prompt_id, [0, 0])
        by_prompt[item.prompt_id][0] += hit
        by_prompt[item.prompt_id][1] += 1
    per_prompt = {pid: k / n for pid, (k, n) in by_prompt.items()}
    return Adherence(
        instances=total,
        tagged=tagged,
        overall=tagged / total if total else None,
        ci95=wilson(tagged, total),
        per_pattern={slug: k / n for slug, (k, n) in sorted(by_pattern.items())},
        per_pattern_ci95={slug: wilson(k, n) for slug, (k, n) in sorted(by_pattern.items())},
        per_pattern_instances={slug: n for slug, (_k, n) in sorted(by_pattern.items())},
        per_prompt=per_prompt,
        spread=population_sd(list(per_prompt.values())),
    )


def population_sd(values: Sequence[float]) -> float | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


@dataclass(slots=True)
class HeadToHead:
    a: str
    b: str
    wins_a: int
    wins_b: int
    ties: int
    win_rate_a: float | None
    ci95: tuple[float, float]

    @property
    def total(self) -> int:
        return self.wins_a + self.wins_b + self.ties

    def to_json(self) -> dict[str, object]:
        return {
            "a": self.a, "b": self.b, "wins_a": self.wins_a, "wins_b": self.wins_b, "ties": self.ties,
            "win_rate_a": self.win_rate_a, "ci95": list(self.ci95),
        }  # fmt: skip


def head_to_head(a: str, b: str, *, wins_a: int, wins_b: int, ties: int) -> HeadToHead:
    """Win rate of `a` over `b` with ties counted as half a win, and its Wilson interval."""
    n = wins_a + wins_b + ties
    score = wins_a + ties / 2
    return HeadToHead(
        a=a, b=b, wins_a=wins_a, wins_b=wins_b, ties=ties,
        win_rate_a=score / n if n else None, ci95=wilson(score, n),
    )  # fmt: skip


@dataclass(slots=True)
class Decision:
    subject: str | None
    verdict: str  # sft_sufficient | consider_dpo | inconclusive
    reason: str
    # Extra judgments of the subject's answers after which the interval would no longer straddle the
    # threshold that matters (at the current rate); None when no number of judgments would settle it.
    more_judgments: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "subject": self.subject, "verdict": self.verdict, "reason": self.reason,
            "more_judgments": self.more_judgments,
        }  # fmt: skip


def _instances_needed(p: float, n: int, fits: object) -> int | None:
    """The smallest total n' >= n at rate p whose Wilson interval satisfies `fits`, by doubling then bisecting."""
    assert callable(fits)
    if fits(wilson(p * n, n)):
        return n
    high = max(n, 1)
    while not fits(wilson(p * high, high)):
        high *= 2
        if high > MAX_EXTRA:
            return None
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if fits(wilson(p * middle, middle)):
            high = middle
        else:
            low = middle
    return high


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def decide(subject: str | None, result: Adherence | None, *, instances_per_judgment: float) -> Decision:
    """sft_sufficient above 90% adherence, consider_dpo below 80%, inconclusive in between or without data."""
    if subject is None:
        return Decision(None, "inconclusive", "There is no candidate under test (only a baseline).", None)
    if result is None or result.overall is None:
        return Decision(
            subject, "inconclusive",
            f"No human judgment of {subject}'s answers on prompts with expected patterns yet.", None,
        )  # fmt: skip
    p, n = result.overall, result.instances
    lo, hi = result.ci95
    where = f"Adherence of {subject} is {_pct(p)} (95% interval {_pct(lo)}-{_pct(hi)}, {n} pattern instances)"
    if p > SFT_SUFFICIENT:
        verdict, threshold = (
            "sft_sufficient",
            f"above {_pct(SFT_SUFFICIENT)}: supervised fine-tuning is enough",
        )
        settled = lo > SFT_SUFFICIENT
        needed = _instances_needed(p, n, lambda ci: ci[0] > SFT_SUFFICIENT)
        side = f"wholly above {_pct(SFT_SUFFICIENT)}"
    elif p < CONSIDER_DPO:
        verdict, threshold = "consider_dpo", f"below {_pct(CONSIDER_DPO)}: consider DPO on top of this model"
        settled = hi < CONSIDER_DPO
        needed = _instances_needed(p, n, lambda ci: ci[1] < CONSIDER_DPO)
        side = f"wholly below {_pct(CONSIDER_DPO)}"
    else:
        verdict = "inconclusive"
        threshold = f"between {_pct(CONSIDER_DPO)} and {_pct(SFT_SUFFICIENT)}: neither clearly enough nor clearly short"
        settled = lo > CONSIDER_DPO and hi < SFT_SUFFICIENT
        if CONSIDER_DPO < p < SFT_SUFFICIENT:
            needed = _instances_needed(p, n, lambda ci: ci[0] > CONSIDER_DPO and ci[1] < SFT_SUFFICIENT)
        else:
            needed = None
        side = f"inside {_pct(CONSIDER_DPO)}-{_pct(SFT_SUFFICIENT)}"
    reason = f"{where}, {threshold}."
    if settled:
        return Decision(subject, verdict, reason + " The interval does not cross the threshold.", 0)
    if needed is None:
        reason += " The rate sits on a threshold; more judgments alone cannot settle it."
        return Decision(subject, verdict, reason, None)
    per = instances_per_judgment if instances_per_judgment > 0 else 1.0
    more = math.ceil((needed - n) / per)
    reason += (
        f" The interval still crosses the threshold; at this rate about {more} more judgments "
        f"({needed - n} more pattern instances) would narrow it to lie {side}."
    )
    return Decision(subject, verdict, reason, more)
