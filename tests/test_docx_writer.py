"""The report draft's Markdown as Word on the office's template: every construct the template writes, read
back with python-docx, each in the template's style."""
from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, Twips

from town_industry.report import docx as docx_writer
from town_industry.report.docx import TEMPLATE, Run, TemplateError, inline_runs, markdown_to_docx

# a 1x1 red PNG
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                    "53de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082")

SAMPLE = """\
<!-- the template's own comment,
     over two lines -->
# 某镇2020年上半年工业经济工作报告（草稿）

说明：本稿由数据管道自动生成，数字取自 `mart.half_year_kpis`；<!-- inline comment -->带底色的段落需由撰稿人补写。

## 一、工业经济运行情况

### （一）规上工业运行

上半年，全镇**52家**规模以上工业企业
累计完成应税销售9.26亿元，
同比下降4.5%。
DuckDB tables
are read by
the pipeline.

![图1　2020年上半年各月规上工业应税销售及同比增速](charts/sales.png)

> 【待撰写：运行特点与原因】结合企业走访，
> 说明销售变化的主要原因。

- 项目开工：制造业项目开工**3个**；
- 项目竣工：暂无项目竣工。

1. 第一条措施
2. 第二条措施

---

| 指标 | 数值 | 指标代码 |
|---|---:|---|
| 应税销售 | **9.26亿元** | `taxable_sales` |
| 企业数 | 52家 | `above_scale_enterprises` |

1. 另一个列表的第一条

```
a code fence is not understood
```
"""


@pytest.fixture
def sample(tmp_path):
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "sales.png").write_bytes(PNG)
    out = markdown_to_docx(SAMPLE, tmp_path / "out" / "report.docx", base_dir=tmp_path)
    return out


