"""Markdown transcripts: one file is one conversation.

Two styles are recognised, outside fenced code blocks only:
- headings naming the speaker: `## User` / `## Assistant`, also with an emoji (`## 👤 User`, `## 🤖 Claude`),
  or `## Prompt:` / `## Response:` as the Claude Exporter browser extension writes them;
- line prefixes: `User:` / `Human:` then `Assistant:` / `Claude:`, the text running on until the next prefix;
  emphasized names in any case too (`**user**:` / `**ai**:`, as Copilot for Obsidian saves its chats in the vault's
  `copilot-conversations/` folder, each message closed by a `[Timestamp: ...]` line, which is dropped).
A file with any speaker heading is read by headings only, so a `User:` line inside an answer stays text; the
first speaker heading decides between `Prompt`/`Response` and the other names, so a `## Response` heading
inside a `## Assistant` answer stays text too.
A leading `# Title` is the title (else the front matter's `topic` or `title`), a `System` section the system prompt; `---` lines around sections are
separators, not text. What comes before the first speaker (an exporter's `**Created:**`/`**Link:**` lines,
a session summary) is not part of any turn.

Under a heading, a first line that is only a date and time (`> 12/1/2025, 2:39:24 PM`) is a timestamp, not
text. A section whose whole body is a JSON array of content blocks (`text`, `thinking`, `tool_use`,
`tool_result`: a Claude Code session exported as Markdown) is read as those blocks: a `User` section of
tool results only belongs to the assistant's response, which the next `Assistant` section continues. A
fenced block starting with `Thought process:` in an answer (Claude Exporter) is a thinking block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import IO, Any

import orjson

from . import open_webui
from ._fences import FENCE, closes, opens
from ._json import BOM, BadRecord, decode, json_or_text
from ._records import first_byte, read_text
from ._turns import TurnBuilder, response_block, tool_result, tool_use, without_citation_cards
from .aider import is_history as is_aider_history
from .base import ParseResult, RecordError, Skipped
from .cline_export import is_export
from .copilot_share import is_share
from .jetbrains_ai import is_dump
from .opencode_export import is_export as is_opencode_export

_SPEAKERS = {
    "user": "user",
    "human": "user",
    "you": "user",
    "assistant": "assistant",
    "claude": "assistant",
    "chatgpt": "assistant",
    "gpt": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "system": "system",
    "prompt": "user",
    "response": "assistant",
    # An agent's interaction log (`### Prompt [time]` / `### Answer [time]`, ninth fetch): with `prompt` only.
    "answer": "assistant",
    "me": "user",
    "gemini": "assistant",
    "bard": "assistant",
    "copilot": "assistant",
    "perplexity": "assistant",  # perplexport's Markdown (`# Me` / `# Perplexity`)
    # The other chat apps' names, as their browser exporters head the answers (`## User` / `## DeepSeek`, eighth fetch).
    "deepseek": "assistant",
    "grok": "assistant",
    "qwen": "assistant",
    "kimi": "assistant",
    "mistral": "assistant",
    "le chat": "assistant",
    "meta ai": "assistant",
    # SaveMyChatbot's export of a Perplexity thread (`## User` / `## AI answer`, `## Pro answer` for Perplexity Pro;
    # twelfth fetch: matched no format).
    "ai answer": "assistant",
    "pro answer": "assistant",
    # `## Q:` / `## A:`, each message quoted below (`> ...`), as a ChatGPT exporter wrote a real transcript.
    "q": "user",
    "a": "assistant",
    "bot": "assistant",
    "customer": "user",
    "agent": "assistant",  # Zed's agent panel (`## User` / `## Agent`)
    "cursor": "assistant",
    "trae": "assistant",
    # Windsurf's Cascade export (`### User Input` / `### Planner Response`).
    "user input": "user",
    "planner response": "assistant",
    # The same names in other languages, as exporters and people's own scripts write them (`### Пользователь`).
    "пользователь": "user",
    "ассистент": "assistant",
    "benutzer": "user",
    "nutzer": "user",
    "assistent": "assistant",
    "utilisateur": "user",
    "usuario": "user",
    "usuário": "user",
    "asistente": "assistant",
    "assistente": "assistant",
    "utente": "user",
    "użytkownik": "user",
    "asystent": "assistant",
    "kullanıcı": "user",  # noqa: RUF001 - Turkish dotless i
    "gebruiker": "user",
    "用户": "user",
    "使用者": "user",
    "助手": "assistant",
    "助理": "assistant",
    "ai 助理": "assistant",
    "ai助理": "assistant",
    "ユーザー": "user",
    "アシスタント": "assistant",
    "사용자": "user",
    "어시스턴트": "assistant",
}
# Heading names of the Claude Exporter style; a file reads either these or the others, never both.
_EXPORTER_NAMES = frozenset(("prompt", "response", "answer"))
# An optional emoji (or other symbols) or message number (`### 1) User`, `## 2. Assistant`) before the speaker's
# name, the name in brackets (`## [USER]`) or numbered after it (`## PROMPT 3` / `## RESPONSE 3`), an optional time
# in brackets after it (`## Human (May 2, 2025, 2:31 PM):`, `### Claude [17:49:29]`), an optional colon.
_HEADING = re.compile(
    r"(#{1,6})[ \t]+(?:[^\w\s]+[ \t]*)?(?:\d{1,4}[.)][ \t]+)?(\w+(?:[ \t]+[^\W\d]\w*)?)[\])]?(?:[ \t]+#?\d{1,4})?[ \t]*"
    # An emoji after the name (Gemini CLI's `/chat share`: `## USER 🧑‍💻`, `## MODEL ✨`); the time in brackets,
    # also in italics (the claude-export extension's `## 🧑 human _(Aug 25, 2024, 02:16 PM)_`).
    r"(?:[^\w\s#]{1,8}[ \t]*)?"
    r"(?:(?:\([^()\n]{1,60}\)|\[[^\[\]\n]{1,60}\]|_\([^()\n]{1,60}\)_)[ \t]*)?"
    # Or the time after a dash: `### 2. assistant — 2026-03-18T06:28:09.153700Z` (a converter of Claude.ai's export),
    # or a bar: `### User | 2026-05-13T13:04:42.531Z` (a chat-archive tool's Claude Code sessions, twelfth fetch).
    r"(?:[\u2014\u2013|-][ \t]*\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?[ \t]*)?:?[ \t]*$"
)
# A heading that says the speaker's role in brackets after a label of its own (a converter's `### Entrada (user)` /
# `### Salida (assistant)`).
_ROLE_IN_PARENS = re.compile(
    r"#{1,6}[ \t]+[^\n()]{1,40}\((user|assistant|system)\)[ \t]*:?[ \t]*$", re.IGNORECASE
)
# A speaker's name alone in bold on its line, as Cursor's "Export Chat" writes it (`**User**`, `**Cursor**`).
_BOLD_NAME = re.compile(r"\*\*(\w+)\*\*[ \t]*$")
# ChatGPT's page copied whole (select all, copy: what people paste into notes and READMEs): the screen reader's
# labels "You said:" and "ChatGPT said:" on lines of their own, or made headings (`##### You said:`); Gemini's page
# writes them without the colon ("You said" / "Gemini said"), in Portuguese "Você disse" / "O Gemini disse". The
# page in other languages, as real copies show it: "Vous avez dit :" / "ChatGPT a dit :", "Dijiste:" / "ChatGPT
# dijo:", "Du hast gesagt:" / "ChatGPT hat gesagt:", "Hai detto:" / "ChatGPT ha detto:", "Вы сказали:" / "ChatGPT
# сказал:", "Je zei:" / "ChatGPT zei:", "Powiedziałeś(-aś):" / "ChatGPT powiedział:", "나의 말:" / "ChatGPT의 말:";
# Japanese writes "あなた:" / "ChatGPT:" (see `_japanese_page`). Eleventh fetch: the labels in bold (`**您说:**` /
# `**ChatGPT 说:**` with a full-width colon, a Chinese copy in a GitBook note), Spanish "Tú dijiste:", Indonesian
# "Anda bilang:" / "ChatGPT bilang:".
_SAID = re.compile(
    r"[ \t]*(?:#{1,6}[ \t]+)?(?:\*\*)?(?:(You) said|(Você) disse|(Vous avez) dit|(Dijiste)|Tú (dijiste)|(Du hast) gesagt"
    r"|(你|您)[說说]|(Hai) detto|(Вы) сказали|(Je) zei|(Powiedziałeś)(?:\(-aś\))?|(나의) 말|(Anda) bilang"
    r"|(あなた)(?=[ \t]*[:\uff1a])"
    r"|(?:O )?(ChatGPT|Gemini|Claude|Copilot) ?(?:said|disse|a dit|dijo|hat gesagt|[說说]|ha detto|сказал|zei"
    r"|powiedział|의 말|bilang))(?:\*\*)?[ \t]*[:\uff1a]?(?:\*\*)?[ \t]*$"
)
# Japanese ChatGPT's page names the assistant "ChatGPT:" alone, which other transcripts write too: it is the page's
# label only in a copy whose person is labelled "あなた:".
_JAPANESE_YOU = re.compile(r"[ \t]*(?:#{1,6}[ \t]+)?あなた[ \t]*[:\uff1a][ \t]*$")
_JAPANESE_GPT = re.compile(r"([ \t]*(?:#{1,6}[ \t]+)?)ChatGPT[ \t]*[:\uff1a][ \t]*$")
# GitHub Copilot's chat on github.com writes the label with the message's first words (`You said: should I also`,
# `Copilot said: Yes — if the page can scroll`), the whole message on the next line.
_SAID_PREVIEW = re.compile(r"[ \t]*(You|Copilot) said: (\S.*?)[ \t]*$")
# A custom GPT's answers on the same page: `Hedera Hivemind said:` (its name, a few capitalized words), taken only
# in a file whose person's side is labelled `You said:`.
_GPT_SAID = re.compile(r"[ \t]*(?:#{1,6}[ \t]+)?([A-Z][\w.'&+-]*(?: [A-Z0-9][\w.'&+-]*){0,3}) said:[ \t]*$")
_GEMINI_CLI_SETUP = "This is the Gemini CLI. We are setting up the context for our chat."
_CITATION_MARK = re.compile(
    "[ \t]?\ue200[^\ue201\n]{0,200}\ue201|[\ue200-\ue2ff]"
    r"|[ \t]?\b(?:cite|filecite|navlist|image_group|i|entity)?(?:turn\d+(?:search|image|news|file|view|fetch|product"
    r"|video|academia|calculator|forecast|finance|sports)\d+)+"
)
_SAID_PERSON = frozenset(
    (
        "you",
        "você",
        "vous avez",
        "dijiste",
        "du hast",
        "你",
        "您",
        "hai",
        "вы",
        "je",
        "powiedziałeś",
        "나의",
        "あなた",
        "anda",
    )
)
# What the page adds around an answer: the assistant's name and the memory notice above it, the model picker's
# label below it ("4o"), and the disclaimer under the last one.
_PAGE_HEAD = re.compile(
    r"[ \t]*(?:ChatGPT|Updated saved memory|Memory updated|Memoria actualizada|記憶已更新|记忆已更新"
    # Microsoft Copilot's page above an answer.
    r"|See my thinking|Edit in a page"
    # Its name above each answer (`Copilot said:`, then `Copilot`, eighth fetch).
    r"|Copilot)[ \t]*$"
)
# Microsoft Copilot's code blocks, copied: the language's name, a blank line, `Copy`, then the code.
_COPY_BUTTON = re.compile(
    r"[ \t]*(?:Copy|Copy code|複製程式碼|复制代码|Code kopieren|Copiar código|Copier le code|Copiar|Копировать"
    r"|Копировать код|Kopiëren|Kopiuj|Copia|Copia codice|コピーする|복사|코드 복사|Salin)[ \t]*$"
)
_EDIT_BUTTON = re.compile(
    r"[ \t]*(?:Edit|Bearbeiten|Modifier|Editar|Modifica|编辑|編輯|編集|Редактировать|Bewerken|Edytuj|編集する|편집)[ \t]*$"
)
# A prompt being edited when the page was copied: the edit box's buttons under it.
_EDIT_BOX = (
    re.compile(
        r"[ \t]*(?:Cancel|Annuler|Cancelar|Abbrechen|Annulla|Отмена|Annuleren|Anuluj|キャンセル|취소)[ \t]*$"
    ),
    re.compile(r"[ \t]*(?:Send|Envoyer|Enviar|Senden|Invia|Отправить|Verzenden|Wyślij|送信|보내기)[ \t]*$"),
)
_MODEL_LABEL = re.compile(
    r"[ \t]*(?:GPT-?)?(?:4o(?: mini)?|4\.1|4\.5|o1(?:-mini| pro)?|o3(?:-mini| pro)?|o4-mini|5(?: Thinking| Pro)?)[ \t]*$",
    re.IGNORECASE,
)
_LINK_FIRST = re.compile(rb"\[[^\]\n\"{}]*\]\([^)\n]*\)")
# The message box's file input under the last answer, as copies in four languages show it (Portuguese, thirteenth
# fetch).
_NO_FILE = r"(?:No file chosen|Aucun fichier choisi|Ningún archivo seleccionado|Nenhum arquivo escolhido)"
# The help button's "?" under the file input, the page's last line.
_HELP_BUTTON = re.compile(r"[ \t]*\?[ \t]*$")
_PAGE_TAIL = re.compile(
    rf"[ \t]*(?:{_NO_FILE}+|Sources"
    # Microsoft Copilot's button under each answer.
    r"|Edit in a page|Editar en una página"
    # The notice of an answer that stopped (eleventh fetch).
    r"|A network error occurred\. Please check your connection[^\n]*)[ \t]*$"
)
_MORE_SOURCES = re.compile(r"[ \t]*\+\d{1,2}[ \t]*$")
_DISCLAIMER = re.compile(
    r"[ \t]*(?:ChatGPT can make mistakes\.|ChatGPT is still generating a response|ChatGPT peut faire des erreurs"
    r"|ChatGPT の回答は必ずしも正しいとは限りません|ChatGPT puede cometer errores|ChatGPT kann Fehler machen"
    r"|O ChatGPT pode cometer erros|ChatGPT può commettere errori|ChatGPT может допускать ошибки)"
)
# A name in bold then a colon, opening a message: `**用户**:`, `**Coach Atlas**: ...`.
# The colon also inside the bold (`**GG:**`, a person's initials beside `**ChatGPT:**`), or full-width (`**使用者**`
# and `**ChatGPT**` with it, eleventh fetch: a Taiwanese summary of two chats matched no format).
_BOLD_COLON = re.compile(r"\*\*(\w+(?:[ \t]\w+){0,2})(?:\*\*[ \t]*[:\uff1a]|[ \t]*[:\uff1a]\*\*)[ \t]*")
# A first name and a colon opening a line, then the message (`Zhiwei: Könntest du ...`): the person's side of a
# transcript whose assistant has a known name; words that open an answer's own lines that way are not names.
_PLAIN_NAME = re.compile(r"([A-Z][^\W\d_]{1,19})[ \t]*:[ \t]+(?=\S)")
_NOT_NAMES = frozenset(
    {
        "note",
        "example",
        "output",
        "input",
        "step",
        "error",
        "warning",
        "tip",
        "source",
        "update",
        "edit",
        "summary",
        "result",
        "answer",
        "question",
        "solution",
        "problem",
        "reason",
        "hint",
        "important",
        "translation",
        "usage",
        "option",
        "pros",
        "cons",
        "title",
        "description",
        "date",
        "time",
        "location",
        "total",
        "cause",
        "fix",
    }
)
# Poe exports (PoeLog): `Conversation with <bot> (N messages)` first, then `Human:` and `<bot>:` alone on a line.
_POE_HEADER = re.compile(r"[ \t]*Conversation with (\S[^\n]{0,60}?) \(\d+ messages?\)[ \t]*$")
# Perplexity's "Export as Markdown": its logo first, each question an `# ` heading and the answer below it, with
# citation marks (`[^1_2]`), their hidden list, a centred `⁂` and the sources as footnotes.
# Bing Chat's Markdown export ends each answer with its sources: `Source: Conversation with Bing, 3/9/2023(1) ...`.
_BING_SOURCE_LINE = "Source: Conversation with Bing, "
_BING_SOURCE = re.compile(rb"^" + re.escape(_BING_SOURCE_LINE.encode()), re.MULTILINE)
_SUPERSCRIPTS = re.compile("[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+")
_PERPLEXITY_LOGO = re.compile(rb"<img [^>\n]*perplexity\.ai/[^>\n]*pplx[^>\n]*>")
_PERPLEXITY_NOISE = re.compile(
    r"\[\^\d+(?:_\d+)?\]|<span style=\"display:none\">.*?</span>"
    # The divider, centred either way (`align="center"`, or `style="text-align: center"` in later exports), or bare.
    r"|<div (?:align=\"center\"|style=\"text-align:\s*center;?\")>⁂</div>|^[ \t]*⁂[ \t]*$"
)
_FOOTNOTE = re.compile(r"[ \t]*\[\^\d+(?:_\d+)?\]:")
_DIVIDER = re.compile(r"[ \t]*(?:<div [^>\n]*>)?⁂(?:</div>)?[ \t]*$")
_PREFIX = re.compile(
    r"(?:\*\*)?(User|Human|Assistant|Claude|ChatGPT|AI|System"
    # The person's side in other languages, as people's own logs write it (`Utilisateur : ...`, a real one).
    r"|Utilisateur|Usuario|Usuário|Benutzer|Nutzer|Utente|Пользователь|Asistente|Assistente|Assistent|Ассистент)"
    r"(?:\*\*)?[ \t]*:(?:\*\*)?(?:(?<=\*\*):)?[ \t]*"
)
# A speaker's name alone on its line, the message on the lines below: `Me:` (the person, bare only so), or a label
# quoted along with the message under it (`> ChatGPT:`) where the file writes it unquoted too (twelfth fetch: a
# hand-saved ChatGPT log, `Me:` / `ChatGPT:` and each message `> `-quoted, matched no format).
_LABEL_ONLY = re.compile(r"(>[ \t]?)?(Me|User|Human|Assistant|ChatGPT|Claude|AI)[ \t]*:[ \t]*$")
_BARE_ANSWER_LABELS = frozenset(("Assistant", "ChatGPT", "Claude", "AI"))
# Names only taken with emphasis around them, as exporters write them (`**You:**`, `_Prompt_:`): bare, they are
# too common at the start of a line of an answer.
_EMPHASIZED = re.compile(
    # An emoji may open the name inside the emphasis (`**☺️ User:**`, `**🤖 Claude:**`, a real export).
    r"(\*\*|__|\*|_)(?:[^\w\s*_:]{1,8}[ \t]*)?"
    # `**Customer:**` / `**Bot:**`: a support bot's test transcripts.
    r"((?i:User|Human|Assistant|Claude|ChatGPT|AI[ \t]?助理|助理|AI|System|You|Me|Prompt|Response|Gemini|Bard|Copilot|Model"
    r"|Customer|Bot))"
    # A note or the model in brackets after the name (`**Claude (Opus 4.6):**`, `**👤 User (學生)**` and a full-width
    # colon, real transcripts); brackets and colon also full-width.
    r"(?:[ \t]*[(\uff08][^()\uff08\uff09\n]{1,40}[)\uff09])?"
    r"(?:\1[ \t]*[:\uff1a]?|[ \t]*[:\uff1a]\1[ \t]*[:\uff1a]?)[ \t]*"
)
# A speaker's heading with the message on the same line (`## User: I need to build ...`, a real transcript).
_HEADED_PREFIX = re.compile(
    r"#{1,6}[ \t]+(?:[^\w\s]{1,8}[ \t]*)?(User|Human|Assistant|Claude|ChatGPT|You)[ \t]*:[ \t]*(?=\S)",
    re.IGNORECASE,
)
# The line above a reasoning model's answer on ChatGPT's page, in the exported Markdown ("Thought for 7 seconds",
# "Reasoned for 1m 12s"; in French "Raisonnement terminé pendant 7 secondes", "Raisonnement terminé", "Réflexion
# durant une seconde"; in German "Nachgedacht für 11s", all seen in real exports; "Reasoned for a couple of seconds",
# eleventh fetch): alone on the answer's first line.
_DURATION = (
    r"(?:a few seconds|a couple of seconds|a second|une seconde|quelques secondes|ein paar Sekunden|eine Sekunde"
    r"|\d+ ?(?:m|min)(?: \d+ ?s)?|(?:\d+ ?(?:m|min) )?\d+ ?(?:s|sec|seconds?|secondes?|Sekunden?))"
)
_ASSET_POINTER = re.compile(r"^\{'content_type': '\w*asset_pointer', [^\n]*\}[ \t]*\n?", re.MULTILINE)
_PREAMBLE = 500  # the longest note before the thinking time read as one
_THINKING_TIME = re.compile(
    rf"[ \t]*(?:(?:Thought|Reasoned) for {_DURATION}|Nachgedacht für {_DURATION}"
    rf"|Raisonnement terminé(?: pendant {_DURATION})?"
    rf"|Réflexion durant {_DURATION}|Pensé pendant ?{_DURATION}|Pensado durante {_DURATION}|{_DURATION} nachgedacht"
    # Dutch, Polish, Korean and Chinese pages (ninth fetch): "Nagedacht gedurende 52s", "4 seconden nagedacht",
    # "Myślał przez 59s", "41s 동안 생각함", "已推理" and "持续 22 秒" after a full-width comma.
    rf"|Nagedacht gedurende {_DURATION}|\d+ seconden nagedacht|Myślał przez {_DURATION}|{_DURATION} 동안 생각함"
    r"|已推理[\uff0c,] ?持续 ?\d+ ?秒)[ \t]*\n"
)
# Amp's thread Markdown (`**Tool Use:** `Read``, `**Tool Result:** `toolu_...``) and Zed's agent panel before its
# 2025 rewrite (`**Use Tool: read_file (toolu_...)**`, `**Tool Results: toolu_...**`) and since (`**Tool Call:
# <title>**`, a status line, the output): a tool call or result on a bold line of its own.
# A converter of Claude Code's sessions writes a call as `**Tool: Read**` and its arguments fenced, `key: value`
# pairs (eighth fetch: the calls were 5,000 characters of an answer's words).
_TOOL_STARTS = (
    "**Tool Use:**",
    "**Tool Result:**",
    "**Use Tool: ",
    "**Tool Results: ",
    "**Tool Call: ",
    "**Tool: ",
)
_TOOL_LINE = re.compile(
    r"\*\*(?:Tool Use:\*\* `(?P<name>[^`\n]+)`|Tool Result:\*\* `(?P<result_id>[^`\n]+)`"
    r"|Use Tool: (?P<called>[\w.-]+) \((?P<call_id>[^)\n]*)\)\*\*|Tool Results: (?P<results_id>[^*\n]+?)(?: \(Error\))?\*\*"
    # Zed's agent panel since 2025 (ACP): `**Tool Call: Read file `src/a.rs`**`, `Status: Completed`, its output.
    r"|Tool Call: (?P<titled>[^\n]+?)\*\*|Tool: (?P<plain>[\w.:-]{1,60})\*\*)"
    r"[ \t]*$"
)
_ACP_LABEL = re.compile(r"(?:Diff: \S.*|Terminal:)[ \t]*$")
_THINK_TAGS = re.compile(r"\s*<(think|thinking)>\n?(.*?)\n?</\1>\s*", re.DOTALL)
# Windsurf's Cascade export: its headings, and the agent's actions written as italic lines of their own.
_CASCADE_HEADINGS = ("### User Input", "### Planner Response")
_CASCADE_ACTION = re.compile(
    r"^[ \t]*\*(Edited relevant file|Viewed|Listed directory|Updated todo list|User accepted the command"
    r"|User declined to run the command|Checked command status|Searched filesystem|Searched web|Grep searched codebase"
    r"|Semantic searched codebase|Analyzed|Read URL content|Read terminal output|Ran terminal command|Opened the URL"
    r"|Running MCP tool|Asked user a question|Ran background command|Created memory|Found code context)"
    # A command may run over several lines inside its backticks (`$assets = @(` ... `)`), and hold backticks itself
    # (PowerShell's line continuation): it runs to the first backtick that ends a line with the closing `*`.
    r"\b([^\n*`]*(?:`(?s:.{0,4000}?)`[^\n*`]*)?)\*[ \t]*$",
    re.MULTILINE,
)
# A quote that opens an answer with a bold title (`> **Fixing WSL dependencies**`), to its last quoted line: the
# summary of a reasoning model's thinking, as ChatGPT Exporter writes it.
_REASONING_QUOTE = re.compile(r"\A[ \t]*> \*\*[^*\n]+\*\*[ \t]*\n(?:[ \t]*>[^\n]*(?:\n|\Z))*")
_DONE = re.compile(r"^Done[ \t]*$", re.MULTILINE)
# Gemini's exported answers open with their thinking quoted under a label (`> Thinking:`, then `> **Title**` steps).
_THINKING_QUOTE = re.compile(r"\A[ \t]*> Thinking:[ \t]*\n(?:[ \t]*>[^\n]*(?:\n|\Z))*")
# The line browser exporters end a file with (`Powered by [ChatGPT Exporter](https://...)`, Claude's, Gemini's,
# DeepSeek's), after a rule: not the last answer's.
_EXPORTER_FOOTER = re.compile(
    r"\n(?:[ \t]*---[ \t]*\n)?[ \t]*Powered by "
    # `[Claude Exporter](https://...)`, or in the 2026 versions the name and the address in brackets as plain text.
    r"(?:\[([^\]\n]{1,60})\]\([^)\n]*\)|([A-Z][\w ]{1,40}? Exporter) \(https?://[^)\n]*\))[ \t]*\s*\Z"
)
# The header line browser exporters open a file with (ChatGPT Exporter, Gemini Exporter, Claude Exporter).
_EXPORTED = "**Exported:**"
# A prompt's last line "2/2": the version of an edited prompt the page showed (ChatGPT Exporter copies it).
_BRANCH_COUNTER = re.compile(r"\n[ \t]*(\d{1,2})/(\d{1,2})[ \t]*\Z")
_ARTIFACT_PLACEHOLDER = "Viewing artifacts created via the Analysis Tool web feature preview isn"
_ARTIFACT_NOTE = re.compile(
    r"(?:^```[^\n]*\n)?Viewing artifacts created via the Analysis Tool web feature preview isn[\u2019']t yet supported on "
    r"mobile\.[ \t]*(?:\n```[ \t]*$)?\n?",
    re.MULTILINE,
)
# The card Claude's page shows where an answer made an artifact, as exporters of the page keep it in the answer's text
# (twelfth fetch: `## Response:` answers holding "Modern Vending Machine GUI Application", a blank line, "Click to open
# code"): the artifact's title, `Edited` when the answer changed it, the button. The artifact is not in the file.
_ARTIFACT_CARD = re.compile(
    r"^[ \t]*\S[^\n]{0,150}\n(?:[ \t]*\n)?(?:[ \t]*Edited[ \t]*\n(?:[ \t]*\n)?)?"
    r"[ \t]*Click to open (?:code|component|document|website|diagram|image)[ \t]*(?:\n(?:[ \t]*\n)*|\Z)",
    re.MULTILINE,
)
# The old ChatGPT page's code block header, the language's name and its `Copy code` button, kept as the code's first
# lines by exporters of that page (twelfth fetch: AIPRM's export, "```css", "css", "Copy code", then the code).
_FENCE_COPY_CODE = re.compile(
    r"^([ \t]*```[^\n`]*\n)[ \t]*[\w#+.-]{1,30}[ \t]*\n?[ \t]*Copy code[ \t]*\n", re.MULTILINE
)
# ChatGPT Exporter's stand-in for a message it cannot write (eleventh fetch: a web search's steps, two or three
# `\[Unsupported Content]` paragraphs opening an answer): no words of the answer.
_UNSUPPORTED = re.compile(r"^[ \t]*\\?\[Unsupported Content\\?\][ \t]*(?:\n|\Z)", re.MULTILINE)
# Where Grok's follow-up suggestions, which Grok Exporter writes as the last answer's last line with nothing between
# them (eleventh fetch, a Turkish chat; elsewhere "Explain SQLAlchemy bulk updatesSQLAlchemy delete operations"), run
# into each other: a word's lowercase letters, then the next suggestion's first word, capitalized and not all capitals
# (`macOS` stays a word).
_CHIP_JOIN = re.compile(r"(?:(?<=[^\W\d_]{2})|(?<=\?))(?=[^\W\d_])")
# A last line that is a sentence's end or Markdown, not suggestions.
_NOT_SUGGESTIONS = re.compile(r"[*#|`\[\]<>]|[.,:;!]$")
_ANSWERS_ONLY = "chat export holding only the answers (its exporter left the prompts out)"
# The headers of two more exports that may hold the assistant's messages alone (eleventh fetch, both refused as
# text without speaker labels): Gemini Voyager's (`**Source**: [Gemini Chat](https://gemini.google.com/...)`, one
# answer whose prompt Gemini hid) and a third-party "Claude Session Export" (`# Claude Session Export`, a Claude
# Code sub-agent's session without a person's message).
_ANSWERS_HEAD = re.compile(
    r"(?:# Claude Session Export|\*\*Source\*\*: \[Gemini Chat\]\(https://gemini\.google\.com/)"
)
# 问小白 (wenxiaobai.com), a Chinese DeepSeek front-end, copied (eleventh fetch, matched no format): the question, a
# rule naming the model (`--- R1`, `----R1`), the model's thinking in a ```ys_think fence (its `<icon>` and
# `<start>思考中...</start>` lines, the thinking, `<end>已深度思考...</end>` with the time it took), then the answer.
_YS_THINK = re.compile(
    r"^-{2,}[ \t]*(\w[\w.-]{0,20})[ \t]*\r?\n(?:[ \t]*\r?\n)*```ys_think[ \t]*\r?$", re.MULTILINE
)
_YS_MARK = re.compile(r"[ \t]*<(icon|start|end)>.*</\1>[ \t]*$")
_NO_PROMPT = "export holding only the assistant's messages, no person's message to pair them with"
# Gemini Voyager's footer: a rule, `*Exported from [Voyager](...)*` and `*Generated on <date>*` (not the last answer's).
_VOYAGER_FOOTER = re.compile(
    r"\n(?:[ \t]*---[ \t]*\n\s*)?[ \t]*\*Exported from \[Voyager\]\([^)\n]*\)[ \t]*\*[^\n]*\n"
    r"[ \t]*\*Generated on [^\n]*\*[ \t]*\s*\Z"
)
_PROMPTS_ONLY = "transcript holding only the person's messages, no answer"
_DOCUMENT_ONLY = "an exporter's export of a document (an artifact), not of a chat"
# A head shorter than the sniffers' 64 KB holds the whole file (its last line is there to look at).
_WHOLE_HEAD = 65536
# Gemini Exporter keeps Gemini's citation marks in the answers (`\[cite: 5, 6\]`, `[cite_start]`) and the chips that
# name a source's kind, alone on a line (`PDF`, `PDF\+ 1`).
_GEMINI_CITE = re.compile(r"\\?\[cite(?:_start|_end)?(?::[ \t]*\d+(?:,[ \t]*\d+)*)?\\?\]")
_GEMINI_CHIP = re.compile(
    r"^[ \t]*(?:PDF|DOCX?|TXT|CSV|XLSX?|PPTX?|Google (?:Docs|Sheets|Slides)|Image|Web)(?:[ \t]*\\?\+[ \t]*\d+)?[ \t]*(?:\n[ \t]*(?=\n))?\n?",
    re.MULTILINE,
)
_ESCAPING_EXPORTERS = frozenset(("Gemini Exporter", "DeepSeek Exporter", "Grok Exporter"))
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
# LibreChat's Markdown export: `# Conversation`, then its fields as `- key: value` lines.
_LIBRECHAT_HEAD = re.compile(rb"# Conversation[ \t]*\r?\n- conversationId: ")
_LIBRECHAT_FIELD = re.compile(r"- (\w+): (.*)$")
# A message's sender alone in bold: `**User**`, or the assistant's label (`**GPT-4.1**`, `**Claude 3.5 Sonnet**`).
_LIBRECHAT_SENDER = re.compile(r"\*\*([^*\n]{1,60})\*\*[ \t]*$")
_HEADING_LEAD = re.compile(r"#{1,6}[ \t]+")
# Copilot for Obsidian ends each message with its time on a line of its own.
# A tool's output as converters of Claude Code's sessions write it under the person's heading: folded
# (`<details><summary>Tool output</summary>`), or after a bold `**Tool result**` / `**Tool result:**` line (two more
# converters, tenth fetch: each output a user turn, five false pairs in one file).
_TOOL_OUTPUT = re.compile(
    r"\s*(?:<details>\s*<summary>\s*Tool (?:output|result)s?\s*</summary>\s*(.*?)\s*</details>"
    r"|\*\*Tool (?:output|result)s?:?\*\*:?[ \t]*\n(.*))\s*",
    re.DOTALL | re.IGNORECASE,
)

# A chat-archive tool's Claude Code sessions (twelfth fetch): each tool call an assistant section of its own,
# `[tool_use: Read]`, and each result a `### User` section whose body opens `[tool_result] `.
_ARCHIVE_CALL = re.compile(r"[ \t]*\[tool_use: ([^\]\n]{1,80})\][ \t]*$")
_ARCHIVE_RESULT = "[tool_result]"


def _unfenced(text: str) -> str:
    """The text without the code fence around all of it."""
    lines = text.strip().split("\n")
    if len(lines) >= 2 and lines[0].startswith("```") and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1])
    return text.strip()


# A Grok exporter's time under each speaker's heading (`_Time: 2025-05-27T15:56:30.866Z_`, ninth fetch).
_EXPORT_TIME = re.compile(r"[ \t]*_Time: \d{4}-\d{2}-\d{2}[T ][\d:.]+Z?_[ \t]*$")
_MESSAGE_TIME = re.compile(
    _EXPORT_TIME.pattern +
    # The same converter's `*2026-03-01 17:38:47 EST*` under each heading.
    r"|[ \t]*\*\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?: [A-Z]{2,5}| [+-]\d{4})?\*[ \t]*$"
    r"|[ \t]*\[(?:Timestamp: [^\]\n]{4,40}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)\][ \t]*$"
    # A claude.ai exporter marks where each turn starts and ends: `<!-- TURN 1 TYPE:USER END -->`.
    r"|[ \t]*<!-- TURN \d+ TYPE:\w+ (?:START|END) -->[ \t]*$"
)
# A YAML front matter's topic (Copilot for Obsidian) or title: the conversation's title when no `# ` line names it.
_FRONT_TITLE = re.compile(r"(?:topic|title):[ \t]*([\"']?)(.+?)\1[ \t]*$")
# `Human:` / `Assistant:` first, then `H:` / `A:` (socketteer's Claude exporter, Anthropic's old prompt format):
# the short forms count only in a file that used both long ones before, and only for the other side's turn (an
# `A:` line in an answer stays text).
_SHORT_PREFIX = re.compile(r"(H|A):[ \t]+")
_SHORT_ROLES = {"H": "user", "A": "assistant"}
# An Obsidian callout per message (Nexus AI Chat Importer: `>[!nexus_user] **User** - 05/02/2025 at 10:31 AM`),
# its text quoted (`> ...`) below it.
_CALLOUT = re.compile(r">[ \t]*\[!([\w-]+)\][+-]?(?:[ \t].*)?$")
_CALLOUT_USER = re.compile(r"user|human|you|question|prompt")
_CALLOUT_ASSISTANT = re.compile(r"agent|assistant|\bai\b|bot|answer|response|claude|chatgpt|gemini|model")
_HTML_COMMENT = re.compile(r"[ \t]*<!--.*-->[ \t]*$")
_SEPARATOR = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
# `10/20/2025, 2:16:46 PM`, `> 12/1/2025, 2:39:24 PM`, `2025-12-01 14:39:24`: a message's time, alone on a line;
# in East Asian locales the half of the day comes first (`2026/6/1 上午10:59:07`), and ChatGPT Exporter's 2026
# versions add the model (`9/30/2026, 12:38:32 PM · gpt-5-6`); a DeepSeek exporter writes the ISO time in bold
# (`**2025-04-30T16:18:05.616Z**`, eighth fetch).
_TIMESTAMP = re.compile(
    r"[ \t]*(?:>[ \t]*)?(\*\*)?\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4},?[ \tT]+(?:上午|下午|午前|午後|오전|오후)?[ \t]*\d{1,2}:\d{2}"
    r"(?::\d{2}(?:\.\d{1,6})?Z?)?(?:[ \t]*[AaPp]\.?[Mm]\.?)?(?:[ \t]*·[ \t]*[\w.:-]{1,40})?(?(1)\*\*)[ \t]*$"
)
_THOUGHT = "Thought process:"
_QUOTED_BODY = "\x00callout"  # a marker whose section's text is its quoted lines
_BLOCK_TYPES = frozenset(("text", "thinking", "tool_use", "tool_result"))

# (line index, role, heading or not, text after the marker)
Marker = tuple[int, str, bool, str]


def _speaker_heading(line: str) -> re.Match[str] | None:
    return _HEADING.match(line) or (_BOLD_NAME.match(line) if line.startswith("**") else None)


def _heading_name(heading: re.Match[str]) -> str:
    return " ".join(heading.group(heading.lastindex or 1).lower().split())


def _markers(lines: list[str]) -> list[Marker]:
    markers: list[Marker] = []
    fence = ""
    long_prefixes: set[str] = set()
    poe = next((_POE_HEADER.match(line) for line in lines[:5] if line.strip()), None)
    bot = f"{poe[1]}:" if poe else None
    # Headings that name no known speaker, by level: (line index, name), for a person's own handle (`## kekyo`).
    others: dict[str, list[tuple[int, str]]] = {}
    levels: dict[int, str] = {}  # the level of each speaker heading written with `#`
    previous = ""  # the last non-blank line
    # `**<unknown name>**:` lines: (line index, name, text after); `Name: text` lines, the same without bold.
    named_others: list[tuple[int, str, str]] = []
    plain_others: list[tuple[int, str, str]] = []
    gpt_said = any(line.endswith("said:") and _SAID.match(line) for line in lines)
    bare_labels = {label[2] for line in lines if (label := _LABEL_ONLY.match(line)) and not label[1]}
    # A bare `Me:` is a speaker only where the other side is a bare label line too (`ChatGPT:` alone on its line);
    # elsewhere it is an answer's text (a dialogue the assistant wrote).
    bare_me = not bare_labels.isdisjoint(_BARE_ANSWER_LABELS)
    me_lines: set[int] = set()
    page = _page_sides(lines)
    for index, line in enumerate(lines):
        if fence:
            if closes(line, fence):
                fence = ""
            elif (
                (heading := _speaker_heading(line))
                and _heading_name(heading) in _SPEAKERS
                and (
                    (_SEPARATOR.match(previous) and not _closes_later(lines, index + 1))
                    or _EXPORT_TIME.match(
                        next((after for after in lines[index + 1 : index + 4] if after.strip()), "")
                    )
                )
            ):
                # A prompt that opened a code block and never closed it (seen in a real Cursor export): the
                # exporter's rule and the next speaker's name end the message, and the block with it; so does a
                # speaker's heading with the exporter's time under it (a Grok exporter's `## Assistant`, then
                # `_Time: 2025-05-27T15:57:51.500Z_`, after a prompt that pasted an unbalanced fence).
                fence = ""
                markers.append((index, _SPEAKERS[_heading_name(heading)], True, _heading_name(heading)))
            elif (said := _SAID.match(line)) is not None and not _closes_later(lines, index + 1):
                # ChatGPT's page copied without a code block's closing fence (two real READMEs): its next label
                # ends the block. A block that closes later (a transcript quoted in code) keeps its labels.
                fence = ""
                side, name = _said_side(said)
                markers.append((index, side, True, f"{name} said"))
            if line.strip():
                previous = line
            continue
        if line.strip():
            previous = line
        fence = opens(line)
        if fence:
            continue
        said = _SAID.match(line) or _previewed(lines, index) or (_GPT_SAID.match(line) if gpt_said else None)
        if said:
            side, name = _said_side(said)
            markers.append((index, side, True, f"{name} said"))
            continue
        if "user" in page and (not markers or markers[-1][1] == "user") and _unlabelled_answer(line, page):
            markers.append((index, "assistant", True, "chatgpt said"))
            continue
        heading = _speaker_heading(line)
        if heading:
            name = _heading_name(heading)
            role_named = _ROLE_IN_PARENS.match(line) if name not in _SPEAKERS else None
            if name in _SPEAKERS or role_named is not None:
                role = _SPEAKERS[name] if role_named is None else role_named.group(1).lower()
                markers.append((index, role, True, name))
                if heading.re is _HEADING:
                    levels[index] = heading.group(1)
            elif heading.re is _HEADING:
                others.setdefault(heading.group(1), []).append((index, name))
            continue
        if bot is not None and line.strip() == bot:
            markers.append((index, "assistant", False, ""))
            continue
        callout = _CALLOUT.match(line) if line.startswith(">") else None
        if callout:
            role = _callout_role(callout.group(1).lower())
            if role is not None:
                markers.append((index, role, True, _QUOTED_BODY))
            continue
        label = _LABEL_ONLY.match(line) if line.startswith((">", "Me")) else None
        if label is not None and (label[2] == "Me" and bare_me if not label[1] else label[2] in bare_labels):
            markers.append((index, _SPEAKERS[label[2].lower()], False, ""))
            if not label[1]:
                me_lines.add(index)
            continue
        prefix = _PREFIX.match(line) or _EMPHASIZED.match(line)
        if prefix is None and line.startswith("#") and (lead := _HEADING_LEAD.match(line)) is not None:
            # `# **user**: ...`: an emphasized speaker made a heading (seen in a real Copilot for Obsidian chat).
            prefix = _EMPHASIZED.match(line, lead.end()) or _HEADED_PREFIX.match(line)
        if prefix:
            rest = line[prefix.end() :]
            name = prefix.group(prefix.lastindex or 1).lower()
            markers.append((index, _SPEAKERS[name], False, rest))
            if name in ("human", "assistant"):
                long_prefixes.add(name)
        elif (
            len(long_prefixes) == 2
            and (short := _SHORT_PREFIX.match(line))
            and markers[-1][1] != _SHORT_ROLES[short.group(1)]
        ):
            rest = line[short.end() :]
            markers.append((index, _SHORT_ROLES[short.group(1)], False, rest))
        elif line.startswith("**") and (named := _BOLD_COLON.match(line)) is not None:
            # `**用户**:`, `**Coach Atlas**:`: a name in bold and a colon; an unknown one may be the other speaker.
            rest = line[named.end() :]
            name = " ".join(named.group(1).lower().split())
            if name in _SPEAKERS:
                markers.append((index, _SPEAKERS[name], False, rest))
            else:
                named_others.append((index, name, rest))
                continue
        else:
            if (plain := _PLAIN_NAME.match(line)) is not None and plain.group(1).lower() not in _NOT_NAMES:
                plain_others.append((index, plain.group(1).lower(), line[plain.end() :]))
            continue
        # "Assistant: ```bash" opens a code block on the marker's own line.
        opening = FENCE.match(rest)
        if opening and opening.group(1) not in rest[opening.end() :]:
            fence = opening.group(1)
    if me_lines and any(not _LABEL_ONLY.match(lines[index]) for index, _, _, _ in markers):
        # A file with another kind of speaker marker: its bare `Me:` lines are a message's text.
        markers = [marker for marker in markers if marker[0] not in me_lines]
    headings = [marker for marker in markers if marker[2]]
    labels = [index for index, _, _, name in headings if name.endswith(" said")]
    own = {role for index, role, _, _ in headings if index in levels}
    if levels and labels and min(levels) < labels[0] and own >= {"user", "assistant"}:
        # A chat pasted into a message of a transcript with speaker headings (`## USER`, then an old ChatGPT chat's
        # "You said:" / "ChatGPT said:" lines inside it, a real file): the headings are the turns, the pasted
        # labels that message's text. Headings of one side only are a README's around a copy of the page
        # (`## Prompt` above its first, unlabelled prompt, eleventh fetch): the labels are the turns.
        headings = [marker for marker in headings if not marker[3].endswith(" said")]
    if not headings:
        with_named = _with_named_speaker(markers, named_others)
        if with_named is not markers:
            return with_named
        return _plain_labels(plain_others) if not markers else _with_plain_name(markers, plain_others)
    if all(role != "user" for _, role, _, _ in headings):
        headings = sorted(headings + _handle_headings(headings, levels, others))
    elif all(role == "user" for _, role, _, _ in headings):
        headings = sorted(headings + _answer_headings(headings, levels, others))
    exporter = headings[0][3] in _EXPORTER_NAMES
    kept = [marker for marker in headings if (marker[3] in _EXPORTER_NAMES) == exporter]
    if exporter and all(role == "user" for _, role, _, _ in kept):
        # `### PROMPT #1` answered by `### CHATGPT #1` (a person's own log, ninth fetch): the prompts are the
        # exporter's name, the answers the assistant's.
        kept = headings
    return [
        (index, role, True, _QUOTED_BODY if name == _QUOTED_BODY else "") for index, role, _, name in kept
    ]


def _page_sides(lines: list[str]) -> set[str]:
    """The sides ChatGPT's page labels in a copy of it ("user" for "You said:", "assistant" for "ChatGPT said:")."""
    sides: set[str] = set()
    for line in lines:
        if (said := _SAID.match(line)) is not None:
            sides.add(_said_side(said)[0])
    return sides


