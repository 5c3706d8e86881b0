"""Files only the app's own user may read: the SQLite database, the secret key, the backups.

The database holds every account's password hash and every task of the province, the key signs
the login cookie: with the usual umask (022) they would be created readable by every user of the
machine. Each is created here with mode 0600 from the start (``os.open`` with ``O_EXCL``), so
there is no moment at which it is readable by others, and a directory created for them gets 0700.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(folder: Path) -> Path:
    """``folder``, created with mode 0700 if missing (an existing directory is left as it is:
    it may be shared on purpose, the files in it are private anyway)."""
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return folder


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; True if this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten(path: Path) -> None:
    """Narrow an existing file of ours that others may read to 0600 (a database created by an
    older version of the app was 0644); a file of another user, or a missing one, is left alone."""
    with contextlib.suppress(FileNotFoundError):
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(FILE_MODE)


def write_private_once(path: Path, text: str) -> str:
    """Write ``text`` to ``path`` (mode 0600) unless the file exists; return the file's content.

    The text goes to a private temporary file first, which is then hard-linked to ``path``: two
    processes starting at once never see a half-written file, and exactly one of them wins."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8")
