"""Write the default Word template of the report draft: ``include/report/official_format.docx``.

The draft's Word file is built on that template (``town_industry.report.docx``) and refers to its styles
by name only, so an office restyles its drafts by opening the template in WPS or Word, changing the
styles and saving it back; this script is only how the default was first made (``python -m
tools.report_template``), and running it again overwrites the office's changes.

The default follows the official document format of GB/T 9704-2012 as offices use it for work reports:
A4, top margin 37 mm, left 28 mm, a 156 x 225 mm text area; the title in 方正小标宋简体 at 二号 (22 pt);
the body in 仿宋_GB2312 at 三号 (16 pt) with fixed 28.95 pt lines (22 lines a page), first lines
indented two characters; headings 一、 in 黑体, （一） in 楷体_GB2312, 1. in bold 仿宋; page numbers
"— 1 —" in 四号 宋体, at the right of odd pages and the left of even ones, one character in.

Offices have those faces; a machine without them substitutes. Word and WPS read the font table's
alternative names (仿宋 for 仿宋_GB2312, ...); LibreOffice on Linux asks fontconfig, which
``include/report/fonts.conf`` points at the free faces Debian packages (AR PL UMing, AR PL UKai,
WenQuanYi Micro Hei).
"""
from __future__ import annotations

from pathlib import Path

import docx
from lxml import etree
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

TEMPLATE = Path(__file__).resolve().parents[1] / "include" / "report" / "official_format.docx"

# the faces an office has, and what Word/WPS use where one is missing (the font table's altName)
TITLE_FACE, BODY_FACE, HEI_FACE, KAI_FACE, SONG_FACE = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "宋体"
ALTERNATIVES = {TITLE_FACE: "宋体", BODY_FACE: "仿宋", HEI_FACE: "SimHei", KAI_FACE: "楷体", SONG_FACE: "SimSun"}
LATIN = "Times New Roman"

SAN_HAO, ER_HAO, SI_HAO, WU_HAO = Pt(16), Pt(22), Pt(14), Pt(10.5)  # 三号, 二号, 四号, 五号
LINE = Pt(28.95)  # 225 mm / 22 lines
TWO_CHARACTERS = 200  # w:firstLineChars, in hundredths of a character

