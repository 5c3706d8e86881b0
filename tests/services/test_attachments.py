"""Attached files (``services/attachments.py``) and số đến / ngày đến at vào sổ
(``services/tasks/incoming.py``), on SQLite and, with ``GIAOVIEC_TEST_BACKEND=postgresql``, on
PostgreSQL.

Files go in through the actions that take them (the assignment, a reply, a progress note), are
checked by their content and size before anything is written, stored once per content, and come
out only for whoever may see the task; every download is logged. Vào sổ records số đến (the
unit's register, numbered per year) and ngày đến (between the document's date and today).
"""

from __future__ import annotations

import io
import re
import stat
import threading
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from models import (
    ActionKey,
    Attachment,
    AttachmentDownload,
    AttachmentOwner,
    EventAction,
    FileType,
    IncomingEntry,
    Role,
    TaskEvent,
)
from models.schemas import AssignmentCreate, AttachmentUpload, NoteInput, ReplyInput, StepInput
from services.access.permissions import Actor
from services.actions.registry import offers, perform
from services.attachments import (
    blob_path,
    check_uploads,
    fmt_size,
    open_attachment,
    read_attachment,
    sniff,
    task_attachments,
)
from services.infra.backup import backup, files_archive_of, restore
from services.infra.errors import InvalidInput, NotFound
from services.infra.settings import get_settings
from services.journal.events import events_of
from services.journal.timeline import describe_timeline
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from services.tasks.incoming import task_incoming
from services.workflow.engine import main_flow
from tests import postgres_server
from tests.conftest import FINANCE, HEALTH, PLEIKU, at
from tests.services.conftest import BACKEND
from tests.services.support import assign, make_actor, reply_data, row_counts, staff, task, walk_to_issue

ISSUED = date(2026, 3, 2)
DEADLINE = date(2026, 4, 30)
DAY = date(2026, 3, 10)  # "today" of the actions below

# --- sample files: the smallest bytes each kind is recognised by --------------------------------

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(30)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(30) + b"\xff\xd9"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


