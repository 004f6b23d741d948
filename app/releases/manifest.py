"""The release manifest and the Hugging Face dataset card: both depend only on the release's content.

No ids, users or timestamps go in (those live on the database row), so rebuilding a release gives a
byte-identical manifest too and `manifest_sha256` identifies the content.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow

from app.releases.export.dataset import ExportResult
from app.releases.export.options import ExportOptions
from app.releases.export.standalone import STANDALONE_KEYS
from app.releases.models import ReleaseFormat, ReleaseKind

MANIFEST_NAME = "manifest.json"
CARD_NAME = "README.md"
SCHEMA = "pairwise.release/1"


def manifest_bytes(
    *,
    name: str,
    spec: ExportOptions,
    result: ExportResult,
    extra_files: list[dict[str, Any]],
    taxonomy_version_id: int | None,
) -> bytes:
    options = spec.rows
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "name": name,
        "kind": str(options.kind),
        "format": str(options.format),
        "filters": spec.filters.to_json(),
        "options": options.to_json(),
        "split": {"validation_fraction": spec.split, "seed": spec.seed, "grouped_by": "normalized prompt"},
        "taxonomy_version_id": taxonomy_version_id,
        "counts": result.counts,
        "files": [
            *(
                {"name": f.path.name, "split": f.split, "rows": f.rows, "sha256": f.sha256, "bytes": f.bytes}
                for f in result.files
            ),
            *extra_files,
        ],
        "lint": result.lint.to_json() if result.lint else None,
        "standalone": result.standalone.to_json() if result.standalone else None,
        "license": spec.license,
    }
    if options.format == ReleaseFormat.parquet:
        # Parquet files name their writer; the same pyarrow version is needed for identical bytes.
        data["writer"] = {"pyarrow": pyarrow.__version__}
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def dataset_card(*, name: str, spec: ExportOptions, result: ExportResult) -> str:
    """A README.md whose YAML header lets `datasets` find the splits; the body says what the data is."""
    options = spec.rows
    sft = options.kind == ReleaseKind.sft
    splits = [f for f in result.files if f.path.suffix == ".parquet"]
    yaml_files = "".join(f"  - split: {f.split}\n    path: {f.path.name}\n" for f in splits)
    columns = (
        "- `messages`: list of `{role, content}`: the prompt (system message first when present) and the "
        "chosen assistant answer last."
        if sft
        else "- `prompt`: list of `{role, content}` messages (system message first when present).\n"
        "- `chosen`: one assistant message, the preferred answer.\n"
        "- `rejected`: one assistant message, the answer before the user's pushback."
    )
    counts = "\n".join(f"| {f.split} | {f.rows} | `{f.sha256}` |" for f in splits)
    filters = spec.filters.to_json()
    lint = result.lint
    lint_line = (
        f"{len(lint.errors)} errors, {len(lint.warnings)} warnings; {lint.tokens.total} tokens "
        f"({lint.encoding}); see manifest.json."
        if lint
        else "not run."
    )
    loader = ", ".join(f'"{f.split}": "{f.path.name}"' for f in splits)
    return (
        "---\n"
        "configs:\n"
        "- config_name: default\n"
        "  data_files:\n"
        f"{yaml_files}"
        f"license: {spec.license}\n"
        "task_categories:\n"
        "- text-generation\n"
        "tags:\n"
        f"- {'sft' if sft else 'dpo'}\n"
        "- pairwise\n"
        "---\n\n"
        f"# {_md_text(name)}\n\n"
        f"{'Supervised fine-tuning' if sft else 'Preference (DPO)'} data exported by Pairwise from real "
        "assistant conversations in which a user pushed back and the assistant revised its answer; "
        "reviewers confirmed which answer is better.\n\n"
        "## Columns\n\n"
        f"{columns}\n\n"
        "## Splits\n\n"
        "| split | rows | sha256 |\n|---|---|---|\n"
        f"{counts}\n\n"
        "No prompt appears in more than one split "
        "(grouped by normalized prompt, assigned by a seeded hash).\n\n"
        "## How it was built\n\n"
        f"- pair status: `{filters['status']}`; minimum score: `{filters['min_score']}`; source: "
        f"`{filters['source']}`\n"
        f"- patterns required: `{filters['patterns_present']}`; excluded: `{filters['patterns_absent']}`\n"
        f"- validation fraction: `{spec.split}`, seed: `{spec.seed}`\n"
        f"- system prompt: `{options.system_policy}`; chosen answer: "
        f"`{'original' if options.original_chosen else 'gold edit when present'}`\n"
        f"- {_standalone_line(spec, result)}\n"
        f"- lint: {lint_line}\n\n"
        "## How rows were made\n\n"
        "Each row comes from one exchange: a user's question, the assistant's first answer, the user's "
        "pushback, and the assistant's revised answer. The pushback is not exported, so the revised answer "
        "must stand on its own as a reply to the question: the prompt is the reviewer's gold prompt when "
        "there is one (the pushback's new facts folded into the question), else the original question; the "
        "chosen answer is the reviewer's gold edit when there is one, else the revised answer with a leading "
        "acknowledgement of the pushback removed when that leaves a standalone answer, else the revised "
        "answer as written. Rows whose chosen answer still addresses the pushback or relies on facts only the "
        "pushback gave are counted in manifest.json (`standalone`) and "
        f"{'kept' if spec.keep_leaky else 'left out'}.\n\n"
        "## Loading\n\n"
        "```python\n"
        "from datasets import load_dataset\n\n"
        f'dataset = load_dataset("parquet", data_files={{{loader}}})\n'
        "```\n"
    )


def _standalone_line(spec: ExportOptions, result: ExportResult) -> str:
    options = spec
    counts = result.standalone.to_json() if result.standalone else {}
    summary = ", ".join(f"{k.replace('_', ' ')} {counts[k]}" for k in STANDALONE_KEYS if k in counts)
    suggestions = "; unreviewed model suggestions used as gold" if options.use_suggestions else ""
    return (
        f"standalone rows: leaky rows {'kept' if options.keep_leaky else 'excluded'}{suggestions}; "
        f"tools `{options.tools}`; {summary or 'not counted'}"
    )


def _md_text(text: str) -> str:
    """One line of plain text in a Markdown heading (names are user input)."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;") or "Pairwise release"
