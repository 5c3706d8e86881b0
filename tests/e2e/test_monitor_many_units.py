"""Giám sát at a province's size, in Chromium: a hundred and fifty units (the shipped org tree and
the communes a province has reported directly since the 2025 reform), 3 000 generated tasks.

VP UBND's tracker sees the table sorted by overdue tasks, scrolling inside its own frame with the
total row first, and the chart of the 20 units with most overdue tasks, the legend on top. A click
on a bar opens the drill-down of that unit and class (both in the URL, the drill-down's figure the
table's) and brings it into view; a click on a unit's line of the table opens that unit's. Printed
(A4 landscape), the page is the figures, the whole table over the paper's width, and the chart;
no menu, no control, no task list.

Screenshots: docs/screenshots/giam-sat-nhieu-don-vi.png (the whole page), giam-sat-chi-tiet.png
(after a click on a bar), giam-sat-in.png (the page as printed, in print media).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import FloatRect, Locator, Page, expect
from sqlmodel import Session, col, select

from demo.generate import generate_tasks
from models import OrgUnit
from services.infra.settings import Settings
from services.runtime import Runtime, start

from .accounts import TRACKER, Account
from .conftest import ROOT, SCREENSHOTS
from .ui import grid_rows, login, settle, shot, vn_today, wait_clear_of_midnight

pytestmark = pytest.mark.e2e
E2E_ACCOUNTS: tuple[Account, ...] = ()  # the tracker (and the clerk) only
COMMUNES = 114  # with the shipped 35 departments and districts: 149 lead units
TASKS = 3000
# Jrai, Bahnar and Kinh place names, as the communes of the Central Highlands have them
_PARTS = [
    "Ia Grai",
    "Ia Hrú",
    "Ia Dêr",
    "Ia Sao",
    "Ia Krái",
    "Ia Khai",
    "Ia Tô",
    "Ia Chía",
    "Ia O",
    "Ia Pếch",
    "Ia Băng",
    "Ia Kha",
    "Ia Bă",
    "Ia Yok",
    "Ia Pnôn",
    "Ia Mơ",
    "Ia Phang",
    "Ia Lâu",
    "Ia Piơr",
    "Ia Rbol",
    "Ia Sol",
    "Ia Trôk",
    "Kon Chiêng",
    "Kon Thụp",
    "Đak Pơ",
    "Đak Đoa",
    "Hà Bầu",
    "Hà Đông",
    "Hà Tam",
    "Kông Bơ La",
    "Kông Htok",
    "Chư Sê",
    "Chư Prông",
    "Chư Păh",
    "Chư Pưh",
    "Chư Pơng",
    "Chư Răng",
    "Bàu Cạn",
    "Bình Giáo",
    "Thăng Hưng",
    "Nghĩa Hưng",
    "Biển Hồ",
    "Gào",
    "Diên Phú",
    "An Phú",
    "Chư Á",
    "Trà Đa",
    "Tân Sơn",
    "Hội Phú",
    "Yên Thế",
    "Đồng Tiến",
    "Phú Thiện",
    "Ayun Pa",
    "Krông Pa",
    "Kbang",
    "Mang Yang",
    "Lơ Pang",
    "Đê Ar",
    "Kdang",
    "Glar",
]


def _communes() -> list[dict[str, str]]:
    """Commune-level People's Committees, each a unit that reports to the province: many short
    names begin alike ("UBND xã Ia …")."""
    units = []
    for n in range(COMMUNES):
        place = _PARTS[n % len(_PARTS)] + ("" if n < len(_PARTS) else f" {n // len(_PARTS) + 1}")
        kind = "phường" if n % 9 == 0 else "xã"
        short = f"UBND {kind} {place}"
        units.append(
            {
                "code": f"{n // 90 + 2:03d}.00.{n % 90 + 10:02d}.H21",
                "name": f"Ủy ban nhân dân {kind} {place}, tỉnh Gia Lai",
                "short_name": short,
                "kind": "district",
            }
        )
    return units


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped configuration with the communes added to config/org.yaml."""
    folder = tmp_path_factory.mktemp("config-many-units")
    for source in (ROOT / "config").glob("*.yaml"):
        shutil.copy(source, folder / source.name)
    org = yaml.safe_load((folder / "org.yaml").read_text(encoding="utf-8"))
    org["units"].extend(_communes())
    (folder / "org.yaml").write_text(yaml.safe_dump(org, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def app_env(app_env: dict[str, str], config_dir: Path) -> dict[str, str]:
    return {**app_env, "GIAOVIEC_CONFIG_DIR": str(config_dir)}


@pytest.fixture(scope="module")
def backend(app_env: dict[str, str], config_dir: Path) -> Runtime:
    settings = Settings(
        data_dir=Path(app_env["GIAOVIEC_DATA_DIR"]), secret_key=app_env["GIAOVIEC_SECRET_KEY"], config_dir=config_dir
    )
    return start(settings=settings, database_url=app_env["GIAOVIEC_DATABASE_URL"])


@pytest.fixture(scope="module")
def province(backend: Runtime, accounts: dict[str, Account]) -> Iterator[dict[str, int]]:
    """3 000 tasks over the last two years, spread over every department, district and commune;
    the unit ids by short name."""
    wait_clear_of_midnight()
    with Session(backend.engine) as session:
        generate_tasks(session=session, config=backend.config, tasks=TASKS, today=vn_today(), seed=9)
        ids = {name: uid for uid, name in session.exec(select(col(OrgUnit.id), col(OrgUnit.short_name))).all()}
    yield {name: uid for name, uid in ids.items() if uid is not None}


def _lines(rows: Locator) -> list[list[str]]:
    """The cells' texts of table rows (shown or not: the printed table is hidden on screen)."""
    return rows.evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('td, th')).map(c => c.textContent.trim()))"
    )


