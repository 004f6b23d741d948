"""DeepSeek's web "Export data" `conversations.json`: a JSON array of `{id, title, inserted_at, updated_at, mapping}`.

Each conversation is a tree in `mapping`: the root node is `"root"` (no message), the others are numbered `"1"`,
`"2"`, ... and hold a message `{files, model, inserted_at, fragments}` (no role: a `REQUEST` fragment makes the
user's message, `THINK`/`RESPONSE`/`SEARCH` fragments the answer). A regenerated answer or an edited prompt is a
second child of the same node, and nothing marks the branch the person last saw, so the thread is read from the
root taking at each branch the newest child: the one whose message's `inserted_at` is latest, ties going to
the highest numeric id. What the person saw:
- `REQUEST` is the prompt's text; the text of the files attached to it (`files[].content`) is context of the
  prompt, one `attachment` block per file, and a file without extracted text is counted as dropped.
- `RESPONSE` is the answer's text, `THINK` (DeepThink, R1) a thinking block, `SEARCH` a `search` block listing
  the sources found (`results[]`: `cite_index`, `title`, `url`, ...), which the answer cites as `[citation:N]`.
  Other fragment types are counted as dropped by type.
The conversation's `id` is the external id, the models seen (`deepseek-chat`, `deepseek-reasoner`) and its
`inserted_at`/`updated_at` (ISO with an offset, as written) the metadata. A file holding one conversation as
a bare object reads the same; the export's `user.json` is account data and skipped before it gets here.

The web app's own API response for one chat, `history_messages`, as userscripts save it, is read as the same
format: `{data: {biz_data: {chat_session, chat_messages}}}` (or the `biz_data` alone), where messages are
`{message_id, parent_id, role, model, inserted_at (unix seconds), files, fragments}` and the thread is the path
from `chat_session.current_message_id` back to the root (without one: the newest branch, as above); its
times become ISO strings in UTC.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from ._json import BadRecord, has_top_key
from ._records import RecordImporter, expect, first_byte, type_name
from ._turns import TurnBuilder, prompt_title, thinking_block
from .base import ParsedConversation, SkipRecord

# In a head too short for the first conversation: the first message's parent is the literal root.
_ROOT_PARENT = re.compile(rb'"parent"\s*:\s*"root"')
_API_PATH = ("data", "biz_data")


def is_export(record: dict[str, Any]) -> bool:
    """Whether a record is a conversation of DeepSeek's export: a `mapping` whose messages hold `fragments`
    (ChatGPT's have an `author`), or, for a chat with no message, a `"root"` node and an `inserted_at`."""
    mapping = record.get("mapping")
    if type(mapping) is not dict or "current_node" in record:
        return False
    for node in mapping.values():
        message = node.get("message") if type(node) is dict else None
        if type(message) is dict:
            if "author" in message:
                return False
            if "fragments" in message:
                return True
    return "root" in mapping and type(record.get("inserted_at")) is str


def _api_body(record: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The `{chat_session, chat_messages}` object of a saved `history_messages` response (enveloped or not)
    and the path to it (`data.biz_data.`, `biz_data.` or none)."""
    body: Any = record
    path = ""
    for key in _API_PATH:
        if key in body and "chat_messages" not in body:
            body, path = body[key], f"{path}{key}."
            if type(body) is not dict:
                return None
    if type(body.get("chat_session")) is dict and type(body.get("chat_messages")) is list:
        return body, path
    return None


def _looks(record: dict[str, Any]) -> bool:
    return is_export(record) or _api_body(record) is not None


def _hint(head: bytes) -> bool:
    """A head whose first conversation does not fit in it: the export's keys, or the API response's."""
    first = first_byte(head)
    if first == ord("{") and b'"chat_session"' in head and b'"chat_messages"' in head:
        return b'"fragments"' in head or b'"biz_data"' in head
    if b'"mapping"' not in head or b'"author"' in head:
        return False
    if first == ord("{") and not has_top_key(head, b'"mapping"'):
        return False
    # Attached files come before the fragments: a long one hides them, not the first node's root parent.
    return b'"fragments"' in head or _ROOT_PARENT.search(head) is not None


def _time_key(value: Any) -> float:
    """A message's `inserted_at` as seconds, for choosing the newest branch: ISO (an offset, or UTC without
    one) or unix seconds; -inf when missing or unreadable, so a dated message wins over an undated one."""
    if type(value) is int or type(value) is float:
        return float(value)
    if type(value) is str:
        try:
            moment = datetime.fromisoformat(value)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            return float("-inf")
    return float("-inf")


def _newest(children: Iterable[tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]] | None:
    """The child shown last: latest `inserted_at`, then highest numeric id, then last listed."""
    best, best_key = None, None
    for position, (key, node) in enumerate(children):
        message = node.get("message")
        moment = _time_key(message.get("inserted_at")) if type(message) is dict else float("-inf")
        number = int(key) if key.isascii() and key.isdigit() and len(key) < 19 else -1
        rank = (moment, number, position)
        if best_key is None or rank > best_key:
            best, best_key = (key, node), rank
    return best


def _export_thread(mapping: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, message) from the root down the newest child at every branch (a cycle ends the walk)."""
    root = mapping.get("root")
    key = "root"
    if type(root) is not dict:
        roots = [k for k, node in mapping.items() if type(node) is dict and node.get("parent") is None]
        if not roots:
            raise BadRecord('mapping: no "root" node and no node without a parent')
        key = roots[0]
    thread: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    while key not in seen:
        seen.add(key)
        node = mapping[key]
        where = f"mapping[{orjson.dumps(key).decode()}]"
        message = node.get("message")
        if type(message) is dict:
            thread.append((f"{where}.message", message))
        elif message is not None:
            raise BadRecord(f"{where}.message: expected an object, got {type_name(message)}")
        children = node.get("children")
        if children is None:
            break
        if type(children) is not list:
            raise BadRecord(f"{where}.children: expected a list of node ids, got {type_name(children)}")
        ids = [str(c) for c in children if type(c) is str or type(c) is int]
        chosen = _newest((c, mapping[c]) for c in ids if type(mapping.get(c)) is dict)
        if chosen is None:
            break
        key = chosen[0]
    return thread


_REFERENCE = re.compile(r"[ \t]*\[reference:\d+\]")


def _api_thread(body: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, message) from the root to `current_message_id` through `parent_id` (a cycle ends the walk)."""
    messages: dict[Any, tuple[str, dict[str, Any]]] = {}
    for i, message in enumerate(body["chat_messages"]):
        where = f"{path}chat_messages[{i}]"
        expect(message, dict, where)
        # Numbers in the web app's history; some exporters write them as strings ("u1", "a-current").
        number = message.get("message_id")
        if type(number) is not int and type(number) is not str:
            raise BadRecord(f"{where}.message_id: expected a number or a string, got {type_name(number)}")
        parent = message.get("parent_id")
        if parent is not None and type(parent) is not int and type(parent) is not str:
            raise BadRecord(
                f"{where}.parent_id: expected a number, a string or null, got {type_name(parent)}"
            )
        messages[number] = (where, message)
    current = body["chat_session"].get("current_message_id")
    if type(current) not in (int, str) or current not in messages:
        # No usable pointer: the leaf at the end of the newest branch from the root.
        ids = {str(number): number for number in messages}
        children: dict[Any, list[tuple[str, dict[str, Any]]]] = {}
        for number, (_, message) in messages.items():
            children.setdefault(message.get("parent_id"), []).append((str(number), message))
        tip: Any = None
        while tip in children:
            chosen = _newest((key, {"message": message}) for key, message in children.pop(tip))
            tip = ids[chosen[0]] if chosen is not None else None
        current = tip
    thread = []
    seen: set[Any] = set()
    while current in messages and current not in seen:
        seen.add(current)
        thread.append(messages[current])
        current = messages[current][1].get("parent_id")
    thread.reverse()
    return thread


def _attachments(message: dict[str, Any], where: str, dropped: Counter[str]) -> list[dict[str, Any]]:
    """The extracted text of a message's `files` as context blocks; a file without text is dropped."""
    files = message.get("files")
    if files is None:
        return []
    if type(files) is not list:
        raise BadRecord(f"{where}.files: expected a list, got {type_name(files)}")
    blocks = []
    for file in files:
        content = file.get("content") if type(file) is dict else None
        if type(content) is str and content.strip():
            name = file.get("file_name")
            blocks.append(
                {
                    "type": "context",
                    "tag": "attachment",
                    "text": content,
                    "name": name if type(name) is str else None,
                }
            )
        else:
            dropped["file"] += 1
    return blocks


def _search(results: Any) -> dict[str, Any] | None:
    """A SEARCH fragment's sources as a block: each result's citation number, title and url (plus its site,
    snippet and publication time when given), and the list as lines, for reading."""
    sources = []
    for result in results if type(results) is list else ():
        if type(result) is not dict:
            continue
        source = {
            key: result[key]
            for key in ("cite_index", "title", "url", "site_name", "published_at", "snippet")
            if type(result.get(key)) in (str, int, float) and result[key] != ""
        }
        if "url" in source or "title" in source:
            sources.append(source)
    if not sources:
        return None
    lines = [
        " ".join(
            str(part)
            for part in (
                f"[{s['cite_index']}]" if "cite_index" in s else None,
                s.get("title"),
                f"<{s['url']}>" if "url" in s else None,
            )
            if part is not None
        )
        for s in sources
    ]
    return {"type": "search", "content": "\n".join(lines), "results": sources}


def _message(builder: TurnBuilder, message: dict[str, Any], where: str) -> str:
    """Add one message's fragments in order; return the prompt's text ("" for an answer)."""
    fragments = message.get("fragments")
    if type(fragments) is not list:
        raise BadRecord(f"{where}.fragments: expected a list, got {type_name(fragments)}")
    context = _attachments(message, where, builder.dropped)
    prompt = ""
    for i, fragment in enumerate(fragments):
        if type(fragment) is not dict:
            raise BadRecord(f"{where}.fragments[{i}]: expected an object, got {type_name(fragment)}")
        kind, content = fragment.get("type"), fragment.get("content")
        if kind in ("REQUEST", "RESPONSE", "THINK") and content is not None and type(content) is not str:
            raise BadRecord(f"{where}.fragments[{i}].content: expected a string, got {type_name(content)}")
        text = content or ""
        if kind == "REQUEST":
            builder.user(text, blocks=context)
            prompt, context = prompt or text, []
        elif kind == "RESPONSE":
            # A search tool's sources are marked where they are cited (`[reference:0]`): links to results the export
            # keeps only as dropped `tool_search` fragments, not the answer's words. (`[citation:1]` stays: it points
            # at a source the `search` block lists.)
            builder.text(_REFERENCE.sub("", text) if "[reference:" in text else text)
        elif kind == "THINK":
            thinking = thinking_block([fragment], ("content",))
            if thinking is not None:
                builder.block(thinking)
        elif kind == "SEARCH":
            search = _search(fragment.get("results"))
            if search is not None:
                builder.block(search)
        else:
            builder.dropped[kind.lower()[:40] if type(kind) is str else "unknown"] += 1
    if context:
        builder.user("", blocks=context)  # files sent without text: context of the next prompt
    return prompt


def _iso(value: Any) -> str | None:
    if type(value) is str and value:
        return value
    if type(value) in (int, float):
        try:
            return datetime.fromtimestamp(value, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    api = _api_body(record) if "mapping" not in record else None
    if api is not None:
        body, path = api
        session = body["chat_session"]
        thread = _api_thread(body, path)
    else:
        session = record
        thread = _export_thread(expect(record.get("mapping"), dict, "mapping"))
    if not thread:
        raise SkipRecord("empty conversation")
    builder = TurnBuilder()
    title: str | None = None
    models: list[str] = []
    for where, message in thread:
        prompt = _message(builder, message, where)
        if title is None and prompt.strip():
            title = prompt_title(prompt)
        model = message.get("model")
        if type(model) is str and model and model not in models:
            models.append(model)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("conversation without a prompt and an answer")
    metadata: dict[str, Any] = {"models": models} if models else {}
    for key in ("inserted_at", "updated_at"):
        if (moment := _iso(session.get(key))) is not None:
            metadata[key] = moment
    named, key = session.get("title"), session.get("id")
    return builder.conversation(
        key if type(key) is str and key else fallback,
        title=named if type(named) is str and named.strip() else title,
        metadata=metadata,
    )


importer = RecordImporter(name="deepseek", convert=_convert, looks=_looks, hint=_hint)
