"""Attached files and số đến in a real browser (issue 9).

Sở Tài chính's clerk enters the task in the unit's register (vào sổ, số đến 25) and sends a
progress note with a PDF chosen in the note form's file picker; VP UBND's tracker opens the task
and presses "Tải về": the file downloaded is byte for byte the one uploaded, under its name. The
clerk of another unit (UBND TP Pleiku) asking for the same file's address gets 404, exactly as for
a file that does not exist; so does a browser without a login. A screenshot of the task page with
its files goes to ``docs/screenshots/``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Download, FilePayload, Page, expect
from sqlmodel import Session, col, select

from models import Attachment, IncomingEntry
from models.schemas import AttachmentUpload
from services.runtime import Runtime

from .accounts import CLERK, PLEIKU_CLERK, STC_LEADER, TRACKER
from .conftest import SCREENSHOTS, assigned_task
from .ui import login, settle, shot, step_form, success, taking_screenshots, vn_today

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = (STC_LEADER, PLEIKU_CLERK)

# A small real PDF (one empty page): what a scanned report looks like to the type check.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_NAME = "Báo cáo tiến độ quý 4.pdf"
# The assignment's own scan (attached by VP UBND through the service, as the form would).
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _task(backend: Runtime) -> int:
    today = vn_today()
    return assigned_task(
        backend,
        code="909/UBND-KT",
        summary="V/v báo cáo tiến độ giải ngân vốn đầu tư công",
        content="Báo cáo tiến độ giải ngân quý 4",
        issued=today - timedelta(days=2),
        deadline=today + timedelta(days=10),
        attachments=[AttachmentUpload(file_name="909-UBND-KT (bản scan).png", content=PNG)],
    )


def _open_task(page: Page, task_id: int) -> None:
    page.goto(f"/chi-tiet?id={task_id}")
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
    settle(page)


def test_the_clerks_file_reaches_the_tracker_and_no_other_unit(
    page: Page, backend: Runtime, app_server: str, tmp_path: Path
) -> None:
    task_id = _task(backend)
    today = vn_today()

    # --- the clerk: vào sổ with số đến 25, then a progress note with a PDF ----------------------
    login(page, CLERK, start=f"/chi-tiet?id={task_id}")
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{task_id}", level=1)).to_be_visible()
    settle(page)
    vao_so = step_form(page, "Vào sổ, chuyển lãnh đạo")
    vao_so.locator('input[aria-label="Số đến"]').fill("25")
    vao_so.get_by_text("Bước 1").click()  # out of the field (Tab would open the date's calendar)
    settle(page)
    if taking_screenshots():
        vao_so.screenshot(path=str(SCREENSHOTS / "vao-so-so-den.png"))
    vao_so.get_by_role("button", name="Vào sổ, chuyển lãnh đạo", exact=True).click()
    expect(success(page).get_by_text("Đã thực hiện: Vào sổ, chuyển lãnh đạo.", exact=True)).to_be_visible()
    expect(page.get_by_text(f"số đến 25, ngày đến {today:%d/%m/%Y} (Sở Tài chính)")).to_be_visible()
    with Session(backend.engine) as session:
        entry = session.exec(select(IncomingEntry).where(IncomingEntry.task_id == task_id)).one()
        assert (entry.number, entry.received_on) == (25, today)

    settle(page)
    note_form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Lưu cập nhật"))
    note_form.get_by_role("textbox", name="Nội dung cập nhật").fill("Gửi kèm báo cáo tiến độ giải ngân.")
    chosen: FilePayload = {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF}
    note_form.locator("input[type=file]").set_input_files(files=[chosen])
    expect(note_form.get_by_test_id("stFileChip")).to_have_count(1)  # uploaded, shown in the picker
    note_form.get_by_role("button", name="Lưu cập nhật").click()
    expect(success(page).get_by_text("Đã lưu cập nhật tiến độ kèm 1 tệp đính kèm.", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Tệp đính kèm")).to_be_visible()
    expect(page.get_by_text(PDF_NAME, exact=False).first).to_be_visible()
    with Session(backend.engine) as session:
        pdf = session.exec(select(Attachment).where(Attachment.file_name == PDF_NAME)).one()
        scan = session.exec(select(Attachment).order_by(col(Attachment.id))).first()
        assert pdf.id is not None and scan is not None and scan.id is not None
    shot(page, SCREENSHOTS / "task-attachments-clerk.png", full_page=True)

    # --- the tracker downloads it ---------------------------------------------------------------
    tracker = page.context.browser.new_context(  # type: ignore[union-attr]
        base_url=app_server, viewport={"width": 1440, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    desk = tracker.new_page()
    try:
        login(desk, TRACKER, start=f"/chi-tiet?id={task_id}")
        _open_task(desk, task_id)
        link = desk.get_by_role("link", name=re.compile("Tải về")).and_(desk.locator(f'a[href$="/tep/{pdf.id}"]'))
        expect(link).to_have_count(1)
        # "Tải về" opens the address in a new tab, which turns into the download: catch it on any tab
        downloads: list[Download] = []
        def caught(download: Download) -> None:
            downloads.append(download)

        desk.on("download", caught)
        tracker.on("page", lambda tab: tab.on("download", caught))
        link.click()
        for _ in range(200):
            if downloads:
                break
            desk.wait_for_timeout(100)
        assert len(downloads) == 1
        download = downloads[0]
        assert download.suggested_filename == PDF_NAME
        saved = tmp_path / "downloaded.pdf"
        download.save_as(saved)
        assert saved.read_bytes() == PDF
        answer = tracker.request.get(f"/tep/{pdf.id}")  # the same session cookie, as the browser sends it
        assert answer.status == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in answer.headers["content-disposition"]
        assert answer.body() == PDF
        shot(desk, SCREENSHOTS / "task-attachments-tracker.png", full_page=True)
    finally:
        tracker.close()

    # --- another unit's clerk, and nobody logged in: 404, as for a file that does not exist ---------
    other = page.context.browser.new_context(base_url=app_server)  # type: ignore[union-attr]
    try:
        stranger = other.new_page()
        login(stranger, PLEIKU_CLERK)
        for attachment_id in (pdf.id, scan.id):
            refused = other.request.get(f"/tep/{attachment_id}")
            missing = other.request.get(f"/tep/{attachment_id + 100000}")
            assert (refused.status, missing.status) == (404, 404)
            assert refused.text().replace(str(attachment_id), "N") == missing.text().replace(
                str(attachment_id + 100000), "N"
            )
            assert PDF not in refused.body()
        stranger.goto(f"/tep/{pdf.id}")
        expect(stranger.get_by_text("Không tìm thấy tệp")).to_be_visible()
    finally:
        other.close()
    anonymous = page.context.browser.new_context(base_url=app_server)  # type: ignore[union-attr]
    try:
        answer = anonymous.request.get(f"/tep/{pdf.id}", headers={"Accept": "*/*"})
        assert answer.status == 404 and PDF not in answer.body()
    finally:
        anonymous.close()
