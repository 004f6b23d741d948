"""ChatGPT exports of reasoning models: `thoughts` messages are the answer's thinking, `reasoning_recap`
("Thought for 1m 1s") is a label, and neither is counted as a dropped part.

Shapes as real exports of 2025 write them (`content_type` "thoughts" with `thoughts: [{summary, content,
chunks, finished}]` and `source_analysis_msg_id`; "reasoning_recap" with a `content` string).
"""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.pairs.detection import detect_pairs

from .helpers import parse_one, turns


def _node(
    key: str, parent: str | None, children: list[str], role: str | None, content: Any
) -> dict[str, Any]:
    message = None
    if role is not None:
        message = {
            "id": key,
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": 1756246923.0,
            "content": content,
            "status": "finished_successfully",
            "end_turn": None,
            "weight": 1.0,
            "metadata": {},
            "recipient": "all",
            "channel": None,
        }
    return {"id": key, "message": message, "parent": parent, "children": children}


def _text(text: str) -> dict[str, Any]:
    return {"content_type": "text", "parts": [text]}


def _export() -> bytes:
    thoughts = {
        "content_type": "thoughts",
        "thoughts": [
            {
                "summary": "Checking the units",
                "content": "The user gave miles; the formula wants kilometres.",
                "chunks": [],
                "finished": True,
            },
            {"summary": "Converting", "content": "", "chunks": [], "finished": True},
        ],
        "source_analysis_msg_id": "5b1c3e2a-0d9f-4a8b-b7c6-1e2f3a4b5c6d",
    }
    empty = {"content_type": "thoughts", "thoughts": [], "source_analysis_msg_id": "x"}
    recap = {"content_type": "reasoning_recap", "content": "Thought for 12s"}
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["t1"], "user", _text("How long is 26.2 miles in km?")),
        "t1": _node("t1", "u1", ["r1"], "assistant", thoughts),
        "r1": _node("r1", "t1", ["a1"], "assistant", recap),
        "a1": _node("a1", "r1", ["u2"], "assistant", _text("About 42.2 km.")),
        "u2": _node("u2", "a1", ["t2"], "user", _text("And in metres?")),
        "t2": _node("t2", "u2", ["a2"], "assistant", empty),
        "a2": _node("a2", "t2", [], "assistant", _text("42,195 metres.")),
    }
    record = {"title": "Marathon distance", "mapping": mapping, "current_node": "a2", "id": "conv-1"}
    return json.dumps([record]).encode()


def test_thoughts_are_thinking_blocks_of_the_answer_and_nothing_is_dropped() -> None:
    conversation = parse_one("chatgpt", _export(), "conversations.json")
    assert turns(conversation) == [
        ("user", "How long is 26.2 miles in km?"),
        ("assistant", "About 42.2 km."),
        ("user", "And in metres?"),
        ("assistant", "42,195 metres."),
    ]
    assert conversation.turns[1].blocks == [
        {
            "type": "thinking",
            "thinking": "Checking the units\nThe user gave miles; the formula wants kilometres.\n\nConverting",
        },
        {"type": "text", "text": "About 42.2 km."},
    ]
    # Thoughts without any text leave no block; the recap is a label, not content.
    assert conversation.turns[3].blocks is None
    assert conversation.dropped == {}


def test_a_long_running_models_reasoning_in_a_tool_message_is_thinking_of_the_answer() -> None:
    # GPT-5 Pro and deep research write their reasoning as a `tool` message before the answer, labelled
    # "Reasoning" / "Reasoned for ..." in its metadata; other tool messages (a search's results) stay out.
    reasoning = _node("t1", "u1", ["s1"], "tool", _text("\n\n**Reading the draft**\n\nThe intro runs long."))
    reasoning["message"]["author"]["name"] = "a8km123"
    reasoning["message"]["metadata"] = {"initial_text": "Reasoning", "finished_text": "Reasoned for 4m 2s"}
    search = _node("s1", "t1", ["a1"], "tool", _text("Search results: 3 pages"))
    search["message"]["author"]["name"] = "web.run"
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["t1"], "user", _text("Review my essay draft")),
        "t1": reasoning,
        "s1": search,
        "a1": _node("a1", "s1", [], "assistant", _text("The argument holds; cut the intro by half.")),
    }
    record = {"title": "Review", "mapping": mapping, "current_node": "a1", "id": "conv-2"}
    conversation = parse_one("chatgpt", json.dumps([record]).encode(), "conversations.json")
    assert turns(conversation) == [
        ("user", "Review my essay draft"),
        ("assistant", "The argument holds; cut the intro by half."),
    ]
    blocks = conversation.turns[1].blocks or []
    assert blocks[0] == {"type": "thinking", "thinking": "**Reading the draft**\n\nThe intro runs long."}
    assert "Search results" not in json.dumps(blocks)


