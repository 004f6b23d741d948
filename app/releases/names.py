"""Names that reach the file system or a download header: no traversal, no control bytes, RFC 6266."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Windows refuses these as file names whatever the extension; a downloaded file may land there.
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_MAX_FILENAME_BYTES = 150
# RFC 8187 attr-char minus the ALPHA/DIGIT that quote() keeps anyway.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


def slugify(name: str, *, max_length: int = 60, fallback: str = "release") -> str:
    """An ASCII slug (a-z, 0-9, '-') for directory names: accents folded, everything else a dash."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_JUNK.sub("-", folded).strip("-")[:max_length].rstrip("-")
    return slug or fallback


def safe_filename(name: str, *, fallback: str = "download") -> str:
    """One path component safe on POSIX and Windows: separators, control bytes and leading dots removed.

    Unicode letters are kept (the download header encodes them); the result never contains '/', '\\',
    NUL or '..' as a component, and is at most 150 bytes of UTF-8 with its extension preserved.
    """
    text = unicodedata.normalize("NFC", name.replace("\\", "/"))
    # Only the last component counts: "../../etc/passwd" is asking for "passwd".
    text = text.rsplit("/", 1)[-1]
    text = _UNSAFE_CHARS.sub("_", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    text = text.strip().lstrip(".").rstrip(". ")
    while ".." in text:
        text = text.replace("..", ".")
    text = _truncate_utf8(text, _MAX_FILENAME_BYTES)
    if not text:
        return fallback
    if text.split(".", 1)[0].strip().lower() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def content_disposition(filename: str) -> str:
    """An RFC 6266 `Content-Disposition` value: an ASCII fallback plus the exact name as RFC 8187 UTF-8."""
    safe = safe_filename(filename)
    # Accents fold to their letter (é -> e); any other non-ASCII character becomes "_".
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", safe) if unicodedata.category(ch) != "Mn")
    ascii_name = re.sub(r"[^A-Za-z0-9!#$&'()+,\-.;=@\[\]^_`{}~ ]", "_", folded).strip(" .") or "download"
    encoded = quote(safe, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def _truncate_utf8(text: str, limit: int) -> str:
    if len(text.encode("utf-8")) <= limit:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    budget = limit - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
    return cut + suffix
