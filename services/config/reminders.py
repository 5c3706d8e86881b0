"""``reminders:``, ``notifications:`` and ``email:`` of app.yaml (Đôn đốc, Thông báo).

The levels of a reminder are the province's rule (how near or how far past the deadline each one
is sent), so they are data; the SMTP server is the installation's, with its password only in the
environment (``GIAOVIEC_SMTP_PASSWORD``), never in a file that is exported or versioned.
"""

from __future__ import annotations

from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.notifications import NotificationKind
from models.reminders import ReminderLevel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReminderLevelConfig(_Strict):
    """One level: its label, and the day it is reached, counted from the deadline in force
    (``days``: -3 = from three days before the deadline; 1 = from the first day overdue)."""

    label: str = Field(min_length=1, max_length=60)
    days: int = Field(ge=-60, le=365)


_DEFAULT_LEVELS = {
    ReminderLevel.NOTICE: ReminderLevelConfig(label="Nhắc nhở", days=-3),
    ReminderLevel.CRITICISM: ReminderLevelConfig(label="Phê bình", days=1),
    ReminderLevel.REVIEW: ReminderLevelConfig(label="Kiểm điểm", days=7),
}


class RemindersConfig(_Strict):
    """Every level, each reached later than the one before (``ReminderLevel``'s order)."""

    levels: dict[ReminderLevel, ReminderLevelConfig] = Field(default_factory=lambda: dict(_DEFAULT_LEVELS))

    @model_validator(mode="after")
    def _every_level_in_order(self) -> RemindersConfig:
        missing = [level.value for level in ReminderLevel if level not in self.levels]
        if missing:
            raise ValueError(f"levels: thiếu mức {', '.join(missing)}")
        days = [self.levels[level].days for level in ReminderLevel]
        if any(later <= earlier for earlier, later in pairwise(days)):
            order = " < ".join(f"{level.value}.days" for level in ReminderLevel)
            raise ValueError(f"levels: số ngày phải tăng dần theo mức ({order})")
        return self

    def label(self, level: ReminderLevel) -> str:
        return self.levels[level].label


_DEFAULT_KINDS = {
    NotificationKind.NEW_TASK: "Nhiệm vụ mới giao cho đơn vị",
    NotificationKind.STEP_WAITING: "Bước xử lý đang chờ bạn",
    NotificationKind.REMINDER: "Đôn đốc nhiệm vụ của đơn vị",
    NotificationKind.VERDICT: "Kết quả xác nhận văn bản trả lời",
    NotificationKind.EXTENSION: "Gia hạn",
}


class NotificationsConfig(_Strict):
    """The label of each kind of notification (Thông báo)."""

    kinds: dict[NotificationKind, str] = Field(default_factory=lambda: dict(_DEFAULT_KINDS))

    @model_validator(mode="after")
    def _every_kind(self) -> NotificationsConfig:
        missing = [kind.value for kind in NotificationKind if kind not in self.kinds]
        if missing:
            raise ValueError(f"kinds: thiếu nhãn cho {', '.join(missing)}")
        return self


class EmailConfig(_Strict):
    """The SMTP server the daily job sends notifications through; off unless ``enabled``."""

    enabled: bool = False
    host: str = Field(default="", max_length=255)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    user: str = Field(default="", max_length=255)  # "" : no login; the password: GIAOVIEC_SMTP_PASSWORD
    sender: str = Field(default="", max_length=255)  # the From: address
    timeout_seconds: int = Field(default=20, ge=1, le=300)
    max_age_days: int = Field(default=3, ge=1, le=60)  # older notifications are not mailed
    link_base: str = Field(default="", max_length=255)  # e.g. https://giaoviec.example.gov.vn: links in mails

    @model_validator(mode="after")
    def _server_when_enabled(self) -> EmailConfig:
        if self.enabled and (not self.host.strip() or "@" not in self.sender):
            raise ValueError("enabled: true cần host và sender (một địa chỉ e-mail)")
        return self
