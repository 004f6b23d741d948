"""A chat saved as a table, one message per row: the CSV a chat app or script writes from its message list (a
Streamlit app's `chat_history.csv`: `timestamp,role,content,rating`; a bot's log: `session_id,sender,message`).

The header names the columns, in any order and case: who wrote the row (`role`, `sender`, `speaker`, `author`,
`from`) and what it says (`content`, `message`, `text`, `body`, `utterance`). A column naming the conversation
(`conversation_id`, `session_id`, `chat_id`, `thread_id`, `dialog_id`, ...) groups the rows, each conversation in
the order its rows come; without one the file is one conversation. A time column (`timestamp`, `time`,
`created_at`, `date`) gives the conversation's start; every other column (a rating, a model) is left out.

A chat app's table of exchanges, one row a prompt and its answer (a Streamlit bot's `User_Input,Bot_Response`,
ninth fetch), is read too: a column of the person's words (`user_input`, `user_message`, `user`, `human`, ...) and
one of the answer's (`bot_response`, `bot`, `assistant`, `ai_response`, ...), the rows in order. A table of
`question,answer` or `prompt,response` rows is a data set of separate questions, not a chat, and is not read so;
but `question,answer` rows with a timing column beside them (a chatbot logger's `Question,Answer,Response Time (s)`,
eleventh fetch; a date or time column alone, which data sets have too, is not one) are a log of one bot's chat, read
as a table of exchanges, the timing left out.

A writer's roles: the person's (`user`, `human`, `you`, `me`, `customer`) and the assistant's (`assistant`, `ai`,
`bot`, `model`, `chatbot`, `gpt`); `system` rows are the system prompt, `tool` / `function` rows a tool's output
within the answer. A row with another role is an error naming its line; the rest of the file is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

from ._csv import csv_header, iter_csv_records
from ._training_rows import has_exchange
from ._turns import TurnBuilder, prompt_title, tool_result
from .base import ParseResult, RecordError, Skipped

_ROLE_COLUMNS = ("role", "sender", "speaker", "author", "from")
_TEXT_COLUMNS = ("content", "message", "text", "body", "utterance")
_CHAT_COLUMNS = (
    "conversation_id",
    "conversation",
    "session_id",
    "session",
    "chat_id",
    "thread_id",
    "dialog_id",
    "dialogue_id",
    "conv_id",
)
_TIME_COLUMNS = ("timestamp", "time", "created_at", "date", "datetime")
_ROLES = {
    **dict.fromkeys(("user", "human", "you", "me", "customer", "client", "person"), "user"),
    **dict.fromkeys(("assistant", "ai", "bot", "model", "chatbot", "gpt", "chatgpt", "llm"), "assistant"),
    **dict.fromkeys(("system", "developer"), "system"),
    **dict.fromkeys(("tool", "function"), "tool"),
}
_NO_ANSWER = "chat table without an answer to the person's messages"


# A table of exchanges: the person's column and the answer's, named as chat apps name them.
_PROMPT_COLUMNS = (
    "user_input",
    "user_message",
    "user_msg",
    "user_query",
    "user",
    "human",
    "human_input",
    "you",
)
_ANSWER_COLUMNS = (
    "bot_response",
    "bot_message",
    "bot_reply",
    "bot",
    "assistant",
    "assistant_response",
    "assistant_message",
    "ai",
    "ai_response",
    "ai_message",
    "chatbot",
    "chatbot_response",
    "model_response",
)

# A logged exchange's columns: a data set's names, read as a chat's only beside a timing column.
_QUESTION_COLUMNS = ("question", "query")
_REPLY_COLUMNS = ("answer", "response")
# How long the answer took (`Response Time (s)`, `latency_ms`, `duration`): a chat's log, which a data set lacks.
_TIMING = re.compile(
    r"(?:^|[\s_])(?:response[\s_]?time|latency|elapsed|duration|time[\s_]?taken)", re.IGNORECASE
)


def _column(names: list[str], wanted: tuple[str, ...]) -> str | None:
    """The header's first name (as written) among `wanted`, compared without case."""
    lowered = {name.lower(): name for name in names}
    return next((lowered[name] for name in wanted if name in lowered), None)


