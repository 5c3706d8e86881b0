"""The JSON API on a real server (``streamlit run asgi.py``), through HTTP with per-account tokens.

Every endpoint, every error code, tokens revoked and expired, the pages' cookie refused, another
unit's task "not found", a whole task loop driven through the API, and the statistics equal to
``services.stats.statistics`` for the same period. Dates are relative to today (the server's
clock). Each test names its tasks with its own document code and searches with it (``q``), so
the tests of this module share one server without reading each other's tasks.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import httpx
from sqlmodel import select

from models import ActionKey, TaskClass, User
from services.access.auth import SESSION_COOKIE
from services.access.sessions import make_session_token
from services.access.tokens import create_token, revoke_token
from services.infra.clock import local_date, now_utc
from services.org.units import unit_by_code
from services.stats.statistics import make_period, unit_statistics

from .conftest import FINANCE, HEALTH, PLEIKU, RATE_LIMIT, RATE_WINDOW, SECRET_KEY, Api, World

TODAY = local_date(now_utc())
ISSUED = TODAY - timedelta(days=10)
PATHS = {
    "/tasks",
    "/tasks/{task_id}",
    "/tasks/{task_id}/actions/{action}",
    "/statistics",
    "/statistics/tasks",
    "/assignments",
    "/tasks/{task_id}/attachments",
    "/attachments/{attachment_id}",
}


def _error(response: httpx.Response, status: int, code: str, field: str | None = None) -> str:
    """Assert the API's one error shape; return its Vietnamese message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    message: str = body["error"]["message"]
    assert message and "Traceback" not in message
    return message


