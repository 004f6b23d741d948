# ruff: noqa: RUF001 - Chinese text, with its full-width punctuation
"""Claude.ai's chat page copied whole: tests/fixtures/real_formats/claude_page/, written by hand in the shape of real
copies people committed to public repositories (the labels run into the text before them, each label repeats the
message's opening, the person's message ends with its time)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import RecordError
from app.conversations.reading import prepare

from .helpers import parse_one, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "claude_page"


def test_a_copy_whose_blocks_ran_together() -> None:
    data = (FIXTURES / "tsconfig-split.md").read_bytes()
    assert detect_format(data[:65536], "tsconfig-split.md") == "claude-page"
    assert detect_format(data[:65536], "notes.txt") == "claude-page"
    conversation = parse_one("claude-page", data, "tsconfig-split.md")
    assert conversation.title == "Split tsconfig per package"  # the `# ` line the person put first
    said = turns(conversation)
    assert [role for role, _ in said] == ["user", "assistant"] * 4
    # The label cut at 150 characters with "…" and the fold button are gone; the message is whole.
    assert said[0][1].startswith("i have a monorepo with packages/api")
    assert said[0][1].endswith("how do i split them")
    assert said[1][1].startswith(
        "Give each package its own tsconfig that extends a base without types.\njson{"
    )
    assert said[2][1] == (
        "that doesn't work, web still fails with the same error on window in shared/utils/env.ts"
    )
    # `2 / 2` (an edited message) after the time; the interrupted answer's notice and its Retry button.
    assert said[4][1] == "ok that builds. can you write the ci step"
    assert said[5][1] == "Here is a GitHub Actions step:\nyaml- run: npx tsc -b packages/web packages/api"
    # A 24-hour time; a label whose line break the page made a space; the disclaimer under the last answer.
    assert said[6][1] == "在 CI 里要不要缓存 node_modules"
    assert (
        said[7][1]
        == "建议缓存 npm 的下载目录，而不是 node_modules。\n这样锁文件变了缓存也会失效。用 actions/setup-node 的 cache: npm 就可以。"
    )
    # What stood before the first message, the interrupted notice, the disclaimer.
    assert conversation.dropped == {"page text": 3}
    assert conversation.metadata == {"exporter": "claude-page-copy"}
    found = prepare(conversation).found_pairs or []
    assert [(p.rejected, p.pushback, p.chosen) for p in found if p.detected and p.detected.score >= 0.5] == [
        (1, 2, 3)
    ]


def test_a_copy_that_kept_its_line_breaks() -> None:
    conversation = parse_one("claude-page", (FIXTURES / "capital.txt").read_bytes(), "capital.txt")
    assert turns(conversation) == [
        ("user", "what's the capital of australia"),
        (
            "assistant",
            "Sydney is the capital of Australia. It is the largest city and home to the Opera House.",
        ),
        ("user", "no, the capital is canberra, sydney is just the biggest city"),
        (
            "assistant",
            "You're right, the capital is Canberra. Sydney is the largest city, but Canberra was purpose-built as "
            "the capital and has been the seat of government since 1927.",
        ),
    ]
    assert conversation.title == "what's the capital of australia"
    assert conversation.dropped == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A message ending in a number: the time takes its own digits only.
        ("You said: keep rows from 2024keep rows from 202411:06 AM", "keep rows from 2024"),
        # `21:06 PM` is no 12-hour time: the 2 is the message's.
        ("You said: use version 2use version 21:06 PM", "use version 2"),
        # A label that is not the message's opening (seen once: an artifact's line) stays, glued as copied.
        ("You said: id: uuidschema first9:00 AM", "id: uuidschema first"),
        ("You said: donedone5:06 AM", "done"),
    ],
)
def test_the_time_and_the_label_are_told_from_the_message(body: str, message: str) -> None:
    data = f"{body}Claude responded: Okay.Okay. Next step.".encode()
    conversation = parse_one("claude-page", data, "copy.txt")
    assert turns(conversation) == [("user", message), ("assistant", "Okay. Next step.")]


def test_other_text_is_not_taken_for_a_copied_page() -> None:
    # Code that prints the labels (a voice assistant's `print(f"You said: {text}")`) has no time before an answer.
    code = b'print(f"You said: {command}")\nprint(f"Claude responded: {reply}")\n'
    assert detect_format(code, "bot.py") != "claude-page"
    assert detect_format(
        b'[{"role": "user", "content": "You said: hi 9:01 AMClaude responded: "}]', "a.json"
    ) != ("claude-page")


def test_a_copy_without_an_answer_is_one_clear_error() -> None:
    results = list(get_importer("claude-page").parse(io.BytesIO(b"You said: hellohello9:01 AM"), "c.txt"))
    assert [r.reason for r in results if isinstance(r, RecordError)] == [
        "no message of yours (`You said: ...`) ending with its time and Claude's answer (`9:01 AMClaude responded: ...`)"
        " in the copied page"
    ]


def test_the_labels_inside_an_answer_stay_its_text() -> None:
    # An answer about a voice bot prints "You said: ..." and logs "Claude responded: ...": no time comes before
    # those, so they are the answer's words, not the page's labels.
    answer = 'Print what was heard:\nprint(f"You said: {text}")\nlog("Claude responded: ok")\nThen run it.'
    data = (
        f"You said: how do i echo speechhow do i echo speech9:01 AMClaude responded: Print what was heard:{answer}"
        "You said: it prints nothingit prints nothing9:03 AMClaude responded: The microphone needs permission.The "
        "microphone needs permission."
    ).encode()
    conversation = parse_one("claude-page", data, "copy.txt")
    assert turns(conversation) == [
        ("user", "how do i echo speech"),
        ("assistant", answer),
        ("user", "it prints nothing"),
        ("assistant", "The microphone needs permission."),
    ]


def test_the_page_copied_in_german_with_an_unsent_draft_under_the_last_answer() -> None:
    """Claude.ai's page in German (tenth fetch: matched no format), copied while the message box still held the
    last prompt: the draft, the model's label, the disclaimer and an extension's banner are no part of the answer."""
    page = (
        "Neuer Chat\nSuchen\nChats\nAugsburg Review\nClaude hat die Antwort abgeschlossen\n"
        "Du hast gesagt: Prüfe die Datei auf Fehler.\n\nPrüfe die Datei auf Fehler.\nStadt: Augsburg.\n\n10:56\n"
        "Claude hat geantwortet: Ich lese erst die Datei.\n\nIch lese erst die Datei.\n\nSCORE: 78%. Zwei Quellen "
        "fehlen.\n\nPrüfe die Datei auf Fehler.\nStadt: Augsburg.\n\nOpus 4.7\nClaude ist eine KI und kann Fehler "
        "machen. Bitte überprüfe die Antworten.\nTeilen\nClaude is active in this tab group\nOpen chat\nDismiss\n"
    )
    assert detect_format(page.encode(), "review.txt") == "claude-page"
    chat = parse_one("claude-page", page.encode(), "review.txt")
    assert turns(chat) == [
        ("user", "Prüfe die Datei auf Fehler.\nStadt: Augsburg."),
        ("assistant", "Ich lese erst die Datei.\n\nSCORE: 78%. Zwei Quellen fehlen."),
    ]
    assert chat.dropped == {"page text": 3, "unsent draft": 1}


def test_the_page_before_its_labels_copied_whole() -> None:
    """Claude.ai's page of 2024-25 copied whole (twelfth fetch: matched no format): no line names a speaker; the
    person's initials stand above each of their messages, `Edit` under it, `Retry` under each answer. The sidebar,
    the artifacts' cards, the disclaimer, the model's name and the open artifact's panel are no part of a turn."""
    page = (
        "\n\nStart new chat\nProjects\nChats\nRecents\nView all\nProfessional plan\n\nJD\njane.doe@example.org\n\n"
        "Planning a Recipe Website\nJD\nI want a small recipe site to show in my portfolio, what should it have?\n"
        "Edit\nA recipe site can show search, filtering and a clean layout. Here is a plan.\n"
        "Core Features\nSearch by ingredient\nSave favourites\n\nRecipe Site README.md\nTap to open\n"
        "Next, the page that lists the recipes:\n\nRecipe List Component\nTap to open\n\n\n\nRetry\nJD\ncontinue\n"
        "Edit\nHere is the detail page with the ingredients and the steps:\n\nRecipe List Component\nEdited\n"
        "Tap to open\nThat completes the pages.\n\n\n\nRetry\nJD\nhow do I put it on GitHub? I never did that\nEdit\n"
        "Step 1: create a repository named recipes.\nStep 2: upload the files.\nWant more detail on any step?\n\n\n\n"
        "Retry\nClaude can make mistakes.\nPlease double-check responses.\n\n\n\n\n3.7 Sonnet\n\nChoose style\n\n"
        "Recipe List Component\n\nexport function RecipeList({ recipes }) {\n  return recipes.map(r => r.name);\n}\n"
    )
    assert detect_format(page.encode(), "portfolio.txt") == "claude-page"
    assert detect_format(page.encode(), "portfolio.md") == "claude-page"
    chat = parse_one("claude-page", page.encode(), "portfolio.txt")
    assert chat.title == "Planning a Recipe Website"
    assert turns(chat) == [
        ("user", "I want a small recipe site to show in my portfolio, what should it have?"),
        (
            "assistant",
            "A recipe site can show search, filtering and a clean layout. Here is a plan.\nCore Features\nSearch by "
            "ingredient\nSave favourites\n\nNext, the page that lists the recipes:",
        ),
        ("user", "continue"),
        (
            "assistant",
            "Here is the detail page with the ingredients and the steps:\n\nThat completes the pages.",
        ),
        ("user", "how do I put it on GitHub? I never did that"),
        (
            "assistant",
            "Step 1: create a repository named recipes.\nStep 2: upload the files.\nWant more detail on any step?",
        ),
    ]
    # The sidebar before the first message; the footer with the model's name and the artifact's panel; 3 cards.
    assert chat.dropped == {"page text": 2, "artifact not copied": 3}
    assert chat.metadata == {"exporter": "claude-page-copy"}
    found = prepare(chat).found_pairs or []
    assert [(p.rejected, p.pushback, p.chosen) for p in found if p.detected and p.detected.score >= 0.5] == []


