"""Folding source messages into turns: one user text message or one whole assistant response each."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ._json import BadRecord
from .base import ExplicitPair, ParsedConversation, ParsedTurn, ParseResult, RecordError, SkipRecord

# What IDEs, shells and the harness wrap around or beside what a person typed. Kept as structured context
# of the user turn (`{"type": "context", "tag", "text"}` blocks), never as the turn's text.
WRAPPER_TAGS = (
    "ide_opened_file",
    "ide_selection",
    "ide_diagnostics",
    "bash-input",
    "bash-stdout",
    "bash-stderr",
    "local-command-stdout",
    "local-command-stderr",
    "system-reminder",
    # Claude Code's notice that a background task finished, handed to the model as a user message.
    "task-notification",
    # Its caveat before a local command's output and the slash command itself, as converters of its sessions to
    # Markdown copy them (eighth fetch).
    "local-command-caveat",
    "command-name",
    "command-message",
    "command-args",
    # Cursor's notice that a background task finished, with its time, and the instruction it sends the model with
    # it (eighth fetch: a turn of three such notices was the person's prompt).
    "system_notification",
    "timestamp",
)
_WRAPPER = re.compile(
    r"<(" + "|".join(map(re.escape, WRAPPER_TAGS)) + r")>(.*?)</\1>"
    r"|<(user_query)>(Briefly inform the user about the task result.*?)</user_query>",
    re.DOTALL,
)


# Zed's agent panel puts what the person attached (files, selections, rules) before their words, in a `<context>`
# element it opens with this sentence; a person's own `<context>` section is their words and stays.
_ATTACHED = re.compile(
    r"<context>\s*(The following items were attached by the user\..*?)</context>|^(\d+ images? attached as context\.)[ \t]*$",
    re.DOTALL | re.MULTILINE,
)


def split_context(text: str) -> tuple[str, list[dict[str, Any]]]:
    """User text without its IDE/shell wrappers, and the wrappers as context blocks (in order)."""
    if "<" not in text and "attached as context" not in text:
        return text, []
    blocks: list[dict[str, Any]] = []

    def take(match: re.Match[str]) -> str:
        tag, text = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        blocks.append({"type": "context", "tag": tag, "text": text.strip()})
        return ""

    def attached(match: re.Match[str]) -> str:
        blocks.append(
            {"type": "context", "tag": "attachment", "text": (match.group(1) or match.group(2)).strip()}
        )
        return ""

    clean = _WRAPPER.sub(take, text) if "<" in text else text
    if "attached" in clean:
        clean = _ATTACHED.sub(attached, clean)
    return (clean.strip(), blocks) if blocks else (text, [])


# Part types as sources name them -> the kind reported when one is dropped.
_PART_KINDS = {
    "image_url": "image",
    "imageUrl": "image",  # Continue.dev
    "input_image": "image",
    "image": "image",
    "image_asset_pointer": "image",
    "input_audio": "audio",
    "audio": "audio",
    "audio_asset_pointer": "audio",
    "real_time_user_audio_video_asset_pointer": "audio",
    "file": "file",
    "input_file": "file",
    "document": "document",
}


def part_kind(part: Any) -> str:
    """The kind of a non-text content part, for the dropped-parts report (`image`, `audio`, ...)."""
    if type(part) is not dict:
        return "unknown"
    kind = part.get("type", part.get("content_type"))
    if type(kind) is not str:
        return "unknown"
    return _PART_KINDS.get(kind, kind[:40])


def flatten(content: Any, dropped: Counter[str] | None = None) -> str:
    """Text of a content value that is a string or a list of parts/blocks; other parts are counted in
    `dropped` by kind (when given) and left out."""
    if type(content) is str:
        return content
    if type(content) is list:
        texts = []
        for part in content:
            if type(part) is str:
                texts.append(part)
            elif type(part) is dict and type(part.get("text")) is str:
                texts.append(part["text"])
            elif dropped is not None:
                dropped[part_kind(part)] += 1
        return "\n".join(texts)
    return ""


def tool_use(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """An assistant's tool call as a block of its turn."""
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def tool_result(tool_use_id: Any, content: Any, is_error: Any = False) -> dict[str, Any]:
    return {
        "type": "tool_result",
        "tool_use_id": tool_use_id if type(tool_use_id) is str else None,
        "content": flatten(content),
        "is_error": is_error is True,
    }


