"""The normalised time of an event: a TIMEX3-style value in ISO 8601 (parts 1 and 2) syntax.

One string holds what news says about time (GUIDELINES §3.5):

- a point at the precision the text gives: `2022`, `2022-01`, `2022-01-10`, a week `2022-W02`, a time of
  day `2022-01-10T14:30`; unknown digits as `X` (`201X`, `XXXX-01-10`), as TIMEX3 and ISO 8601-2 write them;
- a range `2022-01-03/2022-01-09`, an open range `2019/..` (since 2019) or `../2021` (until 2021), an
  anchored duration `2022-01-06/P2D` or `P2D/2022-01-08`;
- a duration `P2D`, `PT3H`, `P1Y6M`, `P3W`, with `X` for an unknown count (`PXY`: for years);
- approximate or uncertain: a point or duration with `~` (approximate), `?` (uncertain) or `%` (both),
  from ISO 8601-2 (EDTF); `2022-01~`, `P2D~`;
- a relative value the text does not let one resolve: TIMEX3's `PAST_REF`, `PRESENT_REF`, `FUTURE_REF`.
  A relative expression that can be resolved against the publication date is resolved (`last week`).

PATTERN is the syntax (the JSON Schema's, checked at level 1 over whole columns); problem() the semantics
the syntax cannot say (30 February, an ISO week 53 the year lacks, a range that ends before it starts, an empty duration),
checked at level 2 as time-invalid. kind() names the TIMEX3 type of a value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_Q = r"[~?%]?"
_POINT = (r"[0-9X]{4}(-(0[1-9]|1[0-2]|XX)(-(0[1-9]|[12][0-9]|3[01]|XX)(T([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9])?)?)?)?"
          r"|-W(0[1-9]|[1-4][0-9]|5[0-3]))?")
_N = r"([0-9]+|X)"
_DUR = rf"P({_N}Y)?({_N}M)?({_N}W)?({_N}D)?(T({_N}H)?({_N}M)?({_N}S)?)?"
_REF = r"PAST_REF|PRESENT_REF|FUTURE_REF"
_P, _D = f"{_POINT}{_Q}", f"{_DUR}{_Q}"
PATTERN = rf"^({_REF}|{_P}|{_D}|{_P}/({_P}|\.\.|{_D})|(\.\.|{_D})/{_P})$"
_PATTERN = re.compile(PATTERN)


def kind(value: str) -> str:
    """The TIMEX3 type of a valid value: DATE (a point, a range, a reference) or DURATION."""
    return "DURATION" if value.startswith("P") and not value.endswith("_REF") else "DATE"


def problem(value: str) -> str | None:
    """Why `value` is not a time value, or None. Syntax first (as PATTERN), then what it cannot say."""
    if not _PATTERN.match(value):
        return (f"{value!r} is not a normalised time (a point like 2022-01-10, a range like 2022-01-03/2022-01-09 or "
                "2019/.., a duration like P2D, PAST_REF/PRESENT_REF/FUTURE_REF; ~ marks an approximate value)")
    parts = value.split("/")
    for part in parts:
        p = part.rstrip("~?%")
        if p.startswith("P"):
            if p.endswith("_REF"):
                continue
            if p in ("P", "PT") or p.endswith("T"):
                return f"{value!r}: the duration {p!r} has no quantity (P2D, PT3H, PXY)"
        elif p != ".." and (why := _point_problem(p)):
            return f"{value!r}: {why}"
    if len(parts) == 2 and not any(x.rstrip("~?%").startswith("P") or x == ".." for x in parts):
        a, b = (x.rstrip("~?%") for x in parts)
        if "X" not in a + b and _bounds(a)[0] > _bounds(b)[1]:
            return f"{value!r}: the range ends before it starts"
    return None


def _point_problem(p: str) -> str | None:
    m = re.match(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})", p)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        if d > calendar.monthrange(y, mo)[1]:
            return f"{y:04d}-{mo:02d} has no day {d}"
    m = re.match(r"^([0-9]{4})-W([0-9]{2})$", p)
    if m and int(m.group(2)) == 53 and _iso_weeks(int(m.group(1))) == 52:
        return f"{m.group(1)} has no ISO week 53"
    return None


def _iso_weeks(year: int) -> int:
    return dt.date(year, 12, 28).isocalendar()[1]


def _bounds(p: str) -> tuple[str, str]:
    """The first and last instant of a point as comparable strings (YYYY-MM-DDThh:mm:ss)."""
    if "-W" in p:
        y, w = int(p[:4]), int(p[6:8])
        first = dt.date.fromisocalendar(y, w, 1)
        return first.isoformat() + "T00:00:00", (first + dt.timedelta(days=6)).isoformat() + "T23:59:59"
    date, _, clock = p.partition("T")
    y, *rest = date.split("-")
    mo = rest[0] if rest else None
    d = rest[1] if len(rest) > 1 else None
    lo_d = f"{y}-{mo or '01'}-{d or '01'}"
    hi_day = d or (f"{calendar.monthrange(int(y), int(mo))[1]:02d}" if mo else "31")
    hi_d = f"{y}-{mo or '12'}-{hi_day}"
    lo_t = (clock + ":00:00")[:8] if clock else "00:00:00"
    hi_t = (clock + (":59:59" if len(clock) == 2 else ":59"))[:8] if clock else "23:59:59"
    return f"{lo_d}T{lo_t}", f"{hi_d}T{hi_t}"