def test_the_apps_citation_and_ui_markers_are_taken_out_of_the_answer() -> None:
    # Web-search answers carry the app's markers in the Private Use Area; the sources are not in the export.
    answer = (
        "Lisbon's tram 28 runs every 10 minutes. \ue200cite\ue202turn0search0\ue201 Buy a Viva Viagem card "
        "first.\ue200cite\ue202turn0search3\ue202turn1news2\ue201\n\n\ue200i\ue202turn0image1\ue201"
    )
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["a1"], "user", _text("How often does tram 28 run?")),
        "a1": _node("a1", "u1", [], "assistant", _text(answer)),
    }
    record = {"title": "Tram", "mapping": mapping, "current_node": "a1", "id": "conv-3"}
    conversation = parse_one("chatgpt", json.dumps([record]).encode(), "conversations.json")
    assert conversation.turns[1].text == (
        "Lisbon's tram 28 runs every 10 minutes. Buy a Viva Viagem card first."
    )
    assert conversation.dropped == {"citation or UI element": 3}


def test_browsing_citations_written_in_the_text_are_taken_out() -> None:
    answer = (
        "The museum opens at 10 am 【3†source】. Tickets cost 12 euros 【4:0†prices.pdf】; 【brackets】 stay."
    )
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["a1"], "user", _text("When does the museum open?")),
        "a1": _node("a1", "u1", [], "assistant", _text(answer)),
    }
    record = {"title": "Museum", "mapping": mapping, "current_node": "a1", "id": "conv-4"}
    conversation = parse_one("chatgpt", json.dumps([record]).encode(), "conversations.json")
    assert (
        conversation.turns[1].text == "The museum opens at 10 am. Tickets cost 12 euros; 【brackets】 stay."
    )
    assert conversation.dropped == {"citation or UI element": 2}


def test_a_last_answer_the_person_stopped_is_left_out_with_its_prompt() -> None:
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["a1"], "user", _text("Define tide and anneal.")),
        "a1": _node(
            "a1",
            "u1",
            ["u2"],
            "assistant",
            _text("A tide is the sea's rise and fall. Annealing heats metal."),
        ),
        "u2": _node("u2", "a1", ["a2"], "user", _text("and crucible?")),
        "a2": _node("a2", "u2", [], "assistant", _text("A crucible is a pot that holds molten **Qu")),
    }
    mapping["a2"]["message"]["metadata"] = {
        "finish_details": {"type": "interrupted", "reason": "client_stopped"}
    }
    record = {"title": "Words", "mapping": mapping, "current_node": "a2", "id": "conv-2"}
    conversation = parse_one("chatgpt", json.dumps([record]).encode())
    assert turns(conversation) == [
        ("user", "Define tide and anneal."),
        ("assistant", "A tide is the sea's rise and fall. Annealing heats metal."),
    ]
    assert conversation.dropped == {"unfinished answer": 1}
    # Stopped mid-conversation, the answer stays as the context of what follows.
    mapping["a1"]["message"]["metadata"] = mapping["a2"]["message"].pop("metadata")
    mapping["a2"]["message"]["metadata"] = {}
    assert len(parse_one("chatgpt", json.dumps([record]).encode()).turns) == 4


def test_the_preamble_shown_while_thinking_is_not_the_answer() -> None:
    """GPT-5 Thinking shows a line on the `commentary` channel before it has thought (a real export marks it
    `is_thinking_preamble_message`); the answer is the `final` channel's message alone."""
    preamble = _node("p1", "t1", ["r1"], "assistant", _text("I'll look up the opening hours first."))
    preamble["message"]["channel"] = "commentary"
    preamble["message"]["metadata"] = {"is_thinking_preamble_message": True}
    answer = _node("a1", "r1", [], "assistant", _text("The museum opens at 10:00 on Sundays."))
    answer["message"]["channel"] = "final"
    thoughts = {"content_type": "thoughts", "thoughts": [{"summary": "Hours", "content": "Sunday differs."}]}
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["t1"], "user", _text("When does the museum open on Sunday?")),
        "t1": _node("t1", "u1", ["p1"], "assistant", thoughts),
        "p1": preamble,
        "r1": _node(
            "r1", "p1", ["a1"], "assistant", {"content_type": "reasoning_recap", "content": "Thought for 5s"}
        ),
        "a1": answer,
    }
    record = {"title": "Museum", "mapping": mapping, "current_node": "a1", "id": "conv-3"}
    conversation = parse_one("chatgpt", json.dumps([record]).encode(), "conversations.json")
    assert turns(conversation)[1] == ("assistant", "The museum opens at 10:00 on Sundays.")
    assert [b["type"] for b in conversation.turns[1].blocks or []] == ["thinking", "thinking", "text"]
    assert (conversation.turns[1].blocks or [])[1] == {
        "type": "thinking",
        "thinking": "I'll look up the opening hours first.",
    }