def _said_side(said: re.Match[str]) -> tuple[str, str]:
    """The side a page's label names ("user" for "You said:", "assistant" for "ChatGPT said:") and its name."""
    name = next(group for group in said.groups() if group).lower()
    return ("user" if name in _SAID_PERSON else "assistant"), name


# The plan's name above each answer, where the copy lost the page's label (`ChatGPT Plus`, eleventh fetch: a
# Spanish copy of 2025, its prompts labelled "Tú dijiste:").
_PLAN_HEAD = re.compile(r"[ \t]*ChatGPT(?: Plus| Pro| Team)?[ \t]*$")


def _unlabelled_answer(line: str, page: set[str]) -> bool:
    """Whether `line`, after a prompt of a copy of ChatGPT's page, opens the answer that the page did not label: a
    reasoning model's time ("Reasoned for 7 seconds", eleventh fetch: an o-series chat labelled only its last two
    answers, the others ran into the prompts), or the plan's name in a copy that labels no answer."""
    if _THINKING_TIME.match(line + "\n") is not None:
        return True
    return "assistant" not in page and _PLAN_HEAD.match(line) is not None


def _page_label(line: str) -> bool:
    """Whether a marker's line is one that ChatGPT's (or Copilot's) page writes: its label, or the line it opens an
    unlabelled answer with."""
    return bool(_SAID.match(line) or _SAID_PREVIEW.match(line) or _THINKING_TIME.match(line + "\n")) or bool(
        _PLAN_HEAD.match(line)
    )


