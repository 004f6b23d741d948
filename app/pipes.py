"""Pipes between this process and its helper processes (import readers, the export's token counter)."""

from __future__ import annotations

import contextlib

try:
    import fcntl
except ImportError:  # Windows: no pipe sizes to set
    fcntl = None  # type: ignore[assignment]

# What a widened pipe holds (Linux; its default is 64 KB, and 1 MB is what an unprivileged process may ask
# for by default: /proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20


def widen(fd: int) -> None:
    """Let the pipe `fd` belongs to hold PIPE_BYTES, so a writer of megabyte-sized messages seldom stops until
    the other side reads. Elsewhere than Linux, or where the system allows less, the pipe stays as it is."""
    with contextlib.suppress(AttributeError, OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
