# ruff: noqa: RUF001 - the expected turns of Russian and Japanese transcripts
"""Markdown and text shapes of third-party exporters, hand-written in tests/fixtures/real_formats/
markdown_exporters/ from the exporters' source and real files in public repositories:

- claude_chat_exporter_timed.md: agarwalvishal/claude-chat-exporter, `## Human (Mar 3, 2026, 9:12 AM):` headings
  (a time in brackets after the name) and `---` between messages;
- claude_export_italic.md: ryanschiang/claude-export, `_Prompt_:` / `_Claude_:` lines and a time in backticks;
- gemini_emoji_you.md: a Gemini exporter, `## 👤 You` / `## 🤖 Gemini` headings;
- nexus_callouts.md: Obsidian's Nexus AI Chat Importer, YAML front matter, `# Title: ...`, one callout per
  message (`>[!nexus_user] **User** - date`) with its text quoted and a `<!-- UID -->` comment after it;
- you_chatgpt_rules.md: `**You:**` / `**ChatGPT:**` with `* * *` rules between messages;
- socketteer_text.txt: socketteer/Claude-Conversation-Exporter's text export, `Human:` / `Assistant:` for the
  first message of each side and `H:` / `A:` after;
- cursor_export.md: Cursor's "Export Chat", `**User**` / `**Cursor**` alone on a line between `---` rules;
- windsurf_cascade.md: Windsurf's Cascade export, `### User Input` / `### Planner Response`;
- perplexity_export.md: Perplexity's "Export as Markdown", its logo, each question an `# ` heading, citation
  marks, a hidden citation list, a centred `⁂` and the sources as footnotes;
- librechat_export.md: LibreChat's Markdown export, its fields, options and history, `**User**` and the model's label
  as speakers, thinking written as a JSON content part, a bold line of the answer's own;
- perplexport_thread.md: perplexport's Markdown of a Perplexity thread, YAML front matter, `# Me` and
  `# Perplexity` headings between `---` rules, the answer's own headings one level down;
- poe_log.txt: a Poe conversation saved by PoeLog, `Conversation with <bot> (N messages)`, then `Human:` and
  `<bot>:` alone on their lines;
- claude_chat_ru_headings.md: a person's own script saving Claude Code's chat in Russian (seen in a real file):
  `### Пользователь [17:49:08]` / `### Claude [17:49:29]`, a time in square brackets, several `Claude` sections
  in a row between `---` rules, and a background task's `<task-notification>` written as the person's message;
- handle_headings_ja.md: a Japanese blog's transcript (seen in a real file): `## <the person's handle>` /
  `## chatgpt`, after a `## 所感` ("impressions") section and a rule;
- cursor_unclosed_fence.md: a Cursor export whose prompt opens a code block and never closes it (seen in a real
  Russian export): the rule and the next `**Cursor**` end it;
- persona_bold_colon.md: a persona bot's transcript for a course project (seen in a real file): `**User**:` and the
  bot's own name in bold with a colon (`**Chef Remy**:`), two spaces closing each line;
- trae_chat_history.md: a chat history the TRAE IDE's agent wrote out (seen in a real file): `**用户**:` with the
  request fenced below it, `**TRAE**:` with the answer;
- chatgpt_page_copy.txt and chatgpt_page_copy_headings.md: ChatGPT's page selected whole and copied, as people
  paste it into notes and READMEs (seen in many real files): "You said:" / "ChatGPT said:" on lines of their own or
  made headings, with what the page adds: "Skip to content", a project link and the title with its model label,
  "Updated saved memory", the assistant's name above an answer, the model label under it, the disclaimer or "still
  generating" under the last one;
- gemini_page_copy.txt: Gemini's page copied whole (seen in real files): "You said" / "Gemini said" without a colon.
- github_copilot_page_copy.txt: GitHub Copilot's chat on github.com copied whole (seen in real files): `You said:
  <first words>` with the whole message on the next line; copilot_page_copy.txt: Microsoft Copilot's page ("You
  said" / "Copilot said", "See my thinking", a code block's `Copy` button under its language's name);
- amp_thread.md, zed_agent_panel.md, zed_agent_panel_2025.md: Amp's thread Markdown and Zed's agent panel opened
  as Markdown, now and before its 2025 rewrite (`## Agent`), whose tool calls and results are bold lines with their
  JSON or output (the shapes of real exported threads and of Zed's `to_markdown`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.conversations.reading import prepare
from app.db import session_scope
from app.pairs.models import Pair

from .helpers import parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "markdown_exporters"

EXPECTED = {
    "obsidian-copilot/copilot-conversations/Fix_the_cron_schedule@20250502_081500.md": (
        "Cron for weekdays at 9",
        [
            ("user", "Give me a cron line that runs backup.sh at 9:00 on weekdays."),
            ("assistant", "Use this:\n\n```\n0 9 * * 1-7 /opt/backup.sh\n```\n\nThat runs at 09:00 every weekday."),
            ("user", "That's wrong, 1-7 includes the weekend. Weekdays are Monday to Friday."),
            ("assistant", "You're right, 1-7 covers every day. Monday to Friday is 1-5:\n\n```\n0 9 * * 1-5 /opt/backup.sh\n```"),
        ],
    ),
    "obsidian-copilot/copilot-conversations/Untitled@20240610_120000.md": (
        None,
        [
            ("user", "What's the difference between git fetch and git pull?"),
            (
                "assistant",
                "`git fetch` downloads new commits without touching your branch; `git pull` fetches and then merges "
                "(or rebases) them into it.",
            ),
        ],
    ),
    "claude_chat_exporter_timed.md": (
        "Conversation with Claude",
        [
            ("user", "Which HTTP status should an API return when a resource was deleted?"),
            ("assistant", "Return **200 OK** with the deleted resource in the body."),
            ("user", "that's not it, our API has no body on deletes. what's the usual code then?"),
            ("assistant", "Good point: with no body, return **204 No Content**.\n\n```http\nHTTP/1.1 204 No Content\n```"),
        ],
    ),
    "claude_export_italic.md": (
        "Pick A Status Code",
        [
            ("user", "Which HTTP status means the client must log in first?"),
            ("assistant", "Use 403 Forbidden."),
            ("user", "no, 403 is for a logged-in user without permission. i mean not logged in at all"),
            ("assistant", "Right, that is 401 Unauthorized: the request lacks valid credentials."),
        ],
    ),
    "gemini_emoji_you.md": (
        "Rename a branch",
        [
            ("user", "How do I rename my current git branch?"),
            ("assistant", "Use `git branch -m new-name`."),
            ("user", "and on the remote? it still shows the old name"),
            ("assistant", "Push the new name and delete the old one:\n\n```\ngit push origin -u new-name\n"
                          "git push origin --delete old-name\n```"),
        ],
    ),
    "nexus_callouts.md": (
        "Rename a branch",
        [
            ("user", "How do I rename my current git branch?"),
            ("assistant", "Use:\n\n```bash\ngit branch -m new-name\n```"),
            ("user", "that only renames it locally, the remote still has the old name"),
            ("assistant", "You're right. Push the new name and delete the old one:\n\n"
                          "> Note: open pull requests on the old branch close."),
        ],
    ),
    "you_chatgpt_rules.md": (
        None,
        [
            ("user", "What's the capital of Australia?"),
            ("assistant", "Sydney is the capital of Australia."),
            ("user", "wrong, it's canberra"),
            ("assistant", "You're right, the capital is Canberra."),
        ],
    ),
    "socketteer_text.txt": (
        None,
        [
            ("user", 'Which status code means "too many requests"?'),
            ("assistant", "503 Service Unavailable."),
            ("user", "no, that's for an overloaded server. rate limits have their own code"),
            ("assistant", "Correct, it is 429 Too Many Requests."),
        ],
    ),
    "claude_chat_ru_headings.md": (
        "Чат Claude — 2026-05-29_18-00",
        [
            ("user", "Напиши bash-скрипт, который каждые 5 минут делает коммит папки notes в git."),
            (
                "assistant",
                "Проверю, что git установлен, и создам скрипт.\n\nВот скрипт `autosave.sh`:\n\n```bash\n#!/bin/bash\n"
                'cd ~/notes && git add -A && git commit -m "autosave"\n```\n\nДобавьте его в cron: '
                "`*/5 * * * * ~/autosave.sh`.\n\nФоновая проверка завершилась без ошибок.",
            ),
            (
                "user",
                "не работает: когда нет изменений, git commit возвращает ошибку и cron шлёт мне письмо каждые 5 минут",
            ),
            (
                "assistant",
                "Вы правы. Коммит нужен только при изменениях:\n\n```bash\n#!/bin/bash\n"
                'cd ~/notes && git add -A && git diff --cached --quiet || git commit -m "autosave"\n```',
            ),
        ],
    ),
    "handle_headings_ja.md": (
        None,
        [
            ("user", "ゆっくり茶番劇を知っていますか？"),
            ("assistant", "はい、知っています。ゆっくり茶番劇は、合成音声で二人のキャラクターが掛け合いをする動画の形式です。"),
            ("user", "それを最初に作ったのはニコニコ動画のユーザーですか？"),
            ("assistant", "はい、2008年ごろにYouTubeで始まったとされています。"),
            ("user", "いいえ、YouTubeではなくニコニコ動画です。"),
            ("assistant", "失礼しました。おっしゃるとおり、ゆっくり茶番劇はニコニコ動画で広まった形式です。"),
        ],
    ),
    "cursor_unclosed_fence.md": (
        "Rolling mean per sensor",
        [
            (
                "user",
                "Add a rolling mean per sensor to the notebook. Requirements:\n\n1. **Rolling window of 7 readings**:\n"
                '   ```python\n   # one column per sensor, NaN for the first 6 readings\n   df["rolling"] = ...\n\n'
                "Keep the raw column as it is.",
            ),
            (
                "assistant",
                'Added it to `EDA.ipynb`:\n\n```python\ndf["rolling"] = df.groupby("sensor")["value"]'
                '.transform(lambda s: s.rolling(7).mean())\n```',
            ),
            ("user", "the first rows are NaN for every sensor, I wanted min_periods=1 so they are not empty"),
            (
                "assistant",
                "You're right, with `min_periods=1` the first rows average what is there:\n\n```python\n"
                'df["rolling"] = df.groupby("sensor")["value"].transform(lambda s: s.rolling(7, min_periods=1).mean())'
                "\n```",
            ),
        ],
    ),
    "persona_bold_colon.md": (
        "Chef Remy — Conversation Evidence (3 Turns)",
        [
            ("user", "I only have an hour, what can I make with chicken thighs and rice?"),
            (
                "assistant",
                "One-pan chicken and rice: brown the thighs, toast the rice in the fat, add stock and bake 45 minutes "
                "at 190 °C.",
            ),
            ("user", "that's too long, the oven takes 15 minutes just to heat up and I said an hour total"),
            (
                "assistant",
                "You're right, skip the oven: simmer it covered on the stove for 25 minutes, then rest it 5. You are "
                "eating in 40.",
            ),
            ("user", "perfect. what wine goes with it?"),
            ("assistant", "A dry white such as a Sauvignon Blanc, or a light red like a Beaujolais."),
        ],
    ),
    "trae_chat_history.md": (
        "SHOP 项目聊天历史记录",
        [
            ("user", "```\n帮我把 orders 表按月份分区\n```"),
            (
                "assistant",
                "我来为 orders 表按 `created_at` 的月份建立分区：\n\n```sql\nCREATE TABLE orders_2025_12 PARTITION OF "
                "orders FOR VALUES FROM ('2025-12-01') TO ('2026-01-01');\n```",
            ),
            ("user", "```\n不对，orders 还不是分区表，直接 PARTITION OF 会报错\n```"),
            (
                "assistant",
                "你说得对！需要先把 orders 建成分区表，再迁移数据：\n\n```sql\nCREATE TABLE orders_new (LIKE orders) "
                "PARTITION BY RANGE (created_at);\n```",
            ),
        ],
    ),
    "chatgpt_page_copy.txt": (
        None,
        [
            ("user", "what is the capital of australia"),
            ("assistant", "The capital of Australia is Sydney, its largest city."),
            ("user", "that's wrong, it's canberra"),
            (
                "assistant",
                "You're right, the capital is Canberra. Sydney is the largest city, but Canberra was chosen as a "
                "compromise between Sydney and Melbourne.",
            ),
        ],
    ),
    "chatgpt_page_copy_headings.md": (
        None,
        [
            ("user", "plan three days in kyoto for me, we love food and temples"),
            (
                "assistant",
                "Day 1: Fushimi Inari at dawn, then Nishiki Market for lunch.\n\nDay 2: Arashiyama bamboo grove and "
                "Tenryu-ji.\n\nDay 3: Kinkaku-ji, then dinner in Pontocho.",
            ),
            (
                "user",
                "day 2 is a monday and tenryu-ji garden is fine but the bamboo grove is packed by 8, you put it at noon",
            ),
            ("assistant", "Good catch: go at 7:00, before the crowds, then Tenryu-ji when it opens at 8:30."),
        ],
    ),
    "gemini_page_copy.txt": (
        None,
        [
            ("user", "write a python script that opens an html page saying happy 45th birthday"),
            ("assistant", "Here is a script using the webbrowser module: it writes birthday.html and opens it."),
            ("user", "it opens a blank tab on windows, the file path is wrong"),
            ("assistant", "You are right: on Windows the path needs the file:/// prefix. Use pathlib.Path.as_uri()."),
        ],
    ),
    "cursor_export.md": (
        "Count rows per day in pandas",
        [
            ("user", "how do I count rows per day in this dataframe? `ts` is a datetime column"),
            ("assistant", 'Group by the date part of `ts`:\n\n```python\ncounts = df.groupby(df["ts"].dt.date).size()\n```'),
            ("user", "that drops the days with no rows, I need zeros for those too"),
            ("assistant", "Right, `groupby` only sees dates that occur. Resample over the full range instead:\n\n"
                          '```python\ncounts = df.set_index("ts").resample("D").size()\n```\n\nDays without rows get a count of 0.'),
        ],
    ),
    # Windsurf writes the same heading on every export: no title (eighth fetch), the first prompt names the chat.
    "windsurf_cascade.md": (
        None,
        [
            ("user", "why does `npm test` hang after all tests pass?"),
            ("assistant", "Jest waits for open handles. Run `npx jest --detectOpenHandles` to see which one keeps the process alive."),
            ("user", "it says the pg pool. but we already call pool.end() in afterAll"),
            ("assistant", "Then the pool is created again after `afterAll` runs: `db.ts` builds it on import, and one test file "
                          "imports it late. Create the pool lazily and end the same instance:\n\n```ts\nlet pool: Pool | undefined;\n"
                          "export const getPool = () => (pool ??= new Pool());\nafterAll(() => pool?.end());\n```"),
        ],
    ),
    "perplexity_export.md": (
        "what is the boiling point of water at the top of mount everest",
        [
            ("user", "what is the boiling point of water at the top of mount everest"),
            ("assistant", "Water boils at about **70 °C** at the summit of Mount Everest, because the air pressure there "
                          "is about a third of sea level."),
            ("user", "that seems too low? other sources say 86"),
            ("assistant", "You're right to check: 70 °C was wrong. At the summit (about 34 kPa) water boils at roughly "
                          "**71 °C**; 86 °C is the figure at Everest Base Camp (5,364 m).\n\n| Place | Pressure | Boiling point |\n"
                          "| :-- | :-- | :-- |\n| Sea level | 101 kPa | 100 °C |\n| Base Camp | 53 kPa | about 86 °C |\n"
                          "| Summit | 34 kPa | about 71 °C |"),
        ],
    ),
    "librechat_export.md": (
        "Cron for the first Monday",
        [
            ("user", "Give me a cron line that runs report.sh at 8:00 on the first Monday of every month."),
            ("assistant", "Use both fields:\n\n```\n0 8 1-7 * 1 /opt/report.sh\n```\n\n**Note**\n\n"
                          "Cron reads this as the 1st to 7th or any Monday."),
            ("user", "that's wrong, with both fields set cron runs it on every Monday too, not only the first one"),
            ("assistant", "You're right: when both day fields are restricted, cron runs on either. Restrict the days in "
                          "cron and check the weekday in the command:\n\n```\n0 8 1-7 * * [ \"$(date +\\%u)\" = 1 ] "
                          "&& /opt/report.sh\n```"),
        ],
    ),
    "perplexport_thread.md": (
        None,
        [
            ("user", "which port does postgres listen on by default?"),
            ("assistant", "PostgreSQL listens on **port 3306** by default."),
            ("user", "that's mysql's port, not postgres"),
            ("assistant", "You're right, 3306 is MySQL's. PostgreSQL listens on **port 5432** by default; change it with "
                          "`port` in `postgresql.conf`.\n\n## Checking the port\n\n```bash\nsudo ss -ltnp | grep postgres\n```"),
        ],
    ),
    "poe_log.txt": (
        None,
        [
            ("user", 'Translate "see you tomorrow" into Japanese.'),
            ("assistant", "また明日 (mata ashita)."),
            ("user", "that's casual, I need the polite form for my boss"),
            ("assistant", "For your boss, say また明日よろしくお願いします (mata ashita yoroshiku onegaishimasu), or simply "
                          "失礼します (shitsurei shimasu) when you leave the office."),
        ],
    ),
}  # fmt: skip


def _parse(name: str) -> ParsedConversation:
    data = (ROOT / name).read_bytes()
    assert detect_format(data[:65536], name) == "markdown"
    assert detect_format(data[:65536], "export") == "markdown"  # the content alone says so
    return parse_one("markdown", data, name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_exporter_shape_reads_as_its_turns(name: str) -> None:
    title, expected = EXPECTED[name]
    conversation = _parse(name)
    assert turns(conversation) == expected
    if title is not None:
        assert conversation.title == title


def test_short_prefixes_count_only_after_the_long_ones() -> None:
    faq = b"# FAQ\n\nQ: Can I pay by card?\nA: Yes, every major card.\n\nH: 9 to 5\n"
    assert detect_format(faq, "faq.md") is None
    answer_with_a_line = (
        b"User: list the options\n\nAssistant: Two options:\nA: the fast one\nH: the slow one\n"
    )
    conversation = parse_one("markdown", answer_with_a_line, "chat.md")
    # No `Human:` came first, so `H:` / `A:` are lines of the answer.
    assert turns(conversation) == [
        ("user", "list the options"),
        ("assistant", "Two options:\nA: the fast one\nH: the slow one"),
    ]
    # After both long forms, `A:` in an answer is still text: a short form only opens the other side's turn.
    socketteer = b"Human: list them\n\nAssistant: Two:\nA: fast\n\nH: and a third?\n\nA: C: cheap\n"
    assert turns(parse_one("markdown", socketteer, "chat.txt")) == [
        ("user", "list them"),
        ("assistant", "Two:\nA: fast"),
        ("user", "and a third?"),
        ("assistant", "C: cheap"),
    ]


def test_bare_exporter_names_in_an_answer_stay_text() -> None:
    data = b"User: write me a prompt\n\nAssistant: Here it is:\nPrompt: summarize the text\nYou: a helpful editor\n"
    conversation = parse_one("markdown", data, "chat.md")
    assert turns(conversation)[1] == (
        "assistant",
        "Here it is:\nPrompt: summarize the text\nYou: a helpful editor",
    )


def test_a_callout_that_names_no_speaker_is_text() -> None:
    data = (
        (ROOT / "nexus_callouts.md")
        .read_bytes()
        .replace(b"> Use:\n", b"> Use:\n>\n> >[!tip] Branch names\n> > keep them short\n")
    )
    assistant = turns(parse_one("markdown", data, "note.md"))[1]
    assert assistant[1].startswith("Use:\n\n>[!tip] Branch names\n> keep them short")


def test_every_shape_imports_with_its_pair_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="exporters", workers=0)
    assert (summary.conversations_added, summary.errors) == (28, [])
    assert summary.pairs_detected == 27
    again = run_import(engine, paths=[ROOT], source="exporters", workers=0)
    assert again.conversations_added == 0
    with session_scope(engine, read_only=True) as session:
        assert session.execute(select(func.count()).select_from(Pair)).scalar_one() == 27


@pytest.mark.parametrize(
    "notice",
    [
        "Thought for 7 seconds",
        "Reasoned for 1m 12s",
        "Thought for a few seconds",
        "Raisonnement terminé pendant 10 secondes",
        "Raisonnement terminé",
        "Réflexion durant une seconde",
        "Nachgedacht für 11s",
        "Pensé pendant20s",  # ChatGPT Exporter drops the space of the French label
        # Ninth fetch: ChatGPT Exporter in Chinese, page copies in Dutch, Polish and Korean.
        "已推理，持续 22 秒",
        "Nagedacht gedurende 52s",
        "4 seconden nagedacht",
        "Myślał przez 59s",
        "41s 동안 생각함",
    ],
)
def test_the_thinking_time_above_an_answer_is_left_out(notice: str) -> None:
    """ChatGPT's page shows how long a reasoning model thought above its answer; ChatGPT Exporter's Markdown keeps
    that line (seen in real exports, in English and French). It is not the answer's."""
    data = (
        "# Retry with backoff\n\n**User:** Dana\n**Created:** 5/2/2025 9:14\n\n## Prompt:\n"
        "How long should the first retry wait?\n\n## Response:\n"
        f"{notice}\n\nStart at 100 ms and double it, with jitter.\n"
    ).encode()
    conversation = parse_one("markdown", data, "ChatGPT-Retry with backoff.md")
    assert turns(conversation)[1] == ("assistant", "Start at 100 ms and double it, with jitter.")
    assert conversation.dropped == {"thinking time": 1}
    # A sentence that starts the same way is the answer's.
    kept = data.replace(
        f"{notice}\n\n".encode(), b"Thought for a moment about your setup: start at 100 ms.\n\n"
    )
    assert turns(parse_one("markdown", kept, "x.md"))[1][1].startswith("Thought for a moment")