def _japanese_page(lines: list[str]) -> list[str]:
    """The lines, with the assistant's "ChatGPT:" labels written as the other languages' ("ChatGPT said:") in a
    Japanese copy of ChatGPT's page (its person labelled "あなた:"; a real one matched no format)."""
    if not any(_JAPANESE_YOU.match(line) for line in lines):
        return lines
    return [_JAPANESE_GPT.sub(r"\1ChatGPT said:", line) for line in lines]


# A log that writes each message as a list item (`- User: ...`, `- Assistant: ...`; an agent's AI_INTERACTION_LOG.md,
# ninth fetch, matched no format).
_BULLETED_LABEL = re.compile(r"[-*][ \t]+((?:User|Human|Assistant|AI)[ \t]*:)", re.IGNORECASE)


def _bulleted_labels(lines: list[str]) -> list[str]:
    """The lines with the list marks before speaker labels taken off, in a file where both sides are written so; the
    log's own entry headings and rules between them (`## Entry: 2025-11-08`, `---`) are blank lines there."""
    found = {
        match.group(1).split(":")[0].strip().lower()
        for line in lines
        if (match := _BULLETED_LABEL.match(line))
    }
    if not found & {"user", "human"} or not found & {"assistant", "ai"}:
        return lines
    return ["" if _ENTRY_LINE.match(line) else _BULLETED_LABEL.sub(r"\1", line, count=1) for line in lines]


