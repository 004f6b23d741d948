"""Real Markdown exports under tests/fixtures/real_formats/markdown/, copied verbatim:

- claude_exporter_prompt_response.md: Claude Exporter extension output, found in a public repository
  (`## Prompt:` / `## Response:` headings, `**Created:**`-style lines at the top, thinking as a fenced
  `Thought process:` block);
- claude_session_export_h3.md: a Claude Code session exported as Markdown, an excerpt of a file under
  claude-prompts/ in the public repository goodsch/brain_explore (`### User` / `### Assistant` headings,
  a `> date, time` line under each, bodies that are JSON arrays of content blocks).
"""

from __future__ import annotations

import io
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.pairs.detection import detect_pairs

from .helpers import parse_one, turns

MARKDOWN = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "markdown"
EXPORTER = MARKDOWN / "claude_exporter_prompt_response.md"
SESSION = MARKDOWN / "claude_session_export_h3.md"


def _import(path: Path) -> ParsedConversation:
    data = path.read_bytes()
    assert detect_format(data, str(path)) == "markdown"
    # The content alone says markdown: the `.md` name only breaks ties.
    assert detect_format(data, "export.txt") == "markdown"
    return parse_one("markdown", data, str(path))


def test_claude_exporter_prompt_and_response_headings() -> None:
    conversation = _import(EXPORTER)
    assert conversation.title == "Chat context memory limitation"
    assert [turn.role for turn in conversation.turns] == ["user", "assistant", "user", "assistant"]
    first, answer, pushback, revision = conversation.turns
    # The `**User:** PianoMan` / `**Created:**` lines and the time under each heading are not text.
    assert first.text == (
        "Claude, we have an issue trying to start you up a new chat in which you read some chat histories "
        'from the filesystem - it\'s all going into your context and hitting your context ("usage limit") '
        "almost immediately.  And I may only have 8.6 messages left for the 4h 44m.  OY!  Do you have a way "
        "of reading files without them going into Context?"
    )
    assert pushback.text == ("Wrong file system Claude.  I'm talking about the filesystem on my laptop.")
    assert answer.text.startswith("No, I don't have a way to read files without them consuming context.")
    assert answer.text.endswith("There might be a better architectural approach.")
    assert revision.text.startswith("**I cannot read from or write to your laptop's filesystem.")
    # The `Thought process:` fence is a thinking block before the text, never part of the visible text.
    for turn in (answer, revision):
        assert "Thought process" not in turn.text
        assert "````" not in turn.text
        assert [block["type"] for block in turn.blocks or []] == ["thinking", "text"]
    assert answer.blocks is not None
    assert answer.blocks[0]["thinking"].startswith(
        "Weighed file-reading limitations and brainstormed practical workarounds.\n\nThe user is asking"
    )
    assert answer.blocks[0]["thinking"].endswith("Let me be direct and practical about this.")
    assert answer.blocks[1] == {"type": "text", "text": answer.text}


def test_claude_session_export_reads_json_blocks_and_keeps_tool_results_in_the_response() -> None:
    conversation = _import(SESSION)
    assert conversation.title is None  # the exporter's heading on every file is no title
    assert turns(conversation) == [
        (
            "user",
            "i think you are using some incorrect formatting in siyuan. [[ ]] doesnt create links and tags "
            "and metadata dont seem to be correct",
        ),
        (
            "assistant",
            "You're right, let me check what formatting SiYuan actually uses. Let me look at some existing "
            "content to see the correct patterns.\n\nNo tags in the existing content. Let me check the SiYuan "
            "documentation for correct link and tag syntax:",
        ),
    ]
    response = conversation.turns[1]
    assert response.blocks is not None
    assert [block["type"] for block in response.blocks] == ["text", "tool_use", "tool_result", "text"]
    assert response.blocks[1] == {
        "type": "tool_use",
        "id": "toolu_01Nft315DWVTwD35zSNDyDNT",
        "name": "mcp__siyuan-mcp__sql_query",
        "input": {"sql": "SELECT id, content, markdown, tag FROM blocks WHERE tag != '' LIMIT 5"},
    }
    assert response.blocks[2] == {
        "type": "tool_result",
        "tool_use_id": "toolu_01Nft315DWVTwD35zSNDyDNT",
        "content": '{\n  "code": 0,\n  "msg": "",\n  "data": []\n}',
        "is_error": False,
    }
    # The tool output is no user turn, so no pair comes out of it.
    assert detect_pairs(turns(conversation)) == []