def _columns(names: list[str] | None) -> tuple[str, str] | None:
    if not names:
        return None
    role, text = _column(names, _ROLE_COLUMNS), _column(names, _TEXT_COLUMNS)
    return (role, text) if role is not None and text is not None else None


def _exchange_columns(names: list[str] | None) -> tuple[str, str] | None:
    if not names:
        return None
    prompt, answer = _column(names, _PROMPT_COLUMNS), _column(names, _ANSWER_COLUMNS)
    if prompt is None or answer is None:
        prompt, answer = _column(names, _QUESTION_COLUMNS), _column(names, _REPLY_COLUMNS)
        # Only how long each answer took makes a log; a date or time column a data set has too.
        if not any(_TIMING.search(name) for name in names):
            return None
    return (prompt, answer) if prompt is not None and answer is not None else None


class MessageTableImporter:
    name = "message-table"

    def sniff(self, head: bytes, filename: str) -> bool:
        names = csv_header(head)
        return _columns(names) is not None or _exchange_columns(names) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        # conversation key -> (builder, first line, first time)
        chats: dict[str, tuple[TurnBuilder, int, str]] = {}
        columns: tuple[str, str] | None = None
        exchanges: tuple[str, str] | None = (
            None  # a table of exchanges: the prompt's and the answer's columns
        )
        chat_column = time_column = None
        for row in iter_csv_records(stream):
            if isinstance(row, RecordError):
                yield row
                continue
            values: dict[str, str] = row.value
            if columns is None and exchanges is None:
                names = list(values)
                columns = _columns(names)
                exchanges = _exchange_columns(names) if columns is None else None
                if columns is None and exchanges is None:  # forced with --format on a table of other columns
                    yield RecordError(
                        f"expected a role column ({', '.join(_ROLE_COLUMNS)}) and a text column "
                        f"({', '.join(_TEXT_COLUMNS)}), or a prompt column ({', '.join(_PROMPT_COLUMNS)}) and "
                        f"an answer column ({', '.join(_ANSWER_COLUMNS)}), got {','.join(names)[:200]}",
                        line=row.line,
                    )
                    return
                chat_column, time_column = _column(names, _CHAT_COLUMNS), _column(names, _TIME_COLUMNS)
            key = values[chat_column].strip() if chat_column is not None else ""
            if exchanges is not None:
                if key not in chats:
                    started = values[time_column].strip() if time_column is not None else ""
                    chats[key] = (TurnBuilder(), row.line or 0, started)
                for speaker, column in zip(("user", "assistant"), exchanges, strict=True):
                    if values[column].strip():
                        chats[key][0].say(speaker, values[column])
                continue
            assert columns is not None
            role_column, text_column = columns
            written = values[role_column].strip()
            role = _ROLES.get(written.lower())
            if role is None:
                yield RecordError(
                    f'{role_column}: expected "user" or "assistant" (or human, ai, bot, system, tool), '
                    f"got {written[:40]!r}",
                    line=row.line,
                )
                continue
            if key not in chats:
                started = values[time_column].strip() if time_column is not None else ""
                chats[key] = (TurnBuilder(), row.line or 0, started)
            builder = chats[key][0]
            text = values[text_column]
            if role == "tool":
                builder.block(tool_result(None, text))
            elif text.strip():
                builder.say(role, text)
        stem = PurePosixPath(filename).name
        for key, (builder, line, started) in chats.items():
            turns = builder.finish(complete=False)
            if not has_exchange(turns):
                yield Skipped(_NO_ANSWER)
                continue
            first = next(turn.text for turn in turns if turn.role == "user")
            conversation = builder.conversation(
                f"{stem}#{key}" if key else stem,
                title=prompt_title(first),
                metadata={"started_at": started} if started else None,
            )
            conversation.line = line
            yield conversation


importer = MessageTableImporter()
