"""A training run's hyperparameters, declared once: one Pydantic model per backend and method.

Each field carries its type, default, label (`title`), help (`description`) and bounds (`Range`); the launch
form, `pairwise train --param`, the stored run JSON and the backends all read the same model. Unknown names are
refused (extra="forbid") and every error names the field in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from app.errors import ValidationFailedError
from app.training.models import Backend, Method, TrainingRun

Auto = Literal["auto"]
AUTO: Auto = "auto"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
# The launch form names a hyperparameter `p_<name>`.
FORM_PREFIX = "p_"


@dataclass(frozen=True, slots=True)
class Range:
    """A numeric field's bounds (field metadata: `Annotated[int, Range(1, 50)]`)."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False

    def words(self, *, allow_auto: bool) -> str:
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}"
        high = "" if self.maximum is None else f"≤ {self.maximum:g}"
        parts = [p for p in (low, high) if p]
        if allow_auto:
            parts.append("or auto")
        return ", ".join(parts)

    def holds(self, number: float) -> bool:
        if self.minimum is not None and (
            number <= self.minimum if self.exclusive_minimum else number < self.minimum
        ):
            return False
        return self.maximum is None or number <= self.maximum


@dataclass(frozen=True, slots=True)
class FormField:
    """One hyperparameter as the launch form shows it."""

    name: str
    label: str
    help: str
    default: int | float | bool | str
    kind: type
    allow_auto: bool
    bounds: str

    @property
    def is_bool(self) -> bool:
        return self.kind is bool

    @property
    def field(self) -> str:
        return FORM_PREFIX + self.name


