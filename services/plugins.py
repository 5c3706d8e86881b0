"""Phần mở rộng (plugins, issue 10): Python packages that add to Giao việc without changing it.

A plugin is any installed distribution that declares an entry point in the group
``giaoviec.plugins``; the entry point names a function ``register(registry)``. The function
receives a ``Registry`` for that plugin and adds what it brings:

* **custom field types** (``add_field_type``): a key, a label and ``parse(text) -> value`` that
  returns the value to store (JSON) or raises ``ValueError`` with a Vietnamese reason; the type is
  then offered on "Trường tùy chỉnh" and its values are checked by it everywhere (forms, API);
* **report formats**, **notification channels** and **task actions** (``add_report_format``,
  ``add_notification_channel``, ``add_task_action``): registered and listed on "Phần mở rộng",
  nothing more yet: no page or service calls them (the seam is there for the features that will).

Discovery is ``importlib.metadata.entry_points`` (standard library, no extra dependency), once per
process on first use (``plugins()``). A plugin that fails to load or to register, or that names a
type already taken, is listed with its error and adds nothing; it never stops the app.
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
    """A report format, a notification channel or a task action declared by a plugin (registered
    and listed; nothing calls them yet)."""

    key: str
    label: str
    handler: Callable[..., Any]
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
    report_formats: dict[str, Contribution] = field(default_factory=dict)
    notification_channels: dict[str, Contribution] = field(default_factory=dict)
    task_actions: dict[str, Contribution] = field(default_factory=dict)


class Registry:
    """What one plugin's ``register`` function receives; its additions are kept only if the
    whole function succeeds."""

    def __init__(self, plugin: str, taken: Plugins) -> None:
        self.plugin = plugin
        self._taken = taken
        self.field_types: dict[str, FieldType] = {}
        self.report_formats: dict[str, Contribution] = {}
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

    def add_report_format(self, key: str, label: str, render: Callable[..., Any]) -> None:
        taken = (*self._taken.report_formats, *self.report_formats)
        self.report_formats[self._key(key, "Định dạng báo cáo", taken)] = Contribution(key, label, render, self.plugin)

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


def reset() -> None:
    plugins.cache_clear()
