"""The one navigation list: which links each section shows and which one is current."""

from __future__ import annotations

import pytest

from app.navigation import nav


def _current(section: str, path: str, *, admin: bool = True) -> list[str]:
    return [link.label for link, current in nav(section, path, admin=admin) if current]


@pytest.mark.parametrize(
    ("path", "top", "dashboard"),
    [
        ("/admin", ["Dashboard"], ["Overview"]),
        ("/admin/jobs/3", ["Dashboard"], []),
        ("/admin/imports/new", ["Dashboard"], ["Upload"]),
        ("/admin/imports/4", ["Dashboard"], ["Imports"]),
        ("/admin/releases/3", ["Releases"], ["Releases"]),
        ("/admin/training/runs/2", ["Training"], []),
        ("/admin/patterns", ["Patterns"], ["Patterns"]),
        ("/review/5", ["Review"], []),
        ("/account/tokens", [], []),
    ],
)
def test_the_longest_matching_link_is_current(path: str, top: list[str], dashboard: list[str]) -> None:
    assert _current("top", path) == top
    assert _current("dashboard", path) == dashboard


def test_reviewers_see_no_admin_links() -> None:
    assert [link.label for link, _ in nav("top", "/review", admin=False)] == ["Review", "API tokens"]
    assert [link.label for link, _ in nav("top", "/review", admin=True)] == [
        "Review", "Dashboard", "Releases", "Training", "Patterns", "API tokens",
    ]  # fmt: skip


def test_training_links_mark_no_current_page() -> None:
    assert _current("training", "/admin/training/new") == []
