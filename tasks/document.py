"""The report .docx: a Word template (docxtpl, Jinja inside Word) rendered with the report context.

The only module that knows docxtpl, python-docx and matplotlib. ``render_report`` takes the
context of ``tasks.compile.report_context``, adds what only a document needs (charts, name lists,
table totals, the next period; see ``document_fields``) and renders the template with a strict,
autoescaping Jinja environment:

- ``autoescape=True``: without it a ``&`` or ``<`` in a title makes invalid XML that docxtpl's
  recovering parser silently cuts off, truncating the document (docxtpl 0.20.2).
- ``StrictUndefined``: a template field that does not exist fails with a ``TemplateError`` naming
  it, instead of rendering as an empty string.

Big tables (the annex: thousands of products) do not use a per-row ``{%tr for %}`` loop, which
docxtpl renders through Jinja and then re-parses (5 000 rows: about 2.2 s against 1.2 s on a 2-core
machine). A table row holding ``[[list.field]]`` markers is taken out before the Jinja
render and, afterwards, repeated once per item of ``list`` by building the row XML as text,
written straight into the saved file (see docs/templates.md).
"""

from __future__ import annotations

import io
import logging
import re
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

import jinja2
import roman

from tasks.calendar import Period, parse_period
from tasks.errors import CchcError, OutputError
from tasks.files import write_atomically

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_TEMPLATE = TEMPLATES / "bao-cao.docx"
SECTION_TEMPLATE = TEMPLATES / "long-ghep-cchc.docx"  # the part for the CCHC report
SLIP_TEMPLATE = TEMPLATES / "phieu-xin-loi.docx"  # phiếu xin lỗi và hẹn lại ngày trả kết quả

CHART_DPI = 200
CHART_WIDTH_MM = 160
CHART_FONT = "DejaVu Sans"  # ships with matplotlib and covers Vietnamese (checked in the tests)
# Bars the units chart draws at most: 4 mm a bar across 160 mm, its code and value still legible.
# A province-size roster (hundreds of units) gets the units furthest behind (units_in_chart).
CHART_MAX_UNITS = 40
_MET, _BELOW, _QUOTA, _NO_QUOTA = "#2e6da4", "#e08a2c", "#c0392b", "#9aa5b1"

_MARKER = re.compile(r"\[\[\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\]\]")
# Characters XML 1.0 forbids (control characters pasted from other programs); Word refuses them.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# An empty cell leaves ``<w:t ...></w:t>``; written as lxml writes an empty element.
_EMPTY_TEXT = re.compile(r"<(w:t\b[^>]*)></w:t>")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_XML_NS = "http://www.w3.org/XML/1998/namespace"


class TemplateError(CchcError):
    """The report template cannot be used (missing, not a .docx, unknown field, bad Jinja tag)."""


# ------------------------------------------------------------------------------------- names


def report_file_name(period_key: str) -> str:
    """``2026-05`` -> ``Bao-cao-CCHC-thang-05-2026.docx``; ``2026-Q2`` -> ``…-quy-2-2026``;
    ``2026-H1`` -> ``…-6-thang-2026``; ``2026-9M`` -> ``…-9-thang-2026``; ``2026`` ->
    ``…-nam-2026``; ad hoc -> ``…-dot-xuat-20260301-20260415``.

    ASCII only (e-mail clients mangle non-ASCII attachment names), no path separators.
    A malformed key raises ValueError (Vietnamese message, from ``parse_period``)."""
    period = parse_period(period_key)
    name = {
        "month": f"thang-{period.month:02d}-{period.year}",
        "quarter": f"quy-{period.quarter}-{period.year}",
        "half": f"6-thang-{period.year}",
        "nine": f"9-thang-{period.year}",
        "adhoc": period.key,
    }.get(period.kind, f"nam-{period.year}")
    return f"Bao-cao-CCHC-{name}.docx"


