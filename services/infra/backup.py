"""Backups of the database and their restore (``manage.py backup`` / ``manage.py restore``).

* SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies every page in one step
  inside one read transaction. In WAL mode (the app's) writers go on meanwhile and the copy is the
  database as of one moment, never half of a transaction; a plain file copy of a live database
  can be torn. The copy is switched to a single file (``journal_mode=DELETE``).
* PostgreSQL: ``pg_dump -Fc``, inside a snapshot this module exports (``pg_export_snapshot()``),
  so the figures it reports (rows per table, the latest journal entry) are exactly the dump's.
  The password reaches pg_dump through ``PGPASSWORD``, never its command line (``ps`` shows
  every user the arguments of every process).

A backup is written to ``<name>.partial`` and renamed when complete, so a failed or interrupted
backup never looks like one and never counts for the retention. Every file is created with mode
0600 (``services.infra.private_files``): a backup holds the password hashes.

A restore goes into an empty database only: restoring over live data would mix two histories of
the journal, which is append-only. Afterwards the rows of every table and the latest journal
entry (``task_event``) are read back and compared with what the backup holds.

Attached files live outside the database (``services.attachments``, ``GIAOVIEC_FILES_DIR``), so a
backup also writes ``<backup>.files.tar``: every stored file, taken *after* the database copy.
Files are named by their content and never rewritten or deleted, and each is written before the
row that refers to it is committed, so the archive holds every file the database copy names (and
perhaps a few newer ones, harmless). The archive goes and comes with its backup (retention,
restore: its files are put back into the files directory, mode 0600, existing ones kept).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from services.infra.database import sqlite_path
from services.infra.errors import Conflict, InvalidInput, ServiceError
from services.infra.private_files import FILE_MODE, create_private, private_dir

PREFIX = "giaoviec-"
SQLITE_SUFFIX = ".sqlite3"
POSTGRES_SUFFIX = ".dump"
_NAME = re.compile(r"^giaoviec-(\d{4}-\d\d-\d\dT\d{6}Z)(?:-(\d+))?\.(sqlite3|dump)$")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"
FILES_SUFFIX = ".files.tar"
_BLOB = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{62}$")  # services.attachments.blob_path, relative
JOURNAL = "task_event"
# The tables a person reads the restore's report by, in this order (every table is compared).
MAIN_TABLES = ("org_unit", "app_user", "document", "task", "task_event", "flow", "confirmation", "extension")
_LABELS = {
    "org_unit": "đơn vị",
    "app_user": "tài khoản",
    "document": "văn bản",
    "task": "nhiệm vụ",
    "task_event": "mục nhật ký",
    "flow": "luồng xử lý",
    "confirmation": "xác nhận",
    "extension": "gia hạn",
}


class BackupError(ServiceError):
    """A backup or restore could not be made (a tool failed, a file is not a backup)."""

    code = "backup_failed"
    status = 500


@dataclass(frozen=True)
class JournalEntry:
    """The latest journal entry: what a person checks first after a restore."""

    id: int
    task_id: int
    at: str  # ISO 8601, UTC
    action: str

    def describe(self) -> str:
        return f"#{self.id} (nhiệm vụ {self.task_id}, {self.action}, {self.at})"


@dataclass(frozen=True)
class Contents:
    """What a database, or a backup, holds: the rows of each table and the latest journal entry."""

    counts: dict[str, int]
    latest: JournalEntry | None

    def describe(self) -> str:
        main = [t for t in MAIN_TABLES if t in self.counts]
        parts = [f"{_LABELS[t]} {self.counts[t]:,}".replace(",", " ") for t in main]
        latest = f"; mục nhật ký mới nhất {self.latest.describe()}" if self.latest else "; nhật ký trống"
        return f"{len(self.counts)} bảng ({', '.join(parts)}){latest}"

    def differences(self, other: Contents) -> list[str]:
        """What differs between the backup (``self``) and the restored database (``other``)."""
        found = [
            f"bảng {t}: bản sao lưu {self.counts.get(t, 'không có')}, sau khôi phục {other.counts.get(t, 'không có')}"
            for t in sorted(set(self.counts) | set(other.counts))
            if self.counts.get(t) != other.counts.get(t)
        ]
        if self.latest != other.latest:
            before = self.latest.describe() if self.latest else "không có"
            after = other.latest.describe() if other.latest else "không có"
            found.append(f"mục nhật ký mới nhất: bản sao lưu {before}, sau khôi phục {after}")
        return found


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    contents: Contents
    removed: list[Path] = field(default_factory=list)
    files_archive: Path | None = None  # <backup>.files.tar, when a files directory was given
    files: int = 0  # attached files in it


@dataclass(frozen=True)
class RestoreResult:
    expected: Contents  # what the backup holds
    actual: Contents  # what the restored database holds
    files_restored: int = 0  # attached files put back from <backup>.files.tar

    @property
    def differences(self) -> list[str]:
        return self.expected.differences(self.actual)


# --- names and retention --------------------------------------------------------------------------


def backup_name(*, now: datetime, suffix: str, folder: Path) -> Path:
    """``giaoviec-2026-11-26T061012Z.sqlite3`` (UTC), with ``-2``, ``-3``… if that second is taken."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    path = folder / f"{PREFIX}{stamp}{suffix}"
    n = 2
    while path.exists() or path.with_name(path.name + ".partial").exists():
        path = folder / f"{PREFIX}{stamp}-{n}{suffix}"
        n += 1
    return path