def texts(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


def test_headings_and_title(sample):
    document = docx.Document(str(sample))
    headings = [(style, text) for style, text in texts(document) if style in ("Title", "Heading 1", "Heading 2")]
    assert headings == [("Title", "某镇2020年上半年工业经济工作报告（草稿）"),
                        ("Heading 1", "一、工业经济运行情况"),
                        ("Heading 2", "（一）规上工业运行")]
    assert document.core_properties.title == "某镇2020年上半年工业经济工作报告（草稿）"


def test_paragraphs_join_lines_bold_and_code(sample):
    document = docx.Document(str(sample))
    body = [p for p in document.paragraphs if p.style.name == "Normal" and p.text]
    assert body[0].text == "说明：本稿由数据管道自动生成，数字取自 mart.half_year_kpis；带底色的段落需由撰稿人补写。"
    code = [r for r in body[0].runs if r.text == "mart.half_year_kpis"]
    assert len(code) == 1 and code[0].style.name == "代码"
    assert "`" not in body[0].text and "<!--" not in body[0].text
    assert body[1].text == "上半年，全镇52家规模以上工业企业累计完成应税销售9.26亿元，同比下降4.5%。DuckDB tables are read by the pipeline."
    assert [r.text for r in body[1].runs if r.bold] == ["52家"]


def test_picture_with_caption(sample):
    document = docx.Document(str(sample))
    assert len(document.inline_shapes) == 1
    assert document.inline_shapes[0].width == Cm(15)
    paragraphs = document.paragraphs
    picture = next(i for i, p in enumerate(paragraphs) if p._p.xpath(".//pic:pic"))
    assert paragraphs[picture].style.name == "插图"
    assert paragraphs[picture].paragraph_format.keep_with_next
    caption = paragraphs[picture + 1]
    assert caption.text == "图1　2020年上半年各月规上工业应税销售及同比增速"
    assert caption.style.name == "Caption"


def test_placeholder_for_a_person_has_its_style(sample):
    document = docx.Document(str(sample))
    placeholder = [p for p in document.paragraphs if p.text.startswith("【待撰写")]
    assert [p.text for p in placeholder] == ["【待撰写：运行特点与原因】结合企业走访，说明销售变化的主要原因。"]
    assert placeholder[0].style.name == "待撰写"
    shading = placeholder[0].style.element.pPr.find(qn("w:shd"))
    assert shading is not None and shading.get(qn("w:fill")) not in (None, "auto", "FFFFFF")


def test_lists(sample):
    document = docx.Document(str(sample))
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert bullets == ["项目开工：制造业项目开工3个；", "项目竣工：暂无项目竣工。"]
    first_bullet = next(p for p in document.paragraphs if p.style.name == "List Bullet")
    assert [r.text for r in first_bullet.runs if r.bold] == ["3个"]
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert [p.text for p in numbered] == ["第一条措施", "第二条措施", "另一个列表的第一条"]
    # the second list counts from 1 again: its own numbering instance, restarted
    num_ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert num_ids[0] == num_ids[1] != num_ids[2]
    numbering = document.part.numbering_part.element
    restart = numbering.num_having_numId(num_ids[2]).xpath("./w:lvlOverride/w:startOverride/@w:val")
    assert restart == ["1"]


def test_table(sample):
    document = docx.Document(str(sample))
    assert len(document.tables) == 1
    table = document.tables[0]
    assert table.style.name == "Table Grid"
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [["指标", "数值", "指标代码"],
                     ["应税销售", "9.26亿元", "taxable_sales"],
                     ["企业数", "52家", "above_scale_enterprises"]]
    assert {cell.paragraphs[0].style.name for cell in table.rows[0].cells} == {"表格标题行"}
    assert {cell.paragraphs[0].style.name for row in table.rows[1:] for cell in row.cells} == {"表格文字"}
    assert all(run.bold for run in table.cell(1, 1).paragraphs[0].runs)  # **9.26亿元**
    assert not any(run.bold for run in table.cell(2, 1).paragraphs[0].runs)
    assert table.cell(1, 1).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT  # |---:|
    assert table.cell(1, 0).paragraphs[0].alignment is None  # left: the style's
    assert table.cell(1, 2).paragraphs[0].runs[0].style.name == "代码"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_rule_comments_and_code_blocks(sample):
    document = docx.Document(str(sample))
    all_text = "\n".join(p.text for p in document.paragraphs)
    assert "template's own comment" not in all_text and "inline comment" not in all_text
    # '---' became an empty paragraph right after the numbered list
    second = [i for i, p in enumerate(document.paragraphs) if p.text == "第二条措施"][0]
    assert document.paragraphs[second + 1].text == ""
    # a code block is not the draft's, but it is written as it is, never dropped
    fence = [p for p in document.paragraphs if p.text == "a code fence is not understood"]
    assert len(fence) == 1 and fence[0].runs[0].style.name == "代码"


def test_the_draft_is_built_on_the_template_and_only_names_its_styles(sample, tmp_path):
    template = docx.Document(str(TEMPLATE))
    document = docx.Document(str(sample))
    assert document.sections[0].left_margin == template.sections[0].left_margin
    assert document.sections[0].footer.paragraphs[0].text == template.sections[0].footer.paragraphs[0].text
    assert "1" in document.sections[0].footer.paragraphs[0].text  # the page number field's shown value
    sample_page = [p.text for p in template.paragraphs if p.text]
    assert "一、一级标题（黑体）" in sample_page
    assert not set(sample_page) & {p.text for p in document.paragraphs}  # the template's sample page is gone
    # an office restyles the body in its copy of the template: the draft follows, nothing else to change
    restyled = docx.Document(str(TEMPLATE))
    body = restyled.styles["Normal"]
    body.element.rPr.find(qn("w:rFonts")).set(qn("w:eastAsia"), "方正仿宋_GBK")
    body.font.size = Pt(15)
    restyled.save(str(tmp_path / "office.docx"))
    (tmp_path / "charts").mkdir(exist_ok=True)
    (tmp_path / "charts" / "sales.png").write_bytes(PNG)
    ours = docx.Document(str(markdown_to_docx(SAMPLE, tmp_path / "o.docx", base_dir=tmp_path,
                                              template=tmp_path / "office.docx")))
    normal = ours.styles["Normal"]
    assert normal.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正仿宋_GBK"
    assert normal.font.size == Pt(15)


def test_a_template_without_a_style_the_draft_needs_is_refused(tmp_path):
    broken = docx.Document(str(TEMPLATE))
    broken.styles["待撰写"].element.getparent().remove(broken.styles["待撰写"].element)
    broken.save(str(tmp_path / "broken.docx"))
    with pytest.raises(TemplateError, match=r"broken.docx.*no style named 待撰写"):
        markdown_to_docx("# 标题\n\n> 待写\n", tmp_path / "x.docx", base_dir=tmp_path,
                         template=tmp_path / "broken.docx")


def test_missing_image_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="charts/nowhere.png"):
        markdown_to_docx("# 标题\n\n![图](charts/nowhere.png)\n", tmp_path / "x.docx", base_dir=tmp_path)


