"""The configuration as data: versions in ``config_version``, validated like ``config/*.yaml``.

The versioned files are ``app.yaml`` (catalogues, labels, colours, parameters, the working-day
calendar), ``roles.yaml`` and ``workflows.yaml``, kept as their YAML text. ``org.yaml`` (the
province and its units) is not versioned here: the units live in ``org_unit`` and are managed
on their own, so every version is validated with the ``org.yaml`` of the installation's
``config/`` folder.

The newest version is the configuration in force. With no version in the database the seed, the
YAML of ``config/``, is; the first save writes the seed as version 1 before the change, so the
history starts from what the installation was set up with.

A version is validated by ``services.config.loader.load_config`` itself (the same pydantic models,
cross rules and messages naming file, field and line), once per version and process
(``config_of_version``). ``current_version_id`` is the one cheap read a page run makes to know
whether its cached configuration is still the current one.
"""

from __future__ import annotations

import difflib
import io
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from models import ConfigVersion, OrgUnit
from services.config.errors import ConfigError
from services.config.loader import AppConfig, load_config
from services.config.workflows import WorkflowsConfig
from services.infra.clock import now_utc

VERSIONED: tuple[str, ...] = ("app.yaml", "roles.yaml", "workflows.yaml")
UNVERSIONED = "org.yaml"  # the units: read from config/ as before, synchronised into org_unit

ACTION_LABELS: dict[str, str] = {
    "seed": "Bản gốc (config/*.yaml)",
    "save": "Lưu từ trang Danh mục và tham số",
    "restore": "Khôi phục phiên bản",
    "import": "Nhập tệp cấu hình",
    "workflow_labels": "Sửa nhãn bước (Quy trình xử lý)",
    "workflow_roles": "Phân quyền chuyển bước (Quy trình xử lý)",
    "workflow_variant": "Quy trình riêng của đơn vị (Quy trình xử lý)",
    "workflows": "Lưu quy trình (Quy trình xử lý)",
    "workflow_remove": "Bỏ trạng thái, bước chuyển (Quy trình xử lý)",
    "roles": "Vai trò và quyền",
    "unit_merge": "Sáp nhập đơn vị: quy trình riêng chuyển cho đơn vị kế thừa",
}

_table = ConfigVersion.__table__  # type: ignore[attr-defined]
_units = OrgUnit.__table__  # type: ignore[attr-defined]
_CURRENT = select(func.max(_table.c.id))  # plain SQL on the primary key: read on every page run


def current_version_id(connection: Connection | Session) -> int:
    """The id of the version in force, 0 when none is stored (the seed YAML is in force)."""
    return int(connection.execute(_CURRENT).scalar() or 0)


def seed_files(config_dir: Path) -> dict[str, str]:
    """The versioned files' text as the installation's ``config/`` folder has them."""
    return {name: (config_dir / name).read_text(encoding="utf-8") for name in VERSIONED}


_WRITERS_LOCK = 7_402_231  # PostgreSQL advisory lock of the configuration's writers (any constant)


def lock_for_write(session: Session) -> None:
    """Hold every other writer of a configuration version back until this transaction ends, so
    that two admins saving at once are taken one after the other and the second reads the first's
    version (its form is then refused as drawn from an older one, never saved over it). SQLite: a
    write takes the database's write lock; PostgreSQL: a transaction-level advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_WRITERS_LOCK)))
    else:
        session.execute(update(_table).where(_table.c.id == -1).values(note=_table.c.note))


def current_files(*, session: Session, config_dir: Path) -> tuple[int, dict[str, str]]:
    """The version in force and its files (0 and the seed when none is stored)."""
    version = current_version_id(session)
    if version == 0:
        return 0, seed_files(config_dir)
    row = session.get(ConfigVersion, version)
    assert row is not None
    return version, dict(row.files)


def get_version(*, session: Session, version_id: int) -> ConfigVersion | None:
    return session.get(ConfigVersion, version_id)


def list_versions(*, session: Session, limit: int = 200) -> list[ConfigVersion]:
    """The newest versions first."""
    query = select(ConfigVersion).order_by(col(ConfigVersion.id).desc()).limit(limit)
    return list(session.execute(query).scalars())


def _duplicate_keys(name: str, text: str) -> list[str]:
    """Keys written twice in one mapping (PyYAML would silently keep the last), with their line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []  # the loader reports the syntax error with its line
    found: list[str] = []
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                key_text = str(getattr(key, "value", ""))
                where = f"{path} > {key_text}" if path else key_text
                if key_text in seen:
                    found.append(f"{name} dòng {key.start_mark.line + 1}: {where}: khóa '{key_text}' bị lặp lại.")
                seen.add(key_text)
                stack.append((value, where))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node.value))
    return sorted(found, key=lambda line: int(line.split("dòng ", 1)[1].split(":", 1)[0]))


