"""What a release would do to its rows before it is built: how many are clean, fixed and excluded."""

from __future__ import annotations

from sqlmodel import Session

from app.releases.export.options import ExportOptions
from app.releases.export.reader import iter_release_pairs
from app.releases.export.rows import SystemPolicy, prompt_messages
from app.releases.export.standalone import StandaloneTally, resolve


def standalone_counts(session: Session, *, spec: ExportOptions) -> StandaloneTally:
    """Run the standalone policy over the pairs the release would take, writing nothing."""
    options = spec.rows
    tally = StandaloneTally()
    for pair in iter_release_pairs(session, filters=spec.filters, with_suggestions=options.use_suggestions):
        prompt = pair.prompt if options.system_policy == SystemPolicy.keep else prompt_messages(pair, options)
        resolved = resolve(
            pair,
            prompt=prompt,
            original_chosen=options.original_chosen,
            keep_leaky=options.keep_leaky,
            use_suggestions=options.use_suggestions,
        )
        tally.add(pair.id, resolved.outcome)
    return tally
