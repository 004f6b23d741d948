"""Bad input: a RecordError for the record or a FileFormatError for the file, never a crash."""

from __future__ import annotations

import io
import json
from typing import IO, cast

import pytest

from app.conversations.importers import _json, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation

from .helpers import RENDERED, errors_of, jsonl, parse, turns

GOOD = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
GOOD_LINE = json.dumps(GOOD).encode() + b"\n"
JSON_FORMATS = ["openai", "anthropic", "sharegpt", "chatgpt", "preference"]


def test_a_malformed_line_among_good_ones_is_reported_and_the_rest_imported() -> None:
    conversations, errors = parse("openai", GOOD_LINE + b'{"messages": [\n' + b"\n" + GOOD_LINE)
    assert [(c.line, c.external_id) for c in conversations] == [(1, "data.jsonl:1"), (4, "data.jsonl:4")]
    assert errors_of(errors) == [(2, None, "invalid JSON: unexpected end of data at character 15")]


def test_a_5_mb_line_is_fine_and_a_40_mb_line_is_rejected_without_losing_the_next() -> None:
    big = {
        "messages": [
            {"role": "user", "content": "x" * (5 * 1024 * 1024)},
            {"role": "assistant", "content": "ok"},
        ]
    }
    conversations, errors = parse("openai", json.dumps(big).encode() + b"\n" + GOOD_LINE)
    assert errors == []
    assert [len(c.turns[0].text) for c in conversations] == [5 * 1024 * 1024, 2]
    huge = b'{"messages": "' + b"y" * (40 * 1024 * 1024) + b'"}\n'
    conversations, errors = parse("openai", GOOD_LINE + huge + GOOD_LINE)
    assert errors_of(errors) == [(2, None, "line is 40 MB, over the 32 MB limit")]
    assert [c.line for c in conversations] == [1, 3]


def test_a_33_mb_array_item_is_rejected_and_the_next_item_kept() -> None:
    item = b'{"conversations": [{"from": "human", "value": "' + b"z" * (33 * 1024 * 1024) + b'"}]}'
    good = json.dumps(
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]}
    ).encode()
    conversations, errors = parse("sharegpt", b"[" + item + b", " + good + b"]")
    assert errors_of(errors) == [(None, "$[0]", "record is 33 MB, over the 32 MB limit")]
    assert [(c.json_path, turns(c)) for c in conversations] == [("$[1]", [("user", "a"), ("assistant", "b")])]


def test_deep_nesting_is_rejected_cleanly() -> None:
    conversations, errors = parse("openai", GOOD_LINE + b'{"a":' + b"[" * 100_000 + b"\n" + GOOD_LINE)
    assert errors_of(errors) == [(2, None, "JSON nested deeper than 200 levels")]
    assert len(conversations) == 2
    # Deeper than the limit but within what orjson accepts: caught by the depth walk. The record, its
    # messages list and the message are 3 levels, so 197 more reach exactly 200.
    nested = json.dumps(
        {"messages": [GOOD["messages"][0], {"role": "assistant", "content": "x", "extra": [[[]]]}]}
    )
    at_limit = nested.replace("[[[]]]", "[" * 197 + "]" * 197).encode()
    over = nested.replace("[[[]]]", "[" * 198 + "]" * 198).encode()
    assert parse("openai", at_limit)[1] == []
    assert errors_of(parse("openai", over)[1]) == [(1, None, "JSON nested deeper than 200 levels")]


def test_deep_nesting_in_a_json_array_is_rejected_cleanly() -> None:
    _, errors = parse("sharegpt", b"[" * 100_000)
    assert errors_of(errors) == [(None, "$[0]", "JSON nested deeper than 200 levels")]
    _, errors = parse("sharegpt", b"[" + b"[" * 300 + b"]" * 300 + b"]")
    assert errors_of(errors) == [(None, "$[0]", "JSON nested deeper than 200 levels")]


def test_invalid_utf8_is_reported_for_its_line() -> None:
    conversations, errors = parse(
        "openai", GOOD_LINE + b'{"messages": [{"role": "user", "content": "caf\xe9"}]}\n'
    )
    # Byte 46 of the line is the lone Latin-1 "é".
    assert errors_of(errors) == [(2, None, "not valid UTF-8 at byte 46")]
    assert len(conversations) == 1


@pytest.mark.parametrize("fmt", [*JSON_FORMATS, "claude-code", "markdown"])
@pytest.mark.parametrize("data", [b"", b"  \n\n\t\n", b"\xef\xbb\xbf"])
def test_empty_files_are_a_file_format_error(fmt: str, data: bytes) -> None:
    with pytest.raises(FileFormatError, match=r"^file is empty$"):
        parse(fmt, data)


def test_a_bom_is_tolerated() -> None:
    conversations, errors = parse("openai", b"\xef\xbb\xbf" + GOOD_LINE)
    assert errors == []
    assert len(conversations) == 1
    sharegpt = (RENDERED / "sharegpt" / "conversations.json").read_bytes()
    conversations, errors = parse("sharegpt", b"\xef\xbb\xbf" + sharegpt)
    assert errors == []
    assert len(conversations) == 24