def response_block(block: dict[str, Any]) -> dict[str, Any] | None:
    """A content block of an assistant's response in Anthropic's shape (`thinking`, `tool_use`,
    `tool_result`) as a block of the turn; None for other types and for a thinking block without text
    (text blocks are the caller's: whose text it is depends on the message's role)."""
    kind = block.get("type")
    if kind == "thinking":
        thinking = block.get("thinking")
        return {"type": "thinking", "thinking": thinking} if type(thinking) is str and thinking else None
    if kind == "tool_use":
        return tool_use(block.get("id"), block.get("name"), block.get("input"))
    if kind == "tool_result":
        return tool_result(block.get("tool_use_id"), block.get("content"), block.get("is_error"))
    return None


# A conversation without a title of its own is named by its first prompt, cut to this many characters.
TITLE_CHARS = 80


def prompt_title(text: str) -> str:
    """A title from a prompt: its first words, whitespace collapsed (only the start of a long text is read)."""
    return " ".join(text[: TITLE_CHARS * 4].split())[:TITLE_CHARS]


def thinking_block(thoughts: Any, fields: tuple[str, ...]) -> dict[str, Any] | None:
    """A thinking block from a list of thoughts (objects whose `fields` hold text: a heading, then the text),
    each thought's fields on their own lines and the thoughts a blank line apart; None when no text."""
    texts = []
    for thought in thoughts if type(thoughts) is list else ():
        if type(thought) is dict:
            lines = [thought.get(field) for field in fields]
            texts.append("\n".join(line for line in lines if type(line) is str and line.strip()))
    thinking = "\n\n".join(text for text in texts if text)
    return {"type": "thinking", "thinking": thinking} if thinking else None


# The end-of-turn tokens of the common chat templates, as a model's raw output ends with them.
_STOP_TOKENS = (
    "<|end|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|endoftext|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<|return|>",
    "</s>",
)
# Thinking at the start of an answer: (opening, closing, where the answer starts when not right after).
_THINKING_MARKS = (
    ("<think>", "</think>", None),
    ("<seed:think>", "</seed:think>", None),
    ("<|channel|>analysis<|message|>", "<|end|>", "<|channel|>final<|message|>"),
)
_FINAL_MARK = "<|start|>assistant<|channel|>final<|message|>"


# An app's own name for the tag (`<ai-think>`, `<thinking>`, `<reasoning>`), opening the answer.
_THINK_TAG = re.compile(r"\s*<((?:[a-z]+[-_:])?(?:think|thinking|reasoning))>")


def split_thinking(text: str) -> tuple[str | None, str]:
    """The thinking an answer starts with, if any, and the answer without it."""
    if (
        text[:1] in ("<", " ", "\n")
        and (tag := _THINK_TAG.match(text)) is not None
        and tag.group(1) != "think"
    ):
        closing = f"</{tag.group(1)}>"
        end = text.find(closing, tag.end())
        if end == -1:
            return text[tag.end() :].strip(), ""
        return text[tag.end() : end].strip(), text[end + len(closing) :].strip()
    for opening, closing, final in _THINKING_MARKS:
        start = text.find(opening)
        if start == -1 or text[:start].strip():
            continue
        begin = start + len(opening)
        end = text.find(closing, begin)
        if end == -1:
            after = text.find(final, begin) if final is not None else -1
            if final is None or after == -1:
                return text[begin:].strip(), ""
            thinking = text[begin:after].removesuffix("<|start|>assistant")
            return thinking.strip(), text[after + len(final) :].strip()
        rest = text[end + len(closing) :]
        if final:
            at = rest.find(final)
            rest = rest[at + len(final) :] if at != -1 else rest
            rest = rest.split("<|end|>", 1)[0].split("<|return|>", 1)[0]
        return text[begin:end].strip(), rest.strip()
    if _FINAL_MARK in text:
        return None, text.split(_FINAL_MARK, 1)[1].strip()
    end = text.find("</think>")
    if end != -1 and "<think>" not in text:  # only the closing tag: the thinking is everything before it
        return text[:end].strip(), text[end + len("</think>") :].strip()
    return None, text


