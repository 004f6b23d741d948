"""What a release would do to its rows before it is built: how many are clean, fixed and excluded."""

from __future__ import annotations

from sqlmodel import Session

from app.releases.export import ExportSpec
from app.releases.formats import SystemPolicy, prompt_messages
from app.releases.reader import iter_release_pairs
from app.releases.standalone import StandaloneTally, resolve


def standalone_counts(session: Session, *, spec: ExportSpec) -> StandaloneTally:
    """Run the standalone policy over the pairs the release would take, writing nothing."""
    options = spec.options
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