def test_cascade_actions_are_the_agents_tool_calls_not_the_persons_words() -> None:
    """Windsurf's Cascade export writes the agent's actions as italic lines of their own, also right after the
    person's input (the agent took them before its first answer), as real exports in public repositories show."""
    data = (
        b"# Cascade Chat Conversation\n\n  Note: _This is purely the output of the chat conversation._\n\n"
        b"### User Input\n\nthe totals are off by a cent, fix it\n\n"
        b"*Viewed [Invoice.java](file:///home/ana/shop/src/Invoice.java) *\n\n*Grep searched codebase*\n\n"
        b"*Found code context*\n\n"
        b"### Planner Response\n\nThe totals are summed as `double`; I'll switch them to `BigDecimal`.\n\n"
        b"*Edited relevant file*\n\n*User accepted the command `mvn -q test`*\n\n### Planner Response\n\n"
        b"*Rounding happens once, at the end.* The totals now add up to the cent.\n"
    )
    conversation = parse_one("markdown", data, "cascade.md")
    assert turns(conversation) == [
        ("user", "the totals are off by a cent, fix it"),
        (
            "assistant",
            "The totals are summed as `double`; I'll switch them to `BigDecimal`.\n\n"
            "*Rounding happens once, at the end.* The totals now add up to the cent.",
        ),
    ]
    blocks = conversation.turns[1].blocks or []
    assert [(b["type"], b.get("name")) for b in blocks] == [
        ("tool_use", "Viewed"),
        ("tool_use", "Grep searched codebase"),
        ("tool_use", "Found code context"),
        ("text", None),
        ("tool_use", "Edited relevant file"),
        ("tool_use", "User accepted the command"),
        ("text", None),
    ]
    assert blocks[5]["input"] == "`mvn -q test`"


def test_librechat_keeps_its_thinking_and_fields() -> None:
    conversation = _parse("librechat_export.md")
    assert conversation.external_id == "7d1e4b90-3a2c-4f58-9e07-b6c2d8a1f354"
    assert conversation.metadata == {"endpoint": "openAI", "model": "gpt-4.1"}
    # The think part before the first answer is its thinking; the empty one before the second is left out.
    assert [b["type"] for b in conversation.turns[1].blocks or []] == ["thinking", "text"]
    assert conversation.turns[3].blocks is None


def test_chatgpt_exporters_reasoning_summary_is_thinking() -> None:
    """ChatGPT Exporter writes a reasoning model's summary as a quote above the answer, each step's title in bold
    (seen in a real 2026 export); in other Markdown a quote that opens an answer stays the answer's."""
    data = (
        b"# Lockfile drift\n\n**User:** Anonymous  \n**Created:** 3/2/2026 9:10:11  \n**Exported:** 3/2/2026 9:30:02  \n\n"
        b"## Prompt:\n3/2/2026, 9:10:09 AM\n\nnpm ci fails on the CI runner but works on my laptop\n\n"
        b"## Response:\n3/2/2026, 9:10:15 AM\n\n> **Comparing environments**\n>\n"
        b"> The lockfile was written by a newer npm than the runner has.\n>\n> **Checking versions**\n>\n> \n\n"
        b"Pin the npm version on the runner to the one that wrote `package-lock.json`.\n"
    )
    conversation = parse_one("markdown", data, "ChatGPT-Lockfile drift.md")
    assert turns(conversation)[1] == (
        "assistant",
        "Pin the npm version on the runner to the one that wrote `package-lock.json`.",
    )
    blocks = conversation.turns[1].blocks or []
    assert blocks[0] == {
        "type": "thinking",
        "thinking": "**Comparing environments**\n\nThe lockfile was written by a newer npm than the runner has.\n\n"
        "**Checking versions**",
    }
    plain = data.replace(b"**Exported:** 3/2/2026 9:30:02  \n", b"")
    assert turns(parse_one("markdown", plain, "x.md"))[1][1].startswith("> **Comparing environments**")


@pytest.mark.parametrize(
    "footer",
    [
        "Powered by [Claude Exporter](https://www.claudexporter.com)",
        "Powered by [ChatGPT Exporter](https://www.chatgptexporter.com)",
        "Powered by [Gemini Exporter](https://www.ai-chat-exporter.com)",
    ],
)
def test_the_exporters_footer_is_not_the_last_answers(footer: str) -> None:
    """Every real file of these browser extensions ends with its footer after a rule; it is not what the model
    said (and would be trained on as if it were)."""
    data = (
        "# Undo a commit\n\n## Prompt:\nhow do I undo the last commit but keep my changes?\n\n"
        "## Response:\nRun `git reset --soft HEAD~1`: the commit goes, the changes stay staged.\n\n\n\n---\n"
        f"{footer}\n"
    ).encode()
    conversation = parse_one("markdown", data, "Claude-Undo a commit.md")
    assert turns(conversation)[-1] == (
        "assistant",
        "Run `git reset --soft HEAD~1`: the commit goes, the changes stay staged.",
    )


def test_gemini_exporters_escaped_prompts_are_unescaped() -> None:
    """Gemini Exporter writes the person's prompt with Markdown's characters escaped (`file\\_processing`,
    `prelude::\\*`, seen in a real export); the answers it writes as they are."""
    data = (
        b"# Thread cleanup\n\n**Exported:** 11/6/2025 13:14:12  \n\n## Prompt:\n"
        b"use rayon::prelude::\\*;\nfn remove\\_dir\\_later(path: &str) \\-> Result\\<()\\> { }\n"
        b"why is remove\\_dir\\_all slow?\n\n"
        b"## Response:\n`remove_dir_all` walks the tree and unlinks each file \\* one at a time.\n\n---\n"
        b"Powered by [Gemini Exporter](https://www.geminiexporter.com)\n"
    )
    conversation = parse_one("markdown", data, "Gemini-Thread cleanup.md")
    assert turns(conversation) == [
        (
            "user",
            "use rayon::prelude::*;\nfn remove_dir_later(path: &str) -> Result<()> { }\nwhy is remove_dir_all slow?",
        ),
        ("assistant", "`remove_dir_all` walks the tree and unlinks each file \\* one at a time."),
    ]


def test_open_webuis_markdown_keeps_reasoning_as_thinking() -> None:
    """Open WebUI's Markdown export writes the answer as Open WebUI stores it, the reasoning in a `<details
    type="reasoning">` element (seen in a real export), read as the JSON export's are."""
    data = (
        b"### USER\nWhat is a race condition?\n\n### ASSISTANT\n"
        b'<details type="reasoning" done="true" duration="2">\n<summary>Thought for 2 seconds</summary>\n'
        b"> They want a definition and an example.\n</details>\n"
        b"A race condition is when the result depends on the timing of threads that share state.\n"
    )
    conversation = parse_one("markdown", data, "chat-export.md")
    assert turns(conversation)[1] == (
        "assistant",
        "A race condition is when the result depends on the timing of threads that share state.",
    )
    assert (conversation.turns[1].blocks or [])[0] == {
        "type": "thinking",
        "thinking": "They want a definition and an example.",
    }


def test_an_emphasized_speaker_made_a_heading_still_opens_a_message() -> None:
    """A real Copilot for Obsidian chat opens with `# **user**: ...` (the speaker line made a heading)."""
    name = "obsidian-copilot/copilot-conversations/Fix_the_cron_schedule@20250502_081500.md"
    data = (ROOT / name).read_bytes().replace(b"\n**user**: Give me", b"\n# **user**: Give me", 1)
    assert b"# **user**:" in data
    conversation = parse_one("markdown", data, "chat.md")
    assert turns(conversation) == EXPECTED[name][1]


def test_a_background_tasks_notice_is_context_not_the_persons_words() -> None:
    conversation = _parse("claude_chat_ru_headings.md")
    # The harness's notice became context of the next prompt; the answers around it are one response.
    assert conversation.turns[2].blocks == [
        {
            "type": "context",
            "tag": "task-notification",
            "text": "<task-id>b7731</task-id>\n<status>completed</status>",
        }
    ]


