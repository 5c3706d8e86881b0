"""reminders and notifications (issue 11: Đôn đốc, Thông báo)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 12:45:00

Reserved: filled in by the work on this feature.
"""
from __future__ import annotations

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
