"""``GET /cong-khai``: the public page of Điều 6 — each unit's figures, published without a login.

A plain server-rendered HTML page (no script, printable) in the same server (``asgi.py``): the
official table of a named period (``?ky=quy-1``, ``services.stats.presets``), the province's
on-time rate and the chart of Giám sát as an SVG image. Only aggregates and unit names: the page
is built from ``unit_statistics`` alone, which holds no task content and no person.

A burst of anonymous readers must not slow the officials down: the page is built off the event
loop, in the worker threads Starlette's ``run_in_threadpool`` uses, but under a limiter of its own
(``PUBLIC_THREADS``): fifty anonymous requests never hold the shared pool's forty tokens, which the
officials' page loads need for their login check. It is built once per (period, as-of date, data
version) in the process (and configuration version).
The data version moves in the transaction of every write that can change a figure
(``services.infra.data_version``), so the next request after a change, in any process, asks for
a key nobody has built yet: nothing stale is shown. Only one thread builds a missing page at a
time (the others wait for it rather than build it again); a hit costs one indexed read.
"""

from __future__ import annotations

import base64
import html
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import anyio
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from models import TaskClass
from services.config.loader import AppConfig
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.data_version import current_data_version
from services.infra.errors import InvalidInput
from services.reports.chart import chart_svg
from services.runtime import Runtime, get_runtime
from services.stats.presets import PeriodPreset, parse_preset, preset_dates
from services.stats.statistics import (
    Period,
    StatisticsReport,
    TableOrder,
    UnitStats,
    fmt_percent,
    ordered_rows,
    unit_statistics,
)
from web.auth_routes import LOGIN_PATH

PUBLIC_PATH = "/cong-khai"
PRESET_PARAM = "ky"
DEFAULT_PRESET = PeriodPreset.THIS_YEAR  # Giám sát's default: from 1 January, as of today
ALLOWED = "GET, HEAD"
# the route takes every method so that the others get a Vietnamese refusal, not Starlette's English
_EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
NOT_ALLOWED = "Trang công khai chỉ để xem (GET). Phương thức {method} không được chấp nhận."
UNKNOWN_PRESET = "Không có kỳ báo cáo “{text}”; trang hiển thị kỳ mặc định: {label}."
NO_TASK = "Chưa có nhiệm vụ nào trong kỳ này."
CACHE_SIZE = 64
# Public requests served at once; the others wait their turn on the event loop, costing nothing.
PUBLIC_THREADS = 4
_limiter: anyio.CapacityLimiter | None = None  # made on first use, inside the server's event loop

# The day the page is judged on (Vietnam's date); tests replace it.
clock: Callable[[], datetime] = now_utc


@dataclass(frozen=True)
class _Key:
    database: str
    preset: PeriodPreset
    period: Period
    version: int  # the data version
    config_version: int  # a label or monitor_chart_units saved by the admin shows at once too


_pages: OrderedDict[_Key, str] = OrderedDict()
_build_lock = threading.Lock()  # one builder at a time; hits never take it


def clear() -> None:
    """Forget every built page (tests that open a fresh database)."""
    with _build_lock:
        _pages.clear()


def _period(preset: PeriodPreset, today: date) -> Period:
    date_from, date_to = preset_dates(preset, today=today)
    return Period(date_from, date_to, min(date_to, today))


def _cached_body(rt: Runtime, preset: PeriodPreset, today: date) -> str:
    """The page's body for ``preset`` as of ``today`` at the data version now (read here)."""
    period = _period(preset, today)
    with Session(rt.engine) as session:
        version = current_data_version(session=session)
    key = _Key(rt.engine.url.render_as_string(hide_password=True), preset, period, version, rt.config_version)
    body = _pages.get(key)
    if body is not None:
        return body
    with _build_lock:
        body = _pages.get(key)  # built by the thread we waited for
        if body is None:
            with Session(rt.engine) as session:
                report = unit_statistics(session=session, period=period)
            body = _body(report, rt.config, preset)
            _pages[key] = body
            while len(_pages) > CACHE_SIZE:
                _pages.popitem(last=False)
    return body


# --- the HTML ---------------------------------------------------------------------------------------

