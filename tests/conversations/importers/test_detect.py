"""Format detection by content, with the file name only breaking ties; the importer registry."""

from __future__ import annotations

import json

import pytest

from app.conversations.importers import FORMATS, HEAD_BYTES, IMPORTERS, _records, detect_format, get_importer

from .helpers import REAL_CLAUDE_CODE, jsonl

MESSAGES = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]


def test_registry() -> None:
    assert FORMATS == (
        "claude-code",
        "codex",
        "mini-swe-agent",
        "swe-agent",
        "openhands",
        "atif",
        "agent-stream",
        "managed-agents",
        "amazon-q",
        "gptme",
        "cody",
        "ai-sdk",
        "gemini-cli",
        "antigravity",
        "cline",
        "cline-ui",
        "continue",
        "deepseek",
        "chatgpt",
        "claude-ai",
        "zed",
        "gemini-api",
        "ai-studio",
        "openai-api",
        "openai-items",
        "opencode",
        "goose",
        "pi-agent",
        "copilot-cli",
        "crush",
        "cursor",
        "cursor-agent",
        "void",
        "ollama-app",
        "oterm",
        "elia",
        "augment",
        "langchain",
        "langsmith",
        "llamaindex",
        "call-logs",
        "open-webui",
        "librechat",
        "vscode-chat",
        "vscode-chat-text",
        "grok",
        "perplexity",
        "le-chat",
        "jan",
        "lm-studio",
        "sillytavern",
        "textgen-webui",
        "kobold-lite",
        "lobechat",
        "huggingchat",
        "chatbox",
        "cherry-studio",
        "nextchat",
        "betterchatgpt",
        "chatbot-ui",
        "page-assist",
        "chathub",
        "typingmind",
        "big-agi",
        "llm-cli",
        "anythingllm",
        "copilot-activity",
        "message-table",
        "page-export",
        "chatgpt-html",
        "gemini-takeout",
        "oasst",
        "preference",
        "sharegpt",
        "sft-dataset",
        "chat-template",
        "anthropic",
        "openai",
        "chat-log",
        "claude-code-export",
        "codex-tui",
        "gemini-tui",
        "aider",
        "aider-llm",
        "aichat",
        "ollama",
        "specstory",
        "gptel",
        "org-ai",
        "jetbrains-ai",
        "cline-export",
        "opencode-export",
        "copilot-share",
        "prompt-log",
        "claude-page",
        "ai-studio-page",
        "perplexity-page",
        "markdown",
    )
    assert all(IMPORTERS[name].name == name for name in FORMATS)
    assert list(IMPORTERS) == list(FORMATS)
    assert "openai" in IMPORTERS
    assert "csv" not in IMPORTERS
    assert get_importer("openai") is IMPORTERS["openai"]
    with pytest.raises(
        ValueError,
        match="unknown format 'csv'; choose one of: claude-code, codex, mini-swe-agent, swe-agent, openhands, atif, agent-stream, managed-agents, amazon-q, gptme",
    ):
        get_importer("csv")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (jsonl({"messages": MESSAGES}), "openai"),
        (jsonl({"messages": [{"role": "system", "content": "S"}, *MESSAGES]}), "openai"),
        (
            jsonl(
                {
                    "messages": [
                        {"role": "user", "content": [{"type": "image_url", "image_url": {}}]},
                        MESSAGES[1],
                    ]
                }
            ),
            "openai",
        ),
        (jsonl({"system": "S", "messages": MESSAGES}), "anthropic"),
        (
            jsonl(
                {
                    "messages": [
                        MESSAGES[0],
                        {"role": "assistant", "content": [{"type": "tool_use", "id": "t"}]},
                    ]
                }
            ),
            "anthropic",
        ),
        (jsonl({"prompt": "Q", "chosen": "A", "rejected": "B"}), "preference"),
        (jsonl({"prompt": MESSAGES[:1], "chosen": MESSAGES[1:], "rejected": MESSAGES[1:]}), "preference"),
        (
            jsonl({"input": {"messages": MESSAGES[:1]}, "preferred_output": [], "non_preferred_output": []}),
            "preference",
        ),
        (json.dumps([{"prompt": "Q", "chosen": "A", "rejected": "B"}]).encode(), "preference"),
        (jsonl({"conversations": [{"from": "human", "value": "Q"}]}), "sharegpt"),
        (
            json.dumps(
                [{"conversations": [{"from": "human", "value": "Q"}], "chosen": {}, "rejected": {}}]
            ).encode(),
            "sharegpt",
        ),
        (json.dumps([{"title": "T", "mapping": {}, "current_node": None}]).encode(), "chatgpt"),
        (
            jsonl({"type": "summary", "summary": "S", "leafUuid": "u"}, {"type": "user", "sessionId": "s"}),
            "claude-code",
        ),
        (
            jsonl(
                {"type": "file-history-snapshot", "messageId": "m", "snapshot": {}},
                {"type": "user", "parentUuid": None},
            ),
            "claude-code",
        ),
        (b"# Title\n\n## \xf0\x9f\x91\xa4 User\n\nQ\n\n---\n\n## \xf0\x9f\xa4\x96 Claude\n\nA\n", "markdown"),
        (b"User: Q\n\nAssistant: A\n", "markdown"),
        (b"Human: Q\nClaude: A\n", "markdown"),
    ],
)
def test_detects_by_content(head: bytes, expected: str) -> None:
    assert detect_format(head, "upload.bin") == expected


