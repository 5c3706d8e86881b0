"""Lưu kết thúc (archive) is fired only by the roles the configuration names.

* A task VP UBND accepted as "not our remit": its former lead unit's văn thư files the assignment
  away (README, "Wrong unit"); ``task.archive`` in config/roles.yaml says so. The unit's leader and
  specialist are refused and are not offered it; a province that gives the permission to another
  role moves it there, without a change of code.
* A sub-unit's document filed away by its parent at bước 10 of Trường hợp 1 (``luu_ket_thuc`` in
  config/workflows.yaml, fired as the effect of the parent's step): the step that would close it is
  refused and not offered to a role ``luu_ket_thuc`` does not name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlmodel import Session, col, select

from models import ActionKey, EventAction, Flow, Permission, Role, Task, TaskEvent
from models.schemas import ArchiveInput
from services.access.permissions import Actor, build_actor
from services.actions.registry import offers, perform
from services.actions.workbench import task_workbench
from services.config.loader import AppConfig
from services.config.workflows import WorkflowsConfig
from services.infra.errors import PermissionDenied
from services.runtime import Runtime
from services.workflow.engine import main_flow
from tests.actions import available_actions, decide_wrong_unit, fire, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import assign, flow_snapshot, row_counts, staff, task, unit_id

ASSIGNED = date(2026, 3, 2)
DECIDED = date(2026, 3, 10)
ICT = "000.00.11.H21"
ICT_IT = "000.01.11.H21"
NOT_YOURS = "Vai trò của bạn không lưu kết thúc văn bản."


@pytest.fixture
def closed(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> int:
    """A task of Sở Tài chính that VP UBND accepted as wrong unit on 10/03 (re-routed to Pleiku)."""
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="80/UBND-TH",
        issued=ASSIGNED,
        tasks=[task("Kiểm tra bếp ăn bán trú", FINANCE, date(2026, 3, 20))],
    )
    request = request_wrong_unit(
        session=session, actor=actors["leader"], task_id=task_id, reason="Không thuộc chức năng", now=at(ASSIGNED)
    )
    assert request.id is not None
    decide_wrong_unit(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        request_id=request.id,
        accept=True,
        new_lead_unit_code=PLEIKU,
        now=at(DECIDED),
    )
    return task_id


def _archive(runtime: Runtime, session: Session, actor: Actor, task_id: int, config: AppConfig | None = None) -> None:
    perform(
        session=session,
        actor=actor,
        config=config or runtime.config,
        task_id=task_id,
        action=ActionKey.ARCHIVE,
        data=ArchiveInput(),
        now=at(date(2026, 3, 11)),
    )


def _version(session: Session, task_id: int) -> int:
    session.expire_all()
    current = session.get(Task, task_id)
    assert current is not None
    return current.version


def _archived(session: Session, task_id: int) -> list[str]:
    return list(
        session.exec(
            select(TaskEvent.actor_name).where(TaskEvent.task_id == task_id, TaskEvent.action == EventAction.ARCHIVED)
        ).all()
    )


def _offered(runtime: Runtime, session: Session, actor: Actor, task_id: int, config: AppConfig | None = None) -> bool:
    bench = task_workbench(session=session, actor=actor, config=config or runtime.config, task_id=task_id)
    return bench.can(ActionKey.ARCHIVE)


def test_the_clerk_archives_the_leader_and_the_specialist_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], closed: int
) -> None:
    team = staff(runtime, session, FINANCE)
    for who in (team.leader, team.specialist):
        assert not _offered(runtime, session, who, closed), who.username
        version = _version(session, closed)
        with pytest.raises(PermissionDenied) as refused:
            _archive(runtime, session, who, closed)
        assert refused.value.message == NOT_YOURS
        assert _version(session, closed) == version and _archived(session, closed) == []
    assert _offered(runtime, session, team.clerk, closed)
    _archive(runtime, session, team.clerk, closed)
    assert _archived(session, closed) == [team.clerk.full_name]


def test_the_roles_come_from_roles_yaml(
    runtime: Runtime, session: Session, actors: dict[str, Actor], closed: int
) -> None:
    """A province that files documents by the specialist: ``task.archive`` moved in roles.yaml
    moves the action, the code says nothing about roles."""
    roles = runtime.config.roles.roles
    moved = {
        role: cfg.model_copy(
            update={
                "at_unit": [p for p in cfg.at_unit if p is not Permission.TASK_ARCHIVE]
                + ([Permission.TASK_ARCHIVE] if role is Role.SPECIALIST else [])
            }
        )
        for role, cfg in roles.items()
    }
    config = runtime.config.model_copy(update={"roles": runtime.config.roles.model_copy(update={"roles": moved})})
    team = staff(runtime, session, FINANCE)
    clerk = build_actor(session=session, config=config, user_id=team.clerk.user_id)
    specialist = build_actor(session=session, config=config, user_id=team.specialist.user_id)
    assert clerk is not None and specialist is not None
    assert not _offered(runtime, session, clerk, closed, config)
    with pytest.raises(PermissionDenied):
        _archive(runtime, session, clerk, closed, config)
    assert _offered(runtime, session, specialist, closed, config)
    _archive(runtime, session, specialist, closed, config)
    assert _archived(session, closed) == [team.specialist.full_name]


def _clerks_archive(config: AppConfig) -> AppConfig:
    """The shipped workflows, with Trường hợp 1's lưu kết thúc reserved for the parent's clerk."""
    workflows = dict(config.workflows.workflows)
    sub = workflows["truong_hop_1_truc_thuoc"]
    transitions = dict(sub.transitions)
    transitions["luu_ket_thuc"] = transitions["luu_ket_thuc"].model_copy(update={"roles": (Role.CLERK,)})
    workflows["truong_hop_1_truc_thuoc"] = sub.model_copy(update={"transitions": transitions})
    return config.model_copy(update={"workflows": WorkflowsConfig(workflows=workflows)})


@pytest.fixture
def at_step_10(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> Callable[[AppConfig], int]:
    """A Trường hợp 1 task of Sở TT&TT whose main flow waits for the tracking specialist's bước 10
    (P. CNTT's document sent up, waiting to be filed away)."""

    def make(config: AppConfig) -> int:
        _, (task_id,) = assign(
            runtime,
            session,
            actors["tracker"],
            code="81/UBND-KT",
            issued=ASSIGNED,
            tasks=[task("Báo cáo chuyển đổi số", ICT, date(2026, 3, 20))],
        )
        parent, sub = staff(runtime, session, ICT), staff(runtime, session, ICT_IT)
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None and flow.id is not None
        main = flow.id

        def step(actor: Actor, transition: str, flow_id: int, **kw: object) -> None:
            fire(
                session=session,
                actor=actor,
                config=config,
                flow_id=flow_id,
                transition=transition,
                now=at(date(2026, 3, 5)),
                **kw,  # type: ignore[arg-type]
            )

        step(parent.clerk, "vao_so", main)
        step(
            parent.leader,
            "but_phe",
            main,
            workflow="truong_hop_1",
            assignee_id=parent.specialist.user_id,
            subunit_ids=[unit_id(session, ICT_IT)],
        )
        child = session.exec(select(Flow).where(Flow.parent_flow_id == main)).one()
        assert child.id is not None
        step(sub.clerk, "tiep_nhan", child.id)
        step(sub.leader, "phan_cong", child.id, assignee_id=sub.specialist.user_id)
        step(sub.specialist, "trinh_du_thao", child.id)
        step(sub.leader, "duyet", child.id)
        step(sub.clerk, "gui_don_vi_cha", child.id, note="Báo cáo số 12/CNTT")
        step(parent.clerk, "tiep_nhan_bao_cao", main)
        step(parent.leader, "chuyen_theo_doi", main)
        return task_id

    return make


def test_a_step_that_files_sub_units_documents_away_needs_the_roles_of_luu_ket_thuc(
    runtime: Runtime, session: Session, at_step_10: Callable[[AppConfig], int]
) -> None:
    """Bước 10 of Trường hợp 1 drafts on the main flow and fires ``luu_ket_thuc`` on each sub
    flow. With ``luu_ket_thuc`` reserved for the clerk, the tracking specialist (whom bước 10 names)
    is not offered the step and is refused, changing nothing; the shipped config (``luu_ket_thuc``
    by specialist or tracker) lets the same person through."""
    config = _clerks_archive(runtime.config)
    task_id = at_step_10(config)
    specialist = staff(runtime, session, ICT).specialist
    main = main_flow(session=session, task_id=task_id)
    assert main is not None and main.id is not None and main.state == "cho_du_thao"
    steps = available_actions(session=session, actor=specialist, config=config, task_id=task_id)
    assert [(a.flow_id, a.transition) for a in steps] == []
    assert ActionKey.STEP not in {
        o.key for o in offers(session=session, actor=specialist, config=config, task_id=task_id)
    }
    before, flows = row_counts(session), flow_snapshot(session)
    with pytest.raises(PermissionDenied) as refused:
        fire(
            session=session,
            actor=specialist,
            config=config,
            flow_id=main.id,
            transition="trinh_du_thao",
            now=at(date(2026, 3, 6)),
        )
    assert refused.value.message == (
        "Bước “Dự thảo trên chính luồng, lưu kết thúc văn bản của đơn vị trực thuộc” lưu kết thúc văn bản "
        "của đơn vị trực thuộc, việc dành cho Văn thư của đơn vị cha."
    )
    session.rollback()
    assert (row_counts(session), flow_snapshot(session)) == (before, flows)

    # the shipped configuration names the specialist: the same step goes through and files P. CNTT's away
    assert [
        (a.flow_id, a.transition)
        for a in available_actions(session=session, actor=specialist, config=runtime.config, task_id=task_id)
    ] == [(main.id, "trinh_du_thao")]
    fire(
        session=session,
        actor=specialist,
        config=runtime.config,
        flow_id=main.id,
        transition="trinh_du_thao",
        now=at(date(2026, 3, 6)),
    )
    children = session.exec(select(Flow).where(Flow.parent_flow_id == main.id).order_by(col(Flow.id))).all()
    assert [c.state for c in children] == ["luu_ket_thuc"]