_ENTRY_LINE = re.compile(r"(?:#{2,6}[ \t].*|-{3,}[ \t]*)$")
_QUOTED_LINES = 4  # the fewest quoted lines taken for a transcript quoted whole


def _unquoted_transcript(lines: list[str]) -> list[str]:
    """The lines with the quote marks taken off a transcript quoted whole: from its first `>` line on, every line
    that holds words quoted (thirteenth fetch: a page quoting a Claude Code session, `> **human:** ...` /
    `> **claude:** ...`, matched no format). Only where no speaker is found unquoted and both sides are quoted."""
    start = next((at for at, line in enumerate(lines) if line.startswith(">")), None)
    if start is None:
        return lines
    rest = [line for line in lines[start:] if line.strip()]
    if len(rest) < _QUOTED_LINES or not all(line.startswith(">") for line in rest):
        return lines
    if {role for _, role, _, _ in _markers(lines)} & {"user", "assistant"}:
        return lines
    unquoted = lines[:start] + [line[2:] if line.startswith("> ") else line[1:] for line in lines[start:]]
    roles = {role for _, role, _, _ in _markers(unquoted)}
    return unquoted if {"user", "assistant"} <= roles else lines


def _previewed(lines: list[str], index: int) -> re.Match[str] | None:
    """A `You said: <first words>` label whose next line repeats those words (GitHub Copilot's page copied)."""
    said = _SAID_PREVIEW.match(lines[index])
    if said is None or index + 1 >= len(lines) or not lines[index + 1].lstrip().startswith(said.group(2)):
        return None
    return said


def _page_copy(
    section: list[str], role: str, builder: TurnBuilder, *, last: bool = False, canvas: str | None = None
) -> list[str]:
    """An answer of ChatGPT's (or Copilot's) page copied whole, without what the page adds around it (counted as
    dropped): the assistant's name and the memory notice above it ("See my thinking" on Copilot's), the model label
    below it, the disclaimer after the last one, a code block's Copy button; a prompt without the open canvas's
    chip above it (`canvas`, its title). A README's own heading closing a section is the README's."""
    section = _without_readme_heading(section, builder)
    if role != "assistant":
        return _without_canvas_chip(_without_edit_box(section, builder), canvas, builder)
    lines = list(section)
    if last and (written := _canvas_being_written(lines, builder)) is not None:
        return written
    disclaimer = next((at for at, line in enumerate(lines) if _DISCLAIMER.match(line)), None)
    if disclaimer is not None and (len(lines) - disclaimer <= 12 or _below_message_box(lines, disclaimer)):
        # The page ends there (what a copy holds after the message box is not the answer: a French one had
        # fragments of earlier answers pasted again).
        lines = lines[:disclaimer]
        builder.dropped["page text"] += 1
    elif last:
        lines = _without_draft(lines, builder)
    while lines and (not lines[0].strip() or _PAGE_HEAD.match(lines[0])):
        if lines[0].strip():
            builder.dropped["page text"] += 1
        lines.pop(0)
    filled = [at for at, line in enumerate(lines) if line.strip()] if last else []
    if len(filled) >= 2 and _HELP_BUTTON.match(lines[filled[-1]]) and _FILE_INPUT.match(lines[filled[-2]]):
        # The help button's "?" under the message box's file input (a Portuguese copy, thirteenth fetch).
        lines = lines[: filled[-1]]
        builder.dropped["page text"] += 1
    while lines and (not lines[-1].strip() or _PAGE_TAIL.match(lines[-1])):
        # The message box's "No file chosen" and the "Sources" button under a searched answer.
        if lines.pop().strip():
            builder.dropped["page text"] += 1
    if (
        len(lines) > 2
        and (version := _VERSION_LINE.match(lines[-1])) is not None
        and not lines[-2].strip()
        and int(version[1]) <= int(version[2])
        and (builder.dropped["page text"] > 0 or disclaimer is not None)
    ):
        # "2/2" under a regenerated answer, after a blank line (eleventh fetch): which version the page showed. Only
        # in a copy that shows other page text; else it may be the answer's own last line (a fraction, `3/4`).
        lines = lines[:-1]
        builder.dropped["version counter"] += 1
        while lines and not lines[-1].strip():
            lines.pop()
    if lines and _MODEL_LABEL.match(lines[-1]):
        builder.dropped["page text"] += 1
        lines.pop()
    kept: list[str] = []
    copied = False  # the line before was a Copy button
    for line in lines:
        if _MORE_SOURCES.match(line) and kept and 0 < len(kept[-1].strip()) <= 40:
            # A searched answer's citation pill ("GitHub", "+2" on the next line): the site's name goes with it.
            kept.pop()
            builder.dropped["citation mark"] += 1
            continue
        if _COPY_BUTTON.match(line) and kept:
            # A code block's Copy button under its language's name: the button goes, with the blank lines above it.
            while kept and not kept[-1].strip():
                kept.pop()
            builder.dropped["page text"] += 1
            copied = True
            continue
        if copied and _EDIT_BUTTON.match(line):
            # ChatGPT's page of 2025 puts an Edit button (canvas) beside Copy: `bash`, `Copy`, `Edit`, the code.
            builder.dropped["page text"] += 1
            copied = False
            continue
        copied = False
        kept.append(line)
    return kept


# The button over an answer ChatGPT is still writing into a canvas, and the notice at the copy's end.
_CANVAS_WRITING = re.compile(r"[ \t]*Answer in chat instead[ \t]*$")
_STILL_GENERATING = re.compile(r"[ \t]*ChatGPT is still generating a response\.*[ \t]*$")


def _canvas_being_written(lines: list[str], builder: TurnBuilder) -> list[str] | None:
    """The last answer of a copy taken while ChatGPT wrote it into a canvas (twelfth fetch): the page's "Answer in
    chat instead" button, the message box, the disclaimer, the canvas's title and its editor's line numbers (`1`,
    `2`, ...) come before the canvas's text, the answer; they and the notice "ChatGPT is still generating a
    response..." after it are page text, counted. None for any other answer."""
    filled = [at for at, line in enumerate(lines) if line.strip()]
    if not filled or _CANVAS_WRITING.match(lines[filled[0]]) is None:
        return None
    numbers = next((at for at in filled if lines[at].strip() == "1"), None)
    if numbers is None:
        return None
    start = numbers
    while start < len(lines) and lines[start].strip() == str(start - numbers + 1):
        start += 1
    end = len(lines)
    while end > start and (not lines[end - 1].strip() or _STILL_GENERATING.match(lines[end - 1])):
        if lines[end - 1].strip():
            builder.dropped["page text"] += 1
        end -= 1
    builder.dropped["page text"] += 1
    return lines[start:end]


_FILE_INPUT = re.compile(rf"[ \t]*{_NO_FILE}")
_FRONT_FIELD = re.compile(r"[\w-]+:(?:[ \t]|$)")


def _front_matter_rule(section: list[str]) -> int | None:
    """Where a copied message's YAML front matter opens (a Jekyll page pasted into a prompt, eleventh fetch): its
    first `---`, the message's own, not a rule between messages (which `_body` would take it for); None without."""
    filled = [at for at, line in enumerate(section) if line.strip()]
    if len(filled) < 3 or section[filled[0]].strip() != "---":
        return None
    fields = [section[at].strip() for at in filled[1:40]]
    end = fields.index("---") if "---" in fields else 0
    if not end or not all(_FRONT_FIELD.match(line) for line in fields[:end]):
        return None
    return filled[0]


_VERSION_LINE = re.compile(r"[ \t]*(\d{1,2})/(\d{1,2})[ \t]*$")
_README_HEADING = re.compile(r"#{2,6}[ \t]+\S")
_DRAFT_LINES = 12  # the longest unsent message taken for one


def _without_readme_heading(section: list[str], builder: TurnBuilder) -> list[str]:
    """A copied message without a Markdown heading as its last line: the README's own, above the next pasted
    message (`## Second Prompt` above "You said:", eleventh fetch); the page's copy writes no heading marks."""
    end = len(section)
    while end and not section[end - 1].strip():
        end -= 1
    if not end or _README_HEADING.match(section[end - 1]) is None:
        return section
    builder.dropped["section heading"] += 1
    return section[: end - 1]


