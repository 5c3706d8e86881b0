"""Đơn vị (issue 10): the org tree through services.admin.units, every rule, on a real database.

The merge keeps every report of a period before it exactly as it was (the whole table of the
previous year compared before and after) and passes the open tasks to the successor with their
deadlines and journals. Every refusal is checked to change nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models import AdminChange, AdminEntity, EventAction, Flow, OrgUnit, Task, TaskEvent, TaskStatus, UnitKind, User
from models.tables import TaskCoordinator, TaskLeadChange
from services.access.permissions import Actor
from services.admin import units as admin_units
from services.admin import workflow_admin
from services.admin.workflow_admin import AddedStep
from services.config import store
from services.infra.clock import local_date, now_utc
from services.infra.data_version import current_data_version
from services.infra.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from services.infra.settings import ROOT
from services.org.units import lead_units, resolve_lead_unit, sync_units
from services.runtime import Runtime
from services.stats.statistics import make_period, unit_statistics
from services.workflow.engine import main_flow
from tests.actions import archive_wrong_unit, decide_wrong_unit, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import assign, confirm, reply, staff, task, unit_id

PLANNING = "000.00.04.H21"  # Sở Kế hoạch và Đầu tư (merged into Sở Tài chính in 2025)
TRADE = "000.00.06.H21"  # Sở Công Thương
FINANCE_SUBUNITS = ("000.01.05.H21", "000.02.05.H21")
INFO = "000.00.11.H21"
INFO_SUBUNIT = "000.01.11.H21"
TODAY = local_date(now_utc())
SEED = ROOT / "config"
LAST_YEAR = TODAY.year - 1


def _org(session: Session) -> list[tuple[Any, ...]]:
    session.expire_all()
    rows = session.exec(select(OrgUnit).order_by(col(OrgUnit.id))).all()
    return [(u.id, u.code, u.name, u.short_name, u.kind, u.parent_id, u.active, u.sort_order) for u in rows]


def _state(session: Session) -> tuple[Any, ...]:
    """Everything a unit change may touch: to prove a refusal changed nothing."""
    tasks = session.exec(select(Task.id, Task.lead_unit_id, Task.version).order_by(col(Task.id))).all()  # type: ignore[call-overload]
    users = session.exec(select(User.id, User.unit_id).order_by(col(User.id))).all()  # type: ignore[call-overload]
    journal = len(session.exec(select(AdminChange.id)).all())
    changes = len(session.exec(select(TaskLeadChange.id)).all())
    events = len(session.exec(select(TaskEvent.id)).all())
    return (_org(session), tuple(tasks), tuple(users), journal, changes, events, current_data_version(session=session))


def _unit(session: Session, code: str) -> OrgUnit:
    session.expire_all()
    return session.exec(select(OrgUnit).where(OrgUnit.code == code)).one()


def _refused(session: Session, call: Any, error: type[ServiceError], field: str | None = None) -> ServiceError:
    before = _state(session)
    with pytest.raises(error) as refused:
        call()
    session.rollback()
    assert _state(session) == before, "a refusal changed something"
    if field is not None:
        assert isinstance(refused.value, InvalidInput)
        assert field in {e.field for e in refused.value.errors}, refused.value.errors
    return refused.value


# --- the tree, add -----------------------------------------------------------------------------


def test_the_tree_lists_every_unit_under_its_parent(session: Session, actors: dict[str, Actor]) -> None:
    tree = admin_units.unit_tree(session=session, actor=actors["admin"])
    codes = [n.code for n in tree]
    assert len(codes) == len(set(codes)) == len(_org(session))
    assert tree[0].kind is UnitKind.OFFICE and tree[0].depth == 0
    finance = codes.index(FINANCE)
    assert [n.code for n in tree[finance + 1 : finance + 3]] == list(FINANCE_SUBUNITS)
    assert {n.depth for n in tree[finance + 1 : finance + 3]} == {1}
    assert tree[finance + 1].parent_code == FINANCE
    assert tree[finance].users == 3  # stc.vanthu, stc.lanhdao, stc.chuyenvien


@pytest.mark.parametrize("key", ["tracker", "leader", "clerk"])
def test_every_change_is_for_the_admin_only(session: Session, actors: dict[str, Actor], key: str) -> None:
    actor = actors[key]
    calls = [
        lambda: admin_units.unit_tree(session=session, actor=actor),
        lambda: admin_units.add_unit(
            session=session, actor=actor, code="000.00.20.H21", name="Sở mới", short_name="Sở mới",
            kind=UnitKind.DEPARTMENT,
        ),
        lambda: admin_units.rename_unit(session=session, actor=actor, code=FINANCE, name="X", short_name="X"),
        lambda: admin_units.move_unit(session=session, actor=actor, code=FINANCE_SUBUNITS[0], parent_code=PLEIKU),
        lambda: admin_units.set_unit_active(session=session, actor=actor, code=FINANCE, active=False, config_dir=SEED),
        lambda: admin_units.merge_units(
            session=session, actor=actor, config_dir=SEED, merged=[PLANNING], merge_date=TODAY, successor_code=FINANCE
        ),
    ]
    for call in calls:
        _refused(session, call, PermissionDenied)


def test_add_a_department_and_a_phong(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    version = current_data_version(session=session)
    unit = admin_units.add_unit(
        session=session, actor=admin, code="000.00.20.H21", name="Sở Dân tộc và Tôn giáo",
        short_name="Sở DT&TG", kind=UnitKind.DEPARTMENT,
    )
    assert (unit.code, unit.kind, unit.parent_id, unit.active) == ("000.00.20.H21", UnitKind.DEPARTMENT, None, True)
    assert unit.sort_order == max(u[7] for u in _org(session))
    assert current_data_version(session=session) == version + 1
    assert "000.00.20.H21" in [u.code for u in lead_units(session=session)]
    phong = admin_units.add_unit(
        session=session, actor=admin, code="000.01.20.H21", name="Phòng Tôn giáo", short_name="P. Tôn giáo",
        kind="subunit", parent_code=" 000.00.20.H21 ",
    )
    assert phong.parent_id == unit.id
    assert "000.01.20.H21" not in [u.code for u in lead_units(session=session)]
    history = admin_units.unit_history(session=session, actor=admin, code="000.00.20.H21")
    assert [(h.entity, h.action, h.actor_user_id) for h in history] == [(AdminEntity.UNIT, "create", admin.user_id)]
    assert history[0].after == {
        "code": "000.00.20.H21", "name": "Sở Dân tộc và Tôn giáo", "short_name": "Sở DT&TG",
        "kind": "department", "parent": None, "active": True,
    }


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("", "để trống"),
        ("   ", "để trống"),
        ("000.00.20.h21", "ký tự không được phép"),
        ("000 00 20 H21", "ký tự không được phép"),
        ("000-00-20-H21", "ký tự không được phép"),
        ("SỞ.MỚI", "ký tự không được phép"),
        ("<b>X</b>", "ký tự không được phép"),
        ("=CMD", "ký tự không được phép"),
        ("A" * 36, "quá 35"),
        (FINANCE, "đã được dùng"),
    ],
)
def test_a_bad_code_is_refused_naming_the_field(
    session: Session, actors: dict[str, Actor], code: str, why: str
) -> None:
    error = _refused(
        session,
        lambda: admin_units.add_unit(
            session=session, actor=actors["admin"], code=code, name="Sở mới", short_name="Sở mới",
            kind=UnitKind.DEPARTMENT,
        ),
        InvalidInput,
        "code",
    )
    assert why in str(error)


def test_a_code_of_35_characters_is_accepted(session: Session, actors: dict[str, Actor]) -> None:
    code = "H21.0123456789.ABCDEFGHIJKLMNOPQRST"
    assert len(code) == 35
    admin_units.add_unit(
        session=session, actor=actors["admin"], code=code, name="Đơn vị mã dài", short_name="Mã dài",
        kind=UnitKind.DISTRICT,
    )
    assert _unit(session, code).code == code


def test_every_bad_field_is_reported_at_once_and_nothing_is_added(session: Session, actors: dict[str, Actor]) -> None:
    error = _refused(
        session,
        lambda: admin_units.add_unit(
            session=session, actor=actors["admin"], code="x", name="  ", short_name="", kind=UnitKind.SUBUNIT,
        ),
        InvalidInput,
    )
    assert isinstance(error, InvalidInput)
    assert [e.field for e in error.errors] == ["code", "name", "short_name", "parent"]
    assert "Tên đơn vị không được để trống" in str(error)


@pytest.mark.parametrize(
    ("kind", "parent", "field", "why"),
    [
        (UnitKind.OFFICE, None, "kind", "một Văn phòng UBND tỉnh"),
        ("commune", None, "kind", "hãy chọn một loại"),
        (UnitKind.SUBUNIT, None, "parent", "phải thuộc một sở"),
        (UnitKind.SUBUNIT, "000.00.99.H21", "parent", "không có đơn vị mã"),
        (UnitKind.SUBUNIT, FINANCE_SUBUNITS[0], "parent", "phòng chỉ thuộc sở"),
        (UnitKind.SUBUNIT, "000.00.01.H21", "parent", "phòng chỉ thuộc sở"),
        (UnitKind.DEPARTMENT, FINANCE, "parent", "không thuộc đơn vị nào"),
    ],
)
def test_kind_and_parent_rules(
    session: Session, actors: dict[str, Actor], kind: Any, parent: str | None, field: str, why: str
) -> None:
    error = _refused(
        session,
        lambda: admin_units.add_unit(
            session=session, actor=actors["admin"], code="000.05.05.H21", name="Phòng mới", short_name="P. mới",
            kind=kind, parent_code=parent,
        ),
        InvalidInput,
        field,
    )
    assert why in str(error)


def test_a_phong_is_not_added_under_an_inactive_unit(session: Session, actors: dict[str, Actor]) -> None:
    admin_units.set_unit_active(session=session, actor=actors["admin"], code=TRADE, active=False, config_dir=SEED)
    _refused(
        session,
        lambda: admin_units.add_unit(
            session=session, actor=actors["admin"], code="000.01.06.H21", name="Phòng", short_name="P.",
            kind=UnitKind.SUBUNIT, parent_code=TRADE,
        ),
        InvalidInput,
        "parent",
    )


# --- rename, move ------------------------------------------------------------------------------


def test_rename_stores_text_as_typed(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    hostile = "<script>alert(1)</script> Sở <b>Tài chính</b>"
    admin_units.rename_unit(session=session, actor=admin, code=FINANCE, name=hostile, short_name="=cmd|' /C calc'!A0")
    unit = _unit(session, FINANCE)
    assert (unit.name, unit.short_name) == (hostile, "=cmd|' /C calc'!A0")
    (row,) = admin_units.unit_history(session=session, actor=admin, code=FINANCE)
    assert row.action == "rename"
    assert (row.before["name"], row.after["name"]) == ("Sở Tài chính", hostile)  # type: ignore[index]


def test_rename_refusals(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    _refused(
        session,
        lambda: admin_units.rename_unit(session=session, actor=admin, code=FINANCE, name="", short_name="x" * 121),
        InvalidInput,
        "short_name",
    )
    _refused(
        session,
        lambda: admin_units.rename_unit(
            session=session, actor=admin, code=FINANCE, name="Sở Tài chính", short_name="Sở Tài chính"
        ),
        Conflict,
    )
    _refused(
        session,
        lambda: admin_units.rename_unit(session=session, actor=admin, code="000.00.99.H21", name="A", short_name="A"),
        NotFound,
    )


def test_move_a_phong_to_another_parent(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    admin_units.move_unit(session=session, actor=admin, code=INFO_SUBUNIT, parent_code=FINANCE)
    assert _unit(session, INFO_SUBUNIT).parent_id == unit_id(session, FINANCE)
    (row,) = admin_units.unit_history(session=session, actor=admin, code=INFO_SUBUNIT)
    assert (row.action, row.before["parent"], row.after["parent"]) == ("move", INFO, FINANCE)  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "parent", "field", "why"),
    [
        (INFO_SUBUNIT, INFO_SUBUNIT, "parent", "vòng lặp"),
        (FINANCE, FINANCE_SUBUNITS[0], "parent", "vòng lặp"),  # under its own phòng
        (INFO_SUBUNIT, "000.00.99.H21", "parent", "không có đơn vị mã"),
        (INFO_SUBUNIT, "", "parent", "hãy chọn"),
        (INFO_SUBUNIT, FINANCE_SUBUNITS[0], "parent", "phòng chỉ thuộc sở"),
        (FINANCE, PLEIKU, "parent", "chỉ chuyển được phòng"),
    ],
)
def test_move_refusals(
    session: Session, actors: dict[str, Actor], code: str, parent: str, field: str, why: str
) -> None:
    error = _refused(
        session,
        lambda: admin_units.move_unit(session=session, actor=actors["admin"], code=code, parent_code=parent),
        InvalidInput,
        field,
    )
    assert why in str(error)


def test_moving_to_the_same_parent_is_a_conflict(session: Session, actors: dict[str, Actor]) -> None:
    _refused(
        session,
        lambda: admin_units.move_unit(session=session, actor=actors["admin"], code=INFO_SUBUNIT, parent_code=INFO),
        Conflict,
    )


# --- deactivate, reactivate ---------------------------------------------------------------------


def test_deactivate_a_unit_with_its_phong_and_reactivate(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    changed = admin_units.set_unit_active(session=session, actor=admin, code=FINANCE, active=False, config_dir=SEED)
    assert changed == [FINANCE, *FINANCE_SUBUNITS]
    assert not any(_unit(session, c).active for c in changed)
    assert FINANCE not in [u.code for u in lead_units(session=session)]
    with pytest.raises(InvalidInput, match="ngừng hoạt động"):
        resolve_lead_unit(session=session, code=FINANCE, label="Nhiệm vụ 1")
    # a phòng comes back only under an active parent
    _refused(
        session,
        lambda: admin_units.set_unit_active(
                session=session, actor=admin, code=FINANCE_SUBUNITS[0], active=True, config_dir=SEED
            ),
        Conflict,
    )
    assert admin_units.set_unit_active(
            session=session, actor=admin, code=FINANCE, active=True, config_dir=SEED
        ) == changed
    assert all(_unit(session, c).active for c in changed)
    actions = [h.action for h in admin_units.unit_history(session=session, actor=admin, code=FINANCE_SUBUNITS[1])]
    assert actions == ["activate", "deactivate"]


def test_the_office_is_never_deactivated_and_nothing_twice(session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    _refused(
        session, lambda: admin_units.set_unit_active(
                session=session, actor=admin, code="000.00.01.H21", active=False, config_dir=SEED
            ),
        Conflict,
    )
    _refused(session, lambda: admin_units.set_unit_active(
            session=session, actor=admin, code=FINANCE, active=True, config_dir=SEED
        ),
             Conflict)


def test_the_org_yaml_seed_never_undoes_a_change_made_here(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    admin_units.rename_unit(session=session, actor=admin, code=FINANCE, name="Sở Tài chính tỉnh", short_name="STC")
    admin_units.set_unit_active(session=session, actor=admin, code=TRADE, active=False, config_dir=SEED)
    admin_units.move_unit(session=session, actor=admin, code=INFO_SUBUNIT, parent_code=FINANCE)
    admin_units.add_unit(
        session=session, actor=admin, code="000.00.20.H21", name="Sở mới", short_name="Sở mới", kind="department"
    )
    before = _org(session)
    sync_units(session=session, config=runtime.config)  # what every start runs
    assert _org(session) == before


# --- merge ---------------------------------------------------------------------------------------


def _history(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> dict[str, int]:
    """Last year's tasks of Sở Tài chính, Sở KH&ĐT and Pleiku in every state, and this year's."""
    tracker = actors["tracker"]
    y = LAST_YEAR
    _, (done,) = assign(runtime, session, tracker, code="1/UBND-KT", issued=date(y, 3, 2),
                        tasks=[task("Đã xong đúng hạn", FINANCE, date(y, 3, 20))])
    reply(runtime, session, done, code="10/STC", on=date(y, 3, 15))
    confirm(runtime, session, tracker, done, on=date(y, 3, 18))
    _, (late_done,) = assign(runtime, session, tracker, code="2/UBND-KT", issued=date(y, 4, 1),
                             tasks=[task("Đã xong trễ hạn", PLANNING, date(y, 4, 10))])
    reply(runtime, session, late_done, code="11/SKHDT", on=date(y, 4, 20))
    confirm(runtime, session, tracker, late_done, on=date(y, 4, 22))
    _, (overdue,) = assign(runtime, session, tracker, code="3/UBND-KT", issued=date(y, 6, 2),
                           tasks=[task("Quá hạn, chưa trả lời", FINANCE, date(y, 6, 30))])
    _, (waiting,) = assign(runtime, session, tracker, code="4/UBND-KT", issued=date(y, 9, 1),
                           tasks=[task("Đã trả lời trễ, chờ xác nhận", PLANNING, date(y, 9, 10))])
    reply(runtime, session, waiting, code="12/SKHDT", on=date(y, 9, 12))
    _, (shared_a, shared_b, pleiku) = assign(
        runtime, session, tracker, code="5/UBND-KT", issued=date(y, 11, 3),
        tasks=[task("Phần Sở Tài chính", FINANCE, date(y + 1, 1, 15)),
               task("Phần Sở KH&ĐT", PLANNING, date(y + 1, 2, 15)),
               task("Phần Pleiku", PLEIKU, date(y, 11, 30))],
    )
    _, (this_year,) = assign(runtime, session, tracker, code="6/UBND-KT", issued=date(y + 1, 1, 5),
                             tasks=[task("Năm nay", PLANNING, TODAY + timedelta(days=30))])
    return {"done": done, "late_done": late_done, "overdue": overdue, "waiting": waiting, "shared_a": shared_a,
            "shared_b": shared_b, "pleiku": pleiku, "this_year": this_year}


def _table(session: Session, date_from: date, date_to: date) -> list[tuple[Any, ...]]:
    report = unit_statistics(session=session, period=make_period(date_from=date_from, date_to=date_to, today=TODAY))
    return [
        (r.unit_id, r.unit_name, r.full_name, r.documents, tuple(sorted(r.counts.items())), r.awaiting_confirmation)
        for r in [*report.rows, report.total]
    ]


def test_a_merge_keeps_last_years_table_and_moves_the_open_tasks(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    tasks = _history(runtime, session, actors)
    last_year = (date(LAST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))
    before = _table(session, *last_year)
    mid_year = _table(session, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 6, 30))
    assert {row[1] for row in before} == {"Sở Tài chính", "Sở KH&ĐT", "UBND TP Pleiku", "Tổng cộng"}
    version = current_data_version(session=session)
    staff_before = {u.username for u in session.exec(select(User).where(User.unit_id == unit_id(session, FINANCE)))}

    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[FINANCE, PLANNING], merge_date=TODAY,
        successor_code="000.00.50.H21", new_name="Sở Tài chính (sau sáp nhập)", new_short_name="Sở TC mới",
        new_kind=UnitKind.DEPARTMENT,
    )

    # the previous year's table (and any earlier period) is exactly as it was
    assert _table(session, *last_year) == before
    assert _table(session, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 6, 30)) == mid_year
    assert current_data_version(session=session) > version
    successor = _unit(session, "000.00.50.H21")
    assert (successor.name, successor.kind, successor.active) == ("Sở Tài chính (sau sáp nhập)", UnitKind.DEPARTMENT,
                                                                  True)
    moved = {tasks[k] for k in ("overdue", "waiting", "shared_a", "shared_b", "this_year")}
    assert set(result.moved_tasks) == moved
    session.expire_all()
    for key, tid in tasks.items():
        current = session.get(Task, tid)
        assert current is not None
        if tid in moved:
            assert current.lead_unit_id == successor.id, key
            (event,) = session.exec(
                select(TaskEvent).where(TaskEvent.task_id == tid, TaskEvent.action == EventAction.REROUTED)
            ).all()
            assert event.to_unit_id == successor.id and "Sáp nhập đơn vị" in event.note
            assert event.actor_id == admin.user_id
            (change,) = session.exec(select(TaskLeadChange).where(TaskLeadChange.task_id == tid)).all()
            assert (change.to_unit_id, change.changed_on) == (successor.id, TODAY)
            flow = main_flow(session=session, task_id=tid)
            assert flow is not None and flow.unit_id == successor.id
        else:
            assert current.lead_unit_id != successor.id, key
    assert session.get(Task, tasks["waiting"]).status is TaskStatus.REPLIED  # type: ignore[union-attr]
    assert session.get(Task, tasks["overdue"]).deadline == date(LAST_YEAR, 6, 30)  # type: ignore[union-attr]
    # the merged units are inactive, their phòng and people are the successor's
    assert not _unit(session, FINANCE).active and not _unit(session, PLANNING).active
    assert {_unit(session, c).parent_id for c in FINANCE_SUBUNITS} == {successor.id}
    assert staff_before <= set(result.moved_users)
    assert {u.unit_id for u in session.exec(select(User).where(col(User.username).in_(staff_before)))} == {
        successor.id
    }
    assert [h.action for h in admin_units.unit_history(session=session, actor=admin, code=FINANCE)] == ["merge"]
    assert [h.action for h in admin_units.unit_history(session=session, actor=admin, code="000.00.50.H21")] == [
        "merge_into", "create"
    ]
    # this year: the open tasks count for the successor, the document shared by both once
    now_table = {row[1]: row for row in _table(session, date(TODAY.year, 1, 1), TODAY)}
    assert set(now_table) == {"Sở TC mới", "UBND TP Pleiku", "Tổng cộng"}  # Pleiku's task is still open
    new = now_table["Sở TC mới"]
    assert sum(n for _, n in new[4]) == 5
    assert new[3] == 4  # documents 3, 4, 5 (two of its tasks) and 6
    # the successor's people take the moved task on from where it stood
    reply(runtime, session, tasks["this_year"], code="1/STCM", on=TODAY)
    assert session.get(Task, tasks["this_year"]).status is TaskStatus.REPLIED  # type: ignore[union-attr]
    assert _table(session, *last_year) == before


def test_a_merge_into_an_existing_unit(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    tracker, admin = actors["tracker"], actors["admin"]
    _, (open_task,) = assign(runtime, session, tracker, code="7/UBND-KT", issued=TODAY - timedelta(days=3),
                             tasks=[task("Việc của Sở Công Thương", TRADE, TODAY + timedelta(days=10))])
    before = _table(session, date(TODAY.year, 1, 1), TODAY - timedelta(days=1))
    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[TRADE], merge_date=TODAY, successor_code=PLANNING
    )
    assert result.moved_tasks == (open_task,) and result.moved_subunits == ()
    assert session.get(Task, open_task).lead_unit_id == unit_id(session, PLANNING)  # type: ignore[union-attr]
    assert _table(session, date(TODAY.year, 1, 1), TODAY - timedelta(days=1)) == before  # yesterday's report
    today = {row[1] for row in _table(session, date(TODAY.year, 1, 1), TODAY)}
    assert "Sở KH&ĐT" in today and "Sở Công Thương" not in today


@pytest.mark.parametrize(
    ("merged", "successor", "on", "field"),
    [
        ([], FINANCE, TODAY, "merged"),
        (["000.00.99.H21"], FINANCE, TODAY, "merged"),
        ([FINANCE_SUBUNITS[0]], FINANCE, TODAY, "merged"),
        (["000.00.01.H21"], FINANCE, TODAY, "merged"),
        ([PLANNING, PLANNING], FINANCE, TODAY, "merged"),
        ([FINANCE], FINANCE, TODAY, "successor"),
        ([PLANNING], "", TODAY, "successor"),
        ([PLANNING], "000.00.99.H21", TODAY, "successor"),
        ([PLANNING], FINANCE_SUBUNITS[0], TODAY, "successor"),
        ([PLANNING], FINANCE, TODAY + timedelta(days=1), "merge_date"),
    ],
)
def test_merge_refusals_change_nothing(
    runtime: Runtime, session: Session, actors: dict[str, Actor], merged: list[str], successor: str, on: date,
    field: str,
) -> None:
    assign(runtime, session, actors["tracker"], code="8/UBND-KT", issued=TODAY,
           tasks=[task("Việc", PLANNING, TODAY + timedelta(days=10))])
    _refused(
        session,
        lambda: admin_units.merge_units(
            session=session, actor=actors["admin"], config_dir=SEED, merged=merged, merge_date=on,
            successor_code=successor,
        ),
        InvalidInput,
        field,
    )


def test_a_new_successor_is_checked_like_a_new_unit(session: Session, actors: dict[str, Actor]) -> None:
    error = _refused(
        session,
        lambda: admin_units.merge_units(
            session=session, actor=actors["admin"], config_dir=SEED, merged=[PLANNING], merge_date=TODAY,
            successor_code=FINANCE,
            new_name="", new_short_name="X", new_kind=UnitKind.SUBUNIT,
        ),
        InvalidInput,
    )
    assert isinstance(error, InvalidInput)
    assert {e.field for e in error.errors} == {"successor", "name", "kind"}


def test_a_merge_date_before_an_earlier_lead_change_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    assign(runtime, session, actors["tracker"], code="9/UBND-KT", issued=TODAY - timedelta(days=20),
           tasks=[task("Việc", TRADE, TODAY + timedelta(days=10))])
    admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[TRADE], merge_date=TODAY, successor_code=PLANNING
    )
    _refused(
        session,
        lambda: admin_units.merge_units(
            session=session, actor=admin, config_dir=SEED, merged=[PLANNING], merge_date=TODAY - timedelta(days=5),
            successor_code=FINANCE,
        ),
        InvalidInput,
        "merge_date",
    )


def test_the_flows_of_a_moved_task_follow_it(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _, (tid,) = assign(runtime, session, actors["tracker"], code="10/UBND-KT", issued=TODAY,
                       tasks=[task("Việc", PLANNING, TODAY + timedelta(days=10))])
    admin_units.merge_units(
        session=session, actor=actors["admin"], config_dir=SEED, merged=[PLANNING], merge_date=TODAY,
        successor_code=FINANCE,
    )
    flows = session.exec(select(Flow).where(Flow.task_id == tid, col(Flow.active).is_(True))).all()
    assert {f.unit_id for f in flows} == {unit_id(session, FINANCE)}


def test_a_merge_hands_coordination_and_waiting_archives_to_the_successor(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Phối hợp on open tasks and a wrong-unit task's lưu kết thúc go with the merged unit's work."""
    tracker, admin = actors["tracker"], actors["admin"]
    issued = TODAY - timedelta(days=5)
    _, (shared, planning_led, trade_led) = assign(
        runtime, session, tracker, code="9/UBND-KT", issued=issued,
        tasks=[
            task("Phối hợp cả hai sở", FINANCE, TODAY + timedelta(days=10), [TRADE, PLANNING]),
            task("Sở KH&ĐT chủ trì, Sở Công Thương phối hợp", PLANNING, TODAY + timedelta(days=10), [TRADE]),
            task("Không thuộc chức năng Sở Công Thương", TRADE, TODAY + timedelta(days=10)),
        ],
    )
    trade = staff(runtime, session, TRADE)
    request = request_wrong_unit(
        session=session, actor=trade.leader, task_id=trade_led, reason="Thuộc chức năng Sở Tài chính", now=at(issued)
    )
    decide_wrong_unit(
        session=session, actor=tracker, config=runtime.config, request_id=request.id or 0, accept=True,
        new_lead_unit_code=FINANCE, new_deadline=TODAY + timedelta(days=10), now=at(issued + timedelta(days=1)),
    )
    planning = unit_id(session, PLANNING)
    yesterday = _table(session, issued, TODAY - timedelta(days=1))
    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[TRADE], merge_date=TODAY, successor_code=PLANNING
    )
    assert _table(session, issued, TODAY - timedelta(days=1)) == yesterday  # no figure moved
    assert result.coordinating_on == (shared, planning_led)
    assert result.archives_waiting == (trade_led,)

    def coordinators(task_id: int) -> set[int]:
        return set(session.exec(select(TaskCoordinator.unit_id).where(TaskCoordinator.task_id == task_id)).all())

    assert coordinators(shared) == {planning}  # Sở KH&ĐT coordinated already: one link, not two
    assert coordinators(planning_led) == set()  # the successor leads it: it does not coordinate it
    notes = [
        e.note for e in session.exec(
            select(TaskEvent).where(TaskEvent.task_id == shared, TaskEvent.action == EventAction.UPDATED)
        ).all()
    ]
    assert notes == [
        "Sáp nhập đơn vị: đơn vị phối hợp Sở Công Thương sáp nhập vào Sở Kế hoạch và Đầu tư; "
        "Sở KH&ĐT phối hợp thực hiện."
    ]
    assert session.get(Task, trade_led).lead_unit_id == planning  # type: ignore[union-attr]
    # the successor's own clerk keeps the merged unit's register now
    archive_wrong_unit(session=session, actor=staff(runtime, session, PLANNING).clerk, task_id=trade_led)
    assert session.exec(
        select(TaskEvent.id).where(TaskEvent.task_id == trade_led, TaskEvent.action == EventAction.ARCHIVED)
    ).first()


