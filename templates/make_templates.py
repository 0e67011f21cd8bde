"""Build the document templates (docxtpl: Jinja tags inside Word): ``templates/bao-cao.docx``, the
report, ``templates/long-ghep-cchc.docx``, its part for the Department's CCHC report,
``templates/phieu-xin-loi.docx``, the apology slip, and ``templates/ma-qr-niem-yet.docx``,
the QR-code sheet of the posted procedures.

SOURCE OF TRUTH: once the Office has edited a template in Word, that file is the
source of truth and this script is only a developer's tool to regenerate the template from
scratch. It refuses to overwrite a template that differs from what it would build unless given
``--force`` (which throws the Office's edits away).

    .venv/bin/python templates/make_templates.py [--force]

Deterministic: fixed document properties and zip timestamps, so rerunning writes the same bytes.
The fields the template may use are listed in docs/templates.md; the layout follows Nghị định
30/2020/NĐ-CP (A4, margins, Times New Roman, header block, signature block). Table rows that
repeat use ``{%tr for %}``; the annex table uses ``[[list.field]]`` marker rows that
tasks/document.py fills after the Jinja render (fast for thousands of rows).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, Twips
from docx.table import _Cell
from docx.text.paragraph import Paragraph

FOLDER = Path(__file__).parent
FONT = "Times New Roman"
FIXED_TIME = datetime(2026, 1, 1, 8, 0, 0)
ZIP_TIME = (2026, 1, 1, 8, 0, 0)
TEXT_WIDTH_MM = 165  # A4 210 mm - left 30 - right 15

CENTER = WD_ALIGN_PARAGRAPH.CENTER
LEFT = WD_ALIGN_PARAGRAPH.LEFT

# Paragraph styles of our own (all based on Normal, all Times New Roman).
H1, H2, H3 = "CCHC Heading 1", "CCHC Heading 2", "CCHC Heading 3"
CENTERED = "CCHC Centered"
TABLE_TEXT, TABLE_HEAD = "CCHC Table Text", "CCHC Table Head"
SMALL_TEXT, SMALL_HEAD = "CCHC Table Small", "CCHC Table Small Head"
ANNEX_TEXT, ANNEX_HEAD = "CCHC Annex Text", "CCHC Annex Head"
NOTE = "CCHC Note"


# --------------------------------------------------------------------------------------- fonts


def set_fonts(rpr: OxmlElement) -> None:
    """Times New Roman for every script: ascii, hAnsi, eastAsia and cs; no theme fonts (a theme
    attribute would win over the named font)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), FONT)


def style_rpr(style) -> OxmlElement:
    return style.element.get_or_add_rPr()


def setup_styles(doc) -> None:
    styles = doc.styles
    # Document defaults: Times New Roman 14, Vietnamese, no spacing.
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr)
    rpr.find(qn("w:sz")).set(qn("w:val"), "28")
    rpr.find(qn("w:szCs")).set(qn("w:val"), "28")
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "en-US")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")

    normal = styles["Normal"]
    set_fonts(style_rpr(normal))
    normal.font.size = Pt(14)
    fmt = normal.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Mm(10)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.0
    fmt.widow_control = True

    for name in ("Normal Table", "Table Grid", "Header", "Footer"):
        set_fonts(style_rpr(styles[name]))
    # Every other style that names a font (headings: theme fonts, "macro": Courier) gets Times
    # New Roman too, so a style picked in Word later keeps the ND 30 font.
    for style in styles:
        rpr = style.element.rPr
        if rpr is not None and rpr.find(qn("w:rFonts")) is not None:
            set_fonts(rpr)
    for name in ("Header", "Footer"):
        styles[name].font.size = Pt(13)

    def paragraph_style(
        name,
        *,
        bold=False,
        italic=False,
        size=None,
        align=None,
        indent=None,
        after=None,
        before=None,
        keep_next=False,
        outline=None,
    ):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        set_fonts(style_rpr(style))
        if bold:
            style.font.bold = True
        if italic:
            style.font.italic = True
        if size:
            style.font.size = Pt(size)
        pf = style.paragraph_format
        if align is not None:
            pf.alignment = align
        if indent is not None:
            pf.first_line_indent = Mm(indent)
        if after is not None:
            pf.space_after = Pt(after)
        if before is not None:
            pf.space_before = Pt(before)
        if keep_next:
            pf.keep_with_next = True
        if outline is not None:
            ppr = style.element.get_or_add_pPr()
            ppr.get_or_add_outlineLvl().val = outline
        return style

    paragraph_style(H1, bold=True, keep_next=True, before=6, outline=0)
    paragraph_style(H2, bold=True, keep_next=True, outline=1)
    paragraph_style(H3, bold=True, italic=True, keep_next=True, outline=2)
    paragraph_style(CENTERED, align=CENTER, indent=0, after=0)
    paragraph_style(TABLE_TEXT, size=12, align=LEFT, indent=0, after=0)
    paragraph_style(TABLE_HEAD, size=12, bold=True, align=CENTER, indent=0, after=0)
    paragraph_style(SMALL_TEXT, size=11, align=LEFT, indent=0, after=0)
    paragraph_style(SMALL_HEAD, size=11, bold=True, align=CENTER, indent=0, after=0)
    paragraph_style(ANNEX_TEXT, size=10, align=LEFT, indent=0, after=0)
    paragraph_style(ANNEX_HEAD, size=10, bold=True, align=CENTER, indent=0, after=0)
    paragraph_style(NOTE, size=12, italic=True, indent=0, after=6)


# ---------------------------------------------------------------------------------- paragraphs


def para(
    container,
    text: str = "",
    style: str | None = None,
    *,
    bold: bool | None = None,
    italic: bool | None = None,
    size: float | None = None,
    align=None,
    before: float | None = None,
    after: float | None = None,
    keep_next: bool = False,
    page_break: bool = False,
) -> Paragraph:
    """A paragraph with one run of ``text`` (Jinja tags are plain text to python-docx)."""
    if isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.text:
        p = container.paragraphs[0]
        if style:
            p.style = style
    else:
        p = container.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    fmt = p.paragraph_format
    if align is not None:
        fmt.alignment = align
    if before is not None:
        fmt.space_before = Pt(before)
    if after is not None:
        fmt.space_after = Pt(after)
    if keep_next:
        fmt.keep_with_next = True
    if page_break:
        fmt.page_break_before = True
    return p


def rule(container, length_mm: float, box_mm: float) -> Paragraph:
    """A short horizontal rule, centred: an empty paragraph with a top border, narrowed by its
    indents (a border spans the paragraph between its indents). Its paragraph mark is 1 pt, so
    the paragraph adds almost no height and the line sits just under the text above."""
    p = para(container, style=CENTERED, before=3)
    side = max((box_mm - length_mm) / 2, 0)
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = Mm(side)
    ppr = p._p.get_or_add_pPr()
    border = parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="6" w:space="1" w:color="000000"/>'
        "</w:pBdr>"
    )
    # CT_PPr order: ... numPr, suppressLineNumbers, pBdr, shd, tabs, ..., spacing, ind, ..., jc,
    # ..., rPr (paragraph mark), sectPr, pPrChange.
    ppr.insert_element_before(
        border, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
        "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
        "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
        "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
        "w:pPrChange",
    )  # fmt: skip
    mark = parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>')
    ppr.insert_element_before(mark, "w:sectPr", "w:pPrChange")
    return p


