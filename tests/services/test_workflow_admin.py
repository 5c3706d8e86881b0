"""Quy trình xử lý administered through forms (issue 10, part 5): step labels, the role ×
transition matrix, a unit's own variant with an added step; each save a new configuration
version journaled as ``workflow``; a flow already started finishes on the version it started on."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import yaml
from sqlmodel import Session, func, select

from models import AdminChange, AdminEntity, ConfigVersion, Flow, UnitKind
from services.access.permissions import Actor
from services.admin import config_admin, workflow_admin
from services.admin import units as admin_units
from services.admin.workflow_admin import AddedStep, Removal
from services.config import store
from services.infra.errors import Conflict, InvalidInput, PermissionDenied
from services.infra.settings import ROOT
from services.journal.events import events_of
from services.journal.timeline import describe_timeline
from services.runtime import Runtime
from services.tasks.counters import waiting_steps
from services.workflow.diagram import workflow_diagrams, workflow_dot
from services.workflow.engine import flow_views, inbox_task_ids, main_flow
from tests.actions import available_actions, fire, issue_reply
from tests.conftest import FINANCE, HEALTH, at
from tests.services.support import assign, reply_data, staff, task

SEED = ROOT / "config"
DAY = date(2026, 3, 5)
SHORT = "Quy trình “Đơn vị tự xử lý (không chuyển đơn vị trực thuộc)” (ngan)"


def _count(session: Session, model: type[ConfigVersion] | type[AdminChange]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _workflows(session: Session) -> dict[str, Any]:
    _, files = store.current_files(session=session, config_dir=SEED)
    data = yaml.safe_load(files["workflows.yaml"])
    assert isinstance(data, dict)
    return dict(data["workflows"])


def _added(**changes: Any) -> AddedStep:
    values: dict[str, Any] = {
        "base": "ngan",
        "variant": "ngan_so_y_te",
        "variant_label": "Sở Y tế: tự xử lý, có bước thẩm định pháp chế",
        "units": [HEALTH],
        "after": "trinh_du_thao",
        "state": "cho_tham_dinh",
        "state_label": "Chờ pháp chế thẩm định",
        "transition": "tham_dinh",
        "transition_label": "Thẩm định pháp chế dự thảo",
        "roles": ["specialist"],
    }
    values.update(changes)
    return AddedStep(**values)


def _new_task(runtime: Runtime, session: Session, tracker: Actor, lead: str, number: int) -> int:
    _, [task_id] = assign(
        runtime.current(),
        session,
        tracker,
        code=f"{number}/UBND-KT",
        issued=date(2026, 3, 2),
        tasks=[task("Rà soát văn bản quy phạm pháp luật", lead, date(2026, 3, 20))],
    )
    return task_id


def _offered(runtime: Runtime, session: Session, actor: Actor, task_id: int) -> list[tuple[str | None, str | None]]:
    config = runtime.current().config
    offers = available_actions(session=session, actor=actor, config=config, task_id=task_id)
    return [(a.workflow, a.transition) for a in offers]


# --- labels ---------------------------------------------------------------------------------------


def test_labels_are_a_new_version_journaled_as_workflow(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    row = workflow_admin.save_labels(
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        states={"cho_du_thao": "Chuyên viên đang soạn dự thảo"},
        transitions={"vao_so": "Vào sổ văn bản đến, chuyển lãnh đạo"},
        based_on=0,
        config_dir=SEED,
    )
    assert [(v.id, v.action) for v in store.list_versions(session=session)] == [(2, "workflow_labels"), (1, "seed")]
    workflows = runtime.current().config.workflows.workflows
    assert workflows["ngan"].states["cho_du_thao"].label == "Chuyên viên đang soạn dự thảo"
    assert workflows["ngan"].transitions["vao_so"].label == "Vào sổ văn bản đến, chuyển lãnh đạo"
    assert workflows["truong_hop_1"].transitions["vao_so"].label == "Vào sổ, chuyển lãnh đạo"  # one workflow only
    (change,) = session.exec(select(AdminChange)).all()
    assert (change.entity, change.entity_key, change.action) == (AdminEntity.WORKFLOW, "ngan", "workflow_labels")
    assert change.actor_user_id == actors["admin"].user_id
    assert change.before == {
        "workflows.workflows.ngan.states.cho_du_thao.label": "Chuyên viên đang dự thảo",
        "workflows.workflows.ngan.transitions.vao_so.label": "Vào sổ, chuyển lãnh đạo",
    }
    assert change.after == {
        "workflows.workflows.ngan.states.cho_du_thao.label": "Chuyên viên đang soạn dự thảo",
        "workflows.workflows.ngan.transitions.vao_so.label": "Vào sổ văn bản đến, chuyển lãnh đạo",
    }
    assert row.id == 2
    # a form drawn from the seed is refused now: another save came in between
    with pytest.raises(Conflict):
        workflow_admin.save_labels(
            session=session,
            actor=actors["admin"],
            workflow="ngan",
            states={},
            transitions={"duyet": "Duyệt"},
            based_on=0,
            config_dir=SEED,
        )


def test_an_empty_label_names_the_workflow_and_field_and_saves_nothing(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        workflow_admin.save_labels(
            session=session,
            actor=actors["admin"],
            workflow="ngan",
            states={"cho_duyet": "  "},
            transitions={"duyet": ""},
            based_on=None,
            config_dir=SEED,
        )
    messages = [e.message for e in caught.value.errors]
    assert f"{SHORT} — trạng thái cho_duyet — nhãn: không được để trống." in messages
    assert f"{SHORT} — bước duyet — nhãn: không được để trống." in messages
    assert _count(session, ConfigVersion) == 0
    assert _count(session, AdminChange) == 0


def test_only_an_admin_changes_a_workflow(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        workflow_admin.save_roles(
            session=session,
            actor=actors["leader"],
            workflow="ngan",
            matrix={"duyet": ["clerk"]},
            based_on=None,
            config_dir=SEED,
        )
    with pytest.raises(PermissionDenied):
        workflow_admin.save_variant(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            added=_added(),
            based_on=None,
            config_dir=SEED,
        )
    assert _count(session, ConfigVersion) == 0


# --- the role × transition matrix ---------------------------------------------------------------


def test_the_matrix_changes_who_fires_a_step(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    workflow_admin.save_roles(
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        matrix={"duyet": ["leader", "specialist"], "vao_so": ["clerk", "leader"]},
        based_on=None,
        config_dir=SEED,
    )
    ngan = runtime.current().config.workflows.workflows["ngan"]
    assert [r.value for r in ngan.transitions["duyet"].roles] == ["leader", "specialist"]
    assert [r.value for r in ngan.transitions["vao_so"].roles] == ["clerk", "leader"]
    (change,) = session.exec(select(AdminChange)).all()
    assert (change.entity, change.action) == (AdminEntity.WORKFLOW, "workflow_roles")
    assert change.after == {
        "workflows.workflows.ngan.transitions.vao_so.roles": ["clerk", "leader"],
        "workflows.workflows.ngan.transitions.duyet.roles": ["leader", "specialist"],
    }
    # a new task: the leader of Sở Tài chính may now vào sổ himself
    task_id = _new_task(runtime, session, actors["tracker"], FINANCE, 41)
    assert ("ngan", "vao_so") in _offered(runtime, session, actors["leader"], task_id)


def test_a_step_nobody_fires_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    with pytest.raises(InvalidInput) as caught:
        workflow_admin.save_roles(
            session=session,
            actor=actors["admin"],
            workflow="ngan",
            matrix={"duyet": []},
            based_on=None,
            config_dir=SEED,
        )
    assert caught.value.errors[0].message == (
        f"{SHORT} — bước “Duyệt, chuyển văn thư ban hành” (duyet) — vai trò: "
        "phải có ít nhất một vai trò được chuyển bước."
    )
    assert caught.value.errors[0].field == "matrix"
    assert _count(session, ConfigVersion) == 0
    with pytest.raises(InvalidInput, match="không có vai trò admin"):
        workflow_admin.save_roles(
            session=session,
            actor=actors["admin"],
            workflow="ngan",
            matrix={"duyet": ["admin"]},
            based_on=None,
            config_dir=SEED,
        )


# --- a unit's own variant -------------------------------------------------------------------------


def test_a_unit_variant_with_an_added_step(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    dot = workflow_admin.preview_variant(
        actor=actors["admin"], session=session, config=runtime.config, added=_added(), config_dir=SEED
    )
    assert '"cho_tham_dinh" [label="Chờ pháp chế thẩm định"]' in dot
    assert '"cho_du_thao" -> "cho_tham_dinh"' in dot
    assert '"cho_tham_dinh" -> "cho_duyet" [label="B3: Thẩm định pháp chế dự thảo\\n[Chuyên viên]"' in dot
    assert _count(session, ConfigVersion) == 0  # a preview saves nothing
    workflow_admin.save_variant(
        session=session, actor=actors["admin"], config=runtime.config, added=_added(), based_on=0, config_dir=SEED
    )
    workflows = runtime.current().config.workflows
    assert list(workflows.mains_for(HEALTH, has_subunits=False)) == ["ngan_so_y_te"]
    assert list(workflows.mains_for(FINANCE, has_subunits=True)) == ["ngan", "truong_hop_1", "truong_hop_2"]
    variant = workflows.workflows["ngan_so_y_te"]
    assert (variant.units, variant.replaces) == ((HEALTH,), ("ngan",))
    assert variant.transitions["trinh_du_thao"].to == "cho_tham_dinh"
    (change,) = session.exec(select(AdminChange)).all()
    assert (change.entity, change.entity_key, change.action) == (
        AdminEntity.WORKFLOW,
        "ngan_so_y_te",
        "workflow_variant",
    )
    # a second step added to the variant itself keeps its units
    workflow_admin.save_variant(
        session=session,
        actor=actors["admin"],
        config=runtime.current().config,
        added=_added(
            base="ngan_so_y_te",
            units=[],
            after="tham_dinh",
            state="cho_ky_so",
            state_label="Chờ ký số",
            transition="ky_so",
            transition_label="Ký số dự thảo",
            roles=["leader"],
            step=4,
        ),
        based_on=None,
        config_dir=SEED,
    )
    variant = runtime.current().config.workflows.workflows["ngan_so_y_te"]
    assert variant.units == (HEALTH,)
    assert (variant.transitions["tham_dinh"].to, variant.transitions["ky_so"].to) == ("cho_ky_so", "cho_duyet")
    # the Sở Y tế runs it: the specialist's legal check comes before the leader's approval
    task_id = _new_task(runtime, session, actors["tracker"], HEALTH, 42)
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.workflow == "ngan_so_y_te" and flow.config_version_id == 3


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"state": "cho_duyet"}, "variant.state", "khóa “cho_duyet” bị trùng với trạng thái đã có"),
        ({"transition": "duyet"}, "variant.transition", "khóa “duyet” bị trùng với bước đã có"),
        ({"variant": "truong_hop_1"}, "variant.variant", "khóa “truong_hop_1” bị trùng với một quy trình đã có"),
        ({"roles": []}, "variant.roles", "phải có ít nhất một vai trò được chuyển bước"),
        ({"state_label": " "}, "variant.state_label", "nhãn trạng thái mới: không được để trống"),
        ({"units": ["000.00.99.H21"]}, "variant.units", "không có đơn vị 000.00.99.H21"),
        ({"state": "Chờ thẩm định"}, "variant.state", "chỉ chữ thường không dấu"),
    ],
)
def test_a_wrong_variant_is_refused_naming_the_field(
    runtime: Runtime, session: Session, actors: dict[str, Actor], changes: dict[str, Any], field: str, text: str
) -> None:
    for call in ("preview", "save"):
        with pytest.raises(InvalidInput) as caught:
            if call == "preview":
                workflow_admin.preview_variant(
                    actor=actors["admin"],
                    session=session,
                    config=runtime.config,
                    added=_added(**changes),
                    config_dir=SEED,
                )
            else:
                workflow_admin.save_variant(
                    session=session,
                    actor=actors["admin"],
                    config=runtime.config,
                    added=_added(**changes),
                    based_on=None,
                    config_dir=SEED,
                )
        (error,) = [e for e in caught.value.errors if e.field == field]
        assert "Quy trình riêng “Sở Y tế: tự xử lý, có bước thẩm định pháp chế”" in error.message or (
            "Quy trình riêng" in error.message
        )
        assert text in error.message
    assert _count(session, ConfigVersion) == 0
    assert _count(session, AdminChange) == 0


def test_an_unreachable_state_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    workflows = _workflows(session)
    workflows["ngan"]["states"]["cho_tham_dinh"] = {"label": "Chờ pháp chế thẩm định"}
    with pytest.raises(InvalidInput) as caught:
        workflow_admin.save_workflows(
            session=session, actor=actors["admin"], workflows=workflows, based_on=None, config_dir=SEED
        )
    assert caught.value.errors[0].message == (
        f"{SHORT} — trạng thái “Chờ pháp chế thẩm định” (cho_tham_dinh): không đến được từ trạng thái đầu "
        "(cho_vao_so); thêm một bước chuyển đến trạng thái này."
    )
    # the loader's own rules still apply after the form's: a start_subflows naming no sub workflow
    workflows = _workflows(session)
    workflows["truong_hop_1"]["transitions"]["but_phe"]["start_subflows"] = "ngan"
    with pytest.raises(InvalidInput, match="truong_hop_1 > transitions > but_phe > trường start_subflows"):
        workflow_admin.save_workflows(
            session=session, actor=actors["admin"], workflows=workflows, based_on=None, config_dir=SEED
        )
    assert _count(session, ConfigVersion) == 0


# --- removing states and transitions --------------------------------------------------------------


def _remove(session: Session, actor: Actor, based_on: int | None = None, **kw: Any) -> ConfigVersion:
    return workflow_admin.save_removal(
        session=session, actor=actor, removal=Removal(**kw), based_on=based_on, config_dir=SEED
    )


def test_a_transition_is_removed_after_a_preview(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    removal = Removal(workflow="ngan", transitions=["tra_lai_du_thao"])
    dot = workflow_admin.preview_removal(
        actor=actors["admin"], session=session, config=runtime.config, removal=removal, config_dir=SEED
    )
    assert "Trả lại dự thảo" not in dot and '"cho_du_thao" -> "cho_duyet"' in dot
    assert "Trả lại dự thảo" in workflow_dot(runtime.config, "ngan")  # the diagram in force keeps it
    assert _count(session, ConfigVersion) == 0  # a preview saves nothing
    _remove(session, actors["admin"], based_on=0, workflow="ngan", transitions=["tra_lai_du_thao"])
    workflows = runtime.current().config.workflows.workflows
    assert "tra_lai_du_thao" not in workflows["ngan"].transitions
    assert "tra_lai_du_thao" in workflows["truong_hop_1"].transitions  # that workflow only
    (change,) = session.exec(select(AdminChange)).all()
    assert (change.entity, change.entity_key, change.action) == (AdminEntity.WORKFLOW, "ngan", "workflow_remove")
    assert list(change.before or {}) == ["workflows.workflows.ngan.transitions.tra_lai_du_thao"]
    assert change.after == {}
    assert [v.action for v in store.list_versions(session=session)] == ["workflow_remove", "seed"]


def test_removing_an_added_state_bridges_its_step(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """A → S → B becomes A → B: the undoing of an added step."""
    workflow_admin.save_variant(
        session=session, actor=actors["admin"], config=runtime.config, added=_added(), based_on=0, config_dir=SEED
    )
    _remove(session, actors["admin"], workflow="ngan_so_y_te", states=["cho_tham_dinh"])
    workflows = runtime.current().config.workflows.workflows
    variant, base = workflows["ngan_so_y_te"], workflows["ngan"]
    assert variant.states == base.states
    assert variant.transitions == base.transitions  # trinh_du_thao leads to cho_duyet again
    assert variant.units == (HEALTH,)


def test_two_chained_states_are_removed_in_one_save(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """cho_vao_so → cho_but_phe → cho_du_thao → cho_duyet, the two in the middle removed together:
    vào sổ leads to cho_duyet; "Trả lại dự thảo" (into a removed state, from cho_duyet) goes."""
    _remove(session, actors["admin"], based_on=0, workflow="ngan", states=["cho_but_phe", "cho_du_thao"])
    short = runtime.current().config.workflows.workflows["ngan"]
    assert list(short.states) == ["cho_vao_so", "cho_duyet", "cho_ban_hanh", "da_ban_hanh"]
    assert sorted(short.transitions) == ["ban_hanh", "duyet", "vao_so"]
    assert (short.transitions["vao_so"].from_states, short.transitions["vao_so"].to) == (("cho_vao_so",), "cho_duyet")


@pytest.mark.parametrize(
    ("removal", "messages"),
    [
        (
            Removal(workflow="ngan", states=["cho_vao_so"]),
            [
                f"{SHORT} — trạng thái “Chờ văn thư vào sổ” (cho_vao_so): "
                "là trạng thái đầu của quy trình, không bỏ được."
            ],
        ),
        (
            Removal(workflow="ngan", states=["da_ban_hanh"]),
            [
                f"{SHORT} — trạng thái “Đã ban hành văn bản trả lời” (da_ban_hanh): "
                "là trạng thái kết thúc, không bỏ được."
            ],
        ),
        (
            # two steps leave it (duyet, tra_lai_du_thao): nothing to bridge, the rest is cut off
            Removal(workflow="ngan", states=["cho_duyet"]),
            [
                f"{SHORT} — trạng thái “Chờ văn thư ban hành” (cho_ban_hanh): không đến được từ trạng thái đầu "
                "(cho_vao_so); thêm một bước chuyển đến trạng thái này.",
                f"{SHORT} — trạng thái “Đã ban hành văn bản trả lời” (da_ban_hanh): không đến được từ trạng thái đầu "
                "(cho_vao_so); thêm một bước chuyển đến trạng thái này.",
            ],
        ),
        (
            Removal(workflow="ngan", transitions=["ban_hanh"]),
            [
                f"{SHORT} — trạng thái “Đã ban hành văn bản trả lời” (da_ban_hanh): không đến được từ trạng thái đầu "
                "(cho_vao_so); thêm một bước chuyển đến trạng thái này."
            ],
        ),
        (Removal(workflow="ngan", states=["cho_ky"]), [f"{SHORT}: không có trạng thái “cho_ky”."]),
        (Removal(workflow="ngan", transitions=["ky_so"]), [f"{SHORT}: không có bước ky_so."]),
        (Removal(workflow="ngan"), [f"{SHORT}: chọn ít nhất một trạng thái hoặc bước chuyển để bỏ."]),
    ],
)
def test_a_removal_that_breaks_the_workflow_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], removal: Removal, messages: list[str]
) -> None:
    for call in (workflow_admin.preview_removal, workflow_admin.save_removal):
        with pytest.raises(InvalidInput) as caught:
            if call is workflow_admin.preview_removal:
                call(actor=actors["admin"], session=session, config=runtime.config, removal=removal, config_dir=SEED)
            else:
                call(session=session, actor=actors["admin"], removal=removal, based_on=None, config_dir=SEED)
        assert [e.message for e in caught.value.errors] == messages
    session.rollback()
    assert _count(session, ConfigVersion) == 0
    assert _count(session, AdminChange) == 0
    with pytest.raises(PermissionDenied):
        _remove(session, actors["tracker"], workflow="ngan", transitions=["tra_lai_du_thao"])


def test_a_state_tasks_stand_in_on_the_version_edited_stays(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    workflow_admin.save_variant(
        session=session, actor=actors["admin"], config=runtime.config, added=_added(), based_on=0, config_dir=SEED
    )
    task_id = _new_task(runtime, session, actors["tracker"], HEALTH, 61)  # on version 2: the variant
    t = staff(runtime, session, HEALTH)
    config = runtime.current().config

    def step(actor: Actor, key: str, **kw: Any) -> None:
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None
        fire(session=session, actor=actor, config=config, flow_id=flow.id or 0, transition=key, now=at(DAY), **kw)

    step(t.clerk, "vao_so")
    step(t.leader, "but_phe", assignee_id=t.specialist.user_id)
    step(t.specialist, "trinh_du_thao")  # now in cho_tham_dinh
    with pytest.raises(InvalidInput) as caught:
        _remove(session, actors["admin"], workflow="ngan_so_y_te", states=["cho_tham_dinh"])
    assert [e.message for e in caught.value.errors] == [
        "Quy trình “Sở Y tế: tự xử lý, có bước thẩm định pháp chế” (ngan_so_y_te) — trạng thái “Chờ pháp chế "
        "thẩm định” (cho_tham_dinh): đang có 1 nhiệm vụ ở trạng thái này theo phiên bản đang sửa, không bỏ được; "
        "bỏ khi các nhiệm vụ đó đã chuyển bước."
    ]
    session.rollback()
    assert _count(session, ConfigVersion) == 2
    # once a further version is in force, that flow runs on version 2: it no longer holds the state
    workflow_admin.save_labels(
        session=session,
        actor=actors["admin"],
        workflow="ngan_so_y_te",
        states={},
        transitions={"tham_dinh": "Thẩm định pháp chế"},
        based_on=None,
        config_dir=SEED,
    )
    _remove(session, actors["admin"], workflow="ngan_so_y_te", states=["cho_tham_dinh"])
    assert "cho_tham_dinh" not in runtime.current().config.workflows.workflows["ngan_so_y_te"].states
    # and it finishes on its own version: the legal check is still offered to the specialist
    assert _offered(runtime, session, t.specialist, task_id) == [("ngan_so_y_te", "tham_dinh")]
    step(t.specialist, "tham_dinh")
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.state == "cho_duyet"


# --- a flow finishes on the version it started on --------------------------------------------------


def test_a_running_flow_keeps_its_version(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    old_task = _new_task(runtime, session, actors["tracker"], HEALTH, 51)  # on the seed: no version stored
    old_flow = main_flow(session=session, task_id=old_task)
    assert old_flow is not None and old_flow.config_version_id is None
    t = staff(runtime, session, HEALTH)
    fire(
        session=session,
        actor=t.clerk,
        config=runtime.config,
        flow_id=old_flow.id or 0,
        transition="vao_so",
        now=at(DAY),
    )
    # the admin renames a state, drops the return of a draft, and gives Sở Y tế its own step
    workflow_admin.save_labels(
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        states={"cho_duyet": "Chờ lãnh đạo ký duyệt"},
        transitions={},
        based_on=None,
        config_dir=SEED,
    )
    workflows = _workflows(session)
    del workflows["ngan"]["transitions"]["tra_lai_du_thao"]
    workflow_admin.save_workflows(
        session=session, actor=actors["admin"], workflows=workflows, based_on=None, config_dir=SEED
    )
    workflow_admin.save_variant(
        session=session,
        actor=actors["admin"],
        config=runtime.current().config,
        added=_added(),
        based_on=None,
        config_dir=SEED,
    )
    assert store.current_version_id(session) == 4
    config = runtime.current().config  # every call below gets the configuration in force
    assert "tra_lai_du_thao" not in config.workflows.workflows["ngan"].transitions

    def step(task_id: int, actor: Actor, key: str, **kw: Any) -> Flow:
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None
        return fire(
            session=session, actor=actor, config=config, flow_id=flow.id or 0, transition=key, now=at(DAY), **kw
        )

    # the running flow: the seed's steps, the shared short workflow, no legal check
    assert _offered(runtime, session, t.leader, old_task) == [("ngan", "but_phe")]
    step(old_task, t.leader, "but_phe", assignee_id=t.specialist.user_id)
    step(old_task, t.specialist, "trinh_du_thao")
    (view,) = flow_views(session=session, config=config, task_id=old_task)
    assert (view.state, view.state_label) == ("cho_duyet", "Chờ lãnh đạo duyệt dự thảo")  # its own label
    assert _offered(runtime, session, t.leader, old_task) == [("ngan", "tra_lai_du_thao"), ("ngan", "duyet")]
    step(old_task, t.leader, "tra_lai_du_thao", note="Bổ sung số liệu")  # dropped since, still its step
    step(old_task, t.specialist, "trinh_du_thao")
    step(old_task, t.leader, "duyet")
    issue_reply(
        session=session,
        actor=t.clerk,
        config=config,
        task_id=old_task,
        data=reply_data("21/SYT-VP", DAY),
        now=at(DAY, 15),
    )
    assert main_flow(session=session, task_id=old_task).state == "da_ban_hanh"  # type: ignore[union-attr]

    # a new task runs on the version in force: the variant, the new label, no return of a draft
    new_task = _new_task(runtime, session, actors["tracker"], HEALTH, 52)
    new_flow = main_flow(session=session, task_id=new_task)
    assert new_flow is not None and (new_flow.workflow, new_flow.config_version_id) == ("ngan_so_y_te", 4)
    step(new_task, t.clerk, "vao_so")
    step(new_task, t.leader, "but_phe", assignee_id=t.specialist.user_id)
    step(new_task, t.specialist, "trinh_du_thao")
    assert _offered(runtime, session, t.leader, new_task) == []
    assert _offered(runtime, session, t.specialist, new_task) == [("ngan_so_y_te", "tham_dinh")]
    step(new_task, t.specialist, "tham_dinh")
    (view,) = flow_views(session=session, config=config, task_id=new_task)
    assert view.state_label == "Chờ lãnh đạo ký duyệt"
    assert _offered(runtime, session, t.leader, new_task) == [("ngan_so_y_te", "duyet")]


def test_a_flow_started_on_a_version_keeps_it_after_the_next(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    workflow_admin.save_labels(
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        states={},
        transitions={"vao_so": "Vào sổ"},
        based_on=None,
        config_dir=SEED,
    )
    task_id = _new_task(runtime, session, actors["tracker"], FINANCE, 61)  # on version 2
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.config_version_id == 2
    workflow_admin.save_roles(  # version 3: the clerk no longer enters documents in the register
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        matrix={"vao_so": ["leader"]},
        based_on=None,
        config_dir=SEED,
    )
    # the main flow has not chosen its workflow yet: Trường hợp 1 and 2 (unchanged) still offer vào sổ
    assert ("ngan", "vao_so") not in _offered(runtime, session, actors["leader"], task_id)
    assert _offered(runtime, session, actors["clerk"], task_id)  # its version's vào sổ
    later = _new_task(runtime, session, actors["tracker"], FINANCE, 62)
    assert main_flow(session=session, task_id=later).config_version_id == 3  # type: ignore[union-attr]
    assert ("ngan", "vao_so") in _offered(runtime, session, actors["leader"], later)


def test_the_versions_workflows_are_read_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    workflow_admin.save_labels(
        session=session,
        actor=actors["admin"],
        workflow="ngan",
        states={},
        transitions={"vao_so": "Vào sổ"},
        based_on=None,
        config_dir=SEED,
    )
    first = store.workflows_of_version(session, 2)
    assert store.workflows_of_version(session, 2) is first
    assert store.seed_version_id(session) == 1
    assert store.workflows_of_version(session, 1) == runtime.config.workflows
    assert copy.deepcopy(first).workflows["ngan"].transitions["vao_so"].label == "Vào sổ"


def test_a_restore_that_drops_the_variant_leaves_its_flows_running(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    workflow_admin.save_variant(
        session=session, actor=actors["admin"], config=runtime.config, added=_added(), based_on=None, config_dir=SEED
    )
    task_id = _new_task(runtime, session, actors["tracker"], HEALTH, 71)  # on version 2: the variant
    t = staff(runtime, session, HEALTH)
    config = runtime.current().config

    def step(actor: Actor, key: str, **kw: Any) -> None:
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None
        fire(session=session, actor=actor, config=config, flow_id=flow.id or 0, transition=key, now=at(DAY), **kw)

    step(t.clerk, "vao_so")
    step(t.leader, "but_phe", assignee_id=t.specialist.user_id)
    step(t.specialist, "trinh_du_thao")
    config_admin.restore_version(session=session, actor=actors["admin"], version_id=1, config_dir=SEED)
    config = runtime.current().config
    assert "ngan_so_y_te" not in config.workflows.workflows
    # the task's page, the inbox words and the timeline still read the flow on its version
    (view,) = flow_views(session=session, config=config, task_id=task_id)
    assert (view.workflow, view.state_label) == ("ngan_so_y_te", "Chờ pháp chế thẩm định")
    assert waiting_steps(session=session, actor=t.specialist, config=config) == {task_id: ["Chờ pháp chế thẩm định"]}
    assert inbox_task_ids(session=session, actor=t.specialist, config=config) == [task_id]
    step(t.specialist, "tham_dinh")
    titles = [
        i.title
        for i in describe_timeline(session=session, config=config, entries=events_of(session=session, task_id=task_id))
    ]
    assert titles[-1] == "Bước 3 · Thẩm định pháp chế dự thảo"
    # a new task of Sở Y tế runs the restored shared workflow
    later = _new_task(runtime, session, actors["tracker"], HEALTH, 72)
    assert main_flow(session=session, task_id=later).workflow == "ngan"  # type: ignore[union-attr]


def test_a_variant_names_a_unit_added_on_don_vi(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """A unit added through Đơn vị lives in the database only: Quy trình xử lý names it, never by
    its code."""
    admin = actors["admin"]
    admin_units.add_unit(
        session=session, actor=admin, code="000.00.60.H21", name="Sở Dân tộc và Tôn giáo", short_name="Sở DT&TG",
        kind=UnitKind.DEPARTMENT,
    )
    added = _added(variant="ngan_so_dt_tg", variant_label="Sở DT&TG: có thẩm định", units=["000.00.60.H21"])
    workflow_admin.save_variant(
        session=session, actor=admin, config=runtime.current().config, added=added, based_on=0, config_dir=SEED
    )
    diagrams = {d.key: d for d in workflow_diagrams(session=session, actor=admin, config=runtime.current().config)}
    assert diagrams["ngan_so_dt_tg"].owners == ["Sở DT&TG"]
    assert diagrams["ngan"].owners == []