def _without_draft(lines: list[str], builder: TurnBuilder) -> list[str]:
    """The last answer of a copy without the message box's text under it: what the person had typed and not sent,
    after two blank lines (eleventh fetch: a command left in the box, copied with Ctrl+A). Only in an answer that
    has no other two blank lines in a row outside its code blocks, and a short text of plain lines; counted."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    fence = ""
    code: set[int] = set()  # the lines of code blocks, their fences with them
    for at, line in enumerate(lines[:end]):
        if fence:
            code.add(at)
            fence = "" if closes(line, fence) else fence
        elif fence := opens(line):
            code.add(at)
    gaps = [
        at
        for at in range(1, end - 1)
        if not lines[at].strip() and not lines[at + 1].strip() and lines[at - 1].strip() and at not in code
    ]
    if len(gaps) != 1 or end - gaps[0] > _DRAFT_LINES + 2 or not code.isdisjoint(range(gaps[0], end)):
        return lines
    builder.dropped["unsent message"] += 1
    return lines[: gaps[0]]


def _without_canvas_chip(section: list[str], canvas: str | None, builder: TurnBuilder) -> list[str]:
    """A prompt without its first line where that is the chip of the open canvas (its title, as the canvas panel at
    the copy's end shows it; eleventh fetch), when words follow it."""
    filled = [at for at, line in enumerate(section) if line.strip()]
    if canvas is None or len(filled) < 2 or section[filled[0]].strip() != canvas:
        return section
    builder.dropped["canvas reference"] += 1
    return section[filled[0] + 1 :]


def _canvas_title(lines: list[str]) -> str | None:
    """The title of the canvas panel a copy of ChatGPT's page holds after its disclaimer: a line, then the editor's
    line numbers (`1`, `2`, ...)."""
    disclaimer = next((at for at in range(len(lines) - 1, -1, -1) if _DISCLAIMER.match(lines[at])), None)
    if disclaimer is None:
        return None
    after = [line.strip() for line in lines[disclaimer + 1 : disclaimer + 12] if line.strip()]
    return after[0] if after[1:3] == ["1", "2"] else None


def _below_message_box(lines: list[str], at: int) -> bool:
    """Whether the line before `at` (blank lines aside) is the message box's file input ("No file chosen")."""
    before = next((line for line in reversed(lines[:at]) if line.strip()), "")
    return _FILE_INPUT.match(before) is not None


def _without_edit_box(section: list[str], builder: TurnBuilder) -> list[str]:
    """A prompt copied while it was being edited, without the edit box's Cancel and Send buttons under it (a French
    copy of ChatGPT's page kept "Annuler" and "Envoyer" as the prompt's last lines)."""
    filled = [at for at, line in enumerate(section) if line.strip()]
    if len(filled) < 3 or not (
        _EDIT_BOX[0].match(section[filled[-2]]) and _EDIT_BOX[1].match(section[filled[-1]])
    ):
        return section
    builder.dropped["page text"] += 2
    return section[: filled[-2]]


def _paired_name(known: list[int], candidates: list[tuple[int, str]], *, known_first: bool) -> str | None:
    """The name among `candidates` (line index, name) that most often stands right next to a line of the known
    side: right after it when `known_first`, right before it otherwise. It must do so at least twice when that side
    has more than one line; None when no name does. One walk over both, in line order."""
    events = sorted([(line, "") for line in known] + candidates)
    counts: Counter[str] = Counter()
    for (_, first), (_, second) in pairwise(events):
        if known_first and not first and second:
            counts[second] += 1
        elif not known_first and first and not second:
            counts[first] += 1
    if not counts:
        return None
    name, count = counts.most_common(1)[0]
    return name if count >= min(2, len(known)) else None


def _with_named_speaker(markers: list[Marker], named: list[tuple[int, str, str]]) -> list[Marker]:
    """Markers of a file whose one side is written with a known name and the other with a name of its own (a
    persona bot, `**Coach Atlas**:`; a tool, `**TRAE**:`): the bold name that comes right after the known side's
    lines takes the other role."""
    roles = {role for _, role, _, _ in markers}
    if len(roles) != 1 or not named or roles == {"system"}:
        return markers
    (role,) = roles
    known = [index for index, _, _, _ in markers]
    name = _paired_name(known, [(index, named_as) for index, named_as, _ in named], known_first=True)
    if name is None:
        return markers
    other = "assistant" if role == "user" else "user"
    return sorted(
        markers + [(index, other, False, rest) for index, named_as, rest in named if named_as == name]
    )


def _with_plain_name(markers: list[Marker], named: list[tuple[int, str, str]]) -> list[Marker]:
    """Markers of a file whose assistant is written with a known name and the person with their own first name, no
    emphasis (`Zhiwei: ...` / `ChatGPT: ...`, a real blog post): the name right before most of the assistant's lines,
    written about as often as they are (an answer's own `Note:` lines come after them, and more or less often)."""
    if {role for _, role, _, _ in markers} != {"assistant"} or not named:
        return markers
    known = [index for index, _, _, _ in markers]
    name = _paired_name(known, [(index, named_as) for index, named_as, _ in named], known_first=False)
    if name is None or abs(sum(named_as == name for _, named_as, _ in named) - len(known)) > 1:
        return markers
    return sorted(
        markers + [(index, "user", False, rest) for index, named_as, rest in named if named_as == name]
    )


_LEVEL = re.compile(r"(#{1,6})[ \t]")


def _without_closing_heading(section: list[str], speaker: str, builder: TurnBuilder) -> list[str]:
    """A message's lines without the author's own section heading at their end: a heading above the speakers'
    level (`## Phase 2 - Defining the Research Topic` between `### AI` and the next `### User`, a real log that
    groups its exchanges), which opens the next exchange, not a part of this message; counted."""
    level = _LEVEL.match(speaker)
    end = len(section)
    while end and (not section[end - 1].strip() or _SEPARATOR.match(section[end - 1])):
        end -= 1
    closing = _LEVEL.match(section[end - 1]) if level is not None and end else None
    if closing is None or len(closing.group(1)) >= len(level.group(1) if level else ""):
        return section
    builder.dropped["section heading"] += 1
    return section[: end - 1]


def _without_log_heading(section: list[str]) -> tuple[list[str], int | None]:
    """An inline-labelled message's lines without the log's `---` and section heading at their end, right before
    the next speaker (`---`, then a `### 对话 2` title above `**用户**`, a hand-written log of thirteenth fetch that
    titles each exchange): a heading with nothing under it opens the next exchange; and the level of that heading,
    None where there is none."""
    end = len(section)
    while end and not section[end - 1].strip():
        end -= 1
    heading = _LEVEL.match(section[end - 1]) if end else None
    rule = end - 1
    while rule > 0 and not section[rule - 1].strip():
        rule -= 1
    if heading is None or rule == 0 or not _SEPARATOR.match(section[rule - 1]):
        return section, None
    return section[: rule - 1], len(heading.group(1))


def _without_closing_section(section: list[str], level: int) -> tuple[list[str], bool]:
    """The last message's lines without the log's closing section: in a log whose exchanges are each opened by
    `---` and a heading (`_without_log_heading`), a `---` and a heading of that level or above after the last
    message opens the author's own words (`## 开发总结`, their summary of the session), not the answer's."""
    fence = ""
    for at, line in enumerate(section):
        if fence:
            fence = "" if closes(line, fence) else fence
            continue
        fence = opens(line)
        if fence or not _SEPARATOR.match(line):
            continue
        after = next((later for later in section[at + 1 :] if later.strip()), "")
        heading = _LEVEL.match(after)
        if heading is not None and len(heading.group(1)) <= level:
            return section[:at], True
    return section, False


def _plain_labels(named: list[tuple[int, str, str]]) -> list[Marker]:
    """Markers of a plain-text log written with two bare names for the sides that are too common to take alone
    (`You: ...` / `Bot: ...`, a real companion bot's `chat_history.txt`): both known names, one for each side,
    twice at least, taking turns nine times in ten."""
    labelled = [(index, _SPEAKERS[name], rest) for index, name, rest in named if name in _SPEAKERS]
    roles = [role for _, role, _ in labelled]
    if roles.count("user") < 2 or roles.count("assistant") < 2:
        return []
    names = {(name, _SPEAKERS[name]) for _, name, _ in named if name in _SPEAKERS}
    if len(names) != 2:
        return []
    turns = sum(first != second for first, second in pairwise(roles))
    if turns * 10 < (len(roles) - 1) * 9:
        return []
    return [(index, role, False, rest) for index, role, rest in labelled]


def _closes_later(lines: list[str], start: int) -> bool:
    """Whether the next code fence line from `start` on closes a block (bare) rather than opens one (` ```python`):
    a block that quotes a transcript closes after its speaker names; an unclosed one runs into the next block's
    opening."""
    for line in lines[start:]:
        fence = opens(line)
        if fence:
            return closes(line, fence)
    return False


def _handle_headings(
    headings: list[Marker], levels: dict[int, str], others: dict[str, list[tuple[int, str]]]
) -> list[Marker]:
    """The person's turns of a file whose headings name the assistant (`## chatgpt`) and the person by a handle of
    their own (`## kekyo`): the name, at the assistant headings' level, that comes right before an assistant
    heading. None when no name does."""
    assistant_levels = {
        levels[index] for index, role, _, _ in headings if role == "assistant" and index in levels
    }
    if len(assistant_levels) != 1:
        return []
    candidates = others.get(assistant_levels.pop(), [])
    assistant_lines = [index for index, role, _, _ in headings if role == "assistant"]
    name = _paired_name(assistant_lines, candidates, known_first=False)
    return [(index, "user", True, other) for index, other in candidates if other == name] if name else []


def _answer_headings(
    headings: list[Marker], levels: dict[int, str], others: dict[str, list[tuple[int, str]]]
) -> list[Marker]:
    """The answers of a file whose headings name the person (`### User:`) and the assistant by a name of its own:
    the name, at a level of the person's headings, that comes right after them (thirteenth fetch: a Google
    Antigravity transcript's `### Antigravity AI:`, a course project's `### User Input` / `### LLM Output`, both
    skipped as prompts only). None when no name does."""
    user_levels = {levels[index] for index, _, _, _ in headings if index in levels}
    candidates = sorted(pair for level in user_levels for pair in others.get(level, []))
    name = _paired_name([index for index, _, _, _ in headings], candidates, known_first=True)
    return [(index, "assistant", True, other) for index, other in candidates if other == name] if name else []


def _callout_role(kind: str) -> str | None:
    """The speaker an Obsidian callout type names (`nexus_user`, `nexus_agent`, `user`, `assistant`), if any."""
    if _CALLOUT_USER.search(kind):
        return "user"
    if _CALLOUT_ASSISTANT.search(kind):
        return "assistant"
    return None


def _quoted_layout(lines: list[str], markers: list[Marker]) -> bool:
    """Whether the exporter quotes every message below its heading (or its label alone on a line): nine in ten of
    them, two at least."""
    sections = [
        lines[index + 1 : markers[n + 1][0] if n + 1 < len(markers) else len(lines)]
        for n, (index, _, heading, rest) in enumerate(markers)
        if heading or not rest
    ]
    return len(sections) >= 2 and sum(map(_all_quoted, sections)) * 10 >= len(sections) * 9


def _all_quoted(lines: list[str]) -> bool:
    """Whether every line of a message that holds words is quoted (blank lines and rules between them aside)."""
    worded = [line for line in lines if line.strip() and not _SEPARATOR.match(line)]
    return bool(worded) and all(line.startswith(">") for line in worded)


def _quoted(lines: list[str]) -> list[str]:
    """The text of a callout: its `>`-quoted lines below the callout line, without the quote marks (what follows
    them, an exporter's `<!-- UID -->` comment and separators, is not text)."""
    body: list[str] = []
    for line in lines:
        if not line.startswith(">"):
            break
        body.append(line[2:] if line.startswith("> ") else line[1:])
    return body


# ChatGPT Exporter's "collapse responses" option folds each answer: `<details><summary>Click to view Response:</summary>`
# closes the prompt's section, `</details>` the answer's (thirteenth fetch: both stayed in every turn's text).
_FOLD_OPEN = re.compile(r"[ \t]*<details>[ \t]*<summary>[^<\n]*</summary>[ \t]*$")
_FOLD_CLOSE = re.compile(r"[ \t]*</details>[ \t]*$")


def _without_fold(section: list[str], builder: TurnBuilder) -> list[str]:
    """A message's lines without an exporter's fold around the messages: a `<details><summary>` line as its last
    line (the fold opens around the next message), a `</details>` line as its last that no `<details>` of its own
    opened; counted."""
    last = len(section) - 1
    while last >= 0 and not section[last].strip():
        last -= 1
    if last < 0 or "details>" not in section[last]:
        return section
    if _FOLD_OPEN.match(section[last]) or (
        _FOLD_CLOSE.match(section[last])
        and sum(line.count("<details") for line in section)
        < sum(line.count("</details>") for line in section)
    ):
        builder.dropped["folded answer markup"] += 1
        return section[:last]
    return section


def _without_closing_comment(section: list[str], builder: TurnBuilder) -> list[str]:
    """The file's last message without the HTML comments it ends on (an author's commented-out `<!-- ## Prompt -->`
    for a next exchange, thirteenth fetch), which a page does not show; counted."""
    end = len(section)
    while end and (not section[end - 1].strip() or _HTML_COMMENT.match(section[end - 1])):
        if section[end - 1].strip():
            builder.dropped["comment"] += 1
        end -= 1
    return section[:end]


def _body(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or _SEPARATOR.match(lines[start])):
        start += 1
    while end > start and (not lines[end - 1].strip() or _SEPARATOR.match(lines[end - 1])):
        end -= 1
    return "\n".join(lines[start:end]).rstrip()  # a last line's trailing spaces are a Markdown line break


def _drop_timestamp(lines: list[str]) -> list[str]:
    """A section's lines without a first non-blank line that is only a date and time."""
    for index, line in enumerate(lines):
        if line.strip():
            return lines[index + 1 :] if _TIMESTAMP.match(line) else lines
    return lines


def _content_blocks(text: str) -> list[dict[str, Any]] | None:
    """The blocks of a body that is a JSON array of content blocks (each an object whose `type` is text,
    thinking, tool_use or tool_result); None for anything else, which stays text."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        value = decode(text.encode())
    except BadRecord:
        return None
    if type(value) is not list or not value:
        return None
    if not all(type(block) is dict and block.get("type") in _BLOCK_TYPES for block in value):
        return None
    return value


def _add_blocks(builder: TurnBuilder, role: str, blocks: list[dict[str, Any]]) -> None:
    """Content blocks of a section, as the claude-code importer reads them: text is the section's own,
    thinking, tool calls and tool results are blocks of the assistant's response (so a `User` section of
    tool results joins the response before it, and the next `Assistant` section continues that one)."""
    for block in blocks:
        if block["type"] == "text":
            text = block.get("text")
            if type(text) is str:
                _add_text(builder, role, text)
        elif (stored := response_block(block)) is not None:
            builder.block(stored)


def _add_text(builder: TurnBuilder, role: str, text: str) -> None:
    if role == "user":
        builder.user(text)
    elif role == "assistant":
        builder.text(text)
    else:
        builder.system(text)


def _add_with_tools(builder: TurnBuilder, role: str, text: str) -> None:
    """A section of Amp's thread Markdown or Zed's older agent panel, whose tool calls and results are bold lines,
    each followed by its fenced JSON or its output (to the next such line or the section's end): tool blocks of
    the answer in their place, also in the person's section (Amp writes results there), where the rest is typed."""
    lines = text.split("\n")
    prose: list[str] = []
    index = 0
    while index < len(lines):
        tool = _TOOL_LINE.match(lines[index])
        if tool is None:
            prose.append(lines[index])
            index += 1
            continue
        _add_prose(builder, role, _body(prose))
        prose = []
        if tool.group("titled") is not None:
            status = lines[index + 1].strip() if index + 1 < len(lines) else ""
            start = index + 2 if status.startswith("Status: ") else index + 1
            # Zed writes a call's output as Markdown of its own up to the thread's next entry (eleventh fetch: a
            # regex search's "Found 2 matches:", then `## Matches in main.py` and its fenced lines).
            output, index = _tool_output(lines, start, ends=lambda line: _TOOL_LINE.match(line) is not None)
            builder.block(tool_use(None, tool.group("titled"), None))
            builder.block(tool_result(None, output, status == "Status: Failed"))
            continue
        payload, index = _tool_output(lines, index + 1, ends=lambda line: _TOOL_LINE.match(line) is not None)
        name, call_id = (
            tool.group("name") or tool.group("called") or tool.group("plain"),
            tool.group("call_id"),
        )
        if name is not None:
            try:
                arguments = orjson.loads(payload) if payload.strip() else None
            except orjson.JSONDecodeError:
                arguments = {"input": payload}
            builder.block(tool_use(call_id, name, arguments))
        else:
            builder.block(tool_result(tool.group("result_id") or tool.group("results_id"), payload))
    _add_prose(builder, role, _body(prose))


def _add_archive_calls(builder: TurnBuilder, text: str) -> None:
    """An answer's section holding a chat-archive tool's `[tool_use: Name]` lines: each a tool call in its place,
    the words around them the answer's."""
    prose: list[str] = []
    for line in text.split("\n"):
        call = _ARCHIVE_CALL.match(line)
        if call is None:
            prose.append(line)
            continue
        if _body(prose):
            _add_answer(builder, _body(prose))
        prose = []
        builder.block(tool_use(None, call.group(1).strip(), None))
    if _body(prose):
        _add_answer(builder, _body(prose))


def _add_prose(builder: TurnBuilder, role: str, text: str) -> None:
    """The person's text, or an answer's (its `<thinking>` / `<think>` section first, as Zed writes it, a thinking
    block)."""
    if role == "user":
        builder.user(text)
        return
    thought = _THINK_TAGS.match(text)
    if thought is not None:
        builder.thinking(thought.group(2).strip())
        text = text[thought.end() :]
    _add_answer(builder, text)


def _tool_output(lines: list[str], start: int, *, ends: Callable[[str], bool]) -> tuple[str, int]:
    """What follows a tool line: its fenced block, the fence's content (Zed writes `Diff: <path>` or `Terminal:`
    above it), else the lines up to the first that `ends` accepts; and where reading goes on."""
    index = start
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index + 1 < len(lines) and _ACP_LABEL.match(lines[index]) and opens(lines[index + 1]):
        index += 1
    fence = opens(lines[index]) if index < len(lines) else ""
    if fence:
        end = next((at for at in range(index + 1, len(lines)) if closes(lines[at], fence)), len(lines))
        return "\n".join(lines[index + 1 : end]), end + 1
    end = next((at for at in range(index, len(lines)) if ends(lines[at])), len(lines))
    return _body(lines[index:end]), end


def _add_cascade(builder: TurnBuilder, role: str, text: str) -> None:
    """A section of a Windsurf Cascade export: the agent's actions (`*Viewed [file](...) *`, `*Edited relevant
    file*`, `*User accepted the command `...`*`) stand in it as lines of their own, also after the person's input,
    where the agent took them before answering. They are the agent's tool calls, in their place among its texts."""
    pieces = _CASCADE_ACTION.split(text)
    if role == "user":
        # What the person typed comes before the first action; what follows the actions is the agent's.
        builder.user(pieces[0].strip())
        pieces = ["", *pieces[1:]]
    for number in range(0, len(pieces), 3):
        if pieces[number].strip():
            _add_answer(builder, pieces[number].strip())
        if number + 2 < len(pieces):
            builder.block(tool_use(None, pieces[number + 1], pieces[number + 2].strip() or None))


_FOLDED_REASONING = re.compile(
    r"\A\s*<details>\s*<summary>[^<\n]*\b(?:Reasoning|Thinking|Thought(?: process)?|Razonamiento|Pensamiento|Raisonnement"
    r"|Überlegung|思考|推理)\b[^<\n]*</summary>\s*(.*?)\s*</details>[ \t]*\n?",
    re.DOTALL | re.IGNORECASE,
)
_CURSOR_EXPORT = re.compile(r"_Exported on .+ from Cursor \([\d.]+\)_[ \t]*$")


def _without_repeated_blocks(text: str, dropped: Counter[str]) -> str:
    """An answer without the code blocks it ends on when each repeats one of its earlier blocks (whatever the
    language tag: Cursor's export writes `bash` again as `shellscript`), counted as dropped."""
    lines = text.split("\n")
    blocks: list[tuple[int, int, str]] = []  # (first line, line after the close, content)
    fence, opened = "", 0
    for index, line in enumerate(lines):
        if fence:
            if closes(line, fence):
                blocks.append((opened, index + 1, "\n".join(lines[opened + 1 : index]).strip()))
                fence = ""
        elif fence := opens(line):
            opened = index
    cut = len(lines)
    while cut > 0 and not lines[cut - 1].strip():
        cut -= 1
    trailing = 0
    for start, end, content in reversed(blocks):
        if end != cut or not content:
            break
        earlier = {inner for first, _, inner in blocks if first < start}
        if content not in earlier:
            break
        trailing += 1
        cut = start
        while cut > 0 and not lines[cut - 1].strip():
            cut -= 1
    if not trailing:
        return text
    dropped["repeated code block"] += trailing
    return "\n".join(lines[:cut])


def _add_answer(builder: TurnBuilder, text: str, *, reasoning_quote: bool = False) -> None:
    """An answer's text, a top-level fenced block starting with `Thought process:` as a thinking block; the time a
    reasoning model thought, which ChatGPT's page shows above its answer and exporters copy, left out."""
    notice = _THINKING_TIME.match(text)
    if notice is None and (gap := text.find("\n\n", 0, _PREAMBLE)) > 0:
        # The note a reasoning model shows while it starts to think ("Je vérifie rapidement ..."), then the
        # time it thought (eighth fetch: a French page): the note is its thinking, not the answer's first words.
        notice = _THINKING_TIME.match(text, gap + 2)
        if notice is not None:
            builder.thinking(text[:gap].strip())
    if notice is not None:
        builder.dropped["thinking time"] += 1
        text = text[notice.end() :]
        done = list(_DONE.finditer(text))
        if done and text[done[-1].end() :].strip():
            # ChatGPT's page with its work shown (a real export): "Reading documents", "Done", "Thought for 35s",
            # the analysis tool's code and `undefined` outputs, then "Done" and the answer. The trace is thinking.
            builder.thinking(text[: done[-1].start()].strip())
            text = text[done[-1].end() :]
    text = without_citation_cards(text, builder.dropped)  # a Grok chat saved as Markdown keeps them
    folded = _FOLDED_REASONING.match(text)
    if folded is not None:
        # An exporter folds the model's reasoning into a `<details>` element above the answer
        # (`<summary>🧠 Reasoning (3s)</summary>`): thinking, its summary a label.
        builder.thinking(folded.group(1).strip())
        text = text[folded.end() :]
    summary = (_REASONING_QUOTE.match(text) if reasoning_quote else None) or _THINKING_QUOTE.match(text)
    if summary is not None:
        # ChatGPT Exporter writes a reasoning model's summary of its thinking as a quote above the answer: each
        # step's title in bold, its text below (`> **Fixing the dependencies**` / `>` / `> I'm ...`).
        thinking = "\n".join(
            line.removeprefix(">").removeprefix(" ") for line in summary.group(0).splitlines()
        ).removeprefix("Thinking:")
        builder.thinking(thinking.strip())
        text = text[summary.end() :].lstrip("\n")
    lines = text.split("\n")
    start = 0
    fence = ""
    opened = 0
    for index, line in enumerate(lines):
        if fence:
            if closes(line, fence):
                inner = lines[opened + 1 : index]
                if inner and inner[0].startswith(_THOUGHT):
                    builder.text(_body(lines[start:opened]))
                    inner[0] = inner[0][len(_THOUGHT) :].strip()
                    thinking = _body(inner)
                    if thinking:
                        builder.block({"type": "thinking", "thinking": thinking})
                    start = index + 1
                fence = ""
        elif fence := opens(line):
            opened = index
    builder.text(_body(lines[start:]))


# Claude Exporter's renderings of Claude's tool use inside an answer: a fence whose first line names the tool
# (`Web Search: <query>`, `Create File: <what>`, `Bash Tool: ...`), or `**tool_name**` then `*Request*` and a fence of
# its JSON input, then `*Response*` and a fence of its output; a web search's results follow its fence as quoted
# lines (`> **Title** [site](url)`).
_CLAUDE_TOOL_FENCE = re.compile(
    r"(Web Search|Web Fetch|Create File|Bash Tool|Edit|View|Str Replace|Read File|Analysis Tool|Repl|Artifact"
    r"|Google Drive Search|Google Drive Fetch): ?(.*)$"
)
_CLAUDE_LINK = re.compile(r"^\*\*Link:\*\* \[https://claude\.ai/", re.MULTILINE)
_CLAUDE_TOOL_NAME = re.compile(r"\*\*([a-z][a-z0-9_]{1,60})\*\*[ \t]*$")


def _segments(lines: list[str]) -> list[tuple[list[str], list[str] | None]]:
    """The answer's lines as (lines, None) runs of text and (the fence's lines, its inner lines) blocks."""
    segments: list[tuple[list[str], list[str] | None]] = []
    text: list[str] = []
    fence = ""
    opened = 0
    for index, line in enumerate(lines):
        if fence:
            if closes(line, fence):
                segments.append((text, None))
                segments.append((lines[opened : index + 1], lines[opened + 1 : index]))
                text, fence = [], ""
        elif fence := opens(line):
            opened = index
        else:
            text.append(line)
    if fence:
        text.extend(lines[opened:])  # an unclosed fence is text
    segments.append((text, None))
    return segments


def _tail_markers(text: list[str]) -> tuple[str, int] | None:
    """The tool named by `**name**` then `*Request*` at the end of a text run, and where the markers start."""
    kept = [i for i, line in enumerate(text) if line.strip()]
    if len(kept) >= 2 and text[kept[-1]].strip() == "*Request*":
        named = _CLAUDE_TOOL_NAME.match(text[kept[-2]].strip())
        if named is not None:
            return named.group(1), kept[-2]
    return None


def _add_claude_exporter_answer(builder: TurnBuilder, text: str) -> None:
    """A Claude Exporter answer: `Thought process` fences (titled or not) and, in its 2026 versions, quotes of the
    thinking and tool steps ending in `- **Done**` as thinking, its renderings of tool calls and results as tool
    blocks, the rest the answer's text."""
    lines = text.split("\n")
    start = 0
    for quote in _STEPS_QUOTE.finditer(text):
        # `> <summary>`, `>`, `> - <a thought or a step>`, ... `> - **Done**`: what the page folds above the answer.
        before = text[start : quote.start()]
        if before.strip():
            _add_claude_exporter_text(builder, before)
        steps = [line[1:].removeprefix(" ") for line in quote.group(0).rstrip("\n").split("\n")]
        builder.thinking(_body(steps[:-1]))
        start = quote.end()
    if start:
        lines = text[start:].split("\n")
    _add_claude_exporter_text(builder, "\n".join(lines))


# A converter of Claude.ai's export writes what a message holds besides its words as folded sections: `<details>`,
# `<summary>Thinking (verbatim)</summary>` (or `tool_use` / `tool_result (verbatim JSON)`, `Message metadata`), then it.
_VERBATIM = re.compile(
    r"<details>\s*<summary>([^<\n]{1,60}?)\s*\(verbatim(?: JSON)?\)</summary>\s*(.*?)\s*</details>\s*",
    re.DOTALL,
)
_JSON_FENCE = re.compile(r"\A```(?:json)?\s*\n(.*?)\n```\Z", re.DOTALL)


def _verbatim_sections(builder: TurnBuilder, role: str, text: str) -> str:
    """The message's text without its folded sections: thinking as thinking, tool calls and results as tool blocks
    of the answer, the metadata left out."""

    def section(match: re.Match[str]) -> str:
        kind, body = match.group(1).strip().lower(), match.group(2)
        fenced = _JSON_FENCE.match(body.strip())
        value = json_or_text(fenced.group(1)) if fenced else body
        if kind == "thinking" and role == "assistant":
            builder.thinking(body.strip())
        elif kind == "tool_use" and role == "assistant" and type(value) is dict:
            name = value.get("name")
            builder.block(
                tool_use(value.get("id"), name if type(name) is str else "tool", value.get("input"))
            )
        elif kind == "tool_result" and role == "assistant" and type(value) is dict:
            builder.block(
                tool_result(value.get("tool_use_id"), value.get("content"), value.get("is_error") is True)
            )
        else:
            builder.dropped[kind or "section"] += 1
        return ""

    return _VERBATIM.sub(section, text).strip()


_GENERIC_TITLES = frozenset(
    # Windsurf's heading on every Cascade export (eighth fetch).
    (
        "claude conversation log",
        "claude session export",
        "conversation",
        "chat export",
        "cascade chat conversation",
    )
)
# A paragraph that is only Claude Code's placeholder or its mark of a stopped response.
_CLAUDE_CODE_MARK = re.compile(
    r"^[ \t]*(?:\(no content\)|\[Request interrupted by user(?: for tool use)?\])[ \t]*(?:\n|\Z)",
    re.MULTILINE,
)
# What Claude Exporter writes for a prompt's attachments: `> File: <name>` and the image's preview link.
_ATTACHMENT_LINE = re.compile(
    r"^(?:>[ \t]*File:[^\n]*|!\[[^\]\n]*\]\(https://claude\.ai/api/[^)\n]*\))[ \t]*\n?", re.MULTILINE
)


def _without_attachments(text: str, builder: TurnBuilder) -> str:
    """A Claude Exporter prompt without its attachments' lines (counted as dropped `attachment`)."""
    kept, count = _ATTACHMENT_LINE.subn("", text)
    builder.dropped["attachment"] += count
    return kept


# A quote whose last line is `> - **Done**`: Claude Exporter's rendering of the thinking and tool steps.
_STEPS_QUOTE = re.compile(r"^>[^\n]*\n(?:>[^\n]*\n)*?>[ \t]*- \*\*Done\*\*[ \t]*(?:\n|\Z)", re.MULTILINE)


def _add_claude_exporter_text(builder: TurnBuilder, text: str) -> None:
    segments = _segments(text.split("\n"))
    pending: list[str] = []
    calls = 0
    k = 0
    while k < len(segments):
        lines, inner = segments[k]
        k += 1
        if inner is None:
            pending.extend(lines)
            continue
        first = inner[0].strip() if inner else ""
        tool = _CLAUDE_TOOL_FENCE.match(first)
        named = _tail_markers(pending)
        if first == _THOUGHT.rstrip(":") or first.startswith(_THOUGHT):
            # Titled (`Thought process: <summary>`) or not (`Thought process` alone, the thinking below it).
            builder.text(_body(pending))
            pending = []
            builder.thinking(_body([first[len(_THOUGHT) :].strip(), *inner[1:]]))
        elif tool is not None:
            builder.text(_body(pending))
            pending = []
            calls += 1
            given = "\n".join([tool.group(2), *inner[1:]]).strip()
            builder.block(tool_use(f"export_{calls}", tool.group(1), given or None))
            if tool.group(1) == "Web Search" and k < len(segments) and segments[k][1] is None:
                # The results, quoted below the fence, up to the first line that is neither quoted nor blank.
                after = segments[k][0]
                end = 0
                while end < len(after) and (after[end].startswith(">") or not after[end].strip()):
                    end += 1
                found = [line.removeprefix(">").strip() for line in after[:end] if line.strip(" >")]
                if found:
                    builder.block(tool_result(f"export_{calls}", "\n".join(found)))
                    segments[k] = (after[end:], None)
        elif named is not None:
            name, at = named
            builder.text(_body(pending[:at]))
            pending = []
            calls += 1
            builder.block(tool_use(f"export_{calls}", name, json_or_text("\n".join(inner))))
            # `*Response*` and its fence, when they follow.
            if (
                k + 1 < len(segments)
                and segments[k][1] is None
                and [line.strip() for line in segments[k][0] if line.strip()] == ["*Response*"]
                and segments[k + 1][1] is not None
            ):
                builder.block(tool_result(f"export_{calls}", "\n".join(segments[k + 1][1] or [])))
                k += 2
        else:
            pending.extend(lines)
    builder.text(_body(pending))


def _title(lines: list[str], stop: int) -> str | None:
    """The text of a `# Title` line (`# Title: ...` too), if it is the first non-blank line before the first
    speaker after any YAML front matter; else the front matter's `topic` or `title`."""
    start = 0
    front: str | None = None
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, stop) if lines[i].strip() == "---"), 0)
        named = (_FRONT_TITLE.match(line) for line in lines[1 : start - 1])
        front = next((match.group(2).strip() for match in named if match), None)
    for line in lines[start:stop]:
        if not line.strip():
            continue
        # Up to three spaces may indent a heading (a Cursor export's `   # Incandescent perk redesign`, ninth fetch).
        line = line[:3].lstrip(" ") + line[3:]
        if line.startswith("# "):
            # `# Conversation: <name>`, a converter of Claude Code's sessions (eighth fetch).
            title = line[2:].strip().removeprefix("Title:").removeprefix("Conversation:").strip()
            # An extractor's heading for every file is no title (the first prompt names the chat instead).
            return None if title.lower() in _GENERIC_TITLES else title or front
        return front
    return front


