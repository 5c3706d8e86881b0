"""config versions (issue 10): the configuration as data

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 09:40:00

``config_version``: one row per version of the configuration (catalogues, parameters, labels,
the working-day calendar, roles, workflows), the YAML text of each file in a JSON column. The
newest row is in force; with no row the seed ``config/*.yaml`` is. Append-only like
``admin_change``: the database refuses UPDATE and DELETE (a restore is a new row).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        'config_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('restored_from', sa.Integer(), nullable=True),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['author_user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER config_version_no_{verb.lower()} BEFORE {verb} ON config_version "
                "BEGIN SELECT RAISE(ABORT, 'config_version is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION config_version_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'config_version is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER config_version_append_only BEFORE UPDATE OR DELETE ON config_version "
        "FOR EACH ROW EXECUTE FUNCTION config_version_append_only()"
    )


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS config_version_no_update")
        op.execute("DROP TRIGGER IF EXISTS config_version_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS config_version_append_only ON config_version")
        op.execute("DROP FUNCTION IF EXISTS config_version_append_only()")
    op.drop_table('config_version')
