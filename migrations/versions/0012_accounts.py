"""accounts administered through forms (issue 10)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 09:40:00

``app_user.must_change_password``: set when the admin creates an account or resets its password
from "Quản trị › Người dùng" (the generated password was shown on the admin's screen, so it must
not stay the account's password); the app then shows only "Đổi mật khẩu" until it is changed.
``app_user.email``: an optional contact address, kept by the admin.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN on both backends (a batch copy of app_user on SQLite would drop
    # a table that every journal row references)
    op.add_column('app_user', sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('app_user', sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    _drop_column('app_user', 'email')
    _drop_column('app_user', 'must_change_password')


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): a batch copy of the table would drop the table it
    copies, which its references refuse once rows point at it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)
