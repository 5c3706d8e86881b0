"""Trường tùy chỉnh (issue 10): definitions through services.admin.custom_fields, each type's
validation, values stored with the assignment in its transaction, retire and rename keeping the
data, and every refusal changing nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from models import AdminChange, AdminEntity, CustomField, CustomValue, Document, FieldTarget, Role, Task
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import Actor
from services.admin import custom_fields as admin_fields
from services.custom_fields import (
    form_fields,
    task_values,
    tasks_with_value,
    values_for_tasks,
    visible_fields,
)
from services.infra.clock import local_date, now_utc
from services.infra.errors import InvalidInput, NotFound, PermissionDenied
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests.conftest import FINANCE, PLEIKU
from tests.services.support import row_counts

TODAY = local_date(now_utc())
ALL_ROLES = [r.value for r in Role]


def _define(session: Session, admin: Actor, key: str, kind: str, target: str = "task", **extra: Any) -> None:
    admin_fields.create_field(
        session=session, actor=admin, key=key, label=extra.pop("label", key.replace("_", " ").title()),
        kind=kind, target=target, roles=extra.pop("roles", ALL_ROLES), **extra,
    )


def _data(code: str = "900/UBND-KT", *, doc: dict[str, Any] | None = None, task: dict[str, Any] | None = None,
          tasks: int = 1) -> AssignmentCreate:
    return AssignmentCreate(
        code=code,
        issue_date=TODAY,
        issuer="ubnd_tinh",
        doc_type="cong_van",
        summary="V/v trường tùy chỉnh",
        signer="Nguyễn Văn A",
        tasks=[
            TaskCreate(content=f"Việc {n}", lead_unit_code=FINANCE, deadline=TODAY + timedelta(days=10),
                       custom=dict(task or {}))
            for n in range(1, tasks + 1)
        ],
        custom=dict(doc or {}),
    )


def _assign(runtime: Runtime, session: Session, tracker: Actor, data: AssignmentCreate) -> Document:
    return create_assignment(session=session, actor=tracker, config=runtime.config, data=data)


def _refused(runtime: Runtime, session: Session, tracker: Actor, data: AssignmentCreate) -> InvalidInput:
    before = row_counts(session)
    values = len(session.exec(select(CustomValue.id)).all())
    with pytest.raises(InvalidInput) as refused:
        _assign(runtime, session, tracker, data)
    session.rollback()
    assert row_counts(session) == before
    assert len(session.exec(select(CustomValue.id)).all()) == values
    return refused.value


def _stored(session: Session) -> list[tuple[str, int | None, int | None, Any]]:
    rows = session.exec(select(CustomField.key, CustomValue.document_id, CustomValue.task_id, CustomValue.value)
                        .join(CustomField, col(CustomField.id) == CustomValue.field_id)
                        .order_by(col(CustomValue.id))).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


# --- definitions ------------------------------------------------------------------------------


def test_the_admin_defines_a_field_journaled(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    made = admin_fields.create_field(
        session=session, actor=actors["admin"], key="nguon_von", label="Nguồn vốn", kind="choice",
        target="task", required=True, help="Nguồn kinh phí", choices=["Ngân sách", "ODA", "", "ODA"],
        roles=["tracker", "leader"],
    )
    assert (made.key, made.label, made.choices, made.roles, made.retired) == (
        "nguon_von", "Nguồn vốn", ("Ngân sách", "ODA"), (Role.LEADER, Role.TRACKER), False
    )
    entry = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.CUSTOM_FIELD)).one()
    assert (entry.entity_key, entry.action, entry.actor_user_id) == ("nguon_von", "create", actors["admin"].user_id)
    assert entry.after is not None and entry.after["choices"] == ["Ngân sách", "ODA"]


def test_only_the_admin_defines(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    before = row_counts(session)
    with pytest.raises(PermissionDenied):
        _define(session, actors["tracker"], "x", "text")
    with pytest.raises(PermissionDenied):
        admin_fields.retire_field(session=session, actor=actors["tracker"], key="x")
    assert row_counts(session) == before


def test_bad_definitions_are_refused_all_at_once(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _define(session, actors["admin"], "so_hop_dong", "text")
    journal = len(session.exec(select(AdminChange.id)).all())
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"key": "Số HĐ", "label": "", "kind": "text", "target": "task", "roles": ["tracker"]}, {"key", "label"}),
        ({"key": "so_hop_dong", "label": "A", "kind": "text", "target": "task", "roles": ["tracker"]}, {"key"}),
        ({"key": "a", "label": "A", "kind": "anh", "target": "x", "roles": []}, {"kind", "target", "roles"}),
        ({"key": "b", "label": "B", "kind": "choice", "target": "document", "roles": ["tracker"]}, {"choices"}),
        ({"key": "c", "label": "C", "kind": "text", "target": "task", "roles": ["boss"]}, {"roles"}),
    ]
    for args, fields in cases:
        with pytest.raises(InvalidInput) as refused:
            admin_fields.create_field(session=session, actor=actors["admin"], **args)
        assert {e.field for e in refused.value.errors} == fields, args
        session.rollback()
    assert [f.key for f in visible_fields(session=session, actor=actors["admin"])] == ["so_hop_dong"]
    assert len(session.exec(select(AdminChange.id)).all()) == journal


# --- values: each type ------------------------------------------------------------------------


TYPES: list[tuple[str, dict[str, Any], Any, Any, str]] = [
    # kind, extra, good input, stored, bad input -> part of the message
    ("text", {}, "<b>Hợp đồng</b> =cmd|' /C calc'!A0", "<b>Hợp đồng</b> =cmd|' /C calc'!A0", ""),
    ("long_text", {}, "Dòng 1\nDòng 2 **đậm**", "Dòng 1\nDòng 2 **đậm**", ""),
    ("number", {}, "12,5", 12.5, "mười hai"),
    ("date", {}, "05/12/2026", "2026-12-05", "31/02/2027"),
    ("choice", {"choices": ["Ngân sách", "ODA"]}, "ODA", "ODA", "Xã hội hóa"),
    ("yes_no", {}, "có", True, "có lẽ"),
    ("unit", {}, PLEIKU.lower(), PLEIKU, "000.99.99.H21"),
]


@pytest.mark.parametrize(("kind", "extra", "good", "stored", "bad"), TYPES, ids=[t[0] for t in TYPES])
def test_each_type_validates(
    runtime: Runtime, session: Session, actors: dict[str, Actor],
    kind: str, extra: dict[str, Any], good: Any, stored: Any, bad: Any,
) -> None:
    _define(session, actors["admin"], "truong", kind, label="Trường thử", required=True, **extra)
    if bad:
        refused = _refused(runtime, session, actors["tracker"], _data(task={"truong": bad}))
        assert refused.field == "tasks.1.custom.truong"
        assert refused.message.startswith("Nhiệm vụ 1 — Trường thử")
    empty = _refused(runtime, session, actors["tracker"], _data(task={"truong": "  "}))
    assert empty.message == "Nhiệm vụ 1 — Trường thử không được để trống."
    doc = _assign(runtime, session, actors["tracker"], _data(task={"truong": good}))
    (task_id,) = session.exec(select(Task.id).where(Task.document_id == doc.id)).all()
    assert _stored(session) == [("truong", None, task_id, stored)]


def test_the_api_date_form_and_messages(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _define(session, actors["admin"], "ngay_ky", "date", target="document", label="Ngày ký hợp đồng")
    refused = _refused(runtime, session, actors["tracker"], _data(doc={"ngay_ky": "2026-13-01"}))
    assert refused.field == "custom.ngay_ky" and "Ngày ký hợp đồng" in refused.message
    refused = _refused(runtime, session, actors["tracker"], _data(doc={"ngay_ky": "01/01/0001"}))
    assert "không hợp lệ" in refused.message
    _assign(runtime, session, actors["tracker"], _data(doc={"ngay_ky": "2026-01-31"}))
    assert _stored(session)[0][3] == "2026-01-31"


def test_unknown_and_retired_keys_are_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _define(session, actors["admin"], "cu", "text")
    admin_fields.retire_field(session=session, actor=actors["admin"], key="cu")
    refused = _refused(runtime, session, actors["tracker"], _data(doc={"khong_co": "1"}, task={"cu": "x"}))
    assert {e.field for e in refused.errors} == {"custom.khong_co", "tasks.1.custom.cu"}


def test_every_error_at_once_with_the_forms_own(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _define(session, actors["admin"], "so_tien", "number", target="document", label="Số tiền", required=True)
    _define(session, actors["admin"], "ma_dv", "unit", label="Đơn vị thụ hưởng")
    data = _data(code="", doc={"so_tien": "abc"}, task={"ma_dv": "XYZ"}, tasks=2)
    refused = _refused(runtime, session, actors["tracker"], data)
    assert {e.field for e in refused.errors} == {
        "code", "custom.so_tien", "tasks.1.custom.ma_dv", "tasks.2.custom.ma_dv"
    }
    assert "Đơn vị thụ hưởng: không có đơn vị mã “XYZ”" in refused.message


def test_values_stored_with_the_assignment_and_read_back(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin = actors["admin"]
    _define(session, admin, "nguon_von", "choice", target="document", label="Nguồn vốn", choices=["NS", "ODA"])
    _define(session, admin, "khan", "yes_no", label="Khẩn")
    _define(session, admin, "ghi_chu_vp", "text", label="Ghi chú VP", roles=["tracker"])
    doc = _assign(runtime, session, actors["tracker"], _data(
        doc={"nguon_von": "ODA"}, task={"khan": True, "ghi_chu_vp": "nội bộ"}, tasks=2))
    ids = list(session.exec(select(Task.id).where(Task.document_id == doc.id).order_by(col(Task.seq))).all())
    shown = task_values(session=session, actor=actors["tracker"], task_id=ids[0], document_id=doc.id or 0)
    assert [(v.label, v.text, v.target) for v in shown] == [
        ("Nguồn vốn", "ODA", FieldTarget.DOCUMENT),
        ("Khẩn", "Có", FieldTarget.TASK),
        ("Ghi chú VP", "nội bộ", FieldTarget.TASK),
    ]
    # a role not named sees nothing of that field
    seen = task_values(session=session, actor=actors["leader"], task_id=ids[0], document_id=doc.id or 0)
    assert [v.label for v in seen] == ["Nguồn vốn", "Khẩn"]
    assert [f.key for f in form_fields(session=session, actor=actors["leader"], target=FieldTarget.TASK)] == ["khan"]
    fields = visible_fields(session=session, actor=actors["tracker"])
    listed = values_for_tasks(session=session, actor=actors["tracker"], task_ids=ids, fields=fields)
    assert listed[ids[1]] == {"nguon_von": "ODA", "khan": "Có", "ghi_chu_vp": "nội bộ"}
    assert tasks_with_value(session=session, actor=actors["tracker"], key="nguon_von", value="ODA") == set(ids)
    assert tasks_with_value(session=session, actor=actors["tracker"], key="khan", value="không") == set()
    with pytest.raises(InvalidInput):
        tasks_with_value(session=session, actor=actors["tracker"], key="ghi_chu_vp", value="x")


def test_the_lists_look_values_up_for_a_page_and_filter_a_figure_page_by_page(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Giám sát's lists with a custom field (issue 10): ``figure_page_holding`` cuts the figure's
    tasks that hold the value, in the figure's order, a page at a time, and ``values_for_tasks``
    answers for the page's ids only (a document's value given to each of its tasks)."""
    from services.stats.statistics import dashboard, make_period
    from services.tasks.queries import figure_page_holding

    admin, tracker = actors["admin"], actors["tracker"]
    _define(session, admin, "nguon_von", "choice", label="Nguồn vốn", choices=["NS", "ODA"])
    _define(session, admin, "du_an", "text", target="document", label="Dự án")
    for n, source in enumerate(["ODA", "NS", "ODA", "ODA", "NS"], start=1):
        _assign(runtime, session, tracker, _data(f"90{n}/UBND-KT", doc={"du_an": f"DA{n}"}, task={"nguon_von": source}))
    ids = list(session.exec(select(Task.id).order_by(col(Task.id))).all())
    only = tasks_with_value(session=session, actor=tracker, key="nguon_von", value="ODA")
    assert only == {ids[0], ids[2], ids[3]}
    period = make_period(date_from=TODAY, date_to=TODAY, today=TODAY)
    board = dashboard(session=session, actor=tracker, period=period)
    whole = [r.task_id for r in board.figure_tasks(session=session, due_soon_days=3)]
    assert sorted(whole) == ids
    first = figure_page_holding(session=session, board=board, due_soon_days=3, only=only | {10**6}, per_page=2)
    second = figure_page_holding(session=session, board=board, due_soon_days=3, only=only, page=2, per_page=2)
    past = figure_page_holding(session=session, board=board, due_soon_days=3, only=only, page=7, per_page=2)
    assert (first.total, first.pages, len(first.items), second.total) == (3, 2, 2, 3)
    assert [r.task_id for r in first.items + second.items] == [i for i in whole if i in only]
    assert (past.page, past.items) == (2, second.items)
    fields = visible_fields(session=session, actor=tracker)
    page_ids = [r.task_id for r in second.items]
    assert values_for_tasks(session=session, actor=tracker, task_ids=page_ids, fields=fields) == {
        page_ids[0]: {"nguon_von": "ODA", "du_an": f"DA{ids.index(page_ids[0]) + 1}"}
    }
    with pytest.raises(InvalidInput, match="Số nhiệm vụ mỗi trang"):
        figure_page_holding(session=session, board=board, due_soon_days=3, only=only, per_page=0)
    clerk = dashboard(session=session, actor=actors["clerk"], period=period)  # another unit's list: refused
    with pytest.raises(PermissionDenied):
        figure_page_holding(session=session, board=clerk, due_soon_days=3, only=only, unit_id=None)
    own = figure_page_holding(
        session=session, board=clerk, due_soon_days=3, only=only, unit_id=actors["clerk"].unit_id
    )
    assert own.total == 3  # the five tasks are Sở Tài chính's


