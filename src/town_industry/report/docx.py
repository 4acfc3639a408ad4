"""The report draft's Markdown as a Word document in the official format, on the office's template.

The document is built on ``include/report/official_format.docx`` (GB/T 9704 layout: page, faces, sizes,
line spacing, page numbers) and refers to its styles by name only, so an office restyles every draft by
editing that template in WPS or Word (``tools/report_template.py`` wrote the default). The Markdown is read
with markdown-it-py (CommonMark and pipe tables); what the report template writes maps to styles:

- ``#`` the document's title (Title); ``##`` 一、 (Heading 1), ``###`` （一） (Heading 2), deeper 1. (Heading 3);
- paragraphs (Normal; lines joined without a space where Chinese meets), ``**bold**``, ```code``` (代码);
- ``- item`` (List Bullet) and ``1. item`` (List Number, each list counting from 1);
- pipe tables (Table Grid; 表格标题行 and 表格文字, with each column's alignment);
- ``![caption](path.png)`` alone in a paragraph: the picture (插图), 15 cm wide, its caption under it (Caption);
- ``> text``: a passage a person still has to write (待撰写, shaded);
- ``---``: an empty paragraph; HTML comments are dropped; a code block is kept as text, never dropped.

The file is deterministic: same Markdown, images, template and timestamp give the same bytes.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from markdown_it import MarkdownIt
from markdown_it.token import Token

from town_industry.contracts.report_layout import REPORT_DIR
from town_industry.text import display_width, is_wide

TEMPLATE = REPORT_DIR / "official_format.docx"
DEFAULT_TIMESTAMP = datetime(2000, 1, 1)

# The template's styles the draft uses, by name: the office may change how they look, not what they are called.
TITLE = "Title"
HEADINGS = {2: "Heading 1", 3: "Heading 2"}  # '##' 一、, '###' （一）; deeper ones DEEP_HEADING
DEEP_HEADING = "Heading 3"
BODY, BULLET, NUMBERED, TO_WRITE = "Normal", "List Bullet", "List Number", "待撰写"
PICTURE, CAPTION = "插图", "Caption"
TABLE, TABLE_TEXT, TABLE_HEADER = "Table Grid", "表格文字", "表格标题行"
CODE = "代码"  # a character style
PARAGRAPH_STYLES = (TITLE, *HEADINGS.values(), DEEP_HEADING, BODY, BULLET, NUMBERED, TO_WRITE, PICTURE, CAPTION,
                    TABLE_TEXT, TABLE_HEADER)

PICTURE_WIDTH = Cm(15)
CELL_MARGINS = Cm(0.45)  # Table Grid's left and right cell margins, and a little air
SHORT_CELL = 12  # half-characters: a cell text this short is never wrapped

CONTAINED = {"bullet_list": "bullet", "ordered_list": "numbered"}  # a paragraph in a list is an item
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
COMMENT = re.compile(r"^\s*<!--.*?-->\s*$", re.S)


# ---- reading the Markdown ----------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    code: bool = False


@dataclass
class Block:
    kind: str  # heading, paragraph, bullet, numbered, quote, table, image, rule, code
    runs: list[Run] = field(default_factory=list)
    level: int = 0  # heading level
    rows: list[list[list[Run]]] | None = None  # table: header row first
    align: list[str] | None = None  # table: 'left', 'center' or 'right' per column
    path: str = ""  # image
    first: bool = False  # numbered: the first item of its list

    @property
    def text(self) -> str:
        return plain(self.runs)


def plain(runs: list[Run]) -> str:
    return "".join(run.text for run in runs)


def _runs(inline: Token) -> list[Run]:
    """The inline children as runs; a soft line break is a space only between Latin words."""
    runs: list[Run] = []
    bold = 0
    for child in inline.children or []:
        kind = child.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind in ("softbreak", "hardbreak"):
            runs.append(Run("\n"))
        elif kind == "code_inline":
            runs.append(Run(child.content, bold > 0, code=True))
        elif kind == "image":
            runs.append(Run(child.content, bold > 0))  # the alt text, as a browser shows a missing picture
        elif kind == "html_inline" and child.content.startswith("<!--"):
            continue
        elif kind in ("text", "html_inline"):
            runs.append(Run(child.content, bold > 0))
    return _merge(_join_breaks(runs))


def _join_breaks(runs: list[Run]) -> list[Run]:
    joined = []
    for i, run in enumerate(runs):
        if run.text != "\n":
            joined.append(run)
            continue
        before = next((r.text[-1] for r in reversed(joined) if r.text), "")
        after = next((r.text[0] for r in runs[i + 1:] if r.text and r.text != "\n"), "")
        if before and after and not (is_wide(before) or is_wide(after)):
            joined.append(Run(" ", run.bold))
    return joined


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if merged and not run.code and not merged[-1].code and merged[-1].bold == run.bold:
            merged[-1] = Run(merged[-1].text + run.text, run.bold)
        elif run.text:
            merged.append(run)
    return merged


def inline_runs(text: str) -> list[Run]:
    """One line of Markdown as runs (what a table cell or a paragraph holds)."""
    tokens = MARKDOWN.parseInline(text)
    return _runs(tokens[0]) if tokens else []


def _alignment(cell: Token) -> str:
    style = str(cell.attrs.get("style", ""))
    return {"text-align:right": "right", "text-align:center": "center"}.get(style, "left")


def _table(tokens: list[Token], i: int) -> tuple[Block, int]:
    rows: list[list[list[Run]]] = []
    align: list[str] = []
    while tokens[i].type != "table_close":
        token = tokens[i]
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            if len(rows) == 1:
                align.append(_alignment(token))
            rows[-1].append(_runs(tokens[i + 1]) if tokens[i + 1].type == "inline" else [])
        i += 1
    return Block("table", rows=rows, align=align), i + 1


def _lone_image(inline: Token) -> Token | None:
    children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
    return children[0] if len(children) == 1 and children[0].type == "image" else None


def parse(markdown: str) -> list[Block]:
    """The blocks of ``markdown``, in order."""
    tokens = MARKDOWN.parse(markdown)
    blocks: list[Block] = []
    containers: list[str] = []  # the open blockquotes and lists, innermost last
    new_list = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind in ("blockquote_open", "bullet_list_open", "ordered_list_open"):
            containers.append(kind.removesuffix("_open"))
            new_list = kind == "ordered_list_open"
        elif kind in ("blockquote_close", "bullet_list_close", "ordered_list_close"):
            containers.pop()
        elif kind == "heading_open":
            blocks.append(Block("heading", _runs(tokens[i + 1]), level=int(token.tag[1])))
            i += 2
        elif kind == "paragraph_open":
            inline = tokens[i + 1]
            if (image := _lone_image(inline)) is not None and not containers:
                blocks.append(Block("image", [Run(plain(_runs(image)) or image.content)],
                                    path=str(image.attrs.get("src", ""))))
            else:  # inside a quote it is a passage to write, whatever else holds it; in a list an item
                within = containers[-1] if containers else ""
                block_kind = "quote" if "blockquote" in containers else CONTAINED.get(within, "paragraph")
                blocks.append(Block(block_kind, _runs(inline), first=block_kind == "numbered" and new_list))
                new_list = False
            i += 2
        elif kind == "table_open":
            block, i = _table(tokens, i)
            blocks.append(block)
            continue
        elif kind == "hr":
            blocks.append(Block("rule"))
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", [Run(token.content.rstrip("\n"), code=True)]))
        elif kind == "html_block" and not COMMENT.match(token.content):
            blocks.append(Block("paragraph", [Run(token.content.strip())]))
        i += 1
    return blocks


# ---- writing Word ------------------------------------------------------------------------------

class TemplateError(ValueError):
    """The Word template lacks a style the draft writes with."""


def _open_template(template: Path):
    document = docx.Document(str(template))
    names = {style.name for style in document.styles}
    missing = [name for name in (*PARAGRAPH_STYLES, TABLE, CODE) if name not in names]
    if missing:
        raise TemplateError(f"{template}: the report template has no style named {', '.join(missing)} "
                            "(the draft writes with these names; restyle them, do not rename them)")
    body = document.element.body
    for child in list(body):  # the template's sample page; its section (page, margins, footers) stays
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


def _add_runs(paragraph, runs: list[Run], *, bold: bool = False) -> None:
    for run in runs:
        added = paragraph.add_run(run.text)
        if bold or run.bold:
            added.bold = True
        if run.code:
            added.style = CODE


def _cell_extent(text: str) -> tuple[int, int]:
    """(narrowest, natural) width of a cell's text in half-characters: a short text (a name, a figure) is
    never broken; a long one may wrap down to six Chinese characters or a 14-letter word."""
    natural = display_width(text)
    if natural <= SHORT_CELL:
        return natural, natural
    longest_word = max((len(word) for word in re.findall(r"[!-~]+", text)), default=0)
    return max(SHORT_CELL, min(longest_word, 14)), natural


def _column_widths(columns: list[list[str]], text_width: int, half_char: int) -> list[int]:
    """Widths (EMU) summing to ``text_width``, as a browser lays out a table: every column gets its narrowest
    width, and what is left goes to the columns whose text would wrap, in proportion to how much would."""
    extents = [[_cell_extent(text) for text in column] for column in columns]
    narrow = [max([low for low, _ in column] + [2]) * half_char + CELL_MARGINS for column in extents]
    natural = [max([high for _, high in column] + [2]) * half_char + CELL_MARGINS for column in extents]
    if sum(natural) <= text_width:
        return [int(text_width * n / sum(natural)) for n in natural]
    if sum(narrow) >= text_width:
        return [int(text_width * n / sum(narrow)) for n in narrow]
    spare, wanting = text_width - sum(narrow), sum(natural) - sum(narrow)
    return [int(low + spare * (high - low) / wanting) for low, high in zip(narrow, natural)]


def half_char(document) -> int:
    """The width of a Latin character in a table cell: half a Chinese one of the table text's size."""
    size = document.styles[TABLE_TEXT].font.size or Pt(10.5)
    return int(size * 0.6)


