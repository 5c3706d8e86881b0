"""E-mail of notifications against a real SMTP server (aiosmtpd, started here on 127.0.0.1):
the right recipients and Vietnamese subjects, a refusal (4xx, 5xx) or no server at all kept and
sent on a later run, and never a mail twice; the ``remind`` command's log. Both backends."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, col, select

from models import MailStatus, OutboxMail, User
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.config.reminders import EmailConfig
from services.notifications.mail import deliver
from services.reminders.command import run as run_command
from services.reminders.job import send_due_reminders
from services.runtime import Runtime
from tests.conftest import FINANCE, at
from tests.services.support import assign, task

D = date(2026, 3, 16)


class Inbox:
    """An SMTP handler that keeps what it accepts, or answers ``refuse`` (e.g. "451 …") to DATA."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: str | None = None
        self.refuse_rcpt: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _config(runtime: Runtime, port: int) -> AppConfig:
    email = EmailConfig(
        enabled=True, host="127.0.0.1", port=port, starttls=False, sender="giaoviec@example.gov.vn", timeout_seconds=2
    )
    return runtime.config.model_copy(update={"app": runtime.config.app.model_copy(update={"email": email})})


def _with_addresses(session: Session, actors: dict[str, Actor]) -> None:
    for key in ("clerk", "leader", "specialist", "tracker"):
        user = session.get(User, actors[key].user_id)
        assert user is not None
        user.email = f"{actors[key].username}@example.gov.vn"
        session.add(user)
    session.commit()


def _remind(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> int:
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="7/UBND-TH",
        issued=date(2026, 3, 2),
        tasks=[task("Báo cáo quý I", FINANCE, D)],
    )
    send_due_reminders(session=session, config=runtime.config, now=at(D + timedelta(days=1)))
    return task_id


def _subject(raw: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(raw)["Subject"])))


def _outbox(session: Session) -> list[tuple[str, MailStatus, int]]:
    session.expire_all()
    rows = session.exec(select(OutboxMail).order_by(col(OutboxMail.id))).all()
    return [(r.to_address, r.status, r.attempts) for r in rows]


