"""E-mail of notifications through SMTP: an outbox first, then the server, never twice.

``manage.py remind`` runs ``deliver`` after the reminders: it puts in the outbox (``mail_outbox``)
one mail for each recent notification of a person who has an address (``app_user.email``), then
sends what is pending. A mail is claimed (``sending``) in its own committed update before it is
handed to the server, and marked ``sent`` once the server accepted it, so two runs at once never
both send it; a server that refuses (4xx/5xx) or does not answer leaves it ``pending`` with the
reason, for the next run; nothing is lost and the app never waits on the mail server. A claim left
by a run that died mid-way is taken again after ``STALE_CLAIM`` (the one case where a mail could
arrive twice: the server accepted it and the run died before it could say so).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Document, EventAction, MailStatus, Notification, OrgUnit, OutboxMail, Task, TaskEvent, User
from services.config.loader import AppConfig
from services.config.reminders import EmailConfig
from services.infra.clock import fmt_date, fmt_datetime

STALE_CLAIM = timedelta(minutes=30)
TASK_PATH = "/chi-tiet?id="  # the task page (app.py: url_path "chi-tiet")


@dataclass
class MailRun:
    """What one delivery did, in Vietnamese lines for the job's log."""

    queued: int = 0
    sent: int = 0
    kept: int = 0  # refused or unanswered: still pending, tried again next run
    log: list[str] = field(default_factory=list)


def _compose(
    config: AppConfig, n: Notification, entry: TaskEvent, task: Task, document: Document, unit: OrgUnit
) -> tuple[str, str]:
    """The subject and body of one notification's mail, in Vietnamese."""
    kind = config.app.notifications.kinds[n.kind]
    action = config.app.event_actions.get(EventAction(entry.action), str(entry.action))
    content = task.content if len(task.content) <= 300 else task.content[:297] + "..."
    subject = f"[{config.app.app_name}] {kind}: nhiệm vụ #{task.id}"
    lines = [
        f"{kind}.",
        "",
        f"Nhiệm vụ #{task.id} (văn bản {document.code} ngày {fmt_date(document.issue_date)}): {content}",
        f"Đơn vị chủ trì: {unit.short_name}",
        f"{action} lúc {fmt_datetime(entry.at)}, bởi {entry.actor_name}.",
    ]
    if entry.note:
        lines += ["", entry.note]
    link = config.app.email.link_base.rstrip("/")
    lines += [
        "",
        f"Xem nhiệm vụ: {link}{TASK_PATH}{task.id}" if link else f"Xem nhiệm vụ #{task.id} trên {config.app.app_name}.",
    ]
    lines += ["", "Thư gửi tự động từ hệ thống, xin đừng trả lời thư này."]
    return subject[:255], "\n".join(lines)[:8000]


def enqueue(*, session: Session, config: AppConfig, now: datetime) -> int:
    """One outbox mail per notification of the last ``max_age_days`` whose person has an address
    and that has none yet; how many were added (another run adding them first: 0)."""
    since = now - timedelta(days=config.app.email.max_age_days)
    rows = session.exec(
        select(Notification, User)
        .join(User, col(User.id) == col(Notification.user_id))
        .outerjoin(OutboxMail, col(OutboxMail.notification_id) == col(Notification.id))
        .where(
            col(Notification.created_at) >= since,
            col(OutboxMail.id).is_(None),
            col(User.email).is_not(None),
            col(User.email) != "",
            col(User.active).is_(True),
        )
        .order_by(col(Notification.id))
    ).all()
    added = 0
    for n, user in rows:
        entry = session.get(TaskEvent, n.event_id)
        task = session.get(Task, n.task_id)
        if entry is None or task is None:
            continue
        document = session.get(Document, task.document_id)
        unit = session.get(OrgUnit, task.lead_unit_id)
        assert document is not None and unit is not None
        subject, body = _compose(config, n, entry, task, document, unit)
        session.add(
            OutboxMail(
                notification_id=n.id or 0, to_address=user.email or "", subject=subject, body=body, created_at=now
            )
        )
        added += 1
    try:
        session.commit()
    except IntegrityError:  # another run queued them meanwhile: theirs stand
        session.rollback()
        return 0
    return added


