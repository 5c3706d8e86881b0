"""attachments of documents, replies and progress notes; số đến / ngày đến at vào sổ (issue 9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 07:05:00

``attachment``: one row per attached file (its bytes are stored outside the database under their
SHA-256, ``GIAOVIEC_FILES_DIR``), tied by a check constraint to what it belongs to: the assignment
document, a reply document (and its task and journal entry), or a progress note's journal entry.
``attachment_download``: who downloaded which file, append-only like ``task_event`` (the database
refuses UPDATE and DELETE). ``incoming_entry``: the vào sổ of a task in its lead unit's register,
số đến unique per unit and year, and ngày đến. Only new tables: nothing existing is rewritten.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('owner', sa.Enum(
            'assignment', 'reply', 'note', name='attachmentowner', native_enum=False, create_constraint=False, length=32,
        ), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('uploaded_by', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(owner = 'assignment' AND document_id IS NOT NULL AND task_id IS NULL AND event_id IS NULL)"
            " OR (owner = 'reply' AND document_id IS NOT NULL AND task_id IS NOT NULL AND event_id IS NOT NULL)"
            " OR (owner = 'note' AND document_id IS NULL AND task_id IS NOT NULL AND event_id IS NOT NULL)",
            name='ck_attachment_owner',
        ),
        sa.ForeignKeyConstraint(['document_id'], ['document.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['event_id'], ['task_event.id']),
        sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attachment_sha256', 'attachment', ['sha256'])
    op.create_index('ix_attachment_task_id', 'attachment', ['task_id'])
    op.create_index('ix_attachment_document_id', 'attachment', ['document_id'])
    op.create_table(
        'attachment_download',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id']),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attachment_download_attachment_id', 'attachment_download', ['attachment_id'])
    op.create_table(
        'incoming_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('flow_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['flow_id'], ['flow.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('unit_id', 'year', 'number', name='uq_incoming_entry_unit_year_number'),
    )
    op.create_index('ix_incoming_entry_task_id', 'incoming_entry', ['task_id'])
    _downloads_append_only()


def _downloads_append_only() -> None:
    """The download log only grows: the database itself refuses UPDATE and DELETE."""
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER attachment_download_no_{verb.lower()} BEFORE {verb} ON attachment_download "
                "BEGIN SELECT RAISE(ABORT, 'attachment_download is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION attachment_download_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'attachment_download is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER attachment_download_append_only BEFORE UPDATE OR DELETE ON attachment_download "
        "FOR EACH ROW EXECUTE FUNCTION attachment_download_append_only()"
    )


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS attachment_download_no_update")
        op.execute("DROP TRIGGER IF EXISTS attachment_download_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS attachment_download_append_only ON attachment_download")
        op.execute("DROP FUNCTION IF EXISTS attachment_download_append_only()")
    op.drop_index('ix_incoming_entry_task_id', table_name='incoming_entry')
    op.drop_table('incoming_entry')
    op.drop_index('ix_attachment_download_attachment_id', table_name='attachment_download')
    op.drop_table('attachment_download')
    op.drop_index('ix_attachment_document_id', table_name='attachment')
    op.drop_index('ix_attachment_task_id', table_name='attachment')
    op.drop_index('ix_attachment_sha256', table_name='attachment')
    op.drop_table('attachment')