DOCX = _zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = _zip("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
DOC = OLE + "WordDocument".encode("utf-16-le") + bytes(64)
XLS = OLE + "Workbook".encode("utf-16-le") + bytes(64)


def upload(name: str, content: bytes) -> AttachmentUpload:
    return AttachmentUpload(file_name=name, content=content)


@pytest.fixture
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The deployment's files directory (``GIAOVIEC_FILES_DIR``) in this test's folder."""
    folder = tmp_path / "files"
    monkeypatch.setenv("GIAOVIEC_FILES_DIR", str(folder))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def one_task(runtime: Runtime, session: Session, tracker: Actor, code: str = "101/UBND-KT") -> int:
    _, ids = assign(runtime, session, tracker, code=code, issued=ISSUED, tasks=[task("Báo cáo", FINANCE, DEADLINE)])
    return ids[0]


def note(runtime: Runtime, session: Session, actor: Actor, task_id: int, *files: AttachmentUpload) -> None:
    perform(
        session=session,
        actor=actor,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.NOTE,
        data=NoteInput(note="Đã gửi báo cáo kèm theo", attachments=list(files)),
        now=at(DAY),
    )


# --- what is accepted, what is refused ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("Báo cáo.pdf", PDF, FileType.PDF),
        ("du-thao.docx", DOCX, FileType.DOCX),
        ("du-thao-cu.doc", DOC, FileType.DOC),
        ("so-lieu.xlsx", XLSX, FileType.XLSX),
        ("so-lieu-cu.XLS", XLS, FileType.XLS),
        ("anh.png", PNG, FileType.PNG),
        ("anh chup.jpg", JPEG, FileType.JPEG),
        ("anh chup.jpeg", JPEG, FileType.JPEG),
    ],
    ids=["pdf", "docx", "doc", "xlsx", "xls", "png", "jpg", "jpeg"],
)
def test_each_accepted_type_is_recognised_by_its_content(
    runtime: Runtime, name: str, content: bytes, kind: FileType
) -> None:
    assert sniff(content) is kind
    [checked] = check_uploads([upload(name, content)], limits=runtime.config.app.attachments)
    assert checked.file_name == name and checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bao-cao.pdf", PNG, "không phải tệp PDF thật (nội dung là ảnh PNG)"),
        ("du-thao.docx", _zip("[Content_Types].xml", "xl/workbook.xml"), "không phải tệp Word (.docx) thật"),
        ("du-thao.docx", _zip("a.txt"), "nội dung không đọc được là loại nào"),
        ("so-lieu.xls", DOC, "không phải tệp Excel (.xls) thật (nội dung là Word (.doc))"),
        ("anh.jpg", b"GIF89a" + bytes(20), "không phải tệp ảnh JPG thật"),
        ("chuong-trinh.exe", b"MZ" + bytes(100), "không nhận loại tệp này. Chỉ nhận PDF, Word (.doc)"),
        ("khong-duoi", PDF, "không nhận loại tệp này"),
        ("trong.pdf", b"", "trống (0 byte)"),
    ],
    ids=["pdf-is-png", "docx-is-xlsx", "docx-is-zip", "xls-is-doc", "jpg-is-gif", "exe", "no-extension", "empty"],
)
def test_a_wrong_type_is_refused_by_its_content_and_nothing_is_kept(
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    files_dir: Path,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    task_id = one_task(runtime, session, actors["tracker"])
    before = row_counts(session)
    good = upload("kem-theo.pdf", PDF)  # a good file in the same form is not kept either
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        note(runtime, session, actors["clerk"], task_id, good, upload(name, content))
    assert refused.value.field == "attachments"
    assert f"“{name}”" in refused.value.message
    assert row_counts(session) == before
    assert session.exec(select(Attachment)).all() == []
    assert stored_files(files_dir) == []


def test_a_file_over_the_limit_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    assert runtime.config.app.attachments.max_mb == 20
    task_id = one_task(runtime, session, actors["tracker"])
    big = PDF + bytes(21 * 1024 * 1024)
    with pytest.raises(InvalidInput, match=r"“scan.pdf” nặng 21,0 MB, quá giới hạn 20 MB mỗi tệp"):
        note(runtime, session, actors["clerk"], task_id, upload("scan.pdf", big))
    exactly = PDF + bytes(20 * 1024 * 1024 - len(PDF))  # 20 MB is still accepted
    note(runtime, session, actors["clerk"], task_id, upload("scan.pdf", exactly))
    assert [a.size for a in session.exec(select(Attachment)).all()] == [20 * 1024 * 1024]


def test_too_many_files_at_once_are_refused(runtime: Runtime, actors: dict[str, Actor]) -> None:
    limit = runtime.config.app.attachments.max_files
    files = [upload(f"{n}.pdf", PDF + str(n).encode()) for n in range(limit + 1)]
    with pytest.raises(InvalidInput, match=f"tối đa {limit} tệp"):
        check_uploads(files, limits=runtime.config.app.attachments)


def test_the_name_keeps_no_folder_and_no_invisible_character(runtime: Runtime) -> None:
    [checked] = check_uploads(
        [upload("C:\\Users\\vt\\Desktop\\Ba\u0301\u200bo ca\u0301o\n.pdf", PDF)], limits=runtime.config.app.attachments
    )
    assert checked.file_name == "Báo cáo .pdf"
    [checked] = check_uploads([upload("../../etc/passwd.pdf", PDF)], limits=runtime.config.app.attachments)
    assert checked.file_name == "passwd.pdf"


# --- storage ------------------------------------------------------------------------------------


def test_a_content_is_stored_once_under_its_hash_and_privately(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    first = one_task(runtime, session, actors["tracker"], "101/UBND-KT")
    second = one_task(runtime, session, actors["tracker"], "102/UBND-KT")
    note(runtime, session, actors["clerk"], first, upload("bao-cao.pdf", PDF))
    note(runtime, session, actors["specialist"], second, upload("ban sao.pdf", PDF), upload("anh.png", PNG))
    rows = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
    assert [(r.file_name, r.media_type, r.owner) for r in rows] == [
        ("bao-cao.pdf", "application/pdf", AttachmentOwner.NOTE),
        ("ban sao.pdf", "application/pdf", AttachmentOwner.NOTE),
        ("anh.png", "image/png", AttachmentOwner.NOTE),
    ]
    assert rows[0].sha256 == rows[1].sha256 != rows[2].sha256
    kept = stored_files(files_dir)
    assert len(kept) == 2  # the PDF once, the PNG once
    path = blob_path(rows[0].sha256, root=files_dir)
    assert path == files_dir / rows[0].sha256[:2] / rows[0].sha256[2:]
    assert path.read_bytes() == PDF
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    assert stat.S_IMODE(files_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


# --- who downloads ------------------------------------------------------------------------------


def _clerk_replies_with_a_pdf(runtime: Runtime, session: Session, tracker: Actor) -> tuple[int, int]:
    task_id = one_task(runtime, session, tracker)
    team = walk_to_issue(runtime, session, task_id, now=at(DAY))
    perform(
        session=session,
        actor=team.clerk,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.REPLY,
        data=ReplyInput(**reply_data("15/STC-VP", DAY).model_dump(), attachments=[upload("Báo cáo số 15.pdf", PDF)]),
        now=at(DAY),
    )
    attachment = session.exec(select(Attachment)).one()
    assert attachment.id is not None
    return task_id, attachment.id


def test_the_tracker_downloads_the_clerks_reply_file_and_another_unit_finds_nothing(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    task_id, attachment_id = _clerk_replies_with_a_pdf(runtime, session, actors["tracker"])
    stored, content = read_attachment(
        session=session, actor=actors["tracker"], attachment_id=attachment_id, now=at(DAY, 15), ip="10.0.0.7"
    )
    assert content == PDF
    assert (stored.file_name, stored.media_type, stored.size) == ("Báo cáo số 15.pdf", "application/pdf", len(PDF))
    log = session.exec(select(AttachmentDownload)).all()
    assert [(d.attachment_id, d.user_id, d.ip) for d in log] == [(attachment_id, actors["tracker"].user_id, "10.0.0.7")]
    # the lead unit itself, and the admin (sees every task)
    for key in ("clerk", "leader", "admin"):
        assert read_attachment(session=session, actor=actors[key], attachment_id=attachment_id, now=at(DAY))[1] == PDF
    # another unit: exactly the answer for a file that does not exist, and nothing logged
    logged = len(session.exec(select(AttachmentDownload)).all())
    other_clerk = make_actor(runtime, session, "pleiku.vanthu", Role.CLERK, PLEIKU)
    for who in (actors["other_leader"], other_clerk):
        with pytest.raises(NotFound) as refused:
            open_attachment(session=session, actor=who, attachment_id=attachment_id, now=at(DAY))
        with pytest.raises(NotFound) as missing:
            open_attachment(session=session, actor=who, attachment_id=attachment_id + 1000, now=at(DAY))
        assert refused.value.message == missing.value.message.replace(str(attachment_id + 1000), str(attachment_id))
        with pytest.raises(NotFound):
            task_attachments(session=session, actor=who, task_id=task_id)
    assert len(session.exec(select(AttachmentDownload)).all()) == logged


def test_the_files_of_an_assignment_are_for_whoever_sees_any_of_its_tasks(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    document = create_assignment(
        session=session,
        actor=actors["tracker"],
        config=runtime.config,
        now=at(ISSUED),
        data=AssignmentCreate(
            code="200/UBND-KT",
            issue_date=ISSUED,
            issuer="ubnd_tinh",
            doc_type="cong_van",
            summary="Hai nhiệm vụ",
            signer="Nguyễn Văn A",
            tasks=[task("Sở Tài chính làm", FINANCE, DEADLINE), task("Pleiku làm", PLEIKU, DEADLINE)],
            attachments=[upload("200-UBND-KT.pdf", PDF), upload("phu-luc.xlsx", XLSX)],
        ),
    )
    rows = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
    assert [(r.owner, r.document_id, r.task_id, r.event_id) for r in rows] == [
        (AttachmentOwner.ASSIGNMENT, document.id, None, None)
    ] * 2
    health_clerk = make_actor(runtime, session, "syt.vanthu", Role.CLERK, HEALTH)
    for who in (actors["clerk"], actors["other_leader"], actors["tracker"]):
        assert read_attachment(session=session, actor=who, attachment_id=rows[0].id or 0, now=at(DAY))[1] == PDF
    with pytest.raises(NotFound):
        open_attachment(session=session, actor=health_clerk, attachment_id=rows[0].id or 0, now=at(DAY))
    # each task's "Giao nhiệm vụ" entry names the files
    assigned = session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.ASSIGNED)).all()
    assert len(assigned) == 2
    files_line = f"Tệp đính kèm: 200-UBND-KT.pdf ({fmt_size(len(PDF))}), phu-luc.xlsx ({fmt_size(len(XLSX))})"
    assert all(e.note.endswith(f"\n{files_line}") for e in assigned)


def test_a_refused_assignment_keeps_no_file_and_no_document(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    before = row_counts(session)
    with pytest.raises(InvalidInput, match="không phải tệp PDF thật"):
        create_assignment(
            session=session,
            actor=actors["tracker"],
            config=runtime.config,
            now=at(ISSUED),
            data=AssignmentCreate(
                code="201/UBND-KT",
                issue_date=ISSUED,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary="V/v",
                signer="A",
                tasks=[task("Làm", FINANCE, DEADLINE)],
                attachments=[upload("van-ban.pdf", JPEG)],
            ),
        )
    assert row_counts(session) == before
    assert stored_files(files_dir) == []


# --- the journal and the task page ------------------------------------------------------------


def test_uploads_are_journaled_and_listed_on_the_task_page(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    task_id, reply_file = _clerk_replies_with_a_pdf(runtime, session, actors["tracker"])
    replied = session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.REPLIED)).one()
    assert replied.note.endswith(f"Tệp đính kèm: Báo cáo số 15.pdf ({len(PDF)} B)")
    row = session.get(Attachment, reply_file)
    assert row is not None and (row.owner, row.task_id, row.event_id) == (AttachmentOwner.REPLY, task_id, replied.id)
    # a progress note of VP UBND's tracker? no: notes are the unit's (task.note); the specialist's
    note(runtime, session, actors["specialist"], task_id, upload("so-lieu.xlsx", XLSX))
    noted = session.exec(select(TaskEvent).where(TaskEvent.action == EventAction.NOTE)).one()
    assert noted.note == f"Đã gửi báo cáo kèm theo\nTệp đính kèm: so-lieu.xlsx ({len(XLSX)} B)"
    groups = task_attachments(session=session, actor=actors["tracker"], task_id=task_id)
    assert [(g.owner, g.title.split(" ")[0:4]) for g in groups] == [
        (AttachmentOwner.REPLY, ["Văn", "bản", "trả", "lời"]),
        (AttachmentOwner.NOTE, ["Cập", "nhật", "tiến", "độ"]),
    ]
    assert groups[0].title == "Văn bản trả lời 15/STC-VP ngày 10/03/2026"
    assert groups[1].title.endswith("— Stc.Chuyenvien")
    assert [[i.file_name for i in g.items] for g in groups] == [["Báo cáo số 15.pdf"], ["so-lieu.xlsx"]]
    assert groups[0].items[0].uploaded_by == "Stc.Vanthu"


def test_the_download_log_only_grows(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    _, attachment_id = _clerk_replies_with_a_pdf(runtime, session, actors["tracker"])
    open_attachment(session=session, actor=actors["tracker"], attachment_id=attachment_id, now=at(DAY))
    for statement in ("UPDATE attachment_download SET ip = 'x'", "DELETE FROM attachment_download"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert len(session.exec(select(AttachmentDownload)).all()) == 1


def test_a_file_missing_from_the_folder_is_not_found(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path
) -> None:
    _, attachment_id = _clerk_replies_with_a_pdf(runtime, session, actors["tracker"])
    row = session.get(Attachment, attachment_id)
    assert row is not None
    blob_path(row.sha256, root=files_dir).unlink()
    with pytest.raises(NotFound, match="không còn trong thư mục lưu tệp"):
        open_attachment(session=session, actor=actors["tracker"], attachment_id=attachment_id, now=at(DAY))


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into (as in test_backup.py)."""
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored' / 'giaoviec.db'}"
        return
    server = postgres_server.current()
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def test_the_backup_takes_the_files_and_the_restore_puts_them_back(
    runtime: Runtime, session: Session, actors: dict[str, Actor], files_dir: Path, tmp_path: Path, fresh_url: str
) -> None:
    _, attachment_id = _clerk_replies_with_a_pdf(runtime, session, actors["tracker"])
    url = runtime.engine.url.render_as_string(hide_password=False)
    done = backup(database_url=url, folder=tmp_path / "b", keep=1, now=at(DAY), files_dir=files_dir)
    assert done.files == 1 and done.files_archive == files_archive_of(done.path)
    assert stat.S_IMODE(done.files_archive.stat().st_mode) == 0o600
    elsewhere = tmp_path / "restored-files"
    result = restore(database_url=fresh_url, source=done.path, files_dir=elsewhere)
    assert result.differences == [] and result.files_restored == 1
    assert result.actual.counts["attachment"] == 1
    row = session.get(Attachment, attachment_id)
    assert row is not None and blob_path(row.sha256, root=elsewhere).read_bytes() == PDF
    assert stat.S_IMODE(blob_path(row.sha256, root=elsewhere).stat().st_mode) == 0o600
    # the next backup prunes the older one, and its archive with it
    later = backup(database_url=url, folder=tmp_path / "b", keep=1, now=at(DAY, 20), files_dir=files_dir)
    assert later.removed == [done.path] and not done.files_archive.exists()


# --- số đến / ngày đến at vào sổ ------------------------------------------------------------------


def _vao_so(
    runtime: Runtime, session: Session, clerk: Actor, task_id: int, *, number: int | None, on: date | None
) -> str:
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    result = perform(
        session=session,
        actor=clerk,
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.STEP,
        data=StepInput(
            flow_id=flow.id, transition="vao_so", note="Chuyển lãnh đạo", incoming_number=number, incoming_date=on
        ),
        now=at(DAY),
    )
    return result.outcome.message


def test_vao_so_records_so_den_and_ngay_den(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    clerk = actors["clerk"]
    first = one_task(runtime, session, actors["tracker"], "101/UBND-KT")
    [offer] = [o for o in offers(session=session, actor=clerk, config=runtime.config, task_id=first) if o.flow_id]
    assert offer.transition == "vao_so" and offer.register_incoming
    message = _vao_so(runtime, session, clerk, first, number=12, on=date(2026, 3, 4))
    assert message == "Đã thực hiện: Vào sổ, chuyển lãnh đạo."
    [entry] = session.exec(select(IncomingEntry)).all()
    assert (entry.task_id, entry.number, entry.year, entry.received_on) == (first, 12, 2026, date(2026, 3, 4))
    step = session.exec(select(TaskEvent).where(TaskEvent.transition == "vao_so")).one()
    assert step.note == "Chuyển lãnh đạo"  # what the clerk wrote; the register's facts are the entry's
    [journal] = [
        item
        for item in describe_timeline(
            session=session, config=runtime.config, entries=events_of(session=session, task_id=first)
        )
        if item.title.startswith("Bước 1")
    ]
    assert journal.details == ["Số đến: 12, ngày đến: 04/03/2026"] and journal.note == "Chuyển lãnh đạo"
    shown = task_incoming(session=session, actor=actors["tracker"], task_id=first)
    assert [(v.unit_name, v.number, v.received_on) for v in shown] == [("Sở Tài chính", 12, date(2026, 3, 4))]
    # no number: the next of the register; no date: today
    second = one_task(runtime, session, actors["tracker"], "102/UBND-KT")
    _vao_so(runtime, session, clerk, second, number=None, on=None)
    latest = session.exec(select(IncomingEntry).where(IncomingEntry.task_id == second)).one()
    assert (latest.number, latest.received_on) == (13, DAY)
    # the leader's next step offers no register
    leader_offers = offers(session=session, actor=actors["leader"], config=runtime.config, task_id=first)
    assert leader_offers and not any(o.register_incoming for o in leader_offers)
    # another unit may not read the register of this task
    with pytest.raises(NotFound):
        task_incoming(session=session, actor=make_actor(runtime, session, "syt.vt", Role.CLERK, HEALTH), task_id=first)


@pytest.mark.parametrize(
    ("number", "on", "field", "reason"),
    [
        (None, date(2026, 3, 1), "incoming_date", "Ngày đến 01/03/2026 trước ngày ban hành văn bản giao 02/03/2026"),
        (None, date(2026, 3, 11), "incoming_date", "Ngày đến 11/03/2026 sau ngày hôm nay"),
        (5, date(2026, 3, 5), "incoming_number", "Số đến 5 đã có trong sổ văn bản đến năm 2026 của đơn vị"),
        (0, None, "incoming_number", "Số đến phải từ 1 đến 999999"),
    ],
)
def test_a_wrong_so_den_or_ngay_den_is_refused_and_nothing_changes(
    runtime: Runtime,
    session: Session,
    actors: dict[str, Actor],
    number: int | None,
    on: date,
    field: str,
    reason: str,
) -> None:
    clerk = actors["clerk"]
    taken = one_task(runtime, session, actors["tracker"], "101/UBND-KT")
    _vao_so(runtime, session, clerk, taken, number=5, on=date(2026, 3, 3))
    task_id = one_task(runtime, session, actors["tracker"], "102/UBND-KT")
    before = row_counts(session)
    with pytest.raises(InvalidInput, match=reason) as refused:
        _vao_so(runtime, session, clerk, task_id, number=number, on=on)
    assert refused.value.field == field
    assert row_counts(session) == before
    assert len(session.exec(select(IncomingEntry)).all()) == 1
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.state == "cho_vao_so"


def test_the_same_number_in_another_unit_or_year_is_another_entry(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    ours = one_task(runtime, session, actors["tracker"], "101/UBND-KT")
    _vao_so(runtime, session, actors["clerk"], ours, number=5, on=None)
    _, [theirs] = assign(
        runtime, session, actors["tracker"], code="102/UBND-KT", issued=ISSUED, tasks=[task("x", PLEIKU, DEADLINE)]
    )
    pleiku = staff(runtime, session, PLEIKU)
    _vao_so(runtime, session, pleiku.clerk, theirs, number=5, on=None)
    assert sorted(e.number for e in session.exec(select(IncomingEntry)).all()) == [5, 5]


def test_so_den_only_at_vao_so(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    task_id = one_task(runtime, session, actors["tracker"])
    _vao_so(runtime, session, actors["clerk"], task_id, number=None, on=None)
    flow = main_flow(session=session, task_id=task_id)
    assert flow is not None and flow.id is not None
    with pytest.raises(InvalidInput, match="chỉ ghi ở bước vào sổ"):
        perform(
            session=session,
            actor=actors["leader"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.STEP,
            data=StepInput(
                flow_id=flow.id, transition="but_phe", assignee_id=actors["specialist"].user_id, incoming_number=3
            ),
            now=at(DAY),
        )


def test_two_clerks_entering_at_once_get_two_numbers(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Every action bumps the one data-version row first (locked until commit on PostgreSQL, the
    database lock on SQLite), so two vào sổ of one unit run one after the other and the second
    reads the first's number; the unique rule is the backstop. Released together, 6 rounds."""
    second_clerk = make_actor(runtime, session, "stc.vanthu2", Role.CLERK, FINANCE)
    for round_no in range(6):
        ids = [one_task(runtime, session, actors["tracker"], f"{300 + 2 * round_no + n}/UBND-KT") for n in (0, 1)]
        flows = [main_flow(session=session, task_id=t) for t in ids]
        start = threading.Barrier(2, timeout=30)
        failures: list[BaseException] = []

        def enter(
            clerk: Actor,
            task_id: int,
            flow_id: int,
            start: threading.Barrier = start,
            failures: list[BaseException] = failures,
        ) -> None:
            with Session(runtime.engine, expire_on_commit=False) as own:
                try:
                    start.wait()
                    perform(
                        session=own,
                        actor=clerk,
                        config=runtime.config,
                        task_id=task_id,
                        action=ActionKey.STEP,
                        data=StepInput(flow_id=flow_id, transition="vao_so"),
                        now=at(DAY),
                    )
                except BaseException as exc:
                    failures.append(exc)

        racers = [
            threading.Thread(target=enter, args=(who, t, f.id if f else 0))
            for who, t, f in zip((actors["clerk"], second_clerk), ids, flows, strict=True)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)
        assert failures == []
    session.expire_all()
    numbers = sorted(e.number for e in session.exec(select(IncomingEntry)).all())
    assert numbers == list(range(1, 13))
