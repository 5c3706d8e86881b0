"""Attached files: checked, stored by content, listed for a task, opened for download.

**What is accepted.** PDF, Word (doc, docx), Excel (xls, xlsx) and PNG/JPG images, as
``config/app.yaml`` ``attachments`` allows, each at most ``max_mb`` and at most ``max_files`` per
form. The type is read from the file's first bytes (``sniff``: ``%PDF-``; the PNG and JPEG
signatures; the OLE header ``D0 CF 11 E0`` holding a ``WordDocument`` or ``Workbook`` stream; a zip
holding ``[Content_Types].xml`` and ``word/…`` or ``xl/…``) and must be what the name's extension
says: a ``.pdf`` that is really a PNG, an ``.exe`` renamed ``.docx``, a 21 MB scan are refused
with a Vietnamese message naming the file, before anything is written.

**Where the bytes go.** Not into the database: into ``GIAOVIEC_FILES_DIR`` (default
``<data_dir>/files``) under their SHA-256, ``ab/cdef…`` (the first two hex digits are a folder),
created with mode 0600 in folders of mode 0700 (``services.infra.private_files``), like the
database. The same content attached twice, by anyone, is one file; the database holds one
``attachment`` row per attaching (who, when, under which name, to what).

**One transaction.** The actions that take files (``create_assignment``, the ``reply`` and
``note`` actions of the registry) call ``attach`` inside their own transaction: the file is
written first (content-addressed, so writing it again is a no-op), then its row is added, and
both are committed with the action, or the action is refused and nothing of it is in the
database. A transaction that fails after the write leaves at most an orphan file, which nothing
refers to and nobody can download: harmless, and the next attaching of the same content uses it.

**Who may download.** Whoever may see the task (``can_view_task``); a file of an assignment
document with several tasks, whoever may see any of them. Anyone else, and anyone asking for a
file that does not exist, gets the same "not found". Each download is logged in
``attachment_download`` (not in the task journal: a download changes nothing of the task).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlmodel import Session, col, select

from models import (
    Attachment,
    AttachmentDownload,
    AttachmentOwner,
    Document,
    EventAction,
    FileType,
    OrgUnit,
    Task,
    TaskEvent,
    User,
)
from models.schemas import AttachmentUpload
from services.access.permissions import Actor, can_view_task
from services.config.loader import AttachmentsConfig
from services.infra.clock import fmt_date, fmt_datetime
from services.infra.errors import InvalidInput, NotFound
from services.infra.private_files import FILE_MODE, private_dir
from services.infra.settings import get_settings
from services.infra.text import clean_text

FIELD = "attachments"
# The address a file is downloaded from: served by web/attachment_routes.py, linked by the pages.
DOWNLOAD_PREFIX = "/tep"
NOT_FOUND = "Không tìm thấy tệp #{id} hoặc bạn không có quyền tải tệp này."
JOURNAL_LIMIT = 4000  # task_event.note

MEDIA_TYPES: dict[FileType, str] = {
    FileType.PDF: "application/pdf",
    FileType.DOC: "application/msword",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLS: "application/vnd.ms-excel",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.PNG: "image/png",
    FileType.JPG: "image/jpeg",
    FileType.JPEG: "image/jpeg",
}
# What the content of each extension must be (jpg and jpeg are both JPEG content).
_CONTENT_OF: dict[FileType, FileType] = {t: (FileType.JPEG if t is FileType.JPG else t) for t in FileType}
KIND_LABELS: dict[FileType, str] = {
    FileType.PDF: "PDF",
    FileType.DOC: "Word (.doc)",
    FileType.DOCX: "Word (.docx)",
    FileType.XLS: "Excel (.xls)",
    FileType.XLSX: "Excel (.xlsx)",
    FileType.PNG: "ảnh PNG",
    FileType.JPG: "ảnh JPG",
    FileType.JPEG: "ảnh JPG",
}

_PDF = b"%PDF-"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: .doc, .xls (and .ppt, .msi …)
_ZIP = b"PK\x03\x04"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _zip_kind(data: bytes) -> FileType | None:
    """docx or xlsx by the parts inside the zip (Office Open XML), None for any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return FileType.DOCX
    if any(n.startswith("xl/") for n in names):
        return FileType.XLSX
    return None