def _claim(session: Session, mail_id: int, now: datetime) -> bool:
    """Take one mail for this run (committed), or False: another run has it or has sent it."""
    result = session.execute(
        update(OutboxMail)
        .where(
            col(OutboxMail.id) == mail_id,
            or_(
                col(OutboxMail.status) == MailStatus.PENDING,
                (col(OutboxMail.status) == MailStatus.SENDING) & (col(OutboxMail.claimed_at) < now - STALE_CLAIM),
            ),
        )
        .values(status=MailStatus.SENDING, claimed_at=now, attempts=OutboxMail.attempts + 1)  # type: ignore[operator]
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return getattr(result, "rowcount", 0) == 1


def _finish(session: Session, mail_id: int, *, sent: bool, now: datetime, error: str = "") -> None:
    values: dict[str, object] = (
        {"status": MailStatus.SENT, "sent_at": now}
        if sent
        else {"status": MailStatus.PENDING, "last_error": error[:1000]}
    )
    session.execute(
        update(OutboxMail)
        .where(col(OutboxMail.id) == mail_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _connect(mail: EmailConfig, password: str | None) -> smtplib.SMTP:
    server = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
    try:
        if mail.starttls:
            server.starttls(context=ssl.create_default_context())
        if mail.user:
            server.login(mail.user, password or "")
    except BaseException:
        server.close()
        raise
    return server


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"máy chủ trả lời {exc.smtp_code} {text}".strip()
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = ", ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values())
        return f"máy chủ từ chối người nhận ({codes})"
    if isinstance(exc, TimeoutError) or (isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)):
        return "máy chủ không trả lời (hết thời gian chờ)"
    if isinstance(exc, ConnectionRefusedError):
        return "không kết nối được máy chủ (bị từ chối kết nối)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "máy chủ ngắt kết nối"
    return f"{type(exc).__name__}: {exc}"


def send_pending(*, session: Session, config: AppConfig, now: datetime, password: str | None) -> MailRun:
    """Send every pending mail through the configured server, each claimed first; stop at the first
    failure to reach the server (the rest wait for the next run)."""
    run = MailRun()
    mail = config.app.email
    pending = session.exec(
        select(OutboxMail.id)
        .where(
            or_(
                col(OutboxMail.status) == MailStatus.PENDING,
                (col(OutboxMail.status) == MailStatus.SENDING) & (col(OutboxMail.claimed_at) < now - STALE_CLAIM),
            )
        )
        .order_by(col(OutboxMail.id))
    ).all()
    if not pending:
        return run
    try:
        server = _connect(mail, password)
    except (OSError, smtplib.SMTPException) as exc:
        run.kept = len(pending)
        run.log.append(
            f"Không gửi được thư: {_reason(exc)} ({mail.host}:{mail.port}). {len(pending)} thư được giữ lại, "
            "sẽ gửi lại ở lần chạy sau."
        )
        return run
    try:
        for index, mail_id in enumerate(pending):
            assert mail_id is not None
            if not _claim(session, mail_id, now):
                continue
            row = session.get(OutboxMail, mail_id)
            assert row is not None
            session.refresh(row)
            message = EmailMessage()
            message["Subject"] = row.subject
            message["From"] = formataddr((config.app.app_name, mail.sender))
            message["To"] = row.to_address
            message["Message-ID"] = make_msgid(idstring=f"giaoviec-{row.id}")
            message.set_content(row.body)
            try:
                server.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                _finish(session, mail_id, sent=False, now=now, error=_reason(exc))
                run.kept += 1
                run.log.append(
                    f"Thư #{mail_id} tới {row.to_address} chưa gửi được: {_reason(exc)}; sẽ gửi lại ở lần chạy sau."
                )
                gone = isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException)
                if gone:  # a timeout, a reset connection (SMTPException is an OSError too: a refusal is not)
                    run.kept += len(pending) - index - 1  # the server is gone: the rest wait for the next run
                    break
                continue
            _finish(session, mail_id, sent=True, now=now)
            run.sent += 1
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return run


def deliver(*, session: Session, config: AppConfig, now: datetime, password: str | None) -> MailRun:
    """The job's e-mail step: queue the new notifications' mails, then send what is pending.
    Nothing at all while ``email.enabled`` is false."""
    if not config.app.email.enabled:
        return MailRun()
    queued = enqueue(session=session, config=config, now=now)
    run = send_pending(session=session, config=config, now=now, password=password)
    run.queued = queued
    return run
