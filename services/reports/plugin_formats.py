"""Report formats that plugins add (Phần mở rộng, issue 10), beside Giao việc's XLSX, DOCX and CSV.

A plugin registers ``render(data, config)`` (``services.plugins.Registry.add_report_format``):
``data`` is the ``ReportData`` every built-in file is made of (the official table as the screen
shows it, the tasks behind it, the reminders per unit, the period: ``services.reports.content``,
whose helpers ``stats_lines``, ``task_lines``, ``period_text`` give its lines as the built-in
files write them), ``config`` the configuration in force (the labels). It returns the file's
bytes (a ``str`` is written as UTF-8). Giám sát offers one download button per format and
``manage.py report --format KEY`` writes it, both through ``render_report`` here: a format that
raises or returns something else is refused in Vietnamese, its error logged, and no file is made.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from services.infra.errors import ServiceError
from services.plugins import PluginReportFormat, plugins

if TYPE_CHECKING:  # the command line checks its --format without importing the report's builders
    from services.config.loader import AppConfig
    from services.reports.content import ReportData

log = logging.getLogger("giaoviec.plugins")


def report_formats() -> list[PluginReportFormat]:
    """The plugins' report formats, in the order their plugins were found (by name)."""
    return list(plugins().report_formats.values())


def find_format(key: str) -> PluginReportFormat | None:
    return plugins().report_formats.get(key)


def render_report(*, fmt: PluginReportFormat, data: ReportData, config: AppConfig) -> bytes:
    """The file of ``fmt`` for the report ``data``; ServiceError (nothing made) when the plugin
    fails, the traceback in the server's log."""
    where = f"Định dạng báo cáo “{fmt.label}” (phần mở rộng {fmt.plugin or fmt.key})"
    try:
        content = fmt.render(data, config)
    except Exception as exc:  # a plugin's bug: said in Vietnamese, never a traceback on screen
        log.exception("report format %s of plugin %s failed", fmt.key, fmt.plugin)
        raise ServiceError(f"{where} bị lỗi ({type(exc).__name__}); không tạo được tệp.") from None
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    log.error("report format %s of plugin %s returned %s", fmt.key, fmt.plugin, type(content).__name__)
    raise ServiceError(f"{where} không trả về nội dung tệp; không tạo được tệp.")