def _assign(api: Api, code: str, tasks: list[dict[str, Any]], issued: date = ISSUED) -> list[int]:
    response = api.post(
        "/assignments",
        json={
            "code": code,
            "issue_date": issued.isoformat(),
            "issuer": "ubnd_tinh",
            "doc_type": "cong_van",
            "summary": f"V/v thực hiện văn bản {code}",
            "signer": "Nguyễn Văn A",
            "tasks": tasks,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["document_id"], int) and len(body["task_ids"]) == len(tasks)
    ids: list[int] = body["task_ids"]
    return ids


def _task(content: str, lead: str, deadline: date, coordinators: list[str] | None = None) -> dict[str, Any]:
    return {
        "content": content,
        "lead_unit_code": lead,
        "coordinating_unit_codes": coordinators or [],
        "deadline": deadline.isoformat(),
    }


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- documents -------------------------------------------------------------------------------


def test_openapi_lists_every_path_and_action(world: World) -> None:
    response = httpx.get(f"{world.base_url}/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) == PATHS
    assert {"url": "/api/v1"} in document["servers"]
    assert {a["key"] for a in document["x-actions"]} == {k.value for k in ActionKey}
    assert {a["key"]: a["input"] for a in document["x-actions"]}["confirm"] == "ConfirmationCreate"
    schemas = document["components"]["schemas"]
    for name in ("StepInput", "ReplyInput", "ConfirmationCreate", "AssignmentCreate", "ErrorOut", "TaskDetailOut"):
        assert name in schemas, name
    listing = {p["name"] for p in document["paths"]["/tasks"]["get"]["parameters"]}
    assert listing == {
        "unit", "class", "status", "from", "to", "q", "deadline_from", "deadline_to", "page", "per_page",
        "custom_field", "custom_value",  # trường tùy chỉnh (issue 10)
    }
    assert set(document["paths"]["/tasks/{task_id}/actions/{action}"]["post"]["responses"]) == {
        "200", "401", "403", "404", "409", "422", "429"
    }


def test_docs_page_is_readable_offline(world: World) -> None:
    # a browser's request (Accept: text/html, no cookie) is not sent to the login form
    response = httpx.get(f"{world.base_url}/api/v1/docs", headers={"Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for path in PATHS:
        assert f"/api/v1{path}" in page, path
    for text in ("Authorization: Bearer", "rate_limited", "Retry-After", "permission_denied", "ConfirmationCreate"):
        assert text in page, text
    assert "Danh sách nhiệm vụ được xem" in page and "Thực hiện một thao tác trên nhiệm vụ" in page
    # nothing to fetch from elsewhere: no script, stylesheet link or image
    assert "<script" not in page and "<link" not in page and "<img" not in page and "cdn" not in page.lower()


def test_unknown_address_and_method_answer_json(world: World) -> None:
    api = world.api("tracker")
    assert "/api/v1/khong-co" in _error(api.get("/khong-co"), 404, "not_found")
    _error(api.request("DELETE", "/tasks"), 405, "method_not_allowed")


# --- authentication ----------------------------------------------------------------------------


def test_requests_without_a_valid_token_are_unauthenticated(world: World) -> None:
    url = f"{world.base_url}/api/v1/tasks"
    anonymous = httpx.get(url, headers={"Accept": "text/html"})
    assert "Thiếu khóa API" in _error(anonymous, 401, "unauthenticated")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    for header in ("Basic dnAudGhlb2RvaTpnaWFvdmllYzIwMjY=", "Bearer", "Bearer gv_khong-phai-khoa-that", "gv_abc"):
        refused = httpx.get(url, headers={"Authorization": header})
        _error(refused, 401, "unauthenticated")
        assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_the_pages_cookie_alone_is_refused(world: World) -> None:
    with world.session() as session:
        cookie = make_session_token(session=session, user_id=world.actors["tracker"].user_id, secret=SECRET_KEY)
    # the cookie is genuine: the pages accept it (no redirect to the login form) ...
    page = httpx.get(f"{world.base_url}/khoa-api", headers={"Accept": "text/html"}, cookies={SESSION_COOKIE: cookie})
    assert page.status_code == 200 and "/auth/login" not in str(page.url)
    # ... and the API does not
    refused = httpx.get(f"{world.base_url}/api/v1/tasks", cookies={SESSION_COOKIE: cookie})
    assert "không nhận phiên đăng nhập" in _error(refused, 401, "unauthenticated")
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_and_expired_tokens(world: World) -> None:
    clerk = world.actors["clerk"]
    secret = world.new_token("clerk", "Sẽ thu hồi")
    api = Api(world.base_url, secret)
    assert api.get("/tasks").status_code == 200
    with world.session() as session:
        token = next(t for t in session.exec(select_tokens(clerk.user_id)) if t.name == "Sẽ thu hồi")
        revoke_token(session=session, actor=clerk, token_id=token.id or 0)
    assert "đã bị thu hồi hoặc đã hết hạn" in _error(api.get("/tasks"), 401, "unauthenticated")

    moment = now_utc()
    with world.session() as session:  # created two hours ago, valid for one
        _, expired = create_token(
            session=session,
            actor=clerk,
            owner_user_id=clerk.user_id,
            name="Hết hạn",
            expires_at=moment - timedelta(hours=1),
            now=moment - timedelta(hours=2),
        )
        _, valid = create_token(
            session=session,
            actor=clerk,
            owner_user_id=clerk.user_id,
            name="Còn hạn",
            expires_at=moment + timedelta(hours=1),
        )
    _error(Api(world.base_url, expired).get("/tasks"), 401, "unauthenticated")
    assert Api(world.base_url, valid).get("/tasks").status_code == 200


def select_tokens(user_id: int) -> Any:
    from models import ApiToken

    return select(ApiToken).where(ApiToken.user_id == user_id)


def test_rate_limit_per_token(world: World) -> None:
    for _attempt in range(2):  # a very slow machine may see the window end mid-burst: try once more
        api = httpx.Client(
            base_url=f"{world.base_url}/api/v1",
            headers={"Authorization": f"Bearer {world.new_token('health', 'Giới hạn')}"},
            timeout=30,
        )
        started = time.monotonic()
        statuses = [api.get("/tasks", params={"per_page": 1}).status_code for _ in range(RATE_LIMIT)]
        over = api.get("/tasks", params={"per_page": 1})
        if time.monotonic() - started < RATE_WINDOW:
            break
    assert statuses == [200] * RATE_LIMIT
    assert "quá nhiều yêu cầu" in _error(over, 429, "rate_limited")
    retry_after = int(over.headers["Retry-After"])
    assert 1 <= retry_after <= RATE_WINDOW
    # per token: another token of the same account is not held back
    assert Api(world.base_url, world.new_token("health", "Khóa khác")).get("/tasks").status_code == 200
    time.sleep(retry_after)
    assert api.get("/tasks", params={"per_page": 1}).status_code == 200


# --- reading -----------------------------------------------------------------------------------


def test_task_search_filters_and_visibility(world: World) -> None:
    tracker = world.api("tracker")
    mark = "LOC-API"
    f_open, f_overdue, p_coordinated = _assign(
        tracker,
        f"11/{mark}",
        [
            _task("Báo cáo quyết toán ngân sách năm", FINANCE, TODAY + timedelta(days=20)),
            _task("Kiểm tra tài sản công", FINANCE, TODAY - timedelta(days=2)),
            _task("Rà soát quy hoạch đô thị", PLEIKU, TODAY + timedelta(days=5), coordinators=[FINANCE]),
        ],
    )
    search = {"q": mark}
    # who sees what: VP UBND everything; a unit its own and the one it coordinates; others nothing
    assert _ids(tracker.get("/tasks", params=search)) == [f_overdue, p_coordinated, f_open]  # overdue first
    assert set(_ids(world.api("clerk").get("/tasks", params=search))) == {f_open, f_overdue, p_coordinated}
    assert _ids(world.api("pleiku").get("/tasks", params=search)) == [p_coordinated]
    assert _ids(world.api("health").get("/tasks", params=search)) == []

    listed = tracker.get("/tasks", params=search).json()
    assert (listed["total"], listed["page"], listed["per_page"], listed["as_of"]) == (3, 1, 50, TODAY.isoformat())
    overdue = listed["items"][0]
    assert overdue == {
        "id": f_overdue,
        "document_id": overdue["document_id"],
        "document_code": f"11/{mark}",
        "document_date": ISSUED.isoformat(),
        "summary": f"V/v thực hiện văn bản 11/{mark}",
        "content": "Kiểm tra tài sản công",
        "lead_unit_code": FINANCE,
        "lead_unit_name": "Sở Tài chính",
        "status": "open",
        "class": "open_overdue",
        "deadline": (TODAY - timedelta(days=2)).isoformat(),
        "days_left": -2,
        "due_soon": False,
        "awaiting_confirmation": False,
        "reply_date": None,
        "backdated_reply": False,
    }

    def ids(**params: Any) -> list[int]:
        return _ids(tracker.get("/tasks", params={**search, **params}))

    assert ids(unit=PLEIKU) == [p_coordinated]
    assert _ids(world.api("clerk").get("/tasks", params={**search, "unit": PLEIKU})) == [p_coordinated]
    assert ids(unit=FINANCE) == [f_overdue, f_open]
    assert ids(**{"class": "open_overdue"}) == [f_overdue]
    assert ids(**{"class": "open_on_time"}) == [p_coordinated, f_open]
    assert ids(**{"class": "done_on_time"}) == []
    assert ids(status="open") == [f_overdue, p_coordinated, f_open]
    assert ids(status="done") == []
    assert ids(deadline_from=TODAY.isoformat()) == [p_coordinated, f_open]
    assert ids(deadline_to=TODAY.isoformat()) == [f_overdue]
    # accents and case are ignored
    assert _ids(tracker.get("/tasks", params={"q": "BAO CAO quyet toan"})) == [f_open]
    assert _ids(tracker.get("/tasks", params={"q": "rà soát ĐÔ THỊ"})) == [p_coordinated]
    # the statistics' period: assigned in it or carried over open; before the document: nothing
    assert ids(**{"from": (TODAY - timedelta(days=3)).isoformat()}) == [f_overdue, p_coordinated, f_open]
    past = {"from": (ISSUED - timedelta(days=30)).isoformat(), "to": (ISSUED - timedelta(days=1)).isoformat()}
    assert tracker.get("/tasks", params={**search, **past}).json()["total"] == 0
    # as of a day before the deadline, the overdue task was still on time
    as_of = (TODAY - timedelta(days=3)).isoformat()
    before = tracker.get("/tasks", params={**search, "to": as_of, "class": "open_on_time"}).json()
    assert before["as_of"] == as_of and f_overdue in [i["id"] for i in before["items"]]
    # pages
    first = tracker.get("/tasks", params={**search, "per_page": 2}).json()
    assert ([i["id"] for i in first["items"]], first["total"]) == ([f_overdue, p_coordinated], 3)
    assert ids(per_page=2, page=2) == [f_open]
    assert tracker.get("/tasks", params={**search, "page": 3, "per_page": 2}).json() == {
        "items": [],
        "total": 3,
        "page": 3,
        "per_page": 2,
        "as_of": TODAY.isoformat(),
    }


def test_bad_filters_are_invalid_input_naming_the_field(world: World) -> None:
    api = world.api("tracker")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"unit": "000.99.99.H21"}, "unit", "Không có đơn vị mã “000.99.99.H21”."),
        ({"class": "late"}, "class", "phải là một trong các giá trị"),
        ({"status": "pending"}, "status", "phải là một trong các giá trị"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from", "Từ ngày phải trước hoặc bằng đến ngày."),
        ({"from": "10/03/2026"}, "from", "phải là ngày dạng YYYY-MM-DD"),
        ({"deadline_to": "2026-13-01"}, "deadline_to", "phải là ngày dạng YYYY-MM-DD"),
        ({"deadline_from": "2026-03-10", "deadline_to": "2026-03-01"}, "deadline_from", "Hạn xử lý từ ngày"),
        ({"page": "0"}, "page", "phải lớn hơn hoặc bằng 1"),
        ({"page": "một"}, "page", "phải là số nguyên"),
        ({"per_page": "201"}, "per_page", "phải nhỏ hơn hoặc bằng 200"),
    ]
    for params, field, text in cases:
        assert text in _error(api.get("/tasks", params=params), 422, "invalid_input", field), params
    assert "phải là ngày" in _error(api.get("/statistics", params={"to": "hôm nay"}), 422, "invalid_input", "to")
    _error(api.get("/statistics", params={"from": "2026-03-10", "to": "2026-03-01"}), 422, "invalid_input", "from")
    _error(api.get("/statistics/tasks", params={"unit": "x"}), 422, "invalid_input", "unit")
    _error(api.get("/statistics/tasks", params={"class": "x"}), 422, "invalid_input", "class")
    _error(api.get("/tasks/abc"), 422, "invalid_input", "task_id")


def test_another_units_task_is_not_found(world: World) -> None:
    (pleiku_task,) = _assign(world.api("tracker"), "12/NF-API", [_task("Việc của Pleiku", PLEIKU, TODAY)])
    clerk = world.api("clerk")
    message = _error(clerk.get(f"/tasks/{pleiku_task}"), 404, "not_found")
    assert message == f"Không tìm thấy nhiệm vụ #{pleiku_task} hoặc bạn không có quyền xem."
    # the same answer as for a task that does not exist at all, and for an action on it
    assert _error(clerk.get("/tasks/999999"), 404, "not_found") == (
        "Không tìm thấy nhiệm vụ #999999 hoặc bạn không có quyền xem."
    )
    _error(clerk.post(f"/tasks/{pleiku_task}/actions/note", json={"note": "Thử"}), 404, "not_found")
    # not even the input is judged first: a bad body for another unit's task is still "not found"
    _error(clerk.post(f"/tasks/{pleiku_task}/actions/step", json={}), 404, "not_found")
    assert world.api("pleiku").get(f"/tasks/{pleiku_task}").status_code == 200


# --- acting ------------------------------------------------------------------------------------


def _offers(api: Api, task_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = api.get(f"/tasks/{task_id}")
    assert response.status_code == 200, response.text
    task = response.json()
    assert response.headers["ETag"] == f'"{task["version"]}"'
    return task, task["actions"]


def test_a_whole_task_loop_through_the_api(world: World) -> None:
    tracker, clerk, leader, specialist = (world.api(k) for k in ("tracker", "clerk", "leader", "specialist"))
    deadline = TODAY + timedelta(days=20)
    (task_id,) = _assign(tracker, "13/LOOP-API", [_task("Báo cáo tình hình giải ngân", FINANCE, deadline)])

    task, offers = _offers(clerk, task_id)
    assert task["version"] == 0 and task["status"] == "open" and task["class"] == "open_on_time"
    assert task["document"]["code"] == "13/LOOP-API" and task["document"]["issuer_label"] == "UBND tỉnh"
    assert [(f["state"], f["state_label"]) for f in task["flows"]] == [("cho_vao_so", "Chờ văn thư vào sổ")]
    assert [e["action"] for e in task["journal"]] == ["assigned"]
    assert [(o["key"], o["transition"], o["input"]) for o in offers] == [
        ("note", None, "NoteInput"),
        ("step", "vao_so", "StepInput"),
    ]
    flow_id = offers[1]["flow_id"]
    # the specialist may do nothing yet but write progress notes
    assert {o["key"] for o in _offers(specialist, task_id)[1]} <= {"note", "contribute"}

    # 1. vào sổ (clerk), with the version the clerk read
    done = clerk.post(
        f"/tasks/{task_id}/actions/step",
        params={"expected_version": 0},
        json={"flow_id": flow_id, "transition": "vao_so", "note": "Vào sổ"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["message"] and body["created_task_id"] is None and body["document_id"] is None
    assert body["task"]["version"] == 1 and done.headers["ETag"] == '"1"'
    assert [f["state"] for f in body["task"]["flows"]] == ["cho_but_phe"]
    assert body["task"]["journal"][-1]["transition"] == "vao_so"
    assert [o["key"] for o in body["task"]["actions"]] == ["note"]  # no step for the clerk now
    # the same page sent again: stale version, refused, nothing changes
    stale = clerk.post(
        f"/tasks/{task_id}/actions/step",
        params={"expected_version": 0},
        json={"flow_id": flow_id, "transition": "vao_so"},
    )
    assert "Vừa có người khác xử lý" in _error(stale, 409, "conflict")
    stale_header = clerk.post(f"/tasks/{task_id}/actions/note", headers={"If-Match": '"0"'}, json={"note": "x"})
    _error(stale_header, 409, "conflict")
    assert _offers(clerk, task_id)[0]["version"] == 1

    # 2. bút phê (leader): Sở Tài chính has sub-units, so three routings are offered
    task, offers = _offers(leader, task_id)
    routings = {o["workflow"] for o in offers if o["transition"] == "but_phe"}
    assert routings == {"ngan", "truong_hop_1", "truong_hop_2"}
    people = {c["value"]: c["label"] for c in task["choices"]["assignees"][str(flow_id)]}
    assert world.actors["specialist"].user_id in people
    routed = leader.post(
        f"/tasks/{task_id}/actions/step",
        headers={"If-Match": '"1"'},
        json={
            "flow_id": flow_id,
            "transition": "but_phe",
            "workflow": "ngan",
            "assignee_id": world.actors["specialist"].user_id,
            "note": "Giao chị Lan xử lý",
        },
    )
    assert routed.status_code == 200, routed.text
    flow = routed.json()["task"]["flows"][0]
    assert (flow["state"], flow["assignee_name"], flow["workflow"]) == ("cho_du_thao", "Võ Thị Lan", "ngan")

    # 3. a progress note, then the draft (specialist)
    noted = specialist.post(f"/tasks/{task_id}/actions/note", json={"note": "Đang tổng hợp số liệu giải ngân"})
    assert noted.status_code == 200, noted.text
    assert noted.json()["task"]["journal"][-1]["note"] == "Đang tổng hợp số liệu giải ngân"
    assert noted.json()["task"]["journal"][-1]["action"] == "note"
    drafted = specialist.post(
        f"/tasks/{task_id}/actions/step", json={"flow_id": flow_id, "transition": "trinh_du_thao"}
    )
    assert drafted.status_code == 200, drafted.text
    # 4. duyệt (leader)
    approved = leader.post(f"/tasks/{task_id}/actions/step", json={"flow_id": flow_id, "transition": "duyet"})
    assert [f["state"] for f in approved.json()["task"]["flows"]] == ["cho_ban_hanh"]
    # the tracker cannot confirm yet: no reply (a state conflict)
    early = tracker.post(f"/tasks/{task_id}/actions/confirm", json={"outcome": "done"})
    assert "chưa có văn bản trả lời" in _error(early, 409, "conflict")

    # 5. ban hành the reply (clerk)
    task, offers = _offers(clerk, task_id)
    assert [o["key"] for o in offers if o["key"] != "note"] == ["reply"]
    replied = clerk.post(
        f"/tasks/{task_id}/actions/reply",
        json={
            "code": "45/BC-STC",
            "issue_date": TODAY.isoformat(),
            "summary": "Báo cáo tình hình giải ngân",
            "result": "Đã giải ngân 92% kế hoạch",
            "signer": "Phạm Quốc Bảo",
        },
    )
    assert replied.status_code == 200, replied.text
    answer = replied.json()
    assert isinstance(answer["document_id"], int)
    assert answer["task"]["status"] == "replied" and answer["task"]["awaiting_confirmation"] is True
    assert [(r["code"], r["result"]) for r in answer["task"]["replies"]] == [("45/BC-STC", "Đã giải ngân 92% kế hoạch")]
    # entered the day it is dated: not dated back, no flag
    assert [(r["entered_on"], r["backdate_reason"]) for r in answer["task"]["replies"]] == [(TODAY.isoformat(), None)]
    assert answer["task"]["backdated_reply"] is False

    # 6. VP UBND confirms: done on time
    bad = tracker.post(f"/tasks/{task_id}/actions/confirm", json={"outcome": "xong"})
    assert "“outcome”: phải là một trong các giá trị 'done' hoặc 'not_done'" in _error(
        bad, 422, "invalid_input", "outcome"
    )
    confirmed = tracker.post(f"/tasks/{task_id}/actions/confirm", json={"outcome": "done"})
    assert confirmed.status_code == 200, confirmed.text
    final = confirmed.json()["task"]
    assert (final["status"], final["class"], final["reply_date"]) == ("done", "done_on_time", TODAY.isoformat())
    assert [e["action"] for e in final["journal"]] == [
        "assigned", "step", "step", "note", "step", "step", "replied", "confirmed_done"
    ]
    assert final["timeline"][0]["title"] == "Giao nhiệm vụ"

    # the statistics endpoint gives the service's figures for the same period
    period = {"from": (TODAY - timedelta(days=40)).isoformat(), "to": TODAY.isoformat()}
    stats = tracker.get("/statistics", params=period)
    assert stats.status_code == 200, stats.text
    with world.session() as session:
        report = unit_statistics(
            session=session,
            period=make_period(date_from=TODAY - timedelta(days=40), date_to=TODAY, today=TODAY),
        )
        finance_id = unit_by_code(session=session, code=FINANCE).id  # type: ignore[union-attr]
    expected = [
        (r.unit_name, r.documents, r.total, *(r.counts[c] for c in TaskClass), r.awaiting_confirmation)
        for r in [*report.rows, report.total]
    ]
    got = stats.json()
    assert [
        (
            r["unit_name"],
            r["documents"],
            r["tasks"],
            r["done_on_time"],
            r["done_late"],
            r["open_on_time"],
            r["open_overdue"],
            r["awaiting_confirmation"],
        )
        for r in [*got["rows"], got["total"]]
    ] == expected
    finance = next(r for r in got["rows"] if r["unit_code"] == FINANCE)
    assert finance["unit_id"] == finance_id and finance["done_on_time"] >= 1
    assert finance["rate"] == finance["done_on_time"] / finance["tasks"]
    # the tasks behind the figure add up to it (every class of the row, and the row)
    for task_class in TaskClass:
        behind = tracker.get(
            "/statistics/tasks", params={**period, "unit": FINANCE, "class": task_class.value, "per_page": 200}
        ).json()
        assert behind["total"] == finance[task_class.value] == len(behind["items"]), task_class
        assert {i["class"] for i in behind["items"]} <= {task_class.value}
    done = tracker.get("/statistics/tasks", params={**period, "unit": FINANCE, "class": "done_on_time"}).json()
    assert task_id in [i["id"] for i in done["items"]]
    everything = tracker.get("/statistics/tasks", params={**period, "per_page": 1}).json()
    assert everything["total"] == got["total"]["tasks"] and len(everything["items"]) == 1
    # one page at a time: the pages together are the figure's tasks, each once; past the last: the last
    total = everything["total"]
    assert total >= 2
    paged = [
        tracker.get("/statistics/tasks", params={**period, "per_page": 1, "page": n}).json()["items"][0]["id"]
        for n in range(1, total + 1)
    ]
    whole = tracker.get("/statistics/tasks", params={**period, "per_page": 200}).json()
    assert paged == [i["id"] for i in whole["items"]] and len(set(paged)) == total
    beyond = tracker.get("/statistics/tasks", params={**period, "per_page": 1, "page": total + 5}).json()
    assert (beyond["page"], [i["id"] for i in beyond["items"]]) == (total, paged[-1:])
    # a unit sees its own list; another unit's list, or all of them, is refused
    own = world.api("leader").get("/statistics/tasks", params={**period, "unit": FINANCE}).json()
    assert own["total"] == finance["tasks"]
    pleiku = world.api("pleiku")
    denied = pleiku.get("/statistics/tasks", params={**period, "unit": FINANCE})
    assert "chỉ xem được danh sách nhiệm vụ của đơn vị mình" in _error(denied, 403, "permission_denied")
    _error(pleiku.get("/statistics/tasks", params=period), 403, "permission_denied")
    # ... but the table itself is public to every account
    assert pleiku.get("/statistics", params=period).json() == got


def test_action_refusals(world: World) -> None:
    tracker, clerk = world.api("tracker"), world.api("clerk")
    (task_id,) = _assign(tracker, "14/REF-API", [_task("Việc kiểm tra", FINANCE, TODAY + timedelta(days=3))])
    unknown = clerk.post(f"/tasks/{task_id}/actions/phe_duyet")
    assert "Không có thao tác “phe_duyet”" in _error(unknown, 404, "not_found")
    missing = clerk.post(f"/tasks/{task_id}/actions/step", json={"transition": "vao_so"})
    assert "“flow_id”: thiếu giá trị bắt buộc" in _error(missing, 422, "invalid_input", "flow_id")
    _error(clerk.post(f"/tasks/{task_id}/actions/note", json=["ghi chú"]), 422, "invalid_input", "body")
    _error(
        clerk.post(f"/tasks/{task_id}/actions/note", content=b"{note", headers={"Content-Type": "application/json"}),
        422,
        "invalid_input",
        "body",
    )
    invisible = clerk.post(f"/tasks/{task_id}/actions/note", json={"note": "\u200b\u00ad\u0000"})
    assert "không được để trống" in _error(invisible, 422, "invalid_input", "note")
    _error(clerk.post(f"/tasks/{task_id}/actions/note", headers={"If-Match": "abc"}, json={"note": "x"}), 422,
           "invalid_input", "If-Match")
    # the tracker may not write progress notes, nor may the clerk confirm
    _error(tracker.post(f"/tasks/{task_id}/actions/note", json={"note": "Theo dõi"}), 403, "permission_denied")
    _error(clerk.post(f"/tasks/{task_id}/actions/confirm", json={"outcome": "done"}), 403, "permission_denied")
    # nothing of the above changed the task
    task, _ = _offers(tracker, task_id)
    assert task["version"] == 0 and [e["action"] for e in task["journal"]] == ["assigned"]
    # a change by VP UBND: update with a new deadline
    new_deadline = (TODAY + timedelta(days=30)).isoformat()
    updated = tracker.post(
        f"/tasks/{task_id}/actions/update", json={"reason": "Điều chỉnh hạn", "deadline": new_deadline}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["task"]["deadline"] == new_deadline


def test_assignments(world: World) -> None:
    tracker = world.api("tracker")
    (task_id,) = _assign(tracker, "15/DUP-API", [_task("Việc một", HEALTH, TODAY + timedelta(days=9))])
    assert world.api("health").get(f"/tasks/{task_id}").json()["lead_unit_code"] == HEALTH
    # the same số/ký hiệu again, spelled otherwise: refused, naming the field
    again = tracker.post(
        "/assignments",
        json={
            "code": "15 / dup-api",
            "issue_date": ISSUED.isoformat(),
            "issuer": "ubnd_tinh",
            "doc_type": "cong_van",
            "summary": "Trùng số",
            "signer": "A",
            "tasks": [_task("Việc hai", HEALTH, TODAY + timedelta(days=9))],
        },
    )
    assert "đã có trong năm" in _error(again, 422, "invalid_input", "code")
    valid = {
        "code": "16/DUP-API",
        "issue_date": ISSUED.isoformat(),
        "issuer": "ubnd_tinh",
        "doc_type": "cong_van",
        "summary": "Văn bản",
        "signer": "A",
        "tasks": [_task("Việc ba", HEALTH, TODAY)],
    }
    _error(tracker.post("/assignments", json={**valid, "tasks": []}), 422, "invalid_input", "tasks")
    _error(tracker.post("/assignments", json={k: v for k, v in valid.items() if k != "summary"}), 422,
           "invalid_input", "summary")
    _error(tracker.post("/assignments", json={**valid, "issue_date": "hôm qua"}), 422, "invalid_input", "issue_date")
    _error(
        tracker.post("/assignments", json={**valid, "tasks": [{"content": "Thiếu hạn", "lead_unit_code": HEALTH}]}),
        422,
        "invalid_input",
        "tasks.1.deadline",
    )
    _error(
        tracker.post("/assignments", json={**valid, "tasks": [_task("Đơn vị lạ", "000.99.99.H21", TODAY)]}),
        422,
        "invalid_input",
        "tasks.1.lead",
    )
    # only VP UBND's tracker assigns
    denied = world.api("clerk").post("/assignments", json=valid)
    assert "Chỉ chuyên viên theo dõi của Văn phòng UBND tỉnh" in _error(denied, 403, "permission_denied")
    with world.session() as session:
        assert session.exec(select(User).where(User.username == "stc.vanthu")).one().active
    created = tracker.post("/assignments", json=valid)
    assert created.status_code == 201 and len(created.json()["task_ids"]) == 1