def test_only_a_json_array_of_content_blocks_is_read_as_blocks() -> None:
    data = (
        b"### User\n> 12/1/2025, 2:39:24 PM\n\nWhat does this print?\n\n"
        b"### Assistant\n> 12/1/2025, 2:39:29 PM\n\n"
        b'[1, 2]\n\n### User\n\n[{"type": "image", "source": {}}]\n\n'
        b'### Assistant\n\n[{"type": "thinking", "thinking": "An image."}, {"type": "text", "text": "A cat."}]\n'
    )
    conversation = parse_one("markdown", data, "chat.md")
    assert turns(conversation) == [
        ("user", "What does this print?"),
        ("assistant", "[1, 2]"),
        ("user", '[{"type": "image", "source": {}}]'),
        ("assistant", "A cat."),
    ]
    assert conversation.turns[3].blocks == [
        {"type": "thinking", "thinking": "An image."},
        {"type": "text", "text": "A cat."},
    ]


def test_the_first_speaker_heading_picks_the_heading_names() -> None:
    data = b"## User\n\nSummarise.\n\n## Assistant\n\n## Response\n\nShort.\n"
    assert turns(parse_one("markdown", data, "chat.md")) == [
        ("user", "Summarise."),
        ("assistant", "## Response\n\nShort."),
    ]
    data = b"## Prompt:\n\nSummarise.\n\n## Response:\n\n## Assistant\n\nShort.\n"
    assert turns(parse_one("markdown", data, "chat.md")) == [
        ("user", "Summarise."),
        ("assistant", "## Assistant\n\nShort."),
    ]


def test_deeply_nested_brackets_stay_text() -> None:
    deep = "[" * 5000 + "]" * 5000
    data = f"## User\n\nParse this:\n\n## Assistant\n\n{deep}\n".encode()
    assert turns(parse_one("markdown", data, "chat.md"))[1] == ("assistant", deep)


def test_speakers_in_brackets_or_numbered_in_their_heading() -> None:
    """Two real files matched no format: `## [USER]` / `## [ASSISTANT]` with rules between the turns, and
    `## PROMPT 1` / `## RESPONSE 1` (a number after the name)."""
    bracketed = "## [USER]\nWhich port does Redis use?\n\n---\n\n## [ASSISTANT]\n6379 by default.\n\n---\n\n## [USER]\nand TLS?\n\n## [ASSISTANT]\n6380 is common.\n"
    numbered = "# Ports\n\n## PROMPT 1\nWhich port does Redis use?\n\n## RESPONSE 1\n6379 by default.\n\n## PROMPT 2\nand TLS?\n\n## RESPONSE 2\n6380 is common.\n"
    expected = [
        ("user", "Which port does Redis use?"),
        ("assistant", "6379 by default."),
        ("user", "and TLS?"),
        ("assistant", "6380 is common."),
    ]
    for text in (bracketed, numbered):
        assert detect_format(text.encode(), "chat.md") == "markdown"
        assert turns(parse_one("markdown", text.encode(), "chat.md")) == expected
    # A numbered heading of something else stays the answer's text.
    steps = "## User\nHow do I deploy?\n\n## Assistant\nTwo steps.\n\n## Step 2\nPush the tag.\n"
    assert (
        turns(parse_one("markdown", steps.encode(), "chat.md"))[1][1]
        == "Two steps.\n\n## Step 2\nPush the tag."
    )


def test_a_transcript_of_the_persons_messages_only_is_skipped_with_its_reason() -> None:
    """A real Claude Code session turned into Markdown held three `**You:**` messages and no answer: an error saying
    it had no speaker labels before."""
    text = b"# Session\n\n**You:**\n\n<command-name>/clear</command-name>\n\n**You:**\n\nhello?\n"
    assert detect_format(text, "session.md") == "markdown"
    results = list(get_importer("markdown").parse(io.BytesIO(text), "session.md"))
    assert results == [Skipped("transcript holding only the person's messages, no answer")]
    # Prose with a line that starts "User:" is still no transcript.
    assert detect_format(b"Notes\n\nUser: the person who pays.\n\nUser: see above.\n", "notes.md") is None


