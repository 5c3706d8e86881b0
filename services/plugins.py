"""Phần mở rộng (plugins, issue 10): Python packages that add to Giao việc without changing it.

A plugin is any installed distribution that declares an entry point in the group
``giaoviec.plugins``; the entry point names a function ``register(registry)``. The function
receives a ``Registry`` for that plugin and adds what it brings:

* **custom field types** (``add_field_type``): a key, a label and ``parse(text) -> value`` that
  returns the value to store (JSON) or raises ``ValueError`` with a Vietnamese reason; the type is
  then offered on "Trường tùy chỉnh" and its values are checked by it everywhere (forms, API);
* **report formats** (``add_report_format``): ``render(data, config) -> bytes`` receives the
  report content the built-in files are made of (``services.reports.content.ReportData``, the
  configuration ``AppConfig``); offered beside "Tải Excel" on Giám sát and by ``manage.py report
  --format KEY`` (``services.reports.plugin_formats``);
* **notification channels** (``add_notification_channel``): ``send(message)`` is called after
  the commit for each new notification, with a ``services.notifications.channels.ChannelMessage``;
  a channel that raises is logged and never breaks the action;
* **task actions** (``add_task_action``): registered and listed on "Phần mở rộng" only: every
  change to a task goes through ``services.actions.registry``, whose actions are Giao việc's own.

Discovery is ``importlib.metadata.entry_points`` (standard library, no extra dependency), once per
process, when it starts (``discover_at_start``: the ASGI app ``asgi.py`` and ``manage.py``), so a
broken plugin is in the log at start; ``plugins()`` gives what was found (a process that did not
start that way, a test, discovers on first use). A plugin that fails to load or to register, or
that names a key already taken, is listed with its error and adds nothing; it never stops the app.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

GROUP = "giaoviec.plugins"
KEY_RULE = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Custom field types of Giao việc itself (services.custom_fields): a plugin may not take their keys.
BUILTIN_FIELD_TYPES = ("text", "long_text", "number", "date", "choice", "yes_no", "unit")
# Report formats of Giao việc itself (services.reports.command.ReportFormat): nor these.
BUILTIN_REPORT_FORMATS = ("xlsx", "docx", "csv")
EXTENSION_RULE = re.compile(r"[a-z0-9]{1,10}")
MIME_RULE = re.compile(r"[a-z]+/[a-zA-Z0-9.+-]+(; ?charset=[a-zA-Z0-9-]+)?")

log = logging.getLogger("giaoviec.plugins")


@dataclass(frozen=True)
class FieldType:
    """A custom field type added by a plugin: asked for as one line of text in the forms."""

    key: str
    label: str
    parse: Callable[[str], Any]  # the typed text -> the value stored (JSON); ValueError("lý do") refuses it
    display: Callable[[Any], str] = str  # the stored value as shown on the pages
    plugin: str = ""


@dataclass(frozen=True)
class Contribution:
    """A notification channel (``handler(message)``, called for each new notification) or a task
    action (registered and listed only) declared by a plugin."""

    key: str
    label: str
    handler: Callable[..., Any]
    plugin: str = ""


@dataclass(frozen=True)
class PluginReportFormat:
    """A report file format added by a plugin: ``render(data, config)`` gets the report content
    the built-in formats get (``services.reports.content.ReportData``, ``AppConfig``) and returns
    the file's bytes (a ``str`` is written as UTF-8); the file is named ``….<extension>``."""

    key: str
    label: str  # the button's text on Giám sát ("Tải <label>")
    render: Callable[..., bytes | str]
    extension: str
    mime: str
    plugin: str = ""


@dataclass
class PluginInfo:
    """One discovered entry point, as "Phần mở rộng" lists it."""

    name: str  # the entry point's name
    distribution: str  # the package that declares it
    version: str
    target: str  # module:function
    field_types: list[str] = field(default_factory=list)
    report_formats: list[str] = field(default_factory=list)
    notification_channels: list[str] = field(default_factory=list)
    task_actions: list[str] = field(default_factory=list)
    error: str = ""  # why it adds nothing ("" : loaded)


@dataclass
class Plugins:
    """Everything the plugins added, by key."""

    infos: list[PluginInfo] = field(default_factory=list)
    field_types: dict[str, FieldType] = field(default_factory=dict)
    report_formats: dict[str, PluginReportFormat] = field(default_factory=dict)
    notification_channels: dict[str, Contribution] = field(default_factory=dict)
    task_actions: dict[str, Contribution] = field(default_factory=dict)


