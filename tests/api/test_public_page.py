"""``/cong-khai`` (``web/public_routes.py``) over HTTP against the real server, without a login.

The demo data is built as ``manage.py seed-demo`` builds it; the page must carry the figures of
``unit_statistics`` for its period and nothing else: no task's content, no document's summary, no
person's name. Also: the period links, an unknown preset's notice, other methods refused, the
security headers, and a change shown on the next request (the cache is keyed by data version).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session, select

from demo.seed import seed_demo
from models import Document, PeriodPreset, Task, TaskClass, User
from models.schemas import AssignmentCreate, TaskCreate
from services.access.permissions import build_actor
from services.infra.clock import fmt_date, local_date, now_utc
from services.infra.settings import ROOT, Settings
from services.runtime import Runtime, start
from services.stats.presets import preset_dates
from services.stats.statistics import Period, StatisticsReport, unit_statistics
from services.tasks.assignment import create_assignment
from tests.server import running_server

SECRET_KEY = "public-page-tests-secret-key"
FINANCE = "000.00.05.H21"  # Sở Tài chính


@dataclass
class Site:
    base_url: str
    backend: Runtime
    client: httpx.Client


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("giaoviec-public")
    url = f"sqlite:///{data_dir / 'giaoviec.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(
        GIAOVIEC_DATA_DIR=str(data_dir), GIAOVIEC_SECRET_KEY=SECRET_KEY, GIAOVIEC_DATABASE_URL=url, PYTHONUNBUFFERED="1"
    )
    settings = Settings(data_dir=data_dir, secret_key=SECRET_KEY, config_dir=ROOT / "config")
    backend = start(settings=settings, database_url=url)
    with Session(backend.engine, expire_on_commit=False) as session:
        assert seed_demo(session=session, config=backend.config, today=local_date(now_utc())) > 0
    try:
        with running_server(env, data_dir / "server.log") as base_url, httpx.Client(
            base_url=base_url, timeout=60, headers={"Accept": "text/html"}
        ) as client:
            yield Site(base_url, backend, client)
    finally:
        backend.engine.dispose()


def _report(site: Site, preset: PeriodPreset) -> StatisticsReport:
    today = local_date(now_utc())
    date_from, date_to = preset_dates(preset, today=today)
    with Session(site.backend.engine) as session:
        return unit_statistics(session=session, period=Period(date_from, date_to, min(date_to, today)))


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %".replace(".", ",")


def _table_rows(page: str) -> list[list[str]]:
    body = page.split('<table id="bang-so-lieu"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def _expected_line(number: str, name: str, counts: dict[TaskClass, int], total: int, rate: float | None) -> list[str]:
    return [
        number,
        name,
        str(counts[TaskClass.DONE_ON_TIME]),
        str(counts[TaskClass.DONE_LATE]),
        str(counts[TaskClass.OPEN_ON_TIME]),
        str(counts[TaskClass.OPEN_OVERDUE]),
        str(total),
        _percent(rate),
    ]


def test_open_without_login_with_the_figures_of_the_table(site: Site) -> None:
    response = site.client.get("/cong-khai")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["X-Frame-Options"] == "DENY"  # the security headers still apply
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    page = response.text
    assert page.startswith("<!doctype html><html lang=\"vi\">") and "<script" not in page.lower()
    report = _report(site, PeriodPreset.THIS_YEAR)  # the default period
    assert report.total.total > 0
    rows = _table_rows(page)
    by_name = {row.unit_name: row for row in report.rows}
    assert len(rows) == len(report.rows) + 1
    for i, cells in enumerate(rows[:-1], start=1):
        row = by_name[cells[1]]
        assert cells == _expected_line(str(i), row.unit_name, row.counts, row.total, row.rate)
    total = report.total
    assert rows[-1] == _expected_line("", "Tổng cộng", total.counts, total.total, total.rate)
    assert f'id="ty-le-toan-tinh">{html.escape(_percent(total.rate))}<' in page
    today = local_date(now_utc())
    assert f"Số liệu tính đến ngày {fmt_date(today)}" in page
    assert f"từ ngày 01/01/{today.year} đến ngày 31/12/{today.year}" in page
    assert '<img src="data:image/svg+xml;base64,' in page  # the chart
    assert 'href="/auth/login">Đăng nhập</a>' in page


def test_no_task_content_and_no_person_on_the_page(site: Site) -> None:
    with Session(site.backend.engine) as session:
        contents = [t.content for t in session.exec(select(Task)).all()]
        summaries = [d.summary for d in session.exec(select(Document)).all()]
        names = [u.full_name for u in session.exec(select(User)).all()]
    assert len(contents) > 10 and len(summaries) > 5 and len(names) > 10
    for preset in (PeriodPreset.THIS_YEAR, PeriodPreset.THIS_MONTH, PeriodPreset.LAST_YEAR):
        page = site.client.get("/cong-khai", params={"ky": preset.value}).text
        text = html.unescape(page)
        for secret in [*contents, *summaries, *names]:
            assert secret not in text, (preset, secret)


def test_each_preset_link_shows_its_period(site: Site) -> None:
    page = site.client.get("/cong-khai").text
    for preset in PeriodPreset:
        assert f'href="/cong-khai?ky={preset.value}"' in page
    assert 'href="/cong-khai?ky=ca-nam" aria-current="page"' in page
    today = local_date(now_utc())
    for preset in (PeriodPreset.THIS_MONTH, PeriodPreset.Q1, PeriodPreset.LAST_YEAR):
        response = site.client.get("/cong-khai", params={"ky": preset.value})
        assert response.status_code == 200
        date_from, date_to = preset_dates(preset, today=today)
        assert f"từ ngày {fmt_date(date_from)} đến ngày {fmt_date(date_to)}" in response.text
        assert f'href="/cong-khai?ky={preset.value}" aria-current="page"' in response.text
        report = _report(site, preset)
        if report.total.total:
            assert _table_rows(response.text)[-1][6] == str(report.total.total)
        else:
            assert "Chưa có nhiệm vụ nào trong kỳ này." in response.text
        assert "class=\"notice\" role=\"status\"" not in response.text


@pytest.mark.parametrize("value", ["quy-5", "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "", "thang-nay "])
def test_an_unknown_preset_gets_a_notice_and_the_default_period(site: Site, value: str) -> None:
    response = site.client.get("/cong-khai", params={"ky": value})
    assert response.status_code == 200
    page = response.text
    today = local_date(now_utc())
    if value.strip() == "thang-nay":  # a stray space is forgiven
        assert f"từ ngày 01/{today.month:02d}/{today.year}" in page
        return
    assert "Không có kỳ báo cáo" in page and "trang hiển thị kỳ mặc định: Cả năm." in page
    assert html.escape(value[:40]) in page and "<script>alert" not in page
    assert f"từ ngày 01/01/{today.year} đến ngày 31/12/{today.year}" in page


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused(site: Site, method: str) -> None:
    response = site.client.request(method, "/cong-khai", data={"ky": "quy-1"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert "chỉ để xem" in response.text and "Tổng cộng" not in response.text


def test_head_and_other_pages_still_need_a_login(site: Site) -> None:
    assert site.client.head("/cong-khai").status_code == 200
    redirect = site.client.get("/giam-sat", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"].startswith("/auth/login")


def test_a_change_shows_on_the_next_request(site: Site) -> None:
    """A new assignment moves the total: the page built for the old data version is not shown."""
    before = int(_table_rows(site.client.get("/cong-khai").text)[-1][6])
    today = local_date(now_utc())
    with Session(site.backend.engine, expire_on_commit=False) as session:
        tracker_id = session.exec(select(User.id).where(User.username == "vp.theodoi")).one()
        tracker = build_actor(session=session, config=site.backend.config, user_id=tracker_id or 0)
        assert tracker is not None
        create_assignment(
            session=session,
            actor=tracker,
            config=site.backend.config,
            data=AssignmentCreate(
                code="999/UBND-CK",
                issue_date=today,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="Văn bản bí mật của trang công khai",
                signer="Nguyễn Văn Ký",
                tasks=[
                    TaskCreate(content="Nội dung không được công khai", lead_unit_code=FINANCE, deadline=today),
                    TaskCreate(content="Nội dung thứ hai", lead_unit_code=FINANCE, deadline=today),
                ],
            ),
        )
    page = site.client.get("/cong-khai").text
    assert int(_table_rows(page)[-1][6]) == before + 2
    assert int(_table_rows(page)[-1][6]) == _report(site, PeriodPreset.THIS_YEAR).total.total
    assert "Nội dung không được công khai" not in page and "Văn bản bí mật" not in page