def backups_in(folder: Path) -> list[Path]:
    """The backups in ``folder`` (files named by ``backup_name``), newest first; nothing else
    in the folder is ever listed, so nothing else is ever deleted."""
    found: list[tuple[str, int, Path]] = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _NAME.match(path.name)
            if match and path.is_file():
                found.append((match.group(1), int(match.group(2) or 1), path))
    return [p for _, _, p in sorted(found, key=lambda item: (item[0], item[1]), reverse=True)]


def prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups; return the deleted files."""
    if keep < 1:
        raise InvalidInput("Số bản sao lưu giữ lại phải ít nhất là 1.", field="keep")
    old = backups_in(folder)[keep:]
    for path in old:
        path.unlink(missing_ok=True)
        files_archive_of(path).unlink(missing_ok=True)  # its attached files go with it
    return old


# --- attached files -------------------------------------------------------------------------------


def files_archive_of(backup_file: Path) -> Path:
    """``giaoviec-….sqlite3.files.tar``: the attached files taken with that backup."""
    return backup_file.with_name(backup_file.name + FILES_SUFFIX)


def _stored_files(files_dir: Path) -> list[tuple[str, Path]]:
    """(``ab/cdef…``, path) of every stored file; temporary files of a write under way are skipped."""
    if not files_dir.is_dir():
        return []
    found = []
    for path in sorted(files_dir.glob("??/*")):
        name = f"{path.parent.name}/{path.name}"
        if _BLOB.match(name) and path.is_file():
            found.append((name, path))
    return found


def archive_files(*, files_dir: Path, target: Path) -> int:
    """Every stored attached file into the tar ``target`` (mode 0600, written as ``.partial``);
    the number of files. Called after the database copy (see the module's docstring)."""
    stored = _stored_files(files_dir)
    with _partial(target) as partial, tarfile.open(partial, "w") as tar:
        for name, path in stored:
            tar.add(path, arcname=name, recursive=False)
    return len(stored)


def restore_files(*, archive: Path, files_dir: Path) -> int:
    """Put the files of ``archive`` back into ``files_dir`` (0700, files 0600); a file already there
    is kept (same name, same content). Only names of stored files are read from the archive: no
    path of the archive is ever followed. The number of files written."""
    written = 0
    with tarfile.open(archive, "r") as tar:
        for member in tar:
            if not member.isfile() or not _BLOB.match(member.name):
                continue
            folder = private_dir(private_dir(files_dir) / member.name[:2])
            target = folder / member.name[3:]
            source = tar.extractfile(member)
            if target.exists() or source is None:
                continue
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out)
            written += 1
    return written