def test_same_input_gives_identical_files(tmp_path, sample):
    again = markdown_to_docx(SAMPLE, tmp_path / "again.docx", base_dir=tmp_path)
    with zipfile.ZipFile(sample) as first, zipfile.ZipFile(again) as second:
        assert first.read("word/document.xml") == second.read("word/document.xml")
    assert sample.read_bytes() == again.read_bytes()
    when = datetime(2020, 7, 15, 9, 30)
    dated = markdown_to_docx(SAMPLE, tmp_path / "dated.docx", base_dir=tmp_path, timestamp=when)
    properties = docx.Document(str(dated)).core_properties
    assert properties.created == properties.modified == properties.last_printed == when.replace(tzinfo=timezone.utc)
    beijing = datetime(2020, 7, 15, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    zoned = markdown_to_docx(SAMPLE, tmp_path / "zoned.docx", base_dir=tmp_path, timestamp=beijing)
    assert docx.Document(str(zoned)).core_properties.created == beijing  # the same instant, written as UTC


def test_soft_line_breaks_join_as_chinese_is_written():
    def joined(markdown):
        return docx_writer.parse(markdown)[0].text

    assert joined("中文第一行，\n第二行。") == "中文第一行，第二行。"
    assert joined("the DuckDB\nwarehouse") == "the DuckDB warehouse"
    assert joined("共52\n家企业") == "共52家企业"
    assert joined("mart.kpis\n表") == "mart.kpis表"


def test_inline_runs():
    assert inline_runs("a **b** `c` d") == [Run("a "), Run("b", bold=True), Run(" "), Run("c", code=True), Run(" d")]
    assert inline_runs("**粗体 `代码`**") == [Run("粗体 ", bold=True), Run("代码", bold=True, code=True)]
    assert inline_runs("an unpaired ** stays") == [Run("an unpaired ** stays")]
    assert inline_runs(r"\*\*literal\*\*") == [Run("**literal**")]
    assert inline_runs("全镇**52家**规上企业，（**9.26亿元**）") == [Run("全镇"), Run("52家", bold=True), Run("规上企业，（"),
                                                          Run("9.26亿元", bold=True), Run("）")]


def test_parse_blocks():
    kinds = [b.kind for b in docx_writer.parse(SAMPLE)]
    assert kinds == ["heading", "paragraph", "heading", "heading", "paragraph", "image", "quote", "bullet", "bullet",
                     "numbered", "numbered", "rule", "table", "numbered", "code"]
    assert [b.first for b in docx_writer.parse(SAMPLE) if b.kind == "numbered"] == [True, False, True]


def test_a_long_column_does_not_squeeze_a_figure(tmp_path):
    definition = "期末在库的规模以上工业企业户数，按统一社会信用代码去重，" * 3
    markdown = ("| 指标 | 数值 | 口径 |\n|---|---|---|\n"
                f"| 应税销售 | 36.45亿元 | {definition} |\n| 企业数 | 52家 | 短 |\n")
    document = docx.Document(str(markdown_to_docx(markdown, tmp_path / "t.docx", base_dir=tmp_path)))
    table = document.tables[0]
    widths = [table.cell(0, c).width for c in range(3)]
    assert sum(widths) == pytest.approx(Cm(15.6), abs=Cm(0.01))  # the official text area: 156 mm
    figure_needs = 9 * docx_writer.half_char(document) + docx_writer.CELL_MARGINS  # '36.45亿元' on one line
    assert widths[1] >= figure_needs - Twips(1)  # Word stores widths in twips
    assert widths[2] > widths[0] + widths[1]  # the definition takes what is left
