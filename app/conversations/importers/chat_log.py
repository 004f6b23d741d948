"""Chats that apps and scripts save in shapes of their own: JSON a chatbot, a CLI or a companion app writes as it
goes (`conversations.json`, `chat_history.json`, `history.json`, `memory.json`, ...). A sample of 45 such files
people committed to public repositories showed these shapes, none of them read before (each is tested with a
fixture written by hand in the shape found):

- an object keyed by chat (a session, user or chat id, or the chat's title): each value a list of messages, or an
  object holding them under `messages`, `history`, `chatHistory`, `chat_history`, `conversation` or `dialog` (its
  `title` or `name` the title): one conversation a key, a chat without an answer skipped;
- an object holding one chat under one of those keys (or `conversation_history`) beside other fields, also
  `messages` written as an object keyed by number (`{"1": {...}, "2": {...}}`);
- exchanges, each a prompt and its answer under the keys apps give them (`user` / `bot` or `ai`, `user_message` /
  `bot_response` or `assistant_answer`, `user_input` / `llm_response`, `question` / `answer`, `entry_text` /
  `reply`), in a JSON array, JSON Lines or under a key: one chat in the file's order, split where a session key
  (`session_id`, `chat_id`, ...) changes;
- messages whose speaker and text have other names: `sender`, `author` or `speaker` ("You", "User", "Me" the
  person; "AI", "Bot", "Assistant", a model's or a persona's name the answer), `isUser` / `is_user`, `direction`
  (`inbound` the person's, `outbound` the bot's), the text in `message` or `text`; a message marked deleted
  (`is_deleted`) is left out;
- strings that open with the speaker's name (`"User: ..."`, `"Luna: ..."`; one exchange a string, `"私: ...\\n相手:
  ..."`): the name the person goes by (User, You, Me, Human, 私, 我, 用户, ...) is theirs, the other the answer's.

A message's text that is an object (an SDK's result saved whole) is read for its `text`; an answer opening with
`<think>` keeps that part as a thinking block. The file's path, with the chat's key or session where it has one,
is the external id. Objects that hold no chat (a profile, a vocabulary, an index of chats without their messages)
are not this format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, decode, too_large
from ._records import first_byte, head_records, iter_records, key_of, peekable
from ._training_rows import has_exchange
from ._turns import TurnBuilder, flatten, prompt_title, split_thinking
from .base import MAX_RECORD_BYTES, ParsedConversation, ParseResult, RecordError, Skipped

_CHAT_KEYS = (
    "messages",
    "history",
    "chatHistory",
    "chat_history",
    "conversation",
    "conversation_history",
    "dialog",
    "chat",
    # An Obsidian chat plugin's saved chats: `{<id>: {id, title, createdAt, turns: [{role, content}]}}`.
    "turns",
    # A user's record holding their chat: `{"email": ..., "chats": [exchanges]}` (listed under `history`, a real app).
    "chats",
    # A terminal ChatGPT client's store (j178/chatgpt's `conversations.json`, tenth fetch): `{"conversations":
    # [{"config": {...}, "context": [{"question", "answer"}]}], "last_idx"}`.
    "context",
)
_TITLE_KEYS = ("title", "name")
_SESSION_KEYS = (
    "session_id",
    "sessionId",
    "session",
    "chat_id",
    "chatId",
    "conversation_id",
    "conversationId",
)
# What an exchange record names its prompt and its answer, most specific first; any prompt key with any answer key
# (`{query, answer}`, `{user_input, ai_response}`, `{user, bot}`) but `{input, output}`, a data set's row.
_PROMPT_KEYS = (
    "user_message",
    "user_input",
    "user",
    "human",
    "question",
    "query",
    "prompt",
    "entry_text",
    "message",
    "input",
)
_ANSWER_KEYS = (
    "bot_response", "ai_response", "assistant_response", "llm_response", "model_response", "bot_reply", "ai_reply",
    "assistant_reply",
    # A support bot's RAG log (twelfth fetch): `{session_id, user_message, assistant_answer, route, rag_query, ...}`.
    "assistant_answer",
    "bot", "ai", "assistant",
    "answer", "reply", "response", "result", "output",
)  # fmt: skip
_EXCHANGES = tuple(
    (prompt, answer)
    for prompt in _PROMPT_KEYS
    for answer in _ANSWER_KEYS
    if (prompt, answer) != ("input", "output")
)
_SPEAKER_KEYS = ("sender", "author", "speaker")
# `q` and `a` beside `is_user` (a real assistant's history: `{"is_user": false, "a": "..."}`).
_TEXT_KEYS = ("content", "text", "message", "value", "q", "a")
_ANSWER_NAMES = frozenset(
    ("assistant", "ai", "bot", "model", "chatbot", "gpt", "chatgpt", "claude", "gemini")
)
_PERSON = frozenset(
    ("user", "human", "you", "me", "person", "customer", "client", "私", "我", "用户", "用戶", "使用者",
     "ユーザー", "사용자", "나", "usuario", "usuário", "utilisateur", "benutzer")
)  # fmt: skip
_SYSTEM = frozenset(("system", "developer"))
# A messaging bot's store that says which way a message went, not who wrote it (a WhatsApp Business bot's
# `{direction: inbound|outbound, text, type}`, twelfth fetch): what came in is the person's, what went out the bot's.
_DIRECTIONS = {"inbound": "user", "incoming": "user", "outbound": "assistant", "outgoing": "assistant"}
# A person answering on the business's side, where a bot hands a chat over (a classifieds auto-answer bot's
# `manager`, ninth fetch): not the model's words, so no part of its answer; left out and counted.
_OPERATOR = frozenset(("manager", "operator", "human_agent", "human_operator", "staff"))
_PREFIXED = re.compile(r"\s*(?:\*\*)?([^\s:\uff1a*\[\]]{1,24}|\[[^\]\n]{1,24}\])(?:\*\*)?\s*[:\uff1a]\s?")
_LINE_SPEAKER = re.compile(r"\n(?:\*\*)?([^\s:\uff1a*\[\]]{1,24})(?:\*\*)?\s*[:\uff1a]\s?")
_ID = re.compile(r"[0-9a-fA-F-]{8,}|\d+|[\w.@+:-]*\d[\w.@+:-]*")
_NO_TALK = "saved chat without a prompt and an answer"
_HEAD_KEYED = re.compile(rb'\A\s*\{\s*"[^"\n]{1,120}"\s*:\s*(?:\[\s*\{|\{)')
_HEAD_ROLE = re.compile(
    rb'"(?:role|sender|author|speaker)"\s*:\s*"(?:user|human|assistant|ai|bot|model)"\s*,\s*"(?:content|text|message)"'
    rb'|"(?:content|text|message)"\s*:\s*"[^"\n]*"\s*,\s*"(?:role|sender|author|speaker)"\s*:\s*"(?:user|assistant|ai|bot)"',
    re.IGNORECASE,
)


def _speaker_role(name: str) -> str:
    lowered = name.strip().strip("[]").lower()
    if lowered in _PERSON:
        return "user"
    if lowered in _OPERATOR:
        return "operator"
    return "system" if lowered in _SYSTEM else "assistant"


def _text(item: dict[str, Any]) -> str | None:
    for key in _TEXT_KEYS:
        value = item.get(key)
        if type(value) is str:
            return value
        if type(value) is list:
            return flatten(value)
        if type(value) is dict and type(value.get("text")) is str:
            return str(value["text"])  # an SDK's result object saved whole: its text
    return None


def message(item: Any) -> tuple[str, str] | None:
    """(role, text) of a saved message in any of the namings above, or None when the item is no message."""
    if type(item) is not dict or item.get("is_deleted") is True or item.get("deleted") is True:
        return None
    text = _text(item)
    if text is None:
        return _named_message(item)
    role = item.get("role")
    if type(role) is str and role:
        return _speaker_role(role) if role.lower() not in ("tool", "function") else "tool", text
    for key in ("isUser", "is_user"):
        if type(item.get(key)) is bool:
            return ("user" if item[key] else "assistant"), text
    for key in _SPEAKER_KEYS:
        if type(item.get(key)) is str and item[key]:
            return _speaker_role(item[key]), text
    direction = item.get("direction")
    if type(direction) is str and direction.lower() in _DIRECTIONS:
        return _DIRECTIONS[direction.lower()], text
    return None


def _named_message(item: dict[str, Any]) -> tuple[str, str] | None:
    """A message saved as one key, the speaker, holding its text (`{"USER": "..."}`, `{"assistant": "..."}`)."""
    if len(item) != 1:
        return None
    ((name, text),) = item.items()
    if type(text) is not str or type(name) is not str:
        return None
    lowered = name.lower()
    if lowered in _PERSON:
        return "user", text
    return ("assistant", text) if lowered in _ANSWER_NAMES else None


# An answer's key a chatbot named after itself or its machinery (`hitesh_bot`, `machine_response`, `gpt_reply`).
_ANSWER_NAMED = re.compile(r"(?:^|_)(?:bot|ai|gpt|llm|machine|model)_(?:response|reply|answer|output)$|_bot$")


def exchange(item: Any) -> tuple[str, str] | None:
    """(prompt, answer) of an exchange record (its keys in any case), or None."""
    if type(item) is not dict:
        return None
    for prompt, answer in _EXCHANGES:
        if type(item.get(prompt)) is str and type(item.get(answer)) is str:
            return item[prompt], item[answer]
    lowered = {key.lower(): value for key, value in item.items() if type(key) is str and type(value) is str}
    if any(key not in item for key in lowered):  # some key written in capitals: the pass above missed it
        for prompt, answer in _EXCHANGES:
            if prompt in lowered and answer in lowered:
                return lowered[prompt], lowered[answer]
    prompt_key = next((key for key in _PROMPT_KEYS[:4] if key in lowered), None)
    named = [key for key in lowered if _ANSWER_NAMED.search(key)]
    if prompt_key is not None and len(named) == 1:
        return lowered[prompt_key], lowered[named[0]]
    return None


def _speakers(text: str) -> list[tuple[str, str]]:
    """A speaker-prefixed string as (role, text) pieces; [] when it does not open with a speaker's name."""
    first = _PREFIXED.match(text)
    if first is None:
        return []
    pieces: list[tuple[str, str]] = []
    role, at = _speaker_role(first.group(1)), first.end()
    for found in _LINE_SPEAKER.finditer(text, at):
        if _speaker_role(found.group(1)) != role:
            pieces.append((role, text[at : found.start()]))
            role, at = _speaker_role(found.group(1)), found.end()
    pieces.append((role, text[at:]))
    return pieces


