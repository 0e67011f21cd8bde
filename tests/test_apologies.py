"""Apology slips (phiếu xin lỗi và hẹn lại ngày trả kết quả): which dossiers get one, the slip as
the applicant reads it, one e-mail per unit, and never a second slip for a dossier."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import docx
import pandas as pd
import pytest

from flows.apologies import apologies
from tasks.apology_slips import slips_due
from tasks.collect import read_workbook
from tasks.normalize import normalize
from tasks.settings import SAMPLE_WORKBOOK
from tasks.verify import known_on
from tests.builders import book
from tests.smtp_server import SmtpTestServer, use_smtp_server

AS_OF = date(2026, 5, 29)


def dossier(code, due, returned="", apology="", new_due="", applicant="", reason="") -> list:
    return [code, "Cấp giấy phép xây dựng", "VP", due, returned, apology, "", new_due, applicant,
            reason]  # fmt: skip


def test_which_dossiers_need_a_slip(plan):
    raw = book(
        dossiers=[
            dossier("LATE", "20/05/2026", applicant="Công ty TNHH Xây dựng Ea Kao"),
            dossier("SOON", "30/05/2026"),  # due tomorrow: within the 1-day lead, not returned
            dossier("LATER", "10/06/2026"),
            dossier("RETURNED LATE", "19/05/2026", returned="25/05/2026"),  # apology, no new date
            dossier("ON TIME", "20/05/2026", returned="19/05/2026"),
            dossier("APOLOGISED", "20/05/2026", apology="18/05/2026"),
        ]
    )
    records, problems = normalize(raw, plan, AS_OF)
    assert problems == []
    slips = slips_due(records, plan, AS_OF)
    assert [(s.code, s.late, s.returned) for s in slips] == [
        ("RETURNED LATE", True, date(2026, 5, 25)),
        ("LATE", True, None),
        ("SOON", False, None),
    ]
    assert slips[1].applicant == "Công ty TNHH Xây dựng Ea Kao"
    assert [s.code for s in slips_due(records, plan, AS_OF, dossier="SOON")] == ["SOON"]


def _expected_on_the_sample(plan) -> set[str]:
    """No apology by 29/05, and either returned late by then or not returned and due by 30/05
    (the 1-day lead)."""
    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), plan)
    d = records.dossiers
    unapologised = d["apology_date"].isna() | (d["apology_date"] > AS_OF)
    open_ = d["returned"].isna() | (d["returned"] > AS_OF)
    returned_late = ~open_ & (d["returned"] > d["due"])
    soon_or_late = open_ & (d["due"] <= date(2026, 5, 30))
    return set(d[unapologised & (returned_late | soon_or_late)]["code"])


@pytest.mark.usefixtures("prefect_harness")
def test_slips_on_the_sample_once_each_with_an_e_mail_per_unit(out, plan):
    state = apologies(as_of="2026-05-29", return_state=True)
    assert state.is_completed(), state.message
    made = state.result()["slips"]
    expected = _expected_on_the_sample(plan)
    assert expected and {s["dossier"] for s in made} == expected

    records, _ = normalize(read_workbook(SAMPLE_WORKBOOK), plan)
    dossiers = known_on(records, AS_OF).dossiers.set_index("code")
    for slip in made:
        text = "\n".join(p.text for p in docx.Document(slip["file"]).paragraphs)
        row = dossiers.loc[slip["dossier"]]
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
        assert f"(mã hồ sơ {slip['dossier']})" in text and row["procedure"] in text
        assert f"là ngày {row['due']:%d/%m/%Y}." in text
        if row["returned"] is not None and not pd.isna(row["returned"]):  # no new appointment
            assert f"đã trả kết quả giải quyết hồ sơ vào ngày {row['returned']:%d/%m/%Y}" in text
            assert "hẹn lại ngày trả kết quả là ngày" not in text
        assert "{{" not in text and "None" not in text

    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted((out / "outbox").glob("apology-*.eml"))
    ]
    assert len(mails) == len({s["unit"] for s in made})  # one per unit
    attached = sorted(a.get_filename() for m in mails for a in m.iter_attachments())
    assert attached == sorted(Path(s["file"]).name for s in made)
    body = mails[0].get_body(("plain",)).get_content()
    assert "đã trễ hẹn hoặc sắp đến hạn trả mà chưa có phiếu xin lỗi" in body
    assert "Ngày hẹn lại chỉ được hẹn một lần." in body

    again = apologies(as_of="2026-05-29", return_state=True).result()
    assert again["slips"] == [] and set(again["skipped"]) == expected  # never a second slip
    forced = apologies(as_of="2026-05-29", dossier=sorted(expected)[0], force=True)
    assert [s["dossier"] for s in forced["slips"]] == [sorted(expected)[0]]


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_address_does_not_stop_the_other_units(out, monkeypatch):
    # Say the mail server refuses (550) QLXD's address and the Office's, which every slip e-mail
    # has in copy: QLXD's e-mail has no recipient left, TTGĐ's still reaches the unit.
    refused = ("qlxd.sxd@daklak.gov.vn", "vanphong@sxd.daklak.gov.vn")
    with SmtpTestServer("auth", refuse=refused) as server:
        use_smtp_server(monkeypatch, server.port)
        first = apologies(as_of="2026-07-02", send=True, return_state=True)
        subjects = [m.message["Subject"] for m in server.messages]
    assert first.is_failed() and "Chưa gửi được phiếu xin lỗi cho QLXD" in first.message
    assert [s.split(" - ")[1] for s in subjects] == ["Trung tâm Giám định chất lượng xây dựng"]
    with SmtpTestServer("auth") as server:  # the address fixed: QLXD's slip goes out, only it
        use_smtp_server(monkeypatch, server.port)
        again = apologies(as_of="2026-07-02", send=True, return_state=True)
        assert again.is_completed(), again.message
        assert [s["unit"] for s in again.result()["slips"]] == ["QLXD"]
        assert len(server.messages) == 1
