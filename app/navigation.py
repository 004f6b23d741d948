"""The one navigation list: the top bar, the dashboard's sections and the training pages' links."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Link:
    section: str  # top | dashboard | training
    href: str
    label: str
    admin: bool = False  # shown to admins only
    exact: bool = False  # current only on this very path, not below it
    marks_current: bool = True


LINKS = (
    Link("top", "/review", "Review"),
    Link("top", "/admin", "Dashboard", admin=True),
    Link("top", "/admin/releases", "Releases", admin=True),
    Link("top", "/admin/training", "Training", admin=True),
    Link("top", "/admin/patterns", "Patterns", admin=True),
    Link("top", "/account/tokens", "API tokens", marks_current=False),
    Link("dashboard", "/admin", "Overview", exact=True),
    Link("dashboard", "/admin/imports/new", "Upload"),
    Link("dashboard", "/admin/imports", "Imports"),
    Link("dashboard", "/admin/conversations", "Conversations"),
    Link("dashboard", "/admin/pairs", "Pairs"),
    Link("dashboard", "/admin/users", "Users"),
    Link("dashboard", "/admin/settings", "Settings"),
    Link("dashboard", "/admin/detection", "Detection"),
    Link("dashboard", "/admin/patterns", "Patterns"),
    Link("dashboard", "/admin/releases", "Releases"),
    Link("training", "/admin/training", "Runs", marks_current=False),
    Link("training", "/admin/training/new", "New run", marks_current=False),
    Link("training", "/admin/training/settings", "Provider settings", marks_current=False),
)


def _under(path: str, link: Link) -> bool:
    if link.exact:
        return path == link.href
    return path == link.href or path.startswith(link.href.rstrip("/") + "/")


def nav(section: str, path: str, *, admin: bool = False) -> list[tuple[Link, bool]]:
    """The section's links a user sees, each with whether it is the current page (the longest match)."""
    links = [link for link in LINKS if link.section == section and (admin or not link.admin)]
    matches = [link for link in links if link.marks_current and _under(path, link)]
    current = max(matches, key=lambda link: len(link.href), default=None)
    return [(link, link is current) for link in links]