def test_mails_go_to_the_unit_once(
    runtime: Runtime, session: Session, actors: dict[str, Actor], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.messages.clear()
    inbox.refuse = inbox.refuse_rcpt = None
    _with_addresses(session, actors)
    task_id = _remind(runtime, session, actors)
    config = _config(runtime, port)
    now = at(D + timedelta(days=1), 10)
    run = deliver(session=session, config=config, now=now, password=None)
    # the reminder, to the clerk and the leader (the assignment, two weeks old, is past max_age_days)
    assert (run.queued, run.sent, run.kept) == (2, 2, 0)
    recipients = sorted(rcpt for rcpts, _ in inbox.messages for rcpt in rcpts)
    assert recipients == ["stc.lanhdao@example.gov.vn", "stc.vanthu@example.gov.vn"]
    subjects = [_subject(raw) for _, raw in inbox.messages]
    assert subjects == [f"[Giao việc] Đôn đốc nhiệm vụ của đơn vị: nhiệm vụ #{task_id}"] * 2
    body = next(message_from_bytes(raw) for _, raw in inbox.messages if "Đôn đốc" in _subject(raw))
    text = body.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert "Đôn đốc mức “Phê bình”: hạn xử lý 16/03/2026 (quá hạn 1 ngày)." in text
    assert "Đơn vị chủ trì: Sở Tài chính" in text
    # another run: nothing new, nothing again
    assert deliver(session=session, config=config, now=now + timedelta(hours=1), password=None).sent == 0
    assert len(inbox.messages) == 2
    assert all(status is MailStatus.SENT and attempts == 1 for _, status, attempts in _outbox(session))
    # off (the default): nothing queued, nothing sent
    assert deliver(session=session, config=runtime.config, now=now, password=None).queued == 0


@pytest.mark.parametrize("answer", ["451 4.3.0 Tạm thời không nhận thư", "554 5.7.1 Từ chối"])
def test_a_refusal_is_kept_and_sent_later(
    runtime: Runtime, session: Session, actors: dict[str, Actor], smtp: tuple[Inbox, int], answer: str
) -> None:
    inbox, port = smtp
    inbox.messages.clear()
    inbox.refuse, inbox.refuse_rcpt = (answer, None) if answer.startswith("4") else (None, answer)
    _with_addresses(session, actors)
    _remind(runtime, session, actors)
    config = _config(runtime, port)
    run = deliver(session=session, config=config, now=at(D + timedelta(days=1), 10), password=None)
    assert (run.sent, run.kept) == (0, 2)
    assert inbox.messages == []
    assert run.log[0].startswith("Thư #1 tới stc.")
    assert answer.split()[0] in run.log[0] and "sẽ gửi lại ở lần chạy sau" in run.log[0]
    assert {status for _, status, _ in _outbox(session)} == {MailStatus.PENDING}
    inbox.refuse = inbox.refuse_rcpt = None
    run = deliver(session=session, config=config, now=at(D + timedelta(days=2), 10), password=None)
    assert (run.queued, run.sent, run.kept) == (0, 2, 0)
    assert len(inbox.messages) == 2
    assert deliver(session=session, config=config, now=at(D + timedelta(days=3), 10), password=None).sent == 0
    assert len(inbox.messages) == 2
    assert [attempts for *_, attempts in _outbox(session)] == [2, 2]


def test_no_server_keeps_every_mail(
    runtime: Runtime, session: Session, actors: dict[str, Actor], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    inbox.messages.clear()
    inbox.refuse = inbox.refuse_rcpt = None
    _with_addresses(session, actors)
    _remind(runtime, session, actors)
    nobody = _config(runtime, _free_port())
    run = deliver(session=session, config=nobody, now=at(D + timedelta(days=1), 10), password=None)
    assert (run.queued, run.sent, run.kept) == (2, 0, 2)
    assert run.log == [
        f"Không gửi được thư: không kết nối được máy chủ (bị từ chối kết nối) (127.0.0.1:{nobody.app.email.port}). "
        "2 thư được giữ lại, sẽ gửi lại ở lần chạy sau."
    ]
    # a server that accepts the connection and never answers: a timeout, kept too
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = _config(runtime, silent.getsockname()[1])
        mute = mute.model_copy(
            update={
                "app": mute.app.model_copy(update={"email": mute.app.email.model_copy(update={"timeout_seconds": 1})})
            }
        )
        run = deliver(session=session, config=mute, now=at(D + timedelta(days=1), 11), password=None)
    assert (run.queued, run.sent, run.kept) == (0, 0, 2)
    assert "máy chủ không trả lời (hết thời gian chờ)" in run.log[0]
    assert {status for _, status, _ in _outbox(session)} == {MailStatus.PENDING}
    run = deliver(session=session, config=_config(runtime, port), now=at(D + timedelta(days=2), 10), password=None)
    assert run.sent == 2 and len(inbox.messages) == 2


def test_the_command_logs_in_vietnamese(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    assign(
        runtime,
        session,
        actors["tracker"],
        code="9/UBND-TH",
        issued=date(2026, 3, 2),
        tasks=[task("Báo cáo quý I", FINANCE, D), task("Báo cáo tháng", FINANCE, D + timedelta(days=2))],
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_command(runtime=runtime, date_text="2026-03-17", out=out, err=err) == 0
    assert out.getvalue() == "Đôn đốc ngày 17/03/2026: đã gửi 2 lần đôn đốc (nhắc nhở 1, phê bình 1).\n"
    out = io.StringIO()
    assert run_command(runtime=runtime, date_text="17/03/2026", out=out, err=err) == 0
    assert out.getvalue() == "Đôn đốc ngày 17/03/2026: đã gửi 0 lần đôn đốc.\n"
    for bad, message in (
        ("31/02/2026", "Ngày chạy 31/02/2026 không có thật: tháng 02/2026 chỉ có 28 ngày.\n"),
        ("=cmd", "Ngày chạy “=cmd” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026.\n"),
    ):
        err = io.StringIO()
        assert run_command(runtime=runtime, date_text=bad, out=io.StringIO(), err=err) == 2
        assert err.getvalue() == message