def _add_table(document, block: Block, text_width: int) -> None:
    columns = max(len(row) for row in block.rows)
    rows = [row + [[]] * (columns - len(row)) for row in block.rows]
    table = document.add_table(rows=len(rows), cols=columns, style=TABLE)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _column_widths([[plain(row[c]) for row in rows] for c in range(columns)], text_width,
                            half_char(document))
    alignments = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                  "right": WD_ALIGN_PARAGRAPH.RIGHT}
    for r, (row, cells) in enumerate(zip(table.rows, rows)):
        for c, (cell, runs) in enumerate(zip(row.cells, cells)):
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            paragraph.style = TABLE_HEADER if r == 0 else TABLE_TEXT
            if r and block.align and c < len(block.align) and block.align[c] != "left":
                paragraph.alignment = alignments[block.align[c]]
            _add_runs(paragraph, runs)
    for column, width in zip(table.columns, widths):
        column.width = width
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))  # the header row repeats on every page


def _add_image(document, block: Block, base_dir: Path) -> None:
    path = base_dir / block.path
    if not path.is_file():
        raise FileNotFoundError(f"image {block.path!r} of ![{block.text}] not found: {path}")
    picture = document.add_paragraph(style=PICTURE)
    picture.add_run().add_picture(str(path), width=PICTURE_WIDTH)
    picture.paragraph_format.keep_with_next = True  # never a picture at a page's foot, its caption on the next
    if block.text:
        _add_runs(document.add_paragraph(style=CAPTION), block.runs)


