"""Fine-tuning rows whose conversation is one string already rendered with a chat template: JSON Lines or a JSON array
(or Parquet, read as its rows) of `{"text": "...", "id"?, "source"?, ...}`, one conversation per row.

The templates, as their model cards and tokenizer configs write them:

- ChatML (Qwen, Hermes, Phi-4's `<|im_sep|>` variant): `<|im_start|>user\\n...<|im_end|>`;
- Llama 3: `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\n...<|eot_id|>`;
- Gemma: `<bos><start_of_turn>user\\n...<end_of_turn>`, the answer's speaker `model`;
- Zephyr and Phi-3: `<|user|>\\n...</s>` or `<|end|>`;
- DeepSeek: `<\uff5cUser\uff5c>...<\uff5cAssistant\uff5c>...` (full-width bars), the text before the first prompt
  the system's;
- Mistral and Llama 2: `<s>[INST] ... [/INST] answer</s>`; a `<<SYS>>\\n...\\n<</SYS>>` opening the first prompt
  (Llama 2) or a `[SYSTEM_PROMPT]...[/SYSTEM_PROMPT]` (Mistral's later tokenizers) is the system prompt;
- Alpaca's prompt text: `### Instruction:`, `### Input:` (joined to the instruction after a blank line) and
  `### Response:` at line starts, the preamble before them the system prompt;
- Guanaco: `### Human: ... ### Assistant: ...`; Vicuna: `SYSTEM? ... USER: ... ASSISTANT: ...</s>`;
- plain speakers at line starts, the text opening with the person's: `Human:` or `User:`, then `Assistant:`
  (HH-RLHF).

A row is this format only when `text` is its one conversation field and holds one of these with a prompt and an
answer marker, its first marker opening the text (DeepSeek, Vicuna, Guanaco and Alpaca allow a system text before
it; plain speakers must open with the person's). A `text` of prose (a pre-training document) is skipped with that
reason. An answer that opens with `<think>` or
`<thinking>` has that part as a thinking block; a tool's block (`tool`, `ipython`) is a tool result of the answer.
A text with no line break but the two characters `\\n` around its markers (written escaped twice) is unescaped
first. A row whose template has no answer is an error, as is one whose `text` is not a string. The row's `id` (or
the file and line) is the external id, the template's name and `source` metadata, the first prompt the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from ._json import BOM, BadRecord, has_top_key
from ._records import RecordImporter, expect, external_id
from ._turns import TurnBuilder, prompt_title, tool_result
from .base import ParsedConversation, SkipRecord

# The fields that make a row another format's conversation (OpenAI messages, ShareGPT, preference pairs, ...).
_OTHER_FIELDS = (
    "messages",
    "conversations",
    "conversation",
    "contents",
    "data",
    "prompt",
    "response",
    "completion",
    "instruction",
    "output",
    "chosen",
    "rejected",
)
_ROLES = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "ipython": "tool",
    "function": "tool",
    "observation": "tool",
}
# DeepSeek's special tokens are written between full-width vertical bars.
_BAR = "\uff5c"
_PROSE = "text without a chat template (a document, not a conversation)"


@dataclass(frozen=True, slots=True)
class _Template:
    name: str
    sign: str  # a substring every text of the template holds (its answer's marker), tested before the markers
    opening: re.Pattern[str]  # the marker that opens a block, its group naming the speaker
    roles: dict[str, str]  # speaker -> system, user, assistant or tool
    tokens: re.Pattern[str] | None = None  # special tokens around the blocks, taken out of their text
    preamble: bool = False  # free text before the first marker is the system prompt (else there must be none)
    person_first: bool = (
        False  # the first block must be the person's or the system's (speaker words in prose)
    )
    # A system prompt written at the start of the first prompt (Llama 2's `<<SYS>>`), its group the text.
    inner_system: re.Pattern[str] | None = None


_TEMPLATES = (
    _Template(
        "chatml",
        "<|im_start|>",
        re.compile(r"<\|im_start\|>(\w+)(?:<\|im_sep\|>|\n)"),
        _ROLES,
        re.compile(r"<\|im_end\|>|<\|endoftext\|>"),
    ),
    _Template(
        "llama-3",
        "<|start_header_id|>",
        re.compile(r"<\|start_header_id\|>(\w+)<\|end_header_id\|>"),
        _ROLES,
        re.compile(r"<\|begin_of_text\|>|<\|eot_id\|>|<\|eom_id\|>|<\|end_of_text\|>|<\|python_tag\|>"),
    ),
    _Template(
        "gemma",
        "<start_of_turn>",
        re.compile(r"<start_of_turn>(\w+)\n"),
        {**_ROLES, "model": "assistant"},
        re.compile(r"<bos>|<eos>|<end_of_turn>"),
    ),
    _Template(
        "zephyr",
        "<|assistant|>",
        re.compile(r"<\|(system|user|assistant)\|>"),
        _ROLES,
        re.compile(r"<s>|</s>|<\|end\|>|<\|endoftext\|>"),
    ),
    _Template(
        "deepseek",
        f"<{_BAR}Assistant{_BAR}>",
        re.compile(f"<{_BAR}(User|Assistant){_BAR}>"),
        {"User": "user", "Assistant": "assistant"},
        re.compile(f"<{_BAR}(?:begin|end)\u2581of\u2581sentence{_BAR}>"),
        preamble=True,
    ),
    _Template(
        "mistral",
        "[/INST]",
        re.compile(r"\[(INST|/INST|SYSTEM_PROMPT)\]"),
        {"INST": "user", "/INST": "assistant", "SYSTEM_PROMPT": "system"},
        re.compile(r"<s>|</s>|\[/SYSTEM_PROMPT\]"),
        inner_system=re.compile(r"\s*<<SYS>>(.*?)<</SYS>>", re.DOTALL),
    ),
    _Template(
        "alpaca",
        "### Response:",
        re.compile(r"(?:^|\n)### (Instruction|Input|Response):"),
        {"Instruction": "user", "Input": "user", "Response": "assistant"},
        re.compile(r"</s>"),
        preamble=True,
    ),
    _Template(
        "guanaco",
        "### Assistant:",
        re.compile(r"### (Human|Assistant):"),
        {"Human": "user", "Assistant": "assistant"},
        re.compile(r"</s>"),
        preamble=True,
    ),
    _Template(
        "vicuna",
        "ASSISTANT:",
        re.compile(r"(?:^|(?<=\s)|(?<=</s>))(SYSTEM|USER|ASSISTANT):"),
        {"SYSTEM": "system", "USER": "user", "ASSISTANT": "assistant"},
        re.compile(r"<s>|</s>"),
        preamble=True,
    ),
    _Template(
        "plain",
        "Assistant:",
        re.compile(r"(?:^|\n)(Human|User|Assistant|System):"),
        {"Human": "user", "User": "user", "Assistant": "assistant", "System": "system"},
        person_first=True,
    ),
)

# Reasoning written at the start of an answer.
_THINKING = re.compile(r"\s*<(think|thinking)>(.*?)</\1>", re.DOTALL)
# A line break written as the two characters `\n` next to a marker: a text escaped twice.
_ESCAPED_BREAK = re.compile(r"\\n(?=<|\[|###|\w+:)|(?<=[>\]:])\\n")


def _unescaped(text: str) -> str:
    """The text with its escapes read once more when it has no line break but `\\n` around its markers."""
    if "\n" in text or _ESCAPED_BREAK.search(text) is None:
        return text
    try:
        value = orjson.loads(b'"' + text.encode() + b'"')
    except orjson.JSONDecodeError:  # a bare quote or backslash: the line breaks alone
        return text.replace("\\n", "\n")
    return value if type(value) is str else text


def _clean(template: _Template, text: str) -> str:
    return (template.tokens.sub("", text) if template.tokens else text).strip()


def _blocks(text: str) -> tuple[_Template, str, list[tuple[str, str]]] | None:
    """The template the text is written in, the free text before its first marker, and its blocks (speaker, text)
    in order; None when it holds no template with a prompt and an answer marker, or has free text before the first
    marker where its template has none."""
    for template in _TEMPLATES:
        if template.sign not in text:
            continue
        pieces = template.opening.split(text)
        speakers = pieces[1::2]
        roles = {template.roles.get(speaker) for speaker in speakers}
        if "user" not in roles or "assistant" not in roles:
            continue
        preamble = _clean(template, pieces[0])
        if preamble and not template.preamble:
            continue
        if template.person_first and template.roles[speakers[0]] == "assistant":
            continue
        texts = (_clean(template, piece) for piece in pieces[2::2])
        return template, preamble, list(zip(speakers, texts, strict=True))
    return None


# Templates marked by special tokens, which a preference row's prompt may be rendered in (ChatML's `<|im_start|>`):
# words such as `User:` or `### Instruction:` in a prompt are the person's own.
_TOKEN_TEMPLATES = tuple(
    t for t in _TEMPLATES if t.name in ("chatml", "llama-3", "gemma", "zephyr", "deepseek")
)


def add_templated_prompt(builder: TurnBuilder, text: str) -> re.Pattern[str] | None:
    """A preference row's prompt rendered with a chat template (`<|im_start|>system\n...<|im_end|>\n<|im_start|>user
    \n...<|im_end|>\n<|im_start|>assistant\n`, a real DPO file): its blocks fed to `builder`, the answer's empty
    opening marker at its end left out. Returns the template's special tokens (to take out of the answers), or None
    when the prompt holds no such template (nothing is fed)."""
    for template in _TOKEN_TEMPLATES:
        if template.opening.search(text) is None:
            continue
        pieces = template.opening.split(text)
        preamble = _clean(template, pieces[0])
        blocks = [
            (speaker, _clean(template, piece))
            for speaker, piece in zip(pieces[1::2], pieces[2::2], strict=True)
        ]
        while blocks and template.roles.get(blocks[-1][0]) == "assistant" and not blocks[-1][1]:
            blocks.pop()
        if (preamble and not template.preamble) or "user" not in {template.roles.get(s) for s, _ in blocks}:
            continue
        builder.system(preamble)
        for speaker, said in blocks:
            _add(builder, template, speaker, said)
        return template.tokens
    return None


def _answer(builder: TurnBuilder, text: str) -> None:
    thought = _THINKING.match(text)
    if thought is not None:
        builder.thinking(thought.group(2).strip())
        text = text[thought.end() :].strip()
    builder.text(text)


def _add(builder: TurnBuilder, template: _Template, speaker: str, text: str) -> None:
    role = template.roles.get(speaker)
    if role == "user" and template.inner_system is not None:
        system = template.inner_system.match(text)
        if system is not None:
            builder.system(system.group(1).strip())
            text = text[system.end() :].strip()
    if role == "user":
        builder.user(text)
    elif role == "assistant":
        _answer(builder, text)
    elif role == "tool":
        builder.block(tool_result(None, text))
    elif role == "system":
        builder.system(text)
    else:
        raise BadRecord(f"text: unknown speaker {speaker!r} in the {template.name} template")


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    found = _blocks(_unescaped(expect(record.get("text"), str, "text")))
    if found is None:
        raise SkipRecord(_PROSE)
    template, preamble, blocks = found
    builder = TurnBuilder()
    builder.system(preamble)
    for speaker, text in blocks:
        _add(builder, template, speaker, text)
    turns = builder.finish(complete=False)
    roles = {turn.role for turn in turns}
    if "assistant" not in roles:
        raise BadRecord(f"text: the {template.name} template holds no answer, only the prompt")
    if "user" not in roles:
        raise BadRecord(f"text: the {template.name} template holds no prompt, only the answer")
    metadata: dict[str, Any] = {"template": template.name}
    if type(record.get("source")) is str and record["source"]:
        metadata["source"] = record["source"]
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        title=prompt_title(next(turn.text for turn in turns if turn.role == "user")),
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


def _looks(record: dict[str, Any]) -> bool:
    text = record.get("text")
    if type(text) is not str or any(field in record for field in _OTHER_FIELDS):
        return False
    return _blocks(_unescaped(text)) is not None


_TEXT_VALUE = re.compile(rb'"text"\s*:\s*"')
_JSON_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _hint(head: bytes) -> bool:
    """A first row longer than the head: a top-level `text` whose start, as far as the head goes, is a template's."""
    body = head.removeprefix(BOM).lstrip()
    if body[:1] == b"[":
        body = body[1:].lstrip()
    if body[:1] != b"{" or not has_top_key(body, b'"text"'):
        return False
    if any(has_top_key(body, f'"{field}"'.encode()) for field in _OTHER_FIELDS):
        return False
    opening = _TEXT_VALUE.search(body)
    if opening is None:
        return False
    raw = body[opening.end() :].decode(errors="ignore")
    return _blocks(_unescaped(_JSON_ESCAPE.sub(_unescape, raw))) is not None


def _unescape(escape: re.Match[str]) -> str:
    """One JSON escape's character; half of a surrogate pair stays as written (no marker holds one)."""
    if escape[1][0] != "u":
        return _ESCAPES[escape[1]]
    code = int(escape[1][1:], 16)
    return escape[0] if 0xD800 <= code < 0xE000 else chr(code)


importer = RecordImporter(name="chat-template", convert=_convert, looks=_looks, hint=_hint)