def _prefixed_chat(items: list[Any]) -> bool:
    """Strings most of which open with a speaker's name, the person's among the names."""
    strings = [item for item in items if type(item) is str and item.strip()]
    if len(strings) < 2 or len(strings) * 2 < len(items):
        return False
    names = [m.group(1) for text in strings if (m := _PREFIXED.match(text)) is not None]
    return len(names) * 4 >= len(strings) * 3 and any(_speaker_role(name) == "user" for name in names)


def _chat_items(value: Any) -> list[Any] | None:
    """The items of a chat: a list of messages, exchanges or speaker-prefixed strings, or an object holding one under
    a chat key (`messages` also as an object keyed by number); None when the value holds no chat."""
    if type(value) is dict:
        for key in _CHAT_KEYS:
            inner = value.get(key)
            if type(inner) is dict and inner and all(k.isdigit() for k in inner):
                inner = [inner[k] for k in sorted(inner, key=int)]
            if type(inner) is list:
                return inner if _is_chat(inner) else None
        return None
    if type(value) is list and _is_chat(value):
        return value
    return None


def _is_chat(items: list[Any]) -> bool:
    if not items:
        return True  # an empty chat: a chat all the same (skipped with its reason)
    sample = items[:8]
    if sum(message(item) is not None or exchange(item) is not None for item in sample) * 2 > len(sample):
        return True
    return _prefixed_chat(sample)