def sniff(data: bytes) -> FileType | None:
    """The kind of content from the file's own bytes (JPEG for any JPEG), or None if it is none
    of the accepted kinds. The OLE container is told apart by the stream its directory names
    (stored in UTF-16): ``WordDocument`` for Word, ``Workbook``/``Book`` for Excel."""
    if data.startswith(_PDF):
        return FileType.PDF
    if data.startswith(_PNG):
        return FileType.PNG
    if data.startswith(_JPEG):
        return FileType.JPEG
    if data.startswith(_OLE):
        if _utf16("WordDocument") in data:
            return FileType.DOC
        if _utf16("Workbook") in data or _utf16("Book") in data:
            return FileType.XLS
        return None
    if data.startswith(_ZIP):
        return _zip_kind(data)
    return None


def fmt_size(size: int) -> str:
    """1,2 MB · 35 KB · 800 B (Vietnamese decimal comma)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    if size >= 1024:
        return f"{round(size / 1024)} KB"
    return f"{size} B"


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check: its clean name, content, hash and media type."""

    file_name: str
    content: bytes = field(repr=False)
    sha256: str
    media_type: str

    @property
    def size(self) -> int:
        return len(self.content)


def _base_name(raw: str) -> str:
    """The name without any folder a client may have sent (``C:\\Users\\…\\a.pdf``, ``../a.pdf``):
    the name is only ever shown and sent back as a download name, never used as a path."""
    return PureWindowsPath(PurePosixPath(raw).name).name


def accepted_types_text(limits: AttachmentsConfig) -> str:
    """'PDF, Word (.doc), …' as the refusals and the upload widget say it."""
    return ", ".join(dict.fromkeys(KIND_LABELS[t] for t in limits.types))


def check_uploads(uploads: Sequence[AttachmentUpload], *, limits: AttachmentsConfig) -> list[CheckedFile]:
    """Every file checked (count, name, extension, size, content) before any is stored; the first
    refusal names the file and why. The same name and content twice in one form is kept once."""
    if len(uploads) > limits.max_files:
        raise InvalidInput(
            f"Mỗi lần gửi tối đa {limits.max_files} tệp đính kèm (đang chọn {len(uploads)} tệp).", field=FIELD
        )
    checked: dict[tuple[str, str], CheckedFile] = {}
    for upload in uploads:
        name = clean_text(
            _base_name(upload.file_name), label="Tên tệp đính kèm", field=FIELD, max_len=255, multiline=False
        )
        name = unicodedata.normalize("NFC", name)
        quoted = f"Tệp “{name}”"
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        allowed = {t.value: t for t in limits.types}
        if suffix not in allowed:
            raise InvalidInput(
                f"{quoted}: không nhận loại tệp này. Chỉ nhận {accepted_types_text(limits)}.", field=FIELD
            )
        size = len(upload.content)
        if size == 0:
            raise InvalidInput(f"{quoted} trống (0 byte).", field=FIELD)
        if size > limits.max_mb * 1024 * 1024:
            raise InvalidInput(
                f"{quoted} nặng {fmt_size(size)}, quá giới hạn {limits.max_mb} MB mỗi tệp.", field=FIELD
            )
        declared = allowed[suffix]
        found = sniff(upload.content)
        if found is not _CONTENT_OF[declared]:
            what = f"nội dung là {KIND_LABELS[found]}" if found is not None else "nội dung không đọc được là loại nào"
            raise InvalidInput(
                f"{quoted} không phải tệp {KIND_LABELS[declared]} thật ({what}). Hãy chọn đúng tệp.", field=FIELD
            )
        digest = hashlib.sha256(upload.content).hexdigest()
        checked.setdefault(
            (name, digest),
            CheckedFile(file_name=name, content=upload.content, sha256=digest, media_type=MEDIA_TYPES[declared]),
        )
    return list(checked.values())


# --- storage ---------------------------------------------------------------------------------------


def files_root() -> Path:
    """``GIAOVIEC_FILES_DIR``, else ``<data_dir>/files``: the deployment's settings, the same ones
    the process's runtime was started with (``services.runtime.get_runtime``)."""
    return get_settings().resolved_files_dir()


def blob_path(sha256: str, *, root: Path | None = None) -> Path:
    return (root or files_root()) / sha256[:2] / sha256[2:]


