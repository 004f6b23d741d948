"""Demo mode: sample conversations, the default taxonomy, and two accounts with one-time passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from app.auth.models import Role
from app.auth.service import create_user, get_by_username
from app.config import get_settings
from app.conversations.importing import ImportSummary, run_import
from app.conversations.models import Conversation
from app.db import session_scope
from app.errors import PairwiseError
from app.patterns.service import seed_defaults

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_USERS = (("admin", Role.admin), ("reviewer", Role.reviewer))


@dataclass(slots=True)
class DemoResult:
    imported: ImportSummary | None
    new_passwords: dict[str, str]


def load_demo(engine: Engine, *, examples: Path = EXAMPLES) -> DemoResult:
    """Seed the taxonomy, import the examples once, and create missing demo users."""
    if get_settings().mode == "production":
        raise PairwiseError("demo data and accounts are only created in demo mode (PAIRWISE_MODE=demo)")
    with session_scope(engine) as session:
        seed_defaults(session)
        has_data = session.execute(select(func.count()).select_from(Conversation)).scalar_one() > 0
    imported = None
    if not has_data:
        imported = run_import(
            engine, paths=sorted(p for p in examples.iterdir() if p.is_dir()), source="demo"
        )
    passwords: dict[str, str] = {}
    with session_scope(engine) as session:
        for username, role in DEMO_USERS:
            if get_by_username(session, username=username) is None:
                password = secrets.token_urlsafe(12)
                create_user(session, username=username, password=password, role=role)
                passwords[username] = password
    return DemoResult(imported=imported, new_passwords=passwords)
