import unicodedata

from tasks.text import clean_text, looks_legacy_encoded, match_key


def test_tone_mark_placements_match():
    assert match_key("Cụ thể hoá") == match_key("Cụ thể hóa")
    assert match_key("thuỷ") == match_key("thủy")
    assert match_key("Hoà") == match_key("hòa")


def test_nfd_case_and_spaces_match():
    nfd = unicodedata.normalize("NFD", "Tin  BÀI")
    assert match_key(nfd) == match_key("tin bài")
    assert match_key("Đơn\u00a0vị ") == match_key("đơn vị")


def test_different_words_stay_different():
    assert match_key("Ngày gửi") != match_key("Ngày gỡi")
    assert match_key("Báo cáo") != match_key("Bao cao")


def test_clean_text_removes_invisible_and_keeps_codes():
    assert clean_text("\u200bVP\ufeff") == "VP"
    assert clean_text("001") == "001"
    assert clean_text(3.0) == "3"
    assert clean_text(None) == ""
    assert unicodedata.is_normalized("NFC", clean_text(unicodedata.normalize("NFD", "Sở")))


def test_legacy_encoding_hint():
    assert looks_legacy_encoded("Së X©y dùng")  # TCVN3
    assert looks_legacy_encoded("Sôû Xaây döïng")  # VNI
    assert not looks_legacy_encoded("Sở Xây dựng tỉnh Đắk Lắk")
