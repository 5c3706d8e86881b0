"""Phần mở rộng (issue 10): the example plugin found through its entry point (a dist-info on
sys.path, nothing installed), its field type offered and validating; broken plugins listed with
their error and adding nothing."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

import manage
from models import CustomValue, Document, Notification, Task
from models.schemas import AssignmentCreate, TaskCreate
from services import plugins
from services.access.permissions import Actor
from services.admin import custom_fields as admin_fields
from services.custom_fields import display, kind_labels, task_values, visible_fields
from services.infra.clock import local_date, now_utc
from services.infra.errors import InvalidInput, ServiceError
from services.infra.settings import get_settings
from services.notifications import channels
from services.reports.command import read_request
from services.reports.command import run as command_run
from services.reports.content import STATS_HEADER, report_data
from services.reports.plugin_formats import find_format, render_report
from services.runtime import Runtime
from services.stats.statistics import make_period
from services.tasks.assignment import create_assignment
from tests import example_plugin
from tests.conftest import FINANCE, PLEIKU, at
from tests.services.support import SECRET, row_counts

TODAY = local_date(now_utc())


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    example_plugin.install(tmp_path / "site", monkeypatch)
    yield
    example_plugin.forget()


def test_discovered_with_name_and_version(installed: None) -> None:
    found = plugins.plugins()
    (info,) = [i for i in found.infos if i.name == "example"]
    assert (info.distribution, info.version, info.target, info.error) == (
        "giaoviec-example", "0.1.0", "giaoviec_example:register", ""
    )
    assert info.field_types == ["so_dien_thoai"]
    assert "so_dien_thoai" in found.field_types
    assert kind_labels()["so_dien_thoai"] == "Số điện thoại (giaoviec-example)"


def test_without_it_the_type_is_not_offered() -> None:
    plugins.reset()
    assert "so_dien_thoai" not in kind_labels()


def _ep(name: str, value: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=value, group=plugins.GROUP)


def test_a_broken_plugin_is_listed_and_adds_nothing(installed: None) -> None:
    found = plugins.discover([
        _ep("b_missing", "no_such_module_xyz:register"),
        _ep("c_clash", "giaoviec_example:register"),  # the same type twice: the second refused
        _ep("a_first", "giaoviec_example:register"),
        _ep("d_builtin", "tests.services.test_plugins:_takes_a_builtin"),
    ])
    by_name = {i.name: i for i in found.infos}
    assert by_name["a_first"].error == "" and by_name["a_first"].field_types == ["so_dien_thoai"]
    assert "ModuleNotFoundError" in by_name["b_missing"].error
    assert "đã có" in by_name["c_clash"].error and by_name["c_clash"].field_types == []
    assert "đã có" in by_name["d_builtin"].error
    assert list(found.field_types) == ["so_dien_thoai"] and list(found.report_formats) == ["markdown"]
    assert found.report_formats["markdown"].plugin == "a_first"  # a_first's, not the clashing c_clash's


def _takes_a_builtin(registry: plugins.Registry) -> None:
    registry.add_report_format("xlsx", "Excel", lambda rows: b"")
    registry.add_field_type("number", "Số", float)


def test_the_other_registries(installed: None) -> None:
    def register(registry: plugins.Registry) -> None:
        registry.add_report_format("ods", "OpenDocument", lambda data, config: b"")
        registry.add_notification_channel("zalo", "Zalo", lambda message: None)
        registry.add_task_action("nhac_viec", "Nhắc việc", lambda task: None)

    found = plugins.Plugins()
    registry = plugins.Registry("x", found)
    register(registry)
    assert (list(registry.report_formats), list(registry.notification_channels), list(registry.task_actions)) == (
        ["ods"], ["zalo"], ["nhac_viec"]
    )
    assert (registry.report_formats["ods"].extension, registry.report_formats["ods"].mime) == (
        "ods", "application/octet-stream"
    )
    with pytest.raises(ValueError, match="mã chỉ gồm"):
        registry.add_task_action("Nhắc", "x", lambda task: None)
    with pytest.raises(ValueError, match="“csv” đã có"):  # a built-in format's key
        registry.add_report_format("csv", "CSV", lambda data, config: b"")
    with pytest.raises(ValueError, match=re.escape("phần mở rộng tệp “.md”")):
        registry.add_report_format("md", "Markdown", lambda data, config: b"", extension=".md")
    with pytest.raises(ValueError, match="kiểu tệp"):
        registry.add_report_format("md", "Markdown", lambda data, config: b"", mime="<script>")


def test_the_plugin_type_is_offered_and_validates(
    installed: None, runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    admin_fields.create_field(
        session=session, actor=actors["admin"], key="dien_thoai", label="Điện thoại đầu mối",
        kind="so_dien_thoai", target="task", required=True, roles=["tracker", "admin"],
    )

    def data(phone: str, code: str) -> AssignmentCreate:
        return AssignmentCreate(
            code=code, issue_date=TODAY, issuer="ubnd_tinh", doc_type="cong_van", summary="S", signer="A",
            tasks=[TaskCreate(content="Việc", lead_unit_code=FINANCE, deadline=TODAY + timedelta(days=5),
                              custom={"dien_thoai": phone})],
        )

    before = row_counts(session)
    with pytest.raises(InvalidInput) as refused:
        create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data("12345", "1/A"))
    session.rollback()
    assert refused.value.field == "tasks.1.custom.dien_thoai"
    assert refused.value.message.startswith("Nhiệm vụ 1 — Điện thoại đầu mối: “12345” không phải số điện thoại")
    assert row_counts(session) == before
    doc = create_assignment(
        session=session, actor=actors["tracker"], config=runtime.config, data=data("+84 912.345.678", "2/A")
    )
    (value,) = session.exec(select(CustomValue.value)).all()
    assert value == "0912345678"
    (task_id,) = session.exec(select(Task.id).where(Task.document_id == doc.id)).all()
    shown = task_values(session=session, actor=actors["tracker"], task_id=task_id or 0, document_id=doc.id or 0)
    assert [v.text for v in shown] == ["0912 345 678"]
    (field,) = visible_fields(session=session, actor=actors["admin"])
    assert display(field, "02693824567") == "0269 3824 567"


# --- discovered at start; the report format and the notification channels wired ---------------


def test_discovered_at_start_a_broken_plugin_is_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    example_plugin.install(tmp_path / "site", monkeypatch, entry="no_such_module_xyz:register")
    try:
        with caplog.at_level(logging.INFO, logger="giaoviec.plugins"):
            found = plugins.discover_at_start()
        assert [i.name for i in found.infos] == ["example"] and "ModuleNotFoundError" in found.infos[0].error
        assert [r.levelname for r in caplog.records] == ["WARNING"]
        assert "plugin example (no_such_module_xyz:register) not loaded" in caplog.records[0].getMessage()
        assert plugins.plugins() is found  # the pages read what the start found
    finally:
        example_plugin.forget()


def _march(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    data = AssignmentCreate(
        code="5/UBND-KT", issue_date=date(2026, 3, 2), issuer="ubnd_tinh", doc_type="cong_van",
        summary="V/v báo cáo | quý", signer="A",
        tasks=[TaskCreate(content="Việc", lead_unit_code=FINANCE, deadline=date(2026, 3, 10)),
               TaskCreate(content="Việc 2", lead_unit_code=PLEIKU, deadline=date(2026, 5, 10))],
    )
    create_assignment(session=session, actor=actors["tracker"], config=runtime.config, data=data,
                      now=at(date(2026, 3, 2)))


def test_the_example_report_format_from_the_service_and_the_command_line(
    installed: None,
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _march(runtime, session, actors)
    (info,) = [i for i in plugins.plugins().infos if i.name == "example"]
    assert info.report_formats == ["markdown"]
    fmt = find_format("markdown")
    assert fmt is not None and (fmt.label, fmt.extension, fmt.mime) == ("Markdown", "md", "text/markdown")
    period = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=date(2026, 4, 15))
    data = report_data(session=session, config=runtime.config, period=period, today=date(2026, 4, 15))
    text = render_report(fmt=fmt, data=data, config=runtime.config).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Báo cáo tình hình thực hiện nhiệm vụ"
    assert lines[2] == "Tháng 03 năm 2026 (từ ngày 01/03/2026 đến ngày 31/03/2026). Số liệu tính đến ngày 31/03/2026."
    assert lines[4] == "| " + " | ".join(STATS_HEADER) + " |"
    # the same lines as the built-in files: Sở Tài chính's task overdue, Pleiku's in time
    table = {line.split(" | ")[1]: line for line in lines[6:]}
    assert table["Sở Tài chính"] == "| 1 | Sở Tài chính | 1 | 1 | 0 | 0 | 0 | 1 | 0,0 | 0 |"
    assert table["UBND TP Pleiku"] == "| 2 | UBND TP Pleiku | 1 | 1 | 0 | 0 | 1 | 0 | 0,0 | 0 |"
    assert lines[-1] == "|  | Tổng cộng | 1 | 2 | 0 | 0 | 1 | 1 | 0,0 | 0 |"
    # manage.py report --format markdown, in this process, on this database
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", runtime.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GIAOVIEC_DATA_DIR", str(runtime.settings.data_dir))
    monkeypatch.setenv("GIAOVIEC_SECRET_KEY", SECRET)
    get_settings.cache_clear()
    out = tmp_path / "bao-cao.md"
    try:
        code = manage.main(["report", "--from", "2026-03-01", "--to", "31/03/2026", "--format", "markdown",
                            "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert code == 0, capsys.readouterr().err  # (its "Đã ghi …" goes to the stdout bound at import)
    assert out.read_text(encoding="utf-8").splitlines()[4:] == lines[4:]
    stdout, again = io.StringIO(), tmp_path / "lai.md"
    assert command_run(runtime=runtime, date_from="2026-03-01", date_to="2026-03-31", preset=None, fmt=" Markdown ",
                       out=str(again), today=date(2026, 4, 15), stdout=stdout, stderr=io.StringIO()) == 0
    assert stdout.getvalue() == f"Đã ghi {again} (markdown, kỳ 01/03/2026 – 31/03/2026).\n"
    assert again.read_text(encoding="utf-8").splitlines() == lines  # the same day: the same file
    # without the plugin, the key is refused and names what there is
    plugins.reset()
    monkeypatch.setattr(plugins, "discover", lambda entries=None: plugins.Plugins())
    with pytest.raises(InvalidInput, match=re.escape("Định dạng “markdown” không có: chọn một trong xlsx, docx, csv.")):
        read_request(date_from="2026-03-01", date_to="2026-03-31", preset=None, fmt="markdown",
                     out=str(out), today=date(2026, 4, 15))


def test_a_failing_report_format_is_refused_and_writes_nothing(
    runtime: Runtime, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(data: object, config: object) -> bytes:
        raise RuntimeError("boom")

    found = plugins.Plugins()
    registry = plugins.Registry("giaoviec-hong", found)
    registry.add_report_format("hong", "Hỏng", broken, extension="txt")
    registry.add_report_format("sai", "Sai", lambda data, config: 42)  # type: ignore[arg-type, return-value]
    found.report_formats.update(registry.report_formats)
    monkeypatch.setattr(plugins, "plugins", lambda: found)
    import services.reports.plugin_formats as plugin_formats

    monkeypatch.setattr(plugin_formats, "plugins", lambda: found)
    stderr, folder = io.StringIO(), tmp_path / "out"
    folder.mkdir()
    with caplog.at_level(logging.ERROR, logger="giaoviec.plugins"):
        code = command_run(runtime=runtime, date_from="2026-03-01", date_to="2026-03-31", preset=None, fmt="hong",
                           out=str(folder / "a.txt"), today=date(2026, 4, 15), stdout=io.StringIO(), stderr=stderr)
    assert code == 1
    assert stderr.getvalue() == (
        "Định dạng báo cáo “Hỏng” (phần mở rộng giaoviec-hong) bị lỗi (RuntimeError); không tạo được tệp.\n"
    )
    assert "RuntimeError: boom" in caplog.text  # the traceback for the administrator
    assert list(folder.iterdir()) == []
    period = make_period(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), today=date(2026, 4, 15))
    data = report_data(session=session, config=runtime.config, period=period, today=date(2026, 4, 15))
    with pytest.raises(ServiceError, match=r"“Sai” .* không trả về nội dung tệp"):
        render_report(fmt=found.report_formats["sai"], data=data, config=runtime.config)


def _channels(monkeypatch: pytest.MonkeyPatch, *sends: tuple[str, Any]) -> None:
    found = plugins.Plugins()
    registry = plugins.Registry("giaoviec-kenh", found)
    for key, send in sends:
        registry.add_notification_channel(key, key, send)
    found.notification_channels.update(registry.notification_channels)
    monkeypatch.setattr(channels, "plugins", lambda: found)


def test_each_new_notification_goes_to_the_channels_after_the_commit_and_a_failing_one_breaks_nothing(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[channels.ChannelMessage] = []
    committed: list[int] = []

    def record(message: channels.ChannelMessage) -> None:
        # called after the commit: the notification is already there for another connection
        with Session(runtime.engine) as other:
            committed.append(len(other.exec(select(Notification.id)).all()))
        heard.append(message)

    def broken(message: channels.ChannelMessage) -> None:
        raise ConnectionError("Zalo không trả lời")

    _channels(monkeypatch, ("a_broken", broken), ("b_record", record))
    with caplog.at_level(logging.ERROR, logger="giaoviec.plugins"):
        _march(runtime, session, actors)
    # Sở Tài chính's and Pleiku's clerks and leaders of the test world: one message per notification
    rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert [m.notification_id for m in heard] == [n.id for n in rows] and len(rows) >= 2
    first = heard[0]
    clerk = actors["clerk"]
    by_user = {m.user_id: m for m in heard}
    assert by_user[clerk.user_id].username == "stc.vanthu"
    assert (first.kind, first.action, first.document_code, first.actor_name) == (
        "new_task", "assigned", "5/UBND-KT", actors["tracker"].full_name
    )
    assert committed == [len(rows)] * len(rows)
    assert caplog.text.count("notification channel a_broken of plugin giaoviec-kenh failed") == len(rows)
    assert session.exec(select(Document).where(Document.code == "5/UBND-KT")).one()  # the action stands


def test_a_refused_action_reaches_no_channel(
    runtime: Runtime, session: Session, actors: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[channels.ChannelMessage] = []
    _channels(monkeypatch, ("record", heard.append))
    _march(runtime, session, actors)
    before = len(heard)
    with pytest.raises(InvalidInput):  # the same số/ký hiệu again: refused, rolled back
        _march(runtime, session, actors)
    session.rollback()
    assert len(heard) == before > 0
    assert channels.deliver_to_channels([], {}) == 0
