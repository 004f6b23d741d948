"""KoboldAI Lite saves (`saved_story.json`, the UI KoboldCpp embeds): fixtures in
tests/fixtures/real_formats/kobold_lite/, written by hand in the shape of Lite's `generate_savefile` (instruct
mode with its placeholder tags and without, a group chat, a story)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import errors_of, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "kobold_lite"
INSTRUCT = ROOT / "saved_story.json"
TAGS = ROOT / "primes-no-placeholders.json"
CHAT = ROOT / "spanish-chat.json"
STORY = ROOT / "lighthouse-story.json"


def test_saves_are_detected_by_content() -> None:
    for path in (INSTRUCT, TAGS, CHAT, STORY):
        assert detect_format(path.read_bytes(), "story.json") == "kobold-lite", path.name


def test_an_instruct_save_reads_its_turns_between_the_placeholders() -> None:
    conversation = parse_one("kobold-lite", INSTRUCT.read_bytes(), INSTRUCT.name)
    assert conversation.system_prompt == "[The assistant answers in metric units.]"
    assert conversation.metadata == {"mode": "instruct"}
    assert conversation.title == "Convert 72 °F to Celsius."
    assert turns(conversation)[2] == ("user", "those two numbers don't match, which one is it?")
    assert turns(conversation)[3][1].endswith("So 72 °F is about 22 °C, not 25.")
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_without_placeholders_the_instruct_tags_of_the_settings_split_the_turns() -> None:
    conversation = parse_one("kobold-lite", TAGS.read_bytes(), TAGS.name)
    assert turns(conversation) == [
        ("user", "Name three prime numbers above 50."),
        ("assistant", "53, 57 and 59."),
        ("user", "57 is 3 * 19."),
        ("assistant", "You're right, 57 is not prime. Three primes above 50: 53, 59 and 61."),
    ]


def test_a_chat_save_reads_the_speakers_by_name() -> None:
    conversation = parse_one("kobold-lite", CHAT.read_bytes(), CHAT.name)
    assert [role for role, _ in turns(conversation)] == ["user", "assistant"] * 3
    assert turns(conversation)[4] == ("user", "nosotros vivemos")
    assert turns(conversation)[5] == ("assistant", 'Casi: es "vivimos", los verbos en -ir usan -imos.')


def test_a_story_is_skipped_and_a_broken_save_is_an_error() -> None:
    (skipped,) = get_importer("kobold-lite").parse(io.BytesIO(STORY.read_bytes()), STORY.name)
    assert skipped == Skipped("Kobold Lite story or adventure save, not a chat")
    save = json.loads(INSTRUCT.read_bytes())
    save["actions"][1] = 7
    results = list(get_importer("kobold-lite").parse(io.BytesIO(json.dumps(save).encode()), "s.json"))
    assert errors_of([r for r in results if isinstance(r, RecordError)]) == [
        (1, None, "actions[1]: expected a string, got a number")
    ]
    assert not [r for r in results if isinstance(r, ParsedConversation)]


def test_the_saves_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="kobold", workers=0)
    assert (summary.conversations_added, summary.error_count) == (3, 0)
    assert dict(summary.skipped) == {"Kobold Lite story or adventure save, not a chat": 1}
    assert run_import(engine, paths=[ROOT], source="kobold", workers=0).conversations_added == 0
