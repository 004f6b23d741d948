"""A chat saved as a table, one message per row (`message-table`). The fixtures
(tests/fixtures/real_formats/message_table/) are written by hand in the shapes found in real repositories: a
Streamlit chat app's `chat_history.csv` (`timestamp,role,content,rating`, the app's greeting first, CRLF line ends,
answers ending in a space) and a bot's log of several sessions interleaved (`session_id,sender,message,model`)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "message_table"
STREAMLIT = ROOT / "chat_history.csv"
SESSIONS = ROOT / "sessions.csv"


def test_tables_with_a_role_and_a_text_column_are_detected() -> None:
    for path in (STREAMLIT, SESSIONS):
        assert detect_format(path.read_bytes()[:65536], path.name) == "message-table"
    assert detect_format(b"id,name,price\n1,tea,3\n", "items.csv") is None


def _read(data: bytes, name: str) -> tuple[list[ParsedConversation], list[RecordError], list[Skipped]]:
    results = list(get_importer("message-table").parse(io.BytesIO(data), name))
    return (
        [r for r in results if isinstance(r, ParsedConversation)],
        [r for r in results if isinstance(r, RecordError)],
        [r for r in results if isinstance(r, Skipped)],
    )


def test_a_streamlit_apps_history_is_one_conversation_with_its_greeting_first() -> None:
    conversations, errors, skipped = _read(STREAMLIT.read_bytes(), STREAMLIT.name)
    assert (errors, skipped) == ([], [])
    (chat,) = conversations
    assert [role for role, _ in turns(chat)] == ["assistant", "user", "assistant", "user", "assistant"]
    assert turns(chat)[1] == ("user", "how long does shipping to Canada take")
    assert chat.title == "how long does shipping to Canada take"
    assert chat.metadata == {"started_at": "2025-03-02 10:14:05"}
    assert chat.external_id == "chat_history.csv"
    assert chat.line == 2
    (pair,) = [p for p in find_pairs(chat) if p.detected is not None and p.detected.score >= 0.5]
    assert (pair.rejected, pair.pushback, pair.chosen) == (2, 3, 4)


def test_interleaved_sessions_are_grouped_and_an_unknown_sender_is_named() -> None:
    conversations, errors, skipped = _read(SESSIONS.read_bytes(), SESSIONS.name)
    assert [(e.line, e.reason) for e in errors] == [
        (9, 'sender: expected "user" or "assistant" (or human, ai, bot, system, tool), got \'Narrator\'')
    ]
    assert [s.reason for s in skipped] == ["chat table without an answer to the person's messages"]
    first, second = conversations
    assert first.external_id == "sessions.csv#s-1"
    assert [text for _, text in turns(first)] == [
        "What is the capital of Australia?",
        "The capital of Australia is Sydney.",
        "No, Sydney is the largest city, the capital is Canberra.",
        "You are right: the capital of Australia is Canberra, Sydney is its largest city.",
    ]
    assert turns(second) == [("user", 'Translate "good morning" to Spanish'), ("assistant", "Buenos días.")]
    assert first.metadata == {}
    assert second.line == 4


def test_forced_on_a_table_of_other_columns_it_says_which_it_needs() -> None:
    conversations, errors, _ = _read(b"id,name\n1,tea\n", "items.csv")
    assert conversations == []
    assert [(e.line, e.reason) for e in errors] == [
        (
            2,
            "expected a role column (role, sender, speaker, author, from) and a text column "
            "(content, message, text, body, utterance), or a prompt column (user_input, user_message, user_msg, "
            "user_query, user, human, human_input, you) and an answer column (bot_response, bot_message, bot_reply, "
            "bot, assistant, assistant_response, assistant_message, ai, ai_response, ai_message, chatbot, "
            "chatbot_response, model_response), got id,name",
        )
    ]


def test_the_tables_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="tables", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 2, 1)
    assert run_import(engine, paths=[ROOT], source="tables", workers=0).conversations_added == 0


def test_a_table_of_exchanges_is_one_chat_and_a_table_of_questions_is_not() -> None:
    """A Streamlit bot saves each prompt and its answer as a row (ninth fetch: `User_Input,Bot_Response`, 136
    repositories hold such a `chat_history.csv`; it matched no format). `question,answer` rows are a data set of
    separate questions: not a chat, so not read as one."""
    data = (
        b'User_Input,Bot_Response\nhow are you,"I am Gemini, a language model. How can I help?"\n'
        b'what is 7 x 8,"7 x 8 = 54"\nthat is wrong,"You\'re right, 7 x 8 = 56."\n'
    )
    assert detect_format(data, "chat_history.csv") == "message-table"
    (chat,) = list(get_importer("message-table").parse(io.BytesIO(data), "chat_history.csv"))
    assert isinstance(chat, ParsedConversation)
    assert [role for role, _ in turns(chat)] == ["user", "assistant"] * 3
    assert turns(chat)[4] == ("user", "that is wrong")
    assert (
        detect_format(b"question,answer\nWhat is 2+2?,4\nCapital of France?,Paris\n", "qa.csv")
        != "message-table"
    )


def test_questions_and_answers_logged_with_their_response_time_are_one_chat() -> None:
    """A chatbot logger's CSV (eleventh fetch: `Question,Answer,Response Time (s)`, CRLF line ends, quotes doubled
    in quoted fields) matched no format: with a timing column the rows are one bot's chat, not a data set."""
    data = (
        b"Question,Answer,Response Time (s)\r\n"
        b'What is an embedding?,"A vector that stands for a text, so ""similar"" texts lie close.",0.64\r\n'
        b'What does top-k mean?,"The k best matches a search returns.",1.02\r\n'
    )
    assert detect_format(data, "chat_logs.csv") == "message-table"
    (chat,) = list(get_importer("message-table").parse(io.BytesIO(data), "chat_logs.csv"))
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [
        ("user", "What is an embedding?"),
        ("assistant", 'A vector that stands for a text, so "similar" texts lie close.'),
        ("user", "What does top-k mean?"),
        ("assistant", "The k best matches a search returns."),
    ]
    assert chat.dropped == {}
    assert [p for p in find_pairs(chat) if p.detected is not None and p.detected.score >= 0.5] == []
    # Without a time beside them, such rows stay a data set's.
    assert (
        detect_format(b"Question,Answer\r\nWhat is top-k?,The k best matches.\r\n", "qa.csv")
        != "message-table"
    )


def test_questions_and_answers_with_a_date_column_stay_a_data_sets() -> None:
    """Review: data sets date their rows too; only how long an answer took (a timing column) makes a chat's log."""
    for column in ("date", "created_at"):
        data = f"question,answer,{column}\nWhat is 2+2?,4,2024-01-01\nCapital of France?,Paris,2024-01-02\n"
        assert detect_format(data.encode(), "qa.csv") != "message-table"
    timed = b"question,answer,latency_ms\nWhat is 2+2?,4,120\nCapital of France?,Paris,95\n"
    assert detect_format(timed, "qa.csv") == "message-table"