# --- a merged unit's own workflow variant -------------------------------------------------------


def _variant(session: Session, admin: Actor, runtime: Runtime, key: str, units: list[str], state: str) -> None:
    """A unit's own copy of the short workflow with one added step (as Quy trình saves it)."""
    workflow_admin.save_variant(
        session=session,
        actor=admin,
        config=runtime.current().config,
        added=AddedStep(
            base="ngan", variant=key, variant_label=f"Quy trình riêng {key}", units=units, after="trinh_du_thao",
            state=state, state_label="Chờ thẩm định", transition=f"xu_ly_{state}", transition_label="Thẩm định",
            roles=["specialist"],
        ),
        based_on=None,
        config_dir=SEED,
    )


def test_the_successor_takes_the_merged_units_variant(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    _variant(session, admin, runtime, "ngan_ke_hoach", [PLANNING], "cho_tham_dinh")
    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[PLANNING], merge_date=TODAY,
        successor_code="000.00.50.H21", new_name="Sở Kế hoạch và Tài chính", new_short_name="Sở KH-TC",
        new_kind=UnitKind.DEPARTMENT,
    )
    assert (result.variants, result.variants_left) == (("ngan_ke_hoach",), ())
    workflows = runtime.current().config.workflows
    assert workflows.workflows["ngan_ke_hoach"].units == (PLANNING, "000.00.50.H21")
    assert list(workflows.mains_for("000.00.50.H21", has_subunits=False)) == ["ngan_ke_hoach"]
    assert [v.action for v in store.list_versions(session=session)] == ["unit_merge", "workflow_variant", "seed"]
    change = session.exec(
        select(AdminChange).where(AdminChange.entity == AdminEntity.WORKFLOW, AdminChange.action == "unit_merge")
    ).one()
    assert change.entity_key == "000.00.50.H21"
    assert change.after == {"workflows.workflows.ngan_ke_hoach.units": [PLANNING, "000.00.50.H21"]}
    merge_into = session.exec(select(AdminChange).where(AdminChange.action == "merge_into")).one()
    assert (merge_into.after or {})["variants"] == ["ngan_ke_hoach"]
    # a task given to the successor now runs the variant, with its added step
    _, [task_id] = assign(runtime.current(), session, actors["tracker"], code="77/UBND-KT", issued=TODAY,
                          tasks=[task("Việc sau sáp nhập", "000.00.50.H21", TODAY + timedelta(days=10))])
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.workflow == "ngan_ke_hoach"


