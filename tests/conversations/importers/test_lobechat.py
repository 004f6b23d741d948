"""LobeChat exports: the sessions config file (`state`), the database export v1 and the data backup v2 (`data`).

The fixtures (tests/fixtures/real_formats/lobechat/) are written by hand in the shapes of LobeChat's exporters
and of the real export files among its migration and import test fixtures: a regenerated answer beside the one
it replaced (same `parentId`), a tool call with its `tool` result (the call id on the message in the config file,
in `messagePlugins` in the database), a thread, failed answers, attachments, the `inbox` default topic and a
topic nobody answered.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "lobechat"
LEGACY = ROOT / "LobeChat-sessions-v8.json"
DATABASE = ROOT / "2025-06-04-08-30_LobeHub-data.json"
BACKUP = ROOT / "2026-01-10T10-00-00Z_LobeHub-data-v2.json"
TIMES = "\N{MULTIPLICATION SIGN}"


def _load(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_bytes())
    return value


def _by_id(data: bytes, name: str = "export.json") -> dict[str, Any]:
    conversations, errors = parse("lobechat", data, name)
    assert errors == []
    return {conversation.external_id: conversation for conversation in conversations}


@pytest.mark.parametrize("path", [LEGACY, DATABASE, BACKUP], ids=["config", "database", "backup"])
def test_every_shape_is_detected_minified_indented_and_longer_than_the_head(path: Path) -> None:
    export = _load(path)
    tables = export["state" if "state" in export else "data"]
    tables["messages"][0]["content"] = "word " * 20_000
    for data in (path.read_bytes(), json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
        assert detect_format(data[:65536], path.name) == "lobechat"
    assert len(json.dumps(export).encode()) > 65536


def test_other_formats_are_not_taken_for_lobechat() -> None:
    openai = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert detect_format(json.dumps(openai).encode(), "data.json") == "openai"
    # A `data` object that is not LobeChat's tables.
    other = {"data": {"chats": [{"id": "1", "messages": []}]}}
    assert detect_format(json.dumps(other).encode(), "data.json") != "lobechat"


def test_the_config_file_groups_by_topic_and_keeps_the_latest_regeneration() -> None:
    by_id = _by_id(LEGACY.read_bytes(), LEGACY.name)
    assert list(by_id) == ["kP2xW9qR", "Hn4tY7uJ", "inbox"]
    lisbon = by_id["kP2xW9qR"]
    assert turns(lisbon) == [
        ("user", "Plan three days in Lisbon for late March."),
        ("assistant", "Day 1: Belem and the river. Day 2: Sintra's palaces. Day 3: a swim at Cascais beach."),
        ("user", "Swimming in March? The Atlantic is about 15 °C then. Drop the beach day."),
        (
            "assistant",
            "Fair point: the sea is cold in March. Day 3: Alfama and the Gulbenkian museum instead.",
        ),
    ]
    assert (lisbon.title, lisbon.system_prompt, lisbon.json_path) == (
        "Lisbon in spring",
        "You are a careful travel planner.",
        "$.state.messages[0]",
    )
    # The replaced answer's model is not the answer's.
    assert lisbon.metadata == {
        "agent": "Travel Planner",
        "created_at": "2024-09-02T08:00:00.000Z",
        "models": ["gpt-4o"],
        "regenerated_responses": 1,
    }


def test_tool_calls_and_results_are_blocks_of_one_answer() -> None:
    weather = _by_id(LEGACY.read_bytes())["Hn4tY7uJ"]
    assert turns(weather) == [
        ("user", "What's the weather in Oslo right now?"),
        ("assistant", "It is 3 °C and overcast in Oslo."),
    ]
    assert (
        weather.system_prompt == "You are a careful travel planner.\n\nAlways give temperatures in Celsius."
    )
    assert weather.turns[1].blocks == [
        {
            "type": "tool_use",
            "id": "call_oslo1",
            "name": "lobe-weather/getCurrentWeather",
            "input": {"city": "Oslo"},
        },
        {
            "type": "tool_result",
            "tool_use_id": "call_oslo1",
            "content": '{"temperature":3,"sky":"overcast"}',
            "is_error": False,
        },
        {"type": "text", "text": "It is 3 °C and overcast in Oslo."},
    ]


def test_the_inbox_drops_a_failed_answer_and_keeps_reasoning() -> None:
    inbox = _by_id(LEGACY.read_bytes())["inbox"]
    # The failed answer is left out: the prompt and the retry read as one prompt.
    assert turns(inbox) == [
        ("user", "Summarise the attached menu in one line.\n\nTry again please."),
        ("assistant", "A seafood-heavy lunch menu with three vegetarian mains."),
    ]
    assert inbox.title == "Summarise the attached menu in one line."
    assert (inbox.turns[1].blocks or [])[0] == {
        "type": "thinking",
        "thinking": "The menu lists fish first, then three vegetarian dishes.",
    }
    assert inbox.dropped == {"file": 1}
    assert inbox.metadata == {
        "created_at": "2024-09-05T12:00:00.000Z",
        "models": ["o3-mini"],
        "failed_responses": 1,
    }


def test_an_unanswered_topic_and_an_export_without_messages_are_skipped() -> None:
    results = list(get_importer("lobechat").parse(io.BytesIO(LEGACY.read_bytes()), LEGACY.name))
    assert Skipped("LobeChat topic without an answer") in results
    agents = {"exportType": "agents", "state": {"sessionGroups": [], "sessions": []}, "version": 8}
    data = json.dumps(agents).encode()
    assert detect_format(data, "LobeChat-agents-v8.json") == "lobechat"
    assert list(get_importer("lobechat").parse(io.BytesIO(data), "x.json")) == [
        Skipped("LobeChat export without messages")
    ]


def test_the_database_export_reads_agents_plugins_files_and_leaves_threads_out() -> None:
    by_id = _by_id(DATABASE.read_bytes(), DATABASE.name)
    assert list(by_id) == ["tpc_Mx7cVb2nQw8e", "tpc_Ty5uIo3pAs1d", "inbox"]
    miles = by_id["tpc_Mx7cVb2nQw8e"]
    assert turns(miles) == [
        ("user", "Convert 5 miles to kilometres."),
        ("assistant", "5 miles is about 6.4 km."),
        ("user", f"That's off: 5 {TIMES} 1.609 is 8.05 km, not 6.4."),
        ("assistant", "You're right, 5 miles is 8.05 km."),
    ]
    assert (miles.title, miles.system_prompt) == ("Miles to km", "Convert units exactly; show the formula.")
    assert miles.metadata == {
        "agent": "Unit Converter",
        "created_at": "2025-06-01T14:00:00.100Z",
        "models": ["gpt-4.1"],
        "thread_messages": 2,
    }
    tour = by_id["tpc_Ty5uIo3pAs1d"]
    # The inbox topic (a null sessionId): the inbox agent's empty system role, no agent name.
    assert (tour.title, tour.system_prompt, "agent" in tour.metadata) == ("Tour de France 2024", None, False)
    call, result, thinking, text = tour.turns[1].blocks or []
    assert (call["id"], call["name"], call["input"]) == (
        "call_tdf24",
        "lobe-web-browsing/search",
        {"query": "2024 Tour de France winner"},
    )
    # The call id of a tool message is in its `messagePlugins` row.
    assert (result["tool_use_id"], result["is_error"]) == ("call_tdf24", False)
    assert thinking == {"type": "thinking", "thinking": "The search result names Pogacar."}
    assert text["text"] == "Tadej Pogačar won the 2024 Tour de France."
    photo = by_id["inbox"]
    assert turns(photo) == [
        ("user", "Describe this photo."),
        ("assistant", "A red lighthouse on a rocky shore at dusk."),
    ]
    assert photo.dropped == {"file": 1}
    assert photo.metadata["failed_responses"] == 1
    assert "regenerated_responses" not in photo.metadata


def test_the_backup_v2_reads_like_the_database_export() -> None:
    (miles,) = _by_id(BACKUP.read_bytes(), BACKUP.name).values()
    assert miles.external_id == "tpc_Mx7cVb2nQw8e"
    assert len(miles.turns) == 4
    assert miles.metadata["agent"] == "Unit Converter"


def test_a_regeneration_drops_what_followed_the_replaced_answer() -> None:
    # Database rows chain prompts to the answer before them: a later regeneration of the first answer makes the
    # follow-up (asked under the old answer) part of an older branch.
    export = _load(BACKUP)
    first = dict(export["data"]["messages"][1])
    first.update(id="msg_Rg1Rg2Rg3Rg4Rg", content="5 miles is 8.05 km.", createdAt="2025-06-01T14:09:00.000Z")
    export["data"]["messages"].append(first)
    (miles,) = _by_id(json.dumps(export).encode()).values()
    assert turns(miles) == [
        ("user", "Convert 5 miles to kilometres."),
        ("assistant", "5 miles is 8.05 km."),
    ]
    assert miles.metadata["regenerated_responses"] == 2


def test_bad_messages_are_named_by_their_path_and_the_rest_imports() -> None:
    export = _load(LEGACY)
    messages = export["state"]["messages"]
    messages[6]["role"] = "narrator"
    messages[11]["content"] = {"text": "not a string"}
    messages.append("junk")
    conversations, errors = parse("lobechat", json.dumps(export, indent=2).encode(), LEGACY.name)
    assert [conversation.external_id for conversation in conversations] == ["kP2xW9qR"]
    assert errors_of(errors) == [
        (None, "$.state.messages[15]", "expected a message object, got a string"),
        (None, "$.state.messages[6]", 'role: expected user, assistant, system or tool, got "narrator"'),
        (None, "$.state.messages[11]", "content: expected the text, got an object"),
    ]


def test_files_that_are_not_lobechat_exports_say_why() -> None:
    with pytest.raises(FileFormatError, match="not JSON"):
        list(get_importer("lobechat").parse(io.BytesIO(b"role,content\nuser,hi\n"), "x.csv"))
    # A one-line file is read as line 1.
    conversations, errors = parse("lobechat", b'{"sessions": []}', "x.json")
    assert conversations == []
    assert errors_of(errors) == [
        (
            1,
            "$",
            "not a LobeChat export: expected `state` (a sessions export) or `data` (a database export)",
        )
    ]
    _, errors = parse("lobechat", b'{"exportType": "sessions",\n "state": {"messages": 3}}', "x.json")
    assert errors_of(errors) == [(None, "$.state", "messages: expected a list, got a number")]


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    # Three conversations from the config file and three from the database export; the backup's one topic is
    # the database's, turn for turn: a duplicate. The pushbacks about Lisbon and the miles are the pairs.
    assert (summary.conversations_added, summary.duplicates, summary.pairs_detected, summary.error_count) == (
        6,
        1,
        2,
        0,
    )
    assert dict(summary.skipped) == {"LobeChat topic without an answer": 2}
    assert dict(summary.dropped) == {"file": 2}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 7)