def _image(key: str, parent: str, children: list[str], hidden: bool = False) -> dict[str, Any]:
    node = _node(
        key,
        parent,
        children,
        "tool",
        {
            "content_type": "multimodal_text",
            "parts": [
                {"content_type": "image_asset_pointer", "asset_pointer": f"sediment://{key}", "width": 1024}
            ],
        },
    )
    node["message"]["author"]["name"] = "t2uay3k.sj1i4kz"
    node["message"]["channel"] = "commentary" if hidden else "final"
    node["message"]["metadata"] = {
        "async_task_type": "image_gen",
        "is_visually_hidden_from_conversation": hidden,
    }
    return node


def test_images_an_image_tool_made_are_counted_and_a_chat_of_only_them_says_so() -> None:
    """GPT-4o image generation: the picture is a `tool` message (its hidden copy on the commentary channel is not
    counted twice); a chat whose every answer is a picture has no text to learn from and is skipped as such."""
    recap = {"content_type": "reasoning_recap", "content": "Thought for 3s"}
    mapping = {
        "root": _node("root", None, ["u1"], None, None),
        "u1": _node("u1", "root", ["i1"], "user", _text("Draw a red fox in the snow")),
        "i1": _image("i1", "u1", ["i2"]),
        "i2": _image("i2", "i1", ["r1"], hidden=True),
        "r1": _node("r1", "i2", [], "assistant", recap),
    }
    record = {"title": "Fox", "mapping": mapping, "current_node": "r1", "id": "conv-4"}
    data = json.dumps([record]).encode()
    assert list(get_importer("chatgpt").parse(io.BytesIO(data), "conversations.json")) == [
        Skipped("ChatGPT conversation whose answers are only generated images")
    ]
    mapping["r1"]["children"] = ["u2"]
    mapping["u2"] = _node("u2", "r1", ["a2"], "user", _text("Why is it orange, not red?"))
    mapping["a2"] = _node(
        "a2", "u2", [], "assistant", _text("Red foxes are rusty orange; I kept the real colour.")
    )
    record["current_node"] = "a2"
    chat = parse_one("chatgpt", json.dumps([record]).encode(), "conversations.json")
    # The picture is the answer's image tool call (the image left out, counted): the prompt it answered stays a turn
    # of its own, not merged with the next one, and no pair reaches across an answer without words.
    assert turns(chat) == [
        ("user", "Draw a red fox in the snow"),
        ("assistant", ""),
        ("user", "Why is it orange, not red?"),
        ("assistant", "Red foxes are rusty orange; I kept the real colour."),
    ]
    assert chat.turns[1].blocks == [
        {"type": "tool_use", "id": None, "name": "image_generation", "input": {"images": 1}}
    ]
    assert chat.dropped == {"generated image": 1}
    assert detect_pairs([(t.role, t.text) for t in chat.turns]) == []


def test_a_conversation_with_an_empty_mapping_is_skipped_as_empty() -> None:
    record: dict[str, Any] = {"title": "New chat", "mapping": {}, "current_node": None, "id": "conv-5"}
    data = json.dumps([record]).encode()
    assert list(get_importer("chatgpt").parse(io.BytesIO(data), "conversations.json")) == [
        Skipped("empty conversation")
    ]


def test_messages_written_without_a_content_type_are_text() -> None:
    # Two real sample files in the export's shape, written by hand: `content` holds `parts` and no `content_type`.
    export = [
        {
            "title": "Python Sorting Help",
            "id": "conv-001",
            "mapping": {
                "n0": {"id": "n0", "parent": None, "children": ["n1"],
                       "message": {"author": {"role": "system"}, "content": {"parts": ["You are a helpful assistant."]}}},
                "n1": {"id": "n1", "parent": "n0", "children": ["n2"],
                       "message": {"author": {"role": "user"}, "content": {"parts": ["How do I sort a list?"]}}},
                "n2": {"id": "n2", "parent": "n1", "children": [],
                       "message": {"author": {"role": "assistant"}, "content": {"parts": ["Use sorted(items)."]}}},
            },
        }
    ]  # fmt: skip
    data = json.dumps(export).encode()
    (chat,) = list(get_importer("chatgpt").parse(io.BytesIO(data), "sample.json"))
    assert isinstance(chat, ParsedConversation)
    assert chat.system_prompt == "You are a helpful assistant."
    assert [(t.role, t.text) for t in chat.turns] == [
        ("user", "How do I sort a list?"),
        ("assistant", "Use sorted(items)."),
    ]
