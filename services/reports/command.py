"""``python manage.py report --from 2026-01-01 --to 2026-03-31 --format xlsx|docx|csv --out FILE``
(or ``--ky thang-truoc`` for a named period): the report files of Giám sát, for a monthly cron job.
``--format`` also takes the key of a report format a plugin adds (``services.reports.plugin_formats``).

The same builders as the page, so a file made by cron equals the one downloaded from the screen.
Bad input (an unknown format, a date that is not one, từ after đến, an unknown period name, a
folder that does not exist) is refused on stderr in Vietnamese, exit status 2, and no file is
written; a file is written whole (a temporary file renamed into place) or not at all.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from services.infra.errors import InvalidInput, ServiceError
from services.infra.validation import parse_day
from services.plugins import PluginReportFormat
from services.reports.plugin_formats import find_format, report_formats
from services.runtime import Runtime
from services.stats.period import make_period
from services.stats.presets import parse_preset, preset_dates


class ReportFormat(StrEnum):
    XLSX = "xlsx"
    DOCX = "docx"
    CSV = "csv"


_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ReportRequest:
    date_from: date
    date_to: date
    fmt: ReportFormat | None  # None: a plugin's format (``plugin``)
    out: Path
    plugin: PluginReportFormat | None = None

    @property
    def fmt_key(self) -> str:
        return self.plugin.key if self.plugin is not None else self.fmt.value if self.fmt is not None else ""


def _day(text: str, label: str, field: str) -> date:
    """2026-03-31 (what cron's ``date +%F`` gives) or 31/03/2026."""
    typed = text.strip()
    if _ISO.fullmatch(typed):
        year, month, day = (int(p) for p in typed.split("-"))
        typed = f"{day:02d}/{month:02d}/{year:04d}"
    parsed = parse_day(typed, label=label, field=field)
    if parsed is None:
        raise InvalidInput(f"Thiếu {label.lower()} (--{field}).", field=field)
    return parsed


def read_request(
    *, date_from: str | None, date_to: str | None, preset: str | None, fmt: str, out: str, today: date
) -> ReportRequest:
    """The command's arguments checked, every refusal in Vietnamese (InvalidInput)."""
    typed = fmt.strip().lower()
    added = find_format(typed)
    kind: ReportFormat | None = None
    if added is None:
        try:
            kind = ReportFormat(typed)
        except ValueError:
            known = [*(f.value for f in ReportFormat), *(f.key for f in report_formats())]
            raise InvalidInput(
                f"Định dạng “{fmt[:20]}” không có: chọn một trong {', '.join(known)}.", field="format"
            ) from None
    if preset:
        if date_from or date_to:
            raise InvalidInput("Chọn --ky hoặc --from/--to, không cả hai.", field="ky")
        start, end = preset_dates(parse_preset(preset), today=today)
    else:
        start = _day(date_from or "", "Từ ngày", "from")
        end = _day(date_to or "", "Đến ngày", "to")
    make_period(date_from=start, date_to=end, today=today, field="from")  # từ after đến: refused
    path = Path(out)
    if not out.strip() or path.is_dir():
        raise InvalidInput(f"--out phải là đường dẫn một tệp, không phải “{out}”.", field="out")
    if not path.parent.is_dir():
        raise InvalidInput(f"Thư mục “{path.parent}” không tồn tại.", field="out")
    return ReportRequest(start, end, kind, path, added)


def build(*, session: Session, runtime: Runtime, request: ReportRequest, today: date) -> bytes:
    """The file's bytes (the period judged as of ``min(to, today)``, as on the screen). The
    builders (Altair, openpyxl, python-docx) are imported here: refusing bad arguments stays quick."""
    from services.reports.content import report_data
    from services.reports.csv_files import statistics_csv
    from services.reports.docx import report_docx
    from services.reports.plugin_formats import render_report
    from services.reports.xlsx import statistics_xlsx

    config = runtime.config
    period = make_period(date_from=request.date_from, date_to=request.date_to, today=today)
    data = report_data(session=session, config=config, period=period, today=today)
    if request.plugin is not None:
        return render_report(fmt=request.plugin, data=data, config=config)
    if request.fmt is ReportFormat.XLSX:
        return statistics_xlsx(data, config)
    if request.fmt is ReportFormat.DOCX:
        return report_docx(data, config)
    return statistics_csv(data)


def write_whole(path: Path, content: bytes) -> None:
    """Written to a temporary file beside ``path``, then renamed: a reader (a mail job picking the
    file up) never sees half a report, and a failure leaves nothing."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".report-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run(
    *,
    runtime: Runtime,
    date_from: str | None,
    date_to: str | None,
    preset: str | None,
    fmt: str,
    out: str,
    today: date,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
) -> int:
    """0: the file is written; 2: refused (the reason on stderr), nothing written."""
    try:
        request = read_request(date_from=date_from, date_to=date_to, preset=preset, fmt=fmt, out=out, today=today)
        with Session(runtime.engine) as session:
            content = build(session=session, runtime=runtime, request=request, today=today)
        write_whole(request.out, content)
    except InvalidInput as exc:
        print(exc.message, file=stderr)
        return 2
    except ServiceError as exc:
        print(exc.message, file=stderr)
        return 1
    except OSError as exc:
        print(f"Không ghi được tệp: {exc.strerror or exc}", file=stderr)
        return 1
    print(
        f"Đã ghi {request.out} ({request.fmt_key}, kỳ {request.date_from:%d/%m/%Y} – {request.date_to:%d/%m/%Y}).",
        file=stdout,
    )
    return 0
