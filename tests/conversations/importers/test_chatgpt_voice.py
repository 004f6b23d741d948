"""ChatGPT voice conversations: transcriptions are the turns' text; lost parts are counted by kind."""

from __future__ import annotations

from pathlib import Path

from .helpers import parse_one, turns

EXPORT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chatgpt_export"


def test_voice_transcriptions_become_turns_and_dropped_parts_are_counted() -> None:
    data = (EXPORT / "conversations.json").read_bytes()
    conversation = parse_one("chatgpt", data, "conversations.json")
    assert conversation.title == "Naming the cat"
    assert turns(conversation) == [
        ("user", "What's a good name for a grey cat?"),
        ("assistant", "How about Ash or Smokey?"),
        ("user", "Something shorter."),
        ("assistant", "Ash is three letters. Or Sky."),
        ("user", "No, I meant one syllable and not a colour."),
        ("assistant", "Then try Pip or Bo."),
        ("user", "Pip it is."),
        ("assistant", "Pip is a lovely name."),
        ("user", "Does this photo look like a Pip?"),
        ("assistant", "Yes, very much a Pip."),
    ]
    # The audio each transcription stands for is not lost; the photo and the untranscribed clip are.
    assert conversation.dropped == {"image": 1, "audio": 1}
