"""extension requests (issue 11: Xin gia hạn)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 12:45:00

``extension_request``: the lead unit's leader asks VP UBND for a later deadline, with a reason;
VP UBND grants it (an ``extension`` row, the deadline in force from that day) or refuses it with a
reason. Kept for ever: the requests of a task count against the configured limit.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("requested_deadline", sa.Date(), nullable=False),
        sa.Column("deadline_before", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "refused",
                name="requeststatus",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("granted_deadline", sa.Date(), nullable=True),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"]),
        sa.ForeignKeyConstraint(["requested_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["extension_id"], ["extension.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_extension_request_task_id", "extension_request", ["task_id"])
    op.create_index("ix_extension_request_status", "extension_request", ["status", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_extension_request_status", table_name="extension_request")
    op.drop_index("ix_extension_request_task_id", table_name="extension_request")
    op.drop_table("extension_request")