def test_a_handle_must_come_before_the_assistant_more_than_once() -> None:
    # One unknown heading before an answer is a section of the document, not a speaker.
    once = "## Notes\n\nread later\n\n## chatgpt\n\nSure.\n\n## chatgpt\n\nAnd more.\n"
    assert detect_format(once.encode(), "notes.md") is None
    # Headings of another level are not the person's either.
    other_level = "### hanako\n\nhi\n\n## chatgpt\n\nhello\n\n### hanako\n\nbye\n\n## chatgpt\n\nbye\n"
    assert detect_format(other_level.encode(), "notes.md") is None


def test_a_code_block_inside_an_answer_keeps_a_rule_and_a_speaker_name() -> None:
    # Only an unclosed block ends at a rule and a speaker: a closed one keeps what it quotes.
    data = (
        "**User**\n\nshow me the export format\n\n---\n\n**Cursor**\n\nLike this:\n\n```markdown\n---\n\n"
        "**User**\n\nhello\n```\n\nThat is all.\n"
    )
    assert turns(parse_one("markdown", data.encode(), "chat.md")) == [
        ("user", "show me the export format"),
        ("assistant", "Like this:\n\n```markdown\n---\n\n**User**\n\nhello\n```\n\nThat is all."),
    ]


def test_an_unknown_bold_name_is_a_speaker_only_where_it_answers_the_known_one() -> None:
    # The name that answers the person twice (`**Bot**:`) speaks; one that follows them once (`**Note**:`) is text.
    data = "**User**: hi\n\n**Note**: later\n\n**User**: and again\n\n**Bot**: hello\n\n**User**: x\n\n**Bot**: y\n"
    assert turns(parse_one("markdown", data.encode(), "chat.md")) == [
        ("user", "hi\n\n**Note**: later\n\nand again"),
        ("assistant", "hello"),
        ("user", "x"),
        ("assistant", "y"),
    ]
    # A single exchange: the one name after the person's one message is enough.
    single = "**User**: hi\n\n**Coach**: hello there\n"
    assert turns(parse_one("markdown", single.encode(), "chat.md")) == [
        ("user", "hi"),
        ("assistant", "hello there"),
    ]
    # Bold names alone, no known speaker: not a transcript.
    assert detect_format(b"**Summary**: fine\n\n**Risks**: none\n", "notes.md") is None


def test_what_chatgpts_page_adds_around_a_copied_answer_is_dropped_and_counted() -> None:
    assert _parse("chatgpt_page_copy_headings.md").dropped == {"page text": 4}
    assert _parse("chatgpt_page_copy.txt").dropped == {"page text": 1}
    # "You said:" inside an answer's code block stays code; a JSON array is still no Markdown.
    data = b"You said:\nshow me\nChatGPT said:\n```\nYou said:\n```\n"
    assert turns(parse_one("markdown", data, "copy.txt"))[1] == ("assistant", "```\nYou said:\n```")
    assert detect_format(b'[{"role": "user", "content": "You said:"}]', "a.json") != "markdown"


@pytest.mark.parametrize(
    "data",
    [
        # French and Spanish pages, as real copies show them: the labels, the thinking time, the memory notice.
        "Ignorer et passer au contenu\nVous avez dit :\nle script tourne encore\nChatGPT a dit :\n\n"
        "Réflexion durant 12s\nTue-le avec kill.\nVous avez dit :\nça ne marche pas\nChatGPT a dit :\nArrête le service.\n",
        "Dijiste:\nel script sigue corriendo\nChatGPT dijo:\nMemoria actualizada\nPensado durante 8s\n\nMátalo con kill.\n"
        "Dijiste:\nno funciona\nChatGPT dijo:\nDetén el servicio.\n",
        "Du hast gesagt:\ndas Skript läuft noch\nChatGPT hat gesagt:\nBeende es mit kill.\nDu hast gesagt:\n"
        "geht nicht\nChatGPT hat gesagt:\nStoppe den Dienst.\n",
        # Ninth fetch: Italian, Korean and Japanese copies matched no format; Russian, Dutch and Polish labels as
        # copies in public repositories write them.
        "Hai detto:\nlo script gira ancora\nChatGPT ha detto:\nFermalo con kill.\nHai detto:\nnon funziona\n"
        "ChatGPT ha detto:\nFerma il servizio.\n",
        "나의 말:\n스크립트가 아직 돌아가\nChatGPT의 말:\n\n41s 동안 생각함\n\nkill로 종료하세요.\n나의 말:\n안 돼\n"
        "ChatGPT의 말:\n서비스를 중지하세요.\n",
        "あなた:\nスクリプトがまだ動いている\nChatGPT:\n\nkill で止めてください。\nあなた:\n止まらない\nChatGPT:\n"
        "サービスを停止してください。\n",
        "Вы сказали:\nскрипт всё ещё работает\nChatGPT сказал:\nОстанови его через kill.\nВы сказали:\nне работает\n"
        "ChatGPT сказал:\nОстанови службу.\n",
        "Je zei:\nhet script draait nog\nChatGPT zei:\n\n4 seconden nagedacht\n\nStop het met kill.\nJe zei:\n"
        "werkt niet\nChatGPT zei:\nStop de service.\n",
        "Powiedziałeś(-aś):\nskrypt nadal działa\nChatGPT powiedział:\nMyślał przez 9s\n\nZatrzymaj go przez kill.\n"
        "Powiedziałeś(-aś):\nnie działa\nChatGPT powiedział:\nZatrzymaj usługę.\n",
    ],
)
def test_chatgpts_page_copied_in_other_languages(data: str) -> None:
    conversation = parse_one("markdown", data.encode(), "copie.txt")
    assert [turn.role for turn in conversation.turns] == ["user", "assistant", "user", "assistant"]
    assert all(
        not turn.text.startswith(("Réflexion", "Pensado", "Memoria", "41s", "4 seconden", "Myślał"))
        for turn in conversation.turns
    )
    assert len(conversation.turns[1].text.splitlines()) == 1


@pytest.mark.parametrize(
    ("name", "calls", "results"),
    [
        ("amp_thread.md", ["Read", "edit_file", "Bash"], 3),
        ("zed_agent_panel.md", ["Read file `src/cli.rs`", "src/cli.rs", "`cargo test cli::`"], 3),
        ("zed_agent_panel_2025.md", ["read_file"], 1),
    ],
)
def test_an_agents_tool_calls_and_results_written_as_bold_lines_are_its_work(
    name: str, calls: list[str], results: int
) -> None:
    # As plain sections, each tool result was the person's turn and each tool step a candidate pair.
    conversation = parse_one("markdown", (ROOT / name).read_bytes(), name)
    said = turns(conversation)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[2][1].startswith("that's wrong")
    blocks = [b for turn in conversation.turns for b in turn.blocks or []]
    assert [b["name"] for b in blocks if b["type"] == "tool_use"] == calls
    assert sum(b["type"] == "tool_result" for b in blocks) == results
    assert "<think" not in said[1][1] + said[3][1]  # Zed's thinking tags are thinking blocks


def test_amp_and_zed_tool_details() -> None:
    amp = parse_one("markdown", (ROOT / "amp_thread.md").read_bytes(), "amp_thread.md")
    assert amp.title == "Stop the importer from double-counting refunds"
    first = amp.turns[1].blocks or []
    assert first[0] == {
        "type": "tool_use",
        "id": None,
        "name": "Read",
        "input": {"path": "/home/ines/books/lib/ledger.ts"},
    }
    assert first[1]["type"] == "tool_result"
    assert first[1]["tool_use_id"] == "toolu_01LedgerRead"
    zed = parse_one("markdown", (ROOT / "zed_agent_panel.md").read_bytes(), "zed.md")
    answer = zed.turns[1].blocks or []
    assert answer[0] == {"type": "thinking", "thinking": "Probably parses a naive datetime. Read it."}
    last = [b for b in zed.turns[3].blocks or [] if b["type"] == "tool_result"]
    assert last[0]["is_error"] is True  # `Status: Failed`
    assert last[0]["content"] == "test cli::since_short_form ... FAILED"
    older = parse_one("markdown", (ROOT / "zed_agent_panel_2025.md").read_bytes(), "zed.md")
    result = next(b for b in older.turns[1].blocks or [] if b["type"] == "tool_result")
    assert result["tool_use_id"] == "toolu_01HookRead"
    assert result["content"].startswith("pub async fn deliver")


def test_copilots_pages_copied_whole() -> None:
    github = parse_one("markdown", (ROOT / "github_copilot_page_copy.txt").read_bytes(), "copilot.txt")
    said = turns(github)
    assert said[0] == (
        "user",
        "how do I cache npm installs in a GitHub Actions workflow?",
    )  # not the label's words
    assert said[1][1].startswith("Use actions/setup-node with its cache input:\n\nYAML\n- uses:")
    assert said[2] == (
        "user",
        "that's wrong, it caches ~/.npm, not node_modules, and our install still takes four minutes",
    )
    microsoft = parse_one("markdown", (ROOT / "copilot_page_copy.txt").read_bytes(), "copilot.txt")
    answers = [text for role, text in turns(microsoft) if role == "assistant"]
    assert answers[0].startswith(
        "Run it inside one transaction so it either applies fully or not at all:\n\nsql\nBEGIN;"
    )
    assert all("See my thinking" not in text and "Copy" not in text for text in answers)
    assert microsoft.dropped == {"page text": 4}  # two "See my thinking", two Copy buttons


def test_cascade_text_after_the_persons_actions_is_the_agents_once() -> None:
    """What follows the person's input in a Cascade section (the agent's actions, among them MCP tool runs and a
    command over several lines that holds backticks itself) is the agent's, read once: not the person's words too."""
    data = (
        b"# Cascade Chat Conversation\n\n### User Input\n\nexport the images to the archive\n\n"
        b"*Listed directory [brain](file:///C:/Users/kim/brain) *\n\n*Running MCP tool*\n\n"
        b'*User accepted the command `$files = @(\n    "map.png"\n)\nforeach ($f in $files) {\n'
        b"    Copy-Item $f `\n      -Destination D:\\archive\n}`*\n\n"
        b"### Planner Response\n\nThe images are in D:\\archive.\n"
    )
    conversation = parse_one("markdown", data, "cascade.md")
    assert turns(conversation) == [
        ("user", "export the images to the archive"),
        ("assistant", "The images are in D:\\archive."),
    ]
    names = [b.get("name") for b in conversation.turns[1].blocks or [] if b["type"] == "tool_use"]
    assert names == ["Listed directory", "Running MCP tool", "User accepted the command"]


def test_grok_exporters_escaped_prompts_are_unescaped() -> None:
    data = (
        b"# Sepsis pipeline\n\n**Exported:** 1/12/2026 10:04:11  \n\n## Prompt:\n"
        b"\\# Review\n\n\\*\\*Context:\\*\\* see project\\_summary.md\n\n"
        b"## Response:\nThe preprocessing misses the SOFA score.\n\n---\n"
        b"Powered by [Grok Exporter](https://www.grokexporter.com)\n"
    )
    conversation = parse_one("markdown", data, "Grok-Sepsis pipeline.md")
    assert turns(conversation)[0] == ("user", "# Review\n\n**Context:** see project_summary.md")


def test_an_export_holding_only_the_answers_is_skipped_with_its_reason() -> None:
    """ChatGPT and Gemini Exporter write only `## Response:` sections where the prompt was not on the page (real
    exports in public repositories): no prompt to pair an answer with, and a reason rather than 'no format'."""
    data = (
        b"# Career advice\n\n**Created:** 11/8/2025 23:03:39  \n**Exported:** 11/9/2025 9:49:52  \n\n"
        b"## Response:\nStart with the fundamentals of the browser.\n\n---\n"
        b"Powered by [ChatGPT Exporter](https://www.chatgptexporter.com)\n"
    )
    assert detect_format(data, "ChatGPT-Career advice.md") == "markdown"
    results = list(get_importer("markdown").parse(io.BytesIO(data), "ChatGPT-Career advice.md"))
    assert results == [Skipped("chat export holding only the answers (its exporter left the prompts out)")]


@pytest.mark.parametrize(
    "divider", ['<div style="text-align: center">⁂</div>', '<div style="text-align:center;">⁂</div>', "⁂"]
)
def test_perplexitys_divider_in_later_exports_is_not_the_answers(divider: str) -> None:
    logo = '<img src="https://r2cdn.perplexity.ai/pplx-full-logo-primary-dark%402x.png" style="height:64px"/>'
    data = (
        f"{logo}\n\n# how long do sourdough starters keep in the fridge\n\n"
        f"About two weeks between feeds; it keeps for months if fed now and then.[^1_1]\n\n"
        f'<span style="display:none">[^1_2]</span>\n\n{divider}\n\n[^1_1]: https://example.org/starter\n\n---\n\n'
        f"# and frozen?\n\nFrozen, it keeps for about a year.[^2_1]\n\n{divider}\n\n[^2_1]: https://example.org/freeze\n"
    ).encode()
    conversation = parse_one("markdown", data, "sourdough.md")
    assert [text for _, text in turns(conversation)][1::2] == [
        "About two weeks between feeds; it keeps for months if fed now and then.",
        "Frozen, it keeps for about a year.",
    ]


def test_a_heading_in_a_perplexity_answer_before_its_divider_is_the_answers() -> None:
    """A real export: the answer opens with a line, a `***` rule, then its own `# ` heading and sections; only the
    `⁂` divider ends an answer. Footnotes numbered without the thread's turn (`[^3]`) are left out too."""
    logo = '<img src="https://r2cdn.perplexity.ai/pplx-full-logo-primary-dark%402x.png" style="height:64px"/>'
    data = (
        f"{logo}\n\n# [Argparse tutorial | Python docs](https://docs.python.org/3/howto/argparse.html)\n\n"
        "Un resumen del tutorial oficial.[^1]\n\n***\n\n# Argumentos posicionales\n\n"
        "Se declaran con `add_argument('nombre')`.\n\n## Opcionales\n\nLlevan guiones: `--verbose`.[^2]\n\n"
        '<div style="text-align: center">⁂</div>\n\n[^1]: https://docs.python.org/3/howto/argparse.html\n\n'
        "[^2]: https://docs.python.org/3/library/argparse.html\n"
    ).encode()
    conversation = parse_one("markdown", data, "argparse.md")
    assert [role for role, _ in turns(conversation)] == ["user", "assistant"]
    assert conversation.turns[1].text == (
        "Un resumen del tutorial oficial.\n\n***\n\n# Argumentos posicionales\n\nSe declaran con "
        "`add_argument('nombre')`.\n\n## Opcionales\n\nLlevan guiones: `--verbose`."
    )


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        ("2026/6/1 上午10:59:07", "2026/6/1 下午2:03:54"),
        ("9/30/2026, 12:37:10 PM", "9/30/2026, 12:38:32 PM · gpt-5-6"),
    ],
)
def test_chatgpt_exporters_time_lines_in_east_asian_locales_and_with_the_model_are_left_out(
    asked: str, answered: str
) -> None:
    data = (
        "# 排程\n\n**Exported:** 2026/6/1\n\n## Prompt:\n"
        f"{asked}\n\ncron 每週一早上八點怎麼寫？\n\n## Response:\n{answered}\n\n`0 8 * * 1`\n\n---\n"
        "Powered by [ChatGPT Exporter](https://www.chatgptexporter.com)\n"
    ).encode()
    conversation = parse_one("markdown", data, "ChatGPT-排程.md")
    assert turns(conversation) == [("user", "cron 每週一早上八點怎麼寫？"), ("assistant", "`0 8 * * 1`")]