def test_a_chat_pasted_into_a_message_keeps_its_labels_as_that_messages_text() -> None:
    """A real transcript (`## USER` / `## ASSISTANT`) whose first message pasted an old ChatGPT chat, its "You said:"
    and "ChatGPT said:" lines inside: they made eight turns of four, the real answer merged into a pasted one."""
    text = (
        "# Ports\n\n## USER\nfrom another chat:\n\nYou said:\nis 8080 free?\n\nChatGPT said:\nUsually, yes.\n\n"
        "what do you think?\n\n## ASSISTANT\nCheck with `ss -ltn` first.\n\n## USER\nit's taken\n\n## ASSISTANT\nThen use 8081.\n"
    )
    conversation = parse_one("markdown", text.encode(), "ports.md")
    assert [turn.role for turn in conversation.turns] == ["user", "assistant", "user", "assistant"]
    assert conversation.turns[0].text.startswith("from another chat:\n\nYou said:\nis 8080 free?")
    assert conversation.turns[1].text == "Check with `ss -ltn` first."


def test_q_and_a_headings_with_every_message_quoted() -> None:
    """A real transcript (a ChatGPT exporter's): `## Q:` / `## A:` headings, each message quoted below, a rule after
    each answer; it matched no format. A quote inside one message of an ordinary transcript stays a quote."""
    text = (
        "# Digits\n\n## Q:\n> Remember 1 7 9 3.\n\n> Can you?\n\n## A:\n> Sure, I have them.\n------------------------\n\n"
        "## Q:\n> Sum them.\n\n## A:\n> The sum is 20.\n> It has 2 digits.\n------------------------\n"
    )
    conversation = parse_one("markdown", text.encode(), "Digits.md")
    assert turns(conversation) == [
        ("user", "Remember 1 7 9 3.\n\nCan you?"),
        ("assistant", "Sure, I have them."),
        ("user", "Sum them."),
        ("assistant", "The sum is 20.\nIt has 2 digits."),
    ]
    ordinary = "## User\n> the error says: port in use\n\n## Assistant\nStop the old server first.\n\n## User\nthanks\n\n## Assistant\nYou're welcome.\n"
    assert (
        parse_one("markdown", ordinary.encode(), "chat.md").turns[0].text == "> the error says: port in use"
    )


def test_emoji_in_the_bold_label_a_heading_with_the_message_and_french_labels() -> None:
    """Three real transcripts that matched no format: `**☺️ User:**` / `**🤖 Claude:**`; `## User: <the message>`
    headings with `**Claude:**:` answers; `Utilisateur : ...` / `Assistant : ...` lines, each exchange under a
    `[2026-06-16T03:50:12]` stamp."""
    emoji = "**\u263a\ufe0f User:** make a quiz\n\n**\U0001f916 Claude:**  Here is the quiz.\n\n**\u263a\ufe0f User:** ten questions, not five\n\n**\U0001f916 Claude:** Now ten.\n"
    headed = "## User: which database for OLAP?\n**Claude:**: DuckDB, embedded.\n\n## User:and why not Postgres?\n**Claude:**Row storage scans slower.\n"
    french = "# Historique\n\n[2026-06-16T03:50:12]\nUtilisateur : Analyse le projet.\nAssistant : Fiche générée.\n\n[2026-06-16T07:21:33]\nUtilisateur : Masque le bouton.\nAssistant : Bouton masqué.\n"
    for text, expected in (
        (emoji, ["make a quiz", "Here is the quiz.", "ten questions, not five", "Now ten."]),
        (
            headed,
            [
                "which database for OLAP?",
                "DuckDB, embedded.",
                "and why not Postgres?",
                "Row storage scans slower.",
            ],
        ),
        (french, ["Analyse le projet.", "Fiche générée.", "Masque le bouton.", "Bouton masqué."]),
    ):
        assert detect_format(text.encode(), "chat.md") == "markdown"
        conversation = parse_one("markdown", text.encode(), "chat.md")
        assert [turn.text for turn in conversation.turns] == expected
        assert [turn.role for turn in conversation.turns] == ["user", "assistant", "user", "assistant"]


