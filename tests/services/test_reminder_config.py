"""``reminders``, ``notifications`` and ``email`` of config/app.yaml: the shipped values and the
defaults when left out; a wrong value stops the start naming the file and the field, in Vietnamese."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import NotificationKind, ReminderLevel
from services.config.loader import ConfigError, load_config
from services.infra.settings import ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    for source in (ROOT / "config").glob("*.yaml"):
        shutil.copy(source, target / source.name)
    return target


def _set(config_dir: Path, key: str, value: Any) -> None:
    path = config_dir / "app.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        data.pop(key)
    else:
        data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_values_and_defaults(config_dir: Path) -> None:
    app = load_config(config_dir).app
    assert [
        (level, app.reminders.levels[level].label, app.reminders.levels[level].days) for level in ReminderLevel
    ] == [
        (ReminderLevel.NOTICE, "Nhắc nhở", -3),
        (ReminderLevel.CRITICISM, "Phê bình", 1),
        (ReminderLevel.REVIEW, "Kiểm điểm", 7),
    ]
    assert set(app.notifications.kinds) == set(NotificationKind)
    assert not app.email.enabled and app.email.port == 587 and app.email.starttls
    for key in ("reminders", "notifications", "email"):
        _set(config_dir, key, None)
    defaults = load_config(config_dir).app
    assert defaults.reminders == app.reminders and defaults.notifications == app.notifications
    assert defaults.email == app.email


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "reminders",
            {
                "levels": {
                    "notice": {"label": "Nhắc", "days": 2},
                    "criticism": {"label": "Phê bình", "days": 1},
                    "review": {"label": "Kiểm điểm", "days": 7},
                }
            },
            "số ngày phải tăng dần theo mức (notice.days < criticism.days < review.days)",
        ),
        ("reminders", {"levels": {"notice": {"label": "Nhắc", "days": -3}}}, "levels: thiếu mức criticism, review"),
        ("reminders", {"levels": {"notice": {"label": "", "days": -3}}}, "label"),
        ("reminders", {"levels": {"warning": {"label": "Cảnh cáo", "days": 30}}}, "warning"),
        ("reminders", {"levels": {"notice": {"label": "Nhắc", "days": "=cmd"}}}, "days"),
        ("notifications", {"kinds": {"new_task": "Mới"}}, "kinds: thiếu nhãn cho step_waiting, reminder"),
        ("email", {"enabled": True}, "enabled: true cần host và sender"),
        ("email", {"port": 70000}, "port"),
        ("email", {"password": "bí mật"}, "password"),  # never in YAML: refused as an unknown key
    ],
)
def test_a_wrong_value_is_refused_naming_the_field(config_dir: Path, key: str, value: Any, message: str) -> None:
    _set(config_dir, key, value)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    text = str(caught.value)
    assert "app.yaml" in text and key in text and message in text, text