_STYLE = """
 @page { size: A4 landscape; margin: 12mm; }
 body { font-family: "Source Sans Pro", "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color:#1b1b1b;
        margin: 0; background:#fff; line-height: 1.45; }
 header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 1.2rem; }
 header { border-bottom: 3px solid #b71c1c; padding-top: 1rem; padding-bottom: .6rem; display:flex;
          justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
 header h1 { font-size: 1.45rem; margin: 0; color:#b71c1c; }
 header p { margin: .2rem 0 0; color:#444; }
 a { color:#0d47a1; }
 nav.periods { margin: 1rem 0 .4rem; display:flex; flex-wrap: wrap; gap: .35rem; }
 nav.periods a { padding: .25rem .65rem; border:1px solid #c5cae9; border-radius: 999px; text-decoration:none; }
 nav.periods a[aria-current="page"] { background:#b71c1c; border-color:#b71c1c; color:#fff; font-weight:600; }
 .notice { background:#fff4e5; border-left: 4px solid #ef6c00; padding:.6rem .9rem; margin: 1rem 0; }
 .summary { display:flex; gap: 2.5rem; flex-wrap: wrap; margin: 1rem 0; }
 .summary div { font-size: .95rem; color:#444; }
 .summary strong { display:block; font-size: 1.7rem; color:#1b1b1b; }
 table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .93rem; }
 th, td { border: 1px solid #9e9e9e; padding: .3rem .5rem; }
 th { background:#eceff1; font-weight: 600; text-align:center; }
 td.num { text-align: right; font-variant-numeric: tabular-nums; }
 td.stt { text-align: center; }
 tr.total td { font-weight: 700; background:#fafafa; }
 figure { margin: 1.2rem 0; }
 figure img { max-width: 100%; height: auto; }
 figcaption, .note { color:#555; font-size: .9rem; }
 footer { border-top: 1px solid #ddd; margin-top: 2rem; padding-top: .6rem; padding-bottom: 1.5rem; color:#555;
          font-size: .9rem; }
 @media print {
   nav.periods, .login, .screen-only { display: none; }
   header, main, footer { max-width: none; padding: 0; }
   table { page-break-inside: auto; } tr { page-break-inside: avoid; } thead { display: table-header-group; }
   figure { page-break-before: always; }
   a { color: inherit; text-decoration: none; }
 }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _line(number: str, row: UnitStats, css: str = "") -> str:
    cells = [
        row.counts[TaskClass.DONE_ON_TIME],
        row.counts[TaskClass.DONE_LATE],
        row.counts[TaskClass.OPEN_ON_TIME],
        row.counts[TaskClass.OPEN_OVERDUE],
        row.total,
    ]
    figures = "".join(f'<td class="num">{_e(n)}</td>' for n in cells)
    attr = f' class="{css}"' if css else ""
    return (
        f'<tr{attr}><td class="stt">{_e(number)}</td><td>{_e(row.unit_name)}</td>{figures}'
        f'<td class="num">{_e(fmt_percent(row.rate))}</td></tr>'
    )


def _table(report: StatisticsReport) -> str:
    rows = ordered_rows(report, TableOrder.OVERDUE)
    lines = "".join(_line(str(i), row) for i, row in enumerate(rows, start=1))
    return (
        '<table id="bang-so-lieu"><caption class="note">Đơn vị có nhiều nhiệm vụ chưa hoàn thành quá hạn xếp trước; '
        "chỉ tính đơn vị chủ trì.</caption><thead>"
        '<tr><th rowspan="2">STT</th><th rowspan="2">Đơn vị</th><th colspan="2">Đã hoàn thành</th>'
        '<th colspan="2">Chưa hoàn thành</th><th rowspan="2">Tổng số</th><th rowspan="2">Tỷ lệ đúng hạn</th></tr>'
        "<tr><th>Đúng hạn</th><th>Quá hạn</th><th>Trong hạn</th><th>Quá hạn</th></tr></thead>"
        f"<tbody>{lines}{_line('', report.total, 'total')}</tbody></table>"
    )


def _chart(report: StatisticsReport, config: AppConfig) -> str:
    """Giám sát's chart (its units with the most overdue tasks) as an SVG image: an ``<img>`` never
    runs a script, whatever text the SVG holds."""
    ranked = ordered_rows(report, TableOrder.OVERDUE)
    drawn = ranked[: config.app.monitor_chart_units]
    svg = chart_svg(report, config, drawn)
    if svg is None:
        return ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    left_out = len(ranked) - len(drawn)
    caption = "Số nhiệm vụ của mỗi đơn vị theo nhóm"
    if left_out:
        caption += f" ({len(drawn)} đơn vị có nhiều nhiệm vụ quá hạn nhất; {left_out} đơn vị khác xem trong bảng)"
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{_e(caption)}">'
        f"<figcaption>{_e(caption)}.</figcaption></figure>"
    )


def _periods_nav(current: PeriodPreset, config: AppConfig) -> str:
    current_mark = ' aria-current="page"'
    links = "".join(
        f'<a href="{PUBLIC_PATH}?{PRESET_PARAM}={_e(p.value)}"{current_mark if p is current else ""}>'
        f"{_e(config.app.period_presets[p])}</a>"
        for p in PeriodPreset
    )
    return f'<nav class="periods" aria-label="Kỳ báo cáo">{links}</nav>'


def _body(report: StatisticsReport, config: AppConfig, preset: PeriodPreset) -> str:
    period = report.period
    total = report.total
    label = config.app.period_presets[preset]
    figures = (
        f"{_table(report)}{_chart(report, config)}" if total.total else f'<p class="notice">{_e(NO_TASK)}</p>'
    )
    return (
        f"{_periods_nav(preset, config)}"
        f"<h2>{_e(label)}: từ ngày {_e(fmt_date(period.date_from))} đến ngày {_e(fmt_date(period.date_to))}</h2>"
        f'<p id="tinh-den-ngay">Số liệu tính đến ngày {_e(fmt_date(period.as_of))}. Gồm nhiệm vụ giao trong kỳ và '
        "nhiệm vụ kỳ trước chuyển sang còn đang thực hiện.</p>"
        '<div class="summary">'
        "<div>Tỷ lệ hoàn thành đúng hạn toàn tỉnh"
        f'<strong id="ty-le-toan-tinh">{_e(fmt_percent(total.rate))}</strong></div>'
        f"<div>Tổng số nhiệm vụ<strong>{_e(total.total)}</strong></div>"
        f"<div>Số đơn vị có nhiệm vụ<strong>{_e(len(report.rows))}</strong></div>"
        f"</div>{figures}"
    )


def _page(body: str, config: AppConfig, notice: str | None) -> str:
    app = _e(config.app.app_name)
    warning = f'<p class="notice" role="status">{_e(notice)}</p>' if notice else ""
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Công khai kết quả thực hiện nhiệm vụ — {app}</title><style>{_STYLE}</style></head><body>"
        "<header><div><h1>Công khai kết quả thực hiện nhiệm vụ</h1>"
        "<p>Nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao các cơ quan, đơn vị (công khai theo Điều 6 của Quy chế)</p>"
        f'</div><a class="login" href="{LOGIN_PATH}">Đăng nhập</a></header>'
        f"<main>{warning}{body}</main>"
        f"<footer>{app} · Trang công khai chỉ gồm số liệu tổng hợp theo đơn vị. "
        f'Cán bộ, công chức: <a class="login" href="{LOGIN_PATH}">Đăng nhập</a> để xem chi tiết.</footer>'
        "</body></html>"
    )


def _render(preset_text: str | None) -> str:
    rt = get_runtime()
    notice = None
    preset = DEFAULT_PRESET
    if preset_text is not None:
        try:
            preset = parse_preset(preset_text)
        except InvalidInput:  # an unknown or old name in the link: the default period, said so
            notice = UNKNOWN_PRESET.format(text=preset_text[:40], label=rt.config.app.period_presets[DEFAULT_PRESET])
    return _page(_cached_body(rt, preset, local_date(clock())), rt.config, notice)


async def public_page(request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        text = _e(NOT_ALLOWED.format(method=request.method[:10]))
        return HTMLResponse(
            f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Không được phép</title></head>'
            f'<body><p>{text}</p><p><a href="{PUBLIC_PATH}">Xem trang công khai</a></p></body></html>',
            status_code=405,
            headers={"Allow": ALLOWED},
        )
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(PUBLIC_THREADS)
    # Starlette's run_in_threadpool, with this page's own limiter instead of the shared one
    page = await anyio.to_thread.run_sync(_render, request.query_params.get(PRESET_PARAM), limiter=_limiter)
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


routes = [Route(PUBLIC_PATH, public_page, methods=_EVERY_METHOD)]
