"""Deployment settings read from the environment (pydantic-settings).

Only what differs between machines lives here; what a province changes lives in ``config/``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIAOVIEC_", extra="ignore")

    database_url: str = ""  # DATABASE_URL (or GIAOVIEC_DATABASE_URL); empty: SQLite under data_dir
    data_dir: Path = ROOT / "data"
    config_dir: Path = ROOT / "config"
    secret_key: str = ""  # signs the login cookie; empty: generated once into data_dir
    session_hours: int = 12
    cookie_secure: bool = False  # set true behind HTTPS
    api_rate_limit: int = Field(default=120, ge=1)  # JSON API: requests per token per window
    api_rate_window_seconds: int = Field(default=60, ge=1)  # ... of this many seconds

    def resolved_database_url(self) -> str:
        import os

        url = self.database_url or os.environ.get("DATABASE_URL", "")
        if url:
            return url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'giaoviec.db'}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            key_file.chmod(0o600)
        return key_file.read_text(encoding="utf-8").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
