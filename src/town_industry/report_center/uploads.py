"""A submitted file: received within the source's limits, checked for type, validated exactly as the
DAG validates it, and, when accepted, put where the DAG looks for it.

The client's file name is used for one thing: its extension, which must be one the source declares
and agree with the content (an XLSX is a zip, a CSV is text). The file is stored under the name the
server chooses, ``DATA_DIR/<source>/<month><ext>``, so no client path reaches the file system.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from town_industry import settings
from town_industry.contracts.findings import ERROR, Finding
from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Source
from town_industry.ingest.archive import Archived, archive_file, archive_key
from town_industry.ingest.bounded import ChildFailed, LimitExceeded, failure_finding, run_within
from town_industry.ingest.personal import hmac_key
from town_industry.ingest.suites import suite_error

log = logging.getLogger(__name__)

BLOCK = 1 << 20
# What a file's first bytes say it is. A CSV is text: no NUL byte in its first block.
ZIP_MAGIC = b"PK\x03\x04"
BINARY_MAGICS = (b"\xd0\xcf\x11\xe0", b"%PDF", b"\x7fELF", b"MZ", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


class Refused(Exception):
    """The upload is refused before validation: too large, or not the type it claims (``finding``)."""

    def __init__(self, status: int, refusal: Finding):
        super().__init__(refusal.message_en)
        self.status, self.finding = status, refusal


@dataclass
class Received:
    """The submitted bytes in a private folder, under the server's name for them."""

    source: Source
    month: str
    path: Path
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return self.path.suffix


@dataclass
class Verdict:
    source: str
    month: str
    stored_as: str  # the server's name: <month><ext>
    size: int
    sha256: str
    rows: int
    findings: list[Finding]
    delivered: str | None = None  # DATA_DIR/<source>/<month><ext> once accepted
    replaced: list[str] = field(default_factory=list)  # archived copies of the versions it replaced

    @property
    def accepted(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def server_name(month: str, extension: str) -> str:
    return f"{month}{extension}"


@contextmanager
def received(upload: BinaryIO, client_name: str | None, source: Source, month: str):
    """The upload copied into a private temporary folder (deleted on exit) as ``<month><ext>``.

    Refused (413) once it passes the source's ``limits.max_file_mb``, and (415) when its extension is not
    one the source declares or its content is not of that type."""
    extension = claimed_extension(client_name, source, month)
    folder = Path(tempfile.mkdtemp(prefix="report-center-"))  # mode 0700: personal data stays private
    try:
        path = folder / server_name(month, extension)
        size, sha256 = _copy_bounded(upload, path, source, month, extension)
        _check_content(path, extension)
        yield Received(source, month, path, size, sha256)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def claimed_extension(client_name: str | None, source: Source, month: str) -> str:
    """The extension of the client's file name, lower-cased, if the source declares it (else 415).
    Only the part after the last dot of the last path segment is read: ``../../a.csv`` claims ``.csv``.
    A name with control or format characters (a NUL, a right-to-left override) is refused: no export
    names a file so, and such names exist to make one file look like another."""
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in client_name or ""):
        raise Refused(415, finding("unsupported_file_type", {"file": server_name(month, "")}))
    base = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    extension = ("." + base.rsplit(".", 1)[-1].lower()) if "." in base else ""
    if extension not in source.file_extensions:
        raise Refused(415, finding("unsupported_file_type", {"file": server_name(month, extension or "")}))
    return extension


def _copy_bounded(upload: BinaryIO, path: Path, source: Source, month: str, extension: str) -> tuple[int, str]:
    limit = source.limits.max_file_mb * 2**20
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for block in iter(lambda: upload.read(BLOCK), b""):
            size += len(block)
            if size > limit:
                raise too_large(source, month, extension, size)
            digest.update(block)
            out.write(block)
    return size, digest.hexdigest()


def too_large(source: Source, month: str, extension: str, size: float) -> Refused:
    shown = f"{size / 2**20:,.1f} MB"
    return Refused(413, finding("file_too_large", {
        "file": server_name(month, extension), "what": bilingual(f"大小（超过 {shown}）", f"size (over {shown})"),
        "limit": f"{source.limits.max_file_mb:,g} MB"}))


def sniffed_extension(path: Path) -> str | None:
    """``.xlsx`` for a zip holding a workbook, ``.csv`` for text, None for anything else."""
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        return ".xlsx" if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names) else None
    if b"\x00" in head or head.startswith(BINARY_MAGICS):
        return None
    return ".csv"


def _check_content(path: Path, extension: str) -> None:
    if sniffed_extension(path) != extension:
        raise Refused(415, finding("unsupported_file_type", {"file": path.name}))


# --- validation: the DAG's checks, in a bounded child ---------------------------------------------

class ConfigurationProblem(RuntimeError):
    """The source cannot be validated now (its suite is stale): a data engineer must act, not the clerk."""


def validate(upload: Received) -> tuple[int, list[Finding]]:
    """Rows and findings of the upload, by the checks the DAG's validate task runs (``validate_file`` in a
    child bounded by the source's limits); nothing is written to the warehouse."""
    stale = suite_error(upload.source)
    if stale:
        raise ConfigurationProblem(str(stale))
    try:
        # A fork server, never fork: the api-server is threaded, and a child forked from a threaded
        # process can inherit a lock another thread held.
        rows, found = run_within(upload.source.limits, _validate_in_child, str(upload.path), upload.source.name,
                                 upload.month, upload.sha256, method="forkserver")
    except (LimitExceeded, ChildFailed) as exc:
        return 0, [failure_finding(exc, upload.path.name)]
    return rows, [Finding(**f) for f in found]


def _validate_in_child(path: str, source_name: str, month: str, sha256: str) -> tuple[int, list[dict]]:
    from town_industry.contracts.sources import get_source
    from town_industry.ingest.validation import validate_file

    result = validate_file(Path(path), get_source(source_name), month, sha256=sha256)
    return result.rows, [f.as_dict() for f in result.findings]


# --- acceptance: into the delivery folder, the replaced version archived first ---------------------

def seal_key(source: Source) -> bytes | None:
    """The archive's key for a source with personal columns (its files are archived sealed), else None."""
    return archive_key(hmac_key()) if any(c.personal for c in source.columns) else None


def deliver(upload: Received) -> tuple[Path, list[Archived]]:
    """Put the accepted upload at ``DATA_DIR/<source>/<month><ext>``; every file the month held before
    (under any declared extension) is archived first, then replaced or removed, so the DAG finds the
    new one and no version is lost."""
    source, month = upload.source, upload.month
    seal = seal_key(source)  # before anything moves: without the key nothing is replaced
    folder = settings.data_dir() / source.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / upload.path.name
    previous = [p for p in source.file_candidates(settings.data_dir(), month) if p.is_file()]
    archived = [archive_file(p, source.name, seal_with=seal) for p in previous]
    partial = folder / f".{upload.path.name}.{os.getpid()}.incoming"  # hidden, and no month's name
    try:
        shutil.copyfile(upload.path, partial)
        os.replace(partial, target)  # the DAG's sensor never sees a half-written file
    finally:
        partial.unlink(missing_ok=True)
    for old in previous:
        if old != target:
            old.unlink(missing_ok=True)  # a 2020-06.csv would hide a new 2020-06.xlsx
    log.info("report center: %s %s stored as %s (sha256 %s); replaced %d archived version(s)",
             source.name, month, target, upload.sha256[:12], len(archived))
    return target, archived