class MarkdownImporter:
    name = "markdown"

    def sniff(self, head: bytes, filename: str) -> bool:
        first = first_byte(head)
        if b"\x00" in head or first in (None, ord("{")):
            return False
        if first == ord("[") and _LINK_FIRST.match(head.removeprefix(BOM).lstrip()) is None:
            return False  # JSON; a Markdown link may open a page copied whole (`[Project](/g/...)`)
        if _PERPLEXITY_LOGO.search(head[:4096]) is not None and b"\n# " in head:
            return True
        if head.removeprefix(BOM).lstrip().startswith(b"# ") and _BING_SOURCE.search(head) is not None:
            return True
        if _LIBRECHAT_HEAD.match(head.removeprefix(BOM)) is not None:
            return True
        if is_dump(head):
            return False  # JetBrains AI Assistant's chat dumps, saved as .md: its own reader's
        if is_export(head):
            return False  # Cline's exported tasks: its own reader's
        if is_opencode_export(head):
            return False  # OpenCode's `/export`: its own reader's
        if is_share(head):
            return False  # Copilot CLI's `/share`: its own reader's
        if is_aider_history(head):
            return False  # aider's chat history saved as `.md` (twelfth fetch: its model wrote `### User:`): aider's
        if _CHATGPT_MD_RULE in head and _CHATGPT_MD_ROLE.search(head.decode(errors="ignore")) is not None:
            return True  # the Obsidian ChatGPT MD plugin's note (see `parse`)
        if b"```ys_think" in head and len(_YS_THINK.findall(head.decode(errors="ignore"))) == 1:
            return True  # a 问小白 answer copied (see `_wenxiaobai`)
        lines = _unquoted_transcript(
            _bulleted_labels(_japanese_page(head.decode(errors="ignore").splitlines()))
        )
        markers = _unlabelled_first_prompt(lines, _markers(lines))
        roles = {role for _, role, _, _ in markers}
        if roles == {"assistant"} and any(
            line.startswith(_EXPORTED) or _ANSWERS_HEAD.match(line) for line in lines[:12]
        ):
            return True  # a browser exporter's file of answers only (see `parse`)
        if not roles and len(head) < _WHOLE_HEAD and _EXPORTER_FOOTER.search(head.decode(errors="ignore")):
            return (
                True  # a browser exporter's export of a document (Claude Exporter's artifacts; see `parse`)
            )
        if roles == {"user"} and _labelled_prompts(lines, markers):
            return True  # a transcript of the person's messages only (see `parse`)
        if not roles and len(head) < _WHOLE_HEAD and _quoted_exchanges(lines) is not None:
            return True  # the person's messages quoted, the answers plain (see `parse`)
        return "user" in roles and "assistant" in roles

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream)
        footer = _EXPORTER_FOOTER.search(text, max(len(text) - 400, 0))  # the file's last lines
        if footer is not None:
            text = text[: footer.start()] + "\n"
        elif (voyager := _VOYAGER_FOOTER.search(text, max(len(text) - 400, 0))) is not None:
            text = text[: voyager.start()] + "\n"
        # These two write the person's prompts with Markdown's characters escaped (`file\_name`, `\*`).
        exporter = (footer.group(1) or footer.group(2)) if footer is not None else None
        escaped_prompts = exporter in _ESCAPING_EXPORTERS
        gemini = exporter == "Gemini Exporter"
        # Claude Exporter's files name the chat's link in their header (the footer is optional in its settings).
        claude_exporter = exporter == "Claude Exporter" or (_CLAUDE_LINK.search(text[:2048]) is not None)
        if _CHATGPT_MD_RULE.decode() in text and _CHATGPT_MD_ROLE.search(text) is not None:
            yield _chatgpt_md(text, filename)
            return
        if _PERPLEXITY_LOGO.search(text[:4096].encode()) is not None:
            yield _perplexity(text.splitlines(), filename)
            return
        if text.lstrip().startswith("# ") and _BING_SOURCE.search(text.encode()) is not None:
            yield _bing(text.splitlines(), filename)
            return
        if _LIBRECHAT_HEAD.match(text[:200].encode()) is not None:
            yield _librechat(text.splitlines(), filename)
            return
        if "```ys_think" in text and len(thought := list(_YS_THINK.finditer(text))) == 1:
            yield _wenxiaobai(text, thought[0], filename)
            return
        lines = _unquoted_transcript(_bulleted_labels(_japanese_page(text.splitlines())))
        markers = _markers(lines)
        if not markers and (exchanges := _quoted_exchanges(lines)) is not None:
            yield _quoted_chat(exchanges, lines, filename)
            return
        if footer is not None and not markers:
            yield Skipped(_DOCUMENT_ONLY)
            return
        # The header browser exporters write (`**Exported:** <date>`): ChatGPT Exporter's answers may open with a
        # reasoning summary.
        exported = any(line.startswith(_EXPORTED) for line in lines[:12])
        if exported and {role for _, role, _, _ in markers} == {"assistant"}:
            # ChatGPT and Gemini Exporter write only the answers (`## Response:`) where the prompt was not on the
            # page: nothing to pair an answer with.
            yield Skipped(_ANSWERS_ONLY)
            return
        if {role for _, role, _, _ in markers} == {"assistant"} and any(
            _ANSWERS_HEAD.match(line) for line in lines[:12]
        ):
            yield Skipped(_NO_PROMPT)
            return
        markers = _unlabelled_first_prompt(lines, markers)
        if {role for _, role, _, _ in markers} == {"user"}:
            # Only the person's messages (a real Claude Code session turned into Markdown held three `**You:**`
            # messages, its own command notices, and no answer).
            yield Skipped(_PROMPTS_ONLY)
            return
        builder = TurnBuilder()
        if (
            markers
            and markers[0][1] == "user"
            and _SAID.match(lines[markers[0][0]]) is not None
            and sum(len(line.strip()) for line in lines[: markers[0][0]] if not _PAGE_CHROME.match(line))
            >= 200
        ):
            # A page copied from the middle of a chat: it opens with the end of an answer whose prompt is not in
            # the copy. With nothing to answer, it is left out, and counted.
            builder.dropped["answer without its prompt"] += 1
        cascade = any(line.startswith(_CASCADE_HEADINGS) for line in lines)
        # Cursor's "Export Chat" (`_Exported on ... from Cursor (2.1.46)_`) copies an answer's code blocks again
        # after its last words.
        cursor = any(_CURSOR_EXPORT.match(line) for line in lines[:5])
        tools = any(line.startswith(_TOOL_STARTS) and _TOOL_LINE.match(line) for line in lines)
        quoted_layout = _quoted_layout(lines, markers)
        canvas = _canvas_title(lines)
        unread = _placeholder_exchanges(lines, markers)
        if unread:
            builder.dropped["empty message"] += len(unread)
        log_levels: list[int] = []  # the levels of the log's own headings cut from messages' ends
        for number, (index, role, heading, rest) in enumerate(markers):
            if number in unread:
                continue
            end = markers[number + 1][0] if number + 1 < len(markers) else len(lines)
            section = lines[index + 1 : end]
            rule = None  # where the message's own front matter opens
            if rest == _QUOTED_BODY:
                section = _quoted(section)
            elif (heading or not rest) and quoted_layout and _all_quoted(section):
                # Every message quoted (`## Q:` then `> ...` lines, a ChatGPT exporter's): the quote marks are the
                # exporter's layout, not the message's.
                section = [
                    line[2:] if line.startswith("> ") else line[1:] if line.startswith(">") else line
                    for line in section
                ]
            section = [line for line in section if not _MESSAGE_TIME.match(line)]
            if heading:
                section = _without_fold(section, builder)
                if number + 1 == len(markers):
                    section = _without_closing_comment(section, builder)
            if heading and number + 1 < len(markers):
                section = _without_closing_heading(section, lines[index], builder)
            elif not heading and number + 1 < len(markers):
                section, level = _without_log_heading(section)
                if level is not None:
                    builder.dropped["section heading"] += 1
                    log_levels.append(level)
            elif not heading and len(log_levels) >= 2:
                section, closing = _without_closing_section(section, min(log_levels))
                builder.dropped["closing section"] += closing
            if heading and _page_label(lines[index]):
                if _THINKING_TIME.match(lines[index] + "\n"):
                    section = [lines[index], *section]  # the answer's first line: its thinking time, counted
                section = _page_copy(section, role, builder, last=number + 1 == len(markers), canvas=canvas)
                if (rule := _front_matter_rule(section)) is not None:
                    section = section[rule + 1 :]
            text = _body(_drop_timestamp(section) if heading else [rest, *section])
            if rule is not None:
                text = f"---\n{text}"
            if escaped_prompts and role == "user":
                text = _MARKDOWN_ESCAPE.sub(r"\1", text)
            if gemini and role == "assistant":
                text = _without_gemini_marks(text, builder.dropped)
            if exported and role == "user" and (counter := _BRANCH_COUNTER.search(text)) is not None:
                # ChatGPT Exporter copies the page's "2/2" under a prompt that was edited: which version is shown.
                text = text[: counter.start()].rstrip()
                builder.dropped["version counter"] += 1
            if "(verbatim" in text and "<details>" in text:
                text = _verbatim_sections(builder, role, text)
            if "(no content)" in text or "[Request interrupted" in text:
                # Claude Code's own marks, which extractors of its sessions copy as messages: the placeholder of a
                # streamed message's first piece, the mark of a stopped response.
                text, marks = _CLAUDE_CODE_MARK.subn("", text)
                text = text.strip()
                builder.dropped["Claude Code mark"] += marks
            if role == "user" and text.startswith(_GEMINI_CLI_SETUP):
                # Gemini CLI's `/chat share` writes the context it set up (date, OS, folder listing) as the first
                # prompt: the CLI's, not the person's words.
                builder.user("", blocks=[{"type": "context", "tag": "gemini-cli setup", "text": text}])
                continue
            if role == "assistant" and ("turn" in text or "\ue200" in text):
                # ChatGPT's citation and image marks, which exporters copy into the text: in the Private Use Area
                # ("\ue200cite\ue202turn0search0\ue201") or, where a tool stripped those characters, as the bare
                # words left between them ("citeturn0search0", "iturn0image0").
                text, marks = _CITATION_MARK.subn("", text)
                builder.dropped["citation mark"] += marks
            if role == "assistant" and "Unsupported Content" in text:
                text, placeholders = _UNSUPPORTED.subn("", text)
                text = text.strip()
                builder.dropped["unsupported content"] += placeholders
            if exporter == "Grok Exporter" and role == "assistant" and number == len(markers) - 1:
                text = _without_suggestions(text, builder.dropped)
            if role == "assistant" and _ARTIFACT_PLACEHOLDER in text:
                # Claude Exporter writes this in a code block where an artifact was: the artifact is not exported.
                text, artifacts = _ARTIFACT_NOTE.subn("", text)
                builder.dropped["artifact not exported"] += artifacts
            if role == "assistant" and "Click to open " in text:
                text, cards = _ARTIFACT_CARD.subn("", text)
                text = text.strip()
                builder.dropped["artifact not exported"] += cards
            if role == "assistant" and "Copy code" in text:
                text, buttons = _FENCE_COPY_CODE.subn(r"\1", text)
                builder.dropped["page text"] += buttons
            if heading and text.startswith("{'content_type': '"):
                # The same converter writes an image's part as Python's repr of it, a line above the words.
                text, media = _ASSET_POINTER.subn("", text)
                builder.dropped["image"] += media
                text = text.strip()
            blocks = _content_blocks(text) if heading else None
            if heading and text.startswith('{"content_type"') and _chatgpt_part(builder, role, text):
                continue  # a ChatGPT message part a converter wrote as its JSON
            if (
                role == "user"
                and builder.last_role == "assistant"
                and (output := _TOOL_OUTPUT.fullmatch(text)) is not None
            ):
                # A converter of Claude Code's sessions writes each tool result as the person's record, folded
                # (`### Human`, then `<details><summary>Tool output</summary>`, ninth fetch): the answer's work.
                builder.block(tool_result(None, _unfenced(output[1] if output[1] is not None else output[2])))
            elif role == "user" and builder.last_role == "assistant" and text.startswith(_ARCHIVE_RESULT):
                builder.block(tool_result(None, text[len(_ARCHIVE_RESULT) :].strip()))
            elif role == "assistant" and "[tool_use: " in text:
                _add_archive_calls(builder, text)
            elif blocks is not None:
                _add_blocks(builder, role, blocks)
            elif tools and role in ("user", "assistant"):
                _add_with_tools(builder, role, text)
            elif cascade and role in ("user", "assistant"):
                _add_cascade(builder, role, text)
            elif role == "assistant" and '<details type="' in text:
                # Open WebUI's Markdown export keeps the answer as Open WebUI stores it: reasoning and tool calls
                # in `<details type="...">` elements.
                open_webui.add_answer(builder, text)
            elif role == "assistant":
                if cursor:
                    text = _without_repeated_blocks(text, builder.dropped)
                if claude_exporter:
                    _add_claude_exporter_answer(builder, text)
                else:
                    _add_answer(builder, text, reasoning_quote=exported)
            else:
                if claude_exporter and role == "user":
                    text = _without_attachments(text, builder)
                _add_text(builder, role, text)
        try:
            yield builder.conversation(filename, title=_title(lines, markers[0][0]) if markers else None)
        except BadRecord as exc:
            yield RecordError(str(exc))