def unit_codes(session: Session | Connection) -> list[str]:
    """The codes of every unit of the database (active or not): a workflow variant may name a unit
    added on Quản trị › Đơn vị, which org.yaml does not list."""
    return [str(code) for code in session.execute(select(_units.c.code)).scalars()]


def validate_files(files: Mapping[str, str], *, config_dir: Path, unit_codes: Sequence[str] = ()) -> AppConfig:
    """The configuration these files give with the installation's ``org.yaml`` (and the database's
    ``unit_codes``), validated by ``load_config``; else ConfigError naming the file (``app.yaml``),
    the line and the field."""
    unknown = sorted(set(files) - set(VERSIONED))
    missing = [name for name in VERSIONED if name not in files]
    problems = [f"{name}: không phải tệp cấu hình có phiên bản ({', '.join(VERSIONED)})." for name in unknown]
    problems += [f"{name}: thiếu tệp." for name in missing]
    for name in VERSIONED:
        if name in files:
            problems += _duplicate_keys(name, files[name])
    if problems:
        raise ConfigError("Cấu hình không hợp lệ:\n" + "\n".join(f"- {p}" for p in problems))
    with tempfile.TemporaryDirectory(prefix="giaoviec-config-") as folder:
        root = Path(folder)
        for name in VERSIONED:
            (root / name).write_text(files[name], encoding="utf-8")
        (root / UNVERSIONED).write_text((config_dir / UNVERSIONED).read_text(encoding="utf-8"), encoding="utf-8")
        try:
            return load_config(root, unit_codes=unit_codes)
        except ConfigError as exc:  # the temporary folder means nothing to the reader: name the file only
            raise ConfigError(str(exc).replace(f"{root}/", "").replace(f"{root}", "")) from exc


@lru_cache(maxsize=32)
def _validated(database: str, version_id: int, config_dir: str, engine: Engine) -> AppConfig:
    with Session(engine) as session:
        row = session.get(ConfigVersion, version_id)
        if row is None:
            raise ConfigError(f"Không có phiên bản cấu hình số {version_id}.")
        files = dict(row.files)
        codes = unit_codes(session)
    try:
        return validate_files(files, config_dir=Path(config_dir), unit_codes=codes)
    except ConfigError as exc:
        raise ConfigError(f"Phiên bản cấu hình số {version_id}: {exc}") from exc


def config_of_version(engine: Engine, version_id: int, config_dir: Path) -> AppConfig:
    """Version ``version_id`` of this database, read and validated once per process (a version
    never changes: the table is append-only)."""
    database = engine.url.render_as_string(hide_password=True)
    return _validated(database, version_id, str(config_dir), engine)


def clear_cache() -> None:
    _validated.cache_clear()
    _WORKFLOWS.clear()
    _SEEDS.clear()


# The workflows of each stored version, per database: a flow runs on the version it started on
# (``Flow.config_version_id``), read once per process (versions never change).
_WORKFLOWS: dict[tuple[str, int], WorkflowsConfig] = {}
_SEEDS: dict[str, int] = {}  # database -> id of its seed version, once one is stored
_CACHE_LIMIT = 64
_NO_SEED = "giaoviec_no_config_version"  # Session.info: none stored, as this session last read