# name: (based on, face, size, bold, alignment, first-line indent in hundredths of a character, outline level)
PARAGRAPH_STYLES = {
    "Normal": (None, BODY_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, None),
    "Title": ("Normal", TITLE_FACE, ER_HAO, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    "Heading 1": ("Normal", HEI_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, 0),
    "Heading 2": ("Normal", KAI_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, 1),
    "Heading 3": ("Normal", BODY_FACE, SAN_HAO, True, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, 2),
    "List Bullet": ("Normal", BODY_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, None),
    "List Number": ("Normal", BODY_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, None),
    "Caption": ("Normal", KAI_FACE, SI_HAO, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    # the draft's own styles
    "表格文字": ("Normal", BODY_FACE, WU_HAO, False, WD_ALIGN_PARAGRAPH.LEFT, 0, None),
    "表格标题行": ("Normal", HEI_FACE, WU_HAO, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    "插图": ("Normal", BODY_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.CENTER, 0, None),
    "待撰写": ("Normal", KAI_FACE, SAN_HAO, False, WD_ALIGN_PARAGRAPH.JUSTIFY, TWO_CHARACTERS, None),
    "页码": ("Normal", SONG_FACE, SI_HAO, False, WD_ALIGN_PARAGRAPH.RIGHT, 0, None),
}
# a fixed line height would cut a picture to one line; tables and the footer keep their own
SINGLE_SPACED = ("表格文字", "表格标题行", "插图", "页码")
CHARACTER_STYLES = {"代码": "Consolas"}  # identifiers such as KPI codes, in a Latin monospace face
PLACEHOLDER_SHADING = "FFF2CC"  # a pale yellow behind what a person still has to write
BLACK = RGBColor(0, 0, 0)
# the elements that follow w:outlineLvl and w:shd in a w:pPr (the schema fixes the order)
AFTER_OUTLINE_LEVEL = ("w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
AFTER_SHADING = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                 "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                 "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                 "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", *AFTER_OUTLINE_LEVEL)


def _fonts(rPr, east_asia: str, latin: str = LATIN) -> None:
    """Explicit faces (theme fonts would override them); the East-Asian one also for Latin text in 仿宋."""
    for old in rPr.findall(qn("w:rFonts")):
        rPr.remove(old)
    rFonts = OxmlElement("w:rFonts")
    for attr, face in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        rFonts.set(qn(attr), face)
    rPr.insert(0, rFonts)


def _paragraph_style(styles, name: str, spec: tuple) -> None:
    based_on, face, size, bold, alignment, indent_chars, outline = spec
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.quick_style = True
    if based_on:
        style.base_style = styles[based_on]
    _fonts(style.element.get_or_add_rPr(), face)
    font = style.font
    font.size, font.bold, font.italic, font.color.rgb = size, bold, False, BLACK
    fmt = style.paragraph_format
    fmt.alignment = alignment
    fmt.space_before = fmt.space_after = Pt(0)
    if name in SINGLE_SPACED:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.widow_control = True
    fmt.first_line_indent = Pt(size.pt * indent_chars / 100)
    pPr = style.element.get_or_add_pPr()
    pPr.ind.set(qn("w:firstLineChars"), str(indent_chars))  # counts in characters when the size changes
    for old in pPr.findall(qn("w:outlineLvl")):
        pPr.remove(old)
    if outline is not None:  # the navigation pane's outline, and a table of contents
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        pPr.insert_element_before(level, *AFTER_OUTLINE_LEVEL)
        fmt.keep_with_next = True
    for border in pPr.findall(qn("w:pBdr")):  # the stock Title's blue rule
        pPr.remove(border)


def _styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    default_rPr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _fonts(default_rPr, BODY_FACE)
    lang = default_rPr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    if spacing is not None:  # tables fall back to these: single lines, no space after
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")
    for name, spec in PARAGRAPH_STYLES.items():
        _paragraph_style(styles, name, spec)
    shading = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{PLACEHOLDER_SHADING}"/>')
    styles["待撰写"].element.get_or_add_pPr().insert_element_before(shading, *AFTER_SHADING)
    for name, face in CHARACTER_STYLES.items():
        style = styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        _fonts(style.element.get_or_add_rPr(), BODY_FACE, latin=face)
    caption = styles["Caption"].paragraph_format
    caption.keep_with_next = False
    caption.space_after = Pt(14)


def _page(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(22)  # the page number's top 7 mm under the text area
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    assert section.start_type == WD_SECTION.NEW_PAGE


def _page_number(paragraph, alignment) -> None:
    """'— 7 —' with a PAGE field, one character in from the outer edge."""
    paragraph.style = "页码"
    paragraph.alignment = alignment
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        paragraph.paragraph_format.right_indent = Pt(14)
    else:
        paragraph.paragraph_format.left_indent = Pt(14)
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    paragraph.add_run(" —")


def _font_table(document) -> None:
    """Name each face with its alternative, so Word and WPS substitute sensibly where one is missing."""
    part = next(rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FONT_TABLE)
    fonts = parse_xml(part.blob)
    for face, alternative in ALTERNATIVES.items():
        for old in fonts.findall(qn("w:font")):
            if old.get(qn("w:name")) == face:
                fonts.remove(old)
        font = parse_xml(f'<w:font {nsdecls("w")} w:name="{face}"><w:altName w:val="{alternative}"/>'
                         '<w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>')
        fonts.append(font)
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)


def _example_body(document) -> None:
    """A page that shows each style, for whoever restyles the template; the draft replaces it."""
    for style, text in (("Title", "某镇2020年上半年工业经济工作报告"), ("Heading 1", "一、一级标题（黑体）"),
                        ("Heading 2", "（一）二级标题（楷体）"), ("Heading 3", "1．三级标题（仿宋加粗）"),
                        ("Normal", "正文：仿宋三号，固定行距28.95磅，首行缩进两字。"),
                        ("待撰写", "【待撰写】需要撰稿人补写的段落。"), ("Caption", "图1　图题（楷体四号）")):
        document.add_paragraph(text, style=style)


def _drop_unused_parts(document) -> None:
    rels = document.part.package.rels
    for rId in [rId for rId, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rId]


def build(path: Path = TEMPLATE) -> Path:
    document = docx.Document()
    _styles(document)
    _page(document)
    _font_table(document)
    _example_body(document)
    _drop_unused_parts(document)
    properties = document.core_properties
    properties.title, properties.author, properties.comments = "工作报告模板（GB/T 9704 版式）", "town_industry", ""
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
