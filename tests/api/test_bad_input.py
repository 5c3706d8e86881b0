"""Normalised input through the JSON API (README "Bad input"): the same input models and services
as the pages, so the same rules, answered as ``invalid_input`` naming the field, never a 500.

Its own server and database (``world`` is per module), so these documents cannot disturb the
figures ``test_api.py`` checks.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.infra.clock import local_date, now_utc

from .conftest import FINANCE, HEALTH, World

TODAY = local_date(now_utc())
ISSUED = TODAY - timedelta(days=3)


def _error(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert (body["code"], body["field"]) == ("invalid_input", field)
    message: str = body["message"]
    return message


def _assignment(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "issue_date": ISSUED.isoformat(),
        "issuer": "ubnd_tinh",
        "doc_type": "cong_van",
        "summary": "V/v kiểm tra dữ liệu nhập",
        "signer": "Nguyễn Văn A",
        "tasks": [
            {"content": "Báo cáo", "lead_unit_code": FINANCE, "deadline": (TODAY + timedelta(days=9)).isoformat()}
        ],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "variant",
    ["71/UBND\u200b-BI", "71\uff0fUBND-BI", "71/UBND\u00ad-BI", "71/ubnd\u2010bi", " 71 / UBND-BI\u202e"],
    ids=["zero-width-space", "full-width-solidus", "soft-hyphen", "unicode-hyphen", "spaces-case-override"],
)
def test_look_alike_code_is_a_duplicate(world: World, variant: str) -> None:
    tracker = world.api("tracker")
    first = tracker.post("/assignments", json=_assignment("71/UBND-BI"))
    assert first.status_code in (201, 422), first.text  # 422: an earlier variant's run created it
    again = tracker.post("/assignments", json=_assignment(variant))
    assert _error(again, "code").endswith("đã có trong năm " + str(ISSUED.year) + " của cơ quan ban hành này.")


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        (
            {"issue_date": "0001-01-01"},
            "issue_date",
            "Ngày ban hành 01/01/0001 không hợp lệ: chỉ nhận ngày từ 01/01/2000",
        ),
        (
            {"tasks": [{"content": "Việc", "lead_unit_code": FINANCE, "deadline": "9999-12-31"}]},
            "tasks.1.deadline",
            "Nhiệm vụ 1: hạn xử lý 31/12/9999 không hợp lệ",
        ),
        ({"summary": "\u200b\u200b\u200b"}, "summary", "Trích yếu không được để trống."),
        ({"summary": "\u0000\u001b\u202e"}, "summary", "Trích yếu không được để trống."),
    ],
    ids=["issue-date-0001", "deadline-9999", "summary-zero-width-spaces", "summary-control-characters"],
)
def test_refused_and_nothing_saved(world: World, overrides: dict[str, Any], field: str, fragment: str) -> None:
    tracker = world.api("tracker")
    before = tracker.get("/tasks", params={"q": "72/UBND-BI"}).json()["total"]
    message = _error(tracker.post("/assignments", json=_assignment("72/UBND-BI", **overrides)), field)
    assert fragment in message
    assert tracker.get("/tasks", params={"q": "72/UBND-BI"}).json()["total"] == before


def test_markup_like_text_with_control_characters_is_stored_clean(world: World) -> None:
    """Accepted (not refused as HTML or a formula), stored without the NUL, the ESC and U+202E."""
    tracker = world.api("tracker")
    created = tracker.post(
        "/assignments",
        json=_assignment(
            "73/UBND-BI",
            summary="Tỷ lệ a <b và c> d\u0000\u001b",
            signer="=Nguyễn\u202e Văn A",
            tasks=[
                {
                    "content": "- Báo cáo\r\nquý 1\u200b",
                    "lead_unit_code": HEALTH,
                    "deadline": (TODAY + timedelta(days=9)).isoformat(),
                }
            ],
        ),
    )
    assert created.status_code == 201, created.text
    (task_id,) = created.json()["task_ids"]
    task = world.api("health").get(f"/tasks/{task_id}").json()
    assert task["content"] == "- Báo cáo\nquý 1"
    assert (task["document"]["summary"], task["document"]["signer"]) == ("Tỷ lệ a <b và c> d", "=Nguyễn Văn A")


def test_a_nul_or_a_lone_surrogate_never_makes_a_500(world: World) -> None:
    tracker = world.api("tracker")
    (task_id,) = tracker.post("/assignments", json=_assignment("74/UBND-BI")).json()["task_ids"]
    clerk = world.api("clerk")
    # JSON may carry "\ud800", which no database can store as UTF-8: removed like any invisible character
    raw = json.dumps({"note": "Đã nhận\u0000 "})[:-2] + '\\ud800"}'
    noted = clerk.post(
        f"/tasks/{task_id}/actions/note", content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert noted.status_code == 200, noted.text
    journal = clerk.get(f"/tasks/{task_id}").json()["journal"]
    assert any(entry["note"] == "Đã nhận" for entry in journal), journal
    for params in ({"q": "a\u0000b"}, {"unit": "000.00.05.H21\u0000"}, {"q": "\u202e\u200b"}):
        response = tracker.get("/tasks", params=params)
        assert response.status_code in (200, 422), response.text
    # a query string that is not UTF-8 at all (an encoded surrogate)
    assert tracker.get("/tasks?q=%ED%A0%80").status_code in (200, 422)
    for path in ("/statistics", "/statistics/tasks", "/tasks"):
        response = tracker.get(path, params={"from": "0001-01-01", "to": "9999-12-31"})
        assert response.status_code in (200, 422), response.text


def test_an_extension_beyond_the_range_is_refused(world: World) -> None:
    """The page's date picker stops at today + years_ahead; the API is refused the same way."""
    tracker = world.api("tracker")
    (task_id,) = tracker.post("/assignments", json=_assignment("75/UBND-BI")).json()["task_ids"]
    refused = tracker.post(f"/tasks/{task_id}/actions/update", json={"reason": "Lùi hạn", "deadline": "9999-12-31"})
    assert "Hạn xử lý mới 31/12/9999 không hợp lệ" in _error(refused, "deadline")
