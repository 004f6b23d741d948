"""KoboldAI Lite saves (the web UI KoboldCpp embeds; "Save" writes `saved_story.json`): `{gamestarted, prompt,
memory, actions, actions_metadata, savedsettings, ...}`.

The story is `prompt` followed by every `actions` chunk. In instruct mode (`savedsettings.opmode` 4) each thing
the person typed sits between the instruct tags: the placeholders `{{[INPUT]}}` and `{{[OUTPUT]}}` (each on a
line of its own) when `placeholder_tags` is on, as Lite saves by default, else the tags themselves
(`instruct_starttag` / `instruct_endtag`, e.g. `### Instruction:` / `### Response:`); the model's text follows
the output tag, up to the next input tag. `{{[SYSTEM]}}` (or `instruct_systag`) opens a system prompt, and so do
the `memory` and the `instruct_sysprompt` setting. In chat mode (opmode 3) every message is a line opened by a
speaker's name and a colon: `chatname` is the person, the `chatopponent` names (several are joined by `||$||`)
the model. Story and adventure saves (opmodes 1 and 2) are stories, not chats, and are skipped with that reason.
"""

from __future__ import annotations

import re
from typing import Any

from ._json import BadRecord
from ._records import RecordImporter, expect, type_name
from ._turns import TurnBuilder, prompt_title
from .base import ParsedConversation, SkipRecord

_INPUT, _OUTPUT, _SYSTEM = "{{[INPUT]}}", "{{[OUTPUT]}}", "{{[SYSTEM]}}"
_MODES = {1: "story", 2: "adventure", 3: "chat", 4: "instruct"}
_STORY = "Kobold Lite story or adventure save, not a chat"


def _looks(record: dict[str, Any]) -> bool:
    return (
        type(record.get("actions")) is list
        and "prompt" in record
        and ("gamestarted" in record or type(record.get("savedsettings")) is dict)
    )


def _hint(head: bytes) -> bool:
    return b'"gamestarted"' in head and b'"actions"' in head


def _tag(settings: dict[str, Any], key: str) -> str:
    """An instruct tag as Lite uses it: its `\\n` escapes are line breaks; trimmed, as Lite matches it."""
    value = settings.get(key)
    return value.replace("\\n", "\n").strip() if type(value) is str else ""


def _instruct(builder: TurnBuilder, story: str, settings: dict[str, Any]) -> None:
    if settings.get("placeholder_tags", True) is not False or _INPUT in story:
        start, end, system = _INPUT, _OUTPUT, _SYSTEM
    else:
        start, end, system = (
            _tag(settings, k) for k in ("instruct_starttag", "instruct_endtag", "instruct_systag")
        )
        if not start or not end:
            raise BadRecord(
                "savedsettings: instruct_starttag and instruct_endtag are needed without placeholder tags"
            )
    marks = [re.escape(tag) for tag in (start, end, system) if tag]
    kind = "before"
    for piece in re.split(f"({'|'.join(marks)})", story):
        if piece == start:
            kind = "user"
        elif piece == end:
            kind = "assistant"
        elif system and piece == system:
            kind = "system"
        elif kind in ("user", "assistant", "system"):
            builder.say(kind, piece.strip())
        elif piece.strip():
            builder.system(piece.strip())  # text before the first tag: the story's opening context


def _text(settings: dict[str, Any], key: str, default: str) -> str:
    value = settings.get(key)
    return value if type(value) is str and value else default


def _chat(builder: TurnBuilder, story: str, settings: dict[str, Any]) -> None:
    person = _text(settings, "chatname", "User")
    others = _text(settings, "chatopponent", "KoboldAI")
    names = {person: "user", **{name: "assistant" for name in others.split("||$||") if name}}
    speaker = re.compile(
        r"^(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r"):[ \t]?", re.M
    )
    found = list(speaker.finditer(story))
    if found and story[: found[0].start()].strip():
        builder.system(story[: found[0].start()].strip())
    for k, match in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(story)
        builder.say(names[match.group(1)], story[match.end() : end].strip())


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    settings: dict[str, Any] = record["savedsettings"] if type(record.get("savedsettings")) is dict else {}
    opmode = settings.get("opmode")
    pieces = [expect(record.get("prompt"), str, "prompt")]
    for i, action in enumerate(expect(record.get("actions"), list, "actions")):
        if type(action) is not str:
            raise BadRecord(f"actions[{i}]: expected a string, got {type_name(action)}")
        pieces.append(action)
    story = "".join(pieces)
    builder = TurnBuilder()
    for key in ("memory",):
        if type(record.get(key)) is str:
            builder.system(record[key].strip())
    if type(settings.get("instruct_sysprompt")) is str and opmode == 4:
        builder.system(settings["instruct_sysprompt"].strip())
    if opmode == 4 or (opmode is None and _INPUT in story):
        _instruct(builder, story, settings)
    elif opmode == 3:
        _chat(builder, story, settings)
    else:
        raise SkipRecord(_STORY)
    turns = builder.finish()
    metadata = {"mode": _MODES[opmode]} if opmode in _MODES else {}
    first = next((t.text for t in turns if t.role == "user"), "")
    return ParsedConversation(
        external_id=fallback,
        turns=turns,
        title=prompt_title(first),
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


importer = RecordImporter(name="kobold-lite", convert=_convert, looks=_looks, hint=_hint, starts=b"{")
