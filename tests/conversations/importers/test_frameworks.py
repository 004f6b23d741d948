"""Chats kept by LLM frameworks, one conversation per file: LangChain histories (`messages_to_dict` and `dumpd`),
LlamaIndex's `SimpleChatStore`, OpenAI's conversation items (Responses / Conversations APIs) and the Vercel AI
SDK's `UIMessage` arrays. Fixtures in tests/fixtures/real_formats/frameworks/, hand-written from each library's
types and persistence code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "frameworks"
FORMATS = {
    "langchain-history.json": "langchain",
    "langchain-dumpd.json": "langchain",
    "llamaindex-chat-store.json": "llamaindex",
    "openai-conversation-items.json": "openai-items",
    "ai-sdk-chat.json": "ai-sdk",
}
PUSHBACK = "that's what I have, the 404 is for the trailing slash version"


def _results(name: str) -> list[object]:
    return list(get_importer(FORMATS[name]).parse(io.BytesIO((ROOT / name).read_bytes()), f"chats/{name}"))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_shape_is_detected_and_reads_the_exchange(name: str) -> None:
    data = (ROOT / name).read_bytes()
    assert detect_format(data[:65536], "chat.json") == FORMATS[name]
    conversation = next(r for r in _results(name) if isinstance(r, ParsedConversation))
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert turns(conversation)[2] == ("user", PUSHBACK)
    assert turns(conversation)[3][1].startswith("Right, then add the trailing slash")
    assert conversation.title == "why does my flask app return 404 for /api/users/?"


def test_tool_calls_thinking_and_what_is_left_out() -> None:
    (history,) = _results("langchain-history.json")
    assert isinstance(history, ParsedConversation)
    assert history.system_prompt == "You are a Flask expert."
    assert [b["type"] for b in history.turns[3].blocks or []] == ["tool_use", "tool_result", "text"]
    (items,) = _results("openai-conversation-items.json")
    assert isinstance(items, ParsedConversation)
    assert items.turns[1].blocks == [
        {"type": "thinking", "thinking": "Flask's strict slashes."},
        {"type": "text", "text": "Flask routes are exact: register the route as `@app.route('/api/users')`."},
    ]
    assert items.dropped == {"image": 1}
    assert items.turns[3].blocks is not None
    assert items.turns[3].blocks[0] == {
        "type": "tool_use",
        "id": "call_9",
        "name": "grep",
        "input": {"pattern": "route"},
    }
    (chat,) = _results("ai-sdk-chat.json")
    assert isinstance(chat, ParsedConversation)
    assert [b["type"] for b in chat.turns[3].blocks or []] == ["thinking", "tool_use", "tool_result", "text"]
    assert chat.dropped == {}  # step-start and source parts carry no text


def test_a_chat_store_is_a_conversation_per_key_and_names_a_bad_one() -> None:
    alice, bob = _results("llamaindex-chat-store.json")
    assert isinstance(alice, ParsedConversation)
    assert (alice.external_id, alice.json_path, alice.dropped) == (
        "chats/llamaindex-chat-store.json#alice",
        "$.store.alice",
        {"image": 1},
    )
    assert isinstance(bob, RecordError)
    assert (bob.json_path, bob.reason) == (
        "$.store.bob",
        'store.bob[0].role: expected "user", "assistant", "system" or "tool", got "robot"',
    )


def test_bad_messages_are_named_by_their_place() -> None:
    history = json.loads((ROOT / "langchain-history.json").read_text())
    history[2]["type"] = "assistant"
    (error,) = list(get_importer("langchain").parse(io.BytesIO(json.dumps(history).encode()), "h.json"))
    assert isinstance(error, RecordError)
    assert error.reason == '$[2].type: expected human, ai, system or tool, got "assistant"'
    with pytest.raises(FileFormatError, match="expected a JSON array of AI SDK messages"):
        list(get_importer("ai-sdk").parse(io.BytesIO(b'{"role": "user"}'), "x.json"))


def test_gemini_cli_checkpoints_are_not_taken_for_ai_sdk_chats() -> None:
    checkpoint = [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}]},
    ]
    assert detect_format(json.dumps(checkpoint).encode(), "checkpoint-x.json") == "gemini-cli"


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="frameworks", workers=0)
    # LangChain's dumpd file and the chat store's first key hold the same turns: one is a duplicate.
    assert (summary.conversations_added, summary.duplicates) == (4, 1)
    assert [e["json_path"] for e in summary.errors] == ["$.store.bob"]
    assert run_import(engine, paths=[ROOT], source="frameworks", workers=0).conversations_added == 0


def test_odd_values_are_read_or_refused_never_crash() -> None:
    # Found by mutating the fixtures: a class path whose last item is a list, tool calls that are a number.
    dumpd = json.loads((ROOT / "langchain-dumpd.json").read_text())
    dumpd[0]["id"][-1] = ["HumanMessage"]
    detect_format(json.dumps(dumpd).encode(), "x.json")  # sniffing it does not raise
    (error,) = list(get_importer("langchain").parse(io.BytesIO(json.dumps(dumpd).encode()), "x.json"))
    assert isinstance(error, RecordError)
    history = json.loads((ROOT / "langchain-history.json").read_text())
    history[2]["data"]["tool_calls"] = 7
    (conversation,) = list(
        get_importer("langchain").parse(io.BytesIO(json.dumps(history).encode()), "x.json")
    )
    assert isinstance(conversation, ParsedConversation)


def test_an_assistants_thread_is_read_oldest_first_without_citation_markers() -> None:
    def message(
        created: int, role: str, text: str, notes: list[dict[str, object]] | None = None
    ) -> dict[str, object]:
        return {
            "id": f"msg_{created}",
            "object": "thread.message",
            "created_at": created,
            "thread_id": "thread_tide",
            "role": role,
            "content": [{"type": "text", "text": {"value": text, "annotations": notes or []}}],
        }

    marker = "\u30104:0\u2020tides.pdf\u3011"
    thread = {
        "object": "list",
        "data": [  # newest first, as the API lists them
            message(
                30,
                "assistant",
                f"Because the Sun and Moon pull at right angles.{marker}",
                [{"type": "file_citation", "text": marker, "start_index": 47, "end_index": 60}],
            ),
            message(20, "user", "but why are neap tides smaller?"),
            message(10, "assistant", "Spring tides come at new and full moon."),
            message(5, "user", "When are spring tides?"),
        ],
        "first_id": "msg_30",
        "last_id": "msg_5",
        "has_more": False,
    }
    data = json.dumps(thread, indent=2).encode()
    assert detect_format(data, "messages.json") == "openai-items"
    (conversation,) = list(get_importer("openai-items").parse(io.BytesIO(data), "messages.json"))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.external_id == "thread_tide"
    assert turns(conversation) == [
        ("user", "When are spring tides?"),
        ("assistant", "Spring tides come at new and full moon."),
        ("user", "but why are neap tides smaller?"),
        ("assistant", "Because the Sun and Moon pull at right angles."),
    ]


def test_langchain_js_history_store_is_a_conversation_per_session() -> None:
    """LangChain.js's FileSystemChatMessageHistory keeps every session in `.history/history.json` (real projects
    commit it): `{<user id>: {<session id>: {messages}}}`, the user id "" when none was given."""

    def message(kind: str, text: str) -> dict[str, object]:
        return {"type": kind, "data": {"content": text, "additional_kwargs": {}, "response_metadata": {}}}

    store = {
        "": {
            "s-1": {"messages": [message("human", "Oi"), message("ai", "Olá! Em que posso ajudar?")]},
            "s-2": {"messages": []},
        },
        "ana": {
            "s-3": {
                "messages": [
                    message("human", "Capital of Australia?"),
                    message("ai", "Sydney."),
                    message("human", "No, it's Canberra."),
                    message("ai", "You're right: Canberra is the capital."),
                ]
            }
        },
    }
    data = json.dumps(store).encode()
    assert detect_format(data, "history.json") == "langchain"
    results = list(get_importer("langchain").parse(io.BytesIO(data), ".history/history.json"))
    first, empty, second = results
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert (first.external_id, first.json_path) == (".history/history.json:/s-1", '$[""]["s-1"]')
    assert turns(first) == [("user", "Oi"), ("assistant", "Olá! Em que posso ajudar?")]
    assert empty == Skipped("LangChain chat history session without messages")
    assert second.external_id == ".history/history.json:ana/s-3"
    assert [t.text for t in second.turns][2:] == [
        "No, it's Canberra.",
        "You're right: Canberra is the capital.",
    ]


def test_langchain_messages_written_flat_without_their_data_object() -> None:
    # A real script's chat_history.json: `[{"type": "system" | "human" | "ai", "content": ...}]`.
    data = json.dumps(
        [
            {"type": "system", "content": "You are a helpful assistant."},
            {"type": "human", "content": "heyyy"},
            {"type": "ai", "content": "Hey there! How can I help you today?"},
        ]
    ).encode()
    assert detect_format(data, "chat_history.json") == "langchain"
    (chat,) = list(get_importer("langchain").parse(io.BytesIO(data), "chat_history.json"))
    assert isinstance(chat, ParsedConversation)
    assert chat.system_prompt == "You are a helpful assistant."
    assert turns(chat) == [("user", "heyyy"), ("assistant", "Hey there! How can I help you today?")]


def _chat_message(role: str, text: str) -> dict[str, object]:
    return {"role": role, "additional_kwargs": {}, "blocks": [{"block_type": "text", "text": text}]}


def test_llamaindex_messages_kept_without_the_store_are_read() -> None:
    """An app that keeps LlamaIndex's `ChatMessage` dumps itself (ninth fetch: an analyst bot's `chat_histories.json`,
    an object of them by user, matched no format and its "are you sure?" was lost); a bare list of them too."""
    history = [
        _chat_message("user", "how many reviews exist?"),
        _chat_message("assistant", "The dataset contains 1,000 reviews."),
        _chat_message("user", "are you sure?"),
        _chat_message("assistant", "I apologize: the dataset holds reservations, not reviews."),
    ]
    by_user = json.dumps({"ido123123": history, "guest": []}).encode()
    assert detect_format(by_user, "chat_histories.json") == "llamaindex"
    results = list(get_importer("llamaindex").parse(io.BytesIO(by_user), "chat_histories.json"))
    chats = [r for r in results if isinstance(r, ParsedConversation)]
    assert [c.external_id for c in chats] == ["chat_histories.json#ido123123"]
    assert turns(chats[0])[2] == ("user", "are you sure?")
    bare = json.dumps(history).encode()
    assert detect_format(bare, "history.json") == "llamaindex"
    (chat,) = list(get_importer("llamaindex").parse(io.BytesIO(bare), "history.json"))
    assert isinstance(chat, ParsedConversation)
    assert len(chat.turns) == 4
    # OpenAI's messages, which have no blocks, stay OpenAI's.
    assert detect_format(json.dumps([{"role": "user", "content": "hi"}]).encode(), "h.json") != "llamaindex"