def test_the_successor_keeps_its_own_variant_and_two_variants_pass_to_none(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    _variant(session, admin, runtime, "ngan_tai_chinh", [FINANCE], "cho_kiem_soat")
    _variant(session, admin, runtime, "ngan_ke_hoach", [PLANNING], "cho_tham_dinh")
    _variant(session, admin, runtime, "ngan_cong_thuong", [TRADE], "cho_phap_che")
    versions = len(store.list_versions(session=session))
    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[PLANNING], merge_date=TODAY, successor_code=FINANCE
    )
    assert (result.variants, result.variants_left) == ((), ("ngan_ke_hoach",))
    assert list(runtime.current().config.workflows.mains_for(FINANCE, has_subunits=False)) == ["ngan_tai_chinh"]
    # two merged units with different variants of one workflow: the successor takes neither
    result = admin_units.merge_units(
        session=session, actor=admin, config_dir=SEED, merged=[TRADE, FINANCE], merge_date=TODAY,
        successor_code="000.00.51.H21", new_name="Sở Tài chính và Công Thương", new_short_name="Sở TC-CT",
        new_kind=UnitKind.DEPARTMENT,
    )
    assert (result.variants, result.variants_left) == ((), ("ngan_tai_chinh", "ngan_cong_thuong"))
    assert len(store.list_versions(session=session)) == versions  # nothing to hand over: no new version
    assert list(runtime.current().config.workflows.mains_for("000.00.51.H21", has_subunits=False)) == ["ngan"]


def test_the_unit_of_the_last_administrators_is_not_deactivated(session: Session, actors: dict[str, Actor]) -> None:
    """Every account able to administer is at Sở TT&TT ("admin"): deactivating it would leave
    nobody (``services.access.administrators``), so it is refused and nothing changes."""
    ict = "000.00.11.H21"
    refused = _refused(
        session,
        lambda: admin_units.set_unit_active(
            session=session, actor=actors["admin"], code=ict, active=False, config_dir=SEED
        ),
        Conflict,
    )
    assert refused.message.startswith("Không ngừng hoạt động “Sở TT&TT”: mọi tài khoản còn quyền “Quản trị hệ thống”")
    assert _unit(session, ict).active
