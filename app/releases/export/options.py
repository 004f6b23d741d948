"""The export options, declared once: web form, both CLI commands, the stored release row and the writers."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.errors import ValidationFailedError
from app.releases.export.reader import ReleaseFilters
from app.releases.export.rows import DpoStyle, RowOptions, SystemPolicy, ToolsPolicy
from app.releases.export.split import check_fraction
from app.releases.models import DatasetRelease, ReleaseFormat, ReleaseKind


class ExportStatus(StrEnum):
    """Pair statuses an export may take: ties and "not a pair" have no preferred answer (noise)."""

    accepted = "accepted"
    candidate = "candidate"
    conflict = "conflict"


_WHAT = {
    "kind": "kind",
    "format": "format",
    "system_policy": "system prompt policy",
    "dpo_style": "DPO style",
    "tools": "tools policy",
}
# The Hugging Face dataset card's license field; "other" until the admin names one.
DEFAULT_LICENSE = "other"
_LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}")


class ExportFilterOptions(BaseModel):
    """Which pairs an export takes (the release form's live count reads these alone); unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: ExportStatus = ExportStatus.accepted
    min_score: float | None = Field(default=None, ge=0, le=1)
    source: str | None = Field(default=None, max_length=200)
    patterns_present: tuple[str, ...] = ()
    patterns_absent: tuple[str, ...] = ()

    @field_validator("patterns_present", "patterns_absent", mode="after")
    @classmethod
    def _sorted(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _disjoint(self) -> ExportFilterOptions:
        if set(self.patterns_present) & set(self.patterns_absent):
            raise ValidationFailedError("a pattern cannot be both required and excluded")
        return self

    @property
    def filters(self) -> ReleaseFilters:
        return ReleaseFilters(
            status=self.status.value,
            min_score=self.min_score,
            source=self.source,
            patterns_present=self.patterns_present,
            patterns_absent=self.patterns_absent,
        )


class ExportOptions(ExportFilterOptions):
    """Which pairs an export takes and how its rows look; unknown fields are refused."""

    kind: ReleaseKind
    format: ReleaseFormat
    split: float = 0.0
    seed: int = Field(default=0, ge=0, le=2**31)
    system_policy: SystemPolicy = SystemPolicy.keep
    system_prompt: str | None = Field(default=None, max_length=20_000)
    original_chosen: bool = False
    dpo_style: DpoStyle = DpoStyle.conversational
    model: str | None = Field(default=None, max_length=100)
    # IDE/shell context blocks of prompt turns (moved out of user text at import) written back into prompts.
    keep_context: bool = False
    # Standalone policy: rows whose chosen answer still leaks the follow-up are excluded unless kept.
    keep_leaky: bool = False
    # An admin's choice: unreviewed model suggestions count as gold edits (recorded in the manifest).
    use_suggestions: bool = False
    tools: ToolsPolicy = ToolsPolicy.drop
    license: str = DEFAULT_LICENSE

    @field_validator("license", mode="after")
    @classmethod
    def _license(cls, value: str) -> str:
        if not _LICENSE.fullmatch(value):
            raise ValueError(f"{value!r} must be a license identifier such as apache-2.0, cc-by-4.0 or other")
        return value

    @field_validator("split", mode="after")
    @classmethod
    def _fraction(cls, value: float) -> float:
        check_fraction(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ExportOptions:
        self.rows  # noqa: B018 - RowOptions checks the system prompt policy and the DPO style
        return self

    @classmethod
    def parse(cls, **values: Any) -> ExportOptions:
        """The options from keyword values, or one ValidationFailedError naming the field in words."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ValidationFailedError(_in_words(exc)) from None

    @classmethod
    def of_release(cls, release: DatasetRelease) -> ExportOptions:
        """The options stored on a release row: a rebuild needs nothing else."""
        filters, options = release.filters, release.options
        standalone = options.get("standalone", {})
        return cls.parse(
            kind=release.kind, format=release.format, **filters, split=release.split, seed=release.seed,
            system_policy=options["system_policy"], system_prompt=options["system_prompt"],
            original_chosen=options["original_chosen"], dpo_style=options["dpo_style"] or "conversational",
            model=options.get("model"), keep_context=options.get("keep_context", False),
            keep_leaky=standalone.get("leaky_rows") == "kept",
            use_suggestions=bool(standalone.get("use_unreviewed_suggestions")),
            tools=options.get("tools", ToolsPolicy.drop), license=options.get("license", DEFAULT_LICENSE),
        )  # fmt: skip

    @property
    def rows(self) -> RowOptions:
        return RowOptions(
            kind=self.kind,
            format=self.format,
            system_policy=self.system_policy,
            system_prompt=self.system_prompt,
            original_chosen=self.original_chosen,
            dpo_style=self.dpo_style,
            keep_context=self.keep_context,
            keep_leaky=self.keep_leaky,
            use_suggestions=self.use_suggestions,
            tools=self.tools,
        )

    def row_columns(self) -> dict[str, Any]:
        """The release row's kind, format, filters, options, split and seed (the stored JSON shape)."""
        return {
            "kind": self.kind.value,
            "format": self.format.value,
            "filters": self.filters.to_json(),
            "options": {**self.rows.to_json(), "model": self.model, "license": self.license},
            "split": self.split,
            "seed": self.seed,
        }


def _in_words(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "options"
    value = error.get("input")
    if error["type"] == "enum" and field == "status":
        choices = ", ".join(sorted(ExportStatus))
        return f"cannot export pairs with status {value!r}; choose one of: {choices}"
    if error["type"] == "enum" and field in _WHAT:
        enum = ExportOptions.model_fields[field].annotation
        choices = ", ".join(m.value for m in enum) if isinstance(enum, type) else ""
        return f"unknown {_WHAT[field]} {value!r}; choose one of: {choices}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message}"
