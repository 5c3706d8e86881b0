"""Deployment settings read from the environment (pydantic-settings).

Only what differs between machines lives here; what a province changes lives in ``config/``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.infra.private_files import private_dir, write_private_once

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIAOVIEC_", extra="ignore")

    database_url: str = ""  # DATABASE_URL (or GIAOVIEC_DATABASE_URL); empty: SQLite under data_dir
    data_dir: Path = ROOT / "data"
    config_dir: Path = ROOT / "config"
    secret_key: str = ""  # signs the login cookie; empty: generated once into data_dir
    cookie_secure: bool = False  # set true behind HTTPS
    api_rate_limit: int = Field(default=120, ge=1)  # JSON API: requests per token per window
    api_rate_window_seconds: int = Field(default=60, ge=1)  # ... of this many seconds
    # Where the server listens: loopback unless told (0.0.0.0 in a container behind its proxy).
    bind_address: str = "127.0.0.1"
    backup_dir: Path | None = None  # ``manage.py backup``; empty: <data_dir>/backups
    backup_keep: int = Field(default=14, ge=1)  # ... keeps the newest this many
    files_dir: Path | None = None  # attached files, by content hash; empty: <data_dir>/files

    def resolved_database_url(self) -> str:
        import os

        url = self.database_url or os.environ.get("DATABASE_URL", "")
        if url:
            return url
        private_dir(self.data_dir)
        return f"sqlite:///{self.data_dir / 'giaoviec.db'}"

    def resolved_secret_key(self) -> str:
        """``GIAOVIEC_SECRET_KEY``, else the key in ``<data_dir>/secret.key``, created the first
        time with mode 0600 (never readable by others, not even for a moment)."""
        if self.secret_key:
            return self.secret_key
        key_file = private_dir(self.data_dir) / "secret.key"
        return write_private_once(key_file, secrets.token_urlsafe(48)).strip()

    def resolved_backup_dir(self) -> Path:
        """Where ``manage.py backup`` writes: ``GIAOVIEC_BACKUP_DIR``, else ``<data_dir>/backups``."""
        return self.backup_dir or self.data_dir / "backups"

    def resolved_files_dir(self) -> Path:
        """Where attached files are stored (``services.attachments``): ``GIAOVIEC_FILES_DIR``, else
        ``<data_dir>/files``. Not created here: the first file stored creates it, mode 0700."""
        return self.files_dir or self.data_dir / "files"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
