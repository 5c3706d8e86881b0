"""An example plugin of Giao việc: the custom field type "Số điện thoại" (a Vietnamese number) and
the report format "Markdown" (Giám sát's table as a Markdown summary).

Installed (``pip install plugins/giaoviec_example``), it is found through its entry point in the
group ``giaoviec.plugins``; Giao việc calls ``register(registry)`` once per process, when the
process starts. The registry is handed to it; the report format reads the report content Giao
việc gives it through the helpers of ``services.reports.content`` (imported when a report is made:
the plugin is loaded inside Giao việc's process).
"""

from __future__ import annotations

import re
from typing import Any

# 10 digits from 0: mobile 03x, 05x, 07x, 08x, 09x; 11 digits from 02: a landline with its area code
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_SEPARATORS = re.compile(r"[\s.\-()]")


def parse_phone(text: str) -> str:
    """The number as stored (digits, from 0), or ValueError with the reason in Vietnamese."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not (_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits)):
        raise ValueError(
            f"“{text}” không phải số điện thoại Việt Nam (di động 10 số như 0912 345 678, "
            "cố định 11 số như 0269 3824 567, có thể viết +84)"
        )
    return digits


def show_phone(value: Any) -> str:
    digits = str(value)
    if len(digits) == 10:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def _cell(value: Any) -> str:
    """A table cell: a rate as the screen writes it (14,3), a text with its pipes and line breaks
    escaped so the table holds whatever a unit is called."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_report(data: Any, config: Any) -> str:
    """Giám sát's report (``ReportData``) as Markdown: the title, the period, the official table
    with its total row, the same lines the XLSX and the CSV hold."""
    from services.reports.content import STATS_HEADER, as_of_text, period_text, stats_lines

    lines = [
        "# Báo cáo tình hình thực hiện nhiệm vụ",
        "",
        f"{period_text(data, config)}. {as_of_text(data)}.",
        "",
        "| " + " | ".join(STATS_HEADER) + " |",
        "|" + "---|" * len(STATS_HEADER),
    ]
    lines += ["| " + " | ".join(_cell(v) for v in line) + " |" for line in stats_lines(data)]
    return "\n".join(lines) + "\n"


def register(registry: Any) -> None:
    registry.add_field_type("so_dien_thoai", "Số điện thoại", parse_phone, show_phone)
    registry.add_report_format("markdown", "Markdown", markdown_report, extension="md", mime="text/markdown")
