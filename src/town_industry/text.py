"""Text helpers shared by every layer that writes for people: terminal tables and Markdown cells."""
from __future__ import annotations

import unicodedata


def is_wide(char: str) -> bool:
    """A character that takes two columns (Chinese, full-width forms)."""
    return unicodedata.east_asian_width(char) in "WF"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` display columns (aligned right when ``right``)."""
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def table(rows: list[list[str]], right_from: int | None = None, indent: str = "  ") -> list[str]:
    """Rows aligned in columns for a terminal; columns from ``right_from`` on are right-aligned."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(pad(cell, w, right=right_from is not None and i >= right_from)
                               for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]


def markdown_cell(value: object) -> str:
    """A value as one Markdown table cell: a '|' would end the cell and a newline the row, so '|' is
    escaped (every Markdown renderer, and the project's Word converter, shows it as '|') and newlines
    become spaces."""
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")
