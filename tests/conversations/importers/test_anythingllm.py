"""AnythingLLM's "Export chats": the JSON, CSV (current and pre-mid-2024) and Alpaca JSON files.

The fixtures (tests/fixtures/real_formats/anythingllm/) are written by hand in the shapes of `convertTo.js`: the
same six rows (two workspaces, two users, a pushback rated GOOD, an attached image, a prompt without a response)
exported as JSON, CSV, Alpaca and JSONL, and the early CSV and JSON exports in `old/`. The JSONL and the early
JSON are OpenAI's shapes and read by the `openai` importer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "anythingllm"
JSON = ROOT / "anythingllm-chats-3_14_2025.json"
CSV = ROOT / "anythingllm-chats-3_14_2025.csv"
ALPACA = ROOT / "anythingllm-chats-3_14_2025-alpaca.json"
JSONL = ROOT / "anythingllm-chats-3_14_2025-lines.jsonl"
OLD_CSV = ROOT / "old" / "anythingllm-chats-2_1_2024.csv"
OLD_JSON = ROOT / "old" / "anythingllm-chats-2_1_2024.json"
STEAK = [
    ("user", "How long should I rest a steak?"),
    ("assistant", "Rest it for about 10 minutes."),
    ("user", "That's too long for a thin steak, isn't it?"),
    ("assistant", "You're right, a thin steak needs only 3 to 5 minutes."),
]


def _rows(path: Path = JSON) -> list[Any]:
    rows: list[Any] = json.loads(path.read_bytes())
    return rows


def _results(data: bytes, name: str) -> list[Any]:
    return list(get_importer("anythingllm").parse(io.BytesIO(data), name))


def test_the_exports_are_detected_by_content() -> None:
    for path in (JSON, CSV, ALPACA, OLD_CSV):
        assert detect_format(path.read_bytes()[:65536], "export.txt") == "anythingllm"
    # Minified, and with the first response (or Alpaca output) longer than the head: an Alpaca export whose head
    # shows nothing of AnythingLLM's is known by its name.
    rows, alpaca = _rows(), _rows(ALPACA)
    rows[0]["response"] = "word " * 20_000
    alpaca[0]["output"] = "word " * 20_000
    for value, name in ((rows, "export.json"), (alpaca, ALPACA.name)):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=4).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], name) == "anythingllm"
    # A first row without a response (AnythingLLM leaves the key out).
    rows = _rows()
    del rows[0]["response"]
    assert detect_format(json.dumps(rows, indent=4).encode(), "export.json") == "anythingllm"
    # An attached image as long as the head: the row's first keys tell.
    rows = _rows()
    rows[0]["attachments"] = [{"type": "image", "image": "data:image/png;base64," + "A" * 70_000}]
    assert detect_format(json.dumps(rows, indent=4).encode()[:65536], "export.json") == "anythingllm"


def test_the_jsonl_and_early_json_exports_stay_openai() -> None:
    assert detect_format(JSONL.read_bytes()[:65536], JSONL.name) == "openai"
    assert detect_format(OLD_JSON.read_bytes()[:65536], OLD_JSON.name) == "openai"
    conversations, errors = parse("openai", JSONL.read_bytes(), str(JSONL))
    assert errors == []
    # One conversation per workspace (both users' chats in it), the attached image dropped.
    cooking, travel = conversations
    assert turns(cooking)[:4] == STEAK
    assert (cooking.system_prompt, len(cooking.turns)) == ("You are a friendly chef. Keep answers short.", 6)
    assert travel.dropped == {"image": 1}
    early, errors = parse("openai", OLD_JSON.read_bytes(), str(OLD_JSON))
    assert errors == []
    assert [turns(c) for c in early] == [turns(c) for c in conversations]
    assert [c.system_prompt for c in early] == [c.system_prompt for c in conversations]


def test_other_formats_are_not_taken_for_anythingllm() -> None:
    preference = [{"instruction": "Q", "input": "", "chosen": "good", "rejected": "bad"}]
    assert detect_format(json.dumps(preference).encode(), "x.json") == "preference"
    arena = b"id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"
    assert detect_format(arena + b'1,a,b,"[""Q""]","[""A""]","[""B""]",1,0,0\n', "train.csv") == "preference"
    assert not get_importer("anythingllm").sniff(b"name,score\nada,3\n", "scores.csv")
    assert not get_importer("anythingllm").sniff(b'[{"id": 1, "prompt": "Q", "response": "A"}]', "x.json")


def test_rows_are_grouped_by_workspace_and_user() -> None:
    steak, visa, oil = _results(JSON.read_bytes(), str(JSON))
    assert isinstance(steak, ParsedConversation)
    assert isinstance(visa, ParsedConversation)
    assert isinstance(oil, ParsedConversation)
    assert turns(steak) == STEAK
    assert (steak.external_id, steak.title, steak.json_path, steak.system_prompt) == (
        "Cooking/maria",
        "How long should I rest a steak?",
        "$[0]",
        None,
    )
    assert steak.metadata == {
        "workspace": "Cooking",
        "user": "maria",
        "create_time": "2025-03-14T18:00:05.000Z",
        "ratings": {"6": "GOOD"},
    }
    # The prompt without a response is left out (and counted); its retry is the next turn.
    assert turns(visa)[2:] == [
        ("user", "And for a stay of 100 days?"),
        ("assistant", "For more than 90 days you need a long-stay visa."),
    ]
    assert (visa.metadata["unanswered_prompts"], visa.dropped) == (1, {"image": 1})
    assert (oil.external_id, oil.metadata["ratings"]) == ("Cooking/tom", {"7": "BAD"})


def test_the_csv_reads_as_the_json_does() -> None:
    json_turns = [turns(c) for c in _results(JSON.read_bytes(), str(JSON))]
    csv_results = _results(CSV.read_bytes(), str(CSV))
    assert [turns(c) for c in csv_results] == json_turns
    steak = csv_results[0]
    assert (steak.external_id, steak.line, steak.metadata["create_time"]) == (
        "Cooking/maria",
        2,
        "Fri Mar 14 2025 18:00:05 GMT+0000 (Coordinated Universal Time)",
    )
    old = _results(OLD_CSV.read_bytes(), str(OLD_CSV))
    assert [c.external_id for c in old] == ["Cooking/maria", "Travel/maria", "Cooking/tom"]
    assert turns(old[0]) == STEAK
    assert "ratings" not in old[0].metadata


def test_rows_without_a_user_and_alpaca_rows_are_each_a_conversation() -> None:
    widget = [{k: v for k, v in row.items() if k not in ("username", "rating")} for row in _rows()]
    results = _results(json.dumps(widget, indent=4).encode(), "embed.json")
    assert [r.external_id if isinstance(r, ParsedConversation) else r for r in results] == [
        "Cooking/4",
        "Travel/5",
        "Cooking/6",
        "Cooking/7",
        Skipped("AnythingLLM chat without an answer"),
        "Travel/9",
    ]
    results = _results(ALPACA.read_bytes(), str(ALPACA))
    assert len(results) == 6
    assert results[4] == Skipped("Alpaca row without an output")
    steak, visa = results[0], results[1]
    assert isinstance(steak, ParsedConversation)
    assert isinstance(visa, ParsedConversation)
    assert (steak.external_id, steak.system_prompt, turns(steak)) == (
        f"{ALPACA}:$[0]",
        "You are a friendly chef. Keep answers short.",
        STEAK[:2],
    )
    # The sources retrieved for the prompt are context, not the system prompt.
    assert (visa.system_prompt or "").endswith("following the users instructions as needed.")
    assert visa.turns[0].blocks == [
        {
            "type": "context",
            "tag": "retrieved",
            "text": "Japan visa exemption: EU passport holders may stay up to 90 days.",
        }
    ]
    # A plain Alpaca dataset's row without an input: the instruction is the prompt.
    plain = _results(b'[{"instruction": "Name a colour.", "input": "", "output": "Blue."}]', "alpaca.json")
    # LLaMA-Factory's variant (a dataset's, read as `sft-dataset` reads it): a system prompt and the exchanges before.
    row = {
        "instruction": "And a darker one?",
        "input": "",
        "output": "Navy.",
        "system": "Be brief.",
        "history": [["Name a colour.", "Blue."]],
    }
    plain += _results(json.dumps([row]).encode(), "alpaca.json")
    assert [(turns(c), c.system_prompt) for c in plain] == [
        ([("user", "Name a colour."), ("assistant", "Blue.")], None),
        (
            [
                ("user", "Name a colour."),
                ("assistant", "Blue."),
                ("user", "And a darker one?"),
                ("assistant", "Navy."),
            ],
            "Be brief.",
        ),
    ]
    _, errors = parse(
        "anythingllm", json.dumps([dict(row, history=[["Only a prompt"]])]).encode(), "alpaca.json"
    )
    assert errors_of(errors) == [(None, "$[0]", "history[0]: expected a [prompt, answer] pair of strings")]


def test_an_alpaca_array_is_anythingllms_only_where_it_says_so() -> None:
    rows = [
        {
            "instruction": "You are a friendly chef.",
            "input": "How long should I rest a steak?",
            "output": "10 minutes.",
        }
    ]
    data = json.dumps(rows, indent=4).encode()
    # AnythingLLM's name for the export, or its default system prompt or retrieved sources in the head.
    assert detect_format(data, "anythingllm-chats-3_14_2025-alpaca.json") == "anythingllm"
    for instruction in (_rows(ALPACA)[1]["instruction"], _rows(ALPACA)[4]["instruction"]):
        signed = json.dumps([*rows, dict(rows[0], instruction=instruction)], indent=4).encode()
        assert detect_format(signed, "export.json") == "anythingllm"
    (steak,) = _results(data, "anythingllm-chats-3_14_2025-alpaca.json")
    assert (steak.system_prompt, turns(steak)[0]) == ("You are a friendly chef.", STEAK[0])
    # Without a sign it is a dataset's (`sft-dataset`): the instruction is the task, the input what it works on,
    # here too when the format is forced.
    assert detect_format(data, "export.json") == "sft-dataset"
    task = [{"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}]
    (row,) = _results(json.dumps(task).encode(), "alpaca.json")
    assert (row.system_prompt, turns(row)[0]) == (None, ("user", "Translate to French.\n\nGood morning"))
    assert (row.external_id, row.json_path) == ("alpaca.json:$[0]", "$[0]")
    assert _results(json.dumps([dict(task[0], output="")]).encode(), "alpaca.json") == [
        Skipped("dataset row without an answer")
    ]
    # A row with the sources AnythingLLM retrieved is its own in any file.
    (visa,) = _results(json.dumps(_rows(ALPACA)[1:2]).encode(), "alpaca.json")
    assert visa.system_prompt.startswith("Given the following conversation")
    assert turns(visa)[0] == ("user", "Do I need a visa for Japan as an EU citizen?")


def test_bad_rows_are_named_by_their_place_and_the_others_import() -> None:
    rows = _rows()
    rows[2]["prompt"] = None
    rows[3]["workspace"] = 7
    conversations, errors = parse("anythingllm", json.dumps(rows, indent=4).encode(), "chats.json")
    assert [c.external_id for c in conversations] == ["Cooking/maria", "Travel/maria"]
    assert turns(conversations[0]) == STEAK[:2]
    assert errors_of(errors) == [
        (None, "$[2]", "prompt: expected the prompt's text, got null"),
        (None, "$[3]", "workspace: expected the workspace's name, got a number"),
    ]
    data = CSV.read_bytes().replace(b'"6","Cooking",', b'"6","Cooking","extra",')
    conversations, errors = parse("anythingllm", data, "chats.csv")
    assert len(conversations) == 3
    assert errors_of(errors) == [(4, None, "expected 7 columns as in the header, got 8")]


def test_a_file_that_is_neither_json_nor_its_csv_is_a_clear_error() -> None:
    with pytest.raises(FileFormatError, match="not JSON"):
        _results(b"chats exported from AnythingLLM\n", "chats.txt")


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    formats = {
        Path(r["path"]).name: (r["format"], r["conversations"], r["duplicates"]) for r in summary.file_reports
    }
    assert formats[JSON.name][0] == formats[CSV.name][0] == formats[ALPACA.name][0] == "anythingllm"
    assert formats[JSONL.name][0] == formats[OLD_JSON.name][0] == "openai"
    # The JSON and CSV hold the same conversations, the early JSON the JSONL's: one import of each.
    assert (
        sum(r["conversations"] for r in summary.file_reports) == summary.conversations_added == 3 + 1 + 5 + 2
    )
    assert (summary.error_count, summary.duplicates) == (0, 3 + 2 + 2)
    assert summary.pairs_detected == 2
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 11 + 7)
