"""The configuration as data (issue 10, parts 3 and 7): versions in ``config_version``, saved,
restored and imported by an admin through ``services.admin.config_admin``; ``config/*.yaml`` is
the seed and the exchange format."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, func, select

from models import AdminChange, AdminEntity, ConfigVersion
from services.access.permissions import Actor
from services.admin import config_admin
from services.admin.config_admin import CalendarYear, SettingsEdit
from services.config import store
from services.config.loader import load_config
from services.infra.clock import local_date, now_utc
from services.infra.database import make_engine
from services.infra.errors import Conflict, InvalidInput, PermissionDenied
from services.infra.settings import ROOT
from services.runtime import Runtime, start
from services.stats.period import Period
from services.stats.span_figures import list_counts
from services.tasks.assignment import working_day_deadline
from tests.conftest import FINANCE
from tests.services.support import assign, task

SEED = ROOT / "config"
ISSUERS = [("ubnd_tinh", "UBND tỉnh"), ("chu_tich_ubnd_tinh", "Chủ tịch UBND tỉnh")]


def _count(session: Session, model: type[ConfigVersion] | type[AdminChange]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _save(session: Session, actor: Actor, edit: SettingsEdit, based_on: int | None = None) -> ConfigVersion:
    return config_admin.save_settings(session=session, actor=actor, edit=edit, based_on=based_on, config_dir=SEED)


def test_no_version_stored_the_seed_yaml_is_in_force(runtime: Runtime, session: Session) -> None:
    assert store.current_version_id(session) == 0
    assert runtime.current() is runtime
    assert runtime.config == load_config(SEED)
    version, files = store.current_files(session=session, config_dir=SEED)
    assert version == 0
    assert files == {name: (SEED / name).read_text(encoding="utf-8") for name in store.VERSIONED}


def test_a_save_is_a_new_version_with_a_journal_row(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    edit = SettingsEdit(issuers=[("ubnd_tinh", "Ủy ban nhân dân tỉnh"), ISSUERS[1]])
    row = _save(session, actors["admin"], edit, based_on=0)
    versions = store.list_versions(session=session)
    assert [(v.id, v.action) for v in versions] == [(2, "save"), (1, "seed")]  # the seed first, then the save
    assert versions[1].files == store.seed_files(SEED)
    assert row.author_user_id == actors["admin"].user_id
    assert runtime.current().config.app.issuers["ubnd_tinh"] == "Ủy ban nhân dân tỉnh"
    assert runtime.current().config_version == 2
    (change,) = session.exec(select(AdminChange).where(AdminChange.entity == AdminEntity.CONFIG)).all()
    assert (change.entity_key, change.action, change.actor_user_id) == ("2", "save", actors["admin"].user_id)
    assert change.before == {"app.issuers.ubnd_tinh": "UBND tỉnh"}  # the changed keys only
    assert change.after == {"app.issuers.ubnd_tinh": "Ủy ban nhân dân tỉnh"}
    # a second save is based on version 2; a form drawn from version 0 is refused, not overwritten
    with pytest.raises(Conflict):
        _save(session, actors["admin"], SettingsEdit(parameters={"due_soon_days": 5}), based_on=0)
    assert _count(session, ConfigVersion) == 2


def test_only_an_admin_saves(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        _save(session, actors["tracker"], SettingsEdit(parameters={"due_soon_days": 5}))
    assert _count(session, ConfigVersion) == 0


def test_restoring_a_version_restores_behaviour(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    """A label shown, a deadline in working days, a due-soon figure: changed by a save, back as
    they were after restoring version 1 (the seed); the restore is a new version."""
    admin = actors["admin"]
    issued = date(2027, 4, 1)  # a Thursday; Friday 2 April a working day in the seed
    seed_deadline = working_day_deadline(issue_date=issued, working_days=1, config=runtime.config)
    assert seed_deadline == date(2027, 4, 2)
    today = local_date(now_utc())
    assign(
        runtime,
        session,
        actors["tracker"],
        code="1/UBND",
        issued=today,
        tasks=[task("Báo cáo", FINANCE, today + timedelta(days=5))],
    )
    period = Period(date_from=today, date_to=today, as_of=today)

    def due_soon(rt: Runtime) -> int:
        return list_counts(session=session, period=period, due_soon_days=rt.config.app.due_soon_days).due_soon

    assert due_soon(runtime) == 0  # 5 days away, the seed says 3
    _save(
        session,
        admin,
        SettingsEdit(
            issuers=[("ubnd_tinh", "UBND tỉnh Gia Lai"), ISSUERS[1]],
            parameters={"due_soon_days": 7},
            calendar=CalendarYear(year=2027, days_off=(date(2027, 4, 2),)),
        ),
    )
    changed = runtime.current()
    assert changed.config.app.issuers["ubnd_tinh"] == "UBND tỉnh Gia Lai"
    assert working_day_deadline(issue_date=issued, working_days=1, config=changed.config) == date(2027, 4, 5)
    assert due_soon(changed) == 1

    row = config_admin.restore_version(session=session, actor=admin, version_id=1, config_dir=SEED)
    assert (row.id, row.action, row.restored_from) == (3, "restore", 1)
    back = runtime.current()
    assert back.config_version == 3
    assert back.config.app.issuers["ubnd_tinh"] == "UBND tỉnh"
    assert working_day_deadline(issue_date=issued, working_days=1, config=back.config) == seed_deadline
    assert due_soon(back) == 0
    journal = session.exec(select(AdminChange).order_by(AdminChange.id)).all()
    assert [(c.entity_key, c.action) for c in journal] == [("2", "save"), ("3", "restore")]
    assert journal[1].before is not None and journal[1].before["app.due_soon_days"] == 7


def test_a_day_off_moves_the_preview_and_the_deadline(runtime: Runtime, session: Session) -> None:
    start_day = date(2027, 4, 1)
    typed = CalendarYear(year=2027, days_off=(date(2027, 4, 2),))
    assert config_admin.deadline_preview(config=runtime.config, start=start_day, working_days=1) == date(2027, 4, 2)
    moved = config_admin.deadline_preview(config=runtime.config, start=start_day, working_days=1, calendar=typed)
    assert moved == date(2027, 4, 5)
    # a Saturday made a working day
    on_saturday = CalendarYear(year=2027, working_days=(date(2027, 4, 3),))
    start_friday = date(2027, 4, 2)
    assert config_admin.deadline_preview(
        config=runtime.config, start=start_friday, working_days=1, calendar=on_saturday
    ) == date(2027, 4, 3)


def test_the_calendar_keeps_other_years(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    admin = actors["admin"]
    _save(session, admin, SettingsEdit(calendar=CalendarYear(year=2027, days_off=(date(2027, 4, 2),))))
    _save(session, admin, SettingsEdit(calendar=CalendarYear(year=2028, working_days=(date(2028, 1, 8),))))
    app = runtime.current().config.app
    assert app.extra_days_off == [date(2027, 4, 2)]
    assert app.extra_working_days == [date(2028, 1, 8)]


@pytest.mark.parametrize(
    ("edit", "field", "fragments"),
    [
        (
            SettingsEdit(task_classes={"done_on_time": ("Hoàn thành đúng hạn", "red")}),
            "task_classes",
            ["Hoàn thành đúng hạn", "màu", "“red”", "#rrggbb"],
        ),
        (
            SettingsEdit(parameters={"due_soon_days": -1}),
            "due_soon_days",
            ["“sắp đến hạn”", "“-1”", "lớn hơn hoặc bằng 0"],
        ),
        (
            SettingsEdit(parameters={"ranking_min_tasks": 0}),
            "ranking_min_tasks",
            ["Số nhiệm vụ tối thiểu để được xếp hạng: “0” phải lớn hơn hoặc bằng 1"],
        ),
        (
            SettingsEdit(parameters={"ranking_min_tasks": 1001}),
            "ranking_min_tasks",
            ["Số nhiệm vụ tối thiểu để được xếp hạng: “1001” phải nhỏ hơn hoặc bằng 1000"],
        ),
        (SettingsEdit(task_statuses={"open": "  "}), "task_statuses", ["Trạng thái nhiệm vụ", "không được để trống"]),
        (
            SettingsEdit(issuers=[("ubnd_tinh", "")]),
            "issuers",
            ["Cơ quan ban hành", "dòng 1", "nhãn không được để trống"],
        ),
        (SettingsEdit(issuers=[*ISSUERS, ("ubnd_tinh", "UBND")]), "issuers", ["dòng 3", "“ubnd_tinh”", "bị trùng"]),
        (SettingsEdit(document_types=[("cong van", "Công văn")]), "document_types", ["Loại văn bản", "“cong van”"]),
        (
            SettingsEdit(calendar=CalendarYear(year=2027, days_off=(date(2028, 1, 2),))),
            "extra_days_off",
            ["Ngày nghỉ bù", "02/01/2028", "năm 2027"],
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    runtime: Runtime, session: Session, actors: dict[str, Actor], edit: SettingsEdit, field: str, fragments: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        _save(session, actors["admin"], edit)
    errors = caught.value.errors
    assert field in [e.field for e in errors]
    message = " ".join(e.message for e in errors)
    for fragment in fragments:
        assert fragment in message, message
    session.rollback()
    assert _count(session, ConfigVersion) == 0
    assert _count(session, AdminChange) == 0
    assert runtime.current() is runtime


def test_an_issuer_in_use_cannot_be_removed(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    assign(
        runtime,
        session,
        actors["tracker"],
        code="2/UBND",
        issued=date(2026, 3, 2),
        tasks=[task("Việc", FINANCE, date(2026, 3, 30))],
        issuer="chu_tich_ubnd_tinh",
    )
    with pytest.raises(InvalidInput) as caught:
        _save(session, actors["admin"], SettingsEdit(issuers=[ISSUERS[0]]))
    assert "chu_tich_ubnd_tinh" in caught.value.message and "đã có văn bản dùng" in caught.value.message


def _unzip(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder / "config"


def test_export_then_import_round_trip(
    runtime: Runtime, session: Session, actors: dict[str, Actor], tmp_path: Path
) -> None:
    admin = actors["admin"]
    _save(session, admin, SettingsEdit(issuers=[("ubnd_tinh", "UBND tỉnh (xuất)"), ISSUERS[1]]))
    exported = config_admin.export_config(actor=admin, session=session, config_dir=SEED)
    folder = _unzip(exported, tmp_path / "export")
    assert sorted(p.name for p in folder.iterdir()) == ["app.yaml", "org.yaml", "roles.yaml", "workflows.yaml"]
    # a new installation accepts it as its config/
    assert load_config(folder).app.issuers["ubnd_tinh"] == "UBND tỉnh (xuất)"
    config_admin.restore_version(session=session, actor=admin, version_id=1, config_dir=SEED)
    assert runtime.current().config.app.issuers["ubnd_tinh"] == "UBND tỉnh"
    row = config_admin.import_config(
        session=session, actor=admin, uploads=[("cau-hinh.zip", exported)], config_dir=SEED
    )
    assert row.action == "import" and "org.yaml" in row.note  # the units are not imported
    assert runtime.current().config.app.issuers["ubnd_tinh"] == "UBND tỉnh (xuất)"
    # and a new installation seeded from the export starts with it
    fresh = start(
        settings=runtime.settings.model_copy(update={"data_dir": tmp_path / "fresh", "config_dir": folder}),
        database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
    )
    assert fresh.config.app.issuers["ubnd_tinh"] == "UBND tỉnh (xuất)"
    fresh.engine.dispose()


def _app_yaml_with(change: str) -> bytes:
    text = (SEED / "app.yaml").read_text(encoding="utf-8")
    return text.replace("due_soon_days: 3", change, 1).encode("utf-8")


def _line(text: bytes, fragment: str) -> int:
    return next(i for i, line in enumerate(text.decode().splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize(
    ("change", "at", "fragments"),
    [
        ("due_soon_days: 3: 4", "due_soon_days: 3: 4", ["app.yaml dòng", "YAML không hợp lệ"]),
        ("due_soon_dayz: 3", "due_soon_dayz", ["app.yaml dòng", "trường due_soon_dayz"]),
        ("due_soon_days: -2", "due_soon_days: -2", ["app.yaml dòng", "trường due_soon_days"]),
        ('due_soon_days: 3\napp_name: "Lặp"', 'app_name: "Lặp"', ["app.yaml dòng", "app_name", "bị lặp lại"]),
    ],
)
def test_a_bad_yaml_import_changes_nothing_and_names_field_and_line(
    runtime: Runtime, session: Session, actors: dict[str, Actor], change: str, at: str, fragments: list[str]
) -> None:
    data = _app_yaml_with(change)
    with pytest.raises(InvalidInput) as caught:
        config_admin.import_config(
            session=session, actor=actors["admin"], uploads=[("app.yaml", data)], config_dir=SEED
        )
    message = caught.value.message
    for fragment in fragments:
        assert fragment in message, message
    assert f"app.yaml dòng {_line(data, at)}" in message, message
    assert str(ROOT) not in message and "/tmp" not in message  # the file's name only
    session.rollback()
    assert _count(session, ConfigVersion) == 0 and _count(session, AdminChange) == 0


def test_an_import_of_an_unknown_file_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    with pytest.raises(InvalidInput) as caught:
        config_admin.import_config(
            session=session, actor=actors["admin"], uploads=[("users.yaml", b"a: 1\n")], config_dir=SEED
        )
    assert "users.yaml" in caught.value.message
    assert _count(session, ConfigVersion) == 0


def test_a_second_process_sees_the_new_version_at_its_next_read(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Another server process: its own engine on the same database, its runtime started before the save."""
    other = Runtime(
        settings=runtime.settings,
        config=runtime.config,
        engine=make_engine(runtime.engine.url.render_as_string(hide_password=False)),
    )
    try:
        assert other.current().config.app.due_soon_days == 3
        _save(session, actors["admin"], SettingsEdit(parameters={"due_soon_days": 9}))
        assert other.current().config.app.due_soon_days == 9
        assert other.current().config is other.current().config  # validated once per version
    finally:
        other.engine.dispose()