def _resting(element: Locator) -> FloatRect:
    """The element's box once it stops moving (the page may still be scrolling)."""
    before = element.bounding_box()
    for _ in range(50):
        element.page.wait_for_timeout(100)
        now = element.bounding_box()
        if now == before and now is not None:
            return now
        before = now
    raise AssertionError("the element kept moving")


def _grid_line(page: Page, index: int) -> list[str]:
    """A line of the grid, from the accessible table the canvas keeps for screen readers."""
    return _lines(grid_rows(page.get_by_test_id("stDataFrame").first))[index]


def _table_line(page: Page, unit_name: str) -> list[str]:
    """The printed table's line of a unit (every line is there, whatever the grid shows)."""
    lines = _lines(page.locator(".st-key-monitor-print-table table tbody tr"))
    return next(line for line in lines if len(line) > 1 and line[1] == unit_name)


def test_monitor_with_many_units(page: Page, province: dict[str, int], app_server: str) -> None:
    today = vn_today()
    login(page, TRACKER, start=f"/giam-sat?from={today.year}-01-01&to={today.isoformat()}")
    expect(page.get_by_role("heading", name="Giám sát công việc", level=1)).to_be_visible()
    settle(page)

    # --- the table: overdue first, the total row first, a frame of its own ------------------------
    caption = page.get_by_text(re.compile(r"^\d+ đơn vị có nhiệm vụ trong kỳ; dòng đầu là Tổng cộng"))
    expect(caption).to_be_visible()
    units = int(caption.inner_text().split(" ", 1)[0].replace(" ", ""))
    assert units >= 60, units
    grid = page.get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    assert box is not None and box["height"] < 16 * 35 + 20  # 15 lines in sight, not 150 down the page
    expect(grid_rows(grid).nth(3)).to_be_attached()  # the canvas' accessible table is filled
    total = _grid_line(page, 0)
    assert total[1] == "Tổng cộng", total
    first, second = _grid_line(page, 1), _grid_line(page, 2)
    assert (first[0], second[0]) == ("1", "2")
    overdue = 7  # STT, name, documents, tasks, done on time, done late, open on time, open overdue
    assert int(first[overdue]) >= int(second[overdue]) > 0, (first, second)

    # --- the chart: the 20 most overdue units, the legend above the bars ----------------------------
    chart = page.get_by_test_id("stVegaLiteChart")
    expect(chart).to_be_visible()
    expect(page.get_by_text(re.compile(r"^20 đơn vị có nhiều nhiệm vụ quá hạn nhất; \d+ đơn vị khác"))).to_be_visible()
    bars = chart.locator("g.mark-rect path")  # each says "<unit>: <class>, <n> nhiệm vụ" to a screen reader
    expect(bars.first).to_be_attached()
    labels = chart.locator(".role-axis-label text")
    names = [t.strip() for t in labels.all_text_contents() if t.strip() and not t.strip().isdigit()]
    assert len(names) == 20 and len(set(names)) == 20, names  # whole names, none cut alike
    assert names[0] == first[1]  # the table's first unit is the chart's first bar
    legend = chart.locator(".role-legend").bounding_box()
    plot = chart.locator(".role-axis").first.bounding_box()
    assert legend is not None and plot is not None and legend["y"] < plot["y"] + 40  # on top
    shot(page, SCREENSHOTS / "giam-sat-nhieu-don-vi.png", full_page=True)

    # --- a click on a bar: that unit × class in the drill-down, scrolled into view -----------------
    unit_name = names[1]
    unit_id = province[unit_name]
    described = bars.evaluate_all("bars => bars.map(b => b.getAttribute('aria-label') || '')")
    index = next(i for i, text in enumerate(described) if unit_name in text and "Đang thực hiện quá hạn" in text)
    bars.nth(index).click()
    expect(page).to_have_url(re.compile(rf"[?&]unit={unit_id}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]class=open_overdue(&|$)"))
    drill = page.get_by_role("heading", name="Xem chi tiết số liệu")
    expect(drill).to_be_in_viewport()
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị"]')).to_have_value(unit_name)
    expect(page.locator('input[role="combobox"][aria-label="Nhóm"]')).to_have_value("Đang thực hiện quá hạn")
    figure = _table_line(page, unit_name)[overdue]
    expect(page.get_by_text(f"{figure} nhiệm vụ", exact=True)).to_be_visible()
    shot(page, SCREENSHOTS / "giam-sat-chi-tiet.png")

    # --- a click on a line of the table: that unit, every class -------------------------------------
    settle(page)
    third = _grid_line(page, 3)
    grid.scroll_into_view_if_needed()
    box = _resting(grid)
    # the name of the line STT 3: below the header, the total, lines 1 and 2. The pointer rests on
    # the cell first, as a hand does: the grid draws its hover before it takes a click.
    page.mouse.move(box["x"] + 40 + 40, box["y"] + 35 * 4 + 35 / 2)
    page.wait_for_timeout(300)
    page.mouse.down()
    page.mouse.up()
    expect(page).to_have_url(re.compile(rf"[?&]unit={province[third[1]]}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]class=(&|$)"))
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị"]')).to_have_value(third[1])
    expect(page.locator('input[role="combobox"][aria-label="Nhóm"]')).to_have_value("Tất cả")
    expect(page.get_by_text(f"{third[3]} nhiệm vụ", exact=True)).to_be_visible()
    expect(drill).to_be_in_viewport()

    # --- the same bar as before, clicked again: its unit × class again --------------------------------
    settle(page)
    chart.scroll_into_view_if_needed()
    bars.nth(index).click()
    expect(page).to_have_url(re.compile(rf"[?&]unit={unit_id}(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]class=open_overdue(&|$)"))
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị"]')).to_have_value(unit_name)
    expect(page.locator('input[role="combobox"][aria-label="Nhóm"]')).to_have_value("Đang thực hiện quá hạn")

    # --- printed: A4 landscape, the whole table over the paper's width ------------------------------
    page.emulate_media(media="print")
    printed = page.locator(".st-key-monitor-print-table table")
    expect(printed).to_be_visible()
    expect(printed.locator("tbody tr")).to_have_count(units + 1)
    for hidden in ("stSidebar", "stForm", "stDataFrame", "stSelectbox"):
        expect(page.get_by_test_id(hidden).first).to_be_hidden()
    width = page.evaluate("() => document.documentElement.clientWidth")
    table_box = printed.bounding_box()
    assert table_box is not None and table_box["width"] >= 0.95 * width, (table_box, width)
    shot(page, SCREENSHOTS / "giam-sat-in.png", full_page=True)
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    page.emulate_media(media="screen")
    sheets = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert sheets >= 3, sheets  # the table of 150 lines goes on over several sheets, not one screen
    boxes = {tuple(float(v) for v in m.split()) for m in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)}
    for _, _, wide, high in boxes:  # A4 landscape: 297 × 210 mm, 842 × 595 points
        assert abs(wide - 842) < 2 and abs(high - 595) < 2, boxes


