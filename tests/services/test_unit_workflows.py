"""A unit's own steps: a main workflow with ``units`` and ``replaces`` (Issue 3: "Units may add steps").

Sở Y tế gets a copy of the short workflow with one step added (pháp chế thẩm định the draft
before the leader approves it). Only Sở Y tế is offered it, in place of the shared short
workflow; every other unit keeps the shared workflows; the timeline names the added step.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session

from services.access.permissions import Actor
from services.config.loader import ConfigError, load_config
from services.infra.errors import PermissionDenied
from services.infra.settings import ROOT
from services.journal.events import events_of
from services.journal.timeline import describe_timeline
from services.runtime import Runtime
from services.workflow.engine import main_flow
from tests.actions import available_actions, fire, issue_reply
from tests.conftest import FINANCE, HEALTH, at
from tests.services.support import assign, reply_data, staff, task

ICT = "000.00.11.H21"  # has sub-units
SHIPPED = ROOT / "config"
DAY = date(2026, 3, 5)
THAM_DINH = "Thẩm định pháp chế dự thảo"


def _own_variant(workflows: dict[str, Any]) -> dict[str, Any]:
    """The short workflow plus a legal check between the draft and the leader's approval."""
    variant = copy.deepcopy(workflows["ngan"])
    variant["label"] = "Sở Y tế: tự xử lý, có bước thẩm định pháp chế"
    variant["units"] = [HEALTH]
    variant["replaces"] = ["ngan"]
    variant["states"]["cho_tham_dinh"] = {"label": "Chờ pháp chế thẩm định"}
    variant["transitions"]["trinh_du_thao"]["to"] = "cho_tham_dinh"
    variant["transitions"]["tham_dinh"] = {
        "label": THAM_DINH,
        "step": 3,
        "from": "cho_tham_dinh",
        "to": "cho_duyet",
        "roles": ["specialist"],
    }
    return variant