def _database_of(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def seed_version_id(session: Session) -> int | None:
    """The id of the stored seed (the first version: ``config/*.yaml`` as installed), None when no
    version is stored yet."""
    database = _database_of(session)
    found = _SEEDS.get(database)
    if found is None:
        if session.info.get(_NO_SEED):
            return None  # read once per session while none is stored (a page run's, a request's)
        found = session.execute(select(func.min(_table.c.id))).scalar()
        if found is None:
            session.info[_NO_SEED] = True
            return None
        _SEEDS[database] = int(found)
    return int(found)


def workflows_at(session: Session, seed: WorkflowsConfig, version_id: int | None) -> WorkflowsConfig:
    """The workflows of stored version ``version_id``; None: of the seed, which is ``seed`` (the
    workflows of the configuration in use) while no version is stored."""
    if version_id is None:
        version_id = seed_version_id(session)
        if version_id is None:
            return seed
    return workflows_of_version(session, version_id)


def workflows_of_version(session: Session, version_id: int) -> WorkflowsConfig:
    """The workflows of stored version ``version_id`` (validated when it was saved)."""
    key = (_database_of(session), version_id)
    found = _WORKFLOWS.get(key)
    if found is None:
        row = session.get(ConfigVersion, version_id)
        if row is None:
            raise ConfigError(f"Không có phiên bản cấu hình số {version_id}.")
        found = WorkflowsConfig.model_validate(yaml.safe_load(row.files["workflows.yaml"]))
        if len(_WORKFLOWS) >= _CACHE_LIMIT:
            _WORKFLOWS.clear()
        _WORKFLOWS[key] = found
    return found


def add_version(
    *,
    session: Session,
    files: Mapping[str, str],
    author_user_id: int | None,
    action: str,
    note: str = "",
    restored_from: int | None = None,
    config_dir: Path,
    now: datetime | None = None,
) -> ConfigVersion:
    """Add a version to the caller's transaction (validated by the caller); the first one stored
    is preceded by the seed, so the history starts from ``config/*.yaml``."""
    now = now or now_utc()
    session.info.pop(_NO_SEED, None)
    if current_version_id(session) == 0:
        session.add(ConfigVersion(created_at=now, author_user_id=None, action="seed", files=seed_files(config_dir)))
        session.flush()
    row = ConfigVersion(
        created_at=now,
        author_user_id=author_user_id,
        action=action,
        note=note[:500],
        restored_from=restored_from,
        files={name: files[name] for name in VERSIONED},
    )
    session.add(row)
    session.flush()
    return row


def dump_yaml(data: Any) -> str:
    """YAML as people write it: Vietnamese letters as they are, keys in their order."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _normalised(text: str) -> str:
    """The YAML as ``dump_yaml`` writes it (comments and layout left out), so that a diff shows the
    values that changed, not that a form's save rewrote the seed's hand-written file."""
    try:
        return dump_yaml(yaml.safe_load(text))
    except yaml.YAMLError:
        return text


def diff(old: Mapping[str, str], new: Mapping[str, str], *, old_name: str, new_name: str) -> str:
    """A unified diff of each versioned file's values, empty when nothing differs."""
    parts: list[str] = []
    for name in VERSIONED:
        lines = difflib.unified_diff(
            _normalised(old.get(name, "")).splitlines(keepends=True),
            _normalised(new.get(name, "")).splitlines(keepends=True),
            fromfile=f"{old_name}/{name}",
            tofile=f"{new_name}/{name}",
        )
        parts.append("".join(lines))
    return "".join(part if part.endswith("\n") or not part else part + "\n" for part in parts)


def changed_keys(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What differs between two sets of files, by dotted key (``app.issuers.ubnd_tinh``): the
    values before and after, for the administration journal (lists are compared whole)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in dict.fromkeys([*a, *b]):
                walk(f"{path}.{key}", a.get(key, _ABSENT), b.get(key, _ABSENT))
            return
        if a != b:
            if a is not _ABSENT:
                before[path] = a
            if b is not _ABSENT:
                after[path] = b

    for name in VERSIONED:
        walk(name.removesuffix(".yaml"), _safe_load(old.get(name, "")), _safe_load(new.get(name, "")))
    return before, after


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _safe_load(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def export_zip(files: Mapping[str, str], *, config_dir: Path) -> bytes:
    """The whole configuration as a ``config/`` folder, zipped: the versioned files of the version
    and the installation's ``org.yaml``; unpacked into ``config/`` it is the seed of a new
    installation, and "Nhập cấu hình" accepts it back."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in VERSIONED:
            archive.writestr(f"config/{name}", files[name])
        archive.writestr(f"config/{UNVERSIONED}", (config_dir / UNVERSIONED).read_text(encoding="utf-8"))
    return buffer.getvalue()


MAX_IMPORT_BYTES = 2 * 1024 * 1024


def read_import(uploads: Sequence[tuple[str, bytes]]) -> tuple[dict[str, str], list[str]]:
    """The versioned files in what was uploaded (a zip made by ``export_zip``, or ``app.yaml``,
    ``roles.yaml``, ``workflows.yaml`` themselves) and the names that were left aside (``org.yaml``:
    the units are not imported here). ConfigError for a file that is not one of them or not text."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[str] = []

    def take(name: str, data: bytes) -> None:
        base = name.rsplit("/", 1)[-1]
        if not base or name.endswith("/"):
            return
        if base == UNVERSIONED:
            ignored.append(base)
            return
        if base not in VERSIONED:
            problems.append(f"{name}: không phải tệp cấu hình ({', '.join(VERSIONED)}).")
            return
        if len(data) > MAX_IMPORT_BYTES:
            problems.append(f"{base}: tệp quá lớn.")
            return
        try:
            found[base] = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{base}: không phải văn bản UTF-8.")

    for name, data in uploads:
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for info in archive.infolist():
                        if info.file_size > MAX_IMPORT_BYTES:
                            problems.append(f"{info.filename}: tệp quá lớn.")
                            continue
                        take(info.filename, archive.read(info))
            except zipfile.BadZipFile:
                problems.append(f"{name}: không phải tệp zip hợp lệ.")
        else:
            take(name, data)
    if problems:
        raise ConfigError("Cấu hình không hợp lệ:\n" + "\n".join(f"- {p}" for p in problems))
    if not found:
        raise ConfigError(f"Không có tệp cấu hình nào trong tệp đã chọn (cần {', '.join(VERSIONED)} hoặc tệp zip).")
    return found, ignored
