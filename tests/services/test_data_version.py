"""The data version moves exactly once with every write that can change a figure, and never
with a refused one: each action of the registry (through ``perform``), an assignment, and the
org sync when it changed a unit. Giám sát keys its cache of the public table by it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from models import ActionKey, ConfirmOutcome, OrgUnit, ReminderLevel, UnitKind
from models.schemas import ConfirmationCreate, RevokeInput
from services.access.permissions import Actor
from services.actions import registry
from services.config.loader import UnitConfig
from services.infra.clock import local_date, now_utc
from services.infra.data_version import current_data_version
from services.infra.errors import ServiceError
from services.org.units import sync_units
from services.runtime import Runtime
from tests import actions
from tests.conftest import FINANCE, PLEIKU
from tests.services.support import assign, confirm, reply, task, unit_id


def _version(runtime: Runtime) -> int:
    with Session(runtime.engine) as fresh:  # what another process reads: committed data only
        return current_data_version(session=fresh)


def test_every_action_of_the_registry_bumps_the_version_once(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    moves: list[tuple[ActionKey, int]] = []
    real: Callable[..., Any] = registry.perform

    def counted(**kwargs: Any) -> Any:
        before = _version(runtime)
        result = real(**kwargs)
        moves.append((ActionKey(kwargs["action"]), _version(runtime) - before))
        return result

    monkeypatch.setattr(actions, "perform", counted)
    today = local_date(now_utc())
    start = _version(runtime)
    _, (t1, t2, t3, t4) = assign(
        runtime,
        session,
        actors["tracker"],
        code="12/UBND-VX",
        issued=today - timedelta(days=5),
        tasks=[
            task("Báo cáo một", FINANCE, today + timedelta(days=10), coordinators=[PLEIKU]),
            task("Báo cáo hai", FINANCE, today + timedelta(days=10)),
            task("Báo cáo ba", FINANCE, today + timedelta(days=10)),
            task("Báo cáo bốn", FINANCE, today + timedelta(days=10)),
        ],
    )
    assert _version(runtime) == start + 1  # one assignment of four tasks: one bump

    actions.add_note(session=session, actor=actors["leader"], task_id=t1, note="Đang tổng hợp")
    actions.contribute(session=session, actor=actors["other_leader"], task_id=t1, note="Pleiku góp ý")
    reply(runtime, session, t1, code="7/STC", on=today)
    confirm(runtime, session, actors["tracker"], t1, on=today)
    request = actions.request_wrong_unit(session=session, actor=actors["leader"], task_id=t2, reason="Không thuộc")
    actions.decide_wrong_unit(
        session=session, actor=actors["tracker"], config=runtime.config, request_id=request.id or 0, accept=False,
        note="Đúng chức năng",
    )
    request = actions.request_wrong_unit(session=session, actor=actors["leader"], task_id=t3, reason="Không thuộc")
    actions.decide_wrong_unit(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        request_id=request.id or 0,
        accept=True,
        new_lead_unit_code=PLEIKU,
    )
    actions.archive_wrong_unit(session=session, actor=actors["clerk"], task_id=t3)
    actions.update_task(session=session, actor=actors["tracker"], task_id=t2, reason="Đổi hạn", content="Báo cáo 2b")
    actions.replace_task(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        task_id=t2,
        data=task("Báo cáo hai mới", FINANCE, today + timedelta(days=20)),
        reason="Thay",
    )
    leader, later, further = actors["leader"], today + timedelta(days=20), today + timedelta(days=25)
    actions.request_extension(session=session, actor=leader, task_id=t4, requested_deadline=later, reason="Chờ")
    actions.decide_extension(session=session, actor=actors["tracker"], task_id=t4, grant=True)
    actions.request_extension(session=session, actor=leader, task_id=t4, requested_deadline=further, reason="Thêm")
    actions.decide_extension(session=session, actor=actors["tracker"], task_id=t4, grant=False, note="Đủ thời gian")
    actions.remind(session=session, actor=actors["tracker"], task_id=t4, level=ReminderLevel.CRITICISM)
    actions.revoke_task(session=session, actor=actors["tracker"], task_id=t4, reason="Thu hồi")

    assert {key for key, _ in moves} == set(registry.REGISTRY)  # every action of the registry was taken
    assert [delta for _, delta in moves] == [1] * len(moves), moves
    assert _version(runtime) == start + 1 + len(moves)


def test_a_refused_action_leaves_the_version(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    today = local_date(now_utc())
    _, (t1,) = assign(
        runtime, session, actors["tracker"], code="13/UBND-VX", issued=today, tasks=[task("Một", FINANCE, today)]
    )
    before = _version(runtime)
    refusals: list[tuple[Actor, ActionKey, Any]] = [
        (actors["tracker"], ActionKey.CONFIRM, ConfirmationCreate(outcome=ConfirmOutcome.DONE)),  # no reply yet
        (actors["clerk"], ActionKey.REVOKE, RevokeInput(reason="Không được")),  # not the clerk's
        (actors["other_leader"], ActionKey.NOTE, {"note": "x"}),  # another unit's task: not found
        (actors["leader"], ActionKey.NOTE, {"note": ""}),  # bad input
    ]
    for actor, key, data in refusals:
        with pytest.raises(ServiceError):
            registry.perform(session=session, actor=actor, config=runtime.config, task_id=t1, action=key, data=data)
        assert _version(runtime) == before, key
    with pytest.raises(ServiceError):
        registry.perform(
            session=session, actor=actors["leader"], config=runtime.config, task_id=t1, action=ActionKey.NOTE,
            data={"note": "x"}, expected_version=99,  # a stale page
        )
    assert _version(runtime) == before


def test_the_org_sync_adds_missing_units_and_never_overwrites_one(runtime: Runtime, session: Session) -> None:
    """config/org.yaml is a seed: a start keeps what the admin changed and bumps the version only
    when it adds a unit the database lacks."""
    before = _version(runtime)
    sync_units(session=session, config=runtime.config)
    assert _version(runtime) == before  # a process start with the same org.yaml
    unit = session.get(OrgUnit, unit_id(session, FINANCE))
    assert unit is not None
    unit.short_name = "Tên mới"  # as the admin's form would
    session.add(unit)
    session.commit()
    sync_units(session=session, config=runtime.config)
    assert _version(runtime) == before
    assert session.get(OrgUnit, unit_id(session, FINANCE)).short_name == "Tên mới"  # type: ignore[union-attr]
    extra = UnitConfig(code="000.04.05.H21", name="Phòng mới", short_name="P. Mới", kind=UnitKind.SUBUNIT,
                       parent=FINANCE)
    grown = runtime.config.model_copy(
        update={"org": runtime.config.org.model_copy(update={"units": [*runtime.config.org.units, extra]})}
    )
    sync_units(session=session, config=grown)
    assert _version(runtime) == before + 1
    added = session.exec(select(OrgUnit).where(OrgUnit.code == "000.04.05.H21")).one()
    assert (added.name, added.parent_id, added.active) == ("Phòng mới", unit_id(session, FINANCE), True)
