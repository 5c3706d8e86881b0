"""Xin gia hạn through the JSON API: the three registry actions at ``/tasks/{id}/actions/{key}``.

The leader asks, the tracker grants (the task's deadline in force moves today) or refuses; bad
input and the wrong people get the API's one error shape with the services' Vietnamese message;
the journal lists the request and the decision. Dates are relative to the server's real today.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from services.infra.clock import fmt_date, local_date, now_utc

from .conftest import FINANCE, Api, World

TODAY = local_date(now_utc())
DEADLINE = TODAY + timedelta(days=10)
WHY = "Chờ số liệu quyết toán của Kho bạc"


def _error(response: httpx.Response, status: int, code: str, field: str | None = None) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["field"] == field, body
    message: str = body["error"]["message"]
    return message


def _new_task(api: Api, code: str) -> int:
    response = api.post(
        "/assignments",
        json={
            "code": code,
            "issue_date": (TODAY - timedelta(days=3)).isoformat(),
            "issuer": "ubnd_tinh",
            "doc_type": "cong_van",
            "summary": "V/v báo cáo giải ngân",
            "signer": "Nguyễn Văn A",
            "tasks": [{"content": "Báo cáo giải ngân", "lead_unit_code": FINANCE, "deadline": DEADLINE.isoformat()}],
        },
    )
    assert response.status_code == 201, response.text
    [task_id] = response.json()["task_ids"]
    return int(task_id)


def _ask(api: Api, task_id: int, days: int, reason: str = WHY) -> httpx.Response:
    body: dict[str, Any] = {"requested_deadline": (DEADLINE + timedelta(days=days)).isoformat(), "reason": reason}
    return api.post(f"/tasks/{task_id}/actions/extension_request", json=body)


def test_ask_grant_and_refuse_through_the_api(world: World) -> None:
    tracker, leader, clerk = world.api("tracker"), world.api("leader"), world.api("clerk")
    task_id = _new_task(tracker, "31/GH-API")
    offered = [a["key"] for a in leader.get(f"/tasks/{task_id}").json()["actions"]]
    assert "extension_request" in offered
    assert "extension_request" not in [a["key"] for a in clerk.get(f"/tasks/{task_id}").json()["actions"]]

    # refusals: the wrong person, no reason, too far, a date that is not one
    assert _error(_ask(clerk, task_id, 5), 403, "permission_denied") == "Chỉ lãnh đạo đơn vị chủ trì xin gia hạn."
    assert _error(_ask(leader, task_id, 5, reason=" "), 422, "invalid_input", "reason") == (
        "Lý do xin gia hạn không được để trống."
    )
    assert "quá xa: chỉ được xin tối đa 30 ngày" in _error(
        _ask(leader, task_id, 31), 422, "invalid_input", "requested_deadline"
    )
    bad = leader.post(
        f"/tasks/{task_id}/actions/extension_request", json={"requested_deadline": "2027-02-31", "reason": WHY}
    )
    assert "phải là ngày dạng YYYY-MM-DD" in _error(bad, 422, "invalid_input", "requested_deadline")

    asked = _ask(leader, task_id, 14)
    assert asked.status_code == 200, asked.text
    wanted = DEADLINE + timedelta(days=14)
    assert asked.json()["message"] == f"Đã gửi đề nghị gia hạn đến {fmt_date(wanted)}; chờ Văn phòng UBND tỉnh xem xét."
    assert "đang chờ Văn phòng UBND tỉnh xem xét" in _error(_ask(leader, task_id, 3), 409, "conflict")
    offered = [a["key"] for a in tracker.get(f"/tasks/{task_id}").json()["actions"]]
    assert {"extension_grant", "extension_refuse"} <= set(offered)
    assert (
        _error(leader.post(f"/tasks/{task_id}/actions/extension_grant", json={}), 403, "permission_denied")
        == "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh quyết định gia hạn."
    )

    granted = tracker.post(f"/tasks/{task_id}/actions/extension_grant", json={"note": "Đồng ý"})
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["message"] == f"Đã đồng ý gia hạn nhiệm vụ #{task_id} đến {fmt_date(wanted)}."
    assert body["task"]["deadline"] == wanted.isoformat()
    assert [e["action"] for e in body["task"]["journal"]][-2:] == ["extension_requested", "extension_granted"]
    # decided: a second decision is a conflict
    again = tracker.post(f"/tasks/{task_id}/actions/extension_refuse", json={"note": "Không"})
    assert "không có đề nghị gia hạn đang chờ" in _error(again, 409, "conflict")

    # the second request (the limit is 2), refused with a reason; the deadline stays
    assert _ask(leader, task_id, 20).status_code == 200
    refused = tracker.post(f"/tasks/{task_id}/actions/extension_refuse", json={"note": "Đủ thời gian"})
    assert refused.status_code == 200, refused.text
    assert refused.json()["task"]["deadline"] == wanted.isoformat()
    assert refused.json()["task"]["journal"][-1]["action"] == "extension_refused"
    assert _error(_ask(leader, task_id, 21), 409, "conflict") == (
        "Nhiệm vụ đã xin gia hạn 2 lần: mỗi nhiệm vụ được xin tối đa 2 lần."
    )
