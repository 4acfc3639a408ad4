"""The report draft's Markdown as a Word document, with python-docx.

Only the small Markdown subset the report template writes is understood:

- ``#``/``##``/``###`` headings (document title, Heading 1, Heading 2; deeper ones Heading 3);
- paragraphs (consecutive lines, joined without a space between Chinese characters);
- ``**bold**`` and ```code``` inline;
- ``- item`` bullets and ``1. item`` numbered items;
- pipe tables with a ``|---|`` separator under the header row;
- ``![caption](path.png)`` alone on a line: the picture, 15 cm wide, with its caption under it;
- ``> text`` lines: a passage a person still has to write, highlighted yellow in Word;
- ``---`` alone on a line: an empty paragraph;
- ``<!-- comments -->``: dropped.

Anything else is written as a plain paragraph, never dropped. Chinese text is set in 宋体 (headings 黑体).
The file is deterministic: same Markdown, images and timestamp give the same bytes.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from town_industry.text import display_width, is_wide

DEFAULT_TIMESTAMP = datetime(2000, 1, 1)

BODY_FONT, BODY_LATIN = "宋体", "Times New Roman"
HEADING_FONT, HEADING_LATIN = "黑体", "Arial"
CODE_FONT = "Consolas"
BODY_SIZE = Pt(12)  # 小四
SMALL_SIZE = Pt(10.5)  # 五号: captions and table cells
PICTURE_WIDTH = Cm(15)
HALF_CHAR = int(SMALL_SIZE * 0.6)  # a Latin character in a table cell, half a Chinese one
CELL_MARGINS = Cm(0.45)  # Table Grid's left and right cell margins, and a little air
SHORT_CELL = 12  # half-characters: a cell text this short is never wrapped
BLACK = RGBColor(0, 0, 0)
# style name, size, centred: '#' is the document title, '##' Heading 1, '###' Heading 2
HEADING_STYLES = {1: ("Title", Pt(18), True), 2: ("Heading 1", Pt(16), False), 3: ("Heading 2", Pt(14), False),
                  4: ("Heading 3", Pt(12), False)}

HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
IMAGE = re.compile(r"^\s*!\[([^\]]*)\]\(\s*<?([^)>]+?)>?\s*\)\s*$")
QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
TABLE_ROW = re.compile(r"^\s*\|.*$")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
WHOLE_LINE_COMMENT = re.compile(r"^[ \t]*<!--.*?-->[ \t]*(?:\n|$)", re.S | re.M)
COMMENT = re.compile(r"<!--.*?-->", re.S)
INLINE = re.compile(r"\\([!-/:-@\[-`{-~])|(``+)|`([^`]+)`|(\*\*)")  # escape, a run of backticks, code, bold


# ---- reading the Markdown ----------------------------------------------------------------------

@dataclass
class Block:
    kind: str  # heading, paragraph, bullet, numbered, quote, table, image, rule
    text: str = ""
    level: int = 0  # heading level
    rows: list[list[str]] | None = None  # table: header row first
    align: list[str] | None = None  # table: 'left', 'center' or 'right' per column
    path: str = ""  # image


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one text: no space where Chinese meets, one space between Latin words."""
    text = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if text and not (is_wide(text[-1]) or is_wide(line[0])):
            text += " "
        text += line
    return text