def test_gemini_exporters_citation_marks_and_source_chips_are_not_the_answers() -> None:
    data = (
        b"# Onboarding\n\n**Exported:** 5/2/2026 10:00:00\n\n## Prompt:\nSummarise the handbook.\n\n"
        b"## Response:\nNew staff get a buddy for six weeks\\[cite: 4, 7\\].\n\nPDF\\+ 1\n\n"
        b"Leave is booked in the portal\\[cite: 9\\].\n\nPDF\n\n---\n"
        b"Powered by [Gemini Exporter](https://www.ai-chat-exporter.com)\n"
    )
    conversation = parse_one("markdown", data, "Gemini-Onboarding.md")
    assert turns(conversation)[1] == (
        "assistant",
        "New staff get a buddy for six weeks.\n\nLeave is booked in the portal.",
    )
    assert conversation.dropped == {"citation": 4}


def test_an_exporters_file_of_a_document_alone_is_skipped_with_its_reason() -> None:
    """Claude Exporter also exports an artifact: a document with the exporter's footer and no prompt or answer."""
    data = (
        b"# Packing list\n\n## Clothes\n\n- two jumpers\n- rain jacket\n\n## Papers\n\n- passport\n\n---\n"
        b"Powered by [Claude Exporter](https://www.claudexporter.com)\n"
    )
    assert detect_format(data, "Packing list.md") == "markdown"
    results = list(get_importer("markdown").parse(io.BytesIO(data), "Packing list.md"))
    assert results == [Skipped("an exporter's export of a document (an artifact), not of a chat")]


def test_claude_exporters_tool_use_and_untitled_thinking_are_blocks() -> None:
    """Claude Exporter renders Claude's tool use inside the answer (found in a real export, where a past-chats search
    put 20,000 characters of old conversations in the answer's text)."""
    data = (
        b"# Ferry times\n\n**Created:** 2026/3/2 9:00:00\n**Exported:** 2026/3/2 9:30:00\n"
        b"**Link:** [https://claude.ai/chat/0f0e](https://claude.ai/chat/0f0e)\n\n## Prompt:\n"
        b"3/2/2026, 9:01:00 AM\n\nWhen is the last ferry from Split to Hvar?\n\n## Response:\n"
        b"3/2/2026, 9:01:20 AM\n\n````plaintext\nThought process\n\nCheck what we said last time, then search.\n````\n\n"
        b'**conversation_search**\n\n*Request*\n\n````javascript\n{\n  "query": "Hvar ferry"\n}\n````\n\n'
        b"*Response*\n\n````plaintext\nHuman: which ferry to Hvar?\nAssistant: the catamaran\n````\n\n"
        b"````plaintext\nWeb Search: Split Hvar catamaran timetable\n````\n\n"
        b"> **Split - Hvar timetable** [example.org](https://example.org/hvar)\n>\n"
        b"> **Catamaran lines** [example.net](https://example.net/lines)\n\n"
        b"The last catamaran leaves Split at 17:00 in winter.\n\n"
        b"````plaintext\nCreate File: A one-page timetable\n````\n\nI saved the timetable as a file.\n"
    )
    conversation = parse_one("markdown", data, "Claude-Ferry times.md")
    answer = conversation.turns[1]
    assert (
        answer.text
        == "The last catamaran leaves Split at 17:00 in winter.\n\nI saved the timetable as a file."
    )
    blocks = answer.blocks or []
    assert [(b["type"], b.get("name")) for b in blocks] == [
        ("thinking", None),
        ("tool_use", "conversation_search"),
        ("tool_result", None),
        ("tool_use", "Web Search"),
        ("tool_result", None),
        ("text", None),
        ("tool_use", "Create File"),
        ("text", None),
    ]
    assert blocks[0]["thinking"] == "Check what we said last time, then search."
    assert blocks[1]["input"] == {"query": "Hvar ferry"}
    assert blocks[4]["content"].startswith("**Split - Hvar timetable**")


def test_a_converters_role_headings_and_chatgpts_parts_written_as_json() -> None:
    """A converter of ChatGPT's export (real files in public repositories): each message under `### <label> (role)`,
    and parts other than text written as their JSON."""
    thoughts = (
        '{"content_type": "thoughts", "thoughts": [{"summary": "Units", "content": "Convert miles first."}]}'
    )
    data = (
        "### Entrada (user)\n\n"
        '{"content_type": "user_editable_context", "user_profile": "I run marathons.", "user_instructions": "Be brief."}'
        "\n\n### Entrada (user)\n\nHow far is a half marathon in km?\n\n"
        f"### Salida (assistant)\n\n{thoughts}\n\n"
        '### Salida (assistant)\n\n{"content_type": "reasoning_recap", "content": "Thought for 4s"}\n\n'
        "### Salida (assistant)\n\nAbout 21.1 km.\n"
    ).encode()
    conversation = parse_one("markdown", data, "half.md")
    assert conversation.system_prompt == "I run marathons.\n\nBe brief."
    assert turns(conversation) == [
        ("user", "How far is a half marathon in km?"),
        ("assistant", "About 21.1 km."),
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "Convert miles first."},
        {"type": "text", "text": "About 21.1 km."},
    ]
    assert conversation.dropped == {"thinking time": 1}


def test_numbered_speaker_headings_open_messages() -> None:
    """A transcript whose headings number each message (`### 1) User`, `## 2. Assistant`; a real file matched no
    format for the number alone)."""
    data = (
        b"# Transcript\n\n## Conversation Log\n\n"
        b"### 1) User\nRename the config key `timeout` to `timeout_s`.\n\n"
        b"### 2) Assistant\nDone: the key is `timeout_s` in config.py and the docs.\n\n"
        b"### 3) User\nYou forgot the sample .env file.\n\n"
        b"### 4) Assistant\nFixed: `.env.example` now says TIMEOUT_S=30 too.\n"
    )
    assert detect_format(data, "transcript.md") == "markdown"
    conversation = parse_one("markdown", data, "transcript.md")
    assert turns(conversation) == [
        ("user", "Rename the config key `timeout` to `timeout_s`."),
        ("assistant", "Done: the key is `timeout_s` in config.py and the docs."),
        ("user", "You forgot the sample .env file."),
        ("assistant", "Fixed: `.env.example` now says TIMEOUT_S=30 too."),
    ]
    dotted = data.replace(b"### 1) ", b"## 1. ").replace(b"### 2) ", b"## 2. ")
    dotted = dotted.replace(b"### 3) ", b"## 3. ").replace(b"### 4) ", b"## 4. ")
    assert turns(parse_one("markdown", dotted, "transcript.md")) == turns(conversation)


def test_cursor_exports_code_blocks_repeated_after_the_answer_are_left_out() -> None:
    """Cursor's "Export Chat" copies an answer's code blocks again after its last words (`bash` written again as
    `shellscript`; a real export repeated nine): left out and counted, the answer's own blocks kept."""
    data = (
        b"# Disk checks\n_Exported on 2025/12/16 at 16:06:09 from Cursor (2.1.46)_\n\n---\n\n"
        b"**User**\n\nhow do I check disk space?\n\n---\n\n"
        b"**Cursor**\n\nUse `df`:\n\n```bash\ndf -h\n```\n\nAnd for inodes:\n\n```bash\ndf -i\n```\n\n"
        b"Want me to script it?\n\n```shellscript\ndf -h\n```\n\n```shellscript\ndf -i\n```\n\n---\n\n"
        b"**User**\n\nno thanks\n\n---\n\n"
    )
    conversation = parse_one("markdown", data, "cursor_disk_checks.md")
    assert turns(conversation)[1] == (
        "assistant",
        "Use `df`:\n\n```bash\ndf -h\n```\n\nAnd for inodes:\n\n```bash\ndf -i\n```\n\nWant me to script it?",
    )
    assert conversation.dropped == {"repeated code block": 2}


def test_what_zed_attached_to_a_prompt_is_context_not_the_persons_words() -> None:
    """A real Zed thread saved as Markdown: the files the person attached come before their words in a `<context>`
    element Zed opens with its own sentence, and pictures leave a line of their own; a person's own `<context>`
    section stays their words."""
    data = (
        b"# Lunch planner\n\n## User\n\n\n<context>\nThe following items were attached by the user. They are up-to-date "
        b"and don't need to be re-read.\n\n<files>\n```md docs/menu.md\n- soup\n- salad\n```\n</files>\n</context>\n"
        b"Pick a lunch from @menu.md\n\n## Agent\n\nSoup: it is the only warm dish.\n\n## User\n\n"
        b"2 images attached as context.\n\nwhy is the salad missing from the page?\n\n## Agent\n\n"
        b"The page filters dishes without a price, and the salad has none.\n\n## User\n\n"
        b"<context>I am vegetarian.</context> Which is vegetarian?\n\n## Agent\n\nBoth are.\n"
    )
    conversation = parse_one("markdown", data, "lunch.md")
    assert [text for role, text in turns(conversation) if role == "user"] == [
        "Pick a lunch from @menu.md",
        "why is the salad missing from the page?",
        "<context>I am vegetarian.</context> Which is vegetarian?",
    ]
    first = conversation.turns[0].blocks or []
    assert first[0]["tag"] == "attachment"
    assert first[0]["text"].startswith("The following items were attached by the user.")
    assert (conversation.turns[2].blocks or [])[0]["text"] == "2 images attached as context."


def test_reasoning_an_exporter_folds_above_the_answer_is_thinking() -> None:
    """Claude Chat Export Tool (its README's example output) folds Claude's reasoning into `<details>` above the
    answer, `<summary>🧠 Reasoning (3s)</summary>`: a thinking block, its summary a label."""
    data = (
        "# Primes\n\n*Exported on: 1/2/2026, 3:04:05 PM*\n*Total messages: 2*\n\n---\n\n## 👤 User\n\nIs 91 prime?\n\n---\n\n"
        "## 🤖 Claude\n\n<details>\n<summary>🧠 Reasoning (4s)</summary>\n\n91 = 7 × 13.\n\n</details>\n\n"
        "No: 91 is 7 times 13.\n"
    ).encode()
    conversation = parse_one("markdown", data, "primes.md")
    assert conversation.turns[1].text == "No: 91 is 7 times 13."
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "91 = 7 × 13."},
        {"type": "text", "text": "No: 91 is 7 times 13."},
    ]


def test_gemini_style_model_labels_open_answers_only_emphasized() -> None:
    """`**User:**` / `**Model:**`, the names Gemini's API gives the two sides; a bare "Model:" line in an answer (a
    spec sheet) stays text."""
    data = (
        b"**User:** Which laptop should I buy for video editing?\n\n"
        b"**Model:** The X15: 32 GB of memory and a dedicated GPU.\n\nModel: X15, 2026 edition\n\n"
        b"**User:** That one is over my budget.\n\n**Model:** Then the A7: half the price, 16 GB, still a GPU.\n"
    )
    conversation = parse_one("markdown", data, "laptops.md")
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert (
        conversation.turns[1].text
        == "The X15: 32 GB of memory and a dedicated GPU.\n\nModel: X15, 2026 edition"
    )


def test_an_edited_prompts_version_counter_and_an_unexported_artifact_are_not_words() -> None:
    """Two real exports: ChatGPT Exporter copied the page's "2/2" under an edited prompt, and Claude Exporter wrote
    "Viewing artifacts ... isn't yet supported on mobile." in a code block wherever an artifact was (eleven times in
    one file), both stored as the message's words before."""
    chatgpt = (
        "# Plan\n\n**User:** Ana\n**Exported:** 6/12/2025 17:55\n\n## Prompt:\nShorter please, one paragraph.\n\n2/2\n\n"
        "## Response:\nSure: the plan fits in one paragraph now.\n"
    )
    conversation = parse_one("markdown", chatgpt.encode(), "Plan.md")
    assert conversation.turns[0].text == "Shorter please, one paragraph."
    assert conversation.dropped == {"version counter": 1}
    claude = (
        "# Claude Conversation\n\n## Prompt:\nadd an upload size limit\n\n## Response:\nCreate the middleware file:\n"
        "```\nViewing artifacts created via the Analysis Tool web feature preview isn\u2019t yet supported on mobile.\n```\n\n"
        "Then register it in main.go.\n"
    )
    conversation = parse_one("markdown", claude.encode(), "Claude_Conversation.md")
    assert conversation.turns[1].text == "Create the middleware file:\n\nThen register it in main.go."
    assert conversation.dropped == {"artifact not exported": 1}
    # A fraction in a prompt's text stays.
    kept = chatgpt.replace("\n\n2/2\n", "\nabout 3/4 of it\n")
    assert parse_one("markdown", kept.encode(), "Plan.md").turns[0].text.endswith("about 3/4 of it")


def test_chatgpts_edit_button_beside_copy_goes_with_it() -> None:
    # ChatGPT's page of 2025 copied whole into a README: each code block opens with its language, Copy and Edit.
    page = (
        "You said:\nhow do I start the terraform project?\n\nChatGPT said:\n\nFrom the project's folder:\n\n"
        "bash\nCopy\nEdit\ncd terraform\nterraform init\n\nThen check the plan:\n\nbash\nCopy\nEdit\nterraform plan\n\n"
        "Edit the variables first if the region differs.\n"
    )
    chat = parse_one("markdown", page.encode(), "README.md")
    assert turns(chat)[1] == (
        "assistant",
        "From the project's folder:\n\nbash\ncd terraform\nterraform init\n\nThen check the plan:\n\nbash\n"
        "terraform plan\n\nEdit the variables first if the region differs.",
    )


def test_claude_exporters_2026_files_fold_thinking_and_steps_and_drop_attachments_and_footer() -> None:
    # Claude Exporter's 2026 Markdown (three real exports): thinking and tool steps as a quote ending in
    # `- **Done**`, attachments as `> File:` lines and preview images, the footer as plain text.
    path = ROOT / "claude_exporter_2026.md"
    chat = parse_one("markdown", path.read_bytes(), path.name)
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[0][1] == "this test fails every night around midnight, why?"
    assert said[1][1].startswith("The test reads `date.today()` twice")
    assert said[3][1].startswith("You're right, no need for a library")
    assert said[3][1].endswith("so a run across midnight sees one day.")
    assert "Powered by" not in said[3][1]
    kinds = [block["type"] for block in chat.turns[3].blocks or []]
    assert kinds == ["thinking", "text", "thinking", "text"]
    thought = (chat.turns[1].blocks or [])[0]
    assert thought["thinking"].startswith("Traced the flaky midnight failure to a date computed twice.")
    assert chat.dropped == {"attachment": 2}
    assert chat.title == "Fixing a flaky date test"


