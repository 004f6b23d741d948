"""SillyTavern chat files: a header line, then one message a line (character chats and group chats).

The fixtures (tests/fixtures/real_formats/sillytavern/) are written by hand in the shapes SillyTavern's
`saveChat` / `saveGroupChat` (public/script.js, public/scripts/group-chats.js) and its chats endpoint
(src/endpoints/chats.js) write: the header `{user_name, character_name, create_date, chat_metadata}` and messages
`{name, is_user, is_system, send_date, mes, extra, swipe_id, swipes, swipe_info, gen_started, gen_finished}`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "sillytavern"
USER = ROOT / "data" / "default-user"
CHAT = USER / "chats" / "Seraphina" / "Seraphina - 2025-03-14@18h22m05s.jsonl"
OLD = USER / "chats" / "Seraphina" / "Seraphina - 2023-5-13 @17h 46m 40s 0ms.jsonl"
GROUP = USER / "group chats" / "1742029200000.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_chats_are_detected_by_content() -> None:
    for path in (CHAT, OLD, GROUP):
        assert detect_format(path.read_bytes()[:65536], "chat.jsonl") == "sillytavern"
    # A group chat saved before SillyTavern wrote a header: messages only.
    headerless = jsonl(*_lines(GROUP)[1:])
    assert detect_format(headerless, "1700000000000.jsonl") == "sillytavern"


def test_a_header_longer_than_the_head_is_still_detected() -> None:
    header, *messages = _lines(CHAT)
    header["chat_metadata"]["objective"] = {"notes": "word " * 20_000}
    data = jsonl(header, *messages)
    assert len(data.split(b"\n", 1)[0]) > 65536
    assert detect_format(data[:65536], "chat.jsonl") == "sillytavern"
    # Group chats write chat_metadata first, the names after it.
    group = {"chat_metadata": header["chat_metadata"], "user_name": "unused", "character_name": "unused"}
    assert detect_format(jsonl(group, *messages)[:65536], "g.jsonl") == "sillytavern"


def test_other_jsonl_formats_are_not_taken() -> None:
    openai = jsonl({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})
    sharegpt = jsonl({"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]})
    assert detect_format(openai, "data.jsonl") == "openai"
    assert detect_format(sharegpt, "data.jsonl") == "sharegpt"
    assert not get_importer("sillytavern").sniff(json.dumps({"name": "x", "mes": "y"}).encode(), "x.jsonl")


def test_the_shown_swipe_is_the_answer_and_the_greeting_and_narration_are_context() -> None:
    conversation = parse_one("sillytavern", CHAT.read_bytes(), str(CHAT))
    assert turns(conversation) == [
        (
            "user",
            "Better, thanks. How many days until the full moon if today is the 14th and it falls on the 25th?",
        ),
        ("assistant", "Twelve days, dear traveler. The moon will be full in twelve days."),
        ("user", "That's wrong: from the 14th to the 25th is 11 days, not 12."),
        ("assistant", "You're right, forgive me: from the 14th to the 25th is eleven days."),
    ]
    assert conversation.turns[0].blocks == [
        {
            "type": "context",
            "tag": "greeting",
            "text": "*Seraphina looks up from the herb table.* Ah, you're awake. How are you feeling?",
        }
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "From the 14th to the 25th."},
        {"type": "text", "text": "Twelve days, dear traveler. The moon will be full in twelve days."},
    ]
    # The /sys narration is context of the next prompt; the hidden system notice is left out.
    assert conversation.turns[2].blocks == [
        {"type": "context", "tag": "narrator", "text": "A cold wind blows through the glade."}
    ]
    assert "Hello there" not in json.dumps([t.blocks for t in conversation.turns])


def test_ids_title_and_metadata() -> None:
    conversation = parse_one("sillytavern", CHAT.read_bytes(), str(CHAT))
    assert conversation.external_id == "Seraphina/Seraphina - 2025-03-14@18h22m05s"
    assert (conversation.title or "").startswith("Better, thanks. How many days until the full moon")
    assert conversation.metadata == {
        "user_name": "Dana",
        "character_name": "Seraphina",
        "create_date": "2025-03-14@18h22m05s",
        "chat_id": "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b",
        "models": ["gpt-4o-2024-08-06"],
        "regenerated_responses": 1,
        "hidden_messages": 1,
    }
    # Outside a chats folder, the chat's integrity id names it.
    assert parse_one("sillytavern", CHAT.read_bytes(), "export.jsonl").external_id == (
        "6f1c2a9e-3b4d-4e5f-8a7b-1c2d3e4f5a6b"
    )


def test_an_old_chat_with_numeric_dates_reads_the_same() -> None:
    conversation = parse_one("sillytavern", OLD.read_bytes(), str(OLD))
    assert turns(conversation) == [
        ("user", "Is Python's sort stable?"),
        ("assistant", "Yes, list.sort and sorted are stable."),
    ]
    assert conversation.metadata == {
        "user_name": "You",
        "character_name": "Seraphina",
        "create_date": 1684000000000,
    }


def test_a_group_chat_names_each_speaker() -> None:
    conversation = parse_one("sillytavern", GROUP.read_bytes(), str(GROUP))
    assert turns(conversation) == [
        ("user", "Which of you knows the way to the river?"),
        ("assistant", "Seraphina: Follow the stream east.\n\nFlux: East, past the old mill."),
    ]
    assert conversation.external_id == "group chats/1742029200000"
    assert conversation.metadata == {
        "chat_id": "aa11bb22-cc33-dd44-ee55-ff6677889900",
        "models": ["gpt-4o-mini"],
    }
    headerless = parse_one("sillytavern", jsonl(*_lines(GROUP)[1:]), "1700000000000.jsonl")
    assert headerless.turns[1].text.startswith("Seraphina: ")


def test_a_chat_with_one_character_keeps_its_answers_as_written_whatever_the_header_says() -> None:
    # Current SillyTavern writes "unused" for both names in every chat's header (a real 2026 chat in a public
    # repository): one character speaking is no group, and its answers get no name in front.
    header = {"chat_metadata": {"integrity": "5b12"}, "user_name": "unused", "character_name": "unused"}
    prompt = {
        "name": "User",
        "is_user": True,
        "is_system": False,
        "send_date": "2026-01-28T03:24:00Z",
        "mes": "hi",
    }
    answer = {
        "name": "Assistant",
        "is_user": False,
        "is_system": False,
        "send_date": "2026-01-28T03:24:40Z",
        "mes": "Hello! What shall we write today?",
        "extra": {"model": "gemini-2.5-pro"},
    }
    conversation = parse_one(
        "sillytavern", jsonl(header, prompt, answer), "Assistant - 2026-01-28@11h23m.jsonl"
    )
    assert turns(conversation) == [("user", "hi"), ("assistant", "Hello! What shall we write today?")]


def test_attachments_are_counted_as_dropped() -> None:
    header, greeting, prompt, answer, *_ = _lines(CHAT)
    prompt["extra"] = {"image": "/user/images/Seraphina/moon.png", "file": {"url": "notes.txt", "size": 12}}
    answer["extra"]["media"] = [{"url": "a.png", "type": "image"}, {"url": "b.mp4", "type": "video"}]
    conversation = parse_one("sillytavern", jsonl(header, greeting, prompt, answer), "chat.jsonl")
    assert conversation.dropped == {"image": 2, "file": 1, "video": 1}


def test_bad_lines_are_named_and_a_chat_without_a_prompt_is_skipped() -> None:
    lines = CHAT.read_bytes().splitlines(keepends=True)
    broken = [*lines[:3], b'{"name": "Dana", "is_user": true, "mes": null}\n', b"[1, 2]\n", *lines[3:]]
    conversations, errors = parse("sillytavern", b"".join(broken), str(CHAT))
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (4, None, "mes: expected the message's text, got null"),
        (5, None, "expected a JSON object, got a list"),
    ]
    header, greeting, *_ = _lines(CHAT)
    results = list(get_importer("sillytavern").parse(io.BytesIO(jsonl(header, greeting)), "new.jsonl"))
    assert results == [
        Skipped("SillyTavern chat without a message from the person (the characters' greeting alone)")
    ]


def test_a_sillytavern_folder_imports_once_and_skips_backups(engine: Engine, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "chat_seraphina_20250314-182300.jsonl").write_bytes(CHAT.read_bytes())
    summary = run_import(engine, paths=[USER, backups])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)
    assert {report["format"] for report in summary.file_reports if report["format"]} == {"sillytavern"}
    assert dict(summary.skipped) == {"SillyTavern chat backup (an earlier copy of a chat)": 1}
    again = run_import(engine, paths=[USER])
    assert (again.conversations_added, again.duplicates) == (0, 3)


def test_a_tavernai_room_lists_its_characters_and_reads_as_a_group_chat() -> None:
    # TavernAI's group "rooms" (public/rooms/<name>.jsonl, as a real repository committed them): the header lists
    # the characters (`character_names`) and has no `character_name`; messages carry the speaker's `chid`.
    header = {
        "user_name": "You",
        "character_names": ["Rin", "Tomas"],
        "create_date": 1684669029632,
        "notes": "",
        "notes_type": "discr",
        "scenario": "",
    }
    greeting = {
        "name": "Rin",
        "is_user": False,
        "is_name": True,
        "send_date": 1684669022872,
        "mes": "*waves*",
        "chid": 0,
    }
    prompt = {"name": "You", "is_user": True, "is_name": True, "send_date": 1684669100000, "mes": "Where to?"}
    first = {
        "name": "Rin",
        "is_user": False,
        "is_name": True,
        "send_date": 1684669110000,
        "mes": "North.",
        "chid": 0,
    }
    second = {
        "name": "Tomas",
        "is_user": False,
        "is_name": True,
        "send_date": 1684669120000,
        "mes": "South!",
        "chid": 1,
    }
    data = jsonl(header, greeting, prompt, first, second)
    assert detect_format(data, "Harbor.jsonl") == "sillytavern"
    conversation = parse_one("sillytavern", data, "public/rooms/Harbor.jsonl")
    assert turns(conversation) == [("user", "Where to?"), ("assistant", "Rin: North.\n\nTomas: South!")]
    assert conversation.metadata == {
        "user_name": "You",
        "character_names": ["Rin", "Tomas"],
        "create_date": 1684669029632,
    }
    # A room of greetings only, nobody having written yet, is skipped with that reason (it was an unread file).
    results = list(get_importer("sillytavern").parse(io.BytesIO(jsonl(header, greeting)), "Harbor.jsonl"))
    assert results == [
        Skipped("SillyTavern chat without a message from the person (the characters' greeting alone)")
    ]
