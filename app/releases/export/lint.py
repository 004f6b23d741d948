"""The lint report of an export, accumulated row by row while the files are written.

Errors (format errors, fewer than 10 training examples, DPO chosen == rejected) block a fine-tune launch;
warnings (over the token limit, duplicates, an empty validation split, SFT chosen == rejected) do not.
Memory grows only by a 16-byte key and a token count per row, never by the texts (token counting holds a
few batches and a bounded window of recent texts; see `counting`).
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from hashlib import blake2b
from typing import Any

from app.releases.export.checks import (
    FORMAT_ERRORS,
    check_dpo_conversational,
    check_dpo_openai,
    check_dpo_standard,
    check_sft,
    clean_dpo_conversational,
    clean_dpo_openai,
    clean_dpo_standard,
    clean_sft,
)
from app.releases.export.counting import RowTokens
from app.releases.export.rows import DpoStyle, Message, RowOptions
from app.releases.export.split import TRAIN, VALIDATION, normalize_text
from app.releases.export.tokens import (
    DEFAULT_DPO_MODEL,
    DEFAULT_SFT_MODEL,
    PRICES_AS_OF,
    PRICES_SOURCE,
    TokenCounter,
    token_limit,
    training_price,
)
from app.releases.models import ReleaseFormat, ReleaseKind

# A chat app's markup that is no content: ChatGPT's citation and UI markers (the Private Use Area, or their
# text once copied: "citeturn0search0"), its browsing and file-search citations ("【3†source】", "【4:0†report.pdf】"),
# and what its copy button leaves (":contentReference[oaicite:2]{index=2}"). An answer that holds them teaches
# a model to write them.
_APP_MARKUP = re.compile(
    r"[\ue000-\uf8ff]|【\d+(?::\d+)?†|\b(?:cite|filecite|navlist)?turn\d+(?:search|news|file|image|view)\d+\b"
    r"|:contentReference\[oaicite:\d+\]"
)
MIN_EXAMPLES = 10
SAMPLE_LIMIT = 20
ERROR = "error"
WARNING = "warning"

_FORMAT_MESSAGES = {
    "data_type": "a row or message is not a JSON object (or a text field is not a string)",
    "missing_messages_list": "the messages list is missing or empty",
    "message_missing_key": "a message lacks `role` or `content`",
    "message_unrecognized_key": "a message has a key OpenAI does not accept",
    "unrecognized_role": "a message has a role other than system, user, assistant, tool or function",
    "missing_content": "a message has empty or non-text content",
    "example_missing_assistant_message": "an example (or a preference output) has no assistant message",
}


@dataclass(slots=True)
class LintIssue:
    code: str
    severity: str
    message: str
    count: int
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class TokenStats:
    total: int = 0
    min: int = 0
    max: int = 0
    mean: float = 0.0
    p50: int = 0
    p95: int = 0


@dataclass(slots=True)
class CostEstimate:
    """OpenAI's billing rule from the cookbook; an estimate, never a quote."""

    model: str
    epochs: int
    billed_tokens_per_epoch: int
    billed_tokens: int
    usd_per_million: float | None
    cost_usd: float | None
    prices_as_of: str = PRICES_AS_OF
    source: str = PRICES_SOURCE
    note: str = "estimate: training tokens x default epochs at the listed price; check current prices"


