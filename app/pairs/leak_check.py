"""Leak findings as stored on a pair, computed from texts at detection, re-detection and migration."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from app.pairs.leaks import LEAK_DETECTOR_VERSION, leak_fields, make_standalone
from app.pairs.views_data import PairDetail


def check_unchecked_pairs(connection: Connection, *, batch_size: int = 500) -> int:
    """Fill the leak columns of every pair not checked by the current detector; returns how many were checked.

    Plain SQL on a connection, so the migration can run it without the ORM models of a later schema.
    """
    checked = 0
    last_id = 0
    update = text(
        "UPDATE pair SET leak_kinds = :leak_kinds, leak_spans = :leak_spans, leak_detector = :leak_detector "
        "WHERE id = :id"
    ).bindparams(bindparam("leak_spans", type_=_json_type(connection)))
    while True:
        pairs = connection.execute(
            text(
                "SELECT id, conversation_id, second_turn_id, pushback_turn_id, prompt_end_index FROM pair "
                "WHERE id > :last AND (leak_detector IS NULL OR leak_detector != :version) ORDER BY id LIMIT :n"
            ),
            {"last": last_id, "version": LEAK_DETECTOR_VERSION, "n": batch_size},
        ).all()
        if not pairs:
            return checked
        last_id = pairs[-1].id
        conversation_ids = sorted({p.conversation_id for p in pairs})
        turns: dict[int, list[tuple[int, str, str, int]]] = {cid: [] for cid in conversation_ids}
        rows = connection.execute(
            text(
                "SELECT conversation_id, id, role, text, "
                '"index" FROM turn WHERE conversation_id IN :ids ORDER BY conversation_id, "index"'
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": conversation_ids},
        )
        for conversation_id, turn_id, role, body, index in rows:
            turns[conversation_id].append((turn_id, role, body, index))
        params = []
        for pair in pairs:
            conv = turns[pair.conversation_id]
            by_id = {t[0]: t[2] for t in conv}
            prompt = "\n\n".join(t[2] for t in conv if t[3] <= pair.prompt_end_index)
            followup = by_id.get(pair.pushback_turn_id) if pair.pushback_turn_id else None
            fields = leak_fields(answer=by_id.get(pair.second_turn_id, ""), followup=followup, prompt=prompt)
            params.append({"id": pair.id, **fields})
        connection.execute(update, params)
        checked += len(params)


def _json_type(connection: Connection) -> Any:
    from sqlalchemy import JSON
    from sqlalchemy.dialects import postgresql

    return postgresql.JSONB() if connection.dialect.name == "postgresql" else JSON()


def leak_view(detail: PairDetail, *, swapped: bool) -> dict[str, Any]:
    """Template context for templates/pairs/_leaks.html: the revised answer, its spans and the transform."""
    revised = detail.rejected if swapped else detail.chosen_original
    turns = [m["content"] for m in detail.prompt if m["role"] != "system"]
    if detail.gold_prompt is not None and turns:
        # The gold prompt replaces the last user message: facts folded into it no longer leak.
        turns[-1] = detail.gold_prompt
    prompt = "\n\n".join(turns)
    fix = (
        make_standalone(answer=revised, followup=detail.pushback or "", prompt=prompt)
        if detail.leak_kinds
        else None
    )
    return {
        "leak_kinds": detail.leak_kinds,
        "leak_spans": detail.leak_spans,
        "leak_text": revised,
        "leak_fix": fix,
        "gold_prompt": detail.gold_prompt,
    }
