"""A draft's Word file as PDF, rendered by LibreOffice with the faces ``include/report/fonts.conf`` maps.

The template names the faces offices have (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312); on a Linux
machine fontconfig stands free faces in for them, as fonts.conf says, so the PDF shows the layout the
office will see in WPS. The packages this needs on Debian are ``DEBIAN_PACKAGES``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from town_industry.contracts.report_layout import REPORT_DIR

FONTS_CONF = REPORT_DIR / "fonts.conf"
DEBIAN_PACKAGES = ("libreoffice-writer", "poppler-utils", "fonts-arphic-uming", "fonts-arphic-ukai",
                   "fonts-wqy-microhei", "fonts-liberation")
COMMANDS = ("soffice", "pdffonts", "pdftotext", "pdfinfo", "pdftoppm", "fc-match")


class RenderError(RuntimeError):
    """LibreOffice did not produce the PDF."""


def missing_commands() -> list[str]:
    return [command for command in COMMANDS if shutil.which(command) is None]


def font_environment() -> dict[str, str]:
    """The environment in which the office faces resolve to the free ones."""
    return {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}


def resolved_face(face: str) -> tuple[str, Path]:
    """(family, font file) fontconfig gives for ``face`` under fonts.conf."""
    out = subprocess.run(["fc-match", "--format=%{family[0]}\t%{file}", face], env=font_environment(),
                         capture_output=True, text=True, check=True).stdout
    family, path = out.split("\t")
    return family, Path(path)


def to_pdf(docx_path: Path, out_dir: Path, timeout: int = 300) -> Path:
    """Render ``docx_path`` to ``out_dir/<name>.pdf``; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:  # a private profile: runs never collide
        result = subprocess.run(
            ["soffice", f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)],
            env=font_environment(), capture_output=True, text=True, timeout=timeout)
    pdf = out_dir / f"{docx_path.stem}.pdf"
    if not pdf.is_file():
        raise RenderError(f"LibreOffice did not render {docx_path} (exit {result.returncode}): "
                          f"{result.stderr.strip() or result.stdout.strip()}")
    return pdf
