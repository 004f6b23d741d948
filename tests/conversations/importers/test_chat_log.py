"""Chats that apps and scripts save in shapes of their own (`chat-log`), and the `openai` reader's share of them.

Every fixture is written here by hand in a shape found in real files people committed (a fifth fetch of real files:
`conversations.json`, `chat_history.json`, `memory.json` of chatbots, CLIs and companion apps)."""

# ruff: noqa: RUF001 - Japanese speaker names and full-width punctuation

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD, detect_pairs

from .helpers import parse, parse_one, turns

HI = [
    {"role": "user", "content": "Is the ferry running today?"},
    {"role": "assistant", "content": "Yes, hourly from 7."},
]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _results(data: bytes, name: str = "conversations.json") -> list[Any]:
    return list(get_importer("chat-log").parse(io.BytesIO(data), name))


def test_chats_keyed_by_id_are_one_conversation_each_and_empty_ones_are_skipped() -> None:
    data = _json(
        {
            "9f2c41d0-aaaa": {"title": "ferry", "messages": HI, "last_updated": "2026-01-02T10:00:00"},
            "77b1e0c2-bbbb": {"title": "New Chat", "messages": []},
            "51aa09e3-cccc": [],
        }
    )
    assert detect_format(data, "conversations.json") == "chat-log"
    results = _results(data)
    assert [type(r).__name__ for r in results] == ["ParsedConversation", "Skipped", "Skipped"]
    chat = results[0]
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title) == ("conversations.json:9f2c41d0-aaaa", "ferry")
    assert turns(chat) == [("user", "Is the ferry running today?"), ("assistant", "Yes, hourly from 7.")]
    assert results[1] == Skipped("saved chat without a prompt and an answer")


def test_chats_keyed_by_title_whose_values_are_message_lists() -> None:
    data = _json(
        {
            "Default Chat": HI,
            "Trip": [
                {"role": "user", "content": "and back?"},
                {"role": "assistant", "content": "Last one at 22:00."},
            ],
        }
    )
    conversations, errors = parse("chat-log", data, "chat_history.json")
    assert errors == []
    assert [(c.title, len(c.turns)) for c in conversations] == [("Default Chat", 2), ("Trip", 2)]


def test_a_list_of_chats_under_a_key_with_their_history_under_chat_history() -> None:
    data = _json(
        {
            "conversations": [
                {
                    "id": "c1",
                    "title": "ferry",
                    "chatHistory": [{"id": 1, **HI[0]}, {"id": 2, **HI[1]}],
                    "tasks": [],
                }
            ]
        }
    )
    assert detect_format(data, "conversations.json") == "chat-log"
    conversation = parse_one("chat-log", data, "conversations.json")
    assert (conversation.external_id, conversation.title, len(conversation.turns)) == (
        "conversations.json:c1",
        "ferry",
        2,
    )


def test_one_chat_among_other_fields_as_speaker_prefixed_lines() -> None:
    # A companion app's memory.json: its lines under `conversation_history`, beside what it learnt of the person.
    data = _json(
        {
            "conversation_history": [
                "User: write me a limerick",
                "User: about a cat",
                "Luna: A cat with a hat sat flat.",
                "User: ",
                "User: another",
            ],
            "user_info": {"name": "Andrew"},
        }
    )
    assert detect_format(data, "memory.json") == "chat-log"
    conversation = parse_one("chat-log", data, "memory.json")
    assert turns(conversation) == [
        ("user", "write me a limerick\n\nabout a cat"),
        ("assistant", "A cat with a hat sat flat."),
        ("user", "another"),
    ]


def test_numbered_messages_split_by_their_session() -> None:
    messages = {
        "1": {"session_id": "s1", "role": "user", "content": "explain AI"},
        "2": {"session_id": "s1", "role": "assistant", "content": "Machines that learn."},
        "3": {"session_id": "s2", "role": "user", "content": "hello"},
        "4": {"session_id": "s2", "role": "assistant", "content": "Hi!"},
    }
    conversations, errors = parse(
        "chat-log", _json({"messages": messages, "user_sessions": {}}), "chat_history.json"
    )
    assert errors == []
    assert [(c.external_id, turns(c)[0][1]) for c in conversations] == [
        ("chat_history.json:s1", "explain AI"),
        ("chat_history.json:s2", "hello"),
    ]


