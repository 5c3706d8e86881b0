"""Kênh thông báo of the plugins (Phần mở rộng, issue 10): every new notification also goes to
each channel a plugin adds (``services.plugins.Registry.add_notification_channel``: Zalo, SMS, a
chat room …), once its action has committed.

The notifications are written at commit by ``services.notifications.recipients``; this module
listens to the same session events, registered after it: it notes the ``notification`` rows each
flush writes, reads what a channel needs of them just before the commit (``ChannelMessage``: plain
values, the session cannot read after it), and calls ``deliver_to_channels`` after the commit,
so an action that rolls back reaches no channel. A channel that raises is logged and skipped: it
never breaks the action, nor the other channels. With no channel installed nothing is noted or
read. A channel is called in the process that made the action, synchronously: one that talks to
a slow service should queue the message and return.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from models import Document, Notification, Task, TaskEvent, User
from services.plugins import Contribution, plugins

log = logging.getLogger("giaoviec.plugins")

_NEW = "giaoviec.channel_notifications"
_READY = "giaoviec.channel_messages"


@dataclass(frozen=True)
class ChannelMessage:
    """One notification as a channel's ``send(message)`` receives it (plain values; the labels of
    ``kind`` and ``action`` are in the configuration: ``notifications.kinds``, ``event_actions``)."""

    notification_id: int
    kind: str  # models.NotificationKind: new_task, step_waiting, reminder, verdict, extension
    user_id: int  # who is told
    username: str
    full_name: str
    email: str | None
    task_id: int
    task_content: str
    document_code: str
    action: str  # models.EventAction of the journal entry: assigned, step, reminded …
    actor_name: str  # who did it
    note: str  # what they wrote
    at: datetime  # when (UTC)


def deliver_to_channels(messages: Sequence[ChannelMessage], channels: Mapping[str, Contribution]) -> int:
    """Hand every message to every channel; a channel that raises is logged (with the plugin and
    the notification) and the others go on. How many deliveries succeeded."""
    delivered = 0
    for message in messages:
        for channel in channels.values():
            try:
                channel.handler(message)
            except Exception:  # a plugin's channel never breaks the action that notified
                log.exception(
                    "notification channel %s of plugin %s failed on notification %s",
                    channel.key,
                    channel.plugin,
                    message.notification_id,
                )
            else:
                delivered += 1
    return delivered


def _message(session: OrmSession, n: Notification) -> ChannelMessage | None:
    user = session.get(User, n.user_id)
    task = session.get(Task, n.task_id)
    entry = session.get(TaskEvent, n.event_id)
    document = session.get(Document, task.document_id) if task is not None else None
    if n.id is None or user is None or task is None or entry is None or document is None:
        return None
    return ChannelMessage(
        notification_id=n.id,
        kind=str(n.kind.value),
        user_id=n.user_id,
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        task_id=n.task_id,
        task_content=task.content,
        document_code=document.code,
        action=str(entry.action),
        actor_name=entry.actor_name,
        note=entry.note,
        at=n.created_at,
    )


def _after_flush(session: OrmSession, _context: UOWTransaction) -> None:
    """Note the notifications this flush wrote, when a plugin has a channel."""
    if not plugins().notification_channels:
        return
    noted: list[Notification] = session.info.setdefault(_NEW, [])
    noted.extend(obj for obj in session.new if isinstance(obj, Notification))


def _before_commit(session: OrmSession) -> None:
    """Read what the channels need of the noted notifications, while the session still can
    (after ``recipients`` added them: this listener is registered after its own)."""
    noted: list[Notification] = session.info.pop(_NEW, [])
    if not noted:
        return
    with session.no_autoflush:
        ready = [m for m in (_message(session, n) for n in noted) if m is not None]
    session.info.setdefault(_READY, []).extend(ready)


def _after_commit(session: OrmSession) -> None:
    ready: list[ChannelMessage] = session.info.pop(_READY, [])
    if ready:
        deliver_to_channels(ready, plugins().notification_channels)


def _forget(session: OrmSession, *_: object) -> None:
    session.info.pop(_NEW, None)
    session.info.pop(_READY, None)


event.listen(OrmSession, "after_flush", _after_flush)
event.listen(OrmSession, "before_commit", _before_commit)
event.listen(OrmSession, "after_commit", _after_commit)
event.listen(OrmSession, "after_rollback", _forget)