def write_blob(checked: CheckedFile, *, root: Path | None = None) -> Path:
    """The file under its hash, mode 0600, written whole or not at all: a private temporary file
    in the same folder, synced, then renamed (two processes storing the same content at once both
    end with the one complete file). Content-addressed: an existing file is left as it is."""
    base = private_dir(root or files_root())
    folder = private_dir(base / checked.sha256[:2])
    target = folder / checked.sha256[2:]
    if target.exists():
        return target
    temporary = folder / f".{checked.sha256[2:]}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(checked.content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def attach(
    *,
    session: Session,
    actor: Actor,
    files: Sequence[CheckedFile],
    owner: AttachmentOwner,
    now: datetime,
    document_id: int | None = None,
    task_id: int | None = None,
    event_id: int | None = None,
    root: Path | None = None,
) -> list[Attachment]:
    """Store each file (first) and add its row (then), in the caller's transaction; no commit.

    If the caller's transaction fails afterwards, the rows go and the files stay as orphans:
    nothing refers to them, nobody can download them, the next attaching of the same content
    reuses them."""
    rows = []
    for checked in files:
        write_blob(checked, root=root)
        row = Attachment(
            sha256=checked.sha256,
            size=checked.size,
            file_name=checked.file_name,
            media_type=checked.media_type,
            owner=owner,
            document_id=document_id,
            task_id=task_id,
            event_id=event_id,
            uploaded_by=actor.user_id,
            uploaded_at=now,
        )
        session.add(row)
        rows.append(row)
    return rows


def journal_line(files: Sequence[CheckedFile], *, room: int = JOURNAL_LIMIT) -> str:
    """'Tệp đính kèm: a.pdf (1,2 MB), b.png (35 KB)' for the action's journal entry, within
    ``room`` characters ('… và 3 tệp khác' when the names do not fit)."""
    if not files:
        return ""
    parts = [f"{f.file_name} ({fmt_size(f.size)})" for f in files]
    for shown in range(len(parts), -1, -1):
        rest = len(parts) - shown
        line = "Tệp đính kèm: " + ", ".join(parts[:shown]) + (f" và {rest} tệp khác" if rest else "")
        if len(line) <= room:
            return line
    return ""


def with_journal_line(note: str, files: Sequence[CheckedFile]) -> str:
    """The journal note of an action that carried files: its text, then the files' line."""
    if not files:
        return note
    room = JOURNAL_LIMIT - len(note) - (1 if note else 0)
    line = journal_line(files, room=room)
    return f"{note}\n{line}" if note and line else note or line


# --- reading ---------------------------------------------------------------------------------------


def download_path(attachment_id: int) -> str:
    return f"{DOWNLOAD_PREFIX}/{attachment_id}"


@dataclass(frozen=True)
class AttachmentView:
    id: int
    file_name: str
    size: int
    media_type: str
    uploaded_at: datetime
    uploaded_by: str  # the uploader's name

    @property
    def size_text(self) -> str:
        return fmt_size(self.size)


@dataclass(frozen=True)
class AttachmentGroup:
    """The files of one thing on the task page: the assignment, a reply, a progress note."""

    owner: AttachmentOwner
    title: str
    items: list[AttachmentView]


def _views(session: Session, rows: Sequence[Attachment]) -> list[AttachmentView]:
    names = {
        u.id: u.full_name
        for u in session.exec(select(User).where(col(User.id).in_({r.uploaded_by for r in rows}))).all()
    }
    return [
        AttachmentView(
            id=r.id or 0,
            file_name=r.file_name,
            size=r.size,
            media_type=r.media_type,
            uploaded_at=r.uploaded_at,
            uploaded_by=names.get(r.uploaded_by, "?"),
        )
        for r in rows
    ]