def test_the_page_before_its_labels_with_a_pasted_file_and_code_blocks() -> None:
    """The same page with one-letter initials shown twice in the sidebar, a text pasted as a file above the first
    message, a code block's `Copy` button, a line `Retry` of an answer's own, and a draft left in the message box."""
    page = (
        "\n\nStart new chat\nProjects\nStarred\nRecents\nView all\nFree plan\n\nR\nr.lopez@example.com\nR\n\n\n"
        "Seed a Test User\n\n1\n\nShare\n\nfrom django.core.management.base import BaseCommand class Command(Base\n"
        "pasted\nR\nadd a test user to this reset command\n\nEdit\nI'll add a step that creates the user:\n\n\n"
        "Untitled\nClick to open code\nRun it with:\n\nbash\n\nCopy\npython manage.py reset_db\n"
        "If it fails, the last line says\nRetry\nand you can run it again.\n\n\n\nRetry\nR\n"
        "it says the user already exists\n\nEdit\nThen check first:\n\nUntitled\nEdited\nClick to open code\n"
        "Now it skips a user that exists.\n\n\n\nRetry\nClaude can make mistakes. Please double-check responses.\n\n"
        "thanks\n\nNo file chosen\n\n\n3.5 Haiku\n\nChoose style\n\nUntitled\n\nUser.objects.get_or_create(username='t')\n"
    )
    assert detect_format(page.encode(), "seed.txt") == "claude-page"
    chat = parse_one("claude-page", page.encode(), "seed.txt")
    assert chat.title == "Seed a Test User"
    assert turns(chat) == [
        ("user", "add a test user to this reset command"),
        (
            "assistant",
            "I'll add a step that creates the user:\n\nRun it with:\n\nbash\npython manage.py reset_db\n"
            "If it fails, the last line says\nRetry\nand you can run it again.",
        ),
        ("user", "it says the user already exists"),
        ("assistant", "Then check first:\n\nNow it skips a user that exists."),
    ]
    assert chat.dropped == {"page text": 3, "attachment": 1, "artifact not copied": 2}
    found = prepare(chat).found_pairs or []
    assert [(p.rejected, p.pushback, p.chosen) for p in found if p.detected and p.detected.score >= 0.5] == [
        (1, 2, 3)
    ]


def test_the_page_before_its_labels_with_edit_in_a_message() -> None:
    """Review: a message listing a menu's `File`, `Edit`, `View` on lines of their own: the button is the last `Edit`
    line with an answer under it, not the first."""
    page = (
        "\n\nStart new chat\nProjects\nChats\nRecents\nView all\nProfessional plan\n\nJD\njane.doe@example.org\n\n"
        "Menu bar\nJD\nmy app's menu bar has these entries:\nFile\nEdit\nView\nwhat order is standard?\nEdit\n"
        "File, Edit, View is the usual order on Windows and macOS.\n\n\n\nRetry\nJD\nthanks\nEdit\n"
        "You're welcome.\n\n\n\nRetry\nClaude can make mistakes.\nPlease double-check responses.\n\n\n\n\n"
        "3.7 Sonnet\n\nChoose style\n"
    )
    assert detect_format(page.encode(), "menu.txt") == "claude-page"
    chat = parse_one("claude-page", page.encode(), "menu.txt")
    assert turns(chat) == [
        ("user", "my app's menu bar has these entries:\nFile\nEdit\nView\nwhat order is standard?"),
        ("assistant", "File, Edit, View is the usual order on Windows and macOS."),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]
