"""Backup and restore (``services/infra/backup.py``, ``manage.py backup`` / ``restore``), on SQLite
and, under ``GIAOVIEC_TEST_BACKEND=postgresql``, on the real PostgreSQL server with pg_dump.

The backup is taken while two threads keep assigning documents through the services; the copy
must be the database as of one moment (every task with its document and its journal entry), and
a restore into a fresh database must hold exactly what the backup said it held.
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, col, select

import manage
from models import Document, EventAction, Task, TaskEvent
from services.access.permissions import Actor
from services.infra.backup import (
    Contents,
    JournalEntry,
    backup,
    backup_contents,
    backups_in,
    database_contents,
    prune,
    restore,
)
from services.infra.clock import now_utc
from services.infra.database import make_engine
from services.infra.errors import Conflict, InvalidInput
from services.infra.settings import get_settings
from services.runtime import Runtime
from tests import postgres_server
from tests.conftest import FINANCE, PLEIKU
from tests.services.conftest import BACKEND
from tests.services.support import SECRET, assign, task

ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 4, 30)
WAIT_S = 120.0
SUFFIX = ".dump" if BACKEND == "postgresql" else ".sqlite3"


def url_of(runtime: Runtime) -> str:
    return runtime.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into (a file that does not exist yet, or a new database)."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored' / 'giaoviec.db'}"
        return
    server = postgres_server.current()
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_backup_taken_while_writing_restores_to_the_same_rows(
    runtime: Runtime, actors: dict[str, Actor], tmp_path: Path, fresh_url: str
) -> None:
    stop = threading.Event()
    written = [0, 0]
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            with Session(runtime.engine, expire_on_commit=False) as session:
                while not stop.is_set():
                    n = written[k] + 1
                    lead = FINANCE if k == 0 else PLEIKU
                    assign(
                        runtime,
                        session,
                        actors["tracker"],
                        code=f"{n}/UBND-T{k}",
                        issued=ISSUED,
                        tasks=[task(f"Nhiệm vụ {n} của luồng {k}", lead, DEADLINE)],
                    )
                    written[k] = n
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in (0, 1)]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: min(written) >= 3 or bool(errors), "three documents from each writer")
        folder = tmp_path / "backups"
        result = backup(database_url=url_of(runtime), folder=folder, keep=3, now=now_utc())
        after_backup = sum(written)
        wait_for(lambda: sum(written) >= after_backup + 2 or bool(errors), "writes after the backup")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=WAIT_S)
    assert errors == []

    with Session(runtime.engine) as session:
        final_documents = session.exec(select(func.count()).select_from(Document)).one()
    backed_up = result.contents
    assert 6 <= backed_up.counts["document"] < final_documents  # taken in the middle of the writing
    assert backed_up.counts["task"] == backed_up.counts["document"]
    assert backed_up.latest is not None and backed_up.latest.action == EventAction.ASSIGNED.value

    # The file: dated, private, the only one in a private folder.
    assert result.path.parent == folder and result.path.name.startswith("giaoviec-")
    assert result.path.suffix == SUFFIX
    assert mode(result.path) == 0o600
    assert mode(folder) == 0o700
    assert sorted(folder.iterdir()) == [result.path]
    assert result.size == result.path.stat().st_size > 0

    restored = restore(database_url=fresh_url, source=result.path)
    assert restored.differences == []
    assert restored.expected == backed_up  # what backup reported is exactly what its file holds
    assert restored.actual == backed_up

    # Read again through the app's own engine: one moment, not half of a write.
    engine = make_engine(fresh_url)
    try:
        with Session(engine) as session:
            documents = session.exec(select(func.count()).select_from(Document)).one()
            tasks = session.exec(select(func.count()).select_from(Task)).one()
            assigned = session.exec(
                select(func.count()).select_from(TaskEvent).where(TaskEvent.action == EventAction.ASSIGNED)
            ).one()
            latest = session.exec(select(TaskEvent).order_by(col(TaskEvent.id).desc())).first()
            orphans = session.exec(
                select(func.count()).select_from(Task).where(~col(Task.id).in_(select(TaskEvent.task_id)))
            ).one()
        assert documents == tasks == assigned == backed_up.counts["document"]
        assert orphans == 0
        assert latest is not None and (latest.id, latest.task_id) == (backed_up.latest.id, backed_up.latest.task_id)
    finally:
        engine.dispose()


def test_the_backup_keeps_the_newest_n(runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "ghi-chu.txt").write_text("không phải bản sao lưu", encoding="utf-8")
    (folder / "giaoviec-cu.sqlite3").write_text("tên khác mẫu", encoding="utf-8")
    start = datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    made = [
        backup(database_url=url_of(runtime), folder=folder, keep=2, now=start + timedelta(days=d)) for d in range(4)
    ]
    assert [len(r.removed) for r in made] == [0, 0, 1, 1]
    assert made[2].removed == [made[0].path] and made[3].removed == [made[1].path]
    assert backups_in(folder) == [made[3].path, made[2].path]
    assert made[3].path.name == f"giaoviec-2026-11-23T011500Z{SUFFIX}"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["ghi-chu.txt", "giaoviec-cu.sqlite3", made[2].path.name, made[3].path.name]
    )
    # Two in the same second: the second is "-2" and counts as the newer.
    same = backup(database_url=url_of(runtime), folder=folder, keep=2, now=start + timedelta(days=3))
    assert same.path.name == f"giaoviec-2026-11-23T011500Z-2{SUFFIX}"
    assert backups_in(folder) == [same.path, made[3].path]
    assert all(mode(p) == 0o600 for p in backups_in(folder))


def test_prune_orders_by_the_name_not_the_file_time(tmp_path: Path) -> None:
    names = [
        "giaoviec-2026-11-01T000000Z.sqlite3",
        "giaoviec-2026-11-02T000000Z.dump",
        "giaoviec-2026-11-02T000000Z-2.dump",
        "giaoviec-2026-11-02T000000Z-10.dump",
        "giaoviec-2026-11-03T000000Z.sqlite3.partial",
    ]
    for age, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + age * (-1000), 1_000_000 + age * (-1000)))  # older files look newer
    removed = prune(folder=tmp_path, keep=2)
    assert sorted(p.name for p in removed) == [
        "giaoviec-2026-11-01T000000Z.sqlite3",
        "giaoviec-2026-11-02T000000Z.dump",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "giaoviec-2026-11-02T000000Z-10.dump",
        "giaoviec-2026-11-02T000000Z-2.dump",
        "giaoviec-2026-11-03T000000Z.sqlite3.partial",
    ]
    with pytest.raises(InvalidInput, match="ít nhất là 1"):
        prune(folder=tmp_path, keep=0)


def test_restore_refuses_a_database_that_is_not_empty(
    runtime: Runtime, actors: dict[str, Actor], tmp_path: Path
) -> None:
    result = backup(database_url=url_of(runtime), folder=tmp_path / "b", keep=1, now=now_utc())
    before = database_contents(database_url=url_of(runtime))
    with pytest.raises(Conflict, match=r"không trống \(\d+ bảng: admin_change, alembic_version, api_token") as refused:
        restore(database_url=url_of(runtime), source=result.path)
    assert "Chỉ khôi phục vào một cơ sở dữ liệu trống" in refused.value.message
    assert database_contents(database_url=url_of(runtime)) == before


def test_restore_refuses_a_file_that_is_no_backup(runtime: Runtime, tmp_path: Path, fresh_url: str) -> None:
    junk = tmp_path / "giaoviec-2026-11-26T061000Z.sqlite3"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(InvalidInput, match="không phải tệp sao lưu của Giao việc"):
        restore(database_url=fresh_url, source=junk)
    with pytest.raises(InvalidInput, match="Không có tệp"):
        restore(database_url=fresh_url, source=tmp_path / "missing.dump")
    # A backup of the other kind of database.
    other = tmp_path / "other"
    other.write_bytes(b"PGDMP\x01\x0e" if BACKEND != "postgresql" else b"SQLite format 3\x00")
    with pytest.raises(InvalidInput, match="còn cơ sở dữ liệu đích là"):
        restore(database_url=fresh_url, source=other)
    assert database_contents(database_url=fresh_url).counts == {}


def test_differences_name_the_table_and_the_journal_entry() -> None:
    entry = JournalEntry(id=9, task_id=3, at="2026-11-26T06:10:00+00:00", action="note")
    backed_up = Contents(counts={"task": 3, "task_event": 9}, latest=entry)
    restored = Contents(counts={"task": 3, "task_event": 8}, latest=JournalEntry(8, 3, entry.at, "note"))
    assert backed_up.differences(backed_up) == []
    assert backed_up.differences(restored) == [
        "bảng task_event: bản sao lưu 9, sau khôi phục 8",
        "mục nhật ký mới nhất: bản sao lưu #9 (nhiệm vụ 3, note, 2026-11-26T06:10:00+00:00), "
        "sau khôi phục #8 (nhiệm vụ 3, note, 2026-11-26T06:10:00+00:00)",
    ]


@pytest.mark.skipif(BACKEND != "postgresql", reason="pg_dump: PostgreSQL only")
def test_pg_dump_gets_the_password_from_the_environment(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(command: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append((list(command), dict(kwargs.get("env") or {})))
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr("services.infra.backup.subprocess.run", spy)
    result = backup(database_url=url_of(runtime), folder=tmp_path, keep=1, now=now_utc())
    assert result.path.read_bytes().startswith(b"PGDMP")
    [(command, env)] = calls
    assert command[0].endswith("/pg_dump") and "-Fc" in command
    assert any(arg.startswith("--snapshot=") for arg in command)
    assert all(postgres_server.PASSWORD not in arg for arg in command)
    assert env["PGPASSWORD"] == postgres_server.PASSWORD
    assert backup_contents(source=result.path) == result.contents


# --- the commands ---------------------------------------------------------------------------------


def test_backup_and_restore_commands(
    runtime: Runtime,
    actors: dict[str, Actor],
    session: Session,
    tmp_path: Path,
    fresh_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assign(runtime, session, actors["tracker"], code="1/UBND", issued=ISSUED, tasks=[task("Một", FINANCE, DEADLINE)])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", url_of(runtime))
    monkeypatch.setenv("GIAOVIEC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GIAOVIEC_SECRET_KEY", SECRET)
    monkeypatch.setenv("GIAOVIEC_BACKUP_DIR", str(tmp_path / "sao-luu"))
    monkeypatch.setenv("GIAOVIEC_BACKUP_KEEP", "2")
    get_settings.cache_clear()
    try:
        codes = []
        for _ in range(3):
            codes.append(manage.main(["backup"]))
            time.sleep(1.05)  # one file name per second
        out = capsys.readouterr().out
        assert codes == [0, 0, 0]
        assert out.count("Đã sao lưu vào") == 3 and out.count("Đã xoá 1 bản cũ") == 1
        assert "nhiệm vụ 1, mục nhật ký 1" in out
        kept = backups_in(tmp_path / "sao-luu")
        assert len(kept) == 2
        assert manage.main(["backup", "--dir", str(tmp_path / "khac"), "--keep", "1"]) == 0
        assert len(backups_in(tmp_path / "khac")) == 1
        with pytest.raises(SystemExit) as usage:
            manage.main(["backup", "--keep", "0"])
        assert usage.value.code == 2
        capsys.readouterr()

        assert manage.main(["restore", str(kept[0])]) == 1  # the live database is not empty
        assert "không trống" in capsys.readouterr().err

        monkeypatch.setenv("GIAOVIEC_DATABASE_URL", fresh_url)
        get_settings.cache_clear()
        assert manage.main(["restore", str(kept[0])]) == 0
        out = capsys.readouterr().out
        assert f"Đã khôi phục {kept[0].name}. Đối chiếu với bản sao lưu: khớp" in out
        assert "nhiệm vụ 1, mục nhật ký 1," in out and "; mục nhật ký mới nhất #1 (nhiệm vụ 1, assigned," in out
        assert manage.main(["restore", str(kept[0])]) == 1
    finally:
        get_settings.cache_clear()
    engine = make_engine(fresh_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT code FROM document")).scalars().all() == ["1/UBND"]
    finally:
        engine.dispose()


def test_an_unreachable_database_is_one_sentence_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", "postgresql+psycopg://giaoviec:bi-mat-lam@127.0.0.1:1/giaoviec")
    monkeypatch.setenv("GIAOVIEC_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        assert manage.main(["backup", "--dir", str(tmp_path / "b")]) == 1
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Không đọc/ghi được cơ sở dữ liệu: (psycopg.OperationalError) connection failed")
    assert "bi-mat-lam" not in err and err.count("\n") == 1
    assert backups_in(tmp_path / "b") == [] and list((tmp_path / "b").iterdir()) == []