# -------------------------------------------------------------------------------------- tables


@dataclass
class C:
    """One cell of a table row being built: its text, how many grid columns it spans, and its
    paragraph style / alignment (None: the row's default)."""

    text: str = ""
    span: int = 1
    align: object = None
    bold: bool | None = None


def _tbl_pr_child(tbl, xml: str, *successors: str) -> None:
    tbl_pr = tbl._tbl.tblPr
    old = tbl_pr.find(qn(xml.split()[0].lstrip("<")))
    if old is not None:
        tbl_pr.remove(old)
    tbl_pr.insert_element_before(parse_xml(xml), *successors)


def make_table(doc, widths_mm: list[float], *, borders: bool):
    """A centred, fixed-layout table of the given column widths: ``Table Grid`` with narrow cell
    margins, or borderless (``Normal Table`` with nil borders) for the header/signature blocks.
    python-docx has no API for the table width, borders or cell margins: raw XML, in schema
    order (Word shows a repair prompt for out-of-order elements)."""
    table = doc.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid" if borders else "Normal Table"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total = int(sum(widths_mm) * 56.7)
    ns = nsdecls("w")
    _tbl_pr_child(
        table,
        f'<w:tblW {ns} w:w="{total}" w:type="dxa"/>',
        "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
        "w:tblCellMar", "w:tblLook",
    )  # fmt: skip
    if not borders:
        nil = "".join(
            f'<w:{side} w:val="nil"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        _tbl_pr_child(
            table,
            f"<w:tblBorders {ns}>{nil}</w:tblBorders>",
            "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
        )  # fmt: skip
    else:  # narrower cell margins than Word's 1.9 mm: dates and codes fit on one line
        _tbl_pr_child(
            table,
            f'<w:tblCellMar {ns}><w:left w:w="68" w:type="dxa"/><w:right w:w="68" w:type="dxa"/>'
            "</w:tblCellMar>",
            "w:tblLook",
        )
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(int(width * 56.7)))
    table._widths = widths_mm  # remembered for add_row
    return table


def add_row(table, cells: list[C], style: str, *, header: bool = False, align=None):
    """Append a row; a cell spanning several columns is merged. ``header``: repeat on each page."""
    widths = table._widths
    row = table.add_row()
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))
    col = 0
    for spec in cells:
        cell = row.cells[col]
        if spec.span > 1:
            cell = cell.merge(row.cells[col + spec.span - 1])
        cell.width = Mm(sum(widths[col : col + spec.span]))
        para(cell, spec.text, style, bold=spec.bold, align=spec.align or align)
        col += spec.span
    if col != len(widths):
        raise ValueError(f"row covers {col} of {len(widths)} columns: {cells}")
    return row


def data_table(
    doc,
    widths: list[float],
    header: list[str],
    loop: str,
    cells: list[C],
    totals: list[C] | None = None,
    *,
    text: str = TABLE_TEXT,
    head: str = TABLE_HEAD,
):
    """Header row, a ``{%tr for %}`` loop over ``cells``, and an optional bold totals row."""
    table = make_table(doc, widths, borders=True)
    add_row(table, [C(h) for h in header], head, header=True)
    add_row(table, [C(f"{{%tr for {loop} %}}"), *[C() for _ in widths[1:]]], text)
    add_row(table, cells, text)
    add_row(table, [C("{%tr endfor %}"), *[C() for _ in widths[1:]]], text)
    if totals:
        add_row(table, [C(c.text, c.span, c.align, True) for c in totals], text)
    return table


def name_loop_columns(table, list_name: str) -> None:
    """Name the list a ``{%tc for %}`` loop repeats (the table's alternative-text title):
    tasks/document.py gives the repeated columns the width left by the others."""
    _tbl_pr_child(table, f'<w:tblCaption {nsdecls("w")} w:val="{list_name}"/>', "w:tblDescription")


def marker_table(doc, widths: list[float], header: list[str], markers: list[C]):
    """Header row + one ``[[list.field]]`` marker row that tasks/document.py repeats per item."""
    table = make_table(doc, widths, borders=True)
    add_row(table, [C(h) for h in header], ANNEX_HEAD, header=True)
    add_row(table, markers, ANNEX_TEXT)
    return table


# ---------------------------------------------------------------------------------------- page


def setup_page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    # 15 mm is 850.4 twips: 850 would read back as 14.99 mm, outside ND 30's 15-20 mm.
    section.left_margin, section.right_margin = Mm(30), Twips(851)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    section.gutter = Mm(0)
    # Page numbers from page 2: a different first-page header (left empty), and the default
    # header carries a centred PAGE field (python-docx has no API for fields: raw XML).
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    first = section.first_page_header.paragraphs[0]
    first.style = "Header"
    header = section.header.paragraphs[0]
    header.style = "Header"
    header.alignment = CENTER
    header._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:rPr>'
            f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
            '<w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr><w:t>2</w:t></w:r></w:fldSimple>'
        )
    )


def header_block(doc, number: str = "Số:      /{{ agency.report_symbol }}") -> None:
    """Quốc hiệu, tiêu ngữ, agency, number and date (ND 30/2020, Phụ lục I): a borderless table."""
    left_w, right_w = 62.0, 103.0
    table = make_table(doc, [left_w, right_w], borders=False)
    inner_left, inner_right = left_w - 3.8, right_w - 3.8  # default cell margins 1.9 mm
    row = table.add_row()
    row.cells[0].width, row.cells[1].width = Mm(left_w), Mm(right_w)
    left, right = row.cells
    para(left, "{{ agency.parent }}", CENTERED, size=13)
    para(left, "{{ agency.name }}", CENTERED, bold=True, size=13)
    rule(left, 18, inner_left)
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", CENTERED, bold=True, size=12)
    para(right, "Độc lập - Tự do - Hạnh phúc", CENTERED, bold=True, size=13)
    rule(right, 56, inner_right)
    row = table.add_row()
    row.cells[0].width, row.cells[1].width = Mm(left_w), Mm(right_w)
    left, right = row.cells
    para(left, number, CENTERED, size=13, before=6)
    para(right, "{{ date_line }}", CENTERED, italic=True, size=14, before=6)


def title_block(doc) -> None:
    para(doc, "BÁO CÁO", CENTERED, bold=True, before=18)
    para(
        doc,
        "Kết quả thực hiện công tác {{ plan.theme }}\n"
        "{{ period.label }} (từ ngày {{ window.start }} đến ngày {{ window.end }})",
        CENTERED,
        bold=True,
    )
    rule(doc, 40, TEXT_WIDTH_MM)
    para(doc, "", CENTERED, after=6)


# ---------------------------------------------------------------------------------------- body


def numbered(doc, title: str) -> None:
    """A level-2 heading numbered by the template itself: a section whose rule the plan file
    turns off is left out without a gap in the numbers."""
    para(doc, "{% set sec.n = sec.n + 1 %}{{ sec.n }}. " + title, H2)


