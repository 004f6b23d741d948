"""app.pipes: widened pipes for helper processes."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from app import pipes

pytestmark = pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")


def test_a_pipe_is_widened_to_a_megabyte() -> None:
    read, write = os.pipe()
    try:
        pipes.widen(read)
        assert fcntl.fcntl(write, fcntl.F_GETPIPE_SZ) == pipes.PIPE_BYTES == 1 << 20
        os.set_blocking(write, False)  # a pipe left at 64 KB raises BlockingIOError here instead of hanging
        assert os.write(write, b"x" * pipes.PIPE_BYTES) == pipes.PIPE_BYTES
    finally:
        os.close(read)
        os.close(write)


def test_what_is_not_a_pipe_is_left_as_it_is(tmp_path: Path) -> None:
    with (tmp_path / "file").open("wb") as file:
        pipes.widen(file.fileno())  # the system refuses; nothing is raised
        assert file.write(b"kept") == 4