def keyed_chats(value: Any) -> dict[str, Any] | None:
    """An object keyed by chat whose values are chats (empty ones allowed), or None."""
    if type(value) is not dict or not value:
        return None
    chats = {key: item for key, item in value.items() if item not in ({}, [], None)}
    if not chats or any(_chat_items(item) is None for item in list(chats.values())[:8]):
        return None
    return value


_LIST_KEYS = ("conversations", "chats", "sessions", "threads")


def _listed_chats(value: dict[str, Any]) -> list[Any] | None:
    """The chats of an object holding them in a list (`{"conversations": [{"id", "title", "chatHistory": [...]}]}`),
    or None."""
    for key in _LIST_KEYS + _CHAT_KEYS:
        items = value.get(key)
        if (
            type(items) is list
            and items
            and all(type(item) is dict and _chat_items(item) is not None for item in items[:8])
        ):
            return items
    return None


def _wrapped_chat(value: dict[str, Any]) -> list[Any] | None:
    """The chat of an object holding one under a chat key beside other fields."""
    items = _chat_items(value)
    return items if items else None


class ChatLogImporter:
    name = "chat-log"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = first_byte(head)
        records = head_records(head)
        if first == ord("{"):
            if records:
                record = records[0]
                if exchange(record) is not None or keyed_chats(record) is not None:
                    return True
                return _wrapped_chat(record) is not None or _listed_chats(record) is not None
            # An object longer than the head: keyed by chat, its first value a list or an object, messages in it.
            return (
                _HEAD_KEYED.match(head.removeprefix(BOM)) is not None and _HEAD_ROLE.search(head) is not None
            )
        if first == ord("["):
            if records:
                sample = list(records)
                hits = sum(exchange(r) is not None or message(r) is not None for r in sample)
                return hits * 2 > len(sample)
            return _strings_head(head)
        return False

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        chat = _Chat(filename)
        buffered = peekable(stream)
        head = buffered.peek(1 << 16)
        if first_byte(head) == ord("[") and not head_records(head) and _strings_head(head):
            # A list of speaker-prefixed strings (the array reader takes objects only; such logs are small).
            data = buffered.read(MAX_RECORD_BYTES + 1)
            if len(data) > MAX_RECORD_BYTES:
                yield RecordError(too_large("the list of lines", len(data)))
                return
            yield from chat.add_all(decode(data.removeprefix(BOM)))
            yield chat.result()
            return
        first = True
        for record in iter_records(buffered):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            if first and type(value) is dict and exchange(value) is None and message(value) is None:
                # The file's one object: chats keyed by id, a list of chats, or one chat among other fields.
                keyed = keyed_chats(value)
                listed = _listed_chats(value) if keyed is None else None
                if keyed is not None or listed is not None:
                    chats = keyed.items() if keyed is not None else enumerate(listed or [])
                    for key, item in chats:
                        yield _keyed_conversation(filename, str(key), item)
                    return
                wrapped = _wrapped_chat(value)
                if wrapped is not None:
                    yield from chat.add_all(wrapped)
                    first = False
                    continue
            first = False
            yield from chat.add_all([value])
        yield chat.result()