def section_results(doc) -> None:
    para(
        doc,
        "Thực hiện {{ plan_reference }}, Sở Xây dựng báo cáo kết quả thực hiện "
        "{{ period.label }} (số liệu từ ngày {{ window.start }} đến ngày {{ window.end }}, "
        "tổng hợp đến ngày {{ as_of }}) như sau:",
    )
    para(doc, "I. CÔNG TÁC CHỈ ĐẠO, TRIỂN KHAI", H1)
    own_text(doc, "texts.steering")
    para(
        doc,
        "{% if plan.implements %}Thực hiện {{ plan.implements }}, Sở{% else %}Sở{% endif %} Xây "
        "dựng đã ban hành {{ plan_reference }}, giao các phòng, đơn vị cụ thể hóa nội dung tuyên "
        "truyền và tổ chức thực hiện; Văn phòng Sở theo dõi, đôn đốc và tổng hợp kết quả."
        "{% if concretization and concretization.documents %} Các phòng, đơn vị đã cụ thể hóa "
        "bằng văn bản: {% for d in concretization.documents %}{{ d.unit }} ({{ d.doc_number }} "
        "ngày {{ d.date }}){% if not loop.last %}; {% endif %}{% endfor %}.{% endif %}",
    )
    para(doc, "{%p endif %}")
    para(doc, "II. KẾT QUẢ THỰC HIỆN", H1)
    para(doc, "{%p set sec = namespace(n=0) %}")

    # The plan's requirements, one row per rule the plan file turns on.
    numbered(doc, "Kết quả thực hiện các yêu cầu của Kế hoạch")
    data_table(
        doc,
        [10, 62, 70, 23],
        ["STT", "Yêu cầu của Kế hoạch", "Kết quả thực hiện", "Đánh giá"],
        "r in requirements",
        [
            C("{{ r.stt }}", align=CENTER),
            C("{{ r.clause }}"),
            C("{{ r.verdict }}"),
            C("{{ r.met_text }}", align=CENTER),
        ],
        text=SMALL_TEXT,
        head=SMALL_HEAD,
    )
    para(doc, "", TABLE_TEXT)

    # Concretisation
    para(doc, "{%p if concretization %}")
    numbered(doc, "Cụ thể hóa nội dung tuyên truyền")
    para(
        doc,
        "Theo Kế hoạch, các đơn vị hoàn thành việc cụ thể hóa nội dung tuyên truyền "
        "{{ concretization.deadline }}. Đến ngày {{ as_of }}, có "
        "{{ concretization.on_time }}/{{ concretization.units }} đơn vị hoàn thành đúng hạn"
        "{% if concretization.late %}; {{ concretization.late }} đơn vị hoàn "
        "thành không đúng hạn ({{ concretization.late_names }}){% endif %}"
        "{% if concretization.missing %}; {{ concretization.missing }} đơn vị "
        "chưa thực hiện ({{ concretization.missing_names }}){% endif %}"
        "{% if concretization.not_due_names %}; các đơn vị còn lại chưa đến hạn "
        "({{ concretization.not_due_names }}){% endif %}.",
    )
    para(doc, "{%p endif %}")

    # Products (the annex refers to this section by its number)
    numbered(doc, "Sản phẩm tuyên truyền")
    para(doc, "{%p set sec.products = sec.n %}")
    para(
        doc,
        "Trong kỳ, các phòng, đơn vị thực hiện {{ summary.products }} sản phẩm tuyên truyền về "
        "cải cách hành chính{% if unit_quota and unit_quota.with_quota %}; {{ unit_quota.met }}/"
        "{{ unit_quota.with_quota }} đơn vị được Văn phòng Sở giao chỉ tiêu đã đạt chỉ tiêu"
        "{% if unit_quota.below_names %} (chưa đạt: {{ unit_quota.below_names }}){% endif %}"
        "{% endif %}. Kết quả cụ thể như sau:",
    )
    para(doc, "a) Theo nội dung tuyên truyền", H3)
    data_table(
        doc,
        [15, 120, 30],
        ["STT", "Nội dung tuyên truyền", "Số sản phẩm"],
        "r in by_area",
        [C("{{ r.stt }}", align=CENTER), C("{{ r.name }}"), C("{{ r.count }}", align=CENTER)],
        [C("Tổng cộng", 2, CENTER), C("{{ totals.by_area }}", align=CENTER)],
    )
    para(doc, "", TABLE_TEXT)
    para(doc, "b) Theo hình thức tuyên truyền", H3)
    data_table(
        doc,
        [15, 120, 30],
        ["STT", "Hình thức tuyên truyền", "Số sản phẩm"],
        "r in by_channel",
        [C("{{ r.stt }}", align=CENTER), C("{{ r.name }}"), C("{{ r.count }}", align=CENTER)],
        [C("Tổng cộng", 2, CENTER), C("{{ totals.by_channel }}", align=CENTER)],
    )
    para(doc, "", TABLE_TEXT)
    para(doc, "{%p if channel_details or posted.procedures %}")
    para(doc, "Cụ thể từng hình thức:")
    para(doc, "{%p for item in channel_details %}")
    para(doc, "- {{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p if posted.procedures %}")
    para(
        doc,
        "- Niêm yết công khai {{ posted.procedures }} thủ tục hành chính tại bộ phận tiếp nhận hồ "
        "sơ{% if posted.places|length > 1 %} ({{ posted.places|length }} nơi niêm yết){% endif %}"
        "; {{ posted.with_qr }} thủ tục có mã QR tra cứu{% if posted.without_link %}, "
        "{{ posted.without_link }} thủ tục chưa có{% endif %}.",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")
    para(doc, "c) Theo loại sản phẩm", H3)
    data_table(
        doc,
        [15, 120, 30],
        ["STT", "Loại sản phẩm", "Số sản phẩm"],
        "r in by_kind",
        [C("{{ r.stt }}", align=CENTER), C("{{ r.name }}"), C("{{ r.count }}", align=CENTER)],
        [C("Tổng cộng", 2, CENTER), C("{{ totals.by_kind }}", align=CENTER)],
    )
    para(doc, "", TABLE_TEXT)
    para(doc, "d) Kết quả của từng phòng, đơn vị", H3)
    # One column per column a rule adds ({%tc for %}: docxtpl repeats the middle cell).
    units = data_table(
        doc,
        [10, 44, 15, 32, 32, 32],
        ["STT", "Phòng, đơn vị", "Số sản phẩm", "{%tc for c in unit_columns %}", "{{ c }}",
         "{%tc endfor %}"],
        "u in units",
        [
            C("{{ u.stt }}", align=CENTER),
            C("{{ u.name }}"),
            C("{{ u.products }}", align=CENTER),
            C("{%tc for v in u.cells %}"),
            C("{{ v }}", align=CENTER),
            C("{%tc endfor %}"),
        ],
        [
            C("Tổng cộng", 2, CENTER),
            C("{{ totals.unit_products }}", align=CENTER),
            C("{%tc for c in unit_columns %}"),
            C(""),
            C("{%tc endfor %}"),
        ],
        text=SMALL_TEXT,
        head=SMALL_HEAD,
    )  # fmt: skip
    name_loop_columns(units, "unit_columns")
    para(
        doc,
        "Số sản phẩm gồm mọi loại sản phẩm tuyên truyền (tin, bài, infographic, video, tờ gấp, "
        "hội nghị và sản phẩm khác).{% if unit_quota %} Kế hoạch không giao chỉ tiêu cho từng "
        "đơn vị; chỉ tiêu (nếu có) do Văn phòng Sở giao trong danh sách đơn vị, là số sản phẩm "
        "tối thiểu mỗi tháng{% if period.kind != 'month' %} nhân với số tháng của kỳ báo cáo đã "
        "bắt đầu{% endif %}; đơn vị không được giao chỉ tiêu thì không đánh giá.{% endif %}"
        "{% if inactive.products %} Ngoài ra, {{ inactive.names }} (đã ngừng hoạt động) có "
        "{{ inactive.products }} sản phẩm trong kỳ, đã tính vào các bảng tổng hợp theo nội dung, "
        "hình thức và loại sản phẩm.{% endif %}",
        NOTE,
        before=3,
    )
    para(doc, "{{ charts.units }}", CENTERED, before=6, keep_next=True)
    para(
        doc,
        "Biểu đồ 1. Số sản phẩm tuyên truyền của các phòng, đơn vị {{ period.label }}"
        "{{ charts.units_note }}",
        CENTERED,
        italic=True,
        size=12,
        after=6,
    )
    para(doc, "{%p if charts.months %}", CENTERED)
    para(doc, "{{ charts.months }}", CENTERED, before=6, keep_next=True)
    para(
        doc,
        "Biểu đồ 2. Số sản phẩm tuyên truyền theo tháng, {{ period.label }}",
        CENTERED,
        italic=True,
        size=12,
        after=6,
    )
    para(doc, "{%p endif %}", CENTERED)

    # Website quota
    para(doc, "{%p if website %}")
    numbered(doc, "Chỉ tiêu tin, bài trên Trang thông tin điện tử của Sở")
    para(doc, "{%p if period.kind == 'month' %}")
    para(
        doc,
        "Kế hoạch yêu cầu Trang thông tin điện tử của Sở đăng tải tối thiểu "
        "{{ '%02d'|format(website.required) }} tin, bài về cải cách hành chính mỗi tháng. "
        "Trong kỳ, Trang thông tin điện tử đã đăng tải {{ website.count }} tin, bài về cải cách "
        "hành chính: {{ website.met_text|lower }} chỉ tiêu.",
    )
    para(doc, "{%p else %}")
    para(
        doc,
        "Kế hoạch yêu cầu Trang thông tin điện tử của Sở đăng tải tối thiểu "
        "{{ '%02d'|format(website.per_month) }} tin, bài về cải cách hành chính mỗi tháng; "
        "kết quả từng tháng như sau "
        "({{ website.met_text|lower }} chỉ tiêu của kỳ):",
    )
    data_table(
        doc,
        [13, 35, 50, 22, 22, 23],
        ["STT", "Tháng", "Thời gian", "Số tin, bài", "Chỉ tiêu", "Kết quả"],
        "m in website.months",
        [
            C("{{ loop.index }}", align=CENTER),
            C("{{ m.label }}"),
            C("{{ m.start }} - {{ m.end }}", align=CENTER),
            C("{{ m.count }}", align=CENTER),
            C("{{ m.required }}", align=CENTER),
            C("{{ m.met_text }}", align=CENTER),
        ],
        [
            C("Tổng cộng", 3, CENTER),
            C("{{ website.count }}", align=CENTER),
            C("{{ website.required }}", align=CENTER),
            C("{{ website.met_text }}", align=CENTER),
        ],
    )
    para(doc, "", TABLE_TEXT)
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")

    # Unit reports
    para(doc, "{%p if unit_reports %}")
    numbered(doc, "Báo cáo định kỳ của các phòng, đơn vị")
    para(
        doc,
        "{% if unit_reports.required %}"
        "Hạn gửi báo cáo {{ period.label }} của các phòng, đơn vị là ngày "
        "{{ unit_reports.due }}. Văn phòng Sở đã nhận "
        "{{ unit_reports.on_time + unit_reports.late }}/{{ unit_reports.units }} báo cáo "
        "({{ unit_reports.on_time }} đúng hạn"
        "{% if unit_reports.late %}, {{ unit_reports.late }} trễ hạn: "
        "{{ unit_reports.late_names }}{% endif %})"
        "{% if unit_reports.missing %}; {{ unit_reports.missing }} đơn vị chưa gửi: "
        "{{ unit_reports.missing_names }}{% endif %}"
        "{% if unit_reports.not_due_names %}; chưa đến hạn: {{ unit_reports.not_due_names }}"
        "{% endif %}."
        "{% else %}"
        "Kế hoạch giao các phòng, đơn vị báo cáo định kỳ hằng tháng, 6 tháng và năm; kỳ "
        "{{ period.label }} không có báo cáo riêng của đơn vị."
        "{% endif %}",
    )
    para(doc, "{%p endif %}")

    # Late dossiers and apologies
    para(doc, "{%p if apologies %}")
    numbered(doc, "Hồ sơ giải quyết trễ hẹn và việc xin lỗi người dân, tổ chức")
    para(doc, "{%p if apologies.dossiers %}")
    para(
        doc,
        "Trong kỳ có {{ apologies.count }} hồ sơ thủ tục hành chính giải quyết trễ hẹn; "
        "{{ apologies.on_time }}/{{ apologies.count }} hồ sơ có phiếu xin lỗi và "
        "hẹn lại ngày trả kết quả đúng quy định (chậm nhất {{ apologies.days_before_due }} "
        "ngày trước ngày hẹn trả). Chi tiết:",
    )
    data_table(
        doc,
        [11, 29, 37, 27, 21, 40],
        ["STT", "Mã hồ sơ", "Thủ tục hành chính", "Đơn vị", "Hẹn trả\nNgày trả",
         "Phiếu xin lỗi, hẹn lại"],
        "d in apologies.dossiers",
        [
            C("{{ d.stt }}", align=CENTER),
            C("{{ d.code }}"),
            C("{{ d.procedure }}"),
            C("{{ d.unit }}"),
            C("{{ d.due }}\n{{ d.returned }}", align=CENTER),
            C(
                "{{ d.apology }}{% if d.apology_number %}: số {{ d.apology_number }}{% endif %}"
                "{% if d.apology_date %}, ngày {{ d.apology_date }}{% endif %}"
                "{% if d.new_due %}; hẹn lại {{ d.new_due }}{% endif %}"
                "{% if d.missed_new_due %} (trễ cả ngày hẹn lại){% endif %}"
            ),
        ],
        [
            C(
                "Tổng cộng: {{ apologies.count }} hồ sơ trễ hẹn, "
                "{{ apologies.on_time }} hồ sơ xin lỗi đúng hạn",
                6,
                CENTER,
            )
        ],
        text=SMALL_TEXT,
        head=SMALL_HEAD,
    )  # fmt: skip
    para(doc, "", TABLE_TEXT)
    para(doc, "{%p else %}")
    para(doc, "Trong kỳ, không có hồ sơ thủ tục hành chính giải quyết trễ hẹn.")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")

    # The "06 rõ" task list (plan I.2)
    para(doc, "{%p if tasks %}")
    numbered(doc, 'Thực hiện nhiệm vụ theo nguyên tắc "06 rõ"')
    para(
        doc,
        "{% if tasks.due %}Đến ngày {{ as_of }}, các phòng, đơn vị đã hoàn thành "
        "{{ tasks.done }}/{{ tasks.due }} nhiệm vụ có hạn hoàn thành đến hết kỳ báo cáo, đạt tỷ "
        "lệ {{ tasks.rate }}%{% if tasks.done_late %} ({{ tasks.done_late }} nhiệm vụ hoàn thành "
        "sau hạn){% endif %}{% if tasks.overdue %}; {{ tasks.overdue }} nhiệm vụ quá hạn chưa "
        "hoàn thành{% endif %}.{% else %}Trong kỳ, không có nhiệm vụ đến hạn hoàn thành.{% endif %}"
        "{% if tasks.unclear %} Có {{ tasks.unclear }}/{{ tasks.total }} nhiệm vụ chưa bảo đảm "
        'nguyên tắc "06 rõ" (rõ người, rõ việc, rõ thời gian, rõ trách nhiệm, rõ sản phẩm, rõ '
        "thẩm quyền).{% endif %}",
    )
    para(doc, "{%p if tasks.overdue_tasks %}")
    para(doc, "Các nhiệm vụ quá hạn chưa hoàn thành:")
    data_table(
        doc,
        [11, 60, 38, 34, 22],
        ["STT", "Nhiệm vụ", "Đơn vị", "Người thực hiện\nNgười chịu trách nhiệm", "Hạn hoàn thành"],
        "t in tasks.overdue_tasks",
        [
            C("{{ t.stt }}", align=CENTER),
            C("{{ t.task }}"),
            C("{{ t.unit }}"),
            C("{{ t.assignee }}\n{{ t.responsible }}"),
            C("{{ t.due }}", align=CENTER),
        ],
        text=SMALL_TEXT,
        head=SMALL_HEAD,
    )  # fmt: skip
    para(doc, "", TABLE_TEXT)
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")


def own_text(doc, field: str) -> None:
    """Open a section with the Office's own paragraphs (plan file ``report_texts``) when it wrote
    any; the generated ones follow, up to the caller's ``{%p endif %}``."""
    para(doc, f"{{%p if {field} %}}")
    para(doc, f"{{%p for item in {field} %}}")
    para(doc, "{{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p else %}")


def section_assessment(doc) -> None:
    para(doc, "III. ĐÁNH GIÁ CHUNG", H1)
    para(doc, "1. Ưu điểm", H2)
    own_text(doc, "texts.strengths")
    para(doc, "{%p for item in strengths %}")
    para(doc, "- {{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "2. Tồn tại, hạn chế", H2)
    para(doc, "{%p if shortcomings %}")
    para(doc, "{%p for item in shortcomings %}")
    para(doc, "- {{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p else %}")
    para(doc, "Trong kỳ, chưa phát hiện tồn tại, hạn chế trong việc thực hiện Kế hoạch.")
    para(doc, "{%p endif %}")
    para(doc, "{%p if shortcomings or causes or texts.causes %}")
    para(doc, "3. Nguyên nhân", H2)
    own_text(doc, "texts.causes")
    para(doc, "{%p if causes %}")
    para(doc, "Theo báo cáo, giải trình của các phòng, đơn vị (khó khăn, vướng mắc):")
    para(doc, "{%p for item in causes %}")
    para(doc, "- {{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p else %}")
    para(
        doc,
        "Các phòng, đơn vị chưa nêu nguyên nhân cụ thể; Văn phòng Sở tiếp tục đôn đốc, đề nghị "
        "các đơn vị giải trình.",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")


NEXT_TASKS = [
    "1. Văn phòng Sở tiếp tục theo dõi, đôn đốc các phòng, đơn vị chưa đạt chỉ tiêu được giao, "
    "chưa hoàn thành cụ thể hóa nội dung tuyên truyền hoặc chưa gửi báo cáo đúng hạn; tổng hợp, "
    "báo cáo Lãnh đạo Sở kết quả thực hiện hằng tháng.",
    "2. Duy trì đăng tải tối thiểu 01 tin, bài về cải cách hành chính mỗi tháng trên Trang thông "
    "tin điện tử của Sở; đa dạng hóa hình thức tuyên truyền qua Zalo OA, Fanpage, infographic, "
    "video ngắn, bảo đảm nội dung ngắn gọn, dễ hiểu, dễ tiếp cận.",
    "3. Cập nhật kịp thời, niêm yết công khai đầy đủ các thủ tục hành chính mới ban hành, sửa "
    "đổi, bổ sung, thay thế thuộc thẩm quyền giải quyết của Sở tại Bộ phận Một cửa và trên Trang "
    "thông tin điện tử; duy trì, cập nhật mã QR tra cứu thủ tục hành chính và dịch vụ công trực "
    "tuyến tại nơi tiếp nhận hồ sơ.",
    "4. Các phòng, đơn vị chủ động tuyên truyền theo nội dung đã cụ thể hóa, bảo đảm nguyên tắc "
    "“06 rõ” (rõ người, rõ việc, rõ thời gian, rõ trách nhiệm, rõ sản phẩm, rõ thẩm quyền); nhập "
    "đầy đủ, chính xác kết quả vào bảng tính chung chậm nhất ngày 14 hằng tháng; kịp thời sửa các "
    "dòng dữ liệu nhập sai theo thông báo của Văn phòng Sở.",
    "5. Thực hiện nghiêm việc xin lỗi bằng văn bản (phiếu xin lỗi và hẹn lại ngày trả kết quả) "
    "đối với hồ sơ giải quyết trễ hẹn; phấn đấu không để phát sinh hồ sơ trễ hẹn.",
]


def section_next(doc) -> None:
    para(doc, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRỌNG TÂM {{ next_period.label|upper }}", H1)
    own_text(doc, "texts.next_tasks")
    for text in NEXT_TASKS:
        para(doc, text)
    para(doc, "{%p if period.kind == 'half' %}")
    para(
        doc,
        "6. Sơ kết, đánh giá việc thực hiện Kế hoạch 6 tháng đầu năm; điều chỉnh nội dung, hình "
        "thức tuyên truyền 6 tháng cuối năm cho phù hợp.",
    )
    para(doc, "{%p elif period.kind == 'year' %}")
    para(
        doc,
        "6. Tổng kết, đánh giá việc thực hiện Kế hoạch năm {{ plan.year }}; tham mưu xây dựng Kế "
        "hoạch thông tin, tuyên truyền cải cách hành chính năm {{ plan.year + 1 }}.",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")


def section_proposals(doc) -> None:
    para(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ", H1)
    own_text(doc, "texts.proposals")
    para(doc, "{%p if behind_names %}")
    para(
        doc,
        "Đề nghị Lãnh đạo Sở chỉ đạo các phòng, đơn vị: {{ behind_names }} khẩn trương khắc phục "
        "các tồn tại, hạn chế nêu tại mục III, báo cáo kết quả về Văn phòng Sở trong kỳ báo cáo "
        "tới.",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p if proposals %}")
    para(doc, "Các phòng, đơn vị đề xuất, kiến nghị:")
    para(doc, "{%p for item in proposals %}")
    para(doc, "- {{ item }}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if not behind_names and not proposals %}")
    para(doc, "Không có đề xuất, kiến nghị.")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")
    para(
        doc,
        "Trên đây là báo cáo kết quả thực hiện công tác {{ plan.theme }} {{ period.label }} của "
        "Sở Xây dựng./.",
        keep_next=True,  # never a signature block alone on the last page
    )


def signature_block(doc, noi_nhan: list[str] | None = None) -> None:
    """Nơi nhận (left) and the signer (right), a borderless table (ND 30/2020). ``noi_nhan``:
    fixed lines instead of the plan file's list."""
    table = make_table(doc, [80, 85], borders=False)
    row = table.add_row()
    row.cells[0].width, row.cells[1].width = Mm(80), Mm(85)
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    left, right = row.cells
    para(left, "Nơi nhận:", TABLE_TEXT, bold=True, italic=True, size=12, before=6)
    if noi_nhan is None:
        para(left, "{%p for item in noi_nhan %}", TABLE_TEXT)
        para(left, "- {{ item }}", TABLE_TEXT, size=11)
        para(left, "{%p endfor %}", TABLE_TEXT)
    for line in noi_nhan or []:
        para(left, f"- {line}", TABLE_TEXT, size=11)
    para(right, "{%p if signer.authority %}", CENTERED)
    para(right, "{{ signer.authority }}", CENTERED, bold=True, before=6)
    para(right, "{%p endif %}", CENTERED)
    para(right, "{{ signer.title }}", CENTERED, bold=True)
    for _ in range(4):
        para(right, "", CENTERED)
    para(right, "{{ signer.name }}", CENTERED, bold=True)


def landscape_section(doc) -> None:
    """A new landscape section for a wide annex. The binding edge (left in portrait) is the top
    here; the header keeps the page number (linked to the report's, and shown on the first page
    of the annex too)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(30), Mm(15)
    section.left_margin, section.right_margin = Mm(20), Mm(20)
    section.different_first_page_header_footer = False


def annex(doc) -> None:
    landscape_section(doc)
    para(doc, "{%p set annex = namespace(n=0) %}", CENTERED)
    para(doc, "{% set annex.n = annex.n + 1 %}PHỤ LỤC {{ annex.n|roman }}", CENTERED, bold=True)
    para(
        doc, "DANH SÁCH SẢN PHẨM TUYÊN TRUYỀN CẢI CÁCH HÀNH CHÍNH {{ period.label|upper }}",
        CENTERED, bold=True,
    )  # fmt: skip
    para(
        doc,
        "(Kèm theo Báo cáo số      /{{ agency.report_symbol }} {{ report_date }} của Sở Xây dựng)",
        CENTERED,
        italic=True,
    )
    para(
        doc,
        "Số liệu từ ngày {{ window.start }} đến ngày {{ window.end }}",
        CENTERED,
        italic=True,
        after=12,
    )
    para(doc, "{%p if products %}", CENTERED)
    marker_table(
        doc,
        [10, 20, 16, 14, 28, 22, 82, 65],
        ["STT", "Ngày", "Đơn vị", "Nội dung", "Hình thức", "Loại", "Tiêu đề", "Đường dẫn"],
        [
            C("[[products.stt]]", align=CENTER),
            C("[[products.date]]", align=CENTER),
            C("[[products.unit]]"),
            C("[[products.area]]", align=CENTER),
            C("[[products.channel]]"),
            C("[[products.kind]]"),
            C("[[products.title]]"),
            C("[[products.link]]"),
        ],
    )
    para(
        doc,
        "Cột “Nội dung”: số thứ tự nội dung tuyên truyền tại điểm a mục II.{{ sec.products }} của "
        "Báo cáo; cột “Đơn vị”: mã đơn vị.",
        NOTE,
        before=3,
    )
    para(doc, "{%p else %}", CENTERED)
    para(doc, "Trong kỳ, chưa có sản phẩm tuyên truyền nào được ghi nhận.")
    para(doc, "{%p endif %}", CENTERED)


# ------------------------------------------------------------------------------ QR-code sheet

QR_CARD_MM = 95.0  # two cards across A4 between 10 mm margins
QR_ROW_MM = 134.0  # two rows a page (275 mm between the margins), a little to spare


def qr_card(cell, side: str) -> None:
    """The paragraphs of one card (``pair.left`` or ``pair.right``), centred in its cell."""
    c = f"pair.{side}"
    para(cell, "{{ agency.parent }}", CENTERED, size=10)
    para(cell, "{{ agency.name }}", CENTERED, bold=True, size=11)
    para(cell, "TRA CỨU THỦ TỤC HÀNH CHÍNH", CENTERED, bold=True, size=14, before=6)
    para(cell, f"{{{{ {c}.qr }}}}", CENTERED, before=3)
    para(cell, f"{{{{ {c}.name }}}}", CENTERED, bold=True, size=13, before=3)
    para(cell, f"Mã thủ tục: {{{{ {c}.code }}}}", CENTERED, size=12, before=2)
    para(
        cell,
        "Quét mã QR bằng điện thoại để xem thành phần hồ sơ, trình tự, thời hạn, phí, lệ phí "
        "và nộp hồ sơ trực tuyến",
        CENTERED, italic=True, size=10, before=4,
    )  # fmt: skip
    para(cell, f"{{{{ {c}.link }}}}", CENTERED, size=8, before=2)
    para(
        cell,
        f"{{% if {c}.place %}}Nơi niêm yết: {{{{ {c}.place }}}}{{% endif %}}",
        CENTERED, italic=True, size=10, before=4,
    )  # fmt: skip
    para(cell, f"({{{{ {c}.stt }}}}/{{{{ count }}}})", CENTERED, size=8, before=2)


def tiny_paragraph(container) -> None:
    """An empty paragraph 1 pt high (its mark is 1 pt): where the format needs a paragraph."""
    p = para(container, "", CENTERED)
    p.paragraph_format.line_spacing = Pt(1)
    mark = parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>')
    p._p.get_or_add_pPr().append(mark)


def qr_page(doc) -> None:
    """A4 with narrow margins (the sheet is cut, not filed); the page header says how to use it."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(12), Mm(10)
    section.left_margin = section.right_margin = Mm(10)
    section.header_distance, section.footer_distance = Mm(5), Mm(5)
    header = section.header.paragraphs[0]
    header.style = "Header"
    header.alignment = CENTER
    run = header.add_run(
        "{{ agency.name }} - MÃ QR TRA CỨU THỦ TỤC HÀNH CHÍNH NIÊM YẾT ({{ count }} thẻ). "
        "In khổ A4, cắt theo đường nét đứt."
    )
    run.font.size = Pt(9)
    run.italic = True


def qr_table(doc) -> None:
    """Two cards a row, rows of a fixed minimum height that never split across pages, dashed
    borders as cut lines."""
    table = make_table(doc, [QR_CARD_MM, QR_CARD_MM], borders=True)
    ns = nsdecls("w")
    dashed = "".join(
        f'<w:{side} w:val="dashed" w:sz="6" w:space="0" w:color="7F7F7F"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    _tbl_pr_child(
        table, f"<w:tblBorders {ns}>{dashed}</w:tblBorders>",
        "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
    )  # fmt: skip
    _tbl_pr_child(
        table,
        f'<w:tblCellMar {ns}><w:top w:w="113" w:type="dxa"/><w:left w:w="227" w:type="dxa"/>'
        '<w:bottom w:w="113" w:type="dxa"/><w:right w:w="227" w:type="dxa"/></w:tblCellMar>',
        "w:tblLook",
    )
    add_row(table, [C("{%tr for pair in pairs %}"), C()], CENTERED)
    row = table.add_row()
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr_pr.append(parse_xml(f'<w:trHeight {ns} w:val="{int(QR_ROW_MM * 56.7)}" w:hRule="atLeast"/>'))
    left, right = row.cells
    for cell in (left, right):
        cell.width = Mm(QR_CARD_MM)
        cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:vAlign {ns} w:val="center"/>'))
    qr_card(left, "left")
    # No card after an odd last one: the cell keeps only its last, tiny paragraph (a cell
    # must hold one); the left cell has one too, so that both cards sit at the same height.
    tiny_paragraph(left)
    para(right, "{%p if pair.right %}", CENTERED)
    qr_card(right, "right")
    para(right, "{%p endif %}", CENTERED)
    tiny_paragraph(right)
    add_row(table, [C("{%tr endfor %}"), C()], CENTERED)


def build_qr_sheet() -> bytes:
    """``templates/ma-qr-niem-yet.docx``: the QR-code cards of the posted procedures."""
    doc = Document()
    setup_styles(doc)
    qr_page(doc)
    para(doc, "{%p if pairs %}", CENTERED)
    qr_table(doc)
    para(doc, "{%p else %}", CENTERED)
    para(
        doc,
        "Tab “Thủ tục niêm yết” chưa có thủ tục nào có đường dẫn để in mã QR.",
        CENTERED, before=24,
    )  # fmt: skip
    para(doc, "{%p endif %}", CENTERED)
    # The body must end with a paragraph: a tiny one never spills onto a page of its own.
    tiny_paragraph(doc)
    return save(
        doc,
        "Mã QR tra cứu thủ tục hành chính niêm yết",
        subject="Cổ động trực quan: niêm yết thủ tục hành chính, mã QR tra cứu thủ tục",
        keywords="CCHC; mã QR; niêm yết thủ tục hành chính; Sở Xây dựng Đắk Lắk",
        comments="Mẫu phiếu mã QR (docxtpl). Danh sách trường: docs/templates.md",
    )


# ---------------------------------------------------------------------------------------- main


def new_document():
    doc = Document()
    setup_styles(doc)
    setup_page(doc)
    return doc


def build_report() -> bytes:
    doc = new_document()
    header_block(doc)
    title_block(doc)
    section_results(doc)
    section_assessment(doc)
    section_next(doc)
    section_proposals(doc)
    signature_block(doc)
    annex(doc)
    return save(
        doc, "Báo cáo kết quả thông tin, tuyên truyền cải cách hành chính {{ period.label }}"
    )


def build_section() -> bytes:
    """The part of the Department's CCHC report (plan mục VI.1: "lồng ghép trong báo cáo
    CCHC"): a heading and paragraphs, in the report's styles, to paste as they are."""
    doc = new_document()
    para(
        doc,
        "(Phần lồng ghép vào báo cáo công tác cải cách hành chính {{ period.label }} của Sở Xây "
        "dựng; số liệu từ ngày {{ window.start }} đến ngày {{ window.end }})",
        NOTE,
        align=CENTER,
        after=12,
    )
    para(doc, "{{ cchc_section.title }}", H2)
    para(doc, "{%p for item in cchc_section.paragraphs %}")
    para(doc, "{{ item }}")
    para(doc, "{%p endfor %}")
    return save(doc, "{{ cchc_section.title }} {{ period.label }}")


def build_slip() -> bytes:
    """The apology slip (phiếu xin lỗi và hẹn lại ngày trả kết quả), after the one-stop form of
    Thông tư 01/2018/TT-VPCP (Nghị định 61/2018); the Office checks it against Nghị định
    118/2025 and edits it in Word."""
    doc = new_document()
    header_block(doc, "Số:      /PXL")
    para(doc, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", CENTERED, bold=True, before=18)
    rule(doc, 40, TEXT_WIDTH_MM)
    para(doc, "Kính gửi: {{ slip.applicant }}", CENTERED, before=6, after=12)
    para(
        doc,
        "Sở Xây dựng đã tiếp nhận hồ sơ đề nghị giải quyết thủ tục hành chính "
        "“{{ slip.procedure }}” (mã hồ sơ {{ slip.code }}) của {{ slip.applicant }}; thời hạn trả "
        "kết quả ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả là ngày {{ slip.due }}.",
    )
    para(
        doc,
        "{% if slip.returned %}Tuy nhiên, Sở Xây dựng đã trả kết quả giải quyết hồ sơ vào ngày "
        "{{ slip.returned }}, chậm so với thời hạn nêu trên.{% elif slip.late %}Tuy nhiên, đến nay "
        "Sở Xây dựng chưa trả kết quả giải quyết hồ sơ đúng thời hạn nêu trên.{% else %}Tuy nhiên, "
        "Sở Xây dựng không thể trả kết quả giải quyết hồ sơ đúng thời hạn nêu trên.{% endif %} "
        "Lý do: {{ slip.reason }}.",
    )
    para(
        doc,
        "Sự chậm trễ này đã gây phiền hà, tốn kém chi phí đi lại của Ông/Bà/Tổ chức. Sở Xây dựng "
        "xin lỗi Ông/Bà/Tổ chức{% if not slip.returned %} và hẹn lại ngày trả kết quả là ngày "
        "{{ slip.new_due }}{% endif %}.",
    )
    para(
        doc,
        "Sở Xây dựng mong nhận được sự cảm thông của Ông/Bà/Tổ chức. Xin trân trọng cảm ơn./.",
        keep_next=True,
    )
    signature_block(doc, ["Như trên;", "{{ slip.unit }};", "Văn phòng Sở (theo dõi);", "Lưu: VT."])
    return save(
        doc,
        "Phiếu xin lỗi và hẹn lại ngày trả kết quả - hồ sơ {{ slip.code }}",
        subject="{{ slip.procedure }}",
    )


def build_province() -> bytes:
    """The province summary for Sở Nội vụ (``cchc rollup``): every agency's results for a period,
    in the Nghị định 30 layout. Each sentence rests on the province's plan (QĐ 1319/QĐ-UBND)
    and the agencies' plans (periodic reports sent to Sở Nội vụ; the plans' requirements)."""
    doc = new_document()
    header_block(doc)
    para(doc, "BÁO CÁO", CENTERED, bold=True, before=18)
    para(
        doc,
        "Tổng hợp kết quả thông tin, tuyên truyền cải cách hành chính\n"
        "{{ period.label }} của các cơ quan",
        CENTERED,
        bold=True,
    )
    rule(doc, 40, TEXT_WIDTH_MM)
    para(doc, "", CENTERED, after=6)
    para(
        doc,
        "Thực hiện Quyết định số 1319/QĐ-UBND ngày 29/4/2026 của UBND tỉnh về việc Ban hành Kế "
        "hoạch thông tin, tuyên truyền cải cách hành chính tỉnh Đắk Lắk năm 2026, các cơ quan "
        "thực hiện kế hoạch thông tin, tuyên truyền cải cách hành chính năm 2026 của mình và báo "
        "cáo kết quả định kỳ gửi Sở Nội vụ. Sở Nội vụ tổng hợp kết quả "
        "{{ period.label }} như sau:",
    )
    para(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN", H1)
    para(
        doc,
        "Có {{ agencies.reported }}/{{ agencies.total }} cơ quan đã có kết quả {{ period.label }}.",
    )
    para(doc, "{%p if agencies.missing %}")
    para(doc, "Cơ quan chưa có kết quả {{ period.label }} ({{ agencies.missing|length }}):")
    para(doc, "{%p for a in agencies.missing %}")
    para(doc, "- {{ a.name }} ({{ a.code }});")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if agencies.other %}")
    para(doc, "Cơ quan có tệp kết quả chưa tổng hợp được ({{ agencies.other|length }}):")
    para(doc, "{%p for a in agencies.other %}")
    para(doc, "- {{ a.name }} ({{ a.code }}): {{ a.why }};")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if agencies.reported %}")
    para(doc, "II. KẾT QUẢ THỰC HIỆN", H1)
    para(doc, "1. Tin, bài về cải cách hành chính trên trang thông tin điện tử", H2)
    para(
        doc,
        "Yêu cầu: ít nhất {{ '%02d'|format(website.required) }} tin/bài viết về cải cách hành "
        "chính mỗi tháng trên trang thông tin điện tử của cơ quan. Kết quả: {{ website.met }}/"
        "{{ website.applies }} cơ quan đạt{% if website.behind_text %}; chưa đạt: "
        "{{ website.behind_text }}{% endif %}.",
    )
    para(doc, "2. Cụ thể hóa nội dung tuyên truyền", H2)
    para(
        doc,
        "Số đơn vị trực thuộc các cơ quan cụ thể hóa nội dung tuyên truyền: "
        "{{ concretization.on_time }} đúng hạn, {{ concretization.late }} trễ hạn, "
        "{{ concretization.missing }} chưa thực hiện{% if concretization.not_due %}, "
        "{{ concretization.not_due }} chưa đến hạn{% endif %}. {{ concretization.all_done }}/"
        "{{ concretization.applies }} cơ quan có mọi đơn vị cụ thể hóa đúng hạn"
        "{% if concretization.behind_text %}; chưa: {{ concretization.behind_text }}"
        "{% endif %}.",
    )
    para(doc, "3. Xin lỗi bằng văn bản khi hồ sơ trễ hẹn", H2)
    para(
        doc,
        "{% if apologies.dossiers %}Có {{ apologies.dossiers }} hồ sơ trễ hẹn; phiếu xin lỗi "
        "đúng hạn: {{ apologies.on_time }}, trễ: {{ apologies.late }}, chưa có: "
        "{{ apologies.missing }}. {{ apologies.all_done }}/{{ apologies.applies }} cơ quan có "
        "hồ sơ trễ hẹn đã xin lỗi đúng hạn mọi hồ sơ{% if apologies.behind_text %}; chưa: "
        "{{ apologies.behind_text }}{% endif %}.{% else %}Các cơ quan không có hồ sơ trễ hẹn "
        "trong kỳ.{% endif %}",
    )
    para(doc, "4. Báo cáo định kỳ của các phòng, đơn vị", H2)
    para(
        doc,
        "Báo cáo định kỳ của các phòng, đơn vị gửi cơ quan: {{ unit_reports.on_time }} đúng "
        "hạn, {{ unit_reports.late }} trễ hạn, {{ unit_reports.missing }} chưa gửi"
        "{% if unit_reports.not_due %}, {{ unit_reports.not_due }} chưa đến hạn{% endif %}. "
        "{{ unit_reports.all_done }}/{{ unit_reports.applies }} cơ quan nhận đủ, đúng hạn"
        "{% if unit_reports.behind_text %}; chưa: {{ unit_reports.behind_text }}{% endif %}.",
    )
    para(doc, "5. Sản phẩm tuyên truyền", H2)
    para(
        doc,
        "Tổng số {{ products }} tin, bài, sản phẩm tuyên truyền, theo 07 nội dung và các hình "
        "thức tuyên truyền:",
    )
    data_table(
        doc,
        [15, 110, 40],
        ["STT", "Nội dung tuyên truyền", "Số sản phẩm"],
        "r in by_area",
        [C("{{ r.stt }}", align=CENTER), C("{{ r.name }}"), C("{{ r.count }}", align=CENTER)],
        [C(""), C("Cộng"), C("{{ products }}", align=CENTER)],
    )
    para(doc, "", after=6)
    data_table(
        doc,
        [15, 110, 40],
        ["STT", "Hình thức tuyên truyền", "Số sản phẩm"],
        "r in by_channel",
        [C("{{ r.stt }}", align=CENTER), C("{{ r.name }}"), C("{{ r.count }}", align=CENTER)],
        [C(""), C("Cộng"), C("{{ products }}", align=CENTER)],
    )
    para(doc, "III. THỨ TỰ CÁC CƠ QUAN", H1, before=6)
    para(
        doc,
        "Để gắn công tác tuyên truyền với công tác thi đua, khen thưởng, các cơ quan được xếp "
        "theo tỷ lệ thực hiện đúng hạn các yêu cầu nêu tại mục II (bình quân, cùng trọng số, "
        "chỉ tính yêu cầu có phát sinh trong kỳ; bằng điểm thì theo số sản phẩm tuyên truyền):",
    )
    para(doc, "{%p for c in criteria %}")
    para(doc, "- {{ c }};")
    para(doc, "{%p endfor %}")
    data_table(
        doc,
        [20, 95, 25, 25],
        ["Thứ tự", "Cơ quan", "Điểm (%)", "Sản phẩm"],
        "r in ranking",
        [
            C("{{ r.rank }}", align=CENTER),
            C("{{ r.name }} ({{ r.code }})"),
            C("{{ r.score }}", align=CENTER),
            C("{{ r.products }}", align=CENTER),
        ],
    )
    para(doc, "{%p endif %}")
    para(
        doc,
        "Trên đây là báo cáo tổng hợp kết quả thông tin, tuyên truyền cải cách hành chính "
        "{{ period.label }} của các cơ quan./.",
        before=6,
        keep_next=True,
    )
    signature_block(doc)
    return save(
        doc,
        "Tổng hợp kết quả thông tin, tuyên truyền cải cách hành chính {{ period.label }}",
        subject="Tổng hợp toàn tỉnh",
        keywords="CCHC; tổng hợp; Sở Nội vụ",
    )


TEMPLATES = {
    "bao-cao.docx": build_report,
    "long-ghep-cchc.docx": build_section,
    "phieu-xin-loi.docx": build_slip,
    "ma-qr-niem-yet.docx": build_qr_sheet,
    "tong-hop-tinh.docx": build_province,
}


def save(
    doc,
    title: str,
    subject: str = "{{ plan.title }}",
    keywords: str = "CCHC; báo cáo; Sở Xây dựng Đắk Lắk",
    comments: str = "Mẫu báo cáo (docxtpl). Danh sách trường: docs/templates.md",
) -> bytes:
    """The template's bytes: fixed document properties and zip timestamps (deterministic)."""
    for t in doc.element.body.iter(qn("w:t")):  # keep the blank for the number after "Số:"
        if t.text and "  " in t.text:
            t.set(qn("xml:space"), "preserve")

    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.author = props.last_modified_by = "Văn phòng Sở Xây dựng tỉnh Đắk Lắk"
    props.keywords = keywords
    props.comments = comments
    props.created = props.modified = FIXED_TIME
    props.last_printed = FIXED_TIME
    props.revision = 1

    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed member timestamps (python-docx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite an edited template")
    parser.add_argument("--folder", type=Path, default=FOLDER, help="default: %(default)s")
    args = parser.parse_args(argv)
    refused = 0
    for name, build in TEMPLATES.items():
        out, data = args.folder / name, build()
        if out.exists() and out.read_bytes() != data and not args.force:
            print(
                f"{out} differs from what this script builds (edited in Word?). It is the "
                "source of truth: not overwritten. Use --force to replace it anyway.",
                file=sys.stderr,
            )
            refused += 1
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"wrote {out} ({len(data)} bytes)")
    return 1 if refused else 0


if __name__ == "__main__":
    raise SystemExit(main())