def test_unit_tasks_of_every_unit_a_page_at_a_time(page: Page, province: dict[str, int]) -> None:
    """Nhiệm vụ của đơn vị for VP UBND: "Tất cả đơn vị" first and chosen, one page of the province's
    tasks (most overdue first) with the whole list's metrics, the closed tasks apart."""
    login(page, TRACKER, start="/nhiem-vu")
    expect(page.get_by_role("heading", name="Nhiệm vụ của đơn vị", level=1)).to_be_visible()
    expect(page.locator('input[role="combobox"][aria-label="Đơn vị"]')).to_have_value("Tất cả đơn vị")
    shown = page.get_by_text(re.compile(r"^Hiển thị 1–50 / [\d ]+ nhiệm vụ$"))
    expect(shown).to_be_visible()
    total = int(re.sub(r"\D", "", shown.inner_text().split("/")[1]))
    assert total > 1000, total  # every unit's tasks that count today, done ones included
    frame = page.get_by_test_id("stDataFrame").first
    expect(grid_rows(frame).first).to_contain_text("Đang thực hiện quá hạn")  # the most overdue first
    expect(page.get_by_text("Nhiệm vụ đã đóng (thu hồi, không đúng đơn vị, thay thế)")).to_be_visible()
    shot(page, SCREENSHOTS / "nhiem-vu-tat-ca-don-vi.png", full_page=True)
