"""The shared sheet's input contract (DESIGN §3): tabs, their headers, which are required.

A new input tab is declared here (in INPUT_TABS), parsed by its parser in tasks.normalize and held
in its own Records field; the readers, the structure check and `init-sheet` follow INPUT_TABS.
"""

from __future__ import annotations

from dataclasses import dataclass

from tasks.text import match_key


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    is_date: bool = False


@dataclass(frozen=True)
class TabSpec:
    key: str  # also the tab's Records field
    title: str
    columns: tuple[Column, ...]
    # False: an absent tab reads as an empty one (no rows); True: its absence stops the run.
    required: bool = True

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


UNITS = TabSpec(
    "units",
    "Đơn vị",
    (
        Column("code", "Mã đơn vị", required=True),
        Column("name", "Tên đơn vị", required=True),
        Column("emails", "Email"),
        Column("contact", "Người đầu mối"),
        Column("quota", "Chỉ tiêu tin bài/tháng"),
        Column("status", "Trạng thái"),
    ),
)
PRODUCTS = TabSpec(
    "products",
    "Tin bài",
    (
        Column("date", "Ngày", required=True, is_date=True),
        Column("unit", "Đơn vị", required=True),
        Column("area", "Nội dung", required=True),
        Column("channel", "Hình thức", required=True),
        Column("kind", "Loại sản phẩm", required=True),
        Column("title", "Tiêu đề", required=True),
        Column("link", "Đường dẫn"),
        Column("author", "Người thực hiện"),
        Column("note", "Ghi chú"),
        # Optional detail by channel (DESIGN §5): meetings, press, leaflets.
        Column("attendees", "Số người tham dự"),
        Column("outlet", "Cơ quan báo chí"),
        Column("copies", "Số lượng"),
    ),
)
CONCRETIZATIONS = TabSpec(
    "concretizations",
    "Cụ thể hóa",
    (
        Column("unit", "Đơn vị", required=True),
        Column("date", "Ngày hoàn thành", required=True, is_date=True),
        Column("doc_number", "Số, ký hiệu văn bản"),
        Column("link", "Đường dẫn"),
        Column("note", "Ghi chú"),
    ),
)
UNIT_REPORTS = TabSpec(
    "unit_reports",
    "Báo cáo đơn vị",
    (
        Column("unit", "Đơn vị", required=True),
        Column("period", "Kỳ báo cáo", required=True),
        Column("sent", "Ngày gửi", required=True, is_date=True),
        Column("doc_number", "Số, ký hiệu văn bản"),
        Column("link", "Đường dẫn"),
        # Optional: what the unit wrote, quoted in the report's sections III.3 and V.
        Column("difficulties", "Khó khăn, vướng mắc"),
        Column("proposals", "Đề xuất, kiến nghị"),
    ),
)
DOSSIERS = TabSpec(
    "dossiers",
    "Hồ sơ trễ hẹn",
    (
        Column("code", "Mã hồ sơ", required=True),
        Column("procedure", "Thủ tục hành chính"),
        Column("unit", "Đơn vị", required=True),
        Column("due", "Ngày hẹn trả", required=True, is_date=True),
        Column("returned", "Ngày trả kết quả", is_date=True),
        Column("apology_date", "Ngày xin lỗi", is_date=True),
        Column("apology_number", "Số phiếu xin lỗi"),
        Column("new_due", "Ngày hẹn lại", is_date=True),  # optional: the one new appointment
        # Optional, for the apology slip (cchc apologies): whom it is addressed to, and why.
        Column("applicant", "Tổ chức, cá nhân"),
        Column("reason", "Lý do"),
    ),
)

# Procedures posted at the one-stop desk (visual promotion, plan section IV.5): the QR-code sheets.
POSTED_PROCEDURES = TabSpec(
    "posted_procedures",
    "Thủ tục niêm yết",
    (
        Column("code", "Mã thủ tục", required=True),
        Column("name", "Tên thủ tục", required=True),
        Column("link", "Đường dẫn"),  # the procedure's page on the public-service portal
        Column("place", "Nơi niêm yết"),
        Column("date", "Ngày niêm yết", is_date=True),
    ),
    required=False,
)

# The plan's tasks under the "06 rõ" principle (plan I.2: rõ người, rõ việc, rõ thời gian, rõ trách
# nhiệm, rõ sản phẩm, rõ thẩm quyền): one row per task. Only Đơn vị is required by the contract;
# a blank "rõ" cell is a problem record of its own but the task is kept (tasks.normalize).
TASKS = TabSpec(
    "tasks",
    "Nhiệm vụ",
    (
        Column("unit", "Đơn vị", required=True),
        Column("task", "Nhiệm vụ"),  # rõ việc
        Column("assignee", "Người thực hiện"),  # rõ người
        Column("due", "Hạn hoàn thành", is_date=True),  # rõ thời gian
        Column("responsible", "Người chịu trách nhiệm"),  # rõ trách nhiệm
        Column("product", "Sản phẩm"),  # rõ sản phẩm
        Column("authority", "Cấp có thẩm quyền"),  # rõ thẩm quyền
        Column("done", "Ngày hoàn thành", is_date=True),
        Column("link", "Đường dẫn sản phẩm"),
    ),
    required=False,
)
# The "06 rõ" of plan I.2 in the plan's order, each with the TASKS column that makes it clear.
TASK_CLEAR: tuple[tuple[str, str], ...] = (
    ("assignee", "rõ người"),
    ("task", "rõ việc"),
    ("due", "rõ thời gian"),
    ("responsible", "rõ trách nhiệm"),
    ("product", "rõ sản phẩm"),
    ("authority", "rõ thẩm quyền"),
)

INPUT_TABS: tuple[TabSpec, ...] = (
    UNITS,
    PRODUCTS,
    CONCRETIZATIONS,
    UNIT_REPORTS,
    DOSSIERS,
    POSTED_PROCEDURES,
    TASKS,
)
SUMMARY_TITLE = "Tổng hợp"  # written by the system, never read as input
# Found in a sheet like an input tab (find_tab) by the write-back and the set-up.
SUMMARY_TAB = TabSpec("summary", SUMMARY_TITLE, ())


def is_input_tab(title: str) -> bool:
    """Whether a tab of the sheet is one of the contract's input tabs (after match_key)."""
    return match_key(title) in {match_key(spec.title) for spec in INPUT_TABS}


def find_tab(titles: list[str], spec: TabSpec) -> str | None:
    """The sheet's own title of the tab matching ``spec`` (after match_key), or None."""
    wanted = match_key(spec.title)
    for title in titles:
        if match_key(title) == wanted:
            return title
    return None


def column_letter(number: int) -> str:
    """The sheet's letters of column ``number`` (1 -> A, 27 -> AA), as openpyxl's
    get_column_letter gives them, without importing openpyxl (~0.5 s) on a Google read."""
    if number < 1:
        raise ValueError(f"no column {number}")
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
