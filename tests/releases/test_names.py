"""Hostile names never escape the releases folder, and download headers follow RFC 6266."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.releases.names import content_disposition, safe_filename, slugify
from app.releases.service import build_release
from tests.releases.factories import add_many
from tests.releases.openai_validator import assert_valid

HOSTILE = [
    "../../etc/passwd",
    "/etc/passwd",
    "..\\..\\windows\\system32\\cmd.exe",
    "C:\\Users\\x\\evil.jsonl",
    "name\x00.jsonl",
    "..",
    ".",
    "...",
    "",
    "   ",
    ".hidden",
    "a/../../b",
    "line\r\nSet-Cookie: x=1",
    'quote"semicolon;.jsonl',
    "CON",
    "nul.txt",
    "\u202etxt.exe",  # right-to-left override
    "x" * 500 + ".jsonl",
    "é" * 300 + ".parquet",
    "日本語の名前.jsonl",
    "emoji 🚀 release.jsonl",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_filename_is_one_harmless_component(name: str) -> None:
    safe = safe_filename(name)
    assert safe
    assert "/" not in safe
    assert "\\" not in safe
    assert "\x00" not in safe
    assert ".." not in safe
    assert not safe.startswith(".")
    assert not any(ord(ch) < 32 or ord(ch) == 0x7F for ch in safe)
    assert "\u202e" not in safe
    assert len(safe.encode("utf-8")) <= 150
    assert safe.split(".")[0].lower() not in {"con", "nul", "prn", "aux"}
    assert Path(safe).name == safe


def test_safe_filename_keeps_ordinary_names_and_extensions() -> None:
    assert safe_filename("train.jsonl") == "train.jsonl"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("日本語の名前.jsonl") == "日本語の名前.jsonl"
    assert safe_filename("x" * 500 + ".jsonl").endswith(".jsonl")
    assert safe_filename("é" * 300 + ".parquet").endswith(".parquet")


@pytest.mark.parametrize("name", HOSTILE)
def test_content_disposition_is_a_safe_header(name: str) -> None:
    header = content_disposition(name)
    assert header.isascii()
    assert "\r" not in header
    assert "\n" not in header
    assert "\x00" not in header
    match = re.fullmatch(
        r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%!#$&+\-.^_`|~]+)', header
    )
    assert match, header
    assert unquote(match.group(2), encoding="utf-8") == safe_filename(name)
    assert "/" not in match.group(1)
    assert ".." not in match.group(1)


def test_content_disposition_examples() -> None:
    assert (
        content_disposition("train.jsonl")
        == "attachment; filename=\"train.jsonl\"; filename*=UTF-8''train.jsonl"
    )
    assert content_disposition("Ünïcode ✓.jsonl") == (
        "attachment; filename=\"Unicode _.jsonl\"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%E2%9C%93.jsonl"
    )


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Release v1", "my-release-v1"),
        ("../../etc", "etc"),
        ("..\\..\\x", "x"),
        ("/abs/path", "abs-path"),
        ("nul\x00byte", "nul-byte"),
        ("Ünïcødé", "unicde"),
        ("日本語", "release"),
        ("", "release"),
        ("a" * 200, "a" * 60),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["../../outside", "/abs/release", "..\\win", "nul\x00name", "..", "日本語"])
def test_hostile_release_names_stay_inside_the_releases_folder(
    release_engine: Engine, data_dir: Path, name: str
) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
        release = build_release(session, name=name, kind="sft", format="openai", data_dir=data_dir)
    assert_valid(data_dir / release.files[0]["path"], kind="sft")
    assert release.directory
    assert re.fullmatch(rf"releases/{release.id}-[a-z0-9-]+", release.directory)
    folder = (data_dir / release.directory).resolve()
    assert folder.parent == (data_dir / "releases").resolve()
    assert "\x00" not in release.name
    assert sorted(p.name for p in (data_dir / "releases").iterdir()) == [folder.name]
