"""task search text (issue 10): reserved, filled in by its feature

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 10:05:00
"""
from __future__ import annotations

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