def test_exchange_records_are_one_chat_in_order_and_the_answers_thinking_is_kept_apart() -> None:
    records = [
        {
            "timestamp": "2026-05-01T10:00:00",
            "user_message": "yo",
            "bot_response": "<think>\ngreet back\n</think>\nHey.",
        },
        {"timestamp": "2026-05-01T10:01:00", "user_message": "what's 12*12", "bot_response": "124"},
        {
            "timestamp": "2026-05-01T10:02:00",
            "user_message": "that's wrong, it's 144",
            "bot_response": "You're right: 144.",
        },
    ]
    data = _json(records)
    assert detect_format(data, "chat_history.json") == "chat-log"
    conversation = parse_one("chat-log", data, "chat_history.json")
    assert [turn.text for turn in conversation.turns] == [
        "yo",
        "Hey.",
        "what's 12*12",
        "124",
        "that's wrong, it's 144",
        "You're right: 144.",
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "greet back"},
        {"type": "text", "text": "Hey."},
    ]
    # As one chat, the correction sits beside the answer it corrects: a pair.
    assert [(p.rejected, p.pushback, p.chosen) for p in conversation_pairs(conversation)] == [(3, 4, 5)]
    for prompt, answer in (
        ("user", "bot"),
        ("user", "ai"),
        ("question", "answer"),
        ("user_input", "llm_response"),
    ):
        assert detect_format(_json([{prompt: "hi", answer: "hello"}]), "log.json") == "chat-log"


def conversation_pairs(conversation: ParsedConversation) -> list[Any]:
    pairs = detect_pairs([(t.role, t.text) for t in conversation.turns])
    return [p for p in pairs if p.score >= DEFAULT_THRESHOLD]


def test_sender_and_message_records_leave_deleted_messages_out() -> None:
    records = [
        {"uuid": "1", "sender": "You", "message": "how do I keep a cat", "is_deleted": False},
        {"uuid": "2", "sender": "AI", "message": "Food, water, a litter box.", "is_deleted": False},
        {"uuid": "3", "sender": "You", "message": "Dingzhen", "is_deleted": True},
        # The answer to the deleted prompt (a real log kept it) went onto the answer before.
        {
            "uuid": "3b",
            "sender": "AI",
            "message": "Dingzhen is a Tibetan herder who went viral.",
            "is_deleted": False,
        },
        {"uuid": "4", "sender": "You", "message": "and toys?", "is_deleted": False},
        {"uuid": "5", "sender": "AI", "message": "Yes, a few.", "is_deleted": False},
    ]
    conversation = parse_one("chat-log", _json(records), "chat_log.json")
    assert [t.text for t in conversation.turns] == [
        "how do I keep a cat",
        "Food, water, a litter box.",
        "and toys?",
        "Yes, a few.",
    ]
    assert conversation.dropped == {"deleted message": 1, "answer to a deleted message": 1}


def test_strings_that_each_hold_an_exchange() -> None:
    data = _json(["私: こんにちは！\n相手: こんにちはーっ！", "私: 今日は何してたの？\n相手: 学校だよ！"])
    assert detect_format(data, "conversation_history.json") == "chat-log"
    conversation = parse_one("chat-log", data, "conversation_history.json")
    assert turns(conversation) == [
        ("user", "こんにちは！"),
        ("assistant", "こんにちはーっ！"),
        ("user", "今日は何してたの？"),
        ("assistant", "学校だよ！"),
    ]


def test_objects_that_hold_no_chat_are_not_taken() -> None:
    assert detect_format(_json({"name": "Sam", "age": 31, "city": "Porto"}), "memory.json") is None
    assert (
        detect_format(_json({"doctrine": [{"examples": ["a"], "meaning": "b"}]}), "conversations.json")
        is None
    )
    assert (
        detect_format(_json([{"id": "c1", "title": "ferry", "message_count": 4}]), "conversations.json")
        is None
    )