def test_a_claude_exporters_turn_comments_are_not_words() -> None:
    text = (
        "## \U0001f464 User\n\n<!-- TURN 1 TYPE:USER START -->\n\ncan it run on an iPhone?\n\n<!-- TURN 1 TYPE:USER END -->\n\n"
        "## \U0001f916 Assistant\n\n<!-- TURN 2 TYPE:ASSISTANT START -->\n\nYes, as a web app.\n\n<!-- TURN 2 TYPE:ASSISTANT END -->\n"
    )
    assert turns(parse_one("markdown", text.encode(), "claude-conversation.md")) == [
        ("user", "can it run on an iPhone?"),
        ("assistant", "Yes, as a web app."),
    ]


def test_chatgpts_page_copied_in_chinese_with_its_first_prompt_unlabelled() -> None:
    """A real copy of ChatGPT's page in Traditional Chinese: "ChatGPT 說" ("ChatGPT said", with a full-width colon), "記憶已更新"
    ("memory updated"), "複製程式碼" ("copy code") under a code block's language, and the first prompt with no label
    (it matched no format; in English the first prompt was lost)."""
    text = (
        "Write a haiku about rain\nChatGPT \u8aaa\uff1a\nChatGPT\n\u8a18\u61b6\u5df2\u66f4\u65b0\nSoft rain on the roof.\n\n"
        "\u4f60\u8aaa\uff1a\nshorter please\nChatGPT \u8aaa\uff1a\nRain. Roof. Sleep.\n"
    )
    assert detect_format(text.encode(), "chatgpt.txt") == "markdown"
    conversation = parse_one("markdown", text.encode(), "chatgpt.txt")
    assert turns(conversation) == [
        ("user", "Write a haiku about rain"),
        ("assistant", "Soft rain on the roof."),
        ("user", "shorter please"),
        ("assistant", "Rain. Roof. Sleep."),
    ]
    english = "Skip to content\nChatGPT 4o\nWrite a haiku about rain\nChatGPT said:\nSoft rain.\nYou said:\nshorter\nChatGPT said:\nRain.\n"
    assert turns(parse_one("markdown", english.encode(), "chat.md"))[0] == (
        "user",
        "Write a haiku about rain",
    )