def test_a_page_copy_whose_code_block_lost_its_closing_fence_is_cut_at_the_next_label() -> None:
    # ChatGPT's page copied into READMEs (two real ones): a code block's closing fence did not come along, so every
    # label after it sat inside the block; the next `You said:` ends it.
    page = (
        "You said:\nmake a landing page\nChatGPT said:\nHere it is:\n```html\n<html><body>Plans</body></html>\n"
        "You said:\nadd the tracking snippet to the head\nChatGPT said:\nDone: the snippet is in the head.\n"
    )
    said = turns(parse_one("markdown", page.encode(), "README.md"))
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[1][1] == "Here it is:\n```html\n<html><body>Plans</body></html>"
    assert said[2][1] == "add the tracking snippet to the head"
    # Labels only ever sat inside fences with a language (no bare fence closes them): the file is read at all.
    advice = "Some advice.\n```bash\nnpm install\n\nWant the README?\n\nYou said:\nyes pls\nChatGPT said:\n\nHere it is.\n"
    assert detect_format(advice.encode(), "README.md") == "markdown"


def test_a_transcript_quoted_in_a_closed_code_block_keeps_its_labels_as_code() -> None:
    text = (
        "## User\n\nhow does the copy look?\n\n## Assistant\n\nLike this:\n\n```\nYou said:\nhi\nChatGPT said:\nhello\n```\n\n"
        "That is all.\n"
    )
    said = turns(parse_one("markdown", text.encode(), "notes.md"))
    assert len(said) == 2
    assert "You said:\nhi\nChatGPT said:\nhello" in said[1][1]


def test_geminis_quoted_thinking_under_its_label_is_a_thinking_block() -> None:
    # A Gemini chat exported to Markdown (a real one): the answer opens with its thinking quoted under `> Thinking:`.
    text = (
        "# Spheres or triangles\n\n**Exported:** 9/23/2025 3:12:55  \n"
        "**Link:** [https://gemini.google.com/app/57e7](https://gemini.google.com/app/57e7)\n\n"
        "## Prompt:\ncan a scene be built from spheres instead of triangles?\n\n## Response:\n> Thinking:\n> \n"
        "> **Investigating Alternatives**\n> \n> I'm comparing splats with meshes.\n\n"
        "Yes: Gaussian splatting builds a scene from ellipsoids.\n"
    )
    chat = parse_one("markdown", text.encode(), "gemini.md")
    answer = chat.turns[1]
    assert answer.text == "Yes: Gaussian splatting builds a scene from ellipsoids."
    thought = (answer.blocks or [])[0]
    assert thought["type"] == "thinking"
    assert thought["thinking"].startswith("**Investigating Alternatives**")


def test_chatgpts_shown_work_up_to_its_last_done_is_thinking() -> None:
    # ChatGPT Exporter on a reasoning model's answer with its work shown (a real export): the notice, the steps, the
    # analysis tool's code and its `undefined` output, then "Done" and the answer.
    text = (
        "# Paths\n\n**Exported:** 9/1/2025 10:00:00  \n\n## Prompt:\nwhy does the notebook fail?\n\n## Response:\n"
        "Thought for a second\n\nReading documents\n\nDone\n\nThought for 35s\n\nReading documents\n\n"
        "Inspecting the files\n\n```python\nlist(Path('/mnt/data').iterdir())\n```\n\nundefined\n\nDone\n\n"
        "Short answer: the screenshot is too small to read.\n"
    )
    chat = parse_one("markdown", text.encode(), "paths.md")
    answer = chat.turns[1]
    assert answer.text == "Short answer: the screenshot is too small to read."
    thought = next(b for b in answer.blocks or [] if b["type"] == "thinking")
    assert thought["thinking"].startswith("Reading documents")
    assert "undefined" in thought["thinking"]


def test_a_converters_claude_export_with_folded_verbatim_sections() -> None:
    # A converter of Claude.ai's export (two real files): numbered speaker headings with the time after a dash, and
    # what a message holds besides its words in folded `(verbatim)` sections.
    text = (
        '# Meaning clarification\n\n## Export metadata (verbatim)\n\n```json\n{"uuid": "c1"}\n```\n\n## Transcript\n\n'
        "### 1. human — 2026-03-18T06:27:48.451815Z\n\nWhat does the 529 mean?\n\n"
        '<details>\n<summary>Message metadata (verbatim JSON)</summary>\n\n```json\n{"uuid": "m1"}\n```\n\n</details>\n\n'
        "### 2. assistant — 2026-03-18T06:28:09.153700Z\n\n"
        "<details>\n<summary>Thinking (verbatim)</summary>\n\nAn overloaded error; it retries.\n\n</details>\n\n"
        "<details>\n<summary>tool_use (verbatim JSON)</summary>\n\n```json\n"
        '{"type": "tool_use", "id": "toolu_1", "name": "web_search", "input": {"query": "529"}}\n```\n\n</details>\n\n'
        "<details>\n<summary>tool_result (verbatim JSON)</summary>\n\n```json\n"
        '{"type": "tool_result", "tool_use_id": "toolu_1", "content": "Overloaded"}\n```\n\n</details>\n\n'
        "A 529 means the API is overloaded for now; Claude Code retries by itself.\n"
    )
    chat = parse_one("markdown", text.encode(), "meaning.md")
    assert turns(chat) == [
        ("user", "What does the 529 mean?"),
        ("assistant", "A 529 means the API is overloaded for now; Claude Code retries by itself."),
    ]
    kinds = [block["type"] for block in chat.turns[1].blocks or []]
    assert kinds == ["thinking", "tool_use", "tool_result", "text"]
    assert chat.dropped == {"message metadata": 1}
    assert chat.title == "Meaning clarification"


# From the eighth fetch of real files: shapes written here by hand, each in the form a real file had.


def test_a_deepseek_exporters_answers_under_the_apps_name_and_the_bold_iso_times_left_out() -> None:
    """`## User` / `## DeepSeek` headings, each followed by the message's time in bold (a DeepSeek exporter): read
    as no format, or as a transcript of prompts only, before."""
    data = (
        b"# Checksum\n\n**Created:** 4/28/2025, 11:10:43 AM\n**Exported:** 6/13/2026, 4:05:29 AM\n\n---\n\n"
        b"## User\n**2025-04-28T16:10:43.103Z**\n\nCompute the 16-bit ones' complement checksum of 10110101.\n\n"
        b"## DeepSeek\n**2025-04-28T16:10:43.103Z**\n\nPad the byte to 16 bits first: 0000000010110101.\n\n"
        b"## User\n**2025-04-28T16:11:53.639Z**\n\nyou padded on the wrong side, the byte is the high one\n\n"
        b"## DeepSeek\n**2025-04-28T16:11:53.639Z**\n\nRight: as the high byte it is 1011010100000000.\n"
    )
    chat = parse_one("markdown", data, "DeepSeek-Checksum.md")
    assert turns(chat) == [
        ("user", "Compute the 16-bit ones' complement checksum of 10110101."),
        ("assistant", "Pad the byte to 16 bits first: 0000000010110101."),
        ("user", "you padded on the wrong side, the byte is the high one"),
        ("assistant", "Right: as the high byte it is 1011010100000000."),
    ]


def test_copilots_name_above_each_answer_is_page_text() -> None:
    """Microsoft Copilot's page copied whole writes its name on a line of its own under "Copilot said:": not the
    answer's first word."""
    data = (
        b"You said:\n\nhow do I publish index.html on GitHub Pages?\nCopilot said:\nCopilot\n"
        b"Push it to the repository's root and turn Pages on under Settings.\n\n"
        b"You said:\n\nfile name was index.html.\nCopilot said:\nCopilot\n"
        b"Thanks for confirming. Then check that Pages builds from the main branch.\n"
    )
    chat = parse_one("markdown", data, "copilot.txt")
    answers = [text for role, text in turns(chat) if role == "assistant"]
    assert answers == [
        "Push it to the repository's root and turn Pages on under Settings.",
        "Thanks for confirming. Then check that Pages builds from the main branch.",
    ]
    assert chat.dropped == {"page text": 2}


def test_a_reasoning_models_note_before_its_thinking_time_is_thinking() -> None:
    """ChatGPT Exporter of a French page: the note the model shows as it starts ("Je vérifie ..."), then the time
    it thought ("Pensé pendant20s"), then the answer: the note is thinking, the time left out."""
    data = (
        "# Grammars\n\n**Exported:** 3/13/2026 0:36:21\n\n## Prompt:\nis PCFG the trend?\n\n## Response:\n"
        "Je vérifie rapidement la terminologie, puis je te fais une version propre.\n\nPensé pendant20s\n\n"
        "Yes, structured generation is the broader trend.\n"
    ).encode()
    chat = parse_one("markdown", data, "ChatGPT-Grammars.md")
    answer = chat.turns[1]
    assert answer.text == "Yes, structured generation is the broader trend."
    assert answer.blocks is not None
    assert answer.blocks[0] == {
        "type": "thinking",
        "thinking": "Je vérifie rapidement la terminologie, puis je te fais une version propre.",
    }
    assert chat.dropped == {"thinking time": 1}


def test_an_image_part_written_as_pythons_repr_is_a_dropped_image() -> None:
    """A converter of ChatGPT's export writes an image's part as Python's repr above the prompt's words."""
    data = (
        b"## You (2025-08-27T02:41:58.488000+00:00)\n\n"
        b"{'content_type': 'image_asset_pointer', 'asset_pointer': 'file-service://file-2rYs', 'size_bytes': 616953}\n"
        b"{'content_type': 'image_asset_pointer', 'asset_pointer': 'file-service://file-ArSu', 'size_bytes': 526557}\n"
        b"Write user stories for these two dashboards.\n\n"
        b"## ChatGPT (2025-08-27T02:42:03.064085+00:00)\n\nHere are six user stories.\n"
    )
    chat = parse_one("markdown", data, "user_stories.md")
    assert turns(chat)[0] == ("user", "Write user stories for these two dashboards.")
    assert chat.dropped == {"image": 2}


def test_a_claude_code_converters_tool_lines_are_tool_calls_and_its_commands_context() -> None:
    """A converter of Claude Code's sessions to Markdown: `# Conversation: <name>`, `**Tool: Read**` with its
    arguments fenced as `key: value` pairs, and the harness's caveat and `/exit` command as user sections."""
    data = (
        b"# Conversation: 04_reversed_heuristic\n\n## User\n\nadd the reversed heuristic\n\n"
        b"## Assistant\n\nI'll read the sampler first.\n\n"
        b"## Assistant\n\n**Tool: Read**\n```\nfile_path: /home/m/src/sampler.py\n```\n\n"
        b"## Assistant\n\nDone: the heuristic is in sampler.py.\n\n"
        b"## User\n\n<local-command-caveat>Caveat: The messages below were generated by the user while running "
        b"local commands.</local-command-caveat>\n\n"
        b"## User\n\n<command-name>/exit</command-name>\n            <command-message>exit</command-message>\n"
        b"            <command-args></command-args>\n\n## User\n\n<local-command-stdout>Bye!</local-command-stdout>\n"
    )
    chat = parse_one("markdown", data, "04_reversed_heuristic.md")
    assert chat.title == "04_reversed_heuristic"
    assert [t.role for t in chat.turns] == ["user", "assistant"]
    answer = chat.turns[1]
    assert answer.text == "I'll read the sampler first.\n\nDone: the heuristic is in sampler.py."
    assert answer.blocks is not None
    (call,) = [b for b in answer.blocks if b["type"] == "tool_use"]
    assert call["name"] == "Read"
    assert call["input"] == {"input": "file_path: /home/m/src/sampler.py"}


def test_cursors_notices_that_a_background_task_finished_are_context_not_a_prompt() -> None:
    """Cursor's export writes the harness's notice (its time, `<system_notification>` and the instruction it sends
    the model in a `<user_query>`) as a section of the person's: a prompt of three notices before (eighth fetch)."""
    notice = (
        "<timestamp>Sunday, Jul 26, 2026, 3:22 AM (UTC+2)</timestamp>\n<system_notification>\nThe following task has "
        "finished.\n\n<task>\nkind: shell\nstatus: success\ntitle: List env var names\n</task>\n</system_notification>\n"
        "<user_query>Briefly inform the user about the task result and perform any follow-up actions (if needed)."
        "</user_query>\n"
    )
    data = (
        "**User**\n\nfix the magic link\n\n---\n\n**Cursor**\n\nI'll check the mail setup.\n\n---\n\n"
        f"**User**\n\n{notice}\n{notice}\n---\n\n**Cursor**\n\nBoth env vars are set.\n\n---\n\n"
        "**User**\n\nstill failing with 401\n\n---\n\n**Cursor**\n\nThe key is read from the wrong variable; fixed.\n"
    ).encode()
    chat = parse_one("markdown", data, "cursor_magic_link.md")
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[1].text == "I'll check the mail setup.\n\nBoth env vars are set."
    assert chat.turns[2].text == "still failing with 401"
    assert chat.turns[2].blocks is not None
    assert {b["tag"] for b in chat.turns[2].blocks} == {"timestamp", "system_notification", "user_query"}


def test_a_bare_chatgpt_label_opens_an_answer_only_in_a_japanese_copy() -> None:
    """ "ChatGPT:" alone on a line is the Japanese page's answer label where the person's is "あなた:"; elsewhere it
    is no label of the page's (a transcript's own `User:` / `ChatGPT:` reader takes it, or nothing does)."""
    japanese = "あなた:\n質問です\nChatGPT:\n答えです。\n"
    assert turns(parse_one("markdown", japanese.encode(), "copy.txt")) == [
        ("user", "質問です"),
        ("assistant", "答えです。"),
    ]
    assert detect_format(b"Some notes\nChatGPT:\nan answer\n", "notes.txt") is None


