"""The 2020H1 Word draft of the sample run, rendered to PDF by LibreOffice: the official format as printed.

LibreOffice, poppler and the free faces are Debian packages, installed here where missing (as the
scheduler tests install PostgreSQL). What is checked on the PDF: A4 pages, a "— n —" page number at the
outer side of every page, the faces fontconfig stands in for the template's faces are the ones used (no
other face means LibreOffice never had to fall back), and each of those faces has a glyph for every
character of the draft (no box). What is checked on the Word file: the title, headings and body carry
the template's styles, and those styles are the GB/T 9704 ones.
"""
from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from fontTools.ttLib import TTCollection, TTFont

from town_industry.deploy.packages import apt_install
from town_industry.report import render
from town_industry.report.docx import TEMPLATE

A4_POINTS = (595.3, 841.9)


@pytest.fixture(scope="module")
def renderer():
    if render.missing_commands():
        assert apt_install(*render.DEBIAN_PACKAGES), "could not install " + " ".join(render.DEBIAN_PACKAGES)
    assert not render.missing_commands(), render.missing_commands()


@pytest.fixture(scope="module")
def draft(sample_pipeline, renderer, tmp_path_factory):
    docx_path = sample_pipeline.reports / "2020H1" / "industrial_economy_report_2020H1.docx"
    pdf = render.to_pdf(docx_path, tmp_path_factory.mktemp("rendered"))
    return docx_path, pdf


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


def face(style) -> str:
    """The East-Asian face a style names, inherited from its base style when it names none."""
    while style is not None:
        rPr = style.element.rPr
        fonts = rPr.find(qn("w:rFonts")) if rPr is not None else None
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia"))
        style = style.base_style
    raise AssertionError("no East-Asian face")


def test_a4_pages_each_with_its_page_number_on_the_outer_side(draft):
    _, pdf = draft
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (width, height) == pytest.approx(A4_POINTS, abs=0.5)
    pages = _pages(pdf)
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        last, widest = lines[-1], max(len(line) for line in lines)
        assert re.fullmatch(rf"\s*—\s?{number}\s?—\s*", last), (number, last)
        # odd pages at the right, even ones at the left
        assert (last.index("—") > widest / 2) == (number % 2 == 1), (number, last, widest)


def test_title_headings_and_body_use_the_template_styles(draft):
    docx_path, pdf = draft
    document = docx.Document(str(docx_path))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text.startswith("东社镇2020年上半年")
    by_style = {}
    for p in paragraphs:
        by_style.setdefault(p.style.name, []).append(p.text)
    assert all(re.match(r"^([一二三四五六七八九十]+、|附录)", t) for t in by_style["Heading 1"])
    assert all(re.match(r"^（[一二三四五六七八九十]+）", t) for t in by_style["Heading 2"])
    assert all(re.match(r"^\d+\. ", t) for t in by_style["Heading 3"])
    assert any("9.26亿元" in t for t in by_style["Normal"])
    assert all(t.startswith("【待撰写") for t in by_style["待撰写"])
    assert not [p.text for p in paragraphs if p.runs and any(r.font.name or r.font.size for r in p.runs)]  # no
    # direct formatting: how a paragraph looks is its style's, which the office may change
    printed = re.sub(r"\s", "", "".join(_pages(pdf)))
    assert paragraphs[0].text in printed and "上半年，全镇33家规模以上工业企业累计完成应税销售9.26亿元" in printed


def test_the_template_styles_are_the_official_format():
    document = docx.Document(str(TEMPLATE))
    styles = document.styles
    expected = {"Title": ("方正小标宋简体", Pt(22), False), "Normal": ("仿宋_GB2312", Pt(16), False),
                "Heading 1": ("黑体", Pt(16), False), "Heading 2": ("楷体_GB2312", Pt(16), False),
                "Heading 3": ("仿宋_GB2312", Pt(16), True)}
    for name, (east_asia, size, bold) in expected.items():
        style = styles[name]
        assert (face(style), style.font.size, bool(style.font.bold)) == (east_asia, size, bold), name
    body = styles["Normal"].paragraph_format
    assert body.line_spacing_rule == WD_LINE_SPACING.EXACTLY and body.line_spacing == Pt(28.95)
    assert body.first_line_indent == Pt(32)  # two characters of 三号
    section = document.sections[0]

    def mm(*lengths):  # Word keeps lengths in twips
        return tuple(round(length / Mm(1)) for length in lengths)

    assert mm(section.page_width, section.page_height) == (210, 297)
    assert mm(section.top_margin, section.left_margin) == (37, 28)
    assert mm(section.page_width - section.left_margin - section.right_margin,
              section.page_height - section.top_margin - section.bottom_margin) == (156, 225)
    assert document.settings.odd_and_even_pages_header_footer


def _has_glyphs(path: Path, family: str, characters: set[str]) -> set[str]:
    """The characters ``family`` in the font file at ``path`` has no glyph for."""
    if path.suffix.lower() == ".ttc":
        fonts = TTCollection(str(path)).fonts
        font = next((f for f in fonts if family in {n.toUnicode() for n in f["name"].names if n.nameID in (1, 16)}),
                    fonts[0])
    else:
        font = TTFont(str(path))
    cmap = font.getBestCmap()
    return {c for c in characters if ord(c) not in cmap}


def test_every_face_is_present_and_has_every_glyph(draft):
    docx_path, pdf = draft
    document = docx.Document(str(docx_path))
    used_styles = {p.style.name for p in document.paragraphs} | {"Caption", "表格文字", "表格标题行"}
    faces = {face(document.styles[name]) for name in used_styles}
    assert {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"} <= faces
    text = "".join(p.text for p in document.paragraphs) + "".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells)
    chinese = {c for c in text if unicodedata.east_asian_width(c) in ("W", "F")}
    assert len(chinese) > 300
    stand_ins = {}
    for name in sorted(faces):
        family, path = render.resolved_face(name)
        assert not _has_glyphs(path, family, chinese), (name, family, sorted(_has_glyphs(path, family, chinese)))
        stand_ins[name] = family
    # the PDF uses those stand-ins and nothing else for Chinese text (a glyph fallback would add a face)
    listed = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    used = {line.split()[0].split("+", 1)[-1] for line in listed.splitlines()[2:]}
    squeezed = {family.replace(" ", "").removeprefix("ARPL") for family in stand_ins.values()}
    assert squeezed <= used, (stand_ins, used)
    latin_and_symbols = {f for f in used if f.startswith(("Liberation", "OpenSymbol", "DejaVu"))}
    assert used - latin_and_symbols == squeezed, (used, stand_ins)