# Grok's inline citation cards (`<grok:render card_id=".." card_type="citation_card" type="render_inline_citation">
# <argument name="citation_id">37</argument></grok:render>`, `<grok-card data-id=".." ...></grok-card>` in its
# newer pages): where the page shows a source's chip, not the answer's words.
_GROK_CARD = re.compile(
    r"[ \t]*<grok:render\b[^>]*>(?:(?!</grok:render>).){0,400}?</grok:render>|[ \t]*<grok-card\b[^>]*>\s*</grok-card>",
    re.DOTALL,
)


def without_citation_cards(text: str, dropped: Counter[str] | None = None) -> str:
    """An answer's text without Grok's citation cards (counted in `dropped` when given)."""
    if "<grok" not in text:
        return text
    text, count = _GROK_CARD.subn("", text)
    if dropped is not None and count:
        dropped["citation card"] += count
    return text


class TurnBuilder:
    """Accumulates messages in order and merges consecutive same-role messages into one turn.

    IDE/shell wrappers in user text become context blocks of the next user turn that has text of its own
    (a `!ls` shell line and its output belong with the question typed after them); user turns keep
    `blocks=None` without any.

    User texts merge with a blank line between them. Everything an assistant produces (text, thinking,
    tool calls) and every tool result is a block of the current assistant turn, so a response that
    continues after a tool result stays one turn. Text-only assistant turns keep `blocks=None`: the text
    says it all, and the stored row stays small.
    """

    __slots__ = ("_context", "_parts", "_role", "_system", "dropped", "turns")

    def __init__(self) -> None:
        self.turns: list[ParsedTurn] = []
        # Content parts left out, by kind: reported per file and per batch.
        self.dropped: Counter[str] = Counter()
        self._role: str | None = None
        self._parts: list[Any] = []
        self._system: list[str] = []
        self._context: list[dict[str, Any]] = []

    @property
    def last_role(self) -> str | None:
        """The role of the turn being built, or of the last one; None before any."""
        return self._role or (self.turns[-1].role if self.turns else None)

    def system(self, text: str) -> None:
        if text and not text.isspace():
            self._system.append(text)

    def user(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Add typed user text; `blocks` (a command marker, context) go with the turn it lands in."""
        text, context = split_context(text)
        self._context.extend(blocks or ())
        self._context.extend(context)
        if not text or text.isspace():
            return
        if self._role != "user":
            self._close()
            self._role = "user"
        elif self._parts and self._parts[-1].strip() == text.strip():
            # The same message sent again before any answer (the first one failed or got an empty answer): one
            # prompt, not its text twice in one turn.
            self.dropped["repeated prompt"] += 1
            return
        self._parts.append(text)

    def block(self, block: dict[str, Any]) -> None:
        if self._role != "assistant":
            self._close()
            self._role = "assistant"
        self._parts.append(block)

    def text(self, text: str) -> None:
        if text and not text.isspace():
            self.block({"type": "text", "text": text})

    def thinking(self, text: str) -> None:
        """Add the answer's thinking (reasoning) text as a block; blank thinking is left out."""
        if text and not text.isspace():
            self.block({"type": "thinking", "thinking": text})

    def say(self, role: str, text: str) -> None:
        """Add the text of a `user`, `assistant` or `system` message (any other role is the system's)."""
        if role == "user":
            self.user(text)
        elif role == "assistant":
            self.text(text)
        else:
            self.system(text)

    def _close(self) -> None:
        # Blank lines around a part say nothing (Claude Code opens a text block after thinking with "\n\n"): a
        # turn's text must not hand them to a fine-tune as the way an answer starts.
        if self._role == "user":
            text = "\n\n".join(part.strip("\r\n") for part in self._parts)
            self.turns.append(ParsedTurn("user", text, self._context or None))
            self._context = []
        elif self._role == "assistant":
            last = self._parts[-1]
            # Only the answer's end is looked at (every answer passes here: no copy of a long text).
            if last["type"] == "text" and last["text"][-64:].rstrip().endswith(">"):
                self._parts[-1] = self._without_stop_token(last)
            texts = [block["text"].strip("\r\n") for block in self._parts if block["type"] == "text"]
            rich = len(texts) != len(self._parts)
            self.turns.append(ParsedTurn("assistant", "\n\n".join(texts), self._parts if rich else None))
        self._role = None
        self._parts = []

    def _without_stop_token(self, block: dict[str, Any]) -> dict[str, Any]:
        """A text block without the model's end-of-turn token a log kept after its last word (`...now?<|end|>`,
        a voice assistant's saved history, eighth fetch), counted as dropped."""
        text = block["text"].rstrip()
        for token in _STOP_TOKENS:
            if text.endswith(token):
                self.dropped["stop token"] += 1
                return {**block, "text": text.removesuffix(token)}
        return block

    def finish(self, *, complete: bool = True) -> list[ParsedTurn]:
        """The turns; with `complete`, raise BadRecord unless there is a user and an assistant turn."""
        self._close()
        if self._context:
            # Context with no typed text after it (a shell line at the very end): nothing to attach it to.
            self.dropped["context"] += len(self._context)
            self._context = []
        if complete and len(roles := {turn.role for turn in self.turns}) < 2:
            # Say which side is missing: a training line of a system prompt and an answer has no question.
            if roles == {"assistant"}:
                raise BadRecord(
                    "no user message: only the assistant's (a prompt is needed for a conversation)"
                )
            if roles == {"user"}:
                raise BadRecord("no assistant answer: only the user's messages")
            raise BadRecord("no conversation turns")
        return self.turns

    @property
    def system_prompt(self) -> str | None:
        return "\n\n".join(self._system) or None

    def conversation(
        self, external_id: str, *, title: str | None = None, metadata: dict[str, Any] | None = None
    ) -> ParsedConversation:
        """The finished conversation (BadRecord unless it has a user and an assistant turn) with its system
        prompt and what was dropped (kinds counted as none, `dropped["image"] += 0`, left out)."""
        turns = self.finish()
        return ParsedConversation(
            external_id=external_id,
            turns=turns,
            title=title,
            system_prompt=self.system_prompt,
            metadata=metadata or {},
            dropped=dict(+self.dropped),
        )


def require_answer(builder: TurnBuilder, reason: str) -> None:
    """SkipRecord(reason) when a chat holds the person's messages and no answer: a reply that was stopped or
    failed, which a chat app's export keeps (a data set's row without one stays an error)."""
    turns = builder.finish(complete=False)
    if turns and all(turn.role == "user" for turn in turns):
        raise SkipRecord(reason)


def copied_chat(
    builder: TurnBuilder, filename: str, *, metadata: dict[str, Any], missing: str, title: str | None = None
) -> ParseResult:
    """The one conversation of a chat copied as text (a page selected whole, VS Code's "Copy All"): its turns, the
    title given or its first prompt, the file's name as its external id; `missing` is the error when it holds no
    prompt with an answer."""
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return RecordError(missing)
    return ParsedConversation(
        external_id=filename,
        turns=turns,
        title=title or prompt_title(turns[0].text),
        metadata=metadata,
        line=1,
        dropped=dict(builder.dropped),
    )


def append_pair(turns: list[ParsedTurn], rejected: ParsedTurn, chosen: ParsedTurn) -> list[ExplicitPair]:
    """Put a stated preference after its prompt: rejected then chosen, two assistant turns in a row."""
    if not turns or turns[-1].role != "user":
        raise BadRecord("prompt: expected to end with a user message")
    turns += (rejected, chosen)
    return [ExplicitPair(rejected=len(turns) - 2, chosen=len(turns) - 1)]


# NVIDIA's HelpSteer datasets write the earlier turns of a conversation into its prompt, each later turn opened by
# a line `<extra_id_1>User` or `<extra_id_1>Assistant` (the card's multi-turn convention).
_EXTRA_ID_SPEAKER = re.compile(r"\n?<extra_id_1>(User|Assistant)\n")


def add_marked_prompt(builder: TurnBuilder, prompt: str) -> None:
    """A prompt that may hold earlier turns in HelpSteer's `<extra_id_1>User` / `<extra_id_1>Assistant` convention,
    fed to `builder` as those turns (the text before the first marker is the user's)."""
    pieces = _EXTRA_ID_SPEAKER.split(prompt)
    builder.user(pieces[0])
    for speaker, text in zip(pieces[1::2], pieces[2::2], strict=True):
        builder.say("user" if speaker == "User" else "assistant", text)


# The most a text before an answer's last tool call may say and still be its preamble ("Let me look at the
# config.", "I'll run the tests."): after a longer one the call only carries out what the text already said.
PREAMBLE_CHARS = 280


def unfinished_answer(text: str, blocks: Sequence[dict[str, Any]] | None) -> bool:
    """Whether an assistant turn is no whole answer: no words at all (only tool calls, which the person may have
    rejected), or it stops at a tool call or its result after no more than a preamble ("I'll load the file.") with
    no text after it: the person stopped the agent, or the session ended, before the text it was going on to."""
    if not text.strip():
        return True
    if not blocks:
        return False
    texts = [i for i, block in enumerate(blocks) if block.get("type") == "text"]
    last = texts[-1] if texts else -1
    if not any(block.get("type") in ("tool_use", "tool_result") for block in blocks[last + 1 :]):
        return False
    said = blocks[last].get("text") if last >= 0 else ""
    return not isinstance(said, str) or len(said.strip()) <= PREAMBLE_CHARS


UNFINISHED_ANSWER = "unfinished answer"


def drop_unfinished_exchange(turns: list[ParsedTurn], dropped: Counter[str]) -> bool:
    """Take a cut-off last answer (`unfinished_answer`) and its prompt out of `turns`, counted as dropped; whether
    there was one. A pair must never hold an answer cut short as if it were complete."""
    if not turns or turns[-1].role != "assistant" or not unfinished_answer(turns[-1].text, turns[-1].blocks):
        return False
    turns.pop()
    if turns and turns[-1].role == "user":
        turns.pop()
    dropped[UNFINISHED_ANSWER] += 1
    return True


def terminal_conversation(
    builder: TurnBuilder, filename: str, metadata: dict[str, Any], tool: str
) -> ParsedConversation | RecordError:
    """A terminal copy's conversation (Claude Code's, Codex CLI's, Gemini CLI's), its file's path the external id and
    its first prompt the title: a copy taken from the middle of a session opens with an answer, which names nothing.
    A copy without a prompt and an answer is one error naming the tool."""
    try:
        conversation = builder.conversation(filename.replace("\\", "/"), metadata=metadata)
    except BadRecord as exc:
        return RecordError(f"{tool}: {exc}")
    first = next(
        (turn.text for turn in conversation.turns if turn.role == "user" and turn.text.strip()), None
    )
    conversation.title = prompt_title(first) if first is not None else None
    return conversation
