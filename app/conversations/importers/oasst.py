"""OpenAssistant message trees (oasst1 / oasst2 `*.trees.jsonl`, or the flat messages of the Hugging Face
datasets): ranked answers as preference pairs.

Each line is a tree, `{"message_tree_id", "tree_state", "prompt": node}`; a node is `{"message_id", "text",
"role": "prompter" | "assistant", "lang", "rank", "deleted", "replies": [nodes]}`. Volunteers ranked the
answers to a prompt (rank 0 the best), so wherever a prompter's message has two or more ranked answers that
are not deleted, the best one is chosen and the worst rejected: the conversation is the path from the root
to that message, then the two answers. A tree yields one conversation per such place (its external id is
that prompter message's id) and none without one (skipped with its reason). The language, the ranks and the
tree id are metadata.

The flat export (`OpenAssistant/oasst1` rows written as JSON Lines: `message_id`, `parent_id`,
`message_tree_id`, `role`, `text`, `rank`, ...) is read one tree at a time: the messages of a tree follow one
another, as the dataset lists them, and the tree is rebuilt from the parent ids once the next tree begins.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import Record, first_byte, has_top_key, head_records, iter_records, type_name
from ._turns import TurnBuilder, append_pair, prompt_title
from .base import ParsedConversation, ParsedTurn, ParseResult, RecordError, Skipped

# A tree is walked with a stack, so a deep one cannot exhaust Python's recursion; this bounds its size.
_MAX_NODES = 100_000


def _is_tree(record: Any) -> bool:
    return type(record) is dict and "message_tree_id" in record and type(record.get("prompt")) is dict


def _is_row(record: Any) -> bool:
    """A message of the flat export (the Hugging Face `OpenAssistant/oasst1` rows): one line a message."""
    return (
        type(record) is dict
        and type(record.get("message_tree_id")) is str
        and type(record.get("message_id")) is str
        and "parent_id" in record
        and record.get("role") in ("prompter", "assistant")
    )


class OasstImporter:
    name = "oasst"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) not in (ord("{"), ord("[")):
            return False
        records = head_records(head)
        if records:
            return _is_tree(records[0]) or _is_row(records[0])
        # A first tree longer than the head: its id and its prompt come before the prompt's text.
        return (
            b'"message_tree_id"' in head
            and b'"prompt"' in head
            and (first_byte(head) == ord("[") or has_top_key(head, b'"message_tree_id"'))
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        rows = _Rows()
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            if _is_row(record.value):
                if record.value["message_tree_id"] != rows.tree_id:
                    yield from rows.tree()
                try:
                    rows.add(record)
                except BadRecord as exc:
                    yield RecordError(str(exc), line=record.line, json_path=record.json_path)
                continue
            yield from rows.tree()
            try:
                if not _is_tree(record.value):
                    raise BadRecord(
                        "expected an OpenAssistant tree (message_tree_id, prompt) or message row (message_id, "
                        f"parent_id, role), got {_shape(record.value)}"
                    )
                yield from _found(_conversations(record.value), record.line, record.json_path)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
        yield from rows.tree()


def _found(
    conversations: Iterator[ParsedConversation], line: int | None, json_path: str | None
) -> Iterator[ParseResult]:
    """A tree's conversations, located where the tree starts, or its skip when it has none."""
    found = list(conversations)
    if not found:
        yield Skipped("OpenAssistant tree without two ranked answers to one prompt")
    for conversation in found:
        conversation.line, conversation.json_path = line, json_path
        yield conversation


