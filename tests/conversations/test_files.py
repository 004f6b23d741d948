"""Import inputs: folders, .gz and .zip as bounded streams; unsafe archive entries refused, not extracted."""

from __future__ import annotations

import gzip
import hashlib
import stat
import zipfile
from pathlib import Path

import pytest

from app.conversations.files import (
    Input,
    InputFile,
    Limits,
    NotConversation,
    SkippedInput,
    inner_name,
    iter_input_files,
    not_conversation_reason,
    unsafe_member_reason,
)
from app.errors import ImportInputError

MB = 1024 * 1024
LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def _write(path: Path, data: bytes = LINE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _names(items: list[Input]) -> list[tuple[str, str, str | None]]:
    return [
        ("file", item.name, None) if isinstance(item, InputFile) else ("skipped", item.name, item.reason)
        for item in items
    ]


def _read(item: InputFile) -> tuple[bytes, str]:
    stream = item.open()
    try:
        data = stream.stream.read()
        return data, stream.drain()
    finally:
        stream.close()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _zip_bytes_with_nul_name(path: Path) -> None:
    """Python's zipfile cuts names at NUL when writing, so the NUL is put into the bytes afterwards."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("good.jsonl#../../evil.jsonl", LINE)
    data = path.read_bytes()
    assert data.count(b"good.jsonl#") == 2  # local header and central directory
    path.write_bytes(data.replace(b"good.jsonl#", b"good.jsonl\x00"))


class TestFolders:
    def test_recursion_is_sorted_and_skips_dotfiles_and_non_transcripts(self, tmp_path: Path) -> None:
        root = tmp_path / "in"
        for rel in [
            "b.jsonl",
            "a.jsonl",
            "sub/c.json",
            "sub/deeper/d.md",
            ".hidden.jsonl",
            ".git/config",
            "sub/.cache/e.jsonl",
            "sub/.DS_Store",
            "README.md",
            "LICENSE",
            "shot.png",
            "page.html",
        ]:
            _write(root / rel)
        items = list(iter_input_files([root]))
        assert _names(items) == [
            ("file", str(root / "a.jsonl"), None),
            ("file", str(root / "b.jsonl"), None),
            # A page may be a chat export (chat.html, ChatGPT Exporter): read, and skipped if it is not one.
            ("file", str(root / "page.html"), None),
            ("file", str(root / "sub/c.json"), None),
            ("file", str(root / "sub/deeper/d.md"), None),
        ]
        assert [item.size for item in items if isinstance(item, InputFile)] == [len(LINE)] * 5

    def test_a_folder_inside_a_dot_folder_named_on_the_command_line_is_read(self, tmp_path: Path) -> None:
        # Only parts below the given folder count: ~/.claude/projects/x is a normal thing to import.
        root = tmp_path / ".claude" / "projects" / "x"
        _write(root / "s.jsonl")
        assert _names(list(iter_input_files([root]))) == [("file", str(root / "s.jsonl"), None)]

    def test_the_agents_own_folders_in_a_repository_are_walked(self, tmp_path: Path) -> None:
        # A repository with Continue's sessions committed (seen in a real one) and Claude Code's settings: the
        # session is read, the settings are skipped with their reason, .git and other dot-folders are not walked.
        root = tmp_path / "repo"
        for rel in [".continue/sessions/abc.json", ".continue/config.yaml", ".claude/settings.json", ".git/HEAD",
                    ".venv/lib/x.jsonl", "src/app.py.jsonl"]:  # fmt: skip
            _write(root / rel)
        assert _names(list(iter_input_files([root]))) == [
            ("skipped", str(root / ".claude/settings.json"), "Claude Code settings, prompt history, commands or caches, not sessions"),
            ("skipped", str(root / ".continue/config.yaml"), "Continue settings, indexes or logs, not sessions"),
            ("file", str(root / ".continue/sessions/abc.json"), None),
            ("file", str(root / "src/app.py.jsonl"), None),
        ]  # fmt: skip

    def test_plain_file_is_read_whole_and_hashed(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "one.jsonl", LINE * 3)
        (item,) = iter_input_files([path])
        assert isinstance(item, InputFile)
        assert (item.name, item.size, item.limit) == (str(path), len(LINE) * 3, None)
        assert _read(item) == (LINE * 3, hashlib.sha256(LINE * 3).hexdigest())

    def test_missing_path_is_reported_by_name(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope.jsonl"
        assert _names(list(iter_input_files([missing]))) == [
            ("skipped", str(missing), "no such file or folder")
        ]

    def test_paths_keep_the_order_given(self, tmp_path: Path) -> None:
        second = _write(tmp_path / "z.jsonl")
        first = _write(tmp_path / "a.jsonl")
        assert [i.name for i in iter_input_files([second, first])] == [str(second), str(first)]

    def test_head_does_not_consume(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "one.jsonl", LINE * 2)
        (item,) = iter_input_files([path])
        assert isinstance(item, InputFile)
        stream = item.open()
        assert stream.head(10) == LINE[:10]
        assert stream.stream.read() == LINE * 2
        assert stream.bytes_read == len(LINE) * 2
        stream.close()


class TestGzip:
    def test_gz_is_decompressed_as_a_stream(self, tmp_path: Path) -> None:
        path = tmp_path / "chat.jsonl.gz"
        path.write_bytes(gzip.compress(LINE * 5))
        (item,) = iter_input_files([path])
        assert isinstance(item, InputFile)
        assert (item.name, item.size) == (str(path), path.stat().st_size)
        assert _read(item) == (LINE * 5, hashlib.sha256(LINE * 5).hexdigest())
        assert inner_name(item.name) == str(tmp_path / "chat.jsonl")

    def test_gz_bomb_is_refused_while_reading(self, tmp_path: Path) -> None:
        path = tmp_path / "bomb.jsonl.gz"
        with gzip.open(path, "wb") as out:
            for _ in range(50):
                out.write(bytes(MB))
        (item,) = iter_input_files([path], limits=Limits(max_ratio=200))
        assert isinstance(item, InputFile)
        assert item.limit == path.stat().st_size * 200
        stream = item.open()
        with pytest.raises(ImportInputError, match="refusing a likely archive bomb"):
            stream.drain()
        stream.close()
        assert stream.bytes_read <= item.limit + MB

    def test_gz_is_bounded_by_the_total_limit(self, tmp_path: Path) -> None:
        path = tmp_path / "big.jsonl.gz"
        path.write_bytes(gzip.compress(b"x" * (3 * MB)))
        (item,) = iter_input_files([path], limits=Limits(max_ratio=100_000, max_total_bytes=2 * MB))
        assert isinstance(item, InputFile)
        assert item.limit == 2 * MB
        stream = item.open()
        with pytest.raises(ImportInputError, match="expands beyond 2 MB"):
            stream.drain()
        stream.close()


class TestZip:
    def test_entries_are_read_in_order_with_their_archive_name(self, tmp_path: Path) -> None:
        path = tmp_path / "export.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("b/two.jsonl", LINE * 2)
            archive.writestr("one.jsonl", LINE)
            archive.writestr("folder/", b"")
            archive.writestr("README.md", b"# readme")
            archive.writestr("__MACOSX/._one.jsonl", b"\x00\x05")
        items = list(iter_input_files([path]))
        assert _names(items) == [
            ("file", f"{path}!b/two.jsonl", None),
            ("file", f"{path}!one.jsonl", None),
        ]
        first, second = items
        assert isinstance(first, InputFile)
        assert isinstance(second, InputFile)
        assert (first.size, first.limit) == (len(LINE) * 2, len(LINE) * 2)
        assert _read(first) == (LINE * 2, hashlib.sha256(LINE * 2).hexdigest())
        assert _read(second) == (LINE, hashlib.sha256(LINE).hexdigest())
        assert inner_name(first.name) == "b/two.jsonl"

    def test_zip_inside_a_folder_is_opened(self, tmp_path: Path) -> None:
        root = tmp_path / "in"
        root.mkdir()
        with zipfile.ZipFile(root / "x.zip", "w") as archive:
            archive.writestr("a.jsonl", LINE)
        assert _names(list(iter_input_files([root]))) == [("file", f"{root / 'x.zip'}!a.jsonl", None)]

    def test_not_a_zip(self, tmp_path: Path) -> None:
        path = _write(tmp_path / "broken.zip", b"PK\x03\x04 not really")
        ((kind, name, reason),) = _names(list(iter_input_files([path])))
        assert (kind, name) == ("skipped", str(path))
        assert reason is not None
        assert reason.startswith("not a readable zip archive: ")

    def test_unsafe_entries_are_refused_with_a_reason_and_never_extracted(self, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        path = work / "evil.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("ok.jsonl", LINE)
            archive.writestr("../evil.jsonl", LINE)
            archive.writestr("../../tmp/evil2.jsonl", LINE)
            archive.writestr("/etc/evil.jsonl", LINE)
            archive.writestr("C:/evil.jsonl", LINE)
            archive.writestr("sub\\..\\..\\evil3.jsonl", LINE)
            link = zipfile.ZipInfo("link.jsonl")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(link, "/etc/passwd")
        before = _tree(tmp_path)
        items = list(iter_input_files([path]))
        assert _names(items) == [
            ("file", f"{path}!ok.jsonl", None),
            ("skipped", f"{path}!../evil.jsonl", "entry path leaves the archive (`..`)"),
            ("skipped", f"{path}!../../tmp/evil2.jsonl", "entry path leaves the archive (`..`)"),
            ("skipped", f"{path}!/etc/evil.jsonl", "entry has an absolute path"),
            ("skipped", f"{path}!C:/evil.jsonl", "entry has an absolute path"),
            ("skipped", f"{path}!sub\\..\\..\\evil3.jsonl", "entry path leaves the archive (`..`)"),
            ("skipped", f"{path}!link.jsonl", "entry is a symbolic link"),
        ]
        for item in items:
            if isinstance(item, InputFile):
                _read(item)
        assert _tree(tmp_path) == before
        assert not (tmp_path / "evil.jsonl").exists()

    def test_entry_with_a_nul_in_its_name_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "nul.zip"
        _zip_bytes_with_nul_name(path)
        items = list(iter_input_files([path]))
        assert len(items) == 1
        assert isinstance(items[0], SkippedInput), "an entry whose stored name has a NUL byte was accepted"
        assert items[0].reason == "entry name contains a NUL byte"

    def test_zip_bomb_of_50_mb_of_zeros_is_refused_before_reading(self, tmp_path: Path) -> None:
        path = tmp_path / "bomb.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("fine.jsonl", LINE)
            with archive.open("zeros.jsonl", "w") as entry:
                for _ in range(50):
                    entry.write(bytes(MB))
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("zeros.jsonl")
        ratio = info.file_size // info.compress_size
        assert info.file_size == 50 * MB
        assert ratio > 200
        before = _tree(tmp_path)
        items = list(iter_input_files([path], limits=Limits(max_ratio=200)))
        assert _names(items) == [
            ("file", f"{path}!fine.jsonl", None),
            (
                "skipped",
                f"{path}!zeros.jsonl",
                f"entry expands {ratio}x (limit 200x); refusing a likely zip bomb",
            ),
        ]
        assert _tree(tmp_path) == before

    def test_total_expanded_size_is_limited(self, tmp_path: Path) -> None:
        path = tmp_path / "many.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            for name in ("a.jsonl", "b.jsonl", "c.jsonl", "d.jsonl"):
                archive.writestr(name, b"x" * (900 * 1024))
        items = list(iter_input_files([path], limits=Limits(max_ratio=200, max_total_bytes=2 * MB)))
        reason = "archive expands beyond 2 MB in total"
        assert _names(items) == [
            ("file", f"{path}!a.jsonl", None),
            ("file", f"{path}!b.jsonl", None),
            ("skipped", f"{path}!c.jsonl", reason),
            ("skipped", f"{path}!d.jsonl", reason),
        ]

    def test_stream_stops_at_the_declared_size(self, tmp_path: Path) -> None:
        path = tmp_path / "one.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.jsonl", LINE)
        (item,) = iter_input_files([path])
        assert isinstance(item, InputFile)
        item.limit = 10  # as if the header declared 10 bytes
        stream = item.open()
        with pytest.raises(ImportInputError, match="refusing a likely archive bomb"):
            stream.drain()
        stream.close()


class TestMemberNames:
    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            ("ok/a.jsonl", None),
            ("a..b.jsonl", None),
            ("a\x00b", "entry name contains a NUL byte"),
            ("/abs", "entry has an absolute path"),
            ("\\abs", "entry has an absolute path"),
            ("d:evil", "entry has an absolute path"),
            ("..", "entry path leaves the archive (`..`)"),
            ("a/../../b", "entry path leaves the archive (`..`)"),
            ("a\\..\\b", "entry path leaves the archive (`..`)"),
        ],
    )
    def test_unsafe_member_reason(self, name: str, reason: str | None) -> None:
        assert unsafe_member_reason(name) == reason

    @pytest.mark.parametrize(
        ("display", "inner"),
        [("/x/a.jsonl", "/x/a.jsonl"), ("/x/a.jsonl.GZ", "/x/a.jsonl"), ("/x/e.zip!in/b.md", "in/b.md")],
    )
    def test_inner_name(self, display: str, inner: str) -> None:
        assert inner_name(display) == inner


def test_vs_code_workspace_pointers_are_skipped_by_name() -> None:
    reason = "VS Code workspace pointer (workspace.json), not conversations"
    assert not_conversation_reason("Code/User/workspaceStorage/deef16e0/workspace.json", 60) == reason
    assert not_conversation_reason("project/workspace.json", 60) is None


def test_a_projects_code_beside_its_saved_chats_is_skipped_by_name(tmp_path: Path) -> None:
    # A hobby project's folder: the bot's code, its saved chat history and a lock file.
    (tmp_path / "bot.py").write_text("import json\nhistory = json.load(open('chat_history.json'))\n")
    (tmp_path / "server.ts").write_text("const example = { chat_messages: [] };\n")
    (tmp_path / "package-lock.lock").write_text("{}\n")
    (tmp_path / "chat_history.json").write_text('[{"role": "user", "content": "hi"}]')
    found = {Path(item.name).name: item for item in iter_input_files([tmp_path])}
    assert isinstance(found["chat_history.json"], InputFile)
    for name, suffix in (("bot.py", ".py"), ("server.ts", ".ts"), ("package-lock.lock", ".lock")):
        skipped = found[name]
        assert isinstance(skipped, NotConversation)
        assert skipped.reason == f"source code ({suffix}), not a transcript"
