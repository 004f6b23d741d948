"""Chatbot Arena battles as preference pairs: the winner's answer is chosen; ties, both-bad votes, battles of
several turns and lost turns are skipped with their reason.

The fixtures (tests/fixtures/real_formats/arena/) are written by hand in the shapes of
lmsys/chatbot_arena_conversations (`conversation_a`, `conversation_b`, `winner`, `model_a`, `model_b`, ...)
and LMArena's arena-human-preference-140k and -100k (their parquet rows as JSON Lines) and -55k (`train.csv`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

BATTLES = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "arena"
    / "chatbot_arena_conversations.jsonl"
)


def test_battles_are_detected_as_preference_rows() -> None:
    assert detect_format(BATTLES.read_bytes()[:65536], BATTLES.name) == "preference"


def test_the_winner_is_chosen_whichever_side_won() -> None:
    conversations, errors = parse("preference", BATTLES.read_bytes(), BATTLES.name)
    assert errors == []
    b_won, a_won = conversations
    # The conversation is the prompt, then the rejected answer, then the chosen one.
    assert turns(b_won) == [
        ("user", "What does the HTTP status 409 mean?"),
        ("assistant", "409 means the server is busy, try later."),
        (
            "assistant",
            "409 Conflict: the request conflicts with the current state of the resource, for example an edit "
            "based on an outdated version.",
        ),
    ]
    assert [(p.rejected, p.chosen) for p in b_won.explicit_pairs or []] == [(1, 2)]
    assert turns(a_won)[1:] == [
        ("assistant", "21 is prime."),
        ("assistant", "23 is the only prime between 20 and 25."),
    ]
    assert b_won.external_id == "58210e39b3fd4441a2bd4a518bb44c2d"
    assert b_won.metadata == {
        "preference": {
            "chosen_model": "koala-13b",
            "rejected_model": "chatglm-6b",
            "judge": "arena_user_973",
            "language": "English",
            "winner": "model_b",
        }
    }


def test_ties_and_battles_of_several_turns_are_skipped_with_their_reason() -> None:
    results = list(get_importer("preference").parse(io.BytesIO(BATTLES.read_bytes()), BATTLES.name))
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Chatbot Arena tie: no answer preferred",
        "Chatbot Arena battle of several turns: the vote is on whole conversations",
    ]
    assert not [r for r in results if isinstance(r, RecordError)]
    assert len([r for r in results if isinstance(r, ParsedConversation)]) == 2


def test_an_unknown_winner_is_named() -> None:
    row = json.loads(BATTLES.read_text().splitlines()[0])
    row["winner"] = "model_c"
    _, errors = parse("preference", jsonl(row))
    assert errors_of(errors) == [
        (1, None, 'winner: expected "model_a", "model_b", a tie or "both_bad", got \'model_c\'')
    ]


def test_battles_import_as_pairs_ready_for_review(engine: Engine) -> None:
    summary = run_import(engine, paths=[BATTLES])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert dict(summary.skipped) == {
        "Chatbot Arena tie: no answer preferred": 1,
        "Chatbot Arena battle of several turns: the vote is on whole conversations": 1,
    }


# LMArena's arena-human-preference sets (SHAPES: the 140k and 100k rows as JSON Lines, the 55k train.csv).
ARENA = BATTLES.parent
ROWS_140K = ARENA / "arena_human_preference_140k.jsonl"
ROWS_100K = ARENA / "arena_human_preference_100k.jsonl"
TRAIN_55K = ARENA / "arena_human_preference_55k.csv"
TIE = "Chatbot Arena tie: no answer preferred"
BOTH_BAD = "Chatbot Arena both_bad: both answers judged bad, no answer preferred"
SEVERAL_TURNS = "Chatbot Arena battle of several turns: the vote is on whole conversations"
LOST_TURN = "Chatbot Arena battle with a lost turn (null in the CSV): no answer to pair"
CSV_HEADER = b"id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n"


def _results(data: bytes, name: str) -> list[ParsedConversation | RecordError | Skipped]:
    return list(get_importer("preference").parse(io.BytesIO(data), name))


def _skipped(results: list[ParsedConversation | RecordError | Skipped]) -> list[str]:
    return [r.reason for r in results if isinstance(r, Skipped)]


def _csv_row(*cells: object) -> bytes:
    """One CSV row whose JSON cells are written as pandas writes them (quoted, quotes doubled)."""
    out = []
    for cell in cells:
        text = cell if isinstance(cell, str) else json.dumps(cell)
        out.append('"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text)
    return ",".join(out).encode() + b"\n"


@pytest.mark.parametrize("path", [ROWS_140K, ROWS_100K, TRAIN_55K], ids=lambda p: p.name)
def test_lmarena_sets_are_detected_as_preference_rows(path: Path) -> None:
    assert detect_format(path.read_bytes()[:65536], path.name) == "preference"


def test_140k_rows_read_content_parts_and_skip_both_bad_votes() -> None:
    results = _results(ROWS_140K.read_bytes(), ROWS_140K.name)
    assert not [r for r in results if isinstance(r, RecordError)]
    assert _skipped(results) == [BOTH_BAD, SEVERAL_TURNS, TIE]
    with_image, french = [r for r in results if isinstance(r, ParsedConversation)]
    # Text parts joined, the attached image counted as a dropped part.
    assert turns(with_image) == [
        ("user", "What does this error in my terminal mean?\nIt appears after `git push`."),
        ("assistant", "Your disk is full."),
        (
            "assistant",
            "The remote rejected the push because it has commits you don't have: run `git pull --rebase`, "
            "then push again.",
        ),
    ]
    assert with_image.dropped == {"image": 1}
    assert [(p.rejected, p.chosen) for p in with_image.explicit_pairs or []] == [(1, 2)]
    assert with_image.external_id == "c4b9710c-8d64-4bee-a0b0-94637ae4cc65"
    assert with_image.metadata == {
        "preference": {
            "chosen_model": "claude-3-7-sonnet-20250219-thinking-32k",
            "rejected_model": "gemini-2.5-pro",
            "language": "en",
            "winner": "model_b",
        }
    }
    assert turns(french)[1:] == [("assistant", "17 \u00d7 3 = 41."), ("assistant", "17 \u00d7 3 = 51.")]
    assert french.dropped == {}


def test_an_image_in_an_answer_is_counted_as_dropped() -> None:
    row = json.loads(ROWS_140K.read_text().splitlines()[2])
    row["conversation_a"][1]["content"].append(
        {"type": "image", "text": None, "image": "x.png", "mimeType": "image/png"}
    )
    conversation = parse("preference", jsonl(row))[0][0]
    assert conversation.turns[-1].text == "17 \u00d7 3 = 51."
    assert conversation.dropped == {"image": 1}


def test_100k_rows_read_conversations_written_as_json_strings() -> None:
    results = _results(ROWS_100K.read_bytes(), ROWS_100K.name)
    assert not [r for r in results if isinstance(r, RecordError)]
    assert _skipped(results) == [SEVERAL_TURNS, TIE]
    as_strings, as_lists = [r for r in results if isinstance(r, ParsedConversation)]
    assert turns(as_strings) == [
        ("user", "How do I undo my last git commit but keep the changes?"),
        ("assistant", "Run `git reset --hard HEAD~1`."),
        ("assistant", "Run `git reset --soft HEAD~1`: the commit is undone and its changes stay staged."),
    ]
    assert as_strings.external_id == "e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"
    assert as_strings.metadata["preference"]["chosen_model"] == "claude-3-5-sonnet-20240620"
    assert turns(as_lists)[1:] == [("assistant", "Gute Nacht."), ("assistant", "Guten Morgen.")]


def test_a_conversation_string_that_is_not_json_is_named() -> None:
    row = json.loads(ROWS_100K.read_text().splitlines()[0])
    row["conversation_b"] = '[{"role": "user", "content": "cut'
    _, errors = parse("preference", jsonl(row))
    assert len(errors) == 1
    assert (errors[0].line, errors[0].json_path) == (1, None)
    assert errors[0].reason.startswith(
        "conversation_b: a string that is not a JSON list of messages: invalid JSON: "
    )
    row["conversation_b"] = '{"role": "user"}'
    _, errors = parse("preference", jsonl(row))
    assert errors_of(errors) == [(1, None, "conversation_b: expected a list, got an object")]


def test_55k_csv_single_turn_rows_are_pairs_with_the_winner_chosen() -> None:
    results = _results(TRAIN_55K.read_bytes(), TRAIN_55K.name)
    assert not [r for r in results if isinstance(r, RecordError)]
    b_won, a_won = [r for r in results if isinstance(r, ParsedConversation)]
    assert turns(b_won) == [
        ("user", "What does `git rebase -i HEAD~3` do?"),
        ("assistant", "It deletes the last three commits."),
        (
            "assistant",
            "It opens an editor listing the last 3 commits, oldest first.\nFor each one you can:\n"
            "- `pick` it as is\n- `squash` it into the previous one\n- `reword` its message\n\n"
            "Save and close the editor to apply the plan.",
        ),
    ]
    assert [(p.rejected, p.chosen) for p in b_won.explicit_pairs or []] == [(1, 2)]
    assert (b_won.external_id, b_won.line) == ("81234", 5)
    assert b_won.metadata == {
        "preference": {"chosen_model": "gpt-4-0314", "rejected_model": "vicuna-13b", "winner": "model_b"}
    }
    # \\uXXXX escapes in the JSON cells are decoded.
    assert turns(a_won) == [
        ("user", "Convert 100 °F to °C."),
        ("assistant", "100 °F is 212 °C."),
        ("assistant", "100 °F is about 37.8 °C: (100 \u2212 32) \u00d7 5/9."),
    ]
    assert a_won.metadata["preference"]["chosen_model"] == "gpt-3.5-turbo-0613"


def test_55k_csv_ties_several_turns_and_lost_turns_are_skipped() -> None:
    results = _results(TRAIN_55K.read_bytes(), TRAIN_55K.name)
    assert _skipped(results) == [SEVERAL_TURNS, LOST_TURN, TIE]


def test_55k_csv_rows_over_several_lines_keep_their_line_numbers() -> None:
    # LF line ends, a cell whose JSON is written over three lines, a blank line, then a bad row.
    data = (
        CSV_HEADER
        + _csv_row("1", "m-a", "m-b", '[\n  "Say hi"\n]', ["Hi!"], ["Go away."], "1", "0", "0")
        + b"\n"
        + _csv_row("2", "m-a", "m-b", '["Say bye"', ["Bye!"], ["No."], "1", "0", "0")
        + _csv_row("3", "m-a", "m-b", ["Say yes"], ["No."], ["Yes."], "0", "1", "0")
    )
    conversations, errors = parse("preference", data, "train.csv")
    assert [(c.external_id, c.line, turns(c)[0]) for c in conversations] == [
        ("1", 2, ("user", "Say hi")),
        ("3", 7, ("user", "Say yes")),
    ]
    assert [(e.line, e.reason.split(": ")[0]) for e in errors] == [(6, 'column "prompt"')]
    assert errors[0].reason.startswith('column "prompt": invalid JSON: ')


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            ("m-a", "m-b", ["Q"], ["A"], ["B"], "1", "1", "0"),
            "columns winner_model_a, winner_model_b, winner_tie: expected exactly one of them to be 1, got 1, 1, 0",
        ),
        (
            ("m-a", "m-b", ["Q"], ["A"], ["B"], "yes", "0", "0"),
            "column \"winner_model_a\": expected 0 or 1, got 'yes'",
        ),
        (
            ("m-a", "m-b", "Q", ["A"], ["B"], "1", "0", "0"),
            'column "prompt": invalid JSON: unexpected character, expected a JSON value at character 0',
        ),
        (
            ("m-a", "m-b", {"turn": "Q"}, ["A"], ["B"], "1", "0", "0"),
            'column "prompt": expected a JSON list of strings, one per turn, got an object',
        ),
        (
            ("m-a", "m-b", [], ["A"], ["B"], "1", "0", "0"),
            'column "prompt": expected a JSON list of strings, one per turn, got an empty list',
        ),
        (
            ("m-a", "m-b", ["Q"], [3], ["B"], "1", "0", "0"),
            'column "response_a": turn 1: expected a string or null, got a number',
        ),
        (
            ("m-a", "m-b", ["Q"], ["A"], ["B", "C"], "1", "0", "0"),
            'column "response_b": expected 1 turn as "prompt" has, got 2',
        ),
        (("m-a", "m-b", ["Q"], ["A"], ["B"], "1", "0"), "expected 9 columns as in the header, got 8"),
    ],
)
def test_55k_csv_errors_name_the_line_and_column(cells: tuple[object, ...], reason: str) -> None:
    data = (
        CSV_HEADER + _csv_row("1", "m-a", "m-b", ["Q"], ["A"], ["B"], "0", "1", "0") + _csv_row("2", *cells)
    )
    conversations, errors = parse("preference", data, "train.csv")
    assert [c.external_id for c in conversations] == ["1"]
    assert errors_of(errors) == [(3, None, reason)]


def test_55k_csv_bad_utf8_is_named_and_the_next_rows_still_read() -> None:
    data = (
        CSV_HEADER
        + _csv_row("1", "m-a", "m-b", ["Q"], ["A"], ["B"], "0", "1", "0").replace(b"Q", b"Q\xff")
        + _csv_row("2", "m-a", "m-b", ["Q"], ["A"], ["B"], "0", "1", "0")
    )
    conversations, errors = parse("preference", data, "train.csv")
    assert [c.external_id for c in conversations] == ["2"]
    assert errors_of(errors) == [(2, None, "not valid UTF-8 at byte 15 of line 2")]


def test_55k_csv_with_a_header_and_no_rows_says_so() -> None:
    with pytest.raises(FileFormatError, match="the CSV file has a header but no rows"):
        _results(CSV_HEADER, "train.csv")


def test_other_csv_files_match_no_format() -> None:
    assert detect_format(b"id,prompt,response_a,response_b\n1,a,b,c\n", "test.csv") is None
    assert detect_format(b"name,score\nada,3\n", "scores.csv") is None
    # A header in another order, with a byte-order mark and extra columns, is still the 55k set's.
    header = b"\xef\xbb\xbfwinner_tie,winner_model_b,winner_model_a,response_b,response_a,prompt,model_b,model_a,x\n"
    assert detect_format(header + b"0,1,0,[],[],[],b,a,1\n", "train.csv") == "preference"


def test_the_55k_csv_imports_from_a_folder_once(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "lmsys-chatbot-arena"
    folder.mkdir()
    (folder / "train.csv").write_bytes(TRAIN_55K.read_bytes())
    (folder / "scores.csv").write_bytes(b"name,score\nada,3\n")
    summary = run_import(engine, paths=[folder])
    assert (summary.conversations_added, summary.pairs_detected) == (2, 2)
    assert dict(summary.skipped) == {SEVERAL_TURNS: 1, LOST_TURN: 1, TIE: 1}
    assert [(e["file"].rsplit("/", 1)[-1], e["reason"].split(" (")[0]) for e in summary.errors] == [
        ("scores.csv", "matches no known format: a table whose columns are no shape read here")
    ]
    again = run_import(engine, paths=[folder / "train.csv"])
    assert (again.conversations_added, again.duplicates, again.error_count) == (0, 2, 0)


def test_lmarena_json_rows_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROWS_140K, ROWS_100K])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (4, 4, 0)
    assert dict(summary.skipped) == {BOTH_BAD: 1, SEVERAL_TURNS: 2, TIE: 2}
    assert dict(summary.dropped) == {"image": 1}
    again = run_import(engine, paths=[ROWS_140K, ROWS_100K])
    assert (again.conversations_added, again.duplicates) == (0, 4)


def test_55k_csv_cells_longer_than_the_csv_modules_default_cap_read() -> None:
    answer = "word " * 40_000  # 200,000 characters: over the csv module's default 131,072 per field
    data = CSV_HEADER + _csv_row("1", "m-a", "m-b", ["Q"], ["short"], [answer], "0", "1", "0")
    conversation = parse_one("preference", data, "train.csv")
    assert conversation.turns[-1].text == answer


def test_55k_csv_row_over_the_record_limit_stops_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.conversations.importers._csv.MAX_RECORD_BYTES", 1000)
    data = (
        CSV_HEADER
        + _csv_row("1", "m-a", "m-b", ["Q"], ["A"], ["B"], "0", "1", "0")
        + _csv_row("2", "m-a", "m-b", ["Q"], ["A" * 600], ["B\n" * 300], "0", "1", "0")
        + _csv_row("3", "m-a", "m-b", ["Q"], ["A"], ["B"], "0", "1", "0")
    )
    conversations, errors = parse("preference", data, "train.csv")
    assert [c.external_id for c in conversations] == ["1"]
    assert errors_of(errors) == [
        (3, None, "the CSV row is over the 0 MB limit; the rest of the file is not read")
    ]
