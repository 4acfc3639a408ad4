"""Check characters of Chinese identification codes.

Unified social credit codes (USCC, GB 32100-2015) and resident ID numbers
(GB 11643-1999) both end in a check character computed from the others with
a weighted sum. These functions are pure, so sample-data generation, the
GX expectations and the tests all share one implementation.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import date

import numpy as np

# GB 32100-2015: the 31 characters a USCC may use (no I, O, S, V, Z).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
_USCC_SHAPE = re.compile(f"^[{USCC_CHARSET}]{{18}}$")
_USCC_LOOKUP = np.full(256, -1, dtype=np.int16)  # byte -> the character's value, -1 when not allowed
_USCC_LOOKUP[[ord(c) for c in USCC_CHARSET]] = range(len(USCC_CHARSET))


def uscc_check_char(first17: str) -> str:
    """The check character that completes the 17 leading characters of a USCC."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: object) -> bool:
    """True when ``code`` is 18 allowed characters ending in the right check character."""
    if not isinstance(code, str) or not _USCC_SHAPE.match(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def valid_uscc_array(codes: Sequence[object]) -> np.ndarray:
    """``is_valid_uscc`` of many codes at once (a national file has 500,000): arithmetic on arrays.

    Every 18-character string becomes a row of 18 code points; a row is valid when each point is an
    allowed character and the weighted sum of the first 17 gives the 18th.
    """
    codes = list(codes)
    if not all(map(str.__instancecheck__, codes)):  # not text at all: no array to build
        return np.array([is_valid_uscc(c) for c in codes], dtype=bool)
    valid = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes)) == 18
    if not valid.any():
        return valid
    # one byte per character: anything beyond ASCII becomes "?", which no USCC contains
    shaped = "".join(itertools.compress(codes, valid)).encode("ascii", "replace")
    values = _USCC_LOOKUP[np.frombuffer(shaped, dtype=np.uint8).reshape(-1, 18)]  # -1: a character not allowed
    total = values[:, :17].astype(np.int32) @ np.array(_USCC_WEIGHTS, dtype=np.int32)
    valid[valid] = (values >= 0).all(axis=1) & ((31 - total % 31) % 31 == values[:, 17])
    return valid


# GB 11643-1999: weights 2^(17-i) mod 11, check values 0..10 written as 1 0 X 9 8 ... 2.
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")


def id_check_char(first17: str) -> str:
    """The check character that completes the 17 leading digits of a resident ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_birth_date(code: str) -> date | None:
    """The birth date an ID number encodes, or None when it is not a real date."""
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def is_valid_id_number(code: object) -> bool:
    """True for an 18-character ID number with a real birth date and the right check character."""
    if not isinstance(code, str) or not _ID_SHAPE.match(code):
        return False
    return id_birth_date(code) is not None and id_check_char(code[:17]) == code[17]


def mask_id_number(code: str) -> str:
    """Show an ID number the way reports may: ``320611********123X``."""
    if len(code) < 10:
        return "*" * len(code)
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


# An ID number inside free text (an exception message, a traceback): 15 or 18 characters of digits
# (the last may be X) not touching other digits. USCCs (18 characters with letters) are left alone.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_id_numbers_in(text: str) -> str:
    """Every ID-number-like run of digits in ``text`` masked (for messages that may quote a cell)."""
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text)
