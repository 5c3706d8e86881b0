"""server-side login sessions, the login throttle and the security audit log (issue 8)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:10:00

``app_user.sessions_valid_after``: every login session begun before it is over. ``auth_session``:
one row per login (only a SHA-256 of the cookie's secret), ended by logout, an admin, or the
timeouts. ``login_throttle``: recent failed logins per account name and per address, and their
lockouts (in the database, so every server process shares the count). ``auth_event``: the
security audit log, append-only like ``task_event`` (the database refuses UPDATE and DELETE).
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions_valid_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_table(
        'auth_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ended_reason', sa.Enum(
            'logout', 'idle', 'expired', 'account_changed', 'ended_by_admin', 'password_changed', 'account_locked',
            name='sessionendreason', native_enum=False, create_constraint=False, length=32,
        ), nullable=True),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_index('ix_auth_session_user_id', 'auth_session', ['user_id'])
    op.create_table(
        'login_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.Enum(
            'account', 'address', name='throttlescope', native_enum=False, create_constraint=False, length=32,
        ), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope', 'key', name='uq_login_throttle_scope_key'),
    )
    op.create_table(
        'auth_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('kind', sa.Enum(
            'login_ok', 'login_failed', 'throttled', 'locked_out', 'csrf_refused', 'logout', 'session_ended',
            'sessions_ended_by_admin', 'password_changed', 'account_locked', 'account_unlocked',
            name='autheventkind', native_enum=False, create_constraint=False, length=32,
        ), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('ip', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['by_user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_auth_event_at', 'auth_event', ['at'])
    op.create_index('ix_auth_event_user_id', 'auth_event', ['user_id'])
    op.create_index('ix_auth_event_username_at', 'auth_event', ['username', 'at'])
    _audit_append_only()


def _audit_append_only() -> None:
    """The audit log (auth_event) only grows: the database itself refuses UPDATE and DELETE."""
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER auth_event_no_{verb.lower()} BEFORE {verb} ON auth_event "
                "BEGIN SELECT RAISE(ABORT, 'auth_event is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION auth_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'auth_event is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER auth_event_append_only BEFORE UPDATE OR DELETE ON auth_event "
        "FOR EACH ROW EXECUTE FUNCTION auth_event_append_only()"
    )


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS auth_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS auth_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS auth_event_append_only ON auth_event")
        op.execute("DROP FUNCTION IF EXISTS auth_event_append_only()")
    op.drop_index('ix_auth_event_username_at', table_name='auth_event')
    op.drop_index('ix_auth_event_user_id', table_name='auth_event')
    op.drop_index('ix_auth_event_at', table_name='auth_event')
    op.drop_table('auth_event')
    op.drop_table('login_throttle')
    op.drop_index('ix_auth_session_user_id', table_name='auth_session')
    op.drop_table('auth_session')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('sessions_valid_after')