class Hyperparameters(BaseModel):
    """The base of every backend's and method's model: parsing in words, the form, the stored JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: ClassVar[Backend]
    method: ClassVar[Method]

    @field_validator("*", mode="before")
    @classmethod
    def _parse(cls, raw: Any, info: ValidationInfo) -> Any:
        """A value from a form, the CLI or JSON: empty means the default; text becomes the field's type."""
        name = info.field_name or ""
        spec = cls.form_field(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return cls.model_fields[name].default
        if isinstance(raw, str):
            raw = raw.strip()
            if raw.lower() == AUTO:
                if spec.allow_auto:
                    return AUTO
                raise ValueError(f"{name} cannot be auto here; give a number")
        if spec.kind is bool:
            return _boolean(name, raw)
        number = _number(name, raw, whole=spec.kind is int)
        bounds = _range(cls, name)
        if bounds is not None and not bounds.holds(number):
            raise ValueError(f"{name} must be {spec.bounds}, not {raw}")
        return number

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Self:
        """The hyperparameters from raw values (form, CLI, JSON), or one ValidationFailedError in words."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise ValidationFailedError(_in_words(cls, exc)) from None

    @classmethod
    def stored(cls, values: Mapping[str, Any]) -> Self:
        """What a run row stored. Names an older version stored and this one no longer knows are skipped (the
        row keeps them); names added since (gradient_checkpointing, packing) take their defaults."""
        return cls.parse({k: v for k, v in values.items() if k in cls.model_fields})

    @classmethod
    def form_field(cls, name: str) -> FormField:
        info = cls.model_fields[name]
        members = [_bare(a) for a in get_args(info.annotation)] or [info.annotation]
        kind = next(k for k in members if k in (bool, int, float))
        allow_auto = Auto in get_args(info.annotation)
        bounds = _range(cls, name)
        return FormField(
            name=name,
            label=info.title or name,
            help=info.description or "",
            default=info.default,
            kind=kind,
            allow_auto=allow_auto,
            bounds=bounds.words(allow_auto=allow_auto) if bounds else "",
        )

    @classmethod
    def form_fields(cls) -> list[FormField]:
        return [cls.form_field(name) for name in cls.model_fields]

    @classmethod
    def form_values(cls, form: Mapping[str, str], *, ignore: frozenset[str] = frozenset()) -> dict[str, str]:
        """The raw values of the launch form's `p_*` fields: an unticked checkbox is false, a blank field the
        default; names in `ignore` that this model lacks (the other method's fields, left in the form after a
        switch) are dropped. Anything else unknown stays, for `parse` to refuse."""
        values = {
            key.removeprefix(FORM_PREFIX): raw
            for key, raw in form.items()
            if key.removeprefix(FORM_PREFIX) in cls.model_fields
            or key.removeprefix(FORM_PREFIX) not in ignore
        }
        for spec in cls.form_fields():
            if spec.is_bool:
                values[spec.name] = "true" if values.get(spec.name) else "false"
        return values

    def to_json(self) -> dict[str, Any]:
        """The stored shape: every field, resolved."""
        return self.model_dump(mode="json")


def _bare(annotation: Any) -> Any:
    """`int` of `Annotated[int, Range(...)]`."""
    return get_args(annotation)[0] if hasattr(annotation, "__metadata__") else annotation


def _range(model: type[Hyperparameters], name: str) -> Range | None:
    info = model.model_fields[name]
    found = [m for m in info.metadata if isinstance(m, Range)]
    for arg in get_args(info.annotation):
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Range)]
    return found[0] if found else None


def _boolean(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def _number(name: str, raw: Any, *, whole: bool) -> int | float:
    try:
        if isinstance(raw, bool):
            raise ValueError
        if whole:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError
            return int(raw)
        number = float(raw)
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind}, not {raw!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a number")
    return number


def _in_words(model: type[Hyperparameters], exc: ValidationError) -> str:
    errors = exc.errors()
    unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and e["loc"])
    if unknown:
        known = ", ".join(sorted(model.model_fields))
        return f"unknown hyperparameter {unknown[0]!r} for {model.backend}; known: {known}"
    error = errors[0]
    name = str(error["loc"][0]) if error["loc"] else "hyperparameters"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if message.startswith(name) else f"{name}: {message}"


# ------------------------------------------------------------------------ the OpenAI-compatible API


class OpenAISupervised(Hyperparameters):
    backend = Backend.openai
    method = Method.supervised

    n_epochs: Annotated[int, Range(1, 50)] | Auto = Field(
        AUTO, title="Epochs", description="Passes over the training file."
    )
    batch_size: Annotated[int, Range(1, 256)] | Auto = Field(
        AUTO, title="Batch size", description="Examples per batch."
    )
    learning_rate_multiplier: Annotated[float, Range(0, 100, exclusive_minimum=True)] | Auto = Field(
        AUTO, title="Learning rate multiplier", description="Scales the provider's learning rate."
    )


class OpenAIDpo(OpenAISupervised):
    method = Method.dpo

    beta: Annotated[float, Range(0, 2, exclusive_minimum=True)] | Auto = Field(
        AUTO,
        title="Beta (DPO)",
        description="How far the model may move from the reference; higher is more conservative.",
    )


# ---------------------------------------------------------------------------------- TRL on a worker


class TrlHyperparameters(Hyperparameters):
    """The fields both TRL methods take."""

    backend = Backend.trl

    n_epochs: Annotated[int, Range(1, 50)] = Field(
        1, title="Epochs", description="Passes over the training file (max_steps overrides)."
    )
    batch_size: Annotated[int, Range(1, 256)] | Auto = Field(
        4,
        title="Batch size",
        description="Examples per device and step; auto sizes it from the model, max length and GPU memory "
        "(1 on CPU).",
    )
    learning_rate: Annotated[float, Range(0, 1, exclusive_minimum=True)] = Field(
        2e-5, title="Learning rate", description="Peak learning rate."
    )
    max_steps: Annotated[int, Range(-1, 10_000_000)] = Field(
        -1, title="Max steps", description="Stop after this many steps; -1 trains the full epochs."
    )
    max_length: Annotated[int, Range(16, 131_072)] = Field(
        1024, title="Max length", description="Tokens per example; longer ones are truncated."
    )
    gradient_accumulation_steps: Annotated[int, Range(1, 1024)] = Field(
        1, title="Gradient accumulation", description="Steps per optimizer update."
    )
    warmup_ratio: Annotated[float, Range(0, 1)] = Field(
        0.0, title="Warmup ratio", description="Share of steps spent warming up the learning rate."
    )
    logging_steps: Annotated[int, Range(1, 1_000_000)] = Field(
        10, title="Log every", description="Steps between metric points on the run page."
    )
    lora: bool = Field(False, title="LoRA", description="Train a LoRA adapter (peft) instead of all weights.")
    gradient_checkpointing: bool = Field(
        False,
        title="Gradient checkpointing",
        description="Recompute activations in the backward pass: less memory (larger batches), about 30% more "
        "compute.",
    )
    lora_r: Annotated[int, Range(1, 1024)] = Field(
        16, title="LoRA rank", description="Adapter rank (with LoRA)."
    )
    lora_alpha: Annotated[int, Range(1, 4096)] = Field(
        32, title="LoRA alpha", description="Adapter scaling (with LoRA)."
    )
    lora_dropout: Annotated[float, Range(0, 0.99)] = Field(
        0.05, title="LoRA dropout", description="Adapter dropout (with LoRA)."
    )


class TrlSupervised(TrlHyperparameters):
    method = Method.supervised

    packing: bool = Field(
        False,
        title="Packing",
        description="Pack several examples per sequence; padding-free when flash attention is installed on the "
        "GPU.",
    )


class TrlDpo(TrlHyperparameters):
    method = Method.dpo

    learning_rate: Annotated[float, Range(0, 1, exclusive_minimum=True)] = Field(
        1e-6, title="Learning rate", description="Peak learning rate (DPO wants it small)."
    )
    beta: Annotated[float, Range(0, 10, exclusive_minimum=True)] = Field(
        0.1, title="Beta", description="KL penalty: higher keeps the model closer to the reference."
    )


MODELS: dict[tuple[Backend, Method], type[Hyperparameters]] = {
    (m.backend, m.method): m for m in (OpenAISupervised, OpenAIDpo, TrlSupervised, TrlDpo)
}


def hyperparameters_for(backend: str, method: str) -> type[Hyperparameters]:
    """The model of `backend`'s hyperparameters for `method`."""
    try:
        return MODELS[(Backend(backend), Method(method))]
    except ValueError:
        raise ValidationFailedError(
            f"no hyperparameters for backend {backend!r} and method {method!r}; backends: "
            f"{', '.join(Backend)}, methods: {', '.join(Method)}"
        ) from None


def form_names(backend: str) -> frozenset[str]:
    """Every hyperparameter name `backend` takes under any method (what a form may still carry)."""
    return frozenset(name for (b, _), model in MODELS.items() if b == backend for name in model.model_fields)


def hyperparameters_of(run: TrainingRun) -> Hyperparameters:
    """A stored run's hyperparameters, typed (rows written by older versions load too)."""
    return hyperparameters_for(run.backend, run.method).stored(run.hyperparameters)
