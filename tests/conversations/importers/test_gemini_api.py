"""The Gemini API's `contents` (Vertex AI tuning JSONL, request bodies) and Google AI Studio's saved chats
(`chunkedPrompt`), and other providers' chat datasets (Cohere's capitalized roles, Amazon Bedrock's Converse
blocks): fixtures in tests/fixtures/real_formats/{gemini_api,ai_studio,provider_datasets}/, hand-written from the
providers' documentation (Gemini `GenerateContentRequest`, Vertex AI's tuning dataset format, Cohere's chat
fine-tuning data, Bedrock's `bedrock-conversation-2024` schema) and, for AI Studio, from readers written for real
saved chats."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import

from .helpers import turns

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
VERTEX, REQUEST = REAL / "gemini_api" / "vertex-tuning.jsonl", REAL / "gemini_api" / "request.json"
STUDIO = REAL / "ai_studio" / "Undo last commit keep changes"
COHERE, BEDROCK = (
    REAL / "provider_datasets" / "cohere-chat.jsonl",
    REAL / "provider_datasets" / "bedrock-converse.jsonl",
)


def _parse(fmt: str, path: Path, name: str | None = None) -> list[object]:
    return list(get_importer(fmt).parse(io.BytesIO(path.read_bytes()), name or str(path)))


def test_the_shapes_are_detected_by_content() -> None:
    assert detect_format(VERTEX.read_bytes(), "train.jsonl") == "gemini-api"
    assert detect_format(REQUEST.read_bytes(), "body.json") == "gemini-api"
    assert detect_format(STUDIO.read_bytes(), "Undo last commit keep changes") == "ai-studio"
    assert detect_format(COHERE.read_bytes(), "train.jsonl") == "openai"
    assert detect_format(BEDROCK.read_bytes(), "train.jsonl") == "anthropic"
    # A saved chat longer than the head: its keys say what it is.
    big = json.loads(STUDIO.read_text())
    big["systemInstruction"] = {"parts": [{"text": "x" * 70_000}]}
    assert detect_format(json.dumps(big, indent=2).encode()[:65536], "chat") == "ai-studio"


def test_vertex_tuning_records_keep_system_tools_thinking_and_code() -> None:
    first, tools, code, error = _parse("gemini-api", VERTEX)
    assert isinstance(first, ParsedConversation)
    assert first.system_prompt == "You are a concise SQL assistant."
    assert [role for role, _ in turns(first)] == ["user", "assistant", "user", "assistant"]
    assert isinstance(tools, ParsedConversation)
    assert tools.turns[1].text == "Tomorrow in Lisbon: sunny, 15 to 22 °C."
    assert tools.turns[1].blocks is not None
    assert tools.turns[1].blocks[:3] == [
        {"type": "thinking", "thinking": "The user wants a forecast; call the weather tool."},
        {"type": "tool_use", "id": None, "name": "get_forecast", "input": {"city": "Lisbon", "days": 1}},
        {
            "type": "tool_result",
            "tool_use_id": None,
            "content": '{"high_c":22,"low_c":15,"sky":"sunny"}',
            "is_error": False,
        },
    ]
    assert isinstance(code, ParsedConversation)
    assert code.turns[0] == code.turns[0].__class__("user", "Plot this and tell me the trend", None)
    assert code.turns[1].text.startswith("```python\nimport numpy as np\n")
    assert code.dropped == {"image": 1}  # the inline PNG; a role left out is the user's
    assert isinstance(error, RecordError)
    assert (error.line, error.reason) == (4, 'contents[0].role: expected "user" or "model", got "assistant"')


def test_a_request_body_in_snake_case() -> None:
    (conversation,) = _parse("gemini-api", REQUEST)
    assert isinstance(conversation, ParsedConversation)
    assert conversation.system_prompt == "Answer in British English."
    assert conversation.metadata == {"model": "gemini-2.5-flash"}
    assert turns(conversation)[2] == ("user", "no, I asked for British spelling, that's all American")


def test_an_ai_studio_chat_is_named_by_its_file() -> None:
    (conversation,) = _parse("ai-studio", STUDIO, "Google AI Studio/Undo last commit keep changes")
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.external_id, conversation.title) == (
        "Google AI Studio/Undo last commit keep changes",
        "Undo last commit keep changes",
    )
    assert conversation.metadata == {"model": "models/gemini-2.5-pro"}
    assert conversation.system_prompt == "You help with git."
    assert conversation.dropped == {"image": 1}  # the screenshot chunk; the empty pending input is not read
    assert turns(conversation) == [
        ("user", "How do I undo my last commit but keep the changes?"),
        ("assistant", "Use `git reset --hard HEAD~1`."),
        ("user", "that's wrong, --hard deletes my changes. see the screenshot"),
        (
            "assistant",
            "You're right, `--hard` discards them. Use `git reset --soft HEAD~1` to keep them staged.",
        ),
    ]
    assert conversation.turns[1].blocks is not None
    assert conversation.turns[1].blocks[0]["type"] == "thinking"
    bad = json.loads(STUDIO.read_text())
    bad["chunkedPrompt"]["chunks"][2]["role"] = "assistant"
    (error,) = list(get_importer("ai-studio").parse(io.BytesIO(json.dumps(bad).encode()), "chat"))
    assert isinstance(error, RecordError)
    assert error.reason == 'chunkedPrompt.chunks[2].role: expected "user" or "model", got "assistant"'


def test_cohere_roles_and_bedrock_converse_blocks() -> None:
    cohere, error = _parse("openai", COHERE)
    assert isinstance(cohere, ParsedConversation)
    assert cohere.system_prompt == "You are a helpful travel agent."
    assert [role for role, _ in turns(cohere)] == ["user", "assistant", "user", "assistant"]
    assert isinstance(error, RecordError)
    assert error.reason == 'messages[1].role: expected "system", "user", "assistant" or "tool", got "Robot"'
    (bedrock,) = _parse("anthropic", BEDROCK)
    assert isinstance(bedrock, ParsedConversation)
    assert bedrock.system_prompt == "You are a Python tutor."
    assert bedrock.dropped == {"image": 1}
    assert bedrock.turns[1].blocks == [
        {"type": "thinking", "thinking": "In place means no copy."},
        {"type": "text", "text": "Use reversed(items)."},
    ]
    assert [b["type"] for b in bedrock.turns[3].blocks or []] == ["tool_use", "tool_result", "text"]
    assert bedrock.turns[3].blocks is not None
    assert bedrock.turns[3].blocks[1]["content"] == "[3, 2, 1]"


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    paths = [REAL / "gemini_api", REAL / "ai_studio", REAL / "provider_datasets"]
    summary = run_import(engine, paths=paths, source="providers", workers=0)
    assert summary.conversations_added == 8
    assert (
        summary.pairs_detected >= 5
    )  # the five pushbacks; other candidates may be stored below the threshold
    assert [e["reason"][:28] for e in summary.errors] == [
        'contents[0].role: expected "',
        'messages[1].role: expected "',
    ]
    assert run_import(engine, paths=paths, source="providers", workers=0).conversations_added == 0