def test_wrong_field_types_name_the_field() -> None:
    records = [
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "robot", "content": "c"},
            ]
        },
        {"messages": [{"role": "user", "content": 5}]},
        {"messages": "hello"},
        {"prompt": "no messages"},
        [1, 2],
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "tool_calls": [{"function": {"name": 3}}]},
            ]
        },
        {"messages": [{"role": "user", "content": "only a question"}]},
        # A training line of a system prompt and an answer: which side is missing is said.
        {"messages": [{"role": "system", "content": "be brief"}, {"role": "assistant", "content": "ok"}]},
    ]
    _, errors = parse("openai", jsonl(*records))
    assert errors_of(errors) == [
        (1, None, 'messages[2].role: expected "system", "user", "assistant" or "tool", got "robot"'),
        (2, None, "messages[0].content: expected a string or a list of parts, got a number"),
        (3, None, "messages: expected a list, got a string"),
        (4, None, "messages: expected a list, got null"),
        (5, None, "expected a JSON object, got a list"),
        (6, None, "messages[1].tool_calls[0].function.name: expected a string, got a number"),
        (7, None, "no assistant answer: only the user's messages"),
        (8, None, "no user message: only the assistant's (a prompt is needed for a conversation)"),
    ]
    _, errors = parse("anthropic", jsonl({"messages": [{"role": "system", "content": "x"}]}))
    assert errors_of(errors) == [(1, None, 'messages[0].role: expected "user" or "assistant", got "system"')]
    _, errors = parse(
        "sharegpt",
        jsonl(
            {"conversations": [{"from": "robot", "value": "x"}]},
            {"conversations": [{"from": "gpt", "value": 1}]},
        ),
    )
    assert errors_of(errors) == [
        (
            1,
            None,
            'conversations[0].from: expected "human", "gpt", "system", "function_call" or "observation",'
            ' got "robot"',
        ),
        (2, None, "conversations[0].value: expected a string, got a number"),
    ]


def test_files_that_are_not_json_are_a_file_format_error() -> None:
    for fmt in JSON_FORMATS:
        with pytest.raises(FileFormatError, match="not JSON"):
            parse(fmt, b"\x89PNG\r\n\x1a\n\x00\x00")
        with pytest.raises(FileFormatError, match="not JSON"):
            parse(fmt, b"prompt,chosen,rejected\n")


def test_broken_json_arrays() -> None:
    good = json.dumps(
        {"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]}
    ).encode()
    conversations, errors = parse("sharegpt", b"[" + good + b', "stray", ' + good + b", {" + b'"x": [')
    assert [c.json_path for c in conversations] == ["$[0]", "$[2]"]
    assert errors_of(errors) == [
        (None, "$[1]", "expected a JSON object, got a string"),
        (None, "$[3]", "file ends inside this record"),
    ]
    _, errors = parse("sharegpt", b"[" + good)
    assert errors_of(errors) == [(None, "$[1]", "file ends before the JSON array is closed")]
    _, errors = parse("sharegpt", b"[" + good + b"] trailing")
    assert errors_of(errors) == [(None, None, "unexpected content after the end of the JSON array")]
    with pytest.raises(FileFormatError, match="the JSON array is empty"):
        parse("sharegpt", b" [ ] ")


def test_array_items_cut_at_any_chunk_boundary_parse_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (RENDERED / "chatgpt" / "conversations.json").read_bytes()[:40_000]
    tricky = json.dumps(
        [{"conversations": [{"from": "human", "value": 'a\\"b\\'}, {"from": "gpt", "value": ']}"[{'}]}]
    )
    expected = [parse("chatgpt", data), parse("sharegpt", tricky.encode())]
    assert expected[1][0][0].turns[1].text == ']}"[{'
    for size in (1, 2, 3, 7, 4096):
        monkeypatch.setattr(_json, "_CHUNK", size)
        assert [parse("chatgpt", data), parse("sharegpt", tricky.encode())] == expected


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io hands a memoryview; the stub says Buffer
        data = self._inner.read(min(len(buffer), 5))
        buffer[: len(data)] = data
        return len(data)


def _pipe(data: bytes) -> IO[bytes]:
    """A stream that cannot seek and hands out 5 bytes per read, like a slow pipe."""
    return cast(IO[bytes], _Unseekable(data))


def test_any_binary_stream_works() -> None:
    results = list(get_importer("openai").parse(_pipe(b"\n\n" + GOOD_LINE * 3), "pipe"))
    conversations = [r for r in results if isinstance(r, ParsedConversation)]
    assert conversations == results
    assert [c.line for c in conversations] == [3, 4, 5]
    sharegpt = (RENDERED / "sharegpt" / "conversations.json").read_bytes()
    assert len(list(get_importer("sharegpt").parse(_pipe(sharegpt), "pipe"))) == 24