# What a copied chat page holds before its first message besides the message: its chrome and the model's label.
_PAGE_CHROME = re.compile(
    r"[ \t]*(?:Skip to content|Share|Log in|Sign up(?: for free)?|ChatGPT(?: [\w.-]+)?|#.*|\[.*\]\(.*\))[ \t]*$"
)


_PLACEHOLDER = "undefined"


def _placeholder_exchanges(lines: list[str], markers: list[Marker]) -> set[int]:
    """The markers (by number) of exchanges whose prompt and answer both read only `undefined` under their
    headings: a browser exporter's placeholders for messages it could not read (thirteenth fetch: a Claude
    exporter's `## Prompt:` / `## Response:` pairs of them opened and closed a chat, stored as four turns)."""

    def placeholder(number: int) -> bool:
        index, _, heading, _ = markers[number]
        end = markers[number + 1][0] if number + 1 < len(markers) else len(lines)
        return heading and _body(lines[index + 1 : end]) == _PLACEHOLDER

    found: set[int] = set()
    for number in range(len(markers) - 1):
        if (markers[number][1], markers[number + 1][1]) == ("user", "assistant") and (
            placeholder(number) and placeholder(number + 1)
        ):
            found.update((number, number + 1))
    return found


def _unlabelled_first_prompt(lines: list[str], markers: list[Marker]) -> list[Marker]:
    """A page copied whole whose first label is the assistant's ("ChatGPT said:" in Chinese; the page labelled the first prompt
    in no way the copy kept, a real one): the text before it, its chrome aside, is that first prompt."""
    if (
        not markers
        or markers[0][1] != "assistant"
        or not markers[0][2]
        or (not _page_label(lines[markers[0][0]]) and _GPT_SAID.match(lines[markers[0][0]]) is None)
    ):
        return markers
    start = next(
        (
            i
            for i, line in enumerate(lines[: markers[0][0]])
            if line.strip() and not _PAGE_CHROME.match(line) and _MODEL_LABEL.match(line) is None
        ),
        None,
    )
    if start is None:
        return markers
    return [(start - 1, "user", False, ""), *markers]


def _labelled_prompts(lines: list[str], markers: list[Marker]) -> bool:
    """Whether the person's messages (`markers`, two or more, no answer among them) are labelled as exporters label
    them (a heading, `**You:**`): a transcript without an answer, not prose that happens to hold a `User:` line."""
    return len(markers) >= 2 and all(
        heading or _EMPHASIZED.match(lines[index]) is not None for index, _, heading, _ in markers
    )


def _chatgpt_part(builder: TurnBuilder, role: str, text: str) -> bool:
    """A ChatGPT message's content a converter wrote as its JSON (`{"content_type": "thoughts", ...}`): thoughts are
    the answer's thinking, custom instructions the system prompt, code and its output a tool call and its result,
    the reasoning time left out; False when the text is not such a part (it is then read as text)."""
    try:
        part = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    kind = part.get("content_type") if type(part) is dict else None
    if type(kind) is not str:
        return False
    if kind == "thoughts" and type(part.get("thoughts")) is list:
        steps = [t for t in part["thoughts"] if type(t) is dict]
        builder.thinking("\n\n".join(str(t.get("content") or t.get("summary") or "") for t in steps).strip())
    elif kind == "reasoning_recap":
        builder.dropped["thinking time"] += 1
    elif kind == "user_editable_context":
        profile = [part.get(key) for key in ("user_profile", "user_instructions")]
        builder.system("\n\n".join(value for value in profile if type(value) is str and value))
    elif kind == "code" and role == "assistant":
        builder.block(tool_use(None, "python", part.get("text")))
    elif kind == "execution_output":
        builder.block(tool_result(None, str(part.get("text") or "")))
    elif kind == "text" and type(part.get("parts")) is list:
        words = "\n".join(p for p in part["parts"] if type(p) is str)
        _add_text(builder, role, words) if role != "assistant" else builder.text(words)
    else:
        builder.dropped[kind[:40]] += 1
    return True


