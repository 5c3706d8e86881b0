"""User text is text, in a real browser: a hostile payload in every field of a task is shown
literally, and nothing of it runs or loads.

The payload has a Markdown link and an image on a foreign server, LaTeX, an ``<img onerror>``
and a ``<script>``. The task page and Xác nhận kết quả are opened with it in the content, the
trích yếu, the người ký, the số/ký hiệu, a progress note and a "not our remit" reason; every
request the browser makes is recorded (``page.on("request")``): none may go to evil.example
(nor to the relative ``x`` of the ``<img>``), no dialog may open, no link or image to it, no
KaTeX, and the literal text must be visible.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import Dialog, Locator, Page, Request, expect
from sqlmodel import Session, select

from models import ActionKey, Task, User
from models.schemas import AssignmentCreate, NoteInput, TaskCreate, WrongUnitRequestInput
from services.access.permissions import Actor, build_actor
from services.actions.registry import perform
from services.runtime import Runtime
from services.tasks.assignment import create_assignment

from .accounts import CLERK, FINANCE, STC_LEADER, TRACKER, Account
from .ui import login, vn_today

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS = (STC_LEADER,)

PAYLOAD = (
    "**b** [x](http://evil.example/) ![i](http://evil.example/i.png) $x^2$ "
    "<img src=x onerror=alert(1)> <script>alert(1)</script> =cmd|' /C calc'!A0 # h"
)
CODE = "**1**[x](http://evil.example/)![i](http://evil.example/i.png)$x$<img src=x>"
REASON = "Không thuộc chức năng: " + PAYLOAD


def _actor(session: Session, backend: Runtime, account: Account) -> Actor:
    user = session.exec(select(User).where(User.username == account.username)).one()
    assert user.id is not None
    actor = build_actor(session=session, config=backend.config, user_id=user.id)
    assert actor is not None
    return actor


def _hostile_tasks(backend: Runtime) -> tuple[int, int]:
    """Two tasks of Sở Tài chính in one document typed hostile: one with a progress note, one
    with a pending "not our remit" request."""
    today = vn_today()
    with Session(backend.engine, expire_on_commit=False) as session:
        tracker = _actor(session, backend, TRACKER)
        document = create_assignment(
            session=session,
            actor=tracker,
            config=backend.config,
            data=AssignmentCreate(
                code=CODE,
                issue_date=today,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary=PAYLOAD,
                signer=PAYLOAD,
                tasks=[
                    TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=today + timedelta(days=10)),
                    TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=today + timedelta(days=10)),
                ],
            ),
        )
        noted, wrong = session.exec(select(Task.id).where(Task.document_id == document.id).order_by(Task.seq)).all()
        assert noted is not None and wrong is not None
        for task_id, account, key, data in (
            (noted, CLERK, ActionKey.NOTE, NoteInput(note=PAYLOAD)),
            (wrong, STC_LEADER, ActionKey.WRONG_UNIT_REQUEST, WrongUnitRequestInput(reason=REASON)),
        ):
            perform(
                session=session,
                actor=_actor(session, backend, account),
                config=backend.config,
                task_id=task_id,
                action=key,
                data=data,
            )
        return noted, wrong


class Watch:
    """Every request and dialog of a page."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self._request)
        page.on("dialog", self._dialog)

    def _request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self) -> None:
        foreign = [u for u in self.urls if "evil" in u or u.rstrip("/").endswith("/x")]
        assert foreign == [], foreign
        assert self.dialogs == []


def shown(locator: Locator) -> str:
    """What a person reads: the text without the invisible word joiners md_escape puts in URLs."""
    return locator.inner_text().replace("\u2060", "").replace("\xa0", " ").strip()


def _nothing_interpreted(page: Page) -> None:
    expect(page.locator('a[href*="evil.example"]')).to_have_count(0)  # not even a bare URL is a link
    expect(page.locator('img[src*="evil"]')).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    expect(page.locator("script:text('alert')")).to_have_count(0)
    expect(page.locator(".katex")).to_have_count(0)


def test_hostile_text_is_shown_literally_and_loads_nothing(page: Page, backend: Runtime) -> None:
    noted, wrong = _hostile_tasks(backend)
    watch = Watch(page)
    login(page, TRACKER)

    page.goto(f"/chi-tiet?id={noted}")
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{noted}", level=1)).to_be_visible()
    main = page.get_by_test_id("stMain")
    content = main.get_by_role("heading", level=3).filter(has_text="**b** [x](http")
    expect(content).to_be_visible()
    assert shown(content) == PAYLOAD  # the content, as typed
    expect(main.get_by_text("Nhật ký xử lý")).to_be_visible()
    note = main.get_by_test_id("stText").filter(has_text="**b** [x](http")
    expect(note).to_be_visible()
    assert shown(note) == PAYLOAD  # the progress note, in the journal
    everything = shown(main)
    for line in (f"Số/ký hiệu: {CODE}", f"Người ký: {PAYLOAD}", f"Trích yếu: {PAYLOAD}"):
        assert line in everything, everything
    _nothing_interpreted(page)

    page.goto(f"/chi-tiet?id={wrong}")
    expect(page.get_by_role("heading", name=f"Nhiệm vụ #{wrong}", level=1)).to_be_visible()
    warning = main.get_by_test_id("stAlert").filter(has_text="Đơn vị đề nghị điều chỉnh")
    expect(warning).to_be_visible()
    assert shown(warning) == f"Đơn vị đề nghị điều chỉnh: {REASON}"
    _nothing_interpreted(page)

    page.goto("/xac-nhan")
    expect(page.get_by_role("heading", name="Xác nhận kết quả", level=1)).to_be_visible()
    link = main.get_by_test_id("stPageLink").filter(has_text=f"Nhiệm vụ #{wrong}")
    expect(link).to_be_visible()
    assert f"Nhiệm vụ #{wrong}: Không thuộc chức năng: **b** [x](http://evil.example/) ![i](" in shown(link)
    _nothing_interpreted(page)

    time.sleep(1)  # anything the page would still fetch (an image, a font) has been asked for by now
    watch.assert_clean()
