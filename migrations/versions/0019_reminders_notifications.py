"""reminders and notifications (issue 11: Đôn đốc, Thông báo)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 12:45:00

``reminder``: one reminder of a task's lead unit at one level about one deadline (unique: the
daily job can run twice at once and still send it once). ``notification``: one thing one person
should know, tied to its journal entry, read or not. ``mail_outbox``: the e-mail of a
notification, kept until an SMTP server accepts it. Nothing is backfilled: past journal entries
make no notifications (a first start would otherwise greet everyone with years of them).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=32)


def upgrade() -> None:
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('level', _enum('notice', 'criticism', 'review', name='reminderlevel'), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('sent_by', sa.Integer(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id']),
        sa.ForeignKeyConstraint(['sent_by'], ['app_user.id']),
        sa.ForeignKeyConstraint(['event_id'], ['task_event.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'level', 'deadline', name='uq_reminder_task_level_deadline'),
    )
    op.create_index('ix_reminder_task_id', 'reminder', ['task_id'])
    op.create_index('ix_reminder_sent_on_unit', 'reminder', ['sent_on', 'unit_id', 'level'])
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column(
            'kind',
            _enum('new_task', 'step_waiting', 'reminder', 'verdict', 'extension', name='notificationkind'),
            nullable=False,
        ),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('read_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['task_id'], ['task.id']),
        sa.ForeignKeyConstraint(['event_id'], ['task_event.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'event_id', name='uq_notification_user_event'),
    )
    op.create_index('ix_notification_user_unread', 'notification', ['user_id', 'read_at'])
    op.create_index('ix_notification_user_id', 'notification', ['user_id', 'id'])
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('to_address', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column('status', _enum('pending', 'sending', 'sent', name='mailstatus'), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notification_id'),
    )
    op.create_index('ix_mail_outbox_status', 'mail_outbox', ['status', 'id'])


def downgrade() -> None:
    op.drop_index('ix_mail_outbox_status', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    op.drop_index('ix_notification_user_id', table_name='notification')
    op.drop_index('ix_notification_user_unread', table_name='notification')
    op.drop_table('notification')
    op.drop_index('ix_reminder_sent_on_unit', table_name='reminder')
    op.drop_index('ix_reminder_task_id', table_name='reminder')
    op.drop_table('reminder')
