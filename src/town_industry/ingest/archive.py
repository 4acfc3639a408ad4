"""The archive of delivered files: every version of every file, loaded or rejected, kept as delivered.

A revised file overwrites the old one in the delivery folder; the archive keeps both, so any version a
month ever held can be shown to an auditor and the warehouse can be rebuilt from the files
(``town-industry rebuild``). A file is archived at ``ARCHIVE_DIR/<source>/<sha256>/<delivered name>``:
keyed by its content, written once (to a temporary name, then renamed) and made read-only.

Validation reads the archived copy, never the delivery folder: the bytes that are validated are the
bytes that are loaded, whatever happens to the delivered file meanwhile.

Files of a source with personal columns (ID numbers, names) are *sealed*: encrypted (Fernet: AES-128
and an HMAC) with a key derived from the pseudonymisation key, and named ``<name>.sealed``, because
personal data never rests anywhere in clear. Their validation reads a private working copy that is
deleted as soon as it is done.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from town_industry import settings

BLOCK = 1 << 20
SEALED = ".sealed"


class FileStillChanging(Exception):
    """The delivered file changed while it was being archived (it is still being copied in)."""


@dataclass(frozen=True)
class Archived:
    delivered: Path
    path: Path  # the archived copy
    sha256: str
    size: int
    signature: tuple[int, int, int]  # (inode, size, mtime in ns) of the delivered file when archived

    @property
    def sealed(self) -> bool:
        return self.path.name.endswith(SEALED)


def signature(path: Path) -> tuple[int, int, int] | None:
    """What tells a changed or replaced file from the one seen before; None once it is gone."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_key(pseudonym_key: bytes) -> bytes:
    """The Fernet key of sealed files, derived from the pseudonymisation key (one secret to keep)."""
    derived = hmac.new(pseudonym_key, b"town-industry archive v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(derived)


def archive_file(delivered: Path, source_name: str, attempts: int = 3, seal_with: bytes | None = None) -> Archived:
    """Copy ``delivered`` into the archive (once per content) and return where it is; sealed with the
    Fernet key ``seal_with`` when given (sources with personal columns).

    A file still being written (its size, time or inode moving while it is copied) is copied again after
    a pause; after ``attempts`` tries, ``FileStillChanging``.
    """
    for attempt in range(attempts):
        archived = _copy_once(delivered, settings.archive_dir() / source_name, seal_with)
        if archived is not None:
            return archived
        if attempt + 1 < attempts:
            time.sleep(max(settings.file_settle_seconds(), 1.0))
    raise FileStillChanging(f"{delivered}: the file kept changing while it was read ({attempts} tries); "
                            "it is probably still being copied in. Rerun the month once the copy has finished.")


def _copy_once(delivered: Path, folder: Path, seal_with: bytes | None = None) -> Archived | None:
    folder.mkdir(parents=True, exist_ok=True)
    before = signature(delivered)
    if before is None:
        raise FileNotFoundError(f"{delivered}: the file disappeared before it could be archived")
    digest, size = hashlib.sha256(), 0
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".incoming-")  # never taken for an archived file
    try:
        with delivered.open("rb") as src, os.fdopen(handle, "wb") as out:
            if seal_with is None:
                for block in iter(lambda: src.read(BLOCK), b""):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
            else:  # a delivered file is bounded (limits.max_file_mb): sealed in one piece
                from cryptography.fernet import Fernet

                content = src.read()
                digest.update(content)
                size = len(content)
                out.write(Fernet(seal_with).encrypt(content))
            out.flush()
            os.fsync(out.fileno())
        if signature(delivered) != before or size != before[1]:
            return None
        sha = digest.hexdigest()
        target = folder / sha / (delivered.name + (SEALED if seal_with else ""))
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            os.chmod(partial, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # evidence: read-only
            os.replace(partial, target)
        return Archived(delivered, target, sha, size, before)
    finally:
        Path(partial).unlink(missing_ok=True)


def read_archived(path: Path, seal_with: bytes | None = None) -> bytes:
    """The delivered bytes of an archived file (unsealed with the Fernet key when sealed), checked
    against the SHA-256 the archive names it by."""
    content = path.read_bytes()
    if path.name.endswith(SEALED):
        from cryptography.fernet import Fernet

        if seal_with is None:
            raise ValueError(f"{path} is sealed: the archive key is needed to open it")
        content = Fernet(seal_with).decrypt(content)
    if hashlib.sha256(content).hexdigest() != path.parent.name:
        raise ValueError(f"{path}: the content does not match its SHA-256 (the archive was altered)")
    return content


def delivered_name(path: Path) -> str:
    """The name the file was delivered under."""
    return path.name.removesuffix(SEALED)


@contextmanager
def readable_copy(archived: Archived, seal_with: bytes | None = None):
    """A path with the delivered bytes to read: the archived file itself, or for a sealed one a private
    copy (owner-only folder, the delivered name) deleted on exit."""
    if not archived.sealed:
        yield archived.path
        return
    folder = Path(tempfile.mkdtemp(prefix="town-industry-open-"))  # mode 0700
    try:
        copy = folder / delivered_name(archived.path)
        copy.write_bytes(read_archived(archived.path, seal_with))
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def change_since(archived_signature: tuple[int, int, int] | list, delivered: Path, sha256: str) -> str | None:
    """How the delivered file differs from the version archived (and validated); None if it does not.

    Cheap when nothing happened (one stat); the content is hashed only when the file looks touched, so a
    file merely copied over with the same bytes is not reported.
    """
    now = signature(delivered)
    if now is None:
        return "removed"
    if tuple(now) == tuple(archived_signature):
        return None
    current = sha256_of(delivered)
    return None if current == sha256 else f"replaced (now SHA-256 {current[:12]})"