def _visible_task(session: Session, actor: Actor, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or not can_view_task(session=session, actor=actor, task=task):
        raise NotFound(f"Không tìm thấy nhiệm vụ #{task_id} hoặc bạn không có quyền xem.")
    return task


def task_attachments(*, session: Session, actor: Actor, task_id: int) -> list[AttachmentGroup]:
    """The files a person sees on a task's page: its assignment document's, then each reply's and
    each progress note's, oldest first. NotFound for a task the actor may not see."""
    task = _visible_task(session, actor, task_id)
    document = session.get(Document, task.document_id)
    assert document is not None
    rows = session.exec(
        select(Attachment)
        .where(
            (col(Attachment.document_id) == task.document_id) & (Attachment.owner == AttachmentOwner.ASSIGNMENT)
            | (col(Attachment.task_id) == task_id)
        )
        .order_by(col(Attachment.uploaded_at), col(Attachment.id))
    ).all()
    if not rows:
        return []
    groups: dict[tuple[AttachmentOwner, int], list[Attachment]] = {}
    for row in rows:
        key = row.event_id if row.owner is AttachmentOwner.NOTE else row.document_id
        groups.setdefault((row.owner, key or 0), []).append(row)
    replies = {
        d.id: d
        for d in session.exec(
            select(Document).where(col(Document.id).in_([k for (o, k) in groups if o is AttachmentOwner.REPLY]))
        ).all()
    }
    events = {
        e.id: e
        for e in session.exec(
            select(TaskEvent).where(col(TaskEvent.id).in_([k for (o, k) in groups if o is AttachmentOwner.NOTE]))
        ).all()
    }
    found: list[AttachmentGroup] = []
    for (owner, key), members in groups.items():
        if owner is AttachmentOwner.ASSIGNMENT:
            title = f"Văn bản giao nhiệm vụ {document.code} ngày {fmt_date(document.issue_date)}"
        elif owner is AttachmentOwner.REPLY:
            reply = replies.get(key)
            title = f"Văn bản trả lời {reply.code} ngày {fmt_date(reply.issue_date)}" if reply else "Văn bản trả lời"
        else:
            event = events.get(key)
            title = (
                f"Cập nhật tiến độ {fmt_datetime(event.at)} — {event.actor_name}"
                if event is not None and event.action is EventAction.NOTE
                else "Cập nhật tiến độ"
            )
        found.append(AttachmentGroup(owner=owner, title=title, items=_views(session, members)))
    order = {AttachmentOwner.ASSIGNMENT: 0, AttachmentOwner.REPLY: 1, AttachmentOwner.NOTE: 1}
    return sorted(found, key=lambda g: order[g.owner])  # stable: replies and notes stay in time order


def may_download(*, session: Session, actor: Actor, attachment: Attachment) -> bool:
    """``can_view_task`` of the file's task; for an assignment document's file, of any of its tasks."""
    if attachment.owner is AttachmentOwner.ASSIGNMENT:
        tasks = session.exec(select(Task).where(Task.document_id == attachment.document_id)).all()
    else:
        task = session.get(Task, attachment.task_id)
        tasks = [task] if task is not None else []
    return any(can_view_task(session=session, actor=actor, task=t) for t in tasks)


@dataclass(frozen=True)
class StoredFile:
    """What a download sends: the file on disk and the name and type it is sent under."""

    path: Path
    file_name: str
    media_type: str
    size: int


def open_attachment(
    *, session: Session, actor: Actor, attachment_id: int, now: datetime, ip: str = "", root: Path | None = None
) -> StoredFile:
    """The file for a download by ``actor``, logged and committed; NotFound, the same for a file
    that does not exist and for one the actor may not see (nobody learns what another unit
    attached), and for a file whose bytes are missing from the files directory."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not may_download(session=session, actor=actor, attachment=attachment):
        raise NotFound(NOT_FOUND.format(id=attachment_id))
    path = blob_path(attachment.sha256, root=root)
    if not path.is_file() or path.stat().st_size != attachment.size:
        raise NotFound(f"Tệp #{attachment_id} không còn trong thư mục lưu tệp. Hãy báo quản trị viên.")
    session.add(AttachmentDownload(attachment_id=attachment_id, user_id=actor.user_id, at=now, ip=ip[:64]))
    session.commit()
    return StoredFile(path=path, file_name=attachment.file_name, media_type=attachment.media_type, size=attachment.size)


def read_attachment(
    *, session: Session, actor: Actor, attachment_id: int, now: datetime, ip: str = "", root: Path | None = None
) -> tuple[StoredFile, bytes]:
    """``open_attachment`` and the bytes (for callers that cannot stream a file, and the tests)."""
    stored = open_attachment(session=session, actor=actor, attachment_id=attachment_id, now=now, ip=ip, root=root)
    return stored, stored.path.read_bytes()


@dataclass(frozen=True)
class DownloadView:
    """One download of a file, as the task page and the API list it."""

    attachment_id: int
    user_name: str
    unit_name: str
    at: datetime


def task_downloads(*, session: Session, actor: Actor, task_id: int) -> dict[int, list[DownloadView]]:
    """Who downloaded each file of a task, newest first, by file id; for whoever may see the task
    (its files and their readers are part of its record, like the journal). NotFound otherwise."""
    _visible_task(session, actor, task_id)
    ids = [item.id for group in task_attachments(session=session, actor=actor, task_id=task_id) for item in group.items]
    if not ids:
        return {}
    rows = session.exec(
        select(AttachmentDownload, User, OrgUnit)
        .join(User, col(User.id) == col(AttachmentDownload.user_id))
        .join(OrgUnit, col(OrgUnit.id) == col(User.unit_id))
        .where(col(AttachmentDownload.attachment_id).in_(ids))
        .order_by(col(AttachmentDownload.at).desc(), col(AttachmentDownload.id).desc())
    ).all()
    found: dict[int, list[DownloadView]] = {}
    for download, user, unit in rows:
        found.setdefault(download.attachment_id, []).append(
            DownloadView(
                attachment_id=download.attachment_id,
                user_name=user.full_name,
                unit_name=unit.short_name,
                at=download.at,
            )
        )
    return found
