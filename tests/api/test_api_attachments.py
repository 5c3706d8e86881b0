"""Files and số đến through the JSON API (issue 9): the same input models as the pages.

A file travels as ``{"file_name": …, "content": <base64>}`` in ``attachments`` of an assignment,
a reply or a note; the same checks refuse it (422 ``invalid_input`` on ``attachments``, or on the
field whose base64 is broken). The vào sổ offer says it takes số đến and ngày đến
(``register_incoming``), and the step accepts them. The file's download address belongs to the
pages' login: an API token does not open it (404).
"""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
from sqlmodel import col, select

from models import Attachment, AttachmentDownload, AttachmentOwner, IncomingEntry
from services.infra.clock import local_date, now_utc
from tests.api.conftest import FINANCE, World

TODAY = local_date(now_utc())
ISSUED = TODAY - timedelta(days=3)
PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _file(name: str, content: bytes) -> dict[str, str]:
    return {"file_name": name, "content": base64.b64encode(content).decode("ascii")}


def _refused(response: httpx.Response, field: str) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field), error
    return str(error["message"])


def test_files_and_so_den_through_the_api(world: World) -> None:
    tracker, clerk = world.api("tracker"), world.api("clerk")
    created = tracker.post(
        "/assignments",
        json={
            "code": "31/FILE-API",
            "issue_date": ISSUED.isoformat(),
            "issuer": "ubnd_tinh",
            "doc_type": "cong_van",
            "summary": "V/v gửi kèm tệp",
            "signer": "Nguyễn Văn A",
            "tasks": [
                {
                    "content": "Báo cáo kèm phụ lục",
                    "lead_unit_code": FINANCE,
                    "deadline": (TODAY + timedelta(days=20)).isoformat(),
                }
            ],
            "attachments": [_file("31-FILE-API.pdf", PDF)],
        },
    )
    assert created.status_code == 201, created.text
    (task_id,) = created.json()["task_ids"]

    task = clerk.get(f"/tasks/{task_id}").json()
    [vao_so] = [o for o in task["actions"] if o["key"] == "step"]
    assert vao_so["transition"] == "vao_so" and vao_so["register_incoming"] is True
    day = (ISSUED - timedelta(days=1)).isoformat()
    step = {"flow_id": vao_so["flow_id"], "transition": "vao_so", "incoming_number": 41, "incoming_date": day}
    assert "trước ngày ban hành" in _refused(clerk.post(f"/tasks/{task_id}/actions/step", json=step), "incoming_date")
    step["incoming_date"] = ISSUED.isoformat()
    done = clerk.post(f"/tasks/{task_id}/actions/step", json=step)
    assert done.status_code == 200, done.text
    assert any("Số đến: 41" in line for item in done.json()["task"]["timeline"] for line in item["details"])

    note = f"/tasks/{task_id}/actions/note"
    wrong = clerk.post(note, json={"note": "Kèm báo cáo", "attachments": [_file("bao-cao.pdf", PNG)]})
    assert "không phải tệp PDF thật" in _refused(wrong, "attachments")
    broken = clerk.post(note, json={"note": "Kèm báo cáo", "attachments": [{"file_name": "a.pdf", "content": "%%"}]})
    _refused(broken, "attachments.0.content")
    sent = clerk.post(note, json={"note": "Kèm báo cáo", "attachments": [_file("bao-cao.pdf", PDF)]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["message"] == "Đã lưu cập nhật tiến độ kèm 1 tệp đính kèm."

    with world.session() as session:
        rows = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
        entry = session.exec(select(IncomingEntry).where(IncomingEntry.task_id == task_id)).one()
    assert [(r.owner, r.file_name) for r in rows] == [
        (AttachmentOwner.ASSIGNMENT, "31-FILE-API.pdf"),
        (AttachmentOwner.NOTE, "bao-cao.pdf"),
    ]
    assert (entry.number, entry.received_on) == (41, ISSUED)
    # the download is the pages' (session cookie): a bearer token opens nothing
    token = world.tokens["clerk"]
    answer = httpx.get(f"{world.base_url}/tep/{rows[1].id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404 and PDF not in answer.content

    # Through the API with the same token: the task's files, a download (logged), another unit's 404
    listed = tracker.get(f"/tasks/{task_id}/attachments")
    assert listed.status_code == 200, listed.text
    assert [(g["owner"], [i["file_name"] for i in g["items"]]) for g in listed.json()] == [
        ("assignment", ["31-FILE-API.pdf"]),
        ("note", ["bao-cao.pdf"]),
    ]
    note_file = listed.json()[1]["items"][0]
    assert note_file["download_url"] == f"/api/v1/attachments/{rows[1].id}" and note_file["downloads"] == []
    got = tracker.get(f"/attachments/{rows[1].id}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''bao-cao.pdf" in got.headers["content-disposition"]
    [download] = tracker.get(f"/tasks/{task_id}/attachments").json()[1]["items"][0]["downloads"]
    assert (download["user_name"], download["unit_name"]) == ("Nguyễn Thị Theo Dõi", "VP UBND tỉnh")
    pleiku = world.api("pleiku")
    for path in (f"/attachments/{rows[1].id}", f"/tasks/{task_id}/attachments", "/attachments/999999"):
        refused = pleiku.get(path)
        assert refused.status_code == 404, (path, refused.text)
        assert PDF not in refused.content
    assert pleiku.get("/attachments/99999999999").status_code == 422  # not a file number at all
    with world.session() as session:
        assert len(session.exec(select(AttachmentDownload)).all()) == 1  # the refused ones left no trace