def _restart_numbering(document, paragraphs: list) -> None:
    """Each numbered list counts from 1 (Word would otherwise continue the previous list's numbers)."""
    style_pPr = document.styles[NUMBERED].element.pPr
    if style_pPr is None or style_pPr.numPr is None:  # the office's template numbers no list: write the numbers
        for n, paragraph in enumerate(paragraphs, start=1):
            paragraph.runs[0].text = f"{n}．" + paragraph.runs[0].text if paragraph.runs else f"{n}．"
        return
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(style_pPr.numPr.numId.val).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    for paragraph in paragraphs:
        numPr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numPr.get_or_add_ilvl().val = 0
        numPr.get_or_add_numId().val = num.numId


def _build(blocks: list[Block], base_dir: Path, template: Path):
    document = _open_template(template)
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    title = None
    lists: list[list] = []  # the paragraphs of each numbered list
    for block in blocks:
        if block.kind == "heading":
            if block.level == 1:
                style = TITLE
                title = title or block.text
            else:
                style = HEADINGS.get(block.level, DEEP_HEADING)
            _add_runs(document.add_paragraph(style=style), block.runs)
        elif block.kind in ("paragraph", "code"):
            _add_runs(document.add_paragraph(style=BODY), block.runs)
        elif block.kind == "bullet":
            _add_runs(document.add_paragraph(style=BULLET), block.runs)
        elif block.kind == "numbered":
            paragraph = document.add_paragraph(style=NUMBERED)
            _add_runs(paragraph, block.runs)
            if block.first or not lists:
                lists.append([])
            lists[-1].append(paragraph)
        elif block.kind == "quote":  # a passage for a person to write: its style makes it stand out
            _add_runs(document.add_paragraph(style=TO_WRITE), block.runs)
        elif block.kind == "table":
            _add_table(document, block, text_width)
        elif block.kind == "image":
            _add_image(document, block, base_dir)
        elif block.kind == "rule":
            document.add_paragraph(style=BODY)
        else:  # pragma: no cover - parse() makes no other kind
            raise ValueError(f"unknown block kind {block.kind!r}")
    for paragraphs in lists:
        _restart_numbering(document, paragraphs)
    return document, title


def _drop_thumbnail(document) -> None:
    """A thumbnail would show the template's first page in a file browser."""
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


def markdown_to_docx(markdown: str, out: Path, base_dir: Path, timestamp: datetime | None = None,
                     template: Path = TEMPLATE) -> Path:
    """Write ``markdown`` as a Word document at ``out`` on ``template``; image paths are relative to ``base_dir``.

    ``timestamp`` is written as the document's created/modified/printed time (default 2000-01-01), so
    that the same input always gives the same file. Returns ``out``.
    """
    timestamp = timestamp or DEFAULT_TIMESTAMP
    if timestamp.tzinfo is not None:  # python-docx writes the clock time as UTC: give it UTC
        timestamp = timestamp.astimezone(timezone.utc).replace(tzinfo=None)
    document, title = _build(parse(markdown), Path(base_dir), Path(template))
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