def test_the_openai_reader_takes_bot_roles_text_keys_and_skips_an_apps_unanswered_chats() -> None:
    data = _json([{"role": "user", "text": "hi", "ts": 1}, {"role": "bot", "text": "Hello!", "ts": 2}])
    assert detect_format(data, "conversations.json") == "openai"
    assert turns(parse_one("openai", data, "conversations.json")) == [("user", "hi"), ("assistant", "Hello!")]
    human = _json([{"role": "human", "content": "hi"}, {"role": "ai", "content": "Hello!"}])
    assert detect_format(human, "chat.json") == "openai"
    chats = _json(
        [{"id": "1", "title": "New Chat", "messages": []}, {"id": "2", "title": "ferry", "messages": HI}]
    )
    results = list(get_importer("openai").parse(io.BytesIO(chats), "chats.json"))
    assert results[0] == Skipped("chat an app saved without an answer (an unused or unanswered chat)")
    assert isinstance(results[1], ParsedConversation)


def test_saved_chats_import_once(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    folder.mkdir()
    (folder / "conversations.json").write_bytes(_json({"a1": {"messages": HI}, "a2": {"messages": HI[:1]}}))
    (folder / "chat_history.json").write_bytes(_json([{"user": "hi", "bot": "hello"}]))
    summary = run_import(engine, paths=[folder])
    assert (summary.conversations_added, summary.error_count) == (2, 0)
    again = run_import(engine, paths=[folder])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_chats_keyed_by_id_are_found_when_the_first_is_longer_than_the_head() -> None:
    long = [
        {"role": "user", "content": "summarise this: " + "word " * 20_000},
        {"role": "assistant", "content": "A list of words."},
    ]
    data = _json({"8d0c11aa-1111": {"messages": long}, "8d0c11aa-2222": {"messages": HI}})
    assert len(data) > 65536
    assert detect_format(data[:65536], "conversations.json") == "chat-log"
    conversations, errors = parse("chat-log", data, "conversations.json")
    assert (len(conversations), errors) == (2, [])


def test_an_apps_chats_with_is_user_messages_read_through_the_openai_reader() -> None:
    chats = [
        {
            "id": "c1",
            "name": "errands",
            "messages": [{"text": "get me water", "isUser": True}, {"text": "On it.", "isUser": False}],
        }
    ]
    conversation = parse_one("openai", _json(chats), "conversations.json")
    assert turns(conversation) == [("user", "get me water"), ("assistant", "On it.")]
    assert conversation.dropped == {}


def test_any_prompt_key_with_any_answer_key_is_an_exchange_and_renamed_think_tags_are_thinking() -> None:
    # Real logs: `{query, answer}` lines in a `.json` file; an app's `<ai-think>` around the model's reasoning.
    lines = b'{"query": "What is article four?", "answer": "It sets the term of office."}\n{"query": "and five?", "answer": "<ai-think>\\nlook it up\\n</ai-think>\\n\\nIt names the seat."}\n'
    assert detect_format(lines, "chat_log.json") == "chat-log"
    conversation = parse_one("chat-log", lines, "chat_log.json")
    assert [t.text for t in conversation.turns] == [
        "What is article four?",
        "It sets the term of office.",
        "and five?",
        "It names the seat.",
    ]
    assert conversation.turns[3].blocks == [
        {"type": "thinking", "thinking": "look it up"},
        {"type": "text", "text": "It names the seat."},
    ]
    # A data set's `{input, output}` rows are not an app's chat.
    assert detect_format(_json([{"input": "2+2", "output": "4"}]), "train.json") != "chat-log"


def test_an_apps_unused_chat_with_a_system_field_is_skipped_not_an_error() -> None:
    # A real Ollama web GUI's conversations.json: `system: ""` beside the messages made it Anthropic-shaped.
    chats = [
        {"id": "a", "title": "New chat", "system": "", "messages": HI},
        {"id": "b", "title": "New chat", "system": "", "messages": []},
    ]
    assert detect_format(_json(chats), "conversations.json") == "anthropic"
    results = list(get_importer("anthropic").parse(io.BytesIO(_json(chats)), "conversations.json"))
    assert isinstance(results[0], ParsedConversation)
    assert results[1] == Skipped("chat an app saved without an answer (an unused or unanswered chat)")


def test_users_records_each_holding_their_chats_exchanges_under_history() -> None:
    # A real app's `chat_history.json`: per user (by email) the exchanges, the answer under `bot_reply`.
    data = json.dumps(
        {
            "history": [
                {
                    "email": "ana@example.com",
                    "chats": [
                        {
                            "timestamp": "2025-05-01T10:00:00",
                            "user_message": "hi",
                            "bot_reply": "Hello! How can I help?",
                        },
                        {
                            "timestamp": "2025-05-01T10:01:00",
                            "user_message": "what is a mutex?",
                            "bot_reply": "A lock.",
                        },
                    ],
                },
                {"email": "li@example.com", "chats": [{"user_message": "ping", "bot_reply": "pong"}]},
            ]
        }
    ).encode()
    assert detect_format(data, "chat_history.json") == "chat-log"
    first, second = list(get_importer("chat-log").parse(io.BytesIO(data), "chat_history.json"))
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert turns(first) == [
        ("user", "hi"),
        ("assistant", "Hello! How can I help?"),
        ("user", "what is a mutex?"),
        ("assistant", "A lock."),
    ]
    assert turns(second) == [("user", "ping"), ("assistant", "pong")]


def test_exchange_keys_in_any_case_and_answers_named_after_the_bot_are_one_chat() -> None:
    # Real logs: a Discord bot's `{User, Bot}`, a voice assistant's `{user_input, machine_response}` lines, and a
    # persona bot whose app renamed the answer's key mid-file (`assistant`, then `hitesh_bot`).
    capitals = _json(
        [{"User": "Olá", "Bot": "Olá! Em que posso ajudar?"}, {"User": "tudo bem?", "Bot": "Sim."}]
    )
    assert detect_format(capitals, "conversation_history.json") == "chat-log"
    assert [t.text for t in parse_one("chat-log", capitals, "conversation_history.json").turns] == [
        "Olá",
        "Olá! Em que posso ajudar?",
        "tudo bem?",
        "Sim.",
    ]
    machine = b'{"user_input": "weer?", "machine_response": "Zonnig.", "parsed_response": "Zonnig."}\n' * 2
    assert detect_format(machine, "conversation_log.json") == "chat-log"
    assert len(parse_one("chat-log", machine, "conversation_log.json").turns) == 4
    renamed = _json(
        [
            {"timestamp": "2025-04-10 22:44:58", "user": "hello sir", "assistant": "Hanji!"},
            {"timestamp": "2025-04-10 22:46:01", "user": "cohort kab?", "hitesh_bot": "Jaldi."},
        ]
    )
    assert detect_format(renamed, "chat_history.json") == "chat-log"
    chat = parse_one("chat-log", renamed, "chat_history.json")
    assert turns(chat)[2:] == [("user", "cohort kab?"), ("assistant", "Jaldi.")]
    # Without a key that names the answer, a record is no exchange.
    assert detect_format(_json([{"user": "hi", "mood": "happy"}]), "x.json") != "chat-log"


def test_timestamped_user_and_assistant_records_are_one_chat_and_logged_calls_stay_apart() -> None:
    # A voice session saved as `[{user, assistant, timestamp}]`, seconds apart: one chat. Logged API calls with
    # their settings (`model`, `temperature`) stay one conversation each (test_sft_datasets).
    session = _json(
        [
            {"user": " tell me a story.", "assistant": "Once upon a time...", "timestamp": 1742811442.49},
            {"user": " shorter.", "assistant": "A fox ran.", "timestamp": 1742811446.09},
        ]
    )
    assert detect_format(session, "conversation_history.json") == "chat-log"
    chat = parse_one("chat-log", session, "conversation_history.json")
    assert [t.text for t in chat.turns] == [
        "tell me a story.",
        "Once upon a time...",
        "shorter.",
        "A fox ran.",
    ]
    logged = _json([{"user": "2+2?", "assistant": "4", "model": "qwen", "timestamp": "2026-06-27T09:05:39Z"}])
    assert detect_format(logged, "chat_history.json") == "sft-dataset"


def test_messages_saved_as_their_speakers_key_and_q_and_a_beside_is_user() -> None:
    # A real offline assistant's chats.json: `{<id>: {title, chat: [{"USER": ...}, {"ASSISTANT": ...}]}}`.
    store = _json(
        {
            "ab043a49-5eb7-402e-97b8-b06fc69ff6b9": {
                "title": "This is new chat",
                "chat": [{"USER": "Hi, how are you?"}, {"ASSISTANT": "Fine, thanks."}],
            }
        }
    )
    assert detect_format(store, "chats.json") == "chat-log"
    chat = parse_one("chat-log", store, "chats.json")
    assert (chat.title, turns(chat)) == (
        "This is new chat",
        [("user", "Hi, how are you?"), ("assistant", "Fine, thanks.")],
    )
    # An Indonesian assistant's history: `{"is_user": true, "q": ...}`, `{"is_user": false, "a": ...}`.
    asked = _json([{"is_user": True, "q": "Halo"}, {"is_user": False, "a": "Halo! Ada yang bisa dibantu?"}])
    assert detect_format(asked, "chat_history.json") == "chat-log"
    assert turns(parse_one("chat-log", asked, "chat_history.json")) == [
        ("user", "Halo"),
        ("assistant", "Halo! Ada yang bisa dibantu?"),
    ]


def test_a_container_key_or_a_compound_id_is_no_title() -> None:
    # `{"conversations": [exchanges]}` (a LangChain agent's memory.json) and a Telegram bot's `"<chat>:<user>"` key.
    memory = _json({"conversations": [{"user": "Hello my name is Bill", "assistant": "Hello, Bill."}]})
    assert parse_one("chat-log", memory, "memory.json").title == "Hello my name is Bill"
    keyed = _json({"6156401666:6156401666": {"full_name": "A", "messages": HI}})
    assert parse_one("chat-log", keyed, "chat_history.json").title == "Is the ferry running today?"


def test_an_obsidian_plugins_chats_keyed_by_id_with_their_turns() -> None:
    # A real plugin's conversations.json: each chat's messages under `turns`, the answers' role `ai`.
    store = _json(
        {
            "e1af3fed-7556": {
                "id": "e1af3fed-7556",
                "title": "Summarize my notes",
                "createdAt": 1758000000000,
                "turns": [
                    {"role": "user", "content": "Summarize my notes"},
                    {"role": "ai", "content": "Happy to.", "payload": {"model": "google/gemini-2.5-flash"}},
                ],
            }
        }
    )
    assert detect_format(store, "conversations.json") == "chat-log"
    chat = parse_one("chat-log", store, "conversations.json")
    assert (chat.title, turns(chat)) == (
        "Summarize my notes",
        [("user", "Summarize my notes"), ("assistant", "Happy to.")],
    )


def test_a_models_end_of_turn_token_after_an_answers_last_word_is_dropped() -> None:
    """A voice assistant's saved history kept the model's raw output, `<|end|>` after the answer (eighth fetch)."""
    data = json.dumps(
        {
            "history": [
                {"role": "user", "content": "what day is it tomorrow"},
                {"role": "assistant", "content": "Tomorrow is the 12th. Anything else?<|end|>"},
                {"role": "user", "content": "no"},
                {"role": "assistant", "content": "Goodnight, sir.<|eot_id|>\n"},
            ]
        }
    ).encode()
    chat = parse_one("chat-log", data, "chat_history.json")
    assert [text for role, text in turns(chat) if role == "assistant"] == [
        "Tomorrow is the 12th. Anything else?",
        "Goodnight, sir.",
    ]
    assert chat.dropped == {"stop token": 2}


def test_an_operators_message_is_no_part_of_the_models_answer() -> None:
    """An auto-answer bot hands a chat over to a person on the business's side (ninth fetch: its `manager`'s "Никак"
    was glued to the model's answer): left out and counted."""
    data = json.dumps(
        {
            "avito_u2i-AgQI": [
                {"role": "user", "content": "Как оформить визу в США?"},
                {"role": "assistant", "content": "Подождите, пожалуйста, уточняю информацию"},
                {"role": "manager", "content": "Никак"},
                {"role": "user", "content": "а какие документы нужны?"},
                {"role": "assistant", "content": "Загранпаспорт, фото, анкета DS-160."},
            ]
        }
    ).encode()
    chat = parse_one("chat-log", data, "chat_history.json")
    assert turns(chat)[1] == ("assistant", "Подождите, пожалуйста, уточняю информацию")
    assert len(chat.turns) == 4
    assert chat.dropped == {"operator's message": 1}


def test_a_terminal_clients_store_of_question_and_answer_contexts() -> None:
    """j178/chatgpt, a terminal ChatGPT client, keeps its chats in `~/.config/chatgpt/conversations.json` (tenth
    fetch: matched no format): each chat's exchanges under `context`."""
    data = json.dumps(
        {
            "conversations": [
                {
                    "config": {"prompt": "default", "model": "gpt-3.5-turbo"},
                    "context": [
                        {"question": "make a regex that gets only numbers", "answer": "Use `\\d+`."},
                        {
                            "question": "that also matches 3 in a3b, I need whole numbers",
                            "answer": "Use `^\\d+$`.",
                        },
                    ],
                },
                {"config": {"model": "gpt-4"}, "context": [{"question": "oi", "answer": "Olá!"}]},
            ],
            "last_idx": 1,
        }
    ).encode()
    assert detect_format(data, "conversations.json") == "chat-log"
    chats, errors = parse("chat-log", data, "conversations.json")
    assert errors == []
    assert [len(chat.turns) for chat in chats] == [4, 2]
    assert turns(chats[0])[2] == ("user", "that also matches 3 in a3b, I need whole numbers")


def test_a_support_bots_log_with_the_answer_under_assistant_answer() -> None:
    """A travel support bot's RAG log (twelfth fetch: matched no format): one exchange a line, the answer under
    `assistant_answer`, the session under `session_id`, its routing fields beside them."""

    def line(session: str, prompt: str, answer: str, route: str) -> dict[str, Any]:
        return {"created_at": "2026-08-10T16:30:58+00:00", "session_id": session, "user_id": None,
                "user_message": prompt, "assistant_answer": answer, "language": "en", "route": route,
                "rag_query": prompt.upper(), "detected_destinations": [], "detected_intent": None}  # fmt: skip

    data = b"".join(
        _json(record) + b"\n"
        for record in (
            line("SES-1", "hello", "Hi! I can help with hotels and parks.", "greeting"),
            line("9a1e-77", "plan my Hanoi trip", "I can only help with our resorts.", "out_of_scope"),
            line("9a1e-77", "which resort is in Hanoi?", "The Ocean City resort.", "rag"),
        )
    )
    assert detect_format(data, "chat_history.jsonl") == "chat-log"
    chats, errors = parse("chat-log", data, "chat_history.jsonl")
    assert errors == []
    assert [chat.external_id for chat in chats] == ["chat_history.jsonl:SES-1", "chat_history.jsonl:9a1e-77"]
    assert turns(chats[0]) == [("user", "hello"), ("assistant", "Hi! I can help with hotels and parks.")]
    assert turns(chats[1]) == [
        ("user", "plan my Hanoi trip"),
        ("assistant", "I can only help with our resorts."),
        ("user", "which resort is in Hanoi?"),
        ("assistant", "The Ocean City resort."),
    ]
    assert all(chat.dropped == {} for chat in chats)


def test_a_messaging_bots_store_whose_messages_say_their_direction() -> None:
    """A WhatsApp Business bot's store keyed by phone number (twelfth fetch: matched no format): messages say
    `direction` (`inbound` from the person, `outbound` from the bot), not a role."""
    data = _json(
        {
            "5730012345": {
                "messages": [
                    {
                        "direction": "inbound",
                        "text": "Hola, quiero un préstamo",
                        "type": "text",
                        "timestamp": "2026-03-05T10:16:06",
                    },
                    {
                        "direction": "outbound",
                        "text": "¿Aceptas nuestra política de datos? [Botones: Sí, No]",
                        "type": "interactive",
                        "timestamp": "2026-03-05T10:16:08",
                    },
                ],
                "status": "bot",
                "updated_at": "2026-03-05T10:16:08",
            }
        }
    )
    assert detect_format(data, "conversations.json") == "chat-log"
    chat = parse_one("chat-log", data, "conversations.json")
    assert (chat.external_id, chat.title) == ("conversations.json:5730012345", "Hola, quiero un préstamo")
    assert turns(chat) == [
        ("user", "Hola, quiero un préstamo"),
        ("assistant", "¿Aceptas nuestra política de datos? [Botones: Sí, No]"),
    ]
    assert chat.dropped == {}