# --- reading what a database holds ----------------------------------------------------------------


def _utc_text(value: object) -> str:
    """A timestamp as ISO 8601 in UTC, whichever way the database or the dump wrote it."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _sqlite_contents(connection: sqlite3.Connection) -> Contents:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {t: int(connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
    latest = None
    if JOURNAL in counts:
        row = connection.execute(f"SELECT id, task_id, at, action FROM {JOURNAL} ORDER BY id DESC LIMIT 1").fetchone()
        if row is not None:
            latest = JournalEntry(id=int(row[0]), task_id=int(row[1]), at=_utc_text(row[2]), action=str(row[3]))
    return Contents(counts=counts, latest=latest)


def _postgres_contents(connection: Connection) -> Contents:
    tables = connection.execute(
        text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    ).scalars()
    counts = {t: int(connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}
    latest = None
    if JOURNAL in counts:
        row = connection.execute(
            text(f"SELECT id, task_id, at, action FROM {JOURNAL} ORDER BY id DESC LIMIT 1")
        ).first()
        if row is not None:
            latest = JournalEntry(id=int(row[0]), task_id=int(row[1]), at=_utc_text(row[2]), action=str(row[3]))
    return Contents(counts=counts, latest=latest)


def database_contents(*, database_url: str) -> Contents:
    """Rows per table and the latest journal entry of the database at ``database_url``."""
    path = sqlite_path(database_url)
    if path is not None:
        if not path.exists():
            return Contents(counts={}, latest=None)
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
            return _sqlite_contents(connection)
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _postgres_contents(connection)
    finally:
        engine.dispose()


_COPY = re.compile(r'^COPY (?:"?[^ ."]+"?\.)?"?([^ ."]+)"? \(([^)]*)\) FROM stdin;$')


def _unescape_copy(value: str) -> str:
    """A field of COPY's text format (``\\N`` is NULL, backslash escapes)."""
    escapes = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "b": "\b", "f": "\f", "v": "\v"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), value)


def dump_contents(*, dump: Path, tools: PostgresTools | None = None) -> Contents:
    """What a ``pg_dump -Fc`` file holds, read from its data (``pg_restore --data-only -f -``):
    one COPY line is one row, so counting lines counts rows; the journal's latest entry is the row
    with the highest id."""
    tools = tools or PostgresTools.find()
    command = [str(tools.pg_restore), "--data-only", "--file=-", str(dump)]
    counts: dict[str, int] = {}
    latest: JournalEntry | None = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        table: str | None = None
        columns: list[str] = []
        for raw in proc.stdout:
            line = raw.decode("utf-8").rstrip("\n")
            if table is None:
                match = _COPY.match(line)
                if match:
                    table = match.group(1)
                    columns = [c.strip().strip('"') for c in match.group(2).split(",")]
                    counts[table] = 0
                continue
            if line == "\\.":
                table = None
                continue
            counts[table] += 1
            if table == JOURNAL:
                fields = dict(zip(columns, line.split("\t"), strict=False))
                entry_id = int(fields["id"])
                if latest is None or entry_id > latest.id:
                    latest = JournalEntry(
                        id=entry_id,
                        task_id=int(fields["task_id"]),
                        at=_utc_text(_unescape_copy(fields["at"])),
                        action=_unescape_copy(fields["action"]),
                    )
        error = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise BackupError(f"Không đọc được tệp sao lưu {dump} (pg_restore, mã {proc.returncode}): {error}")
    return Contents(counts=counts, latest=latest)


