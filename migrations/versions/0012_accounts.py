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
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('must_change_password')
