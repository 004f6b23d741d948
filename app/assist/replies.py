"""What a model answered, read strictly: one JSON object (one ```json fence around it is tolerated, models add it
even when told not to), and its free-text reason on one bounded line. Every model-assisted feature that asks for
JSON reads the reply here, so they refuse the same things in the same words."""

from __future__ import annotations

import json
import re
from typing import Any

from app.errors import PairwiseError

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def shown(reply: str) -> str:
    """The reply on one line, cut to 80 characters, quoted: for an error message."""
    flat = " ".join(reply.split())
    return f'"{flat[:80]}…"' if len(flat) > 80 else f'"{flat}"'


def json_object(reply: str, *, error: type[PairwiseError]) -> dict[str, Any]:
    """The JSON object a reply holds; `error` saying what is wrong otherwise."""
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"the model's reply is not JSON ({exc.msg} at character {exc.pos}): {shown(reply)}"
        ) from exc
    if not isinstance(data, dict):
        raise error(f"the model's reply is JSON but not an object: {shown(reply)}")
    return data


def reason(data: dict[str, Any], reply: str, *, limit: int, error: type[PairwiseError]) -> str:
    """The object's optional `reason` on one line, at most `limit` characters (an ellipsis marks a cut)."""
    value = data.get("reason", "")
    if not isinstance(value, str):
        raise error(f"the model's reason is not a string: {shown(reply)}")
    value = " ".join(value.split())
    return value[: limit - 1] + "…" if len(value) > limit else value
