"""Streaming an export: read pairs, build rows, assign splits, write files and lint, in one pass.

The per-row loop is the export's hot path (100k pairs in about a second): option branches are decided
once, files are hashed and written on writer threads, and the lint counts tokens in batches, partly in a
worker process (see `counting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.errors import ValidationFailedError
from app.releases.export.lint import Linter, LintReport
from app.releases.export.options import ExportOptions
from app.releases.export.reader import iter_release_pairs
from app.releases.export.rows import RowOptions, SystemPolicy, ToolsPolicy, prompt_messages, row_builder
from app.releases.export.split import TRAIN, VALIDATION, prompt_group, splitter
from app.releases.export.standalone import Outcome, StandaloneTally, resolve
from app.releases.export.tools import answer_messages, tool_row_builder
from app.releases.export.writers import JsonlWriter, ParquetWriter, RowWriter, WrittenFile
from app.releases.models import ReleaseFormat


@dataclass(slots=True)
class ExportedFile:
    split: str
    path: Path
    rows: int
    sha256: str
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "name": self.path.name,
            "path": str(self.path),
            "rows": self.rows,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }


@dataclass(slots=True)
class ExportResult:
    files: list[ExportedFile]
    counts: dict[str, int]
    lint: LintReport | None = None
    standalone: StandaloneTally | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "files": [f.to_json() for f in self.files],
            "counts": self.counts,
            "lint": self.lint.to_json() if self.lint else None,
            "standalone": self.standalone.to_json() if self.standalone else None,
        }


def _starts_with_assistant(prompt: list[dict[str, str]]) -> bool:
    """Whether the first non-system message of a prompt is the assistant's."""
    return next((m["role"] for m in prompt if m["role"] != "system"), None) == "assistant"


def validation_path(out: Path) -> Path:
    """`train.jsonl` -> `train.validation.jsonl` (the suffix stays last so tools still recognize it)."""
    return out.with_name(f"{out.stem}.validation{out.suffix}")


def write_dataset(
    session: Session, *, spec: ExportOptions, paths: dict[str, Path], lint: bool = True
) -> ExportResult:
    """Write every matching pair to the file of its split (`paths`: train, and validation when splitting)."""
    if spec.split > 0 and VALIDATION not in paths:
        raise ValueError("a split needs a validation path")
    options = spec.rows
    linter = Linter(options=options, model=spec.model, validation_requested=spec.split > 0) if lint else None
    writers: dict[str, RowWriter] = {}
    try:
        for split, path in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            writers[split] = _open(path, options)
        lines = {TRAIN: 0, VALIDATION: 0}
        gold_edited = 0
        assistant_first = 0
        # The options' branches are taken once here, not once per row.
        keep_system = options.system_policy == SystemPolicy.keep
        original_chosen = options.original_chosen
        build = row_builder(options)
        assign = splitter(fraction=spec.split, seed=spec.seed)
        needs_group = spec.split > 0 or linter is not None
        write = {split: writer.write for split, writer in writers.items()}
        tally = StandaloneTally()
        keep_tools = options.tools == ToolsPolicy.keep
        build_with_tools = tool_row_builder(options)
        pairs = iter_release_pairs(
            session,
            filters=spec.filters,
            with_context=options.keep_context,
            with_suggestions=options.use_suggestions,
            with_blocks=keep_tools,
        )
        for pair in pairs:
            resolved = resolve(
                pair,
                prompt=pair.prompt if keep_system else prompt_messages(pair, options),
                original_chosen=original_chosen,
                keep_leaky=options.keep_leaky,
                use_suggestions=options.use_suggestions,
            )
            if _starts_with_assistant(resolved.prompt):
                # A row must open with what a person asked (a lost slash command once left only the answer).
                assistant_first += 1
                continue
            tally.add(pair.id, resolved.outcome)
            if resolved.outcome == Outcome.excluded:
                continue
            prompt, chosen = resolved.prompt, resolved.chosen
            if keep_tools:
                row = build_with_tools(
                    prompt,
                    answer_messages(pair.chosen_blocks, chosen),
                    answer_messages(pair.rejected_blocks, pair.rejected),
                )
            else:
                row = build(prompt, chosen, pair.rejected)
            if needs_group:
                group = prompt_group(prompt)
                split = assign(group)
            else:
                group, split = b"", TRAIN
            write[split](row)
            lines[split] += 1
            if resolved.outcome == Outcome.gold_edited:
                gold_edited += 1
            if linter is not None:
                linter.add(
                    split=split,
                    line=lines[split],
                    pair_id=pair.id,
                    row=row,
                    prompt=prompt,
                    chosen=chosen,
                    rejected=pair.rejected,
                    group=group,
                )
        # Before the files are closed: the last token counts may still raise, and then nothing is kept.
        report = linter.report() if linter is not None else None
        if report is not None:
            report.standalone = tally.to_json()
        written = {split: writer.close() for split, writer in writers.items()}
    except BaseException:
        for writer in writers.values():
            writer.abort()
        if linter is not None:
            linter.close()
        raise
    return ExportResult(
        files=[_exported(split, written[split]) for split in (TRAIN, VALIDATION) if split in written],
        counts={
            TRAIN: lines[TRAIN],
            VALIDATION: lines[VALIDATION],
            "total": lines[TRAIN] + lines[VALIDATION],
            "gold_edited": gold_edited,
            "skipped_assistant_first": assistant_first,
        },
        lint=report,
        standalone=tally,
    )


def _open(path: Path, options: RowOptions) -> RowWriter:
    if options.format == ReleaseFormat.parquet:
        return ParquetWriter(path, kind=options.kind)
    return JsonlWriter(path)


def _exported(split: str, written: WrittenFile) -> ExportedFile:
    return ExportedFile(split, written.path, written.rows, written.sha256, written.bytes)


def export_file(
    session: Session, *, out: Path, options: ExportOptions | None = None, lint: bool = True, **values: Any
) -> ExportResult:
    """Export to `out` (plus `out` with `.validation` before the suffix when splitting); no DB writes.

    The options come as an ExportOptions or as its fields (`values`), validated before anything is written.
    """
    spec = options if options is not None else ExportOptions.parse(**values)
    paths = {TRAIN: out}
    if spec.split > 0:
        paths[VALIDATION] = validation_path(out)
    if out.is_dir():
        raise ValidationFailedError(f"{out} is a folder; give a file path such as {out / 'train.jsonl'}")
    return write_dataset(session, spec=spec, paths=paths, lint=lint)