def test_what_localized_pages_add_around_messages_is_dropped() -> None:
    """Ninth fetch: copies in Portuguese, French and Spanish kept the Copy and Edit buttons of each code block, the
    edit box's buttons under a prompt being edited, the message box's file input with the disclaimer (and notes
    pasted under them), and Copilot's "Editar en una página" under each answer."""
    page = (
        "Você disse:\ncomo ordeno a lista?\nO ChatGPT disse:\nAssim:\n\npython\nCopiar\nEditar\nnums.sort()\n"
        "Você disse:\ne ao contrário?\n\nAnnuler\n\nEnvoyer\nO ChatGPT disse:\nUse reverse=True.\n\n\n"
        "Aucun fichier choisiAucun fichier choisi\nChatGPT peut faire des erreurs. Envisagez de vérifier les "
        "informations importantes.\n\n" + "".join(f"notes {n}\n\n" for n in range(10))
    )
    chat = parse_one("markdown", page.encode(), "copie.txt")
    assert turns(chat) == [
        ("user", "como ordeno a lista?"),
        ("assistant", "Assim:\n\npython\nnums.sort()"),
        ("user", "e ao contrário?"),
        ("assistant", "Use reverse=True."),
    ]
    assert chat.dropped == {"page text": 6}
    copilot = (
        "Dijiste\nqué hora es en Lima\nCopilot dijo\nSon las 9.\nEditar en una página\nDijiste\ny en Quito\n"
    )
    copilot += "Copilot dijo\nTambién las 9.\nEditar en una página\n"
    assert [text for _, text in turns(parse_one("markdown", copilot.encode(), "copilot.txt"))][1::2] == [
        "Son las 9.",
        "También las 9.",
    ]


@pytest.mark.parametrize(
    ("data", "said", "dropped"),
    [
        # Eleventh fetch: a Chinese copy in a GitBook note, its labels in bold; the answer pasted above the first
        # label (its prompt not copied) and the model picker's "4o mini" are not turns.
        (
            "---\ndescription: redis\n---\n\n# redis\n\n"
            + "Redis 是一个开源的内存数据结构存储，常用作缓存。" * 12
            + "\n\n4o mini\n\n**您说：**\n\nredis 的持久化有哪些方式\n\n**ChatGPT 说：**\n\n"
            "Redis 有两种持久化方式：**RDB** 和 **AOF**。\n",
            [
                ("user", "redis 的持久化有哪些方式"),
                ("assistant", "Redis 有两种持久化方式：**RDB** 和 **AOF**。"),
            ],
            {"answer without its prompt": 1},
        ),
        # A Spanish copy: "Tú dijiste:", and the plan's name "ChatGPT Plus" where the answer's label was; a README's
        # lines and a greeting above the first prompt.
        (
            '"# Apuntes" \nExplicación de un ejercicio\n¡Hola, Ana! ¿Qué tal tu día? 😊\n\n\n\nTú dijiste:\n'
            "Me explicas este código\ndef doble(x):\n    return x * 2\nChatGPT Plus\n"
            "¡Claro! La función devuelve el doble.\n\npython\nCopiar\nEditar\ndoble(3)  # 6\n",
            [
                ("user", "Me explicas este código\ndef doble(x):\n    return x * 2"),
                ("assistant", "¡Claro! La función devuelve el doble.\n\npython\ndoble(3)  # 6"),
            ],
            {"page text": 2},
        ),
        # An Indonesian copy ("Anda bilang:" / "ChatGPT bilang:", the Copy button "Salin") that opens with the end
        # of an answer.
        (
            "".join(
                f"Menambahkan Kolom {n}\nsql\nSalin\nEdit\nALTER TABLE t ADD COLUMN c{n} INT;\n"
                for n in range(5)
            )
            + "\n\n\nAnda bilang:\nlanjutkan\nChatGPT bilang:\nMengganti Nama Kolom\nsql\nSalin\nEdit\n"
            "ALTER TABLE t RENAME COLUMN a TO b;\n",
            [
                ("user", "lanjutkan"),
                ("assistant", "Mengganti Nama Kolom\nsql\nALTER TABLE t RENAME COLUMN a TO b;"),
            ],
            {"answer without its prompt": 1, "page text": 2},
        ),
    ],
)
def test_chatgpts_page_copied_with_bold_spanish_and_indonesian_labels(
    data: str, said: list[tuple[str, str]], dropped: dict[str, int]
) -> None:
    chat = parse_one("markdown", data.encode(), "copia.md")
    assert turns(chat) == said
    assert chat.dropped == dropped
    # The plan's name opens an answer only in a copy whose prompts carry the page's label.
    assert detect_format(b"Plans\n\nChatGPT Plus\ncosts more.\n", "plans.md") is None


def test_a_reasoning_models_page_copy_opens_unlabelled_answers_at_their_thinking_time() -> None:
    """Eleventh fetch: an o-series chat copied from the page labelled only its last answers; the others open with
    "Reasoned for ..." (twelve prompts and answers were one prompt), the first prompt has no label either."""
    page = (
        "Write a Node server that serves index.js\nwith express.\n\nReasoned for 7 seconds\njavascript\nCopy\n"
        "app.listen(3000);\nYou said:\nnpm start\n\nError: Cannot find module '/app/index.js'\ncode: "
        "'MODULE_NOT_FOUND'\nReasoned for a couple of seconds\nCreate index.js in the project root:\n\njavascript\n"
        "Copy\nrequire('./server');\nA network error occurred. Please check your connection and try again. If this "
        "issue persists please contact us through our help center at help.openai.com.\n\n\n\nYou said:\nworks now\n"
        "ChatGPT said:\nGreat!\n\n\n2/2\n\nYou said:\nthanks\nChatGPT said:\nMemory updated\nYou're welcome.\n"
    )
    chat = parse_one("markdown", page.encode(), "copy.txt")
    assert turns(chat) == [
        ("user", "Write a Node server that serves index.js\nwith express."),
        ("assistant", "javascript\napp.listen(3000);"),
        ("user", "npm start\n\nError: Cannot find module '/app/index.js'\ncode: 'MODULE_NOT_FOUND'"),
        ("assistant", "Create index.js in the project root:\n\njavascript\nrequire('./server');"),
        ("user", "works now"),
        ("assistant", "Great!"),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]
    assert chat.dropped == {"thinking time": 2, "page text": 4, "version counter": 1}
    found = prepare(chat).found_pairs or []
    assert [(f.rejected, f.pushback, f.chosen) for f in found] == [(1, 2, 3)]


def test_a_readme_holding_a_page_copy_under_its_own_headings() -> None:
    """Eleventh fetch: a README (`# About`, `## Tip`, `## Prompt` above the first, unlabelled prompt, `## Second
    Prompt` above "You said:") holding a Ctrl+A copy matched no format: its one heading of a side hid the labels."""
    readme = (
        "# About\n\nNotes on a prompt.\n\n## Tip\n\nAll content below was copied with Ctrl+A from ChatGPT.\n\n"
        "## Prompt\n\nWrite a command that lists the files in src\nChatGPT said:\nUse ls:\n\nls src\n\n"
        "## Second Prompt\nYou said:\nThe command did not list the hidden files, it is wrong\nChatGPT said:\n"
        "You're right: add -a to list them.\n\nls -a src\n\n\nNo file chosenNo file chosen\nChatGPT can make "
        "mistakes. OpenAI doesn't use Acme workspace data to train its models.\n"
    )
    chat = parse_one("markdown", readme.encode(), "README.md")
    assert turns(chat) == [
        ("user", "Write a command that lists the files in src"),
        ("assistant", "Use ls:\n\nls src"),
        ("user", "The command did not list the hidden files, it is wrong"),
        ("assistant", "You're right: add -a to list them.\n\nls -a src"),
    ]
    assert chat.dropped == {"section heading": 1, "page text": 2}
    found = prepare(chat).found_pairs or []
    assert [(f.rejected, f.pushback, f.chosen) for f in found] == [(1, 2, 3)]


def test_the_message_box_text_under_a_copys_last_answer_is_no_part_of_it() -> None:
    """Eleventh fetch: a command the person had typed and not sent, copied with Ctrl+A after two blank lines, was the
    last answer's end. An answer whose own text has such gaps keeps its end."""
    page = (
        "You said:\nhow do I install nginx on Amazon Linux\nChatGPT said:\nRun:\n\nbash\nCopy\nEdit\n"
        "sudo yum install -y nginx\nWould you like a config next?\n\n\nnginx -t \\\n  -c /etc/nginx/nginx.conf\n"
    )
    chat = parse_one("markdown", page.encode(), "copy.txt")
    assert turns(chat)[1] == (
        "assistant",
        "Run:\n\nbash\nsudo yum install -y nginx\nWould you like a config next?",
    )
    assert chat.dropped == {"page text": 2, "unsent message": 1}
    gaps = page.replace("Run:\n\n", "Run:\n\n\n")
    assert turns(parse_one("markdown", gaps.encode(), "copy.txt"))[1][1].endswith("-c /etc/nginx/nginx.conf")


def test_a_canvas_chip_above_prompts_and_a_pasted_front_matter_in_a_page_copy() -> None:
    """Eleventh fetch: a copy of a chat with a canvas open: its chip (the canvas's title, as the panel after the
    disclaimer shows it) above each later prompt; and a pasted Jekyll page lost its front matter's first `---`."""
    page = (
        "Skip to content\nYou said:\nI want a basic homepage\nChatGPT said:\n\nThought for 8s\n"
        'I made a single-file homepage in the canvas.\nYou said:\n---\nlayout: default\ntitle: "Home"\n---\n\n'
        "<h1>Ana</h1>\nThis was my old page. Keep its contents\nChatGPT said:\nDone: the canvas holds your contents.\n"
        "You said:\nHomepage Template (index\nmake the picture smaller\nChatGPT said:\nThe picture is smaller now.\n"
        "\n\n\nNo file chosenNo file chosen\nChatGPT can make mistakes. Check important info.\n\n\n"
        "Homepage Template (index\n1\n2\n3\n<h1>Ana</h1>\n"
    )
    chat = parse_one("markdown", page.encode(), "copy.txt")
    assert turns(chat) == [
        ("user", "I want a basic homepage"),
        ("assistant", "I made a single-file homepage in the canvas."),
        (
            "user",
            '---\nlayout: default\ntitle: "Home"\n---\n\n<h1>Ana</h1>\nThis was my old page. Keep its contents',
        ),
        ("assistant", "Done: the canvas holds your contents."),
        ("user", "make the picture smaller"),
        ("assistant", "The picture is smaller now."),
    ]
    assert chat.dropped == {"thinking time": 1, "canvas reference": 1, "page text": 2}


def test_a_copy_taken_while_chatgpt_wrote_its_last_answer_into_a_canvas() -> None:
    """Twelfth fetch: the last answer held the page's "Answer in chat instead" button, the message box's buttons, the
    disclaimer, the canvas's title and line numbers, then the canvas's text and "ChatGPT is still generating a
    response...": the canvas's text is the answer."""
    page = (
        "Skip to content\nYou said:\nmake a landing page with a signup button\nChatGPT said:\nHere it is:\n\n"
        "html\nCopy\nEdit\n<button>Sign up</button>\nYou said:\nmake it prettier with colors\nChatGPT said:\n\n"
        "Answer in chat instead\n\n\n\nSearch\n\nReason\n\n\nChatGPT can make mistakes. Check important info.\n?\n\n\n"
        "Landing Page\n1\n2\n3\n<!DOCTYPE html>\n<style>button { background: teal; }</style>\n<button>Sign up</button>\n"
        "\n\nChatGPT is still generating a response...\n"
    )
    chat = parse_one("markdown", page.encode(), "copy.md")
    assert turns(chat) == [
        ("user", "make a landing page with a signup button"),
        ("assistant", "Here it is:\n\nhtml\n<button>Sign up</button>"),
        ("user", "make it prettier with colors"),
        (
            "assistant",
            "<!DOCTYPE html>\n<style>button { background: teal; }</style>\n<button>Sign up</button>",
        ),
    ]
    assert chat.dropped == {"page text": 4}  # Copy, Edit; the page around the canvas, the notice


def test_an_indented_title_heading_still_titles_the_chat() -> None:
    """A Cursor export whose `# Title` line is indented by three spaces (ninth fetch): Markdown allows up to three."""
    data = (
        "   # Incandescent perk redesign\n_Exported on 1/31/2026 at 18:00:56 CST from Cursor (2.4.23)_\n\n---\n\n"
        "**User**\n\nthe perk does nothing, redesign it\n\n---\n\n**Cursor**\n\nRedesigned: kills now explode.\n"
    )
    assert (
        parse_one("markdown", data.encode(), "cursor_incandescent.md").title == "Incandescent perk redesign"
    )
    # Four spaces make it code, not a heading.
    assert parse_one("markdown", data.replace("   #", "    #", 1).encode(), "c.md").title is None


def test_a_grok_exporters_time_lines_and_a_prompts_unbalanced_fence() -> None:
    """A Grok exporter writes each speaker's time under its heading; a prompt that pasted another chat's answer
    left a bare fence open (ninth fetch: the `## Assistant` heading was read as code and the file as no format)."""
    data = (
        '---\nsource_url: "https://grok.com/c/4df6"\ntitle: "Uvicorn and POST"\nprovenance: grok-rest-api\n---\n\n'
        "# Uvicorn and POST\n\nSource: [Grok conversation](https://grok.com/c/4df6)\n\n## User\n\n"
        "_Time: 2025-05-27T15:56:30.866Z_\n\n```The **`405`** comes from the server.\n\n## Fix it\n\n```bash\n"
        "curl -X POST localhost:8000/\n```\n\n| route | status |\n|---|---|\n| POST / | missing |\n```\n"
        "based on the above, how do I configure uvicorn?\n\n## Assistant\n\n_Time: 2025-05-27T15:57:51.500Z_\n\n"
        "### Key points\nUvicorn serves what the app routes: add a POST route for `/`.\n\n```python\n"
        '@app.post("/")\ndef root(): ...\n```\n'
    )
    chat = parse_one("markdown", data.encode(), "grok-uvicorn.md")
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant"]
    assert said[0][1].startswith("```The **`405`**")
    assert said[0][1].endswith("how do I configure uvicorn?")
    assert said[1][1].startswith("### Key points")
    assert "_Time:" not in said[0][1] + said[1][1]


def test_tool_output_folded_under_the_persons_heading_is_the_answers_work() -> None:
    """A converter of Claude Code's sessions (ninth fetch) writes every record under a heading with its time, and
    each tool's output as the person's record, folded in `<details>`: they were eight user turns and eight false
    pairs."""
    data = (
        "# Chat Session `2ff46cd5`\n\n- **Claude Code version:** 2.1.63\n\n---\n\n"
        "### Human\n*2026-03-01 17:38:47 EST*\n\nexport this project's chat history to markdown\n\n---\n\n"
        "### Assistant\n*2026-03-01 17:38:51 EST*\n\nLet me look at the session files first.\n\n---\n\n"
        "### Assistant\n*2026-03-01 17:38:52 EST*\n\n**Tool: Bash**\n```bash\nls ~/.claude/projects/\n```\n\n---\n\n"
        "### Human\n*2026-03-01 17:38:53 EST*\n\n<details><summary>Tool output</summary>\n\n```\n"
        "-Users-tom-tmp-tenant-library\n```\n</details>\n\n---\n\n"
        "### Assistant\n*2026-03-01 17:39:57 EST*\n\nThe script works: run `python export_chat.py`.\n\n---\n\n"
        "### Human\n*2026-03-01 17:41:02 EST*\n\nit fails with a KeyError on 'message'\n\n---\n\n"
        "### Assistant\n*2026-03-01 17:41:09 EST*\n\nSome records have no message; the script skips them now.\n"
    )
    chat = parse_one("markdown", data.encode(), "chat_export.md")
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[0][1] == "export this project's chat history to markdown"
    assert said[2][1] == "it fails with a KeyError on 'message'"
    results = [b for b in chat.turns[1].blocks or [] if b["type"] == "tool_result"]
    assert [b["content"] for b in results] == ["-Users-tom-tmp-tenant-library"]
    assert "EST*" not in "".join(text for _, text in said)


