"""aider's `.aider.chat.history.md` (more of its tests are in test_markdown_logs.py): shapes of real histories,
written here by hand in their layout."""

from __future__ import annotations

from app.conversations.importers import detect_format
from app.pairs.findings import find_pairs

from .helpers import parse_one, turns


def test_level_four_headings_in_an_answer_of_a_history_without_trailing_spaces_stay_in_it() -> None:
    """Twelfth fetch: a history that lost aider's trailing spaces, whose model titled its files and examples
    `#### main.py` / `#### Example:`; each heading became a prompt (60 turns instead of 14, false pairs). aider
    writes a blank line after an answer and one before a prompt: a prompt right after answer text has two."""
    log = (
        "# aider chat started at 2026-03-01 09:00:00\n\n> Aider v0.84.0\n> Model: ollama_chat/devstral\n\n"
        "#### the script crashes, fix it\n\n"
        "The module is missing. Here is the file:\n\n#### app.py\n```\nimport yaml\n```\n\n"
        "> Tokens: 1.1k sent, 90 received.\n> The LLM did not conform to the edit format.\n\n"
        "Sorry, here is the file again:\n\n#### app.py\n```\nimport yaml\n```\n\n"
        "> Tokens: 1.3k sent, 95 received.\n\n"
        "#### how do I copy a file from my server?\n\n"
        "Use one of these.\n\n#### Example:\n\n```sh\nscp me@host:/data.csv .\n```\n\n"
        "#### Example with `sftp`:\n\n```sh\nsftp me@host\n```\n\n\n"
        "#### and with rsync?\n\n`rsync -avz me@host:/data.csv .`\n"
    )
    chat = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert [(role, text.split("\n")[0]) for role, text in turns(chat)] == [
        ("user", "the script crashes, fix it"),
        ("assistant", "The module is missing. Here is the file:"),
        ("user", "how do I copy a file from my server?"),
        ("assistant", "Use one of these."),
        # Right after answer text, with aider's two blank lines: what the person typed.
        ("user", "and with rsync?"),
        ("assistant", "`rsync -avz me@host:/data.csv .`"),
    ]
    assert chat.turns[1].text.endswith("Sorry, here is the file again:\n\n#### app.py\n```\nimport yaml\n```")
    assert "#### Example with `sftp`:" in chat.turns[3].text
    assert "Tokens" not in chat.turns[1].text
    assert chat.dropped == {}
    assert [(p.rejected, p.pushback, p.chosen) for p in find_pairs(chat)] == []


def test_a_git_commands_output_is_not_the_answer() -> None:
    """Twelfth fetch: `/git log` in a history without trailing spaces; its output (the `> ` marker on its first
    line only) joined the answer before it."""
    log = (
        "# aider chat started at 2026-03-01 09:00:00\n\n> Aider v0.84.0\n\n"
        "#### list the files\n\nPlease tell me which files you mean.\n\n> Tokens: 769 sent, 31 received.\n\n"
        "#### /git log\n> commit 2e1c917f3645cf4ebd75f2693844fc98c15b7b60\nAuthor: Dev <dev@example.com>\n"
        "Date:   Wed Jun 11 16:09:49 2025 +0000\n\n    docs: add readme\n\n"
        "#### /exit\n"
    )
    chat = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert turns(chat) == [
        ("user", "list the files"),
        ("assistant", "Please tell me which files you mean."),
    ]
    assert chat.dropped == {"aider command": 2}


def test_an_aider_history_saved_as_markdown_is_aiders_despite_labels_its_model_invented() -> None:
    """Twelfth fetch: a history under another `.md` name whose model wrote `### User:` / `### Assistant:` headings
    in its answers was read as a generic Markdown transcript of those headings."""
    log = (
        "# aider chat started at 2026-04-05 03:59:29\n\n> Aider v0.82.3  \n\n"
        "#### make the login page friendlier  \n\n"
        "### Assistant:\nOk, I will change src/Login.tsx.\n\n"
        "### User:\nI tested the changes and they work.\n\n"
        "### Assistant:\nGreat.\n\n> Tokens: 2.0k sent, 70 received.  \n\n"
        "#### now test them  \n\n### Assistant:\nThe tests pass.\n"
    )
    assert detect_format(log.encode(), "chat-history.md") == "aider"
    chat = parse_one("aider", log.encode(), "chat-history.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[0].text == "make the login page friendlier"
    assert "### User:\nI tested the changes and they work." in chat.turns[1].text
    assert chat.turns[2].text == "now test them"