@pytest.mark.parametrize(
    "head",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        b"prompt,chosen,rejected\nQ,A,B\n",
        b"Just some notes.\nNothing like a transcript.\n",
        b"## User\n\nA question nobody answered.\n",
        jsonl({"foo": 1}, {"bar": 2}),
        b"[1, 2, 3]",
    ],
)
def test_junk_is_not_detected(head: bytes) -> None:
    assert detect_format(head, "junk.jsonl") is None


@pytest.mark.parametrize("head", [b"", b"   \n\n", b"\xef\xbb\xbf\n"])
def test_a_file_without_content_goes_to_an_importer_that_reports_it_empty(head: bytes) -> None:
    assert detect_format(head, "data.jsonl") == "openai"
    assert detect_format(head, "notes.md") == "markdown"
    assert detect_format(head, "export/conversations.json") == "chatgpt"


def test_detects_records_longer_than_the_head() -> None:
    long_text = "x" * 70_000
    chatgpt = json.dumps(
        [{"title": "T", "mapping": {"a": {"message": {"author": {"role": "user"}, "content": long_text}}}}]
    )
    assert detect_format(chatgpt.encode()[:65536], "export.json") == "chatgpt"
    session = {
        "parentUuid": None,
        "sessionId": "s",
        "type": "user",
        "message": {"role": "user", "content": long_text},
    }
    assert detect_format(jsonl(session)[:65536], "s.jsonl") == "claude-code"
    openai = {"messages": [{"role": "user", "content": long_text}, MESSAGES[1]]}
    assert detect_format(jsonl(openai)[:65536], "train.jsonl") == "openai"
    preference = {"prompt": "Q", "rejected": "B", "chosen": long_text}
    assert detect_format(jsonl(preference)[:65536], "pairs.jsonl") == "preference"


def test_real_claude_code_files_are_detected() -> None:
    for path in sorted(REAL_CLAUDE_CODE.glob("*.jsonl")):
        assert detect_format(path.read_bytes()[:65536], path.name) == "claude-code", path


def test_file_name_breaks_ties_only() -> None:
    both = jsonl({"type": "user", "sessionId": "s", "mapping": {}})
    assert detect_format(both, "export/conversations.json") == "chatgpt"
    assert detect_format(both, "session.jsonl") == "claude-code"
    # A name never overrides the content.
    assert detect_format(jsonl({"messages": MESSAGES}), "conversations.json") == "openai"
    assert detect_format(jsonl({"messages": MESSAGES}), "notes.md") == "openai"


class TestHeadRecords:
    """The head's records are decoded as sniffers ask for them: most stop at the first."""

    def _counting(self, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
        decoded: list[bytes] = []
        real = _records.decode

        def counting(data: bytes) -> object:
            decoded.append(data)
            return real(data)

        monkeypatch.setattr(_records, "decode", counting)
        _records.head_records.cache_clear()
        return decoded

    def test_a_claude_code_session_is_known_from_its_first_record(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        decoded = self._counting(monkeypatch)
        head = (REAL_CLAUDE_CODE / "edge_cases.jsonl").read_bytes()[:HEAD_BYTES]
        assert head.count(b"\n") >= 3
        assert detect_format(head, "session.jsonl") == "claude-code"
        assert len(decoded) == 1

    def test_records_as_before(self, monkeypatch: pytest.MonkeyPatch) -> None:
        decoded = self._counting(monkeypatch)
        head = b'{"a": 1}\n[1, 2]\n"text"\n{"b": 2}\n{"c": 3}\n{"d": 4}\n'
        records = _records.head_records(head)
        assert records[0] == {"a": 1}
        assert len(decoded) == 1
        # Lines that are not objects are passed over; the last piece (the rest of the head) is one line too many.
        assert list(records) == [{"a": 1}]
        assert len(records) == 1
        cut = _records.head_records(b'{"a": 1}\n{"b": 2}\n{"c": 3, "d": [')
        assert list(cut) == [{"a": 1}, {"b": 2}]
        assert len(cut) == 2
        assert cut[-1] == {"b": 2}
        assert cut[:1] == [{"a": 1}]
        assert not _records.head_records(b'"only a string"\n')
        assert len(_records.head_records(b"[1, 2]")) == 0
        three = _records.head_records(b'{"a": 1}\n{"b": 2}\n{"c": 3}\n{"d": 4}\n')
        assert list(three) == [{"a": 1}, {"b": 2}, {"c": 3}]
        with pytest.raises(IndexError):
            three[3]
