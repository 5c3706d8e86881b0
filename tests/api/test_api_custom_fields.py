"""Trường tùy chỉnh through the JSON API on a real server: values accepted in POST /assignments
(validated by type, each refusal a 422 naming the field, nothing saved), shown in
GET /tasks/{id} (``custom``), and a choice or yes/no filter on GET /tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import func, select

from models import CustomValue, Document
from services.admin import custom_fields as admin_fields
from services.infra.clock import local_date, now_utc

from .conftest import FINANCE, PLEIKU, World
from .test_api import _error

TODAY = local_date(now_utc())
ROLES = ["tracker", "leader", "clerk", "specialist", "admin"]


def _define(world: World) -> None:
    with world.session() as session:
        admin = world.actors["admin"]
        for key, label, kind, target, extra in (
            ("nguon_von", "Nguồn vốn", "choice", "document", {"choices": ["Ngân sách", "ODA"]}),
            ("so_tien", "Số tiền", "number", "task", {"required": True}),
            ("ngay_ky", "Ngày ký", "date", "task", {}),
            ("don_vi_thu_huong", "Đơn vị thụ hưởng", "unit", "task", {}),
            ("khan", "Khẩn", "yes_no", "task", {}),
        ):
            admin_fields.create_field(
                session=session, actor=admin, key=key, label=label, kind=kind, target=target, roles=ROLES, **extra
            )


def _body(code: str, *, doc: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": code,
        "issue_date": TODAY.isoformat(),
        "issuer": "ubnd_tinh",
        "doc_type": "cong_van",
        "summary": "V/v trường tùy chỉnh",
        "signer": "Nguyễn Văn A",
        "custom": doc,
        "tasks": [
            {
                "content": "Việc có trường",
                "lead_unit_code": FINANCE,
                "deadline": (TODAY + timedelta(days=9)).isoformat(),
                "custom": task,
            }
        ],
    }


def _saved(world: World) -> tuple[int, int]:
    with world.session() as session:
        return (
            session.exec(select(func.count()).select_from(Document)).one(),
            session.exec(select(func.count()).select_from(CustomValue)).one(),
        )


def test_custom_values_through_the_api(world: World) -> None:
    _define(world)
    tracker = world.api("tracker")
    good_task = {"so_tien": 1250000, "ngay_ky": "2026-01-15", "don_vi_thu_huong": PLEIKU, "khan": True}
    before = _saved(world)
    for task, field, words in (
        ({**good_task, "so_tien": "một triệu"}, "tasks.1.custom.so_tien",
         "Nhiệm vụ 1 — Số tiền: “một triệu” không phải là số"),
        ({**good_task, "ngay_ky": "15/13/2026"}, "tasks.1.custom.ngay_ky",
         "Nhiệm vụ 1 — Ngày ký 15/13/2026 không có thật"),
        ({**good_task, "ngay_ky": "2026-02-30"}, "tasks.1.custom.ngay_ky", "không phải là ngày có thật"),
        ({**good_task, "don_vi_thu_huong": "000.99.99.H21"}, "tasks.1.custom.don_vi_thu_huong",
         "không có đơn vị mã “000.99.99.H21”"),
        ({k: v for k, v in good_task.items() if k != "so_tien"}, "tasks.1.custom.so_tien",
         "Nhiệm vụ 1 — Số tiền không được để trống."),
        ({**good_task, "khong_co": 1}, "tasks.1.custom.khong_co", "không có trường tùy chỉnh “khong_co”"),
    ):
        response = tracker.post("/assignments", json=_body("70/CF-API", doc={"nguon_von": "ODA"}, task=task))
        assert words in _error(response, 422, "invalid_input", field)
    response = tracker.post("/assignments", json=_body("70/CF-API", doc={"nguon_von": "Vay"}, task=good_task))
    assert "Nguồn vốn: “Vay” không có trong danh sách" in _error(response, 422, "invalid_input", "custom.nguon_von")
    assert _saved(world) == before  # nothing saved by any refusal

    created = tracker.post("/assignments", json=_body("70/CF-API", doc={"nguon_von": "ODA"}, task=good_task))
    assert created.status_code == 201, created.text
    (task_id,) = created.json()["task_ids"]
    detail = tracker.get(f"/tasks/{task_id}").json()
    assert [(c["key"], c["target"], c["value"], c["text"]) for c in detail["custom"]] == [
        ("nguon_von", "document", "ODA", "ODA"),
        ("so_tien", "task", 1250000, "1.250.000"),
        ("ngay_ky", "task", "2026-01-15", "15/01/2026"),
        ("don_vi_thu_huong", "task", PLEIKU, "UBND TP Pleiku"),
        ("khan", "task", True, "Có"),
    ]
    # the lead unit sees them too (its roles are named)
    assert len(world.api("leader").get(f"/tasks/{task_id}").json()["custom"]) == 5

    other = tracker.post("/assignments", json=_body("71/CF-API", doc={"nguon_von": "Ngân sách"},
                                                    task={**good_task, "khan": "không"}))
    assert other.status_code == 201, other.text
    found = tracker.get("/tasks", params={"custom_field": "nguon_von", "custom_value": "ODA"})
    assert [i["id"] for i in found.json()["items"]] == [task_id]
    found = tracker.get("/tasks", params={"custom_field": "khan", "custom_value": "không"})
    assert [i["id"] for i in found.json()["items"]] == other.json()["task_ids"]
    _error(tracker.get("/tasks", params={"custom_field": "so_tien", "custom_value": "1"}), 422, "invalid_input",
           "custom_field")
    _error(tracker.get("/tasks", params={"custom_field": "khan"}), 422, "invalid_input", "custom_field")
    _error(tracker.get("/tasks", params={"custom_field": "nguon_von", "custom_value": "Vay"}), 422, "invalid_input",
           "custom_value")