def _config_copy(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    for source in SHIPPED.glob("*.yaml"):
        shutil.copy(source, target / source.name)
    path = target / "workflows.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["workflows"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


@pytest.fixture
def own(runtime: Runtime, tmp_path: Path) -> Runtime:
    """The test database with the shipped config plus Sở Y tế's own variant."""
    folder = _config_copy(tmp_path, lambda wfs: wfs.__setitem__("ngan_so_y_te", _own_variant(wfs)))
    return dataclasses.replace(runtime, config=load_config(folder))


def _new_task(runtime: Runtime, session: Session, tracker: Actor, lead: str, number: int) -> int:
    _, [task_id] = assign(
        runtime,
        session,
        tracker,
        code=f"{number}/UBND-KT",
        issued=date(2026, 3, 2),
        tasks=[task("Rà soát văn bản quy phạm pháp luật", lead, date(2026, 3, 20))],
    )
    return task_id


def _offered(runtime: Runtime, session: Session, actor: Actor, task_id: int) -> list[tuple[str, str]]:
    return [
        (a.workflow, a.transition)
        for a in available_actions(session=session, actor=actor, config=runtime.config, task_id=task_id)
    ]


def test_the_unit_runs_its_own_steps(own: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    task_id = _new_task(own, session, actors["tracker"], HEALTH, 31)
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    assert flow.workflow == "ngan_so_y_te"  # starts in the unit's own variant
    t = staff(own, session, HEALTH)

    def step(actor: Actor, key: str, **kw: Any) -> None:
        fire(session=session, actor=actor, config=own.config, flow_id=flow.id or 0, transition=key, now=at(DAY), **kw)

    step(t.clerk, "vao_so")
    # one bút phê only: the shared short workflow is no longer offered to Sở Y tế
    assert _offered(own, session, t.leader, task_id) == [("ngan_so_y_te", "but_phe")]
    step(t.leader, "but_phe", assignee_id=t.specialist.user_id)
    step(t.specialist, "trinh_du_thao")
    assert main_flow(session=session, task_id=task_id).state == "cho_tham_dinh"  # type: ignore[union-attr]
    # the leader cannot skip the added step
    assert _offered(own, session, t.leader, task_id) == []
    with pytest.raises(PermissionDenied):
        step(t.leader, "tham_dinh")
    assert _offered(own, session, t.specialist, task_id) == [("ngan_so_y_te", "tham_dinh")]
    step(t.specialist, "tham_dinh", note="Phù hợp quy định")
    step(t.leader, "duyet")
    issue_reply(
        session=session,
        actor=t.clerk,
        config=own.config,
        task_id=task_id,
        data=reply_data("12/SYT-PC", DAY),
        now=at(DAY, 15),
    )
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and (flow.workflow, flow.state) == ("ngan_so_y_te", "da_ban_hanh")
    titles = [
        i.title
        for i in describe_timeline(
            session=session, config=own.config, entries=events_of(session=session, task_id=task_id)
        )
    ]
    assert titles == [
        "Giao nhiệm vụ",
        "Bước 1 · Vào sổ, chuyển lãnh đạo",
        "Bước 2 · Bút phê, chuyển chuyên viên xử lý",
        "Bước 3 · Trình dự thảo văn bản trả lời",
        f"Bước 3 · {THAM_DINH}",
        "Bước 4 · Duyệt, chuyển văn thư ban hành",
        "Bước 5 · Ban hành văn bản trả lời, gửi UBND tỉnh",
    ]


def test_other_units_keep_the_shared_workflows(own: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    finance_task = _new_task(own, session, actors["tracker"], FINANCE, 32)
    ict_task = _new_task(own, session, actors["tracker"], ICT, 33)
    for code, task_id in ((FINANCE, finance_task), (ICT, ict_task)):
        flow = main_flow(session=session, task_id=task_id)
        assert flow is not None
        assert flow.workflow == "ngan", code
        t = staff(own, session, code)
        fire(session=session, actor=t.clerk, config=own.config, flow_id=flow.id or 0, transition="vao_so", now=at(DAY))
        assert _offered(own, session, t.leader, task_id) == [
            ("ngan", "but_phe"),
            ("truong_hop_1", "but_phe"),
            ("truong_hop_2", "but_phe"),
        ], code


def test_mains_for_lists_what_each_unit_may_run(own: Runtime) -> None:
    workflows = own.config.workflows
    assert list(workflows.mains_for(HEALTH, has_subunits=False)) == ["ngan_so_y_te"]
    assert list(workflows.mains_for(FINANCE, has_subunits=True)) == ["ngan", "truong_hop_1", "truong_hop_2"]
    assert list(workflows.mains_for(FINANCE, has_subunits=False)) == ["ngan"]


# --- a wrong variant is refused at start, naming the file and the field ---------------------------


def _error(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(_config_copy(tmp_path, change))
    return str(caught.value)


def test_unknown_unit_code(tmp_path: Path) -> None:
    def change(wfs: dict[str, Any]) -> None:
        variant = _own_variant(wfs)
        variant["units"] = ["000.00.99.H21"]
        wfs["ngan_rieng"] = variant

    message = _error(tmp_path, change)
    assert "workflows.yaml dòng" in message
    assert "workflows > ngan_rieng > units[0]: không có đơn vị mã '000.00.99.H21' trong org.yaml." in message


def test_replaces_without_units(tmp_path: Path) -> None:
    def change(wfs: dict[str, Any]) -> None:
        variant = _own_variant(wfs)
        del variant["units"]
        wfs["ngan_rieng"] = variant

    message = _error(tmp_path, change)
    assert "workflows > ngan_rieng > replaces: chỉ quy trình riêng của đơn vị (có trường units)" in message


@pytest.mark.parametrize("target", ["khong_co", "truong_hop_1_truc_thuoc"])
def test_replaces_something_that_is_not_a_shared_main_workflow(tmp_path: Path, target: str) -> None:
    def change(wfs: dict[str, Any]) -> None:
        variant = _own_variant(wfs)
        variant["replaces"] = [target]
        wfs["ngan_rieng"] = variant

    message = _error(tmp_path, change)
    assert f"workflows > ngan_rieng > replaces: '{target}' không phải quy trình main dùng chung." in message


def test_units_on_a_sub_workflow(tmp_path: Path) -> None:
    message = _error(tmp_path, lambda wfs: wfs["truong_hop_1_truc_thuoc"].__setitem__("units", [HEALTH]))
    assert "workflows > truong_hop_1_truc_thuoc > units: chỉ quy trình kind: main mới riêng cho đơn vị." in message


def test_empty_units_list(tmp_path: Path) -> None:
    def change(wfs: dict[str, Any]) -> None:
        variant = _own_variant(wfs)
        variant["units"] = []
        wfs["ngan_rieng"] = variant

    message = _error(tmp_path, change)
    assert "workflows > ngan_rieng > units" in message
