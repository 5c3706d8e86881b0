"""Phần mở rộng (issue 10): the example plugin found through its entry point (a dist-info on
sys.path, nothing installed), its field type offered and validating; broken plugins listed with
their error and adding nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from importlib import metadata
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import CustomValue, Task
from models.schemas import AssignmentCreate, TaskCreate
from services import plugins
from services.access.permissions import Actor
from services.admin import custom_fields as admin_fields
from services.custom_fields import display, kind_labels, task_values, visible_fields
from services.infra.clock import local_date, now_utc
from services.infra.errors import InvalidInput
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests import example_plugin
from tests.conftest import FINANCE
from tests.services.support import row_counts

TODAY = local_date(now_utc())


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    example_plugin.install(tmp_path / "site", monkeypatch)
    yield
    example_plugin.forget()


def test_discovered_with_name_and_version(installed: None) -> None:
    found = plugins.plugins()
    (info,) = [i for i in found.infos if i.name == "example"]
    assert (info.distribution, info.version, info.target, info.error) == (
        "giaoviec-example", "0.1.0", "giaoviec_example:register", ""
    )
    assert info.field_types == ["so_dien_thoai"]
    assert "so_dien_thoai" in found.field_types
    assert kind_labels()["so_dien_thoai"] == "Số điện thoại (giaoviec-example)"


def test_without_it_the_type_is_not_offered() -> None:
    plugins.reset()
    assert "so_dien_thoai" not in kind_labels()


def _ep(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=plugins.GROUP)


def test_a_broken_plugin_is_listed_and_adds_nothing(installed: None) -> None:
    found = plugins.discover([
        _ep("b_missing", "no_such_module_xyz:register"),
        _ep("c_clash", "giaoviec_example:register"),  # the same type twice: the second refused
        _ep("a_first", "giaoviec_example:register"),
        _ep("d_builtin", "tests.services.test_plugins:_takes_a_builtin"),
    ])
    by_name = {i.name: i for i in found.infos}
    assert by_name["a_first"].error == "" and by_name["a_first"].field_types == ["so_dien_thoai"]
    assert "ModuleNotFoundError" in by_name["b_missing"].error
    assert "đã có" in by_name["c_clash"].error and by_name["c_clash"].field_types == []
    assert "đã có" in by_name["d_builtin"].error
    assert list(found.field_types) == ["so_dien_thoai"] and found.report_formats == {}


def _takes_a_builtin(registry: plugins.Registry) -> None:
    registry.add_report_format("xlsx", "Excel", lambda rows: b"")
    registry.add_field_type("number", "Số", float)


def test_the_other_registries(installed: None) -> None:
    def register(registry: plugins.Registry) -> None:
        registry.add_report_format("csv", "CSV", lambda rows: b"")
        registry.add_notification_channel("zalo", "Zalo", lambda message: None)
        registry.add_task_action("nhac_viec", "Nhắc việc", lambda task: None)

    found = plugins.Plugins()
    registry = plugins.Registry("x", found)
    register(registry)
    assert (list(registry.report_formats), list(registry.notification_channels), list(registry.task_actions)) == (
        ["csv"], ["zalo"], ["nhac_viec"]
    )
    with pytest.raises(ValueError, match="mã chỉ gồm"):
        registry.add_task_action("Nhắc", "x", lambda task: None)


def test_the_plugin_type_is_offered_and_validates(
    installed: None, runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin_fields.create_field(
        session=session, actor=actors["admin"], key="dien_thoai", label="Điện thoại đầu mối",
        kind="so_dien_thoai", target="task", required=True, roles=["tracker", "admin"],
    )

    def data(phone: str, code: str) -> AssignmentCreate:
        return AssignmentCreate(
            code=code, issue_date=TODAY, issuer="ubnd_tinh", doc_type="cong_van", summary="S", signer="A",
            tasks=[TaskCreate(content="Việc", lead_unit_code=FINANCE, deadline=TODAY + timedelta(days=5),
                              custom={"dien_thoai": phone})],
        )

    before = row_counts(session)
    with pytest.raises(InvalidInput) as refused:
        create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data("12345", "1/A"))
    session.rollback()
    assert refused.value.field == "tasks.1.custom.dien_thoai"
    assert refused.value.message.startswith("Nhiệm vụ 1 — Điện thoại đầu mối: “12345” không phải số điện thoại")
    assert row_counts(session) == before
    doc = create_assignment(
        session=session, actor=actors["tracker"], config=runtime.config, data=data("+84 912.345.678", "2/A")
    )
    (value,) = session.exec(select(CustomValue.value)).all()
    assert value == "0912345678"
    (task_id,) = session.exec(select(Task.id).where(Task.document_id == doc.id)).all()
    shown = task_values(session=session, actor=actors["tracker"], task_id=task_id or 0, document_id=doc.id or 0)
    assert [v.text for v in shown] == ["0912 345 678"]
    (field,) = visible_fields(session=session, actor=actors["admin"])
    assert display(field, "02693824567") == "0269 3824 567"