@dataclass(slots=True)
class LintReport:
    kind: str
    format: str
    model: str
    encoding: str
    token_limit: int
    rows: dict[str, int]
    format_errors: dict[str, int]
    tokens: TokenStats
    over_limit: int
    duplicates: int
    chosen_equals_rejected: int
    estimate: CostEstimate
    issues: list[LintIssue]
    # {checked, clean, fixed_by_transform, gold_edited, excluded, kept_leaky, excluded_pair_ids}
    standalone: dict[str, Any] | None = None
    app_markup: int = 0

    @property
    def errors(self) -> list[LintIssue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[LintIssue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["has_errors"] = self.has_errors
        return data


def estimate_epochs(n: int) -> int:
    """The cookbook's default: 3 epochs, more for tiny sets (up to 25), fewer for big ones (down to 1)."""
    if n <= 0:
        return 0
    if n * 3 < 100:
        return min(25, 100 // n)
    if n * 3 > 25_000:
        return max(1, 25_000 // n)
    return 3


def default_model(kind: ReleaseKind) -> str:
    return DEFAULT_DPO_MODEL if kind == ReleaseKind.dpo else DEFAULT_SFT_MODEL


def row_checker(options: RowOptions) -> Callable[[Any], Counter[str]]:
    if options.kind == ReleaseKind.sft:
        return check_sft
    if options.format == ReleaseFormat.openai:
        return check_dpo_openai
    return check_dpo_standard if options.dpo_style == DpoStyle.standard else check_dpo_conversational


def clean_row_test(options: RowOptions) -> Callable[[Any], bool]:
    """True for a row on which `row_checker(options)` finds nothing (most rows: checked quickly)."""
    if options.kind == ReleaseKind.sft:
        return clean_sft
    if options.format == ReleaseFormat.openai:
        return clean_dpo_openai
    return clean_dpo_standard if options.dpo_style == DpoStyle.standard else clean_dpo_conversational


class Linter:
    """Feed every written row with `add`, then read `report()`."""

    def __init__(
        self, *, options: RowOptions, model: str | None = None, validation_requested: bool = False
    ) -> None:
        self.options = options
        self.model = model or default_model(options.kind)
        self.limit = token_limit(self.model)
        self.counter = TokenCounter(self.model)
        self.validation_requested = validation_requested
        self._check = row_checker(options)
        self._clean = clean_row_test(options)
        self._format_errors: Counter[str] = Counter()
        self._format_samples: list[dict[str, Any]] = []
        self._rows: Counter[str] = Counter()
        self._train_tokens = array("L")
        self._validation_tokens = array("L")
        self._over: list[dict[str, Any]] = []
        self._over_count = 0
        self._seen: dict[bytes, int] = {}
        self._duplicates: list[dict[str, Any]] = []
        self._duplicate_count = 0
        self._same: list[dict[str, Any]] = []
        self._same_count = 0
        self._markup: list[dict[str, Any]] = []
        self._markup_count = 0
        sft = options.kind == ReleaseKind.sft
        self._standard = (
            not sft and options.dpo_style == DpoStyle.standard and options.format == ReleaseFormat.trl
        )
        # One assistant message around an answer; plain strings (the standard style) have no wrapper.
        self._per_answer = 3 + self.counter.count("assistant")
        self._tokens = RowTokens(self.counter, self.model, dpo=not sft, on_row=self._record_tokens)

    def add(
        self,
        *,
        split: str,
        line: int,
        pair_id: int,
        row: Any,
        prompt: list[Message],
        chosen: str,
        rejected: str,
        group: bytes,
    ) -> None:
        self._rows[split] += 1
        if not self._clean(row) and (errors := self._check(row)):
            self._format_errors.update(errors)
            if len(self._format_samples) < SAMPLE_LIMIT:
                where = {"split": split, "line": line, "pair_id": pair_id}
                self._format_samples.append({**where, "errors": sorted(errors)})
        self._add_tokens((split, line, pair_id), row, prompt, chosen, rejected)
        key = blake2b(group + normalize_text(chosen).encode(), digest_size=16).digest()
        first = self._seen.setdefault(key, pair_id)
        if first != pair_id:
            self._duplicate_count += 1
            if len(self._duplicates) < SAMPLE_LIMIT:
                where = {"split": split, "line": line, "pair_id": pair_id}
                self._duplicates.append({**where, "duplicate_of_pair_id": first})
        answers = (chosen, rejected) if self.options.kind == ReleaseKind.dpo else (chosen,)
        if any(_APP_MARKUP.search(answer) is not None for answer in answers):
            self._markup_count += 1
            if len(self._markup) < SAMPLE_LIMIT:
                self._markup.append({"split": split, "line": line, "pair_id": pair_id})
        if chosen.strip() == rejected.strip():
            self._same_count += 1
            if len(self._same) < SAMPLE_LIMIT:
                self._same.append({"split": split, "line": line, "pair_id": pair_id})

    def _add_tokens(
        self, where: tuple[str, int, int], row: Any, prompt: list[Message], chosen: str, rejected: str
    ) -> None:
        """Queue the row's token count: (tokens of the whole example, tokens of its longest trained
        sequence), reported to `_record_tokens` once its batch is counted.

        The cookbook's estimate for a message list is 3 + per message (3 + its text values + 1 for a
        `name`); an answer of a preference pair is one assistant message (3 + "assistant" + its text). Short
        values (roles) are counted here from a cache; the longer texts go to the batch.
        """
        head_texts: list[str] = []
        if self._standard:
            # Plain strings: the prompt text as written, and the answers without a message wrapper.
            prompt_text = row.get("prompt") if isinstance(row, dict) else None
            if isinstance(prompt_text, str):
                head_texts.append(prompt_text)
            self._tokens.add(where, 0, head_texts, 0, chosen, 0, rejected)
            return
        count = self.counter.count
        head = 3
        for message in prompt:
            head += 3
            for key, value in message.items():
                if isinstance(value, str):
                    if len(value) <= 16:
                        head += count(value)
                    else:
                        head_texts.append(value)
                if key == "name":
                    head += 1
        self._tokens.add(where, head, head_texts, self._per_answer, chosen, self._per_answer, rejected)

    def _record_tokens(self, where: tuple[str, int, int], tokens: int, longest: int) -> None:
        split, line, pair_id = where
        (self._validation_tokens if split == VALIDATION else self._train_tokens).append(tokens)
        if longest > self.limit:
            self._over_count += 1
            if len(self._over) < SAMPLE_LIMIT:
                self._over.append({"split": split, "line": line, "pair_id": pair_id, "tokens": longest})

    def close(self) -> None:
        """Stop counting (a failed export); `report` does this itself."""
        self._tokens.close()

    def report(self) -> LintReport:
        self._tokens.finish()
        train_n = self._rows[TRAIN]
        issues: list[LintIssue] = [
            LintIssue(
                code, ERROR, _FORMAT_MESSAGES[code], self._format_errors[code], self._samples_with(code)
            )
            for code in FORMAT_ERRORS
            if self._format_errors[code]
        ]
        if train_n < MIN_EXAMPLES:
            issues.append(
                LintIssue(
                    "too_few_examples",
                    ERROR,
                    f"{train_n} training examples; OpenAI needs at least {MIN_EXAMPLES} (50+ recommended)",
                    train_n,
                )
            )
        if self._same_count:
            dpo = self.options.kind == ReleaseKind.dpo
            issues.append(
                LintIssue(
                    "chosen_equals_rejected",
                    ERROR if dpo else WARNING,
                    "chosen and rejected are the same text"
                    + ("" if dpo else " (harmless for SFT, suspicious)"),
                    self._same_count,
                    self._same,
                )
            )
        if self._over_count:
            issues.append(
                LintIssue(
                    "over_token_limit",
                    WARNING,
                    f"examples longer than {self.limit} tokens are truncated by {self.model}",
                    self._over_count,
                    self._over,
                )
            )
        if self._duplicate_count:
            issues.append(
                LintIssue(
                    "duplicates",
                    WARNING,
                    "examples repeat an earlier prompt with the same chosen answer",
                    self._duplicate_count,
                    self._duplicates,
                )
            )
        if self._markup_count:
            issues.append(
                LintIssue(
                    "app_markup",
                    WARNING,
                    "answers hold a chat app's citation or UI markup (【3†source】, citeturn0search0, "
                    "Private Use Area characters): edit them out, or the model learns to write them",
                    self._markup_count,
                    self._markup,
                )
            )
        if self.validation_requested and not self._rows[VALIDATION]:
            issues.append(
                LintIssue(
                    "empty_validation",
                    WARNING,
                    "the validation split came out empty (too few distinct prompts for the fraction)",
                    0,
                )
            )
        return LintReport(
            kind=str(self.options.kind),
            format=str(self.options.format),
            model=self.model,
            encoding=self.counter.encoding_name,
            token_limit=self.limit,
            rows={TRAIN: train_n, VALIDATION: self._rows[VALIDATION]},
            format_errors={code: self._format_errors[code] for code in FORMAT_ERRORS},
            tokens=_stats([*self._train_tokens, *self._validation_tokens]),
            over_limit=self._over_count,
            duplicates=self._duplicate_count,
            chosen_equals_rejected=self._same_count,
            estimate=self._estimate(),
            issues=issues,
            app_markup=self._markup_count,
        )

    def _samples_with(self, code: str) -> list[dict[str, Any]]:
        return [sample for sample in self._format_samples if code in sample["errors"]]

    def _estimate(self) -> CostEstimate:
        epochs = estimate_epochs(len(self._train_tokens))
        per_epoch = sum(min(self.limit, tokens) for tokens in self._train_tokens)
        price = training_price(self.model)
        billed = per_epoch * epochs
        return CostEstimate(
            model=self.model,
            epochs=epochs,
            billed_tokens_per_epoch=per_epoch,
            billed_tokens=billed,
            usd_per_million=price.usd_per_million if price else None,
            cost_usd=round(billed * price.usd_per_million / 1_000_000, 4) if price else None,
        )


def _stats(values: list[int]) -> TokenStats:
    if not values:
        return TokenStats()
    values.sort()
    n = len(values)
    return TokenStats(
        total=sum(values),
        min=values[0],
        max=values[-1],
        mean=round(sum(values) / n, 2),
        p50=values[(n - 1) // 2],
        p95=values[min(n - 1, (95 * n) // 100)],
    )
