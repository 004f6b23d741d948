"""Users: list, create, disable or enable, reset password (ends their sessions), change role."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.auth.deps import AdminUser
from app.auth.models import User
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.auth.service import create_user, list_users, set_active, set_password, set_role
from app.db import SessionDep
from app.errors import ConflictError, NotFoundError, PairwiseError
from app.listing import QueryModel
from app.settings.service import audit
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/users")

NOTICES = {
    "created": "The user was created.",
    "disabled": "The user was disabled and signed out everywhere.",
    "enabled": "The user was enabled.",
    "password": "The password was reset; every session of that user has ended.",
    "role": "The role was changed.",
}
Role = Literal["admin", "reviewer"]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid")
    csrf_token: str | None = None


class CreateForm(_Form):
    username: str = Field(max_length=64)
    role: Role
    password: str = Field(max_length=1024)


class ActiveForm(_Form):
    active: Literal["true", "false"]


class PasswordForm(_Form):
    password: str = Field(max_length=1024)


class RoleForm(_Form):
    role: Role


class NoticeQuery(QueryModel):
    notice: Literal["created", "disabled", "enabled", "password", "role"] | None = None


def _page(
    request: Request, session: Session, *, notice: str | None = None, error: PairwiseError | None = None,
    values: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    context = {
        "users": list_users(session),
        "notice": NOTICES.get(notice or ""),
        "error": str(error) if error else None,
        "values": values or {},
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return render(request, "auth/users.html", context, status_code=error.status_code if error else 200)


def _target(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return found


@router.get("", response_class=HTMLResponse)
def users_page(
    request: Request, session: SessionDep, user: AdminUser, q: Annotated[NoticeQuery, Query()]
) -> Response:
    return _page(request, session, notice=q.notice)


@router.post("", response_class=HTMLResponse)
def create(
    request: Request, session: SessionDep, user: AdminUser, form: Annotated[CreateForm, Form()]
) -> Response:
    try:
        created = create_user(session, username=form.username.strip(), password=form.password, role=form.role)
    except PairwiseError as error:
        session.rollback()
        return _page(request, session, error=error, values={"username": form.username, "role": form.role})
    audit(
        session,
        user_id=user.id,
        action="user.create",
        object_type="user",
        object_id=created.id,
        role=form.role,
    )
    return hx_redirect(request, "/admin/users?notice=created")


@router.post("/{user_id}/active", response_class=HTMLResponse)
def activate(
    request: Request, session: SessionDep, user: AdminUser, user_id: int, form: Annotated[ActiveForm, Form()]
) -> Response:
    target = _target(session, user_id)
    active = form.active == "true"
    if target.id == user.id and not active:
        return _page(
            request, session, error=ConflictError("You cannot disable your own account; ask another admin.")
        )
    set_active(session, user=target, active=active)
    audit(session, user_id=user.id, action="user.enable" if active else "user.disable", object_type="user",
          object_id=user_id)  # fmt: skip
    return hx_redirect(request, f"/admin/users?notice={'enabled' if active else 'disabled'}")


@router.post("/{user_id}/password", response_class=HTMLResponse)
def reset_password(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    user_id: int,
    form: Annotated[PasswordForm, Form()],
) -> Response:
    target = _target(session, user_id)
    try:
        set_password(session, user=target, password=form.password)
    except PairwiseError as error:
        session.rollback()
        return _page(request, session, error=error)
    audit(session, user_id=user.id, action="user.reset_password", object_type="user", object_id=user_id)
    return hx_redirect(request, "/admin/users?notice=password")


@router.post("/{user_id}/role", response_class=HTMLResponse)
def change_role(
    request: Request, session: SessionDep, user: AdminUser, user_id: int, form: Annotated[RoleForm, Form()]
) -> Response:
    target = _target(session, user_id)
    if target.id == user.id and form.role != "admin":
        error = ConflictError("You cannot remove your own admin role; ask another admin.")
        return _page(request, session, error=error)
    set_role(session, user=target, role=form.role)
    audit(session, user_id=user.id, action="user.role", object_type="user", object_id=user_id, role=form.role)
    return hx_redirect(request, "/admin/users?notice=role")