def test_a_failing_write_leaves_no_value(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """The values are in create_assignment's transaction: a duplicate số/ký hiệu saves none."""
    _define(session, actors["admin"], "khan", "yes_no", label="Khẩn")
    _assign(runtime, session, actors["tracker"], _data(code="1/UBND", task={"khan": "có"}))
    _refused(runtime, session, actors["tracker"], _data(code="1/UBND", task={"khan": "có"}))
    assert len(_stored(session)) == 1


def test_rename_and_retire_keep_the_data(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    _define(session, admin, "so_hd", "text", label="Số HĐ")
    doc = _assign(runtime, session, actors["tracker"], _data(task={"so_hd": "HĐ-01"}))
    (task_id,) = session.exec(select(Task.id).where(Task.document_id == doc.id)).all()
    admin_fields.rename_field(session=session, actor=admin, key="so_hd", label="Số hợp đồng")
    admin_fields.retire_field(session=session, actor=admin, key="so_hd")
    shown = task_values(session=session, actor=actors["tracker"], task_id=task_id or 0, document_id=doc.id or 0)
    assert [(v.label, v.text, v.retired) for v in shown] == [("Số hợp đồng", "HĐ-01", True)]
    assert form_fields(session=session, actor=actors["tracker"], target=FieldTarget.TASK) == []
    with pytest.raises(InvalidInput):
        admin_fields.retire_field(session=session, actor=admin, key="so_hd")
    with pytest.raises(InvalidInput):
        admin_fields.rename_field(session=session, actor=admin, key="so_hd", label="  ")
    with pytest.raises(NotFound):
        admin_fields.rename_field(session=session, actor=admin, key="khong_co", label="X")
    admin_fields.restore_field(session=session, actor=admin, key="so_hd")
    actions = session.exec(select(AdminChange.action, AdminChange.before, AdminChange.after)
                           .order_by(col(AdminChange.id))).all()
    assert [tuple(a) for a in actions] == [  # type: ignore[misc]
        ("create", None, actions[0][2]),
        ("rename", {"label": "Số HĐ"}, {"label": "Số hợp đồng"}),
        ("retire", {"retired": False}, {"retired": True}),
        ("restore", {"retired": True}, {"retired": False}),
    ]


def test_no_fields_no_values(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    doc = _assign(runtime, session, actors["tracker"], _data())
    assert doc.id is not None and _stored(session) == []