def test_the_diff_of_two_versions(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _save(session, actors["admin"], SettingsEdit(parameters={"due_soon_days": 4}))
    one, two = (store.get_version(session=session, version_id=i) for i in (1, 2))
    assert one is not None and two is not None
    text = store.diff(one.files, two.files, old_name="v1", new_name="v2")
    assert "-due_soon_days: 3" in text and "+due_soon_days: 4" in text
    assert "v1/app.yaml" in text and "roles.yaml" not in text
    assert yaml.safe_load(two.files["app.yaml"])["due_soon_days"] == 4


def test_the_ranking_threshold_is_saved_and_journaled(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Xếp hạng và xu hướng reads ``ranking_min_tasks`` of the version in force at its next run."""
    assert runtime.current().config.app.ranking_min_tasks == 5
    _save(session, actors["admin"], SettingsEdit(parameters={"ranking_min_tasks": 12}), based_on=0)
    assert runtime.current().config.app.ranking_min_tasks == 12
    change = session.exec(select(AdminChange)).one()
    assert (change.before, change.after) == ({"app.ranking_min_tasks": 5}, {"app.ranking_min_tasks": 12})


def test_a_command_line_start_uses_the_version_in_force(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """manage.py and the scripts call ``start``: they get the stored version, not the seed YAML."""
    _save(session, actors["admin"], SettingsEdit(parameters={"monitor_chart_units": 42}))
    again = start(settings=runtime.settings, database_url=runtime.engine.url.render_as_string(hide_password=False))
    try:
        assert again.config_version == 2
        assert again.config.app.monitor_chart_units == 42
        assert load_config(SEED).app.monitor_chart_units == 20  # the seed is unchanged
    finally:
        again.engine.dispose()
