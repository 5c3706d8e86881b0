"""Nhập dữ liệu (pages/admin_import.py): templates, the errors of a bad file, the preview, "Nhập".

The world's tests run in order: the bad file first (nothing created), then the good one."""

from __future__ import annotations

from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from models import AdminChange, AdminEntity, Document, Task
from services.imports import schemas as s
from services.imports.templates import workbook_bytes
from services.infra.settings import ROOT
from tests.conftest import FINANCE, PLEIKU
from tests.pages.conftest import World, values
from ui.runtime import TOKEN_STATE_KEY

WORLD_USERS = ["admin"]
PAGE = "pages/admin_import.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(prefix: str, *, bad: bool = False) -> list[list[str]]:
    document = ["UBND tỉnh", "Công văn", "V/v nhập", "Nguyễn Văn A"]
    history = ["7/STC", "10/03/2026", "Đã làm.", "11/03/2026", "Hoàn thành", "", ""]
    rows = [
        [f"{prefix}1/UBND-NHAP", "02/03/2026", *document, "Nội dung **một**", FINANCE, "", "20/03/2026", *history],
        [f"{prefix}2/UBND-NHAP", "03/03/2026", *document, "<i>Hai</i>", PLEIKU, "", "30/03/2026", *[""] * 7],
    ]
    if bad:
        rows[0][9] = "31/02/2026"
        rows[1][7] = "KHONG.CO"
    return rows


def _tasks(world: World) -> int:
    with world.session() as session:
        return int(session.exec(select(func.count()).select_from(Task)).one())


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    [picker] = [f for f in at.file_uploader if f.label.startswith("Tệp cần nhập")]
    picker.set_value([(name, data, XLSX)])
    return at.run()


def test_a_bad_file_lists_every_error_and_creates_nothing(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception, at.exception
    assert values(at.title) == ["Nhập dữ liệu"]
    assert {b.label for b in at.get("download_button")} >= {"Tải tệp mẫu (.xlsx)", "Tải tệp mẫu (.csv)"}
    before = _tasks(world)
    at = _upload(at, "sai.xlsx", workbook_bytes(s.TASK_SHEET, s.TASK_COLUMNS, _rows("A", bad=True)))
    assert not at.exception, at.exception
    assert "có 2 lỗi; chưa nhập gì" in values(at.error)[0]
    errors = at.dataframe[0].value
    assert list(errors.columns) == ["Trang tính", "Dòng", "Cột", "Lỗi"]
    assert list(zip(errors["Dòng"], errors["Cột"], strict=True)) == [(2, s.T_DEADLINE), (3, s.T_LEAD)]
    assert "31/02/2026 không có thật" in errors["Lỗi"][0]
    assert not [b for b in at.button if b.label == "Nhập"]
    assert _tasks(world) == before


def test_a_good_file_is_previewed_then_imported(world: World) -> None:
    at = world.app_as("admin", PAGE)
    before = _tasks(world)
    at = _upload(at, "tot.xlsx", workbook_bytes(s.TASK_SHEET, s.TASK_COLUMNS, _rows("B")))
    assert not at.exception, at.exception
    assert not at.error, values(at.error)
    assert "Sẽ tạo 2 nhiệm vụ của 2 văn bản" in values(at.info)[0]
    assert any("Chỉ nhiệm vụ còn đang xử lý sau khi nhập mới có thông báo" in c for c in values(at.caption))
    preview = at.dataframe[0].value
    assert list(preview["Tình trạng sau khi nhập"]) == ["Hoàn thành", "Đang xử lý"]
    assert _tasks(world) == before  # a preview creates nothing
    [button] = [b for b in at.button if b.label == "Nhập"]
    at = button.click().run()
    assert not at.exception, at.exception
    assert values(at.success) == ["Đã nhập 2 dòng từ tệp tot.xlsx."]
    assert _tasks(world) == before + 2
    with world.session() as session:
        codes = set(session.exec(select(Document.code)).all())
        assert {"B1/UBND-NHAP", "B2/UBND-NHAP"} <= codes
        journal = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.IMPORT)).one()
        assert journal.entity_key == "tot.xlsx"


def test_units_and_accounts_have_their_templates(world: World) -> None:
    at = world.app_as("admin", PAGE)
    for kind in ("units", "users"):
        at.radio(key="import_kind").set_value(kind).run()
        assert not at.exception, at.exception
        assert {b.label for b in at.get("download_button")} >= {"Tải tệp mẫu (.xlsx)", "Tải tệp mẫu (.csv)"}
        assert not at.selectbox  # no tracker to choose: units and accounts are the admin's own


def test_only_the_admin_sees_the_page(world: World) -> None:
    at = world.app_as("vp.theodoi")
    names = [p["page_name"] for p in at._registered_pages.values()]
    assert "Nhập dữ liệu" not in names
    world.activate()
    alone = AppTest.from_file(str(ROOT / PAGE), default_timeout=30)
    alone.session_state[TOKEN_STATE_KEY] = world.token("vp.theodoi")
    alone.run()
    assert values(alone.error) == ["Chỉ quản trị hệ thống xem trang này."]