def _without_suggestions(text: str, dropped: Counter[str]) -> str:
    """The last answer of a Grok Exporter file without Grok's follow-up suggestions on its last line, counted as
    dropped: two or more phrases of three words at least run together, no sentence's end, no Markdown, all of them
    questions or none (a line that cannot be split so, a Chinese one, stays)."""
    head, _, last = text.rstrip().rpartition("\n\n")
    line = last.strip()
    if not head.strip() or "\n" in line or len(line) > 300 or _NOT_SUGGESTIONS.search(line):
        return text
    cuts = [
        at
        for at in (join.start() for join in _CHIP_JOIN.finditer(line))
        if line[at].isupper()
        and (line[at - 1] == "?" or line[at - 2 : at].islower())
        and not line[at:].split(" ", 1)[0].isupper()
        # A word the answer writes elsewhere whole (`JavaScript`) is one word, not two phrases.
        and text.count(line[:at].rsplit(" ", 1)[-1] + line[at:].split(" ", 1)[0]) < 2
    ]
    phrases = [line[start:end] for start, end in pairwise([0, *cuts, len(line)])]
    if len(phrases) < 2 or any(len(phrase.split()) < 3 for phrase in phrases):
        return text
    if len({phrase.rstrip().endswith("?") for phrase in phrases}) > 1:
        # Questions run together all end with their mark; one that does not is the answer's own question, whole.
        return text
    dropped["suggestion"] += len(phrases)
    return head.rstrip()


def _without_gemini_marks(text: str, dropped: Counter[str]) -> str:
    """A Gemini Exporter answer without Gemini's citation marks and source chips, counted as dropped citations."""
    text, marks = _GEMINI_CITE.subn("", text)
    text, chips = _GEMINI_CHIP.subn("", text)
    if marks + chips:
        dropped["citation"] += marks + chips
    return _body(text.split("\n"))


# The Obsidian ChatGPT MD plugin's note (a common way chats are kept in vaults; ninth fetch, two versions matched no
# format): messages separated by `<hr class="__chatgpt_plugin">`, each opened by `### role::user` or `role::assistant`
# (the model in a `<span>` after it in later versions); the first message, typed before any, has no label.
_CHATGPT_MD_RULE = b'<hr class="__chatgpt_plugin">'
_CHATGPT_MD_ROLE = re.compile(r"^(?:#{1,6}[ \t]+)?role::(user|assistant|system)\b(.*)$", re.MULTILINE)
_SPAN = re.compile(r"<span[^>]*>\s*\(?([^()<]*?)\)?\s*</span>")


def _chatgpt_md(text: str, filename: str) -> ParseResult:
    """The plugin's note: its front matter left out, the messages between the rules by their `role::` lines."""
    builder = TurnBuilder()
    parts = text.split(_CHATGPT_MD_RULE.decode())
    first = parts[0]
    if first.startswith("---\n"):
        end = first.find("\n---", 4)
        first = first[end + 4 :] if end >= 0 else first
    models: list[str] = []
    for number, part in enumerate([first, *parts[1:]]):
        label = _CHATGPT_MD_ROLE.match(part.lstrip("\n"))
        body = part.lstrip("\n")[label.end() :] if label is not None else part
        body = body.strip()
        if label is None:
            if body and number == 0:
                builder.user(body)  # typed before the first rule, unlabelled
            elif body:
                builder.dropped["unlabelled text"] += 1
            continue
        role = label.group(1)
        if role == "assistant" and (model := _SPAN.search(label.group(2))) is not None and model.group(1):
            models.append(model.group(1).strip())
        if not body:
            continue
        if role == "system":
            builder.system(body)
        elif role == "user":
            builder.user(body)
        else:
            _add_answer(builder, body)
    try:
        return builder.conversation(
            filename,
            title=_title(lines := text.splitlines(), len(lines)),
            metadata={"models": sorted(set(models))} if models else None,
        )
    except BadRecord as exc:
        return RecordError(str(exc))


def _perplexity(lines: list[str], filename: str) -> ParseResult:
    """Perplexity's export: each `# ` heading (outside code) is a question, what follows it up to the next one
    the answer, without the citation marks, the hidden citation list, the `⁂` divider and the source footnotes
    (`[^1_1]: https://...`)."""
    builder = TurnBuilder()
    question = ""
    answer: list[str] | None = None
    fence = ""
    # Each answer ends with the `⁂` divider before its sources: where the file has them, a `# ` heading before the
    # answer's divider is the answer's own heading (after a `***` rule, in a real export), not the next question.
    dividers = any(_DIVIDER.match(line) for line in lines)
    divided = True

    def close() -> None:
        if answer is not None:
            pasted = _pasted(answer)
            builder.user("\n\n".join(part for part in (question, _body(answer[:pasted])) if part))
            kept = [line for line in answer[pasted:] if not _FOOTNOTE.match(line)]
            builder.text(_body([_PERPLEXITY_NOISE.sub("", line).rstrip() for line in kept]))

    for line in lines:
        if fence:
            fence = "" if closes(line, fence) else fence
        else:
            fence = opens(line)
        if not fence and _DIVIDER.match(line):
            divided = True
        if not fence and line.startswith("# ") and (divided or not dividers):
            close()
            question = line[2:].strip()
            answer = []
            divided = False
            continue
        if answer is not None:
            answer.append(line)
    close()
    return _exported(builder, filename, "perplexity")


# A line of code or configuration as a person pastes it below a question, unfenced (`key: value`, `- item`,
# `# comment`, a brace), and a YAML key line among them.
_PASTED_LINE = re.compile(r"[ \t]*(?:#(?!#).*|-[ \t].*|[\w.\"'/-]+:(?:[ \t]+\S.*)?|[{}\[\]][,;]?)[ \t]*$")
_PASTED_KEY = re.compile(r"[ \t]*(?:-[ \t]+)?[\w.\"'/-]+:(?:[ \t]|$)")


def _pasted(answer: list[str]) -> int:
    """How many of the lines under a Perplexity question are the rest of the question: a multi-line question's first
    line is the heading, and what the person pasted below it (eleventh fetch: a Helm chart's YAML, its `# Source:`
    comment made a heading too) comes before the answer. Whole paragraphs of code or configuration lines (no
    Markdown emphasis, no citation mark, no sentence's end), three lines at least, two of them YAML keys, with a
    line of the answer left under them; else 0."""
    end = count = keys = 0
    paragraph: list[str] = []
    for at, line in enumerate([*answer, ""]):
        if line.strip():
            paragraph.append(line)
            continue
        if any(
            _PASTED_LINE.match(kept) is None or "**" in kept or "[^" in kept or kept.rstrip().endswith(".")
            for kept in paragraph
        ) or any(opens(kept) for kept in paragraph):
            break
        count += len(paragraph)
        keys += sum(_PASTED_KEY.match(kept) is not None for kept in paragraph)
        end = at if paragraph else end
        paragraph = []
    if count < 3 or keys < 2:
        return 0
    # The answer must keep a line of its own: what looked pasted may be the answer itself (a list of `key: value`
    # lines), with only the divider and its footnotes under it.
    rest = [_PERPLEXITY_NOISE.sub("", line) for line in answer[end:] if not _FOOTNOTE.match(line)]
    return end if any(line.strip() for line in rest) else 0


def _bing(lines: list[str], filename: str) -> ParseResult:
    """Bing Chat's "Export" as Markdown (2023): each `# ` heading (outside code) a question, the answer below it up
    to `Source: Conversation with Bing, <date>`, after which the numbered sources run to the next question. The
    superscript citation numbers (`content¹⁴⁵`) are left out with the sources, counted."""
    builder = TurnBuilder()
    answer: list[str] | None = None
    fence = ""

    def close() -> None:
        if answer is not None:
            text, marks = _SUPERSCRIPTS.subn("", "\n".join(answer))
            builder.dropped["citation mark"] += marks
            builder.text(_body(text.splitlines()))

    for line in lines:
        fence = ("" if closes(line, fence) else fence) if fence else opens(line)
        if not fence and line.startswith("# "):
            close()
            builder.user(line[2:].strip())
            answer = []
        elif not fence and line.startswith(_BING_SOURCE_LINE):
            close()
            builder.dropped["sources"] += 1
            answer = None
        elif answer is not None:
            answer.append(line)
    close()
    return _exported(builder, filename, "bing")


def _wenxiaobai(text: str, rule: re.Match[str], filename: str) -> ParseResult:
    """A 问小白 answer copied with its question: the text before the model's rule the question, the `ys_think` fence
    the answer's thinking (its marks left out, the time it thought counted as dropped), the rest the answer."""
    builder = TurnBuilder()
    builder.user(_body(text[: rule.start()].split("\n")))
    lines = text[rule.end() :].split("\n")
    # The fence closes after the `<end>` line (the thinking may hold code blocks of its own).
    done = next((at for at, line in enumerate(lines) if line.lstrip().startswith("<end>")), None)
    end = next(
        (at for at, line in enumerate(lines[done or 0 :], done or 0) if line.strip() == "```"), len(lines)
    )
    if done is not None:
        builder.dropped["thinking time"] += 1
    builder.thinking(_body([line for line in lines[:end] if not _YS_MARK.match(line)]))
    _add_answer(builder, _body(lines[end + 1 :]))
    try:
        return builder.conversation(filename, metadata={"model": rule.group(1)})
    except BadRecord as exc:
        return RecordError(str(exc))


def _exported(builder: TurnBuilder, filename: str, exporter: str) -> ParseResult:
    """The conversation of an export that writes each question as a `# ` heading: titled by its first question."""
    try:
        conversation = builder.conversation(filename)
    except BadRecord as exc:
        return RecordError(str(exc))
    # Its first line: what a person pasted below a question is not the chat's name.
    conversation.title = conversation.turns[0].text.split("\n", 1)[0][:200] if conversation.turns else None
    conversation.metadata = {"exporter": exporter}
    return conversation


# A prompt quoted on its own (`> do you think ...`): a few lines, not a callout (`> **Note**`, `> [!TIP]`).
_QUOTE_LINE = re.compile(r">(?: |$)(?!\s*(?:\*\*|\[!))")
_QUOTED_PROMPT_LINES = 4


def _quoted_exchanges(lines: list[str]) -> list[tuple[int, int, int]] | None:
    """A transcript that quotes the person's messages and writes the answers plain (`> prompt`, then the answer; a
    Claude chat and a ChatGPT session saved that way, two real files): (first quoted line, first line after the
    quote, end of the answer) for each exchange, or None. At least three short quotes outside code, each followed
    by an answer longer than itself, the answers together at least twice the prompts, and no other quotes."""
    quotes: list[tuple[int, int]] = []
    fence = ""
    start: int | None = None
    if any(line.startswith(("⏺", "●")) for line in lines):
        return None  # a Claude Code export: its answers are marked, its prompts are `> ` lines (its own reader's)
    for index, line in enumerate(lines):
        if fence:
            fence = "" if closes(line, fence) else fence
            continue
        quoted = _QUOTE_LINE.match(line) is not None
        if quoted and start is None:
            start = index
        elif not quoted and start is not None:
            quotes.append((start, index))
            start = None
        if not quoted and line.startswith(">"):
            return None  # a callout or a quote of another kind: a document that quotes, not a transcript
        fence = opens(line)
    if start is not None or len(quotes) < 3:
        return None
    exchanges = []
    prompts = answers = 0
    for number, (first, after) in enumerate(quotes):
        end = quotes[number + 1][0] if number + 1 < len(quotes) else len(lines)
        prompt = sum(len(line) for line in lines[first:after])
        answer = sum(len(line.strip()) for line in lines[after:end] if not _SEPARATOR.match(line))
        if after - first > _QUOTED_PROMPT_LINES or answer <= prompt:
            return None
        prompts, answers = prompts + prompt, answers + answer
        exchanges.append((first, after, end))
    return exchanges if answers >= 2 * prompts else None


def _quoted_chat(exchanges: list[tuple[int, int, int]], lines: list[str], filename: str) -> ParseResult:
    """The conversation of a transcript with quoted prompts (`_quoted_exchanges`): a code block right after a quote
    that ends with a colon is the prompt's (the text it asks about), the rest up to the next quote the answer, a
    `---` rule between exchanges no one's. The first `# ` line before the first quote is the title."""
    builder = TurnBuilder()
    for first, after, end in exchanges:
        prompt = [line[2:] if line.startswith("> ") else line[1:] for line in lines[first:after]]
        answer = lines[after:end]
        at = next((i for i, line in enumerate(answer) if line.strip()), len(answer))
        if prompt[-1].rstrip().endswith(":") and at < len(answer) and (fence := opens(answer[at])):
            closing = next(
                (i for i in range(at + 1, len(answer)) if closes(answer[i], fence)), len(answer) - 1
            )
            prompt += answer[at : closing + 1]
            answer = answer[closing + 1 :]
        while answer and (not answer[-1].strip() or _SEPARATOR.match(answer[-1])):
            answer.pop()
        builder.user(_body(prompt))
        builder.text(_body(answer))
    title = next((line[2:].strip() for line in lines[: exchanges[0][0]] if line.startswith("# ")), None)
    try:
        return builder.conversation(filename, title=title)
    except BadRecord as exc:
        return RecordError(str(exc))


def _librechat(lines: list[str], filename: str) -> ParseResult:
    """LibreChat's Markdown export: `# Conversation`, its `- key: value` lines, `## Options`, then `## History`, where
    `**User**` and the assistant's name (the endpoint's or model's label, `**Claude**`, `**LiteLLM**`: the first
    other name on a line of its own) open the messages. A message that is one content part LibreChat could not
    write as text is its JSON: a `think` part is the answer's thinking (an empty one left out); others are
    counted as dropped."""
    fields: dict[str, str] = {}
    start = len(lines)
    for number, line in enumerate(lines):
        if line.strip() == "## History":
            start = number + 1
            break
        if (match := _LIBRECHAT_FIELD.match(line)) is not None:
            fields.setdefault(match.group(1), match.group(2).strip())
    names = [
        (number, match.group(1))
        for number in range(start, len(lines))
        if (match := _LIBRECHAT_SENDER.match(lines[number])) is not None
        and (number == start or not lines[number - 1].strip())
    ]
    answerer = next((name for _, name in names if name != "User"), None)
    markers = [(number, name) for number, name in names if name in ("User", answerer)]
    builder = TurnBuilder()
    for position, (number, name) in enumerate(markers):
        end = markers[position + 1][0] if position + 1 < len(markers) else len(lines)
        text = _body(lines[number + 1 : end])
        if name == "User":
            builder.user(text)
            continue
        part = _librechat_part(text)
        if part is None:
            _add_answer(builder, text)
        elif part.get("type") == "think":
            builder.thinking(str(part.get("think") or ""))
        else:
            builder.dropped[str(part.get("type"))] += 1
    try:
        conversation = builder.conversation(
            fields.get("conversationId") or filename, title=fields.get("title")
        )
    except BadRecord as exc:
        return RecordError(str(exc))
    conversation.metadata = {key: fields[key] for key in ("endpoint", "model") if fields.get(key)}
    return conversation


def _librechat_part(text: str) -> dict[str, Any] | None:
    """A message that is one content part written as JSON (`{"type":"think","think":"..."}`), else None."""
    if not (text.startswith('{"type":') and text.endswith("}")):
        return None
    try:
        part = decode(text.encode())
    except BadRecord:
        return None
    return part if type(part) is dict else None


importer = MarkdownImporter()