class _Rows:
    """The flat export's messages of one tree, collected while they come one after another in the file."""

    def __init__(self) -> None:
        self.tree_id: str | None = None
        self.messages: list[dict[str, Any]] = []
        self.line: int | None = None
        self.json_path: str | None = None

    def add(self, record: Record) -> None:
        if not self.messages:
            self.tree_id, self.line, self.json_path = (
                record.value["message_tree_id"],
                record.line,
                record.json_path,
            )
        if len(self.messages) >= _MAX_NODES:
            raise BadRecord(f"the tree holds more than {_MAX_NODES:,} messages")
        self.messages.append(record.value)

    def tree(self) -> Iterator[ParseResult]:
        """The tree collected so far, rebuilt from the parent ids, then forgotten."""
        if not self.messages:
            return
        messages, tree_id, line, json_path = self.messages, self.tree_id, self.line, self.json_path
        self.messages, self.tree_id = [], None
        nodes = {m["message_id"]: {**m, "replies": []} for m in messages}
        roots = []
        for message in messages:
            node = nodes[message["message_id"]]
            parent = nodes.get(message["parent_id"]) if type(message["parent_id"]) is str else None
            if parent is not None and parent is not node:
                parent["replies"].append(node)
            else:
                roots.append(node)
        if len(roots) != 1 or roots[0].get("parent_id") is not None:
            yield RecordError(
                f"tree {str(tree_id)[:60]}: expected one prompt without a parent_id and every other message "
                "after its tree's first one (sort the file by message_tree_id)",
                line=line,
                json_path=json_path,
            )
            return
        try:
            yield from _found(
                _conversations({"message_tree_id": tree_id, "prompt": roots[0]}), line, json_path
            )
        except BadRecord as exc:
            yield RecordError(str(exc), line=line, json_path=json_path)


def _shape(value: Any) -> str:
    return "an object without them" if type(value) is dict else type_name(value)


def _conversations(tree: dict[str, Any]) -> Iterator[ParsedConversation]:
    """One conversation per prompter message with two or more ranked answers, in the tree's order."""
    stack: list[tuple[Any, tuple[dict[str, Any], ...], str]] = [(tree["prompt"], (), "prompt")]
    seen = 0
    while stack:
        node, path, where = stack.pop()
        seen += 1
        if seen > _MAX_NODES:
            raise BadRecord(f"the tree holds more than {_MAX_NODES:,} messages")
        if type(node) is not dict:
            raise BadRecord(f"{where}: expected a message object, got {type_name(node)}")
        if node.get("deleted") is True:
            continue
        replies = node.get("replies")
        replies = replies if type(replies) is list else []
        path = (*path, node)
        if node.get("role") == "prompter":
            ranked = [
                reply
                for reply in replies
                if type(reply) is dict
                and reply.get("role") == "assistant"
                and reply.get("deleted") is not True
                and type(reply.get("rank")) is int
                and type(reply.get("text")) is str
            ]
            if len(ranked) >= 2:
                best = min(ranked, key=lambda reply: reply["rank"])
                worst = max(ranked, key=lambda reply: reply["rank"])
                if best["rank"] != worst["rank"]:
                    yield _pair(tree, path, best, worst)
        stack.extend(
            (reply, path, f"{where}.replies[{i}]") for i, reply in reversed(list(enumerate(replies)))
        )


def _pair(
    tree: dict[str, Any], path: tuple[dict[str, Any], ...], best: dict[str, Any], worst: dict[str, Any]
) -> ParsedConversation:
    builder = TurnBuilder()
    for node in path:
        text = node.get("text")
        text = text if type(text) is str else ""
        if node.get("role") == "prompter":
            builder.user(text)
        else:
            builder.text(text)
    turns = builder.finish(complete=False)
    if not turns or turns[-1].role != "user":
        raise BadRecord(f"message {str(path[-1].get('message_id'))[:60]}: a prompt without text")
    pairs = append_pair(turns, ParsedTurn("assistant", worst["text"]), ParsedTurn("assistant", best["text"]))
    prompt = path[-1]
    message_id = prompt.get("message_id")
    preference: dict[str, Any] = {"chosen_rank": best["rank"], "rejected_rank": worst["rank"]}
    if type(prompt.get("lang")) is str:
        preference["language"] = prompt["lang"]
    tree_id = tree.get("message_tree_id")
    metadata: dict[str, Any] = {"preference": preference}
    if type(tree_id) is str:
        metadata["tree"] = tree_id
    return ParsedConversation(
        external_id=message_id if type(message_id) is str and message_id else f"{tree_id}:{len(path)}",
        turns=turns,
        title=prompt_title(turns[0].text) or None,
        explicit_pairs=pairs,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


importer = OasstImporter()
