"""``manage.py remind [--date D]``: the daily job, its log in Vietnamese.

It sends the reminders due (``services.reminders.job``), then the e-mail of the notifications
(``services.notifications.mail``; only when ``email.enabled``). An SMTP server that refuses or
does not answer is logged and its mails kept for the next run: the command still succeeds, since
the reminders themselves are sent and journaled. ``--date`` runs it as of another day (tests,
catching up after a stop): the reminders are dated that day at 08:00 in Vietnam.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from datetime import datetime, time
from typing import TextIO

from sqlmodel import Session

from models import ReminderLevel
from services.infra.clock import VN_TZ, fmt_date, local_date, now_utc
from services.infra.errors import InvalidInput, ServiceError
from services.infra.validation import parse_day
from services.notifications.mail import deliver
from services.reminders.job import send_due_reminders
from services.runtime import Runtime

PASSWORD_VARIABLE = "GIAOVIEC_SMTP_PASSWORD"
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def moment_of(date_text: str | None, *, now: datetime) -> datetime:
    """The moment the run acts at: now, or 08:00 in Vietnam on ``--date`` (2026-03-31 or 31/03/2026)."""
    if date_text is None:
        return now
    typed = date_text.strip()
    if _ISO.fullmatch(typed):
        year, month, number = (int(p) for p in typed.split("-"))
        typed = f"{number:02d}/{month:02d}/{year:04d}"
    day = parse_day(typed, label="Ngày chạy", field="date")
    if day is None:
        raise InvalidInput("Thiếu ngày chạy (--date).", field="date")
    if day == local_date(now):
        return now
    return datetime.combine(day, time(8), tzinfo=VN_TZ)


def run(*, runtime: Runtime, date_text: str | None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        moment = moment_of(date_text, now=now_utc())
    except ServiceError as exc:
        print(exc.message, file=err)
        return 2
    config = runtime.config
    with Session(runtime.engine, expire_on_commit=False) as session:
        reminded = send_due_reminders(session=session, config=config, now=moment)
        levels = Counter(due.level for due in reminded.sent)
        shown = ", ".join(
            f"{config.app.reminders.label(level).lower()} {levels[level]}" for level in ReminderLevel if levels[level]
        )
        print(
            f"Đôn đốc ngày {fmt_date(local_date(moment))}: đã gửi {len(reminded.sent)} lần đôn đốc"
            + (f" ({shown})" if shown else "")
            + (f"; {len(reminded.already_sent)} đã được gửi từ trước." if reminded.already_sent else "."),
            file=out,
        )
        mail = deliver(session=session, config=config, now=moment, password=os.environ.get(PASSWORD_VARIABLE))
    if config.app.email.enabled:
        print(f"Thư điện tử: {mail.queued} thư mới, đã gửi {mail.sent}, giữ lại {mail.kept}.", file=out)
        for line in mail.log:
            print(line, file=err)
    return 0
