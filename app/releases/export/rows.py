"""Rows for each (kind, format), built from one pair with the release's options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.errors import ValidationFailedError
from app.releases.export.reader import ReleasePair
from app.releases.models import ReleaseFormat, ReleaseKind

Message = dict[str, str]


class SystemPolicy(StrEnum):
    keep = "keep"  # the conversation's own system prompt, when it has one
    set = "set"  # one system prompt for every row, replacing the conversation's
    drop = "drop"  # no system message at all


class ToolsPolicy(StrEnum):
    drop = "drop"  # the assistant's text answer only
    keep = "keep"  # tool calls on assistant messages and tool results as tool messages


class DpoStyle(StrEnum):
    conversational = "conversational"  # TRL explicit prompt with message lists (the recommended shape)
    standard = "standard"  # TRL explicit prompt with plain strings


@dataclass(frozen=True, slots=True)
class RowOptions:
    kind: ReleaseKind
    format: ReleaseFormat
    system_policy: SystemPolicy = SystemPolicy.keep
    system_prompt: str | None = None
    original_chosen: bool = False
    dpo_style: DpoStyle = DpoStyle.conversational
    # IDE/shell context of prompt turns (kept apart at import) written back into the prompt text.
    keep_context: bool = False
    # Standalone policy: rows whose chosen answer still leaks the follow-up are excluded unless kept.
    keep_leaky: bool = False
    # An admin's choice: unreviewed model suggestions count as gold edits (recorded in the manifest).
    use_suggestions: bool = False
    tools: ToolsPolicy = ToolsPolicy.drop

    def __post_init__(self) -> None:
        if self.system_policy == SystemPolicy.set and not (self.system_prompt or "").strip():
            raise ValidationFailedError("system prompt policy 'set' needs a non-empty system prompt")
        if self.system_policy != SystemPolicy.set and self.system_prompt is not None:
            raise ValidationFailedError("a system prompt is only used with the system prompt policy 'set'")
        if self.dpo_style == DpoStyle.standard and not (
            self.kind == ReleaseKind.dpo and self.format == ReleaseFormat.trl
        ):
            raise ValidationFailedError(
                "the standard (plain string) style exists only for DPO in the TRL format"
            )
        if self.tools == ToolsPolicy.keep and self.format == ReleaseFormat.parquet:
            raise ValidationFailedError("tool calls are exported in the JSONL formats (openai, trl) only")
        if self.tools == ToolsPolicy.keep and self.dpo_style == DpoStyle.standard:
            raise ValidationFailedError(
                "tool calls need message lists: use --tools drop with the standard style"
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "system_policy": str(self.system_policy),
            "system_prompt": self.system_prompt,
            "original_chosen": self.original_chosen,
            "dpo_style": str(self.dpo_style) if self.kind == ReleaseKind.dpo else None,
            "keep_context": self.keep_context,
            "standalone": {
                "prompt": "gold prompt if any, else the original",
                "chosen": "original"
                if self.original_chosen
                else "gold answer if any, else the make-standalone transform where it applies, else the original",
                "leaky_rows": "kept" if self.keep_leaky else "excluded",
                "use_unreviewed_suggestions": self.use_suggestions,
            },
            "tools": str(self.tools),
        }


def prompt_messages(pair: ReleasePair, options: RowOptions) -> list[Message]:
    """The prompt as it will be written: the system message follows the release's policy."""
    if options.system_policy == SystemPolicy.keep:
        return pair.prompt
    turns = [m for m in pair.prompt if m["role"] != "system"]
    if options.system_policy == SystemPolicy.set:
        return [{"role": "system", "content": options.system_prompt or ""}, *turns]
    return turns


def row_builder(options: RowOptions) -> Callable[[list[Message], str, str], dict[str, Any]]:
    """One output line/record per pair, with the options' branches taken once per export; key order is fixed
    here, which keeps rebuilt files byte-identical."""
    if options.kind == ReleaseKind.sft:
        return lambda prompt, chosen, _rejected: {
            "messages": [*prompt, {"role": "assistant", "content": chosen}]
        }
    if options.format == ReleaseFormat.openai:
        return lambda prompt, chosen, rejected: {
            "input": {"messages": prompt},
            "preferred_output": [{"role": "assistant", "content": chosen}],
            "non_preferred_output": [{"role": "assistant", "content": rejected}],
        }
    if options.dpo_style == DpoStyle.standard:
        return lambda prompt, chosen, rejected: {
            "prompt": render_prompt_text(prompt),
            "chosen": completion_text(chosen),
            "rejected": completion_text(rejected),
        }
    return lambda prompt, chosen, rejected: {
        "prompt": prompt,
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
    }


_LABELS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def render_prompt_text(prompt: list[Message]) -> str:
    """A chat prompt as plain text for TRL's standard style: labelled turns, ending where the answer starts.

    TRL concatenates prompt and completion without a template in this style; like its documented example
    (prompt "The sky is", chosen " blue.") the prompt ends without trailing whitespace ("Assistant:") and
    the completions start with the space (see `completion_text`), so the prompt tokenizes the same alone
    and joined with the answer.
    """
    parts = [f"{_LABELS.get(m['role'], m['role'].title())}: {m['content']}" for m in prompt]
    parts.append("Assistant:")
    return "\n\n".join(parts)


def completion_text(text: str) -> str:
    """An answer as a standard-style completion: one leading space after "Assistant:"."""
    return " " + text.lstrip()