def section_file_name(period_key: str) -> str:
    """``2026-05`` -> ``Long-ghep-bao-cao-CCHC-thang-05-2026.docx``: the section to paste into
    the Department's CCHC report."""
    return "Long-ghep-" + report_file_name(period_key).replace("Bao-cao-", "bao-cao-", 1)


def next_period_label(period: Period) -> str:
    """What the "tasks for next period" section is about: ``tháng 6/2026``, ``quý III năm
    2026``, ``6 tháng cuối năm 2026``, ``quý IV năm 2026`` (after 9 months), ``năm 2027``;
    after an ad hoc report, the rest of its year."""
    if period.kind == "month":
        year, month = (
            (period.year + 1, 1) if period.month == 12 else (period.year, period.month + 1)
        )
        return f"tháng {month}/{year}"
    if period.kind == "quarter":
        nxt = Period(period.year + period.quarter // 4, "quarter", quarter=period.quarter % 4 + 1)
        return nxt.label
    if period.kind == "half":
        return f"6 tháng cuối năm {period.year}"
    if period.kind == "nine":
        return f"quý IV năm {period.year}"
    if period.kind == "adhoc":
        return f"thời gian còn lại của năm {period.year}"
    return f"năm {period.year + 1}"


# ----------------------------------------------------------------------------------- context


def document_fields(context: dict[str, Any]) -> dict[str, Any]:
    """The fields a template may use beyond ``report_context`` (charts excepted): table totals
    and the next period. Pure; documented in docs/templates.md."""
    period = parse_period(context["period"]["key"])
    return {
        "totals": {
            "by_area": sum(r["count"] for r in context["by_area"]),
            "by_channel": sum(r["count"] for r in context["by_channel"]),
            "by_kind": sum(r["count"] for r in context["by_kind"]),
            "unit_products": sum(u["products"] for u in context["units"]),
        },
        "next_period": {"label": next_period_label(period)},
    }


def _clean(value: Any) -> Any:
    """A copy of ``value`` with XML-illegal control characters removed from every string, and
    docxtpl's post-render escapes defused."""
    if isinstance(value, str):
        if _ILLEGAL_XML.search(value):
            value = _ILLEGAL_XML.sub("", value)
        if "{_" in value or "_}" in value:
            # docxtpl 0.20 turns "{_{", "}_}", "{_%", "%_}" into "{{" … after rendering (its
            # escape for template authors): a word joiner keeps a cell's text as typed.
            value = value.replace("{_", "{\u2060_").replace("_}", "_\u2060}")
        return value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


# ------------------------------------------------------------------------------------ charts


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return buffer.getvalue()


@contextmanager
def _chart_context() -> Iterator[None]:
    """Chart style, and a watch on matplotlib's "Glyph ... missing from font" warnings: a letter
    the font lacks is drawn as a box, so it is logged (as an error would stop the report)."""
    import matplotlib

    with (
        matplotlib.rc_context(
            {
                "font.family": CHART_FONT,
                "font.size": 8,
                "axes.spines.top": False,
                "axes.spines.right": False,
                # Unit codes and names are data: "$\\foo$" must print as typed, not as mathtext
                # (matplotlib 3.9 raises ValueError on a bad formula and stops the report).
                "text.parse_math": False,
            }
        ),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if "missing from font" in str(warning.message):
            logger.warning("Biểu đồ thiếu ký tự trong phông %s: %s", CHART_FONT, warning.message)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def _figure(height_mm: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The object API with an explicit Agg canvas: no pyplot global state, no GUI backend.
    fig = Figure(figsize=(CHART_WIDTH_MM / 25.4, height_mm / 25.4), dpi=CHART_DPI)
    FigureCanvasAgg(fig)
    return fig


def chart_units(units: list[dict[str, Any]], quotas: dict[str, dict[str, Any]]) -> bytes:
    """Bars: each unit's products; a red tick: its quota where the Office set one (``quotas``:
    unit code -> ``{"quota", "met"}``, from the unit-quota rule). PNG bytes."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    with _chart_context():
        fig = _figure(80)
        ax = fig.add_subplot()
        xs = list(range(len(units)))
        counts = [u["products"] for u in units]
        quota_of = [quotas.get(u["code"], {}).get("quota") for u in units]  # None: no quota
        met_of = [quotas.get(u["code"], {}).get("met") for u in units]
        colors = [_NO_QUOTA if met is None else _MET if met else _BELOW for met in met_of]
        ax.bar(xs, counts, width=0.6, color=colors, zorder=2)
        top = max([*counts, *(q or 0 for q in quota_of), 1])
        for x, count, quota in zip(xs, counts, quota_of, strict=True):
            # the value goes above the bar or the quota tick, whichever is higher
            ax.text(x, max(count, quota or 0) + top * 0.02, str(count), ha="center", va="bottom",
                    fontsize=7)  # fmt: skip
        ticks = [(x, q) for x, q in zip(xs, quota_of, strict=True) if q is not None]
        ax.hlines(
            [q for _, q in ticks], [x - 0.4 for x, _ in ticks], [x + 0.4 for x, _ in ticks],
            colors=_QUOTA, linewidth=2, zorder=3,
        )  # fmt: skip
        rotate = len(units) > 12
        ax.set_xticks(xs, [u["code"] for u in units], rotation=45 if rotate else 0,
                      ha="right" if rotate else "center")  # fmt: skip
        ax.set_xlim(-0.6, max(len(units), 1) - 0.4)
        ax.set_ylim(0, top * 1.22)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        ax.set_ylabel("Số sản phẩm")
        ax.set_xlabel("Phòng, đơn vị (mã)")
        ax.legend(
            handles=[
                Patch(color=_MET, label="Đạt chỉ tiêu"),
                Patch(color=_BELOW, label="Chưa đạt chỉ tiêu"),
                Patch(color=_NO_QUOTA, label="Không giao chỉ tiêu"),
                Line2D([], [], color=_QUOTA, linewidth=2, label="Chỉ tiêu"),
            ],
            loc="upper right",
            ncols=4,
            frameon=False,
            fontsize=7,
        )
        fig.tight_layout()
        return _png(fig)


def chart_months(by_month: list[dict[str, Any]]) -> bytes:
    """Bars: products per month of a 6-month or annual period. PNG bytes."""
    from matplotlib.ticker import MaxNLocator

    with _chart_context():
        fig = _figure(65)
        ax = fig.add_subplot()
        xs = list(range(len(by_month)))
        counts = [m["count"] for m in by_month]
        bars = ax.bar(xs, counts, width=0.6, color=_MET, zorder=2)
        ax.bar_label(bars, padding=2, fontsize=7)
        ax.set_xticks(xs, [str(int(m["period"].split("-")[1])) for m in by_month])
        ax.set_ylim(0, max([*counts, 1]) * 1.2)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0)
        ax.set_ylabel("Số sản phẩm")
        year = by_month[0]["period"].split("-")[0] if by_month else ""
        ax.set_xlabel(f"Tháng (năm {year}, theo kỳ báo cáo)")
        fig.tight_layout()
        return _png(fig)


# -------------------------------------------------------------------------------- fast rows


@dataclass
class _FastRows:
    """A ``[[list.field]]`` marker row taken out of the template before the Jinja render."""

    token: str  # unique text left in its place; found again after the render
    list_name: str
    parts: list[str]  # row XML split by _MARKER: literal, list, field, literal, ...


def _qn(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _merge_marker_runs(tr: Any) -> None:
    """Word splits typed text into several runs (spell-check, edits); put each paragraph holding a
    marker into its first text element so that the markers are whole again."""
    for p in tr.iter(_qn("p")):
        texts = list(p.iter(_qn("t")))
        full = "".join(t.text or "" for t in texts)
        if "[[" not in full or len(texts) == 0:
            continue
        texts[0].text = full
        texts[0].set(f"{{{_XML_NS}}}space", "preserve")
        for t in texts[1:]:
            t.getparent().remove(t)


def _take_fast_rows(document: Any, context: dict[str, Any], name: str) -> list[_FastRows]:
    from lxml import etree

    found = []
    for tr in list(document.element.body.iter(_qn("tr"))):
        if "[[" not in "".join(t.text or "" for t in tr.iter(_qn("t"))):
            continue
        _merge_marker_runs(tr)
        xml = etree.tostring(tr, encoding="unicode")
        start = re.match(r"<w:tr\b[^>]*>", xml)
        if start is None:  # pragma: no cover - lxml always writes the w: prefix of the body
            raise TemplateError(f"Mẫu báo cáo '{name}': không đọc được bảng có thẻ [[...]].")
        head = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", start.group(0))
        xml = head + xml[start.end() :]
        text = "".join(t.text or "" for t in tr.iter(_qn("t")))
        leftover = _MARKER.sub("", text)
        if "[[" in leftover or "]]" in leftover:
            bad = leftover[leftover.find("[[") :][:40] if "[[" in leftover else leftover
            raise TemplateError(
                f"Mẫu báo cáo '{name}': thẻ '{bad.strip()}' sai cú pháp; viết dạng "
                "[[danh_sach.truong]], ví dụ [[products.title]]."
            )
        markers = _MARKER.findall(text)
        lists = sorted({m[0] for m in markers})
        if len(lists) != 1:
            raise TemplateError(
                f"Mẫu báo cáo '{name}': một dòng bảng chỉ được lặp theo một danh sách, "
                f"dòng này dùng {', '.join(lists)}."
            )
        items = context.get(lists[0])
        if not isinstance(items, list):
            raise TemplateError(
                f"Mẫu báo cáo '{name}' dùng trường '[[{lists[0]}...]]': không có danh sách "
                f"'{lists[0]}' trong dữ liệu báo cáo (xem docs/templates.md)."
            )
        if items:
            for list_name, field in markers:
                if field not in items[0]:
                    raise TemplateError(
                        f"Mẫu báo cáo '{name}' dùng trường '[[{list_name}.{field}]]' không có "
                        f"trong dữ liệu báo cáo (xem docs/templates.md)."
                    )
        token = f"CCHC-ROWS-{uuid.uuid4().hex}"
        texts = list(tr.iter(_qn("t")))
        for t in texts:
            t.text = ""
        texts[0].text = token
        found.append(_FastRows(token, lists[0], _MARKER.split(xml)))
    return found


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return escape(_ILLEGAL_XML.sub("", text))


def _mark_fast_rows(document: Any, fast: list[_FastRows]) -> None:
    """Put a comment holding its token in place of each token row; ``_write_docx`` writes the
    rows there."""
    from lxml import etree

    wanted = {f.token for f in fast}
    hits = [t for t in document.element.body.iter(_qn("t")) if t.text in wanted]
    for t in hits:
        tr = next(a for a in t.iterancestors(_qn("tr")))
        tr.getparent().replace(tr, etree.Comment(t.text))


def _write_docx(docx: bytes, out: BinaryIO, fast: list[_FastRows], context: dict[str, Any]) -> None:
    """Copy the saved ``docx`` to ``out``, writing one row per item of each fast-rows list where
    its comment is in word/document.xml.

    The rows are written into the zip one by one, never parsed: as an lxml tree an annex row
    takes ~20 kB, so 8 500 products added ~190 MB to the peak memory of a report run."""
    by_token = {f"<!--{f.token}-->": f for f in fast}
    split = re.compile("(" + "|".join(map(re.escape, by_token)) + ")")
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename != "word/document.xml":
                target.writestr(item, data)
                continue
            with target.open(item, "w") as part:
                for piece in split.split(data.decode("utf-8")):
                    rows = by_token.get(piece)
                    if rows is None:
                        part.write(piece.encode("utf-8"))
                        continue
                    literals, fields = rows.parts[0::3], rows.parts[2::3]
                    for row in context[rows.list_name]:
                        chunks = [literals[0]]
                        for field, literal in zip(fields, literals[1:], strict=True):
                            chunks.append(_cell_text(row.get(field)))
                            chunks.append(literal)
                        row_xml = _EMPTY_TEXT.sub(r"<\1/>", "".join(chunks))
                        part.write(row_xml.encode("utf-8"))


# ----------------------------------------------------------------------------- loop columns


def _fit_loop_columns(document: Any, context: dict[str, Any]) -> None:
    """Widths for tables whose last columns come from a ``{%tc for %}`` loop.

    Such a table names its list in its alternative-text title (``tblCaption``, e.g.
    ``unit_columns``). docxtpl gives each repeated cell the template cell's width and stretches
    the grid evenly, which LibreOffice draws as columns 1 mm wide. Here the cells before the loop
    keep their width and the repeated ones share the rest of the table's width."""
    for table in document.element.body.iter(_qn("tbl")):
        caption = table.find(f"{_qn('tblPr')}/{_qn('tblCaption')}")
        looped = context.get(caption.get(_qn("val"), "")) if caption is not None else None
        if not isinstance(looped, list):
            continue
        rows = table.findall(_qn("tr"))
        total = int(table.find(f"{_qn('tblPr')}/{_qn('tblW')}").get(_qn("w")))
        header = [_cell_width(tc) for tc in rows[0].findall(_qn("tc"))]
        fixed = header[: len(header) - len(looped)]
        if looped:
            share = (total - sum(fixed)) // len(looped)
            widths = fixed + [share] * len(looped)
        else:
            widths = [w * total // sum(fixed) for w in fixed]
        grid = table.find(_qn("tblGrid"))
        for col in list(grid):
            grid.remove(col)
        for width in widths:
            grid.append(_element("gridCol", w=str(width)))
        for row in rows:
            position = 0
            for tc in row.findall(_qn("tc")):
                span_el = tc.find(f"{_qn('tcPr')}/{_qn('gridSpan')}")
                span = int(span_el.get(_qn("val"))) if span_el is not None else 1
                width = tc.find(f"{_qn('tcPr')}/{_qn('tcW')}")
                if width is not None:
                    width.set(_qn("w"), str(sum(widths[position : position + span])))
                    width.set(_qn("type"), "dxa")
                position += span


def _keep_last_rows_together(document: Any) -> None:
    """Keep each table's last row (its totals) on the page of the row before it: Word and
    LibreOffice would otherwise move a totals row alone to the next page."""
    for table in document.element.body.iter(_qn("tbl")):
        rows = table.findall(_qn("tr"))
        if len(rows) < 3:
            continue
        for p in rows[-2].iter(_qn("p")):
            p_pr = p.find(_qn("pPr"))
            if p_pr is None:
                p_pr = _element("pPr")
                p.insert(0, p_pr)
            if p_pr.find(_qn("keepNext")) is None:
                # after pStyle, the only child that precedes keepNext in the schema
                style = p_pr.find(_qn("pStyle"))
                p_pr.insert(0 if style is None else 1, _element("keepNext"))


def _cell_width(tc: Any) -> int:
    width = tc.find(f"{_qn('tcPr')}/{_qn('tcW')}")
    return int(width.get(_qn("w"))) if width is not None else 0


def _element(tag: str, **attributes: str) -> Any:
    from lxml import etree

    return etree.Element(_qn(tag), {_qn(k): v for k, v in attributes.items()})


# ------------------------------------------------------------------------------------ render


def _open_template(template: Path) -> Any:
    from docxtpl import DocxTemplate

    if not template.is_file():
        raise TemplateError(f"Không tìm thấy mẫu báo cáo '{template}'.")
    tpl = DocxTemplate(template)
    try:
        tpl.init_docx()
    except Exception as err:  # python-docx raises several types for a damaged or non-.docx file
        raise TemplateError(
            f"Mẫu báo cáo '{template.name}' không phải tệp Word .docx hợp lệ: {err}"
        ) from err
    return tpl


def _undefined_field(err: jinja2.UndefinedError, tpl: Any) -> str:
    """The field an UndefinedError is about: ``no_such_field`` or, for a missing attribute,
    its dotted path as written in the template (``summary.no_such``) when it can be found."""
    message = str(err.message or err)
    match = re.search(r"'([^']+)' is undefined", message)
    if match:
        return match.group(1)
    match = re.search(r"has no attribute '([^']+)'", message)
    if not match:
        return message
    attribute = match.group(1)
    try:
        text = tpl.get_xml()
    except Exception:  # pragma: no cover - only used to improve the message
        return attribute
    dotted = re.search(
        rf"([A-Za-z_][\w.]*\.{re.escape(attribute)})\b", re.sub(r"<[^>]+>", "", text)
    )
    return dotted.group(1) if dotted else attribute


def units_in_chart(
    units: list[dict[str, Any]], quotas: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The units the chart draws: all of them, in the report's order, up to CHART_MAX_UNITS;
    beyond that, the CHART_MAX_UNITS furthest behind, in that order: below their quota by the
    most products first, then the fewest products (the table above the chart lists them all)."""
    if len(units) <= CHART_MAX_UNITS:
        return units

    def behind(unit: dict[str, Any]) -> tuple[int, int]:
        quota = quotas.get(unit["code"], {}).get("quota")
        shortfall = quota - unit["products"] if quota is not None else 0
        return -max(shortfall, 0), unit["products"]

    return sorted(units, key=behind)[:CHART_MAX_UNITS]  # stable: ties keep the report's order


def _charts(tpl: Any, full: dict[str, Any]) -> dict[str, Any]:
    from docx.shared import Mm
    from docxtpl import InlineImage

    quotas = (full.get("unit_quota") or {}).get("by_unit", {})
    shown = units_in_chart(full["units"], quotas)
    units = InlineImage(tpl, io.BytesIO(chart_units(shown, quotas)), width=Mm(CHART_WIDTH_MM))
    months = (
        InlineImage(tpl, io.BytesIO(chart_months(full["by_month"])), width=Mm(CHART_WIDTH_MM))
        if full["by_month"]
        else ""
    )
    note = (
        f" ({len(shown)}/{len(full['units'])} đơn vị còn thiếu nhiều sản phẩm nhất so với chỉ "
        "tiêu, tiếp đến các đơn vị có ít sản phẩm nhất)"
        if len(shown) < len(full["units"])
        else ""
    )
    return {"units": units, "months": months, "units_note": note}


def render_report(context: dict[str, Any], template: Path, out: Path) -> Path:
    """Render a report ``template`` (a docxtpl .docx) with ``context``
    (``tasks.compile.report_context``), its totals, next period and charts, into ``out``.
    Raises as ``render_document``."""
    template = Path(template)
    tpl = _open_template(template)
    extra = document_fields(context)
    clash = sorted((set(extra) | {"charts"}) & set(context))
    if clash:  # a programming error: report_context grew a field with one of our names
        raise RuntimeError(f"report_context already has {clash}; rename in tasks.document")
    full = _clean({**context, **extra})
    # Charts only for a template that shows them (the CCHC-report section has none); its text
    # without tags, as Word may split a field over several runs.
    shows_charts = "charts." in re.sub(r"<[^>]+>", "", tpl.get_xml())
    full["charts"] = _charts(tpl, full) if shows_charts else {}
    return _render(tpl, template, full, Path(out))


def render_document(context: dict[str, Any], template: Path, out: Path) -> Path:
    """Render any document ``template`` (a docxtpl .docx, e.g. the apology slip) with
    ``context`` into ``out``; parent folders are created and the file is replaced atomically.
    Returns ``out``.

    Raises TemplateError (a CchcError) when the template is missing, not a .docx, uses a field
    the context lacks (the message names it) or has a malformed tag; OutputError when ``out``
    cannot be written."""
    template = Path(template)
    return _render(_open_template(template), template, _clean(context), Path(out))


def _render(tpl: Any, template: Path, full: dict[str, Any], out: Path) -> Path:
    fast = _take_fast_rows(tpl.docx, full, template.name)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["roman"] = roman.toRoman  # annex numbers: PHỤ LỤC {{ annex.n|roman }}
    try:
        tpl.render(full, env, autoescape=True)
    except jinja2.UndefinedError as err:
        field = _undefined_field(err, tpl)
        raise TemplateError(
            f"Mẫu báo cáo '{template.name}' dùng trường '{field}' không có trong dữ liệu báo cáo. "
            "Sửa mẫu trong Word (danh sách trường: docs/templates.md)."
        ) from err
    except jinja2.TemplateSyntaxError as err:
        near = " ".join(s.strip() for s in getattr(err, "docx_context", []) if s.strip())
        raise TemplateError(
            f"Mẫu báo cáo '{template.name}' có thẻ Jinja sai cú pháp: {err.message}"
            + (f" (gần đoạn: '{near[:200]}')" if near else "")
        ) from err
    except jinja2.TemplateError as err:
        raise TemplateError(f"Mẫu báo cáo '{template.name}' không dùng được: {err}") from err
    _mark_fast_rows(tpl.docx, fast)
    _fit_loop_columns(tpl.docx, full)
    _keep_last_rows_together(tpl.docx)
    _save(tpl, out, fast, full)
    return out


def _save(tpl: Any, out: Path, fast: list[_FastRows], context: dict[str, Any]) -> None:
    document = io.BytesIO()
    if fast:
        saved = io.BytesIO()
        tpl.save(saved)
        _write_docx(saved.getvalue(), document, fast, context)
    else:
        tpl.save(document)
    try:
        write_atomically(out, document.getvalue())
    except OSError as err:
        raise OutputError(f"Không ghi được '{out}': {err.strerror}.") from err


# ---------------------------------------------------------------------------- QR-code sheet

QR_TEMPLATE = TEMPLATES / "ma-qr-niem-yet.docx"
QR_WIDTH_MM = 50  # a phone reads it from about half a metre; the card is 95 mm wide


def render_qr_sheet(context: dict[str, Any], template: Path, out: Path) -> Path:
    """Render the QR-code sheet ``template`` with ``context`` (``tasks.posted.qr_sheet_context``:
    each card's ``qr_png`` becomes the image field ``qr``) into ``out``, replaced atomically.
    Returns ``out``. Raises TemplateError (template missing or not a .docx, a field the context
    lacks, a malformed tag) and OutputError as ``render_report`` does."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    template, out = Path(template), Path(out)
    tpl = _open_template(template)
    full = _clean(context)
    for pair in full["pairs"]:
        for card in (pair["left"], pair["right"]):
            if card is not None:
                image = io.BytesIO(card.pop("qr_png"))
                card["qr"] = InlineImage(tpl, image, width=Mm(QR_WIDTH_MM))
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    try:
        tpl.render(full, env, autoescape=True)
    except jinja2.UndefinedError as err:
        raise TemplateError(
            f"Mẫu '{template.name}' dùng trường '{_undefined_field(err, tpl)}' không có trong dữ "
            "liệu. Sửa mẫu trong Word (danh sách trường: docs/templates.md)."
        ) from err
    except jinja2.TemplateError as err:
        raise TemplateError(f"Mẫu '{template.name}' có thẻ Jinja sai: {err}") from err
    _save(tpl, out, [], full)
    return out
