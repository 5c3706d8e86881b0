"""Only units that may lead are given a task to lead (Điều 4.1, 5.1.e): sở, ban, ngành and the UBND
of huyện, thị xã, thành phố, active. A phòng (sub-unit) gets its part from its own leader's bút phê
and may coordinate; VP UBND never assigns to itself. The rule is the services' (``resolve_lead_unit``):
a new assignment, a wrong-unit re-routing and a replacement all refuse a phòng, with the database
unchanged, whatever a page or the JSON API sends. Also: the accent-insensitive unit search.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlmodel import Session, select

from models import OrgUnit, UnitKind
from models.schemas import AssignmentCreate
from services.access.permissions import Actor
from services.infra.errors import InvalidInput
from services.org.units import LEAD_KINDS, assignable_units, lead_units, search_units
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests.actions import decide_wrong_unit, replace_task, request_wrong_unit
from tests.conftest import FINANCE, HEALTH, OFFICE, PLEIKU, at
from tests.services.support import row_counts, task, task_ids

DAY = date(2026, 3, 2)
NOW = at(DAY, hour=15)
BUDGET = "000.01.05.H21"  # P. QLNS, a phòng of Sở Tài chính
PLEIKU_FINANCE = "000.01.31.H21"  # P. TC-KH, a phòng of UBND TP Pleiku
SUBUNIT_REFUSED = (
    "'P. QLNS (Sở Tài chính)' là phòng, đơn vị trực thuộc của Sở Tài chính, không được giao chủ trì. "
    "Văn phòng UBND tỉnh giao nhiệm vụ cho sở, ban, ngành hoặc UBND cấp huyện; phòng nhận việc qua bút phê "
    "của lãnh đạo đơn vị cấp trên."
)


def _document(code: str, *tasks_: object) -> AssignmentCreate:
    return AssignmentCreate(
        code=code,
        issue_date=DAY,
        issuer="ubnd_tinh",
        doc_type="cong_van",
        summary="V/v kiểm tra",
        signer="Nguyễn Văn A",
        tasks=list(tasks_),  # type: ignore[arg-type]
    )


def _refused(session: Session, runtime: Runtime, call: Callable[[], object], message: str) -> None:
    """``call`` raises InvalidInput with ``message`` and nothing is saved, flushed or committed."""
    before = row_counts(session)
    with Session(runtime.engine) as fresh:
        committed = row_counts(fresh)
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.message == message
    session.rollback()
    assert row_counts(session) == before
    with Session(runtime.engine) as fresh:
        assert row_counts(fresh) == committed


def test_lead_units_are_the_active_departments_and_districts(session: Session) -> None:
    everything = session.exec(select(OrgUnit)).all()
    leads = lead_units(session=session)
    assert leads, "config/org.yaml has units that may lead"
    assert {u.kind for u in leads} == LEAD_KINDS == {UnitKind.DEPARTMENT, UnitKind.DISTRICT}
    assert {u.code for u in leads} == {u.code for u in everything if u.kind in LEAD_KINDS and u.active}
    codes = {u.code for u in leads}
    assert OFFICE not in codes and BUDGET not in codes and PLEIKU_FINANCE not in codes
    assert {FINANCE, HEALTH, PLEIKU} <= codes
    # a phòng may still coordinate (assignable_units: every active unit but the office)
    assert BUDGET in {u.code for u in assignable_units(session=session)}
    # a unit switched off leaves the list
    health = session.exec(select(OrgUnit).where(OrgUnit.code == HEALTH)).one()
    health.active = False
    session.add(health)
    session.commit()
    assert HEALTH not in {u.code for u in lead_units(session=session)}


def test_units_are_found_without_accents(session: Session) -> None:
    units = assignable_units(session=session)

    def found(query: str) -> list[str]:
        return [u.short_name for u in search_units(units, query)]

    assert found("tai chinh") == [
        "Sở Tài chính",
        "P. QLNS (Sở Tài chính)",
        "P. TCĐT (Sở Tài chính)",
        "P. TC-KH (TP Pleiku)",
    ]
    assert found("TÀI CHÍNH") == found("tai chinh") == found("  Tai   Chinh ")
    # the full name is searched: Sở TT&TT's short name does not spell "thông tin"
    assert found("thong tin truyen thong") == ["Sở TT&TT", "TT CNTT-TT (Sở TT&TT)"]
    assert [u.short_name for u in search_units(lead_units(session=session), "thong tin")] == ["Sở TT&TT"]
    assert found("000.00.16") == ["Sở Y tế"]
    assert found("dak doa") == ["UBND H. Đak Đoa"]  # đ is d
    assert found("khong co don vi nay") == []
    assert len(found("")) == len(units)


def test_assignment_refuses_a_sub_unit_as_lead(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    data = _document("11/UBND-TH", task("Rà soát dự toán", BUDGET, date(2026, 3, 20)))
    _refused(
        session,
        runtime,
        lambda: create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data, now=NOW),
        f"Nhiệm vụ 1 — đơn vị chủ trì: {SUBUNIT_REFUSED}",
    )
    # the same phòng coordinating a task Sở Tài chính leads is accepted
    ok = _document("12/UBND-TH", task("Rà soát dự toán", FINANCE, date(2026, 3, 20), coordinators=[BUDGET]))
    document = create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=ok, now=NOW)
    assert len(task_ids(session, document)) == 1


def test_rerouting_and_replacement_refuse_a_sub_unit(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    data = _document("13/UBND-TH", task("Kiểm tra hồ sơ", FINANCE, date(2026, 3, 20)))
    document = create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data, now=NOW)
    (task_id,) = task_ids(session, document)
    request = request_wrong_unit(
        session=session, actor=actors["leader"], task_id=task_id, reason="Không thuộc chức năng", now=NOW
    )
    assert request.id is not None
    request_id = request.id
    _refused(
        session,
        runtime,
        lambda: decide_wrong_unit(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            request_id=request_id,
            accept=True,
            new_lead_unit_code=BUDGET,
            now=NOW,
        ),
        f"Đơn vị chuyển đến: {SUBUNIT_REFUSED}",
    )
    _refused(
        session,
        runtime,
        lambda: replace_task(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            task_id=task_id,
            data=task("Kiểm tra lại hồ sơ", BUDGET, date(2026, 3, 25)),
            reason="Giao lại",
            now=NOW,
        ),
        f"Đơn vị chủ trì: {SUBUNIT_REFUSED}",
    )
