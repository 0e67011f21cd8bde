"""The section for the Department's CCHC report. Plan mục VI.1: the Office reports "định kỳ (hàng
tháng, 6 tháng, năm) lồng ghép trong báo cáo CCHC gửi Sở Nội vụ và UBND tỉnh": these paragraphs
are that part, ready to paste (a .docx fragment beside the report, and ket-qua.json). Pure."""

from __future__ import annotations

from typing import Any

from tasks.plan import Plan
from tasks.verify import Findings

TITLE = "Công tác thông tin, tuyên truyền cải cách hành chính"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def cchc_section(findings: Findings, plan: Plan) -> dict[str, Any]:
    """``{title, paragraphs}``: what was done, by channel, against each requirement, and what
    falls short, in sentences the Department's CCHC report can take as they are."""
    period, window = findings.period, findings.window
    first = (
        f"Thực hiện {plan.plan.reference}, Sở Xây dựng đã triển khai công tác {plan.plan.theme} "
        "đến các phòng, đơn vị trực thuộc; Văn phòng Sở theo dõi, đôn đốc và tổng hợp kết quả."
    )
    done = (
        f"Trong {period.label} (từ ngày {window.start:%d/%m/%Y} đến ngày {window.end:%d/%m/%Y}), "
        f"các phòng, đơn vị đã thực hiện {len(findings.products)} sản phẩm tuyên truyền về cải "
        "cách hành chính"
    )
    if findings.channels:
        done += ", cụ thể: " + "; ".join(c["text"].rstrip(".") for c in findings.channels)
    paragraphs = [first, _sentence(done)]
    paragraphs += [_sentence(f"{o.title}: {o.verdict}") for o in findings.outcomes]
    shortcomings = findings.shortcomings()
    if shortcomings:
        paragraphs.append("Tồn tại, hạn chế: " + " ".join(_sentence(s) for s in shortcomings))
    return {"title": TITLE, "paragraphs": paragraphs}