def test_a_custom_gpts_page_copied_whole_names_its_answers_by_the_gpts_name() -> None:
    # A real copy of a chat with a custom GPT: the first prompt unlabelled, then `You said:` and `<GPT> said:`.
    data = (
        b"I want a protocol for threshold keys on Hedera\n"
        b"Hedera Hivemind said:\n\nGreat idea. Use a KeyList with a threshold.\n\n"
        b"You said:\nthis doesn't sound right, the dapps should not route transactions through us\n"
        b"Hedera Hivemind said:\n\nGot it: the protocol only publishes the key lists.\n"
    )
    assert detect_format(data, "chatgpt_conversation.md") == "markdown"
    chat = parse_one("markdown", data, "chatgpt_conversation.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert turns(chat)[0] == ("user", "I want a protocol for threshold keys on Hedera")
    # Without the person's `You said:` labels, "<Name> said:" is text.
    assert detect_format(b"Intro\nThe Mayor said:\nno.\n", "notes.md") is None


def test_a_chatgpt_page_copy_loses_citation_marks_pills_and_the_message_box() -> None:
    # Real ChatGPT pages copied whole: citation marks kept in the Private Use Area or, stripped of those characters,
    # as bare words; a searched answer's pills ("GitHub", "+2"), its "Sources" button; the message box's "No file
    # chosen"; and a copy that starts in the middle of an answer whose prompt is not in it.
    data = (
        "the tail of an earlier answer, whose prompt the copy does not hold:\n"
        "1. open the settings of the game and find the key bindings page\n"
        "2. set the walk key to the one the script sends, then save and restart the game once\n\n"
        "You said:\nwhat key is Like?\n\n"
        "ChatGPT said:\n\ue200i\ue202turn0image0\ue201Absolutely! The key is 5. \ue200cite\ue202turn0search0\ue201\n"
        "Run it as admin.\nGitHub\n+2\nAWS Documentation\n+2\n\nSources\n\n"
        "You said:\nand Call Out?\n\n"
        "ChatGPT said:\niturn0image0It is 5 too. citeturn0search1\n\n\n\nNo file chosenNo file chosen\n"
        "ChatGPT can make mistakes. Check important info.\n"
    ).encode()
    chat = parse_one("markdown", data, "page.md")
    assert turns(chat) == [
        ("user", "what key is Like?"),
        ("assistant", "Absolutely! The key is 5.\nRun it as admin."),
        ("user", "and Call Out?"),
        ("assistant", "It is 5 too."),
    ]
    assert chat.dropped["citation mark"] == 6
    assert chat.dropped["answer without its prompt"] == 1


def test_bing_chats_markdown_export_is_the_question_and_its_answer_without_sources() -> None:
    data = (
        "# What are the pros and cons of markdown?\n\nMarkdown is a lightweight markup language¹⁴.\n\n"
        "- It is quick to write²\n\nI hope this helps. 😊\n\n"
        "Source: Conversation with Bing, 3/9/2023(1) Pros and Cons. https://example.com/a Accessed 3/9/2023.\n"
        "(2) Markdown vs. alternatives. https://example.com/b Accessed 3/9/2023.\n"
    ).encode()
    assert detect_format(data, "What are the pros and cons of markdown.md") == "markdown"
    chat = parse_one("markdown", data, "What are the pros and cons of markdown.md")
    assert chat.title == "What are the pros and cons of markdown?"
    assert turns(chat) == [
        ("user", "What are the pros and cons of markdown?"),
        (
            "assistant",
            "Markdown is a lightweight markup language.\n\n- It is quick to write\n\nI hope this helps. 😊",
        ),
    ]
    assert chat.dropped == {"citation mark": 2, "sources": 1}


def test_speaker_labels_with_a_model_a_note_an_emoji_or_a_time_after_the_name() -> None:
    # Real transcripts: `**Claude (Opus 4.6):**`; `**👤 User (學生)**` / `**🤖 AI 助理**` with a full-width colon;
    # a person's initials beside `**ChatGPT:**`; Gemini CLI's `/chat share` (`## USER 🧑‍💻`, `## MODEL ✨`, its setup
    # message first); the claude-export extension's `## 🧑 human _(Aug 25, 2024, 02:16 PM)_`.
    cases = {
        "**User:**\nfind the bug\n\n**Claude (Opus 4.6):**\nIt is the off-by-one in line 3.\n": "It is the off-by-one in line 3.",
        "**👤 User (學生)\uff1a**\n幫我查天氣\n\n**🤖 AI 助理\uff1a**\n好的\uff0c這是程式碼。\n": "好的\uff0c這是程式碼。",
        "**GG:**\nwrite a fortune program\n\n**ChatGPT:**\nHere it is.\n\n**GG:**\nshorter\n\n**ChatGPT:**\nDone.\n\n"
        "**GG:**\nthanks\n\n**ChatGPT:**\nYou're welcome.\n": "Here it is.",
        "## USER 🧑‍💻\n\nThis is the Gemini CLI. We are setting up the context for our chat.\nMy OS is darwin.\n\n---\n\n"
        "## USER 🧑‍💻\n\nhow do I simulate a drone track?\n\n---\n\n## MODEL ✨\n\nStep it with noise.\n": "Step it with noise.",
        "# Upgrade\n\n## 🧑 human _(Aug 25, 2024, 02:16 PM)_\n\nhow do I upgrade it?\n\n"
        "## 🤖 assistant _(Aug 25, 2024, 02:16 PM)_\n\nRun pip install -U.\n": "Run pip install -U.",
    }
    for text, answer in cases.items():
        data = text.encode()
        assert detect_format(data, "chat.md") == "markdown", text
        chat = parse_one("markdown", data, "chat.md")
        assert chat.turns[0].role == "user", text
        assert chat.turns[1].text == answer, text
    gemini = parse_one("markdown", next(k for k in cases if "Gemini CLI" in k).encode(), "chat.md")
    assert gemini.turns[0].text == "how do I simulate a drone track?"
    assert gemini.turns[0].blocks is not None
    assert gemini.turns[0].blocks[0]["tag"] == "gemini-cli setup"


def test_a_bold_name_with_a_full_width_colon_opens_a_message() -> None:
    """Eleventh fetch: a Taiwanese summary of a chat (`**使用者**` / `**ChatGPT**` and a full-width colon inside the
    bold, the message on the same line, the author's own bold notes between) matched no format."""
    data = (
        "# 對話摘要\n\n**使用者\uff1a** 幫我寫 LED 閃爍程式。\n\n**ChatGPT\uff1a** 提供 GPIO2 的閃爍程式碼。\n\n"
        "**結果\uff1a** 第1章完成。\n\n**使用者\uff1a** 燈沒有閃 一直亮著。\n\n**ChatGPT\uff1a** 改用 delay(500) 的修正版。\n"
    )
    chat = parse_one("markdown", data.encode(), "summary.md")
    assert turns(chat) == [
        ("user", "幫我寫 LED 閃爍程式。"),
        ("assistant", "提供 GPIO2 的閃爍程式碼。\n\n**結果\uff1a** 第1章完成。"),
        ("user", "燈沒有閃 一直亮著。"),
        ("assistant", "改用 delay(500) 的修正版。"),
    ]


def test_a_transcript_that_quotes_the_persons_messages_and_writes_the_answers_plain() -> None:
    # A Claude chat and a ChatGPT session saved by hand that way (two real files): `> prompt`, then the answer; a
    # code block after a prompt ending with a colon is the prompt's.
    data = (
        "# Charla con ChatGPT\n\n> ¿Cómo estás?\n\nEstoy funcionando correctamente y listo para ayudarte.\n\n---\n\n"
        "> Corrige esto:\n\n```\nHemos de tener en cuenta uno barbacoa.\n```\n\n"
        "Hay un error: «uno barbacoa» debe ser «una barbacoa».\n\n---\n\n"
        "> no, el error está en otra palabra\n\nTienes razón: además «Hemos de» es correcto, el único error es «uno».\n"
    ).encode()
    assert detect_format(data, "sesionChatGPT.md") == "markdown"
    chat = parse_one("markdown", data, "sesionChatGPT.md")
    assert chat.title == "Charla con ChatGPT"
    assert [role for role, _ in turns(chat)] == ["user", "assistant"] * 3
    assert turns(chat)[2] == ("user", "Corrige esto:\n```\nHemos de tener en cuenta uno barbacoa.\n```")
    assert turns(chat)[3] == ("assistant", "Hay un error: «uno barbacoa» debe ser «una barbacoa».")
    # A document that quotes now and then (a callout, two quotes, long quotes) is no transcript.
    notes = b"# Notes\n\n> **Note**\n> read this\n\nText.\n\n> a quote\n\nMore text here.\n\n> another\n\nAnd more.\n"
    assert detect_format(notes, "notes.md") is None
    two = b"# Notes\n\n> a quote\n\nSome text about it.\n\n> another quote\n\nMore text about that.\n"
    assert detect_format(two, "notes.md") is None


def test_bare_me_and_chatgpt_labels_above_quoted_messages() -> None:
    """A hand-saved ChatGPT log (twelfth fetch, matched no format): `Me:` / `ChatGPT:` alone on their lines, each
    message quoted below its label, and the last label quoted along with its message."""
    data = (
        "\n# Conversation with ChatGPT\nMe:\n> how do I reverse a list in Python?\n\nChatGPT:\n> Use slicing:\n>\n"
        "> ```\n> items[::-1]\n> ```\n> It returns a new list.\n\nMe:\n> Keep going\n\n> ChatGPT:\n"
        "> Or call `items.reverse()` to reverse it in place.\n"
    )
    assert detect_format(data.encode(), "chatgpt-log.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "chatgpt-log.md")
    assert turns(chat) == [
        ("user", "how do I reverse a list in Python?"),
        ("assistant", "Use slicing:\n\n```\nitems[::-1]\n```\nIt returns a new list."),
        ("user", "Keep going"),
        ("assistant", "Or call `items.reverse()` to reverse it in place."),
    ]
    assert chat.title == "Conversation with ChatGPT"
    assert chat.dropped == {}
    # A quoted label the file never writes unquoted is the quote's text.
    quoted = data.replace("\nChatGPT:\n", "\nAssistant:\n")
    assert turns(parse_one("markdown", quoted.encode(), "log.md"))[2][1] == (
        "Keep going\n\nChatGPT:\nOr call `items.reverse()` to reverse it in place."
    )


def test_a_chat_archives_claude_code_session_with_timed_headings_and_tool_lines() -> None:
    """A chat-archive tool's Markdown of a Claude Code session (twelfth fetch, matched no format): `### User | <time>`
    / `### Assistant | <time>`, each tool call an `[tool_use: Name]` section and each result a `### User` section
    opening `[tool_result] `; the front matter and the banner are no turn."""
    data = (
        '---\ntype: "chat-session"\nsource: "claude-code-cli"\nsession_id: "5f0c"\ntitle: "Review the parser tests"\n'
        "---\n\n# Review the parser tests\n\n> **claude-code-cli** | 2026-05-13 | 5 msgs (2 user / 3 assistant)\n\n"
        "## Transcript\n\n### User | 2026-05-13T13:04:42.531Z\n\nReview tests/test_parser.py for weak assertions.\n\n"
        "### Assistant | 2026-05-13T13:04:48.359Z\n\nI'll read the test file first.\n\n"
        "### Assistant | 2026-05-13T13:04:48.930Z\n\n[tool_use: Read]\n\n### User | 2026-05-13T13:04:49.817Z\n\n"
        "[tool_result] 1\timport pytest\n2\tdef test_parse():\n... [+80 chars truncated]\n\n"
        "### Assistant | 2026-05-13T13:05:10.002Z\n\n## Review\n\nOne assertion is weak: `assert result`.\n"
    )
    assert detect_format(data.encode(), "session.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "session.md")
    assert [turn.role for turn in chat.turns] == ["user", "assistant"]
    assert chat.turns[0].text == "Review tests/test_parser.py for weak assertions."
    assert chat.title == "Review the parser tests"
    blocks = chat.turns[1].blocks or []
    assert [(b["type"], b.get("name") or b.get("text") or b.get("content")) for b in blocks] == [
        ("text", "I'll read the test file first."),
        ("tool_use", "Read"),
        ("tool_result", "1\timport pytest\n2\tdef test_parse():\n... [+80 chars truncated]"),
        ("text", "## Review\n\nOne assertion is weak: `assert result`."),
    ]
    assert chat.dropped == {}


def test_an_authors_section_heading_between_exchanges_closes_no_answer() -> None:
    # A real development log: `### User` / `### AI`, the exchanges grouped under `## Phase N - ...` headings.
    data = (
        b"# AI Development Log\n\n## Phase 1 - Platform\n\n### User\n\nWhich simulator?\n\n### AI\n\nUse SUMO.\n\n"
        b"---\n\n## Phase 2 - Topic\n\n### User\n\nWhat should I study?\n\n### AI\n\nAdaptive signals.\n\n## Why\n\nThey matter.\n"
    )
    chat = parse_one("markdown", data, "chat_log.md")
    assert turns(chat) == [
        ("user", "Which simulator?"),
        ("assistant", "Use SUMO."),
        ("user", "What should I study?"),
        ("assistant", "Adaptive signals.\n\n## Why\n\nThey matter."),
    ]
    assert chat.dropped == {"section heading": 1}


def test_a_named_assistants_heading_after_the_persons_is_the_answer() -> None:
    """A Google Antigravity transcript (thirteenth fetch, skipped as prompts only): `### User:` / `### Antigravity
    AI:` between `---` rules, the agent's notes several sections in a row; a prompt's pasted Python traceback, whose
    `~~~^^^` marks open no code block."""
    data = (
        "# Full Chat Conversation Transcript\n\n### User:\nadd a login page\n\n---\n\n### Antigravity AI:\n"
        "I will look at the routes first.\n\n---\n\n### Antigravity AI:\nDone! The page is at /login.\n\n---\n\n"
        '### User:\nTraceback (most recent call last):\n  File "app.py", line 3, in <module>\n    run()\n'
        "    ~~~^^\nKeyError: 'user'\n\nbroken\n\n---\n\n### Antigravity AI:\nFixed! The session key was missing.\n"
    )
    assert detect_format(data.encode(), "transcript.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "transcript.md")
    assert turns(chat) == [
        ("user", "add a login page"),
        ("assistant", "I will look at the routes first.\n\nDone! The page is at /login."),
        (
            "user",
            'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    run()\n    ~~~^^\n'
            "KeyError: 'user'\n\nbroken",
        ),
        ("assistant", "Fixed! The session key was missing."),
    ]
    assert chat.title == "Full Chat Conversation Transcript"


def test_a_citation_pages_user_input_and_llm_output_headings() -> None:
    """A course project's AI-citation page (thirteenth fetch, skipped as prompts only): `## Prompt`, then
    `### User Input` and `### LLM Output`; one prompt's text right under `## Prompt`, a commented-out heading last."""
    data = (
        "# Backend Tests\n\nSome tests were written with AI help; the prompts are cited below.\n\n"
        "LLM Model used: Claude 3.7 Sonnet\n\n## Prompt\n\n### User Input\n\nhow do I mock the db client?\n\n"
        "### LLM Output\n\nPatch it with `unittest.mock.patch`.\n\n## Prompt\n\n### User Input\n\n"
        "that's not it, the chain must be mocked too\n\n### LLM Output\n\nYou're right - mock each call.\n\n"
        "## Prompt\n\nnow the storage module\n\n### LLM Output\n\nHere are the storage tests.\n\n<!-- ## Prompt -->\n"
    )
    assert detect_format(data.encode(), "backend-tests.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "backend-tests.md")
    assert turns(chat) == [
        ("user", "how do I mock the db client?"),
        ("assistant", "Patch it with `unittest.mock.patch`."),
        ("user", "that's not it, the chain must be mocked too"),
        ("assistant", "You're right - mock each call."),
        ("user", "now the storage module"),
        ("assistant", "Here are the storage tests."),
    ]
    assert chat.title == "Backend Tests"
    assert chat.dropped == {"comment": 1}


def test_a_transcript_quoted_whole_is_read_without_its_quote_marks() -> None:
    """A page quoting a Claude Code session (thirteenth fetch, matched no format): front matter and a title, then
    every line `> `-quoted, `**human:**` / `**claude:**`, two messages of the person in a row."""
    data = (
        "---\none-liner: Three tries to serve a file\n---\n\n# Just Serve It\n\n"
        "> **human:** Why two servers?\n>\n> **claude:** The browser can't run TypeScript.\n>\n"
        "> A bundler is needed.\n>\n> **human:** Stop\n>\n> **human:** The runtime transpiles it.\n>\n"
        "> **claude:** Right. One server now.\n"
    )
    assert detect_format(data.encode(), "serve.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "serve.md")
    assert turns(chat) == [
        ("user", "Why two servers?"),
        ("assistant", "The browser can't run TypeScript.\n\nA bundler is needed."),
        ("user", "Stop\n\nThe runtime transpiles it."),
        ("assistant", "Right. One server now."),
    ]
    assert chat.title == "Just Serve It"
    # A note that only quotes now and then stays no transcript.
    assert (
        detect_format(b"# Notes\n\n> a quote\n> more of it\n\nText.\n\n> another\n> line\n", "n.md") is None
    )


def test_a_portuguese_or_korean_page_copy_loses_its_file_input_and_copy_buttons() -> None:
    """ChatGPT's page copied in Portuguese (thirteenth fetch): the message box's "Nenhum arquivo escolhido" and the
    help button's "?" under the last answer; in Korean, each code block's "코드 복사" (Copy code) button."""
    portuguese = (
        "Você disse:\ncomo somo dois números?\nO ChatGPT disse:\nUse o operador +.\n\n"
        "Nenhum arquivo escolhidoNenhum arquivo escolhido\n?\n"
    )
    chat = parse_one("markdown", portuguese.encode(), "copia.txt")
    assert turns(chat) == [("user", "como somo dois números?"), ("assistant", "Use o operador +.")]
    assert chat.dropped == {"page text": 2}
    korean = "나의 말:\n설치 명령?\nChatGPT의 말:\n다음을 실행하세요:\n\nbash\n코드 복사\npip install demo\n"
    chat = parse_one("markdown", korean.encode(), "readme.md")
    assert turns(chat) == [
        ("user", "설치 명령?"),
        ("assistant", "다음을 실행하세요:\n\nbash\npip install demo"),
    ]
    assert chat.dropped == {"page text": 1}
