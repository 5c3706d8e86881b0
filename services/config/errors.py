"""The error raised for a bad configuration file (shared by every config loader)."""


class ConfigError(Exception):
    """A configuration file is missing or invalid; the message names file, line, entry and field."""
