"""Text clean-up, and the matching key for tab titles, headers, units, areas, channels, kinds."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Invisible characters that arrive from copy-paste (web pages, Word) and break matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_INVISIBLE_CHARS = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
_SPACES = re.compile(r"\s+")
# The five Vietnamese tone marks as combining characters (after NFD).
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def clean_text(value: object) -> str:
    """NFC text, invisible characters removed, runs of spaces (incl. NBSP) collapsed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, int):  # also bool
        if value.bit_length() > 160:
            # Python refuses to print an int of over 4300 digits, and no cell of ours needs 48.
            return f"(số có khoảng {int(value.bit_length() * 0.30103) + 1} chữ số)"
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number cell holding a code: 1.0 -> "1"
    if (
        isinstance(value, str)
        and " ".join(value.split()) == value
        and unicodedata.is_normalized("NFC", value)
        and not _INVISIBLE_CHARS.search(value)
    ):
        # Most cells are clean already: checking costs ~1 µs, cleaning ~15 µs on a Vietnamese
        # title, and a province-size sheet has 100 000 rows of them.
        return value
    text = unicodedata.normalize("NFC", str(value)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def match_key(value: str) -> str:
    """Key for comparing names typed by people.

    NFC + case-fold + collapsed spaces, and the tone mark moved to the end of each word so that
    the old and new placements (``hoá``/``hóa``, ``thuỷ``/``thủy``) give the same key.
    """
    words = []
    for word in clean_text(value).casefold().split(" "):
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(ch for ch in decomposed if ch in _TONES)
        bare = "".join(ch for ch in decomposed if ch not in _TONES)
        words.append(unicodedata.normalize("NFC", bare) + tones)
    return " ".join(words)


def strip_marks(text: str) -> str:
    """Text without any diacritics (``Tháng`` -> ``Thang``, ``đ`` -> ``d``), for loose patterns."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


# A plain ASCII addr-spec: what smtplib can send without SMTPUTF8 (mail servers of the province
# do not all offer it). The roster, the plan and the mailer all check addresses with this.
_EMAIL_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def is_email_address(text: str) -> bool:
    return _EMAIL_ADDRESS.match(text) is not None


# Latin-1 letters that Vietnamese Unicode text never uses but TCVN3 (ABC) and VNI fonts produce,
# e.g. "Së X©y dùng" (TCVN3) or "Sôû Xaây döïng" (VNI) typed with a legacy keyboard setting.
_VIETNAMESE_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_LEGACY_HINTS = {chr(c) for c in range(0xA1, 0x100)} - _VIETNAMESE_LATIN1 - set("«»°±×÷")
_LEGACY_CHARS = re.compile("[" + re.escape("".join(sorted(_LEGACY_HINTS))) + "]")


def looks_legacy_encoded(text: str) -> bool:
    """True when text looks typed in TCVN3/VNI rather than Unicode (two or more telltale chars)."""
    # Most texts have no telltale character at all: a regex rules them out before the count.
    return _LEGACY_CHARS.search(text) is not None and len(_LEGACY_CHARS.findall(text)) >= 2


def shortened(text: str, limit: int = 80) -> str:
    """``text`` as a message may quote it: at most ``limit`` characters, a cut marked with "…"
    (the problem record keeps the value itself)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