def _strings_head(head: bytes) -> bool:
    """A head that opens a JSON array of speaker-prefixed strings (a whole one: such logs are small)."""
    try:
        value = decode(head.removeprefix(BOM))
    except BadRecord:
        return False
    return type(value) is list and _prefixed_chat(value[:8])


class _Chat:
    """One chat read item by item (messages, exchanges, prefixed strings), split where its session changes."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.builder = TurnBuilder()
        self.feed = _Feed(self.builder)
        self.session: object = None
        self.started = False

    def add_all(self, items: Iterable[Any]) -> Iterator[ParseResult]:
        for item in items:
            session = key_of(item, _SESSION_KEYS)
            if self.started and session is not None and session != self.session:
                yield self.result()
                self.builder = TurnBuilder()
                self.feed = _Feed(self.builder)
            if session is not None:
                self.session = session
            self.started = True
            self.feed.add(item)

    def result(self) -> ParseResult:
        turns = self.builder.finish(complete=False)
        if not has_exchange(turns):
            return Skipped(_NO_TALK)
        external_id = self.filename if self.session is None else f"{self.filename}:{self.session}"
        user = next(turn for turn in turns if turn.role == "user")
        return ParsedConversation(
            external_id=external_id,
            turns=turns,
            title=prompt_title(user.text),
            system_prompt=self.builder.system_prompt,
            dropped=dict(+self.builder.dropped),
        )


class _Feed:
    """Saved items (messages, exchanges, speaker-prefixed strings) fed to a builder in order; what is no message is
    counted. A message the person deleted goes with the answers to it (they answer what nobody can see, and would
    join the answer before)."""

    def __init__(self, builder: TurnBuilder) -> None:
        self.builder = builder
        self.deleted = False  # after a prompt the person deleted, until their next message

    def add(self, item: Any) -> None:
        builder = self.builder
        if type(item) is str:
            pieces = _speakers(item)
            if not pieces:
                builder.dropped["unlabelled line"] += 1
            for role, text in pieces:
                _say(builder, role, text)
            return
        pair = exchange(item)
        if pair is not None:
            _say(builder, "user", pair[0])
            _say(builder, "assistant", pair[1])
            return
        said = message(item)
        if said is None:
            deleted = type(item) is dict and (item.get("is_deleted") is True or item.get("deleted") is True)
            if deleted and _deleted_role(item) == "user":
                self.deleted = True
            builder.dropped["deleted message" if deleted else "other item"] += 1
            return
        if said[0] == "user":
            self.deleted = False
        elif self.deleted:
            builder.dropped["answer to a deleted message"] += 1
            return
        _say(builder, *said)


def _deleted_role(item: dict[str, Any]) -> str | None:
    shown = message({key: value for key, value in item.items() if key not in ("is_deleted", "deleted")})
    return shown[0] if shown is not None else None


def _say(builder: TurnBuilder, role: str, text: str) -> None:
    text = text.strip()
    if role == "operator":
        builder.dropped["operator's message"] += 1
    elif role == "assistant":
        if "think>" in text:
            thinking, text = split_thinking(text)
            builder.thinking(thinking or "")
        builder.text(text)
    elif role == "tool":
        builder.block({"type": "tool_result", "tool_use_id": None, "content": text, "is_error": False})
    elif role == "system":
        builder.system(text)
    else:
        builder.user(text)


def _keyed_conversation(filename: str, key: str, value: Any) -> ParseResult:
    """The conversation a keyed chat holds (its title the chat object's, or the key when it reads as a title)."""
    builder = TurnBuilder()
    feed = _Feed(builder)
    for item in _chat_items(value) or []:
        feed.add(item)
    turns = builder.finish(complete=False)
    if not has_exchange(turns):
        return Skipped(_NO_TALK)
    title = next((value[k] for k in _TITLE_KEYS if type(value) is dict and type(value.get(k)) is str), None)
    if type(value) is dict and type(value.get("id")) in (str, int):
        key = str(value["id"])
    if title is None and _ID.fullmatch(key) is None and key not in _LIST_KEYS + _CHAT_KEYS:
        title = key  # a chat's name, not an id or the container's own key (`{"conversations": [...]}`)
    user = next(turn for turn in turns if turn.role == "user")
    return ParsedConversation(
        external_id=f"{filename}:{key}",
        turns=turns,
        title=title or prompt_title(user.text),
        system_prompt=builder.system_prompt,
        dropped=dict(+builder.dropped),
    )


importer = ChatLogImporter()