def test_the_obsidian_chatgpt_md_plugins_notes() -> None:
    """The Obsidian ChatGPT MD plugin's notes, in its later and earlier layouts (tenth fetch: neither matched a
    format): rules between messages, `### role::` lines (the model in a span), the first message unlabelled."""
    later = (
        '---\ntitle: templating guide\ntags:\n  - obsidian\n---\n<hr class="__chatgpt_plugin">\n\n### role::user\n\n'
        'How does this work exactly?\n\n<hr class="__chatgpt_plugin">\n\n### role::assistant<span style="font-size: '
        'small;"> (llama3.2:latest)</span>\n\nThe plugin sends the note to the model.\n\n<hr class="__chatgpt_plugin">'
        '\n\n### role::user\n\nthat is not what happens, it only sends the selection\n\n<hr class="__chatgpt_plugin">'
        "\n\n### role::assistant\n\nRight: with a selection, only the selection is sent.\n"
    )
    assert detect_format(later.encode(), "templating.md") == "markdown"
    chat = parse_one("markdown", later.encode(), "templating.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert turns(chat)[1] == ("assistant", "The plugin sends the note to the model.")
    assert chat.title == "templating guide"
    assert chat.metadata["models"] == ["llama3.2:latest"]
    earlier = 'Concat macro in c.\n\n<hr class="__chatgpt_plugin">\n\nrole::assistant\n\nUse `##` to paste tokens.\n'
    assert turns(parse_one("markdown", earlier.encode(), "c.md")) == [
        ("user", "Concat macro in c."),
        ("assistant", "Use `##` to paste tokens."),
    ]


@pytest.mark.parametrize(
    ("data", "answers"),
    [
        # An agent's log: `### Prompt [time]` / `### Answer [time]` (skipped as prompts only before).
        (
            "# AI Interaction Log\n\n### Prompt [2026-01-30 09:38:59]\nmake a guidelines file\n\n"
            "### Answer [2026-01-30 09:39:15]\nCreated GUIDELINES.md.\n\n### Prompt [2026-01-30 09:42:00]\n"
            "you forgot the examples section\n\n### Answer [2026-01-30 09:42:20]\nAdded two examples.\n",
            ["Created GUIDELINES.md.", "Added two examples."],
        ),
        # A person's log: `### PROMPT #1` answered by `### CHATGPT #1` (skipped as prompts only before).
        (
            "### PROMPT #1\nRiassumi l'articolo.\n\n### CHATGPT #1\nL'articolo parla dei rischi.\n\n### PROMPT #2\n"
            "Non è questo, parla dei benefici.\n\n### CHATGPT #2\nHai ragione: parla dei benefici.\n",
            ["L'articolo parla dei rischi.", "Hai ragione: parla dei benefici."],
        ),
        # Messages as list items under entry headings (`- User:` / `- Assistant:`, matched no format before).
        (
            "# AI Interaction Log\n\n---\n\n## Entry: 2025-11-08\n\n- User: write my prompts to a log file\n\n"
            "- Assistant: I will append every prompt to AI_LOG.md.\n\n---\n\n## Entry: 2025-11-08 (continued)\n\n"
            "- User: Do not add a helper script\n\n- Assistant: Acknowledged: no helper script.\n",
            ["I will append every prompt to AI_LOG.md.", "Acknowledged: no helper script."],
        ),
    ],
)
def test_logs_people_and_agents_keep_by_hand(data: str, answers: list[str]) -> None:
    chat = parse_one("markdown", data.encode(), "AI_LOG.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert [text for role, text in turns(chat) if role == "assistant"] == answers


@pytest.mark.parametrize("label", ["**Tool result**", "**Tool result:**"])
def test_a_bold_tool_result_line_under_the_persons_heading_opens_the_answers_tool_result(label: str) -> None:
    """Two more converters of Claude Code's sessions (tenth fetch) write each tool's output under `## USER` or
    `### User` after a bold `**Tool result**` line: five false pairs in one file."""
    data = (
        "## USER\n\nthread testCommand through the approval gate\n\n## ASSISTANT\n\nLet me find where it is read.\n\n"
        f"## USER\n\n{label}\n```\napps/backend/src/verify.ts:41: testCommand\n```\n\n## ASSISTANT\n\n"
        "It is read in verify.ts only; the gate now passes it on.\n\n## USER\n\nthe gate still drops it for docs-only "
        "diffs\n\n## ASSISTANT\n\nRight: docs-only diffs skipped the gate; they pass it on now too.\n"
    )
    chat = parse_one("markdown", data.encode(), "session.md")
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[2][1] == "the gate still drops it for docs-only diffs"
    results = [b["content"] for b in chat.turns[1].blocks or [] if b["type"] == "tool_result"]
    assert results == ["apps/backend/src/verify.ts:41: testCommand"]


def test_chatgpt_exporters_unsupported_content_placeholders_are_no_answer_text() -> None:
    """ChatGPT Exporter writes a web search's steps as extra `#### ChatGPT:` sections of `\\[Unsupported Content]`
    alone (eleventh fetch: seven answers opened with two or three of them)."""
    data = (
        b"# Tide tables\n\n#### You:\nWhen is high tide in Brest tomorrow?\n\n#### ChatGPT:\nAround 10:40.\n\n"
        b"#### You:\nthat's today's time, look it up for tomorrow\n\n#### ChatGPT:\n\\[Unsupported Content]\n\n\n"
        b"#### ChatGPT:\n\\[Unsupported Content]\n\n\n#### ChatGPT:\n\\[Unsupported Content]\n\n"
        b"Tomorrow's high tides in Brest are at 11:25 and 23:50.\n"
    )
    chat = parse_one("markdown", data, "ChatGPT-Tide tables.md")
    assert turns(chat) == [
        ("user", "When is high tide in Brest tomorrow?"),
        ("assistant", "Around 10:40."),
        ("user", "that's today's time, look it up for tomorrow"),
        ("assistant", "Tomorrow's high tides in Brest are at 11:25 and 23:50."),
    ]
    assert chat.turns[3].blocks is None
    assert chat.dropped == {"unsupported content": 3}


@pytest.mark.parametrize(
    ("last", "suggestions"),
    [
        ("Explain the leap year ruleCompare Julian and Gregorian calendarsShow it in Python", 3),
        ("Artık yıl kuralı nasıl çalışırGregoryen takvim tarihçesi nedir", 2),
        # A sentence, a capitalized word inside one, a line Grok's suggestions cannot be told apart in: the answer's.
        ("Let me know if you want the Python version.", 0),
        ("Good luck with the macOS calendar setup", 0),
        ("闰年规则详解公历历史", 0),
    ],
)
def test_grok_exporters_follow_up_suggestions_after_the_last_answer_are_left_out(
    last: str, suggestions: int
) -> None:
    """Grok Exporter writes Grok's follow-up suggestions as the last answer's last line, run together (eleventh
    fetch, a Turkish chat; elsewhere "Explain SQLAlchemy bulk updatesSQLAlchemy delete operations")."""
    data = (
        "# Leap years\n\n**Exported:** 2/21/2026 14:44  \n\n## Prompt:\nIs 1900 a leap year?\n\n"
        f"## Response:\nNo: century years must be divisible by 400.\n\n{last}\n\n\n\n---\n"
        "Powered by [Grok Exporter](https://www.grokexporter.com)\n"
    )
    chat = parse_one("markdown", data.encode(), "Grok-Leap years.md")
    answer = "No: century years must be divisible by 400."
    assert turns(chat)[1] == ("assistant", answer if suggestions else f"{answer}\n\n{last}")
    assert chat.dropped == ({"suggestion": suggestions} if suggestions else {})


def test_a_perplexity_questions_pasted_configuration_is_the_questions() -> None:
    """A question with YAML pasted below it: Perplexity writes its first line as the heading, the rest (a `# Source:`
    comment made a heading too) above the answer (eleventh fetch: the YAML opened the answer)."""
    logo = '<img src="https://r2cdn.perplexity.ai/pplx-full-logo-primary-dark%402x.png" class="logo" width="120"/>'
    data = (
        f"{logo}\n\n# my deployment below restarts every minute on kind, why?\n\n"
        "# Source: shop/templates/deployment.yaml\n\napiVersion: apps/v1\nkind: Deployment\nspec:\n"
        "replicas: 2\ntemplate:\n- name: web\nimage: shop:1.4\n\n"
        "On kind, the liveness probe fails before the app listens[^1_1].\n\n- Raise `initialDelaySeconds`.\n\n"
        '<div style="text-align: center">⁂</div>\n\n[^1_1]: https://kubernetes.io/docs/\n'
    )
    chat = parse_one("markdown", data.encode(), "perplexity.md")
    assert turns(chat) == [
        (
            "user",
            "my deployment below restarts every minute on kind, why?\n\n# Source: shop/templates/deployment.yaml\n\n"
            "apiVersion: apps/v1\nkind: Deployment\nspec:\nreplicas: 2\ntemplate:\n- name: web\nimage: shop:1.4",
        ),
        (
            "assistant",
            "On kind, the liveness probe fails before the app listens.\n\n- Raise `initialDelaySeconds`.",
        ),
    ]
    assert chat.title == "my deployment below restarts every minute on kind, why?"


def test_a_zed_search_results_markdown_is_all_the_tool_results() -> None:
    """Zed writes a regex search's output as Markdown of its own up to the next entry (eleventh fetch: the result
    was cut after "Found 2 matches:", its `## Matches in ...` sections and code became the answer's text)."""
    data = (
        "## User (checkpoint)\n\nrename the helpers to snake_case\n\n## Assistant\n\nLet me find the callers.\n\n\n\n"
        "**Tool Call: Search files for regex `(loadUser|saveUser)`**\nStatus: Completed\n\nFound 2 matches:\n\n"
        "## Matches in app/users.py\n\n### def loadUser › L3-4\n```\ndef loadUser(uid):\n    return db.get(uid)\n```\n\n"
        "### def saveUser › L8-9\n```\ndef saveUser(user):\n    db.put(user)\n```\n\n\n"
        "## Assistant\n\nBoth are in users.py; renamed to `load_user` and `save_user`.\n\n"
        "## User (checkpoint)\n\nyou missed the callers in api.py\n\n## Assistant\n\nRenamed the calls in api.py too.\n"
    )
    chat = parse_one("markdown", data.encode(), "thread.md")
    assert turns(chat) == [
        ("user", "rename the helpers to snake_case"),
        (
            "assistant",
            "Let me find the callers.\n\nBoth are in users.py; renamed to `load_user` and `save_user`.",
        ),
        ("user", "you missed the callers in api.py"),
        ("assistant", "Renamed the calls in api.py too."),
    ]
    result = next(b for b in chat.turns[1].blocks or [] if b["type"] == "tool_result")
    assert result["content"].startswith("Found 2 matches:\n\n## Matches in app/users.py\n\n### def loadUser")
    assert result["content"].endswith("def saveUser(user):\n    db.put(user)\n```")


_SESSION_HEAD = (
    "# Claude Session Export\n\n## Session Information\n\n- **Session ID**: `agent-5c1e`\n"
    "- **Export Mode**: Full Conversation\n- **Total Messages**: {total}\n\n---\n\n## Conversation\n\n"
)


def test_a_claude_session_export_reads_and_one_without_a_persons_message_is_skipped() -> None:
    """A third-party "Claude Session Export" (`### User` / `### Assistant`, a `> date` line, the content blocks' JSON):
    a sub-agent's session holds the assistant's messages only (eleventh fetch: refused as text without labels)."""
    answer = '[\n  {\n    "type": "text",\n    "text": "The repository holds two services."\n  }\n]\n'
    chat = (
        _SESSION_HEAD.format(total="2 (1 user, 1 assistant)")
        + "### User\n> 12/1/2025, 2:08:50 PM\n\nwhat is in this repository?\n\n---\n\n"
        + f"### Assistant\n> 12/1/2025, 2:09:06 PM\n\n{answer}\n---\n"
    )
    assert detect_format(chat.encode(), "session.md") == "markdown"
    assert turns(parse_one("markdown", chat.encode(), "session.md")) == [
        ("user", "what is in this repository?"),
        ("assistant", "The repository holds two services."),
    ]
    alone = (
        _SESSION_HEAD.format(total="1 (0 user, 1 assistant)")
        + f"### Assistant\n> 12/1/2025, 2:09:06 PM\n\n{answer}"
    )
    assert detect_format(alone.encode(), "agent-5c1e.md") == "markdown"
    results = list(get_importer("markdown").parse(io.BytesIO(alone.encode()), "agent-5c1e.md"))
    assert results == [
        Skipped("export holding only the assistant's messages, no person's message to pair them with")
    ]


def test_a_gemini_voyager_export_without_its_prompt_is_skipped_and_its_footer_is_no_answers() -> None:
    """Gemini Voyager's Markdown (`## Turn 1`, `### 👤 User` / `### 🤖 Assistant`, its footer): one answer whose
    prompt Gemini hid was refused as text without speaker labels (eleventh fetch)."""
    head = (
        "# Binary tree traversal - Gemini\n\n**Date**: March 30, 2026 at 11:11 PM\n**Turns**: {turns}\n"
        "**Source**: [Gemini Chat](https://gemini.google.com/app/75231d)\n\n---\n\n"
    )
    footer = (
        "\n\n---\n\n*Exported from [Voyager](https://github.com/Nagi-ovo/gemini-voyager)*  \n"
        "*Generated on March 30, 2026 at 11:11 PM*"
    )
    alone = (
        head.format(turns=1) + "## Turn 1\n\n### 🤖 Assistant\n\nUse a stack for the in-order walk." + footer
    )
    assert detect_format(alone.encode(), "voyager.md") == "markdown"
    results = list(get_importer("markdown").parse(io.BytesIO(alone.encode()), "voyager.md"))
    assert results == [
        Skipped("export holding only the assistant's messages, no person's message to pair them with")
    ]
    chat = (
        head.format(turns=1) + "## Turn 1\n\n### 👤 User\n\nwalk the tree in order\n\n### 🤖 Assistant\n\n"
        "Use a stack for the in-order walk." + footer
    )
    assert turns(parse_one("markdown", chat.encode(), "voyager.md")) == [
        ("user", "walk the tree in order"),
        ("assistant", "Use a stack for the in-order walk."),
    ]


def test_a_wenxiaobai_answer_copied_with_its_question_and_thinking() -> None:
    """问小白's DeepSeek-R1 answer copied (eleventh fetch, matched no format): the question, `--- R1`, the thinking in
    a ```ys_think fence between its `<start>` and `<end>` marks, then the answer."""
    data = (
        "Qt 里 QTimer 和 QThread 哪个适合轮询串口？\n--- R1\n\n```ys_think\n\n"
        "<icon>https://static.example.com/think.png</icon>\n\n<start>思考中...</start>\n\n"
        "用户问的是轮询串口。\n\n```python\ntimer.start(50)\n```\n\n<end>已深度思考（用时12秒）</end>\n\n```\n\n"
        "推荐 **QTimer**：串口读取很快，不会阻塞界面。\n"
    )
    assert detect_format(data.encode(), "串口.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "串口.md")
    assert turns(chat) == [
        ("user", "Qt 里 QTimer 和 QThread 哪个适合轮询串口？"),
        ("assistant", "推荐 **QTimer**：串口读取很快，不会阻塞界面。"),
    ]
    assert (chat.turns[1].blocks or [])[0] == {
        "type": "thinking",
        "thinking": "用户问的是轮询串口。\n\n```python\ntimer.start(50)\n```",
    }
    assert chat.dropped == {"thinking time": 1}
    assert chat.metadata == {"model": "R1"}


def test_a_savemychatbot_perplexity_export_under_front_matter() -> None:
    """SaveMyChatbot's export of a Perplexity thread (twelfth fetch: matched no format): YAML front matter, the
    title, its `Exported on ... [from Perplexity.ai] - with [SaveMyChatbot]` line, `## User` / `## AI answer`, and
    `## Pro answer` for a Perplexity Pro answer."""
    data = (
        "---\ncreated date: 2025-03-02T10:00:00+01:00\nmodified date: 2025-03-02T10:00:00+01:00\n---\n"
        "# How do I pin a Python version with pyenv...\n"
        "Exported on 02/03/2025 at 10:00:00 [from Perplexity.ai](https://www.perplexity.ai/search/how-do-i-pin-abc)"
        " - with [SaveMyChatbot](https://save.hugocollin.com)\n\n\n## User\nhow do I pin a Python version with pyenv\n\n"
        "## AI answer\nRun `pyenv local 3.12.2` in the project folder [1](https://github.com/pyenv/pyenv).\n\n---\n"
        "**Sources:**\n- (1) GitHub\n\n## User\nand for every shell?\n\n## Pro answer\nUse `pyenv global 3.12.2`.\n"
    )
    assert detect_format(data.encode(), "pyenv.md") == "markdown"
    chat = parse_one("markdown", data.encode(), "pyenv.md")
    assert chat.title == "How do I pin a Python version with pyenv..."
    assert turns(chat) == [
        ("user", "how do I pin a Python version with pyenv"),
        (
            "assistant",
            "Run `pyenv local 3.12.2` in the project folder [1](https://github.com/pyenv/pyenv).\n\n---\n"
            "**Sources:**\n- (1) GitHub",
        ),
        ("user", "and for every shell?"),
        ("assistant", "Use `pyenv global 3.12.2`."),
    ]
    assert chat.dropped == {}


def test_claude_artifact_cards_in_an_exported_answer_are_left_out() -> None:
    """A Claude chat exported as `## Prompt:` / `## Response:` (twelfth fetch): each artifact the answer made is its
    card, the artifact's title, a blank line and `Click to open code`, in the answer's text; the artifact is not in
    the file. A card may open the answer, follow another, or end it."""
    data = (
        "## Prompt:\nmake a tkinter timer app\n\n## Response:\nHere is a simple timer app.\n\nTimer App\n\n"
        "Click to open code\n\nIt counts down from the minutes you enter.\n\n## Prompt:\nthe window is too small\n\n"
        "## Response:\nTimer App\n\nClick to open code\n\nTimer App\n\nEdited\n\nClick to open code\n\n"
        "The window now starts at 800x600.\n\n## Prompt:\nadd a reset button\n\n## Response:\nAdded it:\n\n"
        "Timer App\n\nClick to open component\n"
    )
    chat = parse_one("markdown", data.encode(), "timer.md")
    assert turns(chat) == [
        ("user", "make a tkinter timer app"),
        ("assistant", "Here is a simple timer app.\n\nIt counts down from the minutes you enter."),
        ("user", "the window is too small"),
        ("assistant", "The window now starts at 800x600."),
        ("user", "add a reset button"),
        ("assistant", "Added it:"),
    ]
    assert chat.dropped == {"artifact not exported": 4}
    found = prepare(chat).found_pairs or []
    assert [(p.rejected, p.pushback, p.chosen) for p in found if p.detected and p.detected.score >= 0.5] == [
        (1, 2, 3)
    ]


def test_an_aiprm_export_without_the_old_chatgpt_copy_code_lines() -> None:
    """AIPRM's export of a ChatGPT chat of 2023 (twelfth fetch): its header in a fence, `**User:**` / `**ChatGPT:**`
    between `---` rules, and each code block opening with what the old page showed above the code: the language's
    name and `Copy code`."""
    data = (
        "\n```\nExported with AIPRM https://www.aiprm.com by Ana on 3/2/2023, 10:12:40\n```\n\n---\n\n\n"
        "**User:**\nhow do I center a div\n\n---\n\n**ChatGPT:**\nUse flexbox on the parent:\n```css\ncss\nCopy code\n"
        ".parent {\n  display: flex;\n  justify-content: center;\n}\n```\nOr in the markup:\n```html\nhtml\nCopy code\n"
        '<div class="parent"><div>hi</div></div>\n```\nBoth center the child.'
    )
    chat = parse_one("markdown", data.encode(), "center.md")
    assert turns(chat) == [
        ("user", "how do I center a div"),
        (
            "assistant",
            "Use flexbox on the parent:\n```css\n.parent {\n  display: flex;\n  justify-content: center;\n}\n```\n"
            'Or in the markup:\n```html\n<div class="parent"><div>hi</div></div>\n```\nBoth center the child.',
        ),
    ]
    assert chat.dropped == {"page text": 2}


def test_an_answers_code_block_with_two_blank_lines_is_no_unsent_message() -> None:
    """Review: two blank lines between two functions in a code block of a copy's last answer are the code's, not
    the gap above the message box's text; the answer keeps its code and its last line."""
    page = (
        "You said:\nwrite two functions\nChatGPT said:\nHere:\n\n```python\ndef a():\n    pass\n\n\ndef b():\n"
        "    pass\n```\n\nThat's it."
    )
    chat = parse_one("markdown", page.encode(), "copy.txt")
    assert turns(chat)[1] == (
        "assistant",
        "Here:\n\n```python\ndef a():\n    pass\n\n\ndef b():\n    pass\n```\n\nThat's it.",
    )
    assert chat.dropped == {}
    # A code block after the gap is no message left in the box either.
    fenced = "You said:\nhi\nChatGPT said:\nHello.\n\n\n```\nls -la\n```\n"
    assert turns(parse_one("markdown", fenced.encode(), "copy.txt"))[1][1].endswith("```\nls -la\n```")


def test_a_fraction_ending_an_answer_is_no_version_counter() -> None:
    """Review: `3/4` as an answer's last line, in a copy with no other page text, is the answer's."""
    page = "You said:\nwhat is 0.75 as a fraction\nChatGPT said:\nAs a fraction in lowest terms:\n\n3/4"
    chat = parse_one("markdown", page.encode(), "copy.txt")
    assert turns(chat)[1] == ("assistant", "As a fraction in lowest terms:\n\n3/4")
    assert chat.dropped == {}
    # Nor is a larger numerator than denominator, where the copy shows other page text.
    boxed = page.replace("3/4", "5/4\n\nNo file chosen")
    assert turns(parse_one("markdown", boxed.encode(), "copy.txt"))[1][1].endswith("5/4")


def test_a_bare_me_line_in_an_answers_dialogue_is_its_text() -> None:
    """Review: `Me:` alone on its line is a speaker only where the other side is a bare label too; in a log of
    `User:` / `Assistant:` lines, a dialogue the assistant wrote keeps it."""
    data = (
        "User: write a short dialogue\nAssistant: Sure:\n\nMe:\nWhere were you?\n\nFriend:\nOut.\n\n"
        "User: longer please\nAssistant: ok\n"
    )
    chat = parse_one("markdown", data.encode(), "chat.md")
    assert turns(chat) == [
        ("user", "write a short dialogue"),
        ("assistant", "Sure:\n\nMe:\nWhere were you?\n\nFriend:\nOut."),
        ("user", "longer please"),
        ("assistant", "ok"),
    ]


def test_a_grok_answers_own_question_with_a_camel_case_word_is_no_suggestions() -> None:
    """Review: "JavaScript" read as the join of two suggestions ("...how Java" | "Script handles..."): a word the
    answer writes elsewhere is one word, and a line whose phrases are not all questions (or all not) stays."""
    for head, last in [
        (
            "No: century years must be divisible by 400.",
            "Would you like me to show how JavaScript handles this?",
        ),
        ("JavaScript's Date object knows it too.", "Let me show how JavaScript handles leap years"),
    ]:
        data = (
            "# Leap years\n\n**Exported:** 2/21/2026 14:44  \n\n## Prompt:\nIs 1900 a leap year?\n\n"
            f"## Response:\n{head}\n\n{last}\n\n\n\n---\nPowered by [Grok Exporter](https://www.grokexporter.com)\n"
        )
        chat = parse_one("markdown", data.encode(), "Grok-Leap years.md")
        assert turns(chat)[1] == ("assistant", f"{head}\n\n{last}")
        assert chat.dropped == {}


@pytest.mark.parametrize("heading", ["## Recommended versions\n\n", ""])
def test_a_perplexity_answer_of_key_lines_is_not_the_questions(heading: str) -> None:
    """Review: an answer of `key: value` list lines (under a `##` heading of its own, or not) with nothing under it
    but the divider was taken for configuration pasted below the question."""
    logo = '<img src="https://r2cdn.perplexity.ai/pplx-full-logo-primary-dark%402x.png" style="height:64px"/>'
    data = (
        f"{logo}\n\n# what versions should I pin\n\n{heading}- python: 3.12\n- django: 5.0\n- postgres: 16\n\n"
        "⁂\n\n# and node?\n\nNode 20 LTS.\n\n⁂\n"
    )
    chat = parse_one("markdown", data.encode(), "perplexity.md")
    assert turns(chat) == [
        ("user", "what versions should I pin"),
        ("assistant", f"{heading}- python: 3.12\n- django: 5.0\n- postgres: 16"),
        ("user", "and node?"),
        ("assistant", "Node 20 LTS."),
    ]


def test_chatgpt_exporters_collapsed_responses_lose_their_fold() -> None:
    """ChatGPT Exporter with "collapse responses" (thirteenth fetch): `<details><summary>Click to view
    Response:</summary>` ends each prompt's section and `</details>` each answer's; an answer's own fold stays."""
    data = (
        "# Slow ssh\n\n**Created:** 11/12/2025 19:59:17  \n**Exported:** 11/12/2025 21:56:56  \n\n"
        "## Prompt:\nssh to one Mac takes seconds\n\n<details><summary>Click to view Response:</summary>\n"
        "## Response:\nCheck its mDNS name first.\n\n<details><summary>Details</summary>\ndns-sd -B\n</details>\n\n"
        "</details>\n\n## Prompt:\nThat arp was from the other Mac\n\n"
        "<details><summary>Click to view Response:</summary>\n## Response:\nThat changes the picture.\n\n"
        "</details>\n\n---\nPowered by [ChatGPT Exporter](https://www.chatgptexporter.com)\n"
    )
    chat = parse_one("markdown", data.encode(), "ChatGPT-Slow ssh.md")
    assert turns(chat) == [
        ("user", "ssh to one Mac takes seconds"),
        (
            "assistant",
            "Check its mDNS name first.\n\n<details><summary>Details</summary>\ndns-sd -B\n</details>",
        ),
        ("user", "That arp was from the other Mac"),
        ("assistant", "That changes the picture."),
    ]
    assert chat.dropped == {"folded answer markup": 4}


def test_a_claude_exporters_undefined_placeholder_exchanges_are_left_out() -> None:
    """A Claude exporter's `## Prompt:` / `## Response:` file (thirteenth fetch) opening and closing with exchanges
    that read only `undefined`, its placeholders for messages it could not read; a person's own `undefined` stays."""
    data = (
        "## Prompt:\nundefined\n\n## Response:\nundefined\n\n## Prompt:\nhow do I keep going after a failure?\n\n"
        "## Response:\nRun each step on its own.\n\n## Prompt:\nundefined\n\n## Response:\nThat is what the call "
        "returned?\n\n## Prompt:\nundefined\n\n## Response:\nundefined\n"
    )
    chat = parse_one("markdown", data.encode(), "claude.md")
    assert turns(chat) == [
        ("user", "how do I keep going after a failure?"),
        ("assistant", "Run each step on its own."),
        ("user", "undefined"),
        ("assistant", "That is what the call returned?"),
    ]
    assert chat.dropped == {"empty message": 4}


def test_a_hand_written_logs_exchange_titles_and_closing_summary_are_not_answers() -> None:
    """A hand-written log (thirteenth fetch): a `### 对话 N` title between `---` rules above each exchange, inline
    `**用户**` / `**AI**` labels (a full-width colon after them), and the author's own `## 开发总结` after the last
    answer; each answer ended with the next exchange's rule and title, the last with the author's summary. A
    heading in the answer stays."""
    data = (
        "# AI 编程对话记录\n\n---\n\n### 对话 1：需求\n\n**用户**：我要一个计时器。\n\n"
        "**AI**：好的，分三步：\n\n### 第一步\n\n写 timer.py\n\n---\n\n### 对话 2：编写 timer.py\n\n"
        "**用户**：请编写 timer.py。\n\n**AI**：已生成 timer.py。\n\n---\n\n### 对话 3：测试\n\n"
        "**用户**：请写测试。\n\n**AI**：已生成 test_timer.py：\n- 覆盖启动和停止\n\n---\n\n## 开发总结\n\n"
        "AI 帮我很快完成了项目。\n"
    )
    chat = parse_one("markdown", data.encode(), "ai_log.md")
    assert turns(chat) == [
        ("user", "我要一个计时器。"),
        ("assistant", "好的，分三步：\n\n### 第一步\n\n写 timer.py"),
        ("user", "请编写 timer.py。"),
        ("assistant", "已生成 timer.py。"),
        ("user", "请写测试。"),
        ("assistant", "已生成 test_timer.py：\n- 覆盖启动和停止"),
    ]
    assert chat.dropped == {"section heading": 2, "closing section": 1}
    # With one exchange title only, nothing marks a closing section as the log's: the answer keeps it.
    single = data.replace("---\n\n### 对话 2：编写 timer.py\n\n", "")
    assert turns(parse_one("markdown", single.encode(), "ai_log.md"))[-1][1].endswith(
        "## 开发总结\n\nAI 帮我很快完成了项目。"
    )