def backup_contents(*, source: Path) -> Contents:
    """What a backup file holds (SQLite copy or PostgreSQL dump, told apart by their first bytes)."""
    kind = backup_kind(source)
    if kind == "sqlite":
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as connection:
            return _sqlite_contents(connection)
    return dump_contents(dump=source)


def backup_kind(path: Path) -> str:
    """"sqlite" or "postgresql", from the file's first bytes; anything else is refused."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except FileNotFoundError as exc:
        raise InvalidInput(f"Không có tệp {path}.", field="file") from exc
    except IsADirectoryError as exc:
        raise InvalidInput(f"{path} là một thư mục, không phải tệp sao lưu.", field="file") from exc
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PGDUMP_MAGIC):
        return "postgresql"
    raise InvalidInput(
        f"{path} không phải tệp sao lưu của Giao việc (SQLite hoặc pg_dump -Fc).", field="file"
    )


# --- PostgreSQL's tools ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresTools:
    pg_dump: Path
    pg_restore: Path

    @staticmethod
    def find() -> PostgresTools:
        """The newest installed ``pg_dump``/``pg_restore`` (Debian: ``/usr/lib/postgresql/<n>/bin``;
        a pg_dump older than the server refuses to dump it), else the ones on ``PATH``."""
        found = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(Path(p).parent.parent.name)
        )
        if found:
            folder = Path(found[-1]).parent
            return PostgresTools(pg_dump=folder / "pg_dump", pg_restore=folder / "pg_restore")
        dump, restore = shutil.which("pg_dump"), shutil.which("pg_restore")
        if dump is None or restore is None:
            raise BackupError(
                "Không thấy pg_dump/pg_restore: cài gói postgresql-client (scripts/apt-install.sh postgresql-client)."
            )
        return PostgresTools(pg_dump=Path(dump), pg_restore=Path(restore))


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore without the password, and the
    environment that carries the password (``PGPASSWORD``) and sets UTC for the timestamps."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, str] = {str(k): str(v) for k, v in url.query.items() if isinstance(v, str)}
    for key, value in (("host", url.host), ("port", url.port), ("user", url.username), ("dbname", url.database)):
        if value not in (None, ""):
            params[key] = str(value)
    env = dict(os.environ)
    env["PGTZ"] = "UTC"
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


# --- backup ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A private ``<target>.partial`` renamed to ``target`` on success, deleted on failure."""
    partial = target.with_name(target.name + ".partial")
    if not create_private(partial):
        raise BackupError(f"Tệp {partial} đã có (một bản sao lưu khác đang chạy?).")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _backup_sqlite(path: Path, target: Path) -> Contents:
    if not path.exists():
        raise InvalidInput(f"Không có cơ sở dữ liệu {path}.", field="database")
    with _partial(target) as partial:
        source = sqlite3.connect(path, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, one moment
            copy.execute("PRAGMA journal_mode=DELETE")
            contents = _sqlite_contents(copy)
        finally:
            copy.close()
            source.close()
    return contents


def _backup_postgres(url: URL, target: Path, tools: PostgresTools) -> Contents:
    conninfo, env = libpq_target(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            # The snapshot stays valid while this transaction is open: pg_dump reads exactly it.
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            contents = _postgres_contents(connection)
            with _partial(target) as partial, partial.open("wb") as out:
                done = subprocess.run(
                    [str(tools.pg_dump), "-Fc", f"--snapshot={snapshot}", "--dbname", conninfo],
                    stdout=out,
                    stderr=subprocess.PIPE,
                    env=env,
                    check=False,
                )
                if done.returncode != 0:
                    error = done.stderr.decode("utf-8", "replace").strip()
                    raise BackupError(f"pg_dump thất bại (mã {done.returncode}): {error}")
            connection.rollback()
    finally:
        engine.dispose()
    return contents


def backup(
    *, database_url: str, folder: Path, keep: int, now: datetime, files_dir: Path | None = None
) -> BackupResult:
    """Back the database up into ``folder`` (created 0700 if missing) as a dated file (0600), and
    the attached files of ``files_dir`` next to it (``<backup>.files.tar``), then keep only the
    ``keep`` newest backups there."""
    if keep < 1:
        raise InvalidInput("Số bản sao lưu giữ lại phải ít nhất là 1.", field="keep")
    private_dir(folder)
    path = sqlite_path(database_url)
    if path is not None:
        target = backup_name(now=now, suffix=SQLITE_SUFFIX, folder=folder)
        contents = _backup_sqlite(path, target)
    else:
        url = make_url(database_url)
        if url.get_backend_name() != "postgresql":
            raise InvalidInput(f"Không sao lưu được cơ sở dữ liệu loại {url.get_backend_name()}.", field="database")
        target = backup_name(now=now, suffix=POSTGRES_SUFFIX, folder=folder)
        contents = _backup_postgres(url, target, PostgresTools.find())
    archive, files = None, 0
    if files_dir is not None:  # after the database copy: every file it names is there already
        archive = files_archive_of(target)
        files = archive_files(files_dir=files_dir, target=archive)
    removed = prune(folder=folder, keep=keep)
    return BackupResult(
        path=target,
        size=target.stat().st_size,
        contents=contents,
        removed=removed,
        files_archive=archive,
        files=files,
    )


# --- restore ---------------------------------------------------------------------------------------


def _refuse_non_empty(contents: Contents, where: str) -> None:
    if contents.counts:
        tables = ", ".join(sorted(contents.counts)[:5]) + ("…" if len(contents.counts) > 5 else "")
        raise Conflict(
            f"Cơ sở dữ liệu {where} không trống ({len(contents.counts)} bảng: {tables}). Chỉ khôi phục vào "
            "một cơ sở dữ liệu trống: dừng ứng dụng, chuyển tệp cũ đi chỗ khác (SQLite) hoặc tạo cơ sở dữ "
            "liệu mới (PostgreSQL: createdb), rồi chạy lại lệnh."
        )


def restore(*, database_url: str, source: Path, files_dir: Path | None = None) -> RestoreResult:
    """Restore ``source`` into the empty database at ``database_url``, then read both back; and
    the attached files of ``<source>.files.tar``, if there is one, into ``files_dir``.

    Refused: a database that has any table, a backup of the other kind of database."""
    kind = backup_kind(source)
    path = sqlite_path(database_url)
    backend = "sqlite" if path is not None else make_url(database_url).get_backend_name()
    if kind != backend:
        raise InvalidInput(
            f"Tệp {source.name} là bản sao lưu {kind}, còn cơ sở dữ liệu đích là {backend}.", field="file"
        )
    if path is not None:
        expected = backup_contents(source=source)
        private_dir(path.parent)
        create_private(path)
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as target:
            _refuse_non_empty(_sqlite_contents(target), str(path))
            with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_db:
                backup_db.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        return RestoreResult(
            expected=expected,
            actual=database_contents(database_url=database_url),
            files_restored=_restore_files_of(source, files_dir),
        )

    url = make_url(database_url)
    tools = PostgresTools.find()
    _refuse_non_empty(database_contents(database_url=database_url), str(url.database))
    expected = dump_contents(dump=source, tools=tools)
    conninfo, env = libpq_target(url)
    done = subprocess.run(
        [
            str(tools.pg_restore),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            conninfo,
            str(source),
        ],
        capture_output=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip()
        raise BackupError(f"pg_restore thất bại (mã {done.returncode}), không có gì được ghi: {error}")
    return RestoreResult(
        expected=expected,
        actual=database_contents(database_url=database_url),
        files_restored=_restore_files_of(source, files_dir),
    )


def _restore_files_of(source: Path, files_dir: Path | None) -> int:
    archive = files_archive_of(source)
    if files_dir is None or not archive.is_file():
        return 0
    return restore_files(archive=archive, files_dir=files_dir)
