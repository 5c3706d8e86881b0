"""units administered through forms (issue 10): codes up to 35 characters, lead unit history

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 09:40:00

* ``org_unit.code`` widened from 32 to 35 characters: QĐ 20/2020/QĐ-TTg allows mã định danh of
  up to 35 characters. PostgreSQL changes the column's type; SQLite never enforces a VARCHAR
  length, so there only the declared type in the schema text is rewritten (no table copy: every
  table refers to ``org_unit``).
* ``task_lead_change``: the day an open task passed from a merged unit to its successor, so the
  statistics count each day of the task for the unit that led it that day.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _code_length(old: int, new: int) -> None:
    if not _sqlite():
        op.alter_column(
            'org_unit', 'code',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=old),
            type_=sqlmodel.sql.sqltypes.AutoString(length=new),
            existing_nullable=False,
        )
        return
    # SQLite: the declared length is only text in the table's CREATE statement (never enforced);
    # rewriting it keeps the table, its rows and every reference to it as they are.
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'org_unit'").scalar()
    assert isinstance(sql, str)
    declared = sql.replace(f"code VARCHAR({old})", f"code VARCHAR({new})", 1)
    if declared == sql:
        return
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'org_unit'", (declared,)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _code_length(32, 35)
    op.create_table(
        'task_lead_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=False),
        sa.Column('to_unit_id', sa.Integer(), nullable=False),
        sa.Column('changed_on', sa.Date(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['from_unit_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['to_unit_id'], ['org_unit.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_task_lead_change_task_id', 'task_lead_change', ['task_id'])


def downgrade() -> None:
    op.drop_index('ix_task_lead_change_task_id', table_name='task_lead_change')
    op.drop_table('task_lead_change')
    _code_length(35, 32)
