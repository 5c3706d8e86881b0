"""Vai trò và quyền (issue 10): each role's label and its permissions at VP UBND and in the
units, saved by an admin as a new configuration version, in force at the next call of every user;
the same rules as ``config/roles.yaml``, and nobody locked out of the administration."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
import yaml
from sqlmodel import Session, func, select

from models import AdminChange, AdminEntity, ConfigVersion, Permission, Role, User
from models.schemas import NoteInput
from services.access import administrators
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.admin import config_admin, roles_admin, users
from services.admin.roles_admin import RoleEdit
from services.config import store
from services.infra.errors import Conflict, InvalidInput, PermissionDenied
from services.infra.settings import ROOT
from services.runtime import Runtime
from tests.conftest import FINANCE, at
from tests.services.support import assign, pause_after, task

SEED = ROOT / "config"
DAY = date(2026, 3, 5)


def _count(session: Session, model: type[ConfigVersion] | type[AdminChange]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _edit(runtime: Runtime, role: Role, **changes: Any) -> dict[str, RoleEdit]:
    """The form as drawn from the configuration in force, with ``changes`` to one role."""
    current = runtime.current().config.roles.roles[role]
    values: dict[str, Any] = {
        "label": current.label,
        "at_office": [p.value for p in current.at_office],
        "at_unit": [p.value for p in current.at_unit],
    }
    values.update(changes)
    return {role.value: RoleEdit(**values)}


def _save(session: Session, actor: Actor, roles: dict[str, RoleEdit], based_on: int | None = None) -> ConfigVersion:
    return roles_admin.save_roles(session=session, actor=actor, roles=roles, based_on=based_on, config_dir=SEED)


def _again(runtime: Runtime, session: Session, actor: Actor) -> Actor:
    """The actor as the next page run builds it, from the configuration in force."""
    found = build_actor(session=session, config=runtime.current().config, user_id=actor.user_id)
    assert found is not None
    return found


def _note(runtime: Runtime, session: Session, actor: Actor, task_id: int, text: str) -> None:
    perform(
        session=session,
        actor=actor,
        config=runtime.current().config,
        task_id=task_id,
        action="note",
        data=NoteInput(note=text),
        now=at(DAY),
    )


def test_a_permission_granted_or_taken_counts_at_the_next_call(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, [task_id] = assign(
        runtime,
        session,
        actors["tracker"],
        code="15/UBND-KT",
        issued=date(2026, 3, 2),
        tasks=[task("Báo cáo tình hình giải ngân", FINANCE, date(2026, 3, 20))],
    )
    _note(runtime, session, actors["clerk"], task_id, "Đã nhận văn bản")
    assert not actors["office_leader"].can(Permission.TASK_ASSIGN)
    clerk = runtime.current().config.roles.roles[Role.CLERK]
    edit = {
        **_edit(runtime, Role.CLERK, at_unit=[p.value for p in clerk.at_unit if p is not Permission.TASK_NOTE]),
        **_edit(runtime, Role.LEADER, at_office=["tasks.view_all", "dashboard.view", "task.assign"]),
    }
    row = _save(session, actors["admin"], edit, based_on=0)
    assert [(v.id, v.action) for v in store.list_versions(session=session)] == [(row.id, "roles"), (1, "seed")]
    # the clerk of Sở Tài chính can no longer write a progress note, at once
    clerk_now = _again(runtime, session, actors["clerk"])
    assert not clerk_now.can(Permission.TASK_NOTE)
    with pytest.raises(PermissionDenied):
        _note(runtime, session, clerk_now, task_id, "Ghi thêm tiến độ")
    session.rollback()
    # VP UBND's leader may now assign; a leader of a unit may not (only at_office changed)
    assert _again(runtime, session, actors["office_leader"]).can(Permission.TASK_ASSIGN)
    assert not _again(runtime, session, actors["leader"]).can(Permission.TASK_ASSIGN)
    assign(
        runtime,
        session,
        _again(runtime, session, actors["office_leader"]),
        code="16/UBND-KT",
        issued=date(2026, 3, 3),
        tasks=[task("Rà soát thủ tục hành chính", FINANCE, date(2026, 3, 25))],
    )
    (change,) = session.exec(select(AdminChange)).all()
    assert (change.entity, change.entity_key, change.action) == (AdminEntity.ROLE, "roles", "roles")
    assert change.actor_user_id == actors["admin"].user_id
    assert change.before == {
        "roles.roles.clerk.at_unit": [
            "unit_tasks.view",
            "task.note",
            "task.reply",
            "task.contribute",
            "task.archive",
            "dashboard.view",
        ],
        "roles.roles.leader.at_office": ["tasks.view_all", "dashboard.view"],
    }
    assert change.after == {
        "roles.roles.clerk.at_unit": [
            "unit_tasks.view",
            "task.reply",
            "task.contribute",
            "task.archive",
            "dashboard.view",
        ],
        "roles.roles.leader.at_office": ["task.assign", "tasks.view_all", "dashboard.view"],
    }
    assert change.detail == "Vai trò và quyền: clerk, leader"
    assert config_admin.describe_key("roles.roles.clerk.at_unit") == "Vai trò › clerk › quyền khi thuộc đơn vị khác"
    # the permission labels travel with the file
    stored = yaml.safe_load(store.current_files(session=session, config_dir=SEED)[1]["roles.yaml"])
    assert stored["permission_labels"]["task.note"] == "Ghi tiến độ xử lý"
    # a form drawn from the seed is refused now: another save came in between
    with pytest.raises(Conflict):
        _save(session, actors["admin"], _edit(runtime, Role.CLERK, label="Văn thư đơn vị"), based_on=0)


def test_a_new_label_shows_and_text_is_kept_as_typed(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _save(session, actors["admin"], _edit(runtime, Role.SPECIALIST, label="  <b>Chuyên viên</b> =1+1 "))
    assert runtime.current().config.role_label(Role.SPECIALIST) == "<b>Chuyên viên</b> =1+1"
    assert runtime.current().config.role_label(Role.CLERK) == "Văn thư"


@pytest.mark.parametrize(
    ("role", "changes", "field", "message"),
    [
        (
            Role.CLERK,
            {"label": "  "},
            "roles.clerk.label",
            "Vai trò “Văn thư” (clerk) — tên vai trò: không được để trống.",
        ),
        (
            Role.CLERK,
            {"at_unit": ["task.note", "task.delete"]},
            "roles.clerk.at_unit",
            "Vai trò “Văn thư” (clerk) — quyền khi thuộc đơn vị khác: không có quyền “task.delete”.",
        ),
        (
            Role.ADMIN,
            {"at_unit": ["tasks.view_all", "dashboard.view"], "at_office": ["tasks.view_all"]},
            "admin",
            "Không lưu: phải còn ít nhất một vai trò có quyền “Quản trị hệ thống” (admin), "
            "nếu không sẽ không ai vào được các trang Quản trị.",
        ),
        (
            # the only admin account works at Sở TT&TT (a unit): at_office alone keeps nobody
            Role.ADMIN,
            {"at_unit": ["tasks.view_all", "dashboard.view"]},
            "admin",
            "Không lưu: sau thay đổi này không còn tài khoản đang hoạt động nào có quyền “Quản trị hệ thống”. "
            "Vai trò “Quản trị hệ thống” (admin) — quyền khi thuộc đơn vị khác phải giữ quyền này, hoặc cấp vai "
            "trò quản trị cho một tài khoản khác trước.",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    role: Role,
    changes: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _save(session, actors["admin"], _edit(runtime, role, **changes))
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, message)]
    session.rollback()
    assert _count(session, ConfigVersion) == 0
    assert _count(session, AdminChange) == 0
    assert runtime.current() is runtime


def test_the_admin_cannot_take_the_admin_permission_from_himself(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """VP UBND's tracker is made an admin too; the admin (at a unit) still may not drop his own."""
    tracker = runtime.current().config.roles.roles[Role.TRACKER]
    _save(session, actors["admin"], _edit(runtime, Role.TRACKER, at_office=[*tracker.at_office, "admin"]))
    assert _again(runtime, session, actors["tracker"]).can(Permission.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        _save(session, actors["admin"], _edit(runtime, Role.ADMIN, at_unit=["tasks.view_all", "dashboard.view"]))
    assert [e.message for e in caught.value.errors] == [
        "Không lưu: thay đổi này bỏ quyền “Quản trị hệ thống” của chính bạn (Vai trò “Quản trị hệ thống” (admin) "
        "— quyền khi thuộc đơn vị khác) và bạn sẽ không vào lại được trang này. Hãy để một tài khoản quản trị "
        "khác làm việc này."
    ]
    session.rollback()
    assert _count(session, ConfigVersion) == 2  # the seed and the tracker's grant
    # the tracker, an admin now, may take it from the admin role's units
    _save(session, _again(runtime, session, actors["tracker"]), _edit(runtime, Role.ADMIN, at_unit=["dashboard.view"]))
    assert not _again(runtime, session, actors["admin"]).can(Permission.ADMIN)


def test_only_an_admin_saves_and_nothing_changed_is_no_version(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    with pytest.raises(PermissionDenied):
        _save(session, actors["tracker"], _edit(runtime, Role.CLERK, label="Văn thư"))
    with pytest.raises(InvalidInput, match="Không có thay đổi nào"):
        _save(session, actors["admin"], _edit(runtime, Role.CLERK))
    session.rollback()
    assert _count(session, ConfigVersion) == 0


def test_two_admins_saving_at_once_do_not_overwrite_each_other(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both forms drawn from the seed: each racer waits for the other right after reading the
    version in force. Were the read not under the writers' lock, both would read the seed and both
    would save, the second silently undoing the first; with it, the second waits, reads the
    first's version and is refused."""
    pause_after(monkeypatch, store, "current_files")  # the other racer reads meanwhile, unless the lock holds it
    outcomes: dict[str, BaseException | None] = {}

    def act(role: Role, label: str) -> None:
        with Session(runtime.engine, expire_on_commit=False) as own:
            try:
                _save(own, actors["admin"], _edit(runtime, role, label=label), based_on=0)
                outcomes[label] = None
            except BaseException as exc:  # judged below
                outcomes[label] = exc

    racers = [
        threading.Thread(target=act, args=(Role.CLERK, "Văn thư đơn vị")),
        threading.Thread(target=act, args=(Role.LEADER, "Lãnh đạo đơn vị")),
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    refused = [exc for exc in outcomes.values() if exc is not None]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    assert isinstance(refused[0], Conflict) and "sau khi trang này được mở" in refused[0].message
    assert _count(session, ConfigVersion) == 2  # the seed and the one save


# --- one meaning of "the last administrator" on every page (services.access.administrators) -----


def test_an_account_whose_role_grants_admin_counts_as_an_administrator_everywhere(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """The tracker's role is given ``admin`` at VP UBND: Người dùng may then take the admin role
    from "admin" (the tracker administers), but may not lock the tracker, now the last one; and a
    restored version that would take ``admin`` from the tracker's role is refused."""
    tracker_role = runtime.current().config.roles.roles[Role.TRACKER]
    grant = _save(session, actors["admin"], _edit(runtime, Role.TRACKER, at_office=[*tracker_role.at_office, "admin"]))
    tracker = _again(runtime, session, actors["tracker"])
    assert administrators.administrators(session=session, roles=runtime.current().config.roles) == [
        "admin",
        "vp.theodoi",
    ]
    assert users.update_account(
        session=session, actor=tracker, username="admin", full_name="Admin", role="clerk",
        unit_code="000.00.11.H21", config_dir=SEED,
    )
    with pytest.raises(Conflict) as locked:
        users.set_account_locked(session=session, actor=tracker, username="vp.theodoi", locked=True, config_dir=SEED)
    assert locked.value.message.startswith(
        "Không thể khóa “vp.theodoi”: đây là tài khoản quản trị cuối cùng còn hoạt động."
    )
    seed = store.seed_version_id(session)
    assert seed is not None and seed != grant.id
    with pytest.raises(InvalidInput) as restored:
        config_admin.restore_version(session=session, actor=tracker, version_id=seed, config_dir=SEED)
    assert [e.message for e in restored.value.errors] == [
        "Không lưu: với cấu hình này không còn tài khoản đang hoạt động nào có quyền “Quản trị hệ thống”, "
        "nên không ai vào được các trang Quản trị nữa."
    ]
    session.rollback()
    assert session.exec(select(User.active).where(User.username == "vp.theodoi")).one() is True
    assert store.current_version_id(session) == grant.id


@pytest.mark.parametrize("first", ["roles", "lock"])
def test_a_roles_save_and_a_lock_at_once_leave_an_administrator(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """"admin" takes ``admin`` from the tracker's role while the tracker (an administrator through
    that role) locks "admin". Each is fine alone; both together would leave nobody. Each racer
    waits for the other right after counting: were the two not under the same lock, both would
    count two administrators and both would save."""
    tracker_role = runtime.current().config.roles.roles[Role.TRACKER]
    grant = _save(session, actors["admin"], _edit(runtime, Role.TRACKER, at_office=[*tracker_role.at_office, "admin"]))
    tracker = _again(runtime, session, actors["tracker"])
    pause_after(monkeypatch, administrators, "administrators")  # the other counts meanwhile, unless held back
    outcomes: dict[str, BaseException | None] = {}

    def take_the_grant() -> None:
        with Session(runtime.engine, expire_on_commit=False) as own:
            try:
                _save(own, actors["admin"], _edit(runtime, Role.TRACKER, at_office=list(tracker_role.at_office)),
                      based_on=grant.id)
                outcomes["roles"] = None
            except BaseException as exc:  # judged below
                outcomes["roles"] = exc

    def lock_the_admin() -> None:
        with Session(runtime.engine, expire_on_commit=False) as own:
            try:
                users.set_account_locked(session=own, actor=tracker, username="admin", locked=True, config_dir=SEED)
                outcomes["lock"] = None
            except BaseException as exc:  # judged below
                outcomes["lock"] = exc

    racers = {"roles": threading.Thread(target=take_the_grant), "lock": threading.Thread(target=lock_the_admin)}
    racers[first].start()
    racers["lock" if first == "roles" else "roles"].start()
    for racer in racers.values():
        racer.join(30)
    refused = [exc for exc in outcomes.values() if exc is not None]
    assert len(outcomes) == 2 and len(refused) == 1, outcomes
    session.expire_all()
    assert administrators.administrators(session=session, roles=runtime.current().config.roles)