class Registry:
    """What one plugin's ``register`` function receives; its additions are kept only if the
    whole function succeeds."""

    def __init__(self, plugin: str, taken: Plugins) -> None:
        self.plugin = plugin
        self._taken = taken
        self.field_types: dict[str, FieldType] = {}
        self.report_formats: dict[str, PluginReportFormat] = {}
        self.notification_channels: dict[str, Contribution] = {}
        self.task_actions: dict[str, Contribution] = {}

    def _key(self, key: str, what: str, existing: Iterable[str]) -> str:
        if not isinstance(key, str) or KEY_RULE.fullmatch(key) is None:
            raise ValueError(f"{what} “{key}”: mã chỉ gồm a-z, 0-9, dấu gạch dưới, bắt đầu bằng chữ.")
        if key in existing:
            raise ValueError(f"{what} “{key}” đã có.")
        return key

    def add_field_type(
        self, key: str, label: str, parse: Callable[[str], Any], display: Callable[[Any], str] = str
    ) -> None:
        taken = (*BUILTIN_FIELD_TYPES, *self._taken.field_types, *self.field_types)
        self.field_types[self._key(key, "Kiểu trường", taken)] = FieldType(key, label, parse, display, self.plugin)

    def add_report_format(
        self,
        key: str,
        label: str,
        render: Callable[..., bytes | str],
        extension: str | None = None,
        mime: str = "application/octet-stream",
    ) -> None:
        """``render(data, config) -> bytes``; ``extension``: the file's (default: the key)."""
        taken = (*BUILTIN_REPORT_FORMATS, *self._taken.report_formats, *self.report_formats)
        what = "Định dạng báo cáo"
        self._key(key, what, taken)
        suffix = key if extension is None else extension
        if not isinstance(suffix, str) or EXTENSION_RULE.fullmatch(suffix) is None:
            raise ValueError(f"{what} “{key}”: phần mở rộng tệp “{suffix}” chỉ gồm a-z, 0-9 (tối đa 10).")
        if not isinstance(mime, str) or MIME_RULE.fullmatch(mime) is None:
            raise ValueError(f"{what} “{key}”: kiểu tệp (MIME) “{mime}” không hợp lệ.")
        if not isinstance(label, str) or not label.strip() or not callable(render):
            raise ValueError(f"{what} “{key}”: cần tên hiển thị và hàm render(data, config).")
        self.report_formats[key] = PluginReportFormat(key, label.strip(), render, suffix, mime, self.plugin)

    def add_notification_channel(self, key: str, label: str, send: Callable[..., Any]) -> None:
        taken = (*self._taken.notification_channels, *self.notification_channels)
        self.notification_channels[self._key(key, "Kênh thông báo", taken)] = Contribution(
            key, label, send, self.plugin
        )

    def add_task_action(self, key: str, label: str, run: Callable[..., Any]) -> None:
        taken = (*self._taken.task_actions, *self.task_actions)
        self.task_actions[self._key(key, "Thao tác", taken)] = Contribution(key, label, run, self.plugin)


def _distribution(entry: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(entry, "dist", None)
    if dist is None:
        return "", ""
    return str(dist.metadata["Name"] or ""), str(dist.version or "")


def discover(entries: Iterable[metadata.EntryPoint] | None = None) -> Plugins:
    """Load every entry point of ``giaoviec.plugins`` (by default: the installed ones), in name order."""
    found = Plugins()
    chosen = list(metadata.entry_points(group=GROUP) if entries is None else entries)
    for entry in sorted(chosen, key=lambda e: e.name):
        name, version = _distribution(entry)
        info = PluginInfo(name=entry.name, distribution=name, version=version, target=entry.value)
        found.infos.append(info)
        registry = Registry(name or entry.name, found)
        try:
            register = entry.load()
            register(registry)
        except Exception as exc:  # a broken plugin is listed with its error; the app goes on
            info.error = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %s (%s) not loaded: %s", entry.name, entry.value, info.error)
            continue
        found.field_types.update(registry.field_types)
        found.report_formats.update(registry.report_formats)
        found.notification_channels.update(registry.notification_channels)
        found.task_actions.update(registry.task_actions)
        info.field_types = list(registry.field_types)
        info.report_formats = list(registry.report_formats)
        info.notification_channels = list(registry.notification_channels)
        info.task_actions = list(registry.task_actions)
    return found


@cache
def plugins() -> Plugins:
    """The plugins of this process, discovered once (``reset`` forgets them: tests)."""
    return discover()


def discover_at_start() -> Plugins:
    """Called once when a process starts (``asgi.py``, ``manage.py``): the plugins are found
    now, not at the first page that needs one, so a broken plugin is logged at start (as a
    warning, by ``discover``), and what each loaded plugin adds is logged too."""
    found = plugins()
    for info in found.infos:
        if not info.error:
            added = [*info.field_types, *info.report_formats, *info.notification_channels, *info.task_actions]
            log.info("plugin %s (%s %s) loaded: %s", info.name, info.distribution, info.version, ", ".join(added))
    return found


def reset() -> None:
    plugins.cache_clear()
