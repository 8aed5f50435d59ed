"""Text as the checks see it: UTF-8 bytes and code-point offsets without decoding (Texts), the NFC quick
check, the normalised text of duplicate and leak checks, where a span's text does occur, the punctuation
edges of GUIDELINES §1.1, and the patterns of control characters and personal data."""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store import storage
from .arrays import utf8_bytes

_WHITESPACE = np.array([c for c in range(0x3001) if chr(c).isspace()] + [0x3000, 0x2028, 0x2029, 0x85], dtype=np.uint32)

CONTROL_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}]"
CONTROL_OR_BOM_RE2 = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x{9f}\\x{feff}]"
PERSONAL_RE2 = "@|[0-9](?:[ .()+-]{0,3}[0-9]){7}"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)[1-9][0-9]{0,2}[ .-]?(?:\(0?[0-9]{1,4}\)[ .-]?)?[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){1,4}"
                    r"|\([0-9]{3}\) ?[0-9]{3}-[0-9]{4}|[0-9]{3}-[0-9]{3}-[0-9]{4})(?![\w])")


def code_points(b: np.ndarray, lead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code point that starts at each of the positions `lead` (lead bytes of multi-byte sequences in
    the valid UTF-8 bytes `b`) and its length in bytes."""
    first = b[lead]
    n = np.where(first >= 0xF0, 4, np.where(first >= 0xE0, 3, 2))
    code = (first & np.where(n == 2, 0x1F, np.where(n == 3, 0x0F, 0x07))).astype(np.int64)
    for k in (1, 2, 3):
        more = np.flatnonzero(n > k)
        code[more] = (code[more] << 6) | (b[lead[more] + k] & 0x3F)
    return code, n


def may_need_normalizing(buf: np.ndarray, off: np.ndarray) -> np.ndarray:
    """For every text (bytes buf[off[i]:off[i + 1]]): whether it holds a \r or a character from U+0300 on
    that NFC may change or combine with what precedes it. The others are in NFC for sure: Unicode's quick
    check says yes to a text of characters with NFC_QC=Yes and combining class 0, and every character
    below U+0300 is so."""
    lo, hi = int(off[0]), int(off[-1])
    b = buf[lo:hi]
    flagged = np.flatnonzero(b == 0x0D)
    wide = np.flatnonzero(b >= 0xCC)  # lead bytes of U+0300 and above (continuation bytes are below 0xC0)
    if len(wide):
        code, _ = code_points(b, wide)
        distinct, inverse = np.unique(code, return_inverse=True)
        unsafe = np.array([not _nfc_inert(c) for c in distinct.tolist()], dtype=bool)[inverse]
        flagged = np.concatenate([flagged, wide[unsafe]])
    out = np.zeros(len(off) - 1, dtype=bool)
    out[np.searchsorted(off[1:] - lo, flagged, side="right")] = True
    return out


@functools.lru_cache(maxsize=None)
def _nfc_inert(cp: int) -> bool:
    """A character that NFC leaves as it is and never combines with the one before: NFC maps it to itself,
    its combining class is 0, it is not the second of a canonical pair, and not a Hangul vowel or final."""
    ch = chr(cp)
    return (unicodedata.normalize("NFC", ch) == ch and unicodedata.combining(ch) == 0 and cp not in _second_of_pair()
            and not (0x1161 <= cp <= 0x1175 or 0x11A8 <= cp <= 0x11C2))


@functools.lru_cache(maxsize=1)
def _second_of_pair() -> frozenset:
    """Every character that is the second of a canonical two-character decomposition (those of all planes
    with composites: up to U+2FFFF)."""
    out = set()
    for cp in range(0xC0, 0x30000):
        dec = unicodedata.decomposition(chr(cp))
        if dec and not dec.startswith("<"):
            parts = dec.split()
            if len(parts) == 2:
                out.add(int(parts[1], 16))
    return frozenset(out)


def normalized_text(text) -> pa.Array:
    """The text as compared for duplicates and split leaks: lower case, letters and digits only (the code
    points of Unicode categories L and N, as unicodedata has them). Done on the UTF-8 bytes in numpy, about
    ten times faster than a regular expression: ASCII bytes by two range comparisons, and the few
    multi-byte sequences decoded, their distinct code points looked up in Python."""
    low = pc.utf8_lower(text)
    low = storage.one_array(low)
    if low.offset:  # the result below reuses the validity bitmap, so it must start at bit 0
        low = pa.concat_arrays([low])
    buf, off = utf8_bytes(low)
    lo, hi = int(off[0]), int(off[-1])
    b = buf[lo:hi]
    keep = np.subtract(b, 0x61, dtype=np.uint8) < 26  # a-z (the text is lower case already)
    keep |= np.subtract(b, 0x30, dtype=np.uint8) < 10  # 0-9
    wide = np.flatnonzero(b >= 0xC0)  # lead bytes of multi-byte sequences (the input is valid UTF-8)
    if len(wide):
        code, n = code_points(b, wide)
        distinct, inverse = np.unique(code, return_inverse=True)
        letter = np.array([unicodedata.category(chr(c))[0] in "LN" for c in distinct.tolist()], dtype=bool)[inverse]
        for k in (0, 1, 2, 3):
            more = np.flatnonzero(n > k)
            keep[wide[more] + k] = letter[more]
    starts = off[:-1] - lo
    nonempty = starts < off[1:] - lo
    kept = np.zeros(len(starts), np.int64)
    if nonempty.any():  # reduceat gives the element itself for an empty range: sum the non-empty ones only
        kept[nonempty] = np.add.reduceat(keep, starts[nonempty], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(kept)]).astype(np.int64 if pa.types.is_large_string(low.type) else np.int32)
    # the kept bytes, compressed by Arrow's filter (twice as fast as numpy's boolean indexing)
    mask = pa.Array.from_buffers(pa.bool_(), len(keep), [None, pa.py_buffer(np.packbits(keep, bitorder="little"))])
    data = pc.filter(pa.Array.from_buffers(pa.uint8(), len(b), [None, pa.py_buffer(b)]), mask).buffers()[1]
    return pa.Array.from_buffers(low.type, len(low), [low.buffers()[0], pa.py_buffer(offsets), data], null_count=low.null_count)


class Texts:
    """The article texts as UTF-8 bytes with, for every code point, its byte position: spans (code-point
    offsets) are compared byte for byte without decoding any text in Python."""

    def __init__(self, text: pa.Array):
        self.text = text
        self._words = None
        self.buf, self.off = utf8_bytes(text)
        self.lo, hi = int(self.off[0]), int(self.off[-1])
        lead = np.empty(hi - self.lo + 1, dtype=bool)  # a UTF-8 lead byte, and the end of the last text
        np.not_equal(self.buf[self.lo:hi] & 0xC0, 0x80, out=lead[:-1])
        lead[-1] = True
        self.cp_pos = np.flatnonzero(lead)  # byte position (from lo) of each code point, and the end
        self.length = np.diff(np.searchsorted(self.cp_pos, self.off - self.lo))  # code points of each text
        self.cp_off = np.concatenate([[0], np.cumsum(self.length)])

    def byte_at(self, a: np.ndarray, cp: np.ndarray) -> np.ndarray:
        return self.cp_pos[self.cp_off[a] + cp] + self.lo

    def substrings(self, bs: np.ndarray, be: np.ndarray) -> pa.Array:
        """The texts' bytes [bs, be) for every pair, as a string array copied by Arrow: string views onto
        the text buffer (a length, then the first 12 bytes inline, or for a longer string its first 4
        bytes, buffer 0 and its offset), built as four 32-bit words a view from unaligned word reads of
        the text buffer, then cast to plain strings."""
        n = len(bs)
        ln = (be - bs).astype(np.int64)
        if self._words is None:  # the 32-bit word at every byte position of the texts (padded at the end)
            self._padded = np.concatenate([self.buf, np.zeros(16, np.uint8)])
            self._words = np.ndarray((len(self.buf) + 12,), dtype="<u4", buffer=self._padded, strides=(1,))
        views = np.empty((n, 4), dtype="<u4")
        views[:, 0] = ln
        for k in range(3):  # inline bytes 4k..4k+3, those past the end of the string zeroed
            kept = np.clip(ln - 4 * k, 0, 4).astype(np.uint64) * np.uint64(8)
            views[:, 1 + k] = self._words[bs + 4 * k] & ((np.uint64(1) << kept) - np.uint64(1)).astype(np.uint32)
        long = np.flatnonzero(ln > 12)
        views[long, 2] = 0  # buffer 0
        views[long, 3] = bs[long]
        data = self.text.buffers()[2] or pa.py_buffer(b"")
        return pc.cast(pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), data]), pa.string())

    def slice(self, a: int, start: int, end: int) -> str:
        return self.buf[self.byte_at(a, start): self.byte_at(a, end)].tobytes().decode("utf-8")


WHITESPACE_CHARS = pa.array([chr(c) for c in _WHITESPACE.tolist()], pa.string())
# bytes that may be the first or last byte of a white-space character: the ASCII ones, and the lead and
# continuation bytes of the non-ASCII ones (so any byte from 0x80 that one of them has)
WHITESPACE_EDGE_BYTE = np.isin(np.arange(256), [b for c in _WHITESPACE.tolist() for b in chr(c).encode("utf-8")])


def where_text_occurs(article: str, needle: str, start: int) -> str:
    """Where `needle` (a span's stored text) does occur in `article`, nearest to `start` (code points): for a
    span-text-mismatch message, so that the fix (the offsets, or the text) is plain."""
    if not needle:
        return "the span's text is empty"
    best, i = None, article.find(needle)
    while i >= 0:
        if best is None or abs(i - start) < abs(best - start):
            best = i
        if i >= start:  # later occurrences are only farther
            break
        i = article.find(needle, i + 1)
    if best is None:
        return f"{needle[:60]!r} does not occur in the text"
    return f"{needle[:60]!r} occurs at {best}-{best + len(needle)} (nearest)"


# GUIDELINES §1.1: a mention or trigger never starts or ends with punctuation or a quotation mark;
# brackets only where one is left unmatched; a final period that belongs to an abbreviation is kept
_EDGE_PUNCT = ".,;:!?"
_QUOTES = "\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a"
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_PUNCT_EDGE_CHARS = frozenset(_EDGE_PUNCT + _QUOTES + "".join(_BRACKETS) + "".join(_BRACKETS.values()))
PUNCT_EDGE_BYTE = np.isin(np.arange(256), sorted({b for c in _PUNCT_EDGE_CHARS for b in c.encode("utf-8")}))
ABBREVIATIONS = frozenset("Inc Co Corp Ltd Jr Sr St Mt Dr Mr Mrs Ms Gen Col Lt Sgt Prof Bros".split())


def abbreviation_period(text: str) -> bool:
    """Whether the final period of `text` belongs to an abbreviation: its last token (before the period)
    has a period of its own (`U.S.`, `U.K.`), is a single capital letter (`John F.`) or is one of
    ABBREVIATIONS (`Inc.`, `Co.`, `Jr.`, `St.`, ...)."""
    if not text.endswith(".") or len(text) < 2 or text[-2] in _PUNCT_EDGE_CHARS or text[-2].isspace():
        return False
    token = text[:-1].split()[-1].rsplit("-", 1)[-1]
    return "." in token or (len(token) == 1 and token.isupper()) or token in ABBREVIATIONS


def punctuation_edge(text: str) -> str | None:
    """What is wrong with the edges of a span's text under GUIDELINES §1.1 (None: nothing): it starts with
    punctuation, a quotation mark or a bracket, or ends with punctuation (an abbreviation's period aside),
    a quotation mark, an opening bracket or a closing one whose opening bracket is not in the span."""
    if not text:
        return None
    first, last = text[0], text[-1]
    if first in _PUNCT_EDGE_CHARS:
        return f"starts with {first!r}"
    if last in _EDGE_PUNCT and not (last == "." and abbreviation_period(text)):
        return f"ends with {last!r}"
    if last in _QUOTES or last in _BRACKETS.values():
        return f"ends with {last!r}"
    if last in _BRACKETS and _BRACKETS[last] not in text[:-1]:
        return f"ends with an unmatched {last!r}"
    return None


def trimmed(text: str) -> str:
    """`text` with the edges punctuation_edge() finds taken off, one character at a time."""
    while text and (why := punctuation_edge(text)):
        text = (text[1:] if why.startswith("starts") else text[:-1]).strip()
    return text
