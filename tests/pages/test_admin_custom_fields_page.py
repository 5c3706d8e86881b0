"""Trường tùy chỉnh (Quản trị) and the fields on the other pages, through AppTest: the admin
adds, renames and retires fields; the tracker fills them in Giao nhiệm vụ (refused whole when one
is wrong); the task page shows them as text; the list's optional column and filter; Phần mở rộng
lists the example plugin. The tests of this module run in order on one world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from models import AdminChange, AdminEntity, CustomField, CustomValue, Document, FieldTarget, Task
from tests import example_plugin
from tests.conftest import FINANCE, PLEIKU
from tests.pages.conftest import World, by_label, values
from tests.pages.test_assign import SUBMIT, TaskInput, fill, save
from ui.format import md_escape

WORLD_USERS = ["admin"]
PAGE = "pages/admin_custom_fields.py"
ASSIGN = "pages/assign.py"
HOSTILE = "<img src=x onerror=alert(1)> **đậm** =cmd|' /C calc'!A0"


def _errors(at: AppTest) -> str:
    return " ".join(values(at.error))


def _fields(world: World) -> list[CustomField]:
    with world.session() as s:
        return list(s.exec(select(CustomField).order_by(col(CustomField.id))).all())


def _add(at: AppTest, *, key: str, label: str, kind: str, target: str = "task", needed: bool = False,
         choices: str = "", help_text: str = "") -> AppTest:
    by_label(at.text_input, "Mã trường *").input(key)
    by_label(at.text_input, "Tên hiển thị *").input(label)
    by_label(at.selectbox, "Kiểu dữ liệu *").select(kind)
    by_label(at.radio, "Nhập ở *").set_value(FieldTarget(target))
    if needed:
        by_label(at.checkbox, "Bắt buộc nhập").check()
    by_label(at.text_input, "Hướng dẫn (hiện cạnh ô nhập)").input(help_text)
    [area] = [a for a in at.text_area if a.label.startswith("Lựa chọn")]
    area.input(choices)
    by_label(at.button, "Thêm trường").click().run()
    assert not at.exception
    return at


def test_the_admin_opens_an_empty_page(world: World) -> None:
    at = world.app_as("admin", PAGE)
    assert not at.exception
    assert values(at.title) == ["Trường tùy chỉnh"]
    assert "Chưa có trường tùy chỉnh nào." in values(at.info)
    assert [t.label for t in at.tabs] == ["Thêm trường", "Đổi tên", "Ngừng dùng, dùng lại", "Nhật ký"]
    kinds = by_label(at.selectbox, "Kiểu dữ liệu *").options
    assert kinds == ["Văn bản ngắn", "Văn bản dài", "Số", "Ngày", "Chọn từ danh sách", "Có/Không", "Đơn vị"]


def test_other_roles_do_not_see_it(world: World) -> None:
    at = world.app_as("vp.theodoi")
    names = [p["page_name"] for p in at._registered_pages.values()]
    assert "Trường tùy chỉnh" not in names and "Phần mở rộng" not in names
    admin = world.app_as("admin")
    names = [p["page_name"] for p in admin._registered_pages.values()]
    assert "Trường tùy chỉnh" in names and "Phần mở rộng" in names


def test_a_bad_field_is_refused_field_by_field(world: World) -> None:
    at = world.app_as("admin", PAGE)
    _add(at, key="Số HĐ", label="", kind="choice")
    errors = _errors(at)
    assert "Mã trường “Số HĐ” không hợp lệ" in errors
    assert "Tên hiển thị không được để trống" in errors
    assert "Danh sách lựa chọn không được để trống" in errors
    assert "Chưa lưu. Sửa 3 ô" in errors
    assert by_label(at.text_input, "Mã trường *").value == "Số HĐ"  # kept as typed
    assert _fields(world) == []


def test_the_admin_adds_fields(world: World) -> None:
    at = world.app_as("admin", PAGE)
    _add(at, key="nguon_von", label="Nguồn vốn", kind="choice", target="document", choices="Ngân sách\nODA\n")
    assert values(at.success) == ["Đã thêm trường “Nguồn vốn” (nguon\\_von)."]
    _add(at, key="so_hd", label="Số hợp đồng", kind="text", needed=True, help_text="Ghi theo hợp đồng đã ký")
    _add(at, key="khan", label="Khẩn", kind="yes_no")
    table = at.dataframe[0].value
    assert list(table["Mã trường"]) == ["nguon_von", "so_hd", "khan"]
    assert list(table["Thuộc"]) == ["Văn bản giao", "Từng nhiệm vụ", "Từng nhiệm vụ"]
    assert next(iter(table["Lựa chọn"])) == "Ngân sách; ODA"
    with world.session() as s:
        journal = s.exec(select(AdminChange.entity_key).where(AdminChange.entity == AdminEntity.CUSTOM_FIELD)
                           .order_by(col(AdminChange.id))).all()
    assert list(journal) == ["nguon_von", "so_hd", "khan"]


def test_the_tracker_fills_them_refused_then_saved(world: World) -> None:
    at = world.app_as("vp.theodoi", ASSIGN)
    assert by_label(at.selectbox, "Nguồn vốn").options == ["Ngân sách", "ODA"]
    assert by_label(at.text_input, "Số hợp đồng *").help == "Ghi theo hợp đồng đã ký"
    fill(at, code="777/UBND-KT", issue_date=world.today, tasks=[TaskInput(lead=FINANCE, deadline=world.day(20))])
    by_label(at.selectbox, "Nguồn vốn").select("ODA")
    save(at)
    assert "Nhiệm vụ 1 — Số hợp đồng không được để trống." in _errors(at)
    assert "“Nhiệm vụ 1: Số hợp đồng”" in _errors(at)  # the summary names it
    with world.session() as s:
        assert s.exec(select(Document).where(Document.code == "777/UBND-KT")).first() is None
        assert s.exec(select(CustomValue)).all() == []
    by_label(at.text_input, "Số hợp đồng *").input(HOSTILE)
    by_label(at.selectbox, "Khẩn").select("Có")
    by_label(at.button, SUBMIT).click().run()
    assert not at.exception
    assert values(at.success) == ["Đã giao 1 nhiệm vụ theo văn bản 777/UBND-KT."]
    with world.session() as s:
        doc = s.exec(select(Document).where(Document.code == "777/UBND-KT")).one()
        task = s.exec(select(Task).where(Task.document_id == doc.id)).one()
        stored = {(v.document_id, v.task_id, v.value) for v in s.exec(select(CustomValue)).all()}
    assert stored == {(doc.id, None, "ODA"), (None, task.id, HOSTILE), (None, task.id, True)}
    world.tasks["custom"] = task.id or 0


def test_the_task_page_shows_them_as_text(world: World) -> None:
    at = world.app_as("vp.theodoi", "pages/task_detail.py", {"id": str(world.tasks["custom"])})
    assert not at.exception
    shown = " ".join(values(at.markdown))
    assert "**Của văn bản giao**  \nNguồn vốn: ODA" in shown
    assert f"Số hợp đồng: {md_escape(HOSTILE)}" in shown and "<img" not in shown
    assert "Khẩn: Có" in shown


def test_the_list_column_and_filter(world: World) -> None:
    at = world.app_as("vp.theodoi", "pages/unit_tasks.py")
    assert not at.exception
    by_label(at.multiselect, "Cột bổ sung (trường tùy chỉnh)").select("so_hd").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert "Số hợp đồng" in frame.columns
    assert HOSTILE in list(frame["Số hợp đồng"])
    by_label(at.selectbox, "Lọc theo trường tùy chỉnh").select("nguon_von").run()
    by_label(at.selectbox, "Giá trị").select("ODA").run()
    assert not at.exception
    assert list(at.dataframe[0].value["Mã"]) == [world.tasks["custom"]]
    by_label(at.selectbox, "Giá trị").select("Ngân sách").run()
    assert "Không có nhiệm vụ nào." in values(at.info)


def test_rename_and_retire_keep_the_values(world: World) -> None:
    at = world.app_as("admin", PAGE)
    [rename_field, _] = [s for s in at.selectbox if s.label == "Trường"]
    rename_field.select("so_hd").run()
    by_label(at.text_input, "Tên hiển thị mới *").input("Số hợp đồng kinh tế")
    by_label(at.button, "Đổi tên").click().run()
    assert not at.exception
    assert values(at.success) == ["Đã đổi tên trường so\\_hd thành “Số hợp đồng kinh tế”."]
    [_, retire_field] = [s for s in at.selectbox if s.label == "Trường"]
    retire_field.select("so_hd").run()
    by_label(at.button, "Ngừng dùng trường này").click().run()
    assert values(at.success) == ["Đã ngừng dùng trường “Số hợp đồng kinh tế”."]
    assert list(at.dataframe[0].value["Trạng thái"]) == ["Đang dùng", "Ngừng dùng", "Đang dùng"]
    form = world.app_as("vp.theodoi", ASSIGN)
    assert [t.label for t in form.text_input if "hợp đồng" in t.label] == []
    task = world.app_as("vp.theodoi", "pages/task_detail.py", {"id": str(world.tasks["custom"])})
    shown = " ".join(values(task.markdown))
    assert "Số hợp đồng kinh tế: &lt;img" in shown and "_(trường đã ngừng dùng)_" in shown


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    example_plugin.install(tmp_path / "site", monkeypatch)
    yield
    example_plugin.forget()


def test_the_plugins_page_and_the_plugin_type(world: World, plugin: None) -> None:
    at = world.app_as("admin", "pages/admin_plugins.py")
    assert not at.exception
    assert values(at.title) == ["Phần mở rộng"]
    table = at.dataframe[0].value
    row = table[table["Tên"] == "example"].iloc[0]
    assert (row["Gói"], row["Phiên bản"], row["Kiểu trường"], row["Định dạng báo cáo"], row["Tình trạng"]) == (
        "giaoviec-example", "0.1.0", "Số điện thoại", "Markdown (markdown)", "Đã nạp"
    )
    # its report format is offered beside Giám sát's own files: made when asked, then downloaded
    monitor = world.app_as("vp.theodoi", "pages/monitor.py")
    assert not monitor.exception
    assert [b.label for b in monitor.get("download_button")][:3] == ["Tải Excel", "Tải báo cáo (Word)", "Tải CSV"]
    assert "Tải Markdown" not in [b.label for b in monitor.get("download_button")]
    by_label(monitor.button, "Tạo tệp Markdown").click().run()
    assert not monitor.exception and not monitor.error
    assert "Tải Markdown" in [b.label for b in monitor.get("download_button")]
    page = world.app_as("admin", PAGE)
    assert "Số điện thoại (giaoviec-example)" in by_label(page.selectbox, "Kiểu dữ liệu *").options
    _add(page, key="dien_thoai", label="Điện thoại đầu mối", kind="so_dien_thoai")
    assert values(page.success) == ["Đã thêm trường “Điện thoại đầu mối” (dien\\_thoai)."]
    form = world.app_as("vp.theodoi", ASSIGN)
    fill(form, code="778/UBND-KT", issue_date=world.today, tasks=[TaskInput(lead=PLEIKU, deadline=world.day(20))])
    by_label(form.text_input, "Điện thoại đầu mối").input("12345")
    save(form)
    assert "Nhiệm vụ 1 — Điện thoại đầu mối: “12345” không phải số điện thoại Việt Nam" in _errors(form)
    by_label(form.text_input, "Điện thoại đầu mối").input("0912 345 678")
    save(form)
    assert values(form.success) == ["Đã giao 1 nhiệm vụ theo văn bản 778/UBND-KT."]


def test_a_plugin_report_that_fails_says_so_on_the_page(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report format whose ``render`` raises: Giám sát says why in Vietnamese, offers no file."""
    from services import plugins
    from services.reports import plugin_formats

    def broken(data: object, config: object) -> bytes:
        raise RuntimeError("boom")

    found = plugins.Plugins()
    registry = plugins.Registry("giaoviec-hong", found)
    registry.add_report_format("hong", "Hỏng", broken, extension="txt")
    found.report_formats.update(registry.report_formats)
    monkeypatch.setattr(plugin_formats, "plugins", lambda: found)
    monitor = world.app_as("vp.theodoi", "pages/monitor.py")
    by_label(monitor.button, "Tạo tệp Hỏng").click().run()
    assert not monitor.exception
    assert values(monitor.error) == [
        md_escape("Định dạng báo cáo “Hỏng” (phần mở rộng giaoviec-hong) bị lỗi (RuntimeError); không tạo được tệp.")
    ]
    assert "Tải Hỏng" not in [b.label for b in monitor.get("download_button")]