def _split_row(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [cell.strip().replace("\\|", "|") for cell in cells]


def _alignment(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "center"
    return "right" if cell.endswith(":") else "left"


def _starts_block(lines: list[str], i: int) -> bool:
    """Whether line ``i`` begins a block other than a paragraph (so it ends the paragraph before it)."""
    line = lines[i]
    return bool(HEADING.match(line) or RULE.match(line) or IMAGE.match(line) or QUOTE.match(line)
                or BULLET.match(line) or NUMBERED.match(line) or _table_starts(lines, i))


def _table_starts(lines: list[str], i: int) -> bool:
    return (bool(TABLE_ROW.match(lines[i])) and i + 1 < len(lines) and "|" in lines[i + 1]
            and bool(TABLE_SEPARATOR.match(lines[i + 1])))


def parse(markdown: str) -> list[Block]:
    """The blocks of ``markdown``, in order."""
    markdown = COMMENT.sub("", WHOLE_LINE_COMMENT.sub("", markdown))
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif heading := HEADING.match(line):
            blocks.append(Block("heading", heading.group(2), level=len(heading.group(1))))
            i += 1
        elif RULE.match(line):
            blocks.append(Block("rule"))
            i += 1
        elif _table_starts(lines, i):
            rows = [_split_row(line)]
            align = [_alignment(cell) for cell in _split_row(lines[i + 1])]
            i += 2
            while i < len(lines) and TABLE_ROW.match(lines[i]):
                rows.append(_split_row(lines[i]))
                i += 1
            blocks.append(Block("table", rows=rows, align=align))
        elif image := IMAGE.match(line):
            blocks.append(Block("image", image.group(1).strip(), path=image.group(2).strip()))
            i += 1
        elif QUOTE.match(line):
            # one block; a bare '>' line inside it starts a new paragraph of the same block
            paragraphs: list[list[str]] = [[]]
            while i < len(lines) and (quoted := QUOTE.match(lines[i])):
                if quoted.group(1).strip():
                    paragraphs[-1].append(quoted.group(1))
                elif paragraphs[-1]:
                    paragraphs.append([])
                i += 1
            blocks.extend(Block("quote", join_lines(p)) for p in paragraphs if p)
        elif item := (BULLET.match(line) or NUMBERED.match(line)):
            kind = "bullet" if BULLET.match(line) else "numbered"
            text = [item.group(1)]
            i += 1
            # indented lines that start nothing new continue the item
            while i < len(lines) and lines[i][:1] in (" ", "\t") and lines[i].strip() and not _starts_block(lines, i):
                text.append(lines[i])
                i += 1
            blocks.append(Block(kind, join_lines(text)))
        else:
            text = [line]
            i += 1
            while i < len(lines) and lines[i].strip() and not _starts_block(lines, i):
                text.append(lines[i])
                i += 1
            blocks.append(Block("paragraph", join_lines(text)))
    return blocks


def inline_runs(text: str) -> list[tuple[str, bool, bool]]:
    """``text`` as (text, bold, code) runs: ``**`` toggles bold, backticks make code, ``\\*`` is a literal."""
    tokens: list[tuple[str, str]] = []  # (kind, text): kind is text, code or star
    pos = 0
    for match in INLINE.finditer(text):
        tokens.append(("text", text[pos:match.start()]))
        if match.group(1) is not None:
            tokens.append(("text", match.group(1)))
        elif match.group(2) is not None:  # a fence or a double-backtick span: not understood, kept as text
            tokens.append(("text", match.group(2)))
        elif match.group(3) is not None:
            tokens.append(("code", match.group(3)))
        else:
            tokens.append(("star", "**"))
        pos = match.end()
    tokens.append(("text", text[pos:]))
    stars = [n for n, (kind, _) in enumerate(tokens) if kind == "star"]
    if len(stars) % 2:  # an unpaired ** is text
        tokens[stars[-1]] = ("text", "**")
    runs: list[tuple[str, bool, bool]] = []
    bold = False
    for kind, value in tokens:
        if kind == "star":
            bold = not bold
        elif value:
            if runs and kind == "text" and not runs[-1][2] and runs[-1][1] == bold:
                runs[-1] = (runs[-1][0] + value, bold, False)
            else:
                runs.append((value, bold, kind == "code"))
    return runs


def plain_text(text: str) -> str:
    return "".join(run for run, _, _ in inline_runs(text))


# ---- writing Word ------------------------------------------------------------------------------

def _set_fonts(rPr, latin: str, east_asia: str) -> None:
    """Explicit fonts on an rPr element: theme fonts would override them, so they go."""
    rFonts = rPr.find(qn("w:rFonts"))
    if rFonts is None:
        rFonts = OxmlElement("w:rFonts")
        rPr.insert(0, rFonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rFonts.attrib.pop(qn(theme), None)
    for attr, font in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        rFonts.set(qn(attr), font)


def _set_up_styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    default_rPr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(default_rPr, BODY_LATIN, BODY_FONT)
    lang = default_rPr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    # paragraph defaults, below table styles: 1.5 lines in the text, the Table Grid's single lines in tables
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    if spacing is not None:
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "360")

    normal = styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr(), BODY_LATIN, BODY_FONT)

    for name, size, centred in HEADING_STYLES.values():
        style = styles[name]
        _set_fonts(style.element.get_or_add_rPr(), HEADING_LATIN, HEADING_FONT)
        style.font.size = size
        style.font.bold = False  # 黑体 is heavy enough; a synthetic bold smudges it
        style.font.italic = False
        style.font.color.rgb = BLACK
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
        if centred:
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = styles["Title"].element
    borders = title.pPr.find(qn("w:pBdr")) if title.pPr is not None else None
    if borders is not None:  # the template's blue rule under the title
        title.pPr.remove(borders)

    caption = styles["Caption"]
    caption.font.size = SMALL_SIZE
    caption.font.bold = False
    caption.font.color.rgb = BLACK
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.space_after = Pt(6)


def _set_up_page(document) -> None:
    for section in document.sections:  # A4, a 16 cm wide text column for the 15 cm pictures
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin = section.bottom_margin = Cm(2.5)


def _add_runs(paragraph, text: str, *, bold: bool = False, italic: bool = False, highlight=None, size=None) -> None:
    for value, run_bold, code in inline_runs(text):
        run = paragraph.add_run(value)
        if bold or run_bold:
            run.bold = True
        if italic:
            run.italic = True
        if code:
            run.font.name = CODE_FONT
        if highlight is not None:
            run.font.highlight_color = highlight
        if size is not None:
            run.font.size = size


def _body_paragraph(document):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2  # two characters, as Chinese text is set
    return paragraph


def _display_width(text: str) -> int:
    return display_width(plain_text(text))


def _cell_extent(text: str) -> tuple[int, int]:
    """(narrowest, natural) width of a cell's text in half-characters: a short text (a name, a figure) is
    never broken; a long one may wrap down to six Chinese characters or a 14-letter word."""
    natural = _display_width(text)
    if natural <= SHORT_CELL:
        return natural, natural
    longest_word = max((len(word) for word in re.findall(r"[!-~]+", plain_text(text))), default=0)
    return max(SHORT_CELL, min(longest_word, 14)), natural


def _column_widths(columns: list[list[str]], text_width: int) -> list[int]:
    """Widths (EMU) summing to ``text_width``, as a browser lays out a table: every column gets its narrowest
    width, and what is left goes to the columns whose text would wrap, in proportion to how much would."""
    extents = [[_cell_extent(text) for text in column] for column in columns]
    narrow = [max([low for low, _ in column] + [2]) * HALF_CHAR + CELL_MARGINS for column in extents]
    natural = [max([high for _, high in column] + [2]) * HALF_CHAR + CELL_MARGINS for column in extents]
    if sum(natural) <= text_width:
        return [int(text_width * n / sum(natural)) for n in natural]
    if sum(narrow) >= text_width:
        return [int(text_width * n / sum(narrow)) for n in narrow]
    spare, wanting = text_width - sum(narrow), sum(natural) - sum(narrow)
    return [int(low + spare * (high - low) / wanting) for low, high in zip(narrow, natural)]


def _add_table(document, block: Block, text_width: int) -> None:
    columns = max(len(row) for row in block.rows)
    rows = [row + [""] * (columns - len(row)) for row in block.rows]
    table = document.add_table(rows=len(rows), cols=columns, style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _column_widths([[row[c] for row in rows] for c in range(columns)], text_width)
    alignments = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                  "right": WD_ALIGN_PARAGRAPH.RIGHT}
    for r, (row, cells) in enumerate(zip(table.rows, rows)):
        for c, (cell, text) in enumerate(zip(row.cells, cells)):
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            if r == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif block.align and c < len(block.align):
                paragraph.alignment = alignments[block.align[c]]
            _add_runs(paragraph, text, bold=r == 0, size=SMALL_SIZE)
    for column, width in zip(table.columns, widths):
        column.width = width
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # the header row repeats on every page


def _add_image(document, block: Block, base_dir: Path) -> None:
    path = (base_dir / block.path)
    if not path.is_file():
        raise FileNotFoundError(f"image {block.path!r} of ![{block.text}] not found: {path}")
    document.add_picture(str(path), width=PICTURE_WIDTH)
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True  # never a picture at a page's foot, its caption on the next
    if block.text:
        _add_runs(document.add_paragraph(style="Caption"), block.text)


def _restart_numbering(document, paragraphs: list) -> None:
    """Each numbered list counts from 1 (Word would otherwise continue the previous list's numbers)."""
    style_numPr = document.styles["List Number"].element.pPr.numPr
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(style_numPr.numId.val).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    for paragraph in paragraphs:
        numPr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numPr.get_or_add_ilvl().val = 0
        numPr.get_or_add_numId().val = num.numId


def _build(blocks: list[Block], base_dir: Path):
    document = docx.Document()
    _set_up_styles(document)
    _set_up_page(document)
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    title = None
    numbered: list = []  # the paragraphs of the numbered list being written
    for block in blocks:
        if block.kind != "numbered" and numbered:
            _restart_numbering(document, numbered)
            numbered = []
        if block.kind == "heading":
            style, _, _ = HEADING_STYLES[min(block.level, 4)]
            _add_runs(document.add_paragraph(style=style), block.text)
            if block.level == 1 and title is None:
                title = plain_text(block.text)
        elif block.kind == "paragraph":
            _add_runs(_body_paragraph(document), block.text)
        elif block.kind == "bullet":
            _add_runs(document.add_paragraph(style="List Bullet"), block.text)
        elif block.kind == "numbered":
            paragraph = document.add_paragraph(style="List Number")
            _add_runs(paragraph, block.text)
            numbered.append(paragraph)
        elif block.kind == "quote":  # a passage for a person to write: it has to stand out
            _add_runs(_body_paragraph(document), block.text, italic=True, highlight=WD_COLOR_INDEX.YELLOW)
        elif block.kind == "table":
            _add_table(document, block, text_width)
        elif block.kind == "image":
            _add_image(document, block, base_dir)
        elif block.kind == "rule":
            document.add_paragraph()
        else:  # pragma: no cover - parse() makes no other kind
            raise ValueError(f"unknown block kind {block.kind!r}")
    if numbered:
        _restart_numbering(document, numbered)
    return document, title


def _drop_thumbnail(document) -> None:
    """The template's thumbnail would show another document's first page in a file browser."""
    rels = document.part.package.rels
    for rId in [rId for rId, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rId]


def _write_zip(data: bytes, out: Path, timestamp: datetime) -> None:
    """The package re-zipped with fixed entry times, so identical input gives identical bytes."""
    date_time = max(timestamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))


def markdown_to_docx(markdown: str, out: Path, base_dir: Path, timestamp: datetime | None = None) -> Path:
    """Write ``markdown`` as a Word document at ``out``; image paths are relative to ``base_dir``.

    ``timestamp`` is written as the document's created/modified/printed time (default 2000-01-01), so
    that the same input always gives the same file. Returns ``out``.
    """
    timestamp = timestamp or DEFAULT_TIMESTAMP
    if timestamp.tzinfo is not None:  # python-docx writes the clock time as UTC: give it UTC
        timestamp = timestamp.astimezone(timezone.utc).replace(tzinfo=None)
    document, title = _build(parse(markdown), Path(base_dir))
    _drop_thumbnail(document)
    properties = document.core_properties
    properties.title = title or ""
    properties.author = "town_industry"
    properties.last_modified_by = "town_industry"
    properties.comments = ""
    properties.revision = 1
    properties.created = properties.modified = properties.last_printed = timestamp
    buffer = io.BytesIO()
    document.save(buffer)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_zip(buffer.getvalue(), out, timestamp)
    return out
