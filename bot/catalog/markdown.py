"""Parse one event page in the organisers' markdown format into an EventRecord.

The pages are written by hand (the format of stlgo/presentations: an H1 title, a `## Meta` table of
`| **Key:** | value |` rows, then free `## Sections`), so the parser accepts every habit that has one
sensible reading and stops with an EventFileError naming the line wherever a guess could publish a
wrong date or time.  The value parsers in the first half are shared with `yaml_event`, so both formats
read "6:00pm - 8:00pm CST" or "StLGo: 9, KCN-STL: 14" the same way.

The importer reads thousands of pages at start-up, so the page is scanned with a few regexes over the
whole text (never line by line in Python) and line numbers are only counted for a warning or an error.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalog.limits import CAPACITY, COUNT, YEAR, Limit, OutOfRange
from bot.catalog.record import (
    REPORTED_FIELDS,
    AgendaItem,
    EventFileError,
    EventRecord,
    NotAnEvent,
    ParseOptions,
    unexpected_error,
)

__all__ = ["parse_markdown"]

DATE_EXAMPLE = 'expected e.g. "Wednesday, November 16, 2022"'
TIME_EXAMPLE = 'expected e.g. "6:00pm - 8:00pm CST" or "18:00 - 20:00"'
COUNT_EXAMPLE = 'expected e.g. "42", "StLGo: 9, KCN-STL: 14" or "???"'

NOON = 12 * 60
DAY = 24 * 60

# --------------------------------------------------------------------------- inline markdown

# [text](url "title") and ![alt](src); the URL may sit in <...>.
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_URL = re.compile(r"https?://[^\s<>\[\]()]*[^\s<>\[\]().,;:!?'\"]")  # a literal start: the engine skips ahead
_URL_WRITTEN = re.compile(r"<?https?://[^\s<>\[\]()]*[^\s<>\[\]().,;:!?'\"]>?")  # to remove one, <...> too
_PAREN = re.compile(r"\s*\([^()]*\)")
_STRIKE = re.compile(r"~~.*?~~|<(del|s|strike)>.*?</\1>", re.IGNORECASE | re.DOTALL)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)


def _link_text(match: re.Match[str]) -> str:
    return "" if match[1] else match[2]


def plain(text: str) -> str:
    """Inline markdown as a reader sees it: entities decoded, links as their text, no images or bold."""
    if "&" in text:
        text = html.unescape(text)
    if "[" in text:
        text = _LINK.sub(_link_text, text)
    if "**" in text or "__" in text:
        text = text.replace("**", "").replace("__", "")
    return text


def urls_in(text: str) -> list[str]:
    """Every http(s) URL in `text`, link targets first; images are not links."""
    if "http" not in text:
        return []
    found: list[str] = []
    if "](" in text:
        found = [m[3] for m in _LINK.finditer(text) if not m[1] and m[3].startswith(("http://", "https://"))]
        text = _LINK.sub("", text)
    found.extend(_URL.findall(text))
    return found


_UNKNOWN = frozenset({"", "?", "??", "???", "tbd", "tba", "tbc", "-", "--", "–", "—", "n/a", "na", "unknown"})


def is_unknown(text: str) -> bool:
    """True for the placeholders organisers write when a value is not known yet (`???`, `TBD`, `-`)."""
    key = text.strip()
    if len(key) > 7 and key[0] != "?":  # longer than any placeholder: the common case, decided cheaply
        return False
    key = key.casefold()
    return key in _UNKNOWN or set(key) == {"?"}


# --------------------------------------------------------------------------- errors and context


class FieldError(ValueError):
    """A value that cannot be read; the caller knows the file and the line and makes it an EventFileError."""


@dataclass
class Context:
    """The file being parsed: where errors and warnings point.

    Places are "positions": line numbers, or, when `text` is set, offsets into it that are turned into
    line numbers only when a warning or an error needs one (counting lines for every row costs time).
    `with ctx.about("When", pos): ...` turns a FieldError raised inside into `path:7: When: message`.
    """

    source: str
    text: str | None = None
    warnings: list[str] = field(default_factory=list)
    _label: str = ""
    _pos: int | None = None

    def line(self, pos: int | None) -> int | None:
        """The 1-based line of a position (offsets point at the "\\n" before their line)."""
        if pos is None or self.text is None:
            return pos
        return self.text.count("\n", 0, pos + 1)

    def warn(self, pos: int | None, message: str) -> None:
        """Record a warning as "line 7: message" (the importer adds the file name)."""
        line = self.line(pos)
        self.warnings.append(f"line {line}: {message}" if line else message)

    def error(self, pos: int | None, message: str) -> EventFileError:
        return EventFileError(self.source, self.line(pos), message)

    def about(self, label: str, pos: int | None) -> Context:
        self._label = label
        self._pos = pos
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, FieldError | OutOfRange):
            raise self.error(self._pos, f"{self._label}: {exc}") from None


# --------------------------------------------------------------------------- time zones

_ZONE_ABBREVIATIONS = {
    **dict.fromkeys(("cst", "cdt", "ct", "central"), "America/Chicago"),
    **dict.fromkeys(("est", "edt", "et", "eastern"), "America/New_York"),
    **dict.fromkeys(("mst", "mdt", "mt", "mountain"), "America/Denver"),
    **dict.fromkeys(("pst", "pdt", "pt", "pacific"), "America/Los_Angeles"),
    **dict.fromkeys(("akst", "akdt"), "America/Anchorage"),
    "hst": "Pacific/Honolulu",
    "utc": "UTC",
    "gmt": "UTC",
}
_ZONE_IN_TIME = re.compile(
    r"\(?\b(?:(?P<abbr>[CEMP][SD]?T|AK[SD]T|HST|UTC|GMT|central|eastern|mountain|pacific)(?:\s+time)?"
    r"|(?P<iana>[A-Za-z]+(?:/[A-Za-z0-9_+-]+)+))\b\)?",
    re.IGNORECASE,
)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The zone called `name`; cached because every event needs one and the lookup is not free."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise FieldError(f'"{name}" is not a time zone; expected e.g. "America/Chicago" or "CST"') from exc


def zone_name(text: str) -> str:
    """An IANA zone name for what a page writes: an abbreviation (CST, ET) or an IANA name."""
    name = plain(text).strip()
    found = _ZONE_ABBREVIATIONS.get(name.casefold())
    if found is not None:
        return found
    zone(name)
    return name


# --------------------------------------------------------------------------- title

_LEADING_NOTE = re.compile(
    r"\s*(?:\[([^\]]*)\]|(cancell?ed|postponed|rescheduled)\s*[:\-–—])\s*", re.IGNORECASE
)
_WORDS = re.compile(r"[a-z-]+")
_NOTE_FIRST_WORDS = frozenset(
    {
        "rescheduled",
        "cancelled",
        "canceled",
        "postponed",
        "moved",
        "updated",
        "online",
        "virtual",
        "hybrid",
        "in-person",
        "tentative",
        "draft",
        "tbd",
        "tba",
        "sold",
    }
)
_NOTE_ANY_WORDS = frozenset({"rescheduled", "cancelled", "canceled", "postponed"})
_CANCEL_WORDS = frozenset({"cancelled", "canceled"})


def _is_note(text: str) -> bool:
    words = _WORDS.findall(text.casefold())
    return bool(words) and (words[0] in _NOTE_FIRST_WORDS or any(w in _NOTE_ANY_WORDS for w in words))


@dataclass(slots=True)
class Title:
    text: str
    notes: list[str]
    cancelled: bool


def parse_title(raw: str) -> Title:
    """Split an H1 into the title and notes such as "(Rescheduled)"; "[GDN Event] ..." keeps its bracket.

    Only parentheticals that read as a status note are split off, so "(Part 2)" stays in the title.
    """
    text = plain(raw).strip()
    if "~~" in text or "<" in text:
        struck = _STRIKE.sub("", text).strip()
        text = struck or text.replace("~~", "")
    notes: list[str] = []
    lead = _LEADING_NOTE.match(text)
    lead_note = (lead[1] if lead[1] is not None else lead[2]) if lead is not None else None
    if lead is not None and lead_note and _is_note(lead_note):
        notes.append(lead_note.strip())
        text = text[lead.end() :]
    trailing: list[str] = []
    while text.endswith((")", "]")):
        opening = text.rfind("(" if text[-1] == ")" else "[")
        note = text[opening + 1 : -1]
        if opening < 0 or "(" in note or "[" in note or not _is_note(note):
            break
        trailing.insert(0, note.strip())
        text = text[:opening].rstrip()
    notes.extend(trailing)
    title = " ".join(text.split())
    if not title:
        raise FieldError(f'"{raw.strip()}" leaves no title; expected e.g. "# Intro to Go"')
    cancelled = any(_CANCEL_WORDS.intersection(_WORDS.findall(n.casefold())) for n in notes)
    return Title(title, notes, cancelled)


# --------------------------------------------------------------------------- dates

_WEEKDAY = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    rf"(?:\b(?P<wd>{_WEEKDAY})\b\.?,?\s*)?"
    rf"(?:\b(?P<mon>{_MONTH})\b\.?\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b,?\s*(?P<year>\d{{4}})\b"
    rf"|\b(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH})\b\.?,?\s*(?P<year2>\d{{4}})\b"
    rf"|\b(?P<y3>\d{{4}})-(?P<m3>\d{{1,2}})-(?P<d3>\d{{1,2}})\b)",
    re.IGNORECASE,
)
_AFTER_DATE = re.compile(r"^[\s,;@–—-]*(?:(?:at|from)\b)?\s*", re.IGNORECASE)
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_NUMBERS = {name[:3].casefold(): n for n, name in enumerate(_MONTH_NAMES, 1)}
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_NUMBERS = {name[:3].casefold(): n for n, name in enumerate(_DAY_NAMES)}


@dataclass(slots=True)
class DateValue:
    day: date
    warnings: list[str]
    rest: str  # text after the date ("6:00pm - 8:00pm" in "Wednesday, May 1, 2024, 6:00pm - 8:00pm")


def parse_date(value: str) -> DateValue:
    """Read "Wednesday, November 16, 2022" (or an ISO date); struck-out text and (notes) are not the date."""
    text = plain(value)
    if "~~" in text or "<" in text:
        text = _STRIKE.sub(" ", text)
    if "(" in text:
        text = _PAREN.sub(" ", text)
    m = _DATE.search(text)
    if m is None:
        raise FieldError(f'"{value.strip()}" is not a date; {DATE_EXAMPLE}')
    if m["y3"]:
        year, month, day_no = int(m["y3"]), int(m["m3"]), int(m["d3"])
    elif m["mon"]:
        year, month, day_no = int(m["year"]), _MONTH_NUMBERS[m["mon"][:3].casefold()], int(m["day"])
    else:
        year, month, day_no = int(m["year2"]), _MONTH_NUMBERS[m["mon2"][:3].casefold()], int(m["day2"])
    if not YEAR.low <= year <= YEAR.high:
        raise FieldError(f'"{value.strip()}": the year {year} is out of range ({YEAR.text}); fix the date')
    try:
        day = date(year, month, day_no)
    except ValueError:
        raise FieldError(f'"{value.strip()}" is not a valid date; {DATE_EXAMPLE}') from None
    warnings: list[str] = []
    weekday = m["wd"]
    if weekday and _DAY_NUMBERS[weekday[:3].casefold()] != day.weekday():
        warnings.append(
            f'"{weekday}" does not match the date: {_MONTH_NAMES[month - 1]} {day.day}, {year} '
            f"is a {_DAY_NAMES[day.weekday()]}; using the date"
        )
    rest = text[m.end() :]
    if rest.strip():
        if _DATE.search(rest):
            warnings.append("more than one date; using the first (strike an old date through with ~~...~~)")
        rest = _AFTER_DATE.sub("", rest, count=1).strip()
    return DateValue(day, warnings, rest.strip())


# --------------------------------------------------------------------------- times of day

_CLOCK = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?:(?P<ap>[ap])\.?\s*m\.?)?", re.IGNORECASE)
_RANGE_SEP = re.compile(r"\s*(?:-|–|—|~|\bto\b|\buntil\b|\btill\b)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day as written.

    `bare` when it had neither am/pm nor an unambiguous 24-hour form ("6:30", "12:00"); its `minutes`
    then count from the 12-hour base (6:30 -> 390) and the caller decides am or pm from context.
    """

    minutes: int
    bare: bool


@lru_cache(maxsize=4096)
def clock_from(hour_text: str, minute_text: str | None, meridiem: str | None) -> Clock | None:
    """A Clock from the parts of a written time, or None when they are out of range (cached: pages
    repeat the same few times)."""
    hour = int(hour_text)
    minute = int(minute_text) if minute_text else 0
    if minute > 59:
        return None
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        return Clock((hour % 12 + (12 if meridiem[0] in "pP" else 0)) * 60 + minute, False)
    if hour > 23:
        return None
    if hour == 0 or hour >= 13 or hour_text[0] == "0":
        return Clock(hour * 60 + minute, False)
    return Clock((hour % 12) * 60 + minute, True)


def parse_clock(text: str) -> Clock | None:
    """One time of day ("6pm", "6:30 PM", "18:30", "noon"), or None when it is not one."""
    s = text.strip()
    m = _CLOCK.fullmatch(s)
    if m is not None:
        return clock_from(m["h"], m["m"], m["ap"])
    lowered = s.casefold()
    if lowered in ("noon", "12 noon"):
        return Clock(NOON, False)
    if lowered == "midnight":
        return Clock(0, False)
    return None


def _next_bare(clock: Clock, after: int) -> int:
    """The first time at or after `after` that a bare clock can mean (it repeats every 12 hours)."""
    t = clock.minutes
    if t < after:
        t += (after - t + 719) // 720 * 720
    return t


def _next_explicit(clock: Clock, after: int) -> int:
    """`clock` on the day of `after`, or the next day when that is over 12 hours earlier (past midnight)."""
    t = clock.minutes + DAY * (after // DAY)
    if t < after - 720:
        t += DAY
    return t


def forward(clock: Clock, after: int) -> int:
    """The meaning of `clock` for a list that runs forward in time from `after` (minutes from midnight)."""
    return _next_bare(clock, after) if clock.bare else _next_explicit(clock, after)


def resolve_range(start: Clock, end: Clock | None) -> tuple[int, int | None]:
    """Minutes from midnight for a Time row; bare hours are a meetup's evening unless that runs backwards."""
    if end is None:
        return (start.minutes + NOON if start.bare else start.minutes), None
    if start.bare and end.bare:
        s = start.minutes + NOON
        e = _next_bare(end, s + 1)
        if e >= DAY:  # "10 - 2" is 10am to 2pm, not 10pm to 2am
            s = start.minutes
            e = _next_bare(end, s + 1)
    elif start.bare:  # the latest reading of the start that is still before the end
        e = end.minutes
        if start.minutes + NOON < e:
            s = start.minutes + NOON
        elif start.minutes < e:
            s = start.minutes
        else:  # "11 - 1am"
            s, e = start.minutes + NOON, e + DAY
    elif end.bare:
        s = start.minutes
        e = _next_bare(end, s + 1)
    else:
        s, e = start.minutes, end.minutes
        if e <= s and s >= NOON and e < NOON:  # past midnight: "10pm - 1am"
            e += DAY
    if e <= s:
        raise FieldError("ends before it starts")
    return s, e


@dataclass(slots=True)
class TimeRange:
    """The Time row: minutes from the event day's midnight, and the zone it names, if any."""

    start: int
    end: int | None
    zone: str | None

    @property
    def morning(self) -> bool:
        return self.start < NOON


def split_clock_range(text: str) -> tuple[Clock, Clock | None] | None:
    """Read "6:00pm - 8:00pm" (also "6pm-8pm", "18:00 to 20:00", "6:00 PM") as clocks, or None."""
    parts = _RANGE_SEP.split(text.strip(), maxsplit=1)
    start = parse_clock(parts[0])
    if start is None:
        return None
    if len(parts) == 1:
        return start, None
    end = parse_clock(parts[1])
    return None if end is None else (start, end)


def parse_time(value: str) -> TimeRange | None:
    """Read a Time row such as "12:00pm - 3:00pm CST"; None for "TBD" and other placeholders."""
    text = plain(value)
    found_zone: str | None = None
    m = _ZONE_IN_TIME.search(text)
    if m is not None:
        found_zone = _ZONE_ABBREVIATIONS[m["abbr"].casefold()] if m["abbr"] else zone_name(m["iana"])
        text = f"{text[: m.start()]} {text[m.end() :]}"
    if "(" in text:
        text = _PAREN.sub(" ", text)
    text = text.strip()
    if is_unknown(text):
        return None
    clocks = split_clock_range(text)
    if clocks is None:
        raise FieldError(f'"{value.strip()}" is not a time; {TIME_EXAMPLE}')
    start, end = resolve_range(*clocks)
    return TimeRange(start, end, found_zone)


# --------------------------------------------------------------------------- agenda

_MERIDIEM = r"[ap]\.?[ \t]?m\.?(?![a-z])"


def _agenda_clock(p: str) -> str:
    """A time that is unmistakably one: "6:30", "6:30pm" or "6pm" (a bare "6" may be a count)."""
    with_minutes = rf"(?P<{p}h>\d{{1,2}}):(?P<{p}m>\d{{2}})[ \t]*(?P<{p}ap>{_MERIDIEM})?"
    hour_only = rf"(?P<{p}h2>\d{{1,2}})[ \t]*(?P<{p}ap2>{_MERIDIEM})"
    return f"(?:{with_minutes}|{hour_only})"


_AGENDA_TIMES = (
    rf"(?:\*\*|__)?\(?{_agenda_clock('s')}(?:[ \t]*(?:-|–|—|to\b)[ \t]*{_agenda_clock('e')})?\)?(?:\*\*|__)?"
    r"(?P<title>[^\n]*)"
)
_AGENDA_TEXT = re.compile(rf"[ \t]*{_AGENDA_TIMES}", re.IGNORECASE)
# Patterns over a whole page start with a literal "\n" (the page is scanned with one prepended) so that
# the regex engine jumps from line to line instead of trying "^" at every character.
_AGENDA_BULLET = re.compile(rf"\n[ \t]*(?:[*+-]|\d{{1,3}}[.)])[ \t]+{_AGENDA_TIMES}", re.IGNORECASE)
_AGENDA_GROUPS = ("sh", "sm", "sap", "sh2", "sap2", "eh", "em", "eap", "eh2", "eap2", "title")
_TITLE_LEAD = " \t:-–—|.)"


@dataclass(slots=True)
class RawAgendaItem:
    """An agenda line before its times are placed on the day."""

    pos: int | None
    start: Clock
    end: Clock | None
    title: str
    text: str


def _agenda_item(m: re.Match[str], pos: int | None) -> RawAgendaItem:
    """The item a matched agenda line describes; FieldError for a time that cannot be (25:99)."""
    sh, sm, sap, sh2, sap2, eh, em, eap, eh2, eap2, title = m.group(*_AGENDA_GROUPS)
    start = clock_from(sh, sm, sap) if sh else clock_from(sh2, None, sap2)
    end: Clock | None = None
    if eh or eh2:
        end = clock_from(eh, em, eap) if eh else clock_from(eh2, None, eap2)
    bad = None
    if start is None:
        bad = f"{sh}:{sm}{sap or ''}" if sh else f"{sh2}{sap2}"
    elif end is None and (eh or eh2):
        bad = f"{eh}:{em}{eap or ''}" if eh else f"{eh2}{eap2}"
    if bad is not None or start is None:
        raise FieldError(
            f'"{m[0].strip()}" has an impossible time ({bad}); expected e.g. "* 5:30pm - 6:00pm Food"'
        )
    title = " ".join(plain(title).lstrip(_TITLE_LEAD).split())
    return RawAgendaItem(pos, start, end, title, m[0].strip())


def parse_agenda_text(text: str, pos: int | None) -> RawAgendaItem | None:
    """Read "5:30 - 6:00 Food", "6:00pm-6:30pm: Snacks", "6:00pm: Doors open"; None without a leading time.

    Raises FieldError for a line that starts with an impossible time such as "25:99".
    """
    m = _AGENDA_TEXT.match(text)
    return None if m is None else _agenda_item(m, pos)


def resolve_agenda(
    ctx: Context, items: Sequence[RawAgendaItem], time_range: TimeRange | None
) -> list[tuple[int, int | None, str]]:
    """Place agenda times on the event day: bare hours are pm unless the Time row starts in the morning,
    and the list runs forward (a time earlier than the one before it is 12 hours later)."""
    after = max(0, time_range.start - 180) if time_range is not None and time_range.morning else NOON
    out: list[tuple[int, int | None, str]] = []
    for item in items:
        if not item.title:
            ctx.warn(item.pos, f'agenda: "{item.text}" has no title; skipped')
            continue
        end: int | None = None
        if item.start.bare and item.end is not None and not item.end.bare:
            end = _next_explicit(item.end, after)
            start = item.start.minutes + NOON * max(0, (end - item.start.minutes) // NOON)
            ok = start <= end
        else:
            start = forward(item.start, after)
            ok = True
            if item.end is not None:
                end = forward(item.end, start)
                ok = start <= end and not (item.end.bare and end - start >= NOON)
        if not ok:
            raise ctx.error(item.pos, f'agenda: "{item.text}" ends before it starts')
        if out and start < after:
            ctx.warn(item.pos, f'agenda: "{item.text}" starts before the item above it')
        out.append((start, end, item.title))
        after = max(after, start)
    return out


# --------------------------------------------------------------------------- places

_ONLINE = re.compile(
    r"(?:virtual|online|remote)(?:[ -]+(?:event|meeting|only))?\s*(?:[,:;–—-]\s*|$)", re.IGNORECASE
)
_GEO = re.compile(
    r"(?P<pin>:round_pushpin:|:pushpin:|📍|geo:)?\s*\(?\s*(?P<lat>[-+]?\d{1,3}(?:\.\d+)?)\s*,"
    r"\s*(?P<lon>[-+]?\d{1,3}(?:\.\d+)?)\s*\)?",
    re.IGNORECASE,
)
_PIN_MARKS = (":round_pushpin:", ":pushpin:", "📍")
_PLATFORM_SPLIT = re.compile(r"\s*(?:[/,&+]|\band\b)\s*")
_PLATFORMS = frozenset(
    {
        "zoom",
        "youtube",
        "youtube live",
        "twitch",
        "crowdcast",
        "google meet",
        "meet",
        "teams",
        "microsoft teams",
        "jitsi",
        "discord",
        "webex",
        "gotomeeting",
        "streamyard",
        "livestream",
    }
)
_DOUBLE_COMMA = re.compile(r"\s*,(?:\s*,)+\s*")


@dataclass(slots=True)
class Location:
    text: str = ""
    online: bool = False
    urls: list[str] = field(default_factory=list)
    geo: tuple[float, float] | None = None


def _is_platform_list(text: str) -> bool:
    """True for "Zoom" or "YouTube/Twitch": a Where row naming only streaming platforms."""
    return 0 < len(text) < 60 and all(p.casefold() in _PLATFORMS for p in _PLATFORM_SPLIT.split(text))


def parse_where(ctx: Context, rows: Iterable[tuple[int | None, str]]) -> Location:
    """Venue, address lines joined with ", ", a pin row as geo, "VIRTUAL EVENT, Zoom" as online."""
    loc = Location()
    pieces: list[str] = []
    written: list[str] = []
    for pos, raw in rows:
        text = plain(raw).strip()
        geo = _GEO.fullmatch(text) if text[:1] in ":📍g(+-0123456789" else None
        if geo is not None and (geo["pin"] or ("." in geo["lat"] and "." in geo["lon"])):
            lat, lon = float(geo["lat"]), float(geo["lon"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ctx.error(
                    pos, f'Where: "{raw.strip()}" is not a position; expected e.g. "38.67,-90.45"'
                )
            loc.geo = (lat, lon)
            continue
        if "http" in raw:
            written.append(raw)
            if "http" in text:
                text = _URL_WRITTEN.sub("", text)
        if ":" in text or "📍" in text:
            for mark in _PIN_MARKS:
                text = text.replace(mark, "")
        text = " ".join(text.split()).strip(" ,;")
        if ",," in text.replace(" ", ""):
            text = _DOUBLE_COMMA.sub(", ", text)
        if not pieces and not loc.online and (m := _ONLINE.match(text)) is not None:
            loc.online = True
            text = text[m.end() :].strip(" ,;")
        if text:
            pieces.append(text)
    loc.text = ", ".join(pieces)
    if written and (loc.online or not loc.text):  # URLs only matter for an online event's stream
        loc.urls = urls_in(html.unescape("\n".join(written)))
    if not loc.online and (_is_platform_list(loc.text) or (not loc.text and loc.urls)):
        loc.online = True
    return loc


# --------------------------------------------------------------------------- people and groups

_HANDLE_LINK = re.compile(r"\[\s*@[^\]]*\]\([^)]*\)")
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_][\w.-]*")
_PEOPLE_SPLIT = re.compile(r"\s*(?:[,;&/+]|\band\b)\s*")
_GROUP_SPLIT = re.compile(r"\s*[,;]\s*")
_NAME_TRIM = " \t*_`-–—:"


def parse_people(texts: Iterable[str]) -> list[str]:
    """Presenter names: "Name, [@handle](url)", "[Name](url)", "A, B", "A & B", "A and B"; handles dropped."""
    names: list[str] = []
    for raw in texts:
        text = raw
        if "@" in text:
            text = _HANDLE_LINK.sub("", text)
        text = plain(text)
        if "@" in text:
            text = _HANDLE.sub("", text)
        if "(" in text:
            text = _PAREN.sub("", text)
        for part in _PEOPLE_SPLIT.split(text):
            name = " ".join(part.strip(_NAME_TRIM).split())
            if name and not is_unknown(name) and name not in names:
                names.append(name)
    return names


def parse_group_names(texts: Iterable[str]) -> list[str]:
    """Group names from a Hosting Group row; split on commas only, since names contain "&"."""
    names: list[str] = []
    for raw in texts:
        for part in _GROUP_SPLIT.split(plain(raw)):
            name = " ".join(part.strip(_NAME_TRIM).split())
            if name and not is_unknown(name):
                names.append(name)
    return names


def unknown_group_warning(label: str, name: str, options: ParseOptions) -> str:
    """What to tell the organizer when a file names a group the config does not know: it is never announced."""
    known = ", ".join(options.known_groups)
    return (
        f'{label} "{name}" is not a configured group; known: {known}; '
        "fix the name or add it to groups[].aliases in config.yaml"
    )


def warn_unknown_groups(
    ctx: Context,
    rows: Iterable[tuple[int | None, str]],
    label: str,
    groups: Sequence[str],
    options: ParseOptions,
) -> None:
    """When none of the event's `groups` is configured (so nothing will ever announce it): a warning, with
    its line, for each name in the group `rows` that is neither a configured name nor an alias.

    A co-host that is not on Discord beside a configured group is normal and not warned about.
    """
    if any(options.is_configured(group) for group in groups):
        return
    for pos, text in rows:
        for name in parse_group_names([text]):
            if not options.is_configured(name):
                ctx.warn(pos, unknown_group_warning(label, name, options))


def collect_groups(names: Iterable[str], options: ParseOptions) -> list[str]:
    """Canonical group names in order of appearance, each once; the default group when there are none."""
    groups: list[str] = []
    seen: set[str] = set()
    for name in names:
        canonical = options.canonical_group(name)
        key = canonical.casefold()
        if canonical and key not in seen:
            seen.add(key)
            groups.append(canonical)
    if not groups and options.default_group:
        groups.append(options.default_group)
    return groups


# --------------------------------------------------------------------------- counts

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_LIST_SPLIT = re.compile(r"\s*[,;+]\s*")
_COUNT_SPLIT = re.compile(r"\s*[,;+]\s*|\s+(?:&|and)\s+(?=\d)|(?<=\d)\s+(?:&|and)\s+", re.IGNORECASE)
_GROUP_PART = re.compile(r"(?P<name>[^:]+?)\s*:\s*(?P<n>.+)")
_NUMBER_PART = re.compile(r"[^\d:]*?(?P<n>\d+)\+?(?:\s+[^\d:]*)?")


@dataclass(slots=True)
class Count:
    """A reported count: the total (None when unknown) and the per-group parts the row names."""

    total: int | None = None
    by_group: dict[str, int] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)


def _count_part(text: str, raw: str) -> int | None:
    if text.isdecimal():
        return COUNT.from_digits(text)
    m = _NUMBER_PART.fullmatch(text)
    if m is not None:
        return COUNT.from_digits(m["n"])
    if is_unknown(text):
        return None
    raise FieldError(f'"{raw.strip()}" is not a count; {COUNT_EXAMPLE}')


def parse_count(value: str, options: ParseOptions) -> Count:
    """Read "602", "StLGo: 602, KCN-STL: 425" (per group, summed), "504 (14 in Bevy)" (detail ignored),
    "9 YouTube, 2 Twitch" (parts summed, not groups) and "???" (unknown).

    Every part and the total are within `COUNT` (OutOfRange otherwise)."""
    text = value.strip()
    if text.isdecimal():  # the usual case
        return Count(COUNT.from_digits(text))
    text = plain(text)
    if "(" in text:
        text = _PAREN.sub(" ", text)
    if "," in text:
        text = _THOUSANDS.sub("", text)
    text = text.strip()
    if text.isdecimal():  # "504 (14 in Bevy)", "1,234"
        return Count(COUNT.from_digits(text))
    count = Count()
    if is_unknown(text):
        return count
    total = 0
    known = True
    splitter = _COUNT_SPLIT if "&" in text or "and" in text.casefold() else _LIST_SPLIT
    for part in splitter.split(text):
        if not part:
            continue
        grouped = _GROUP_PART.fullmatch(part) if ":" in part else None
        if grouped is not None:
            name = options.canonical_group(grouped["name"].strip(_NAME_TRIM))
            n = _count_part(grouped["n"].strip(), value)
            count.groups.append(name)
            if n is not None:
                count.by_group[name] = count.by_group.get(name, 0) + n
        else:
            n = _count_part(part.strip(), value)
        if n is None:
            known = False
        else:
            total += n
    if known and total > COUNT.high:
        raise OutOfRange(f"the total {COUNT.error(str(total))}")
    count.total = total if known else None
    return count


_INT = re.compile(r"(?:~|about\s+|approx\.?\s+)?(?P<n>\d+)\+?(?:\s+[A-Za-z][A-Za-z ]*)?", re.IGNORECASE)


def parse_int(value: str, limit: Limit = CAPACITY) -> int | None:
    """A capacity such as "50" or "1,200 seats" (within `limit`, else OutOfRange); None for placeholders."""
    text = _THOUSANDS.sub("", plain(value)).strip()
    if is_unknown(text):
        return None
    m = _INT.fullmatch(text)
    if m is None:
        raise FieldError(f'"{value.strip()}" is not a number; expected e.g. "50"')
    return limit.from_digits(m["n"])


_STATUS_OK = frozenset(
    {
        "scheduled",
        "confirmed",
        "active",
        "planned",
        "upcoming",
        "on",
        "open",
        "happening",
        "rescheduled",
        "postponed",
        "tentative",
        "done",
        "completed",
        "held",
        "past",
        "full",
        "sold out",
        "waitlist",
    }
)


def parse_status(value: str) -> bool | None:
    """True for "Cancelled"/"Canceled", False for other known statuses, None when not understood."""
    text = plain(value).strip().casefold()
    if _CANCEL_WORDS.intersection(_WORDS.findall(text)):
        return True
    if is_unknown(text) or text in _STATUS_OK:
        return False
    return None


def first_url(value: str) -> str | None:
    urls = urls_in(value)
    return urls[0] if urls else None


# --------------------------------------------------------------------------- start and end


def event_times(
    ctx: Context,
    *,
    day: date,
    tz: ZoneInfo,
    time_range: TimeRange | None,
    time_pos: int | None,
    agenda: Sequence[tuple[int, int | None, str]],
    options: ParseOptions,
) -> tuple[datetime, datetime, list[AgendaItem]]:
    """Start and end: the agenda's first and latest times, else the Time row, else the configured defaults."""
    base = datetime(day.year, day.month, day.day, tzinfo=tz)
    items: list[AgendaItem] = []
    if agenda:
        moments: dict[int, datetime] = {}  # one datetime per distinct time (ends meet the next starts)
        start = latest = agenda[0][0]
        for s, e, title in agenda:
            starts = moments.get(s) or moments.setdefault(s, base + timedelta(0, s * 60))
            ends = None if e is None else moments.get(e) or moments.setdefault(e, base + timedelta(0, e * 60))
            items.append(AgendaItem(starts, ends, title))
            start = min(start, s)
            latest = max(latest, s if e is None else e)
        starts_at = moments[start]
        if latest > start:
            ends_at = moments[latest]
        elif time_range is not None and time_range.end is not None and time_range.end > start:
            ends_at = base + timedelta(0, time_range.end * 60)
        else:
            ends_at = starts_at + options.default_duration
    elif time_range is not None:
        starts_at = base + timedelta(0, time_range.start * 60)
        if time_range.end is None:
            ends_at = starts_at + options.default_duration
        else:
            ends_at = base + timedelta(0, time_range.end * 60)
    else:
        starts_at = datetime.combine(day, options.default_start.replace(tzinfo=None), tzinfo=tz)
        ends_at = starts_at + options.default_duration
    if ends_at < starts_at:
        raise ctx.error(time_pos, "the event ends before it starts")
    return starts_at, ends_at, items


def event_zone(
    ctx: Context, explicit: str | None, time_range: TimeRange | None, options: ParseOptions
) -> str:
    """The zone the file names (a timezone field, then the Time row's abbreviation), else the configured."""
    if explicit:
        return explicit
    if time_range is not None and time_range.zone:
        return time_range.zone
    with ctx.about("the configured timezone", None):
        zone(options.timezone)
    return options.timezone


# =========================================================================== the markdown page

_STRUCTURE = re.compile(
    r"\n {0,3}(?:(?P<hashes>#{1,2})(?:[ \t]+(?P<name>[^\n]*))?(?=\n|\Z)"
    r"|(?P<fence>```|~~~)|(?P<setext>=+)[ \t]*(?=\n|\Z))"
)
_CLOSING_HASHES = re.compile(r"[ \t]+#+$")
_FRONT_MATTER = re.compile(r"\n---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)", re.DOTALL)
_ROW = re.compile(r"\n[ \t]*\|(?P<key>[^|\n]*)(?:\|(?P<value>[^|\n]*)(?P<more>[^\n]*))?")
_ONE_CELL = re.compile(r"\s*(\*\*[^*]+\*\*:?|__[^_]+__:?)(.*)")

_META_KEYS = {
    "when": "when",
    "date": "when",
    "time": "time",
    "times": "time",
    "timezone": "timezone",
    "time zone": "timezone",
    "where": "where",
    "location": "where",
    "venue": "where",
    "presenter": "presenters",
    "presenters": "presenters",
    "speaker": "presenters",
    "speakers": "presenters",
    "hosting group": "groups",
    "hosting groups": "groups",
    "host group": "groups",
    "host groups": "groups",
    "group membership": "membership",
    "membership": "membership",
    "members": "membership",
    "total rsvps": "rsvps",
    "total rsvp": "rsvps",
    "rsvps": "rsvps",
    "total attendance": "attendance",
    "attendance": "attendance",
    "capacity": "capacity",
    "status": "status",
    "stream": "stream",
    "stream url": "stream",
    "livestream": "stream",
    "live stream": "stream",
}
_LABELS = {
    "when": "When",
    "time": "Time",
    "timezone": "Timezone",
    "where": "Where",
    "presenters": "Presenter",
    "groups": "Hosting Group",
    "membership": "Group Membership",
    "rsvps": "Total RSVPs",
    "attendance": "Total Attendance",
    "capacity": "Capacity",
    "status": "Status",
    "stream": "Stream",
}
_REPEATABLE = frozenset({"presenters", "groups"})
_KNOWN_KEYS_TEXT = ", ".join(_LABELS.values())
_AGENDA_SECTIONS = frozenset({"event", "agenda", "schedule", "event agenda", "event schedule"})
_WHEN_EXAMPLE = '"| **When:** | Wednesday, November 16, 2022 |"'

Rows = dict[str, list[tuple[int, str]]]  # canonical key -> (position, value) per row, continuations included


@dataclass(slots=True)
class _Section:
    name: str
    key: str  # casefolded name without a trailing colon
    pos: int  # position of the heading
    start: int  # offset of the body
    end: int  # offset after the body


@dataclass(slots=True)
class _Page:
    title: str | None = None
    title_pos: int = 0
    preamble: tuple[int, int] = (0, 0)
    sections: list[_Section] = field(default_factory=list)


def _blank_keep_lines(match: re.Match[str]) -> str:
    return "\n" * match[0].count("\n")


def _normalise(text: str) -> str:
    """The page with a "\\n" in front, "\\n" line ends, no BOM, HTML comments blanked out (lines kept)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<!--" in text:
        text = _COMMENT.sub(_blank_keep_lines, text)
    return "\n" + text


def _scan(text: str, ctx: Context) -> _Page:
    """Find the title, the text under it and the `##` sections, ignoring fenced code."""
    page = _Page()
    sections = page.sections
    end = len(text)
    front = _FRONT_MATTER.match(text) if text.startswith("\n---") else None
    fence = ""
    current: _Section | None = None
    in_preamble = False
    for m in _STRUCTURE.finditer(text, front.end() if front else 0):
        hashes, name, marker, setext = m.groups()
        if fence:
            if marker == fence:
                fence = ""
            continue
        if marker:
            fence = marker
            continue
        pos = m.start()
        if setext:
            above_pos = text.rfind("\n", 0, pos)
            above = text[above_pos + 1 : pos].strip()
            if page.title is None and current is None and above and above[0] not in "|#-*":
                page.title, page.title_pos = html.unescape(above), above_pos
                page.preamble, in_preamble = (m.end(), end), True
            continue
        name = name.strip() if name else ""
        if name.endswith("#"):
            name = _CLOSING_HASHES.sub("", name)
        if "&" in name:
            name = html.unescape(name)
        if len(hashes) == 1:
            if page.title is None:
                if current is not None:
                    current.end = pos
                    current = None
                page.title, page.title_pos = name, pos
                page.preamble, in_preamble = (m.end(), end), True
                continue
            ctx.warn(pos, f'a second title "# {name}"; read as a section')
        if in_preamble:
            page.preamble, in_preamble = (page.preamble[0], pos), False
        if current is not None:
            current.end = pos
        current = _Section(name, name.rstrip(":").strip().casefold(), pos, m.end(), end)
        sections.append(current)
    return page


def _cells_value(cells: str) -> str:
    """The value of a row with more than two cells (joined with ", "); `\\|` is a pipe inside a cell."""
    parts = cells.replace("\\|", "\0").split("|")
    return ", ".join(p.strip().replace("\0", "|") for p in parts if p.strip())


def _broken(pos: int, value: str) -> list[tuple[int, str]]:
    """A cell's value as lines: `<br>` inside a cell is a line break, read like a continuation row."""
    return [(pos, part.strip()) for part in _BR.split(value)]


def _is_separator(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") and "-" in s and not s.strip("|-: \t")


def _meta_rows(text: str, metas: Sequence[_Section], ctx: Context) -> tuple[Rows, bool]:
    """Rows of every Meta table by canonical key, and whether there was a table at all.

    A row with an empty key continues the row above it (a second address line, a second presenter).
    """
    rows: Rows = {}
    saw_table = False
    for sec in metas:
        target: list[tuple[int, str]] | None = None
        for m in _ROW.finditer(text, sec.start, sec.end):
            saw_table = True
            key_cell, value, more = m.groups()
            if not value or value.isspace():  # perhaps one cell: "| **When:** Wednesday, ... |"
                one = _ONE_CELL.fullmatch(key_cell) if "**" in key_cell or "__" in key_cell else None
                if one is not None and one[2].strip():
                    key_cell, value = one.groups()
            value = value.strip() if value else ""
            if more and len(more) > 1 and (more.strip("| \t") or value.endswith("\\")):
                value = _cells_value(value + more)
            written = key_cell.strip("*_:- \t")
            pos = m.start()
            if not written:
                if not value.strip("-:| \t"):  # the empty header row, the separator row
                    continue
                if target is not None:
                    target.extend(_broken(pos, value) if "<" in value else [(pos, value)])
                else:
                    ctx.warn(pos, "Meta: a row with no key and no row above it to continue; ignored")
                continue
            folded = written.casefold()
            key = _META_KEYS.get(folded) or _META_KEYS.get(" ".join(folded.split()))
            if key is None:
                target = None
                next_end = text.find("\n", m.end() + 1)
                if not _is_separator(text[m.end() + 1 : next_end if next_end >= 0 else None]):
                    ctx.warn(pos, f'Meta: unknown key "{written}" ignored; known keys: {_KNOWN_KEYS_TEXT}')
                continue
            if key in rows and key not in _REPEATABLE:
                target = None
                first = ctx.line(rows[key][0][0])
                ctx.warn(pos, f"Meta: {_LABELS[key]} given again (first on line {first}); keeping the first")
                continue
            target = rows[key] = rows.get(key, [])
            if "<" in value:
                target.extend(_broken(pos, value))
            else:
                target.append((pos, value))
    return rows, saw_table


def _agenda(text: str, sections: Iterable[_Section], ctx: Context) -> list[RawAgendaItem]:
    """Bullets that start with a time, in the Event/Agenda sections; other bullets are not items."""
    items: list[RawAgendaItem] = []
    for sec in sections:
        if sec.key in _AGENDA_SECTIONS:
            for m in _AGENDA_BULLET.finditer(text, sec.start, sec.end):
                with ctx.about("agenda", m.start()):
                    items.append(_agenda_item(m, m.start()))
    return items


def _unescape(text: str) -> str:
    """`html.unescape`, with a quick path for text whose only entity is "&amp;" (prose: "Go &amp; Rust")."""
    if text.count("&") == text.count("&amp;"):
        return text.replace("&amp;", "&")
    return html.unescape(text)


def _sections(text: str, sections: Iterable[_Section]) -> dict[str, str]:
    out: dict[str, str] = {}
    for sec in sections:
        if sec.key == "meta":
            continue
        body = text[sec.start : sec.end].strip()
        if "&" in body:
            body = _unescape(body)
        out[sec.name] = f"{out[sec.name]}\n\n{body}" if sec.name in out else body
    return out


def _joined(rows: Sequence[tuple[int, str]], sep: str) -> str:
    if len(rows) == 1:
        return rows[0][1]
    return sep.join(text for _, text in rows if text).strip()


def _when_and_time(ctx: Context, rows: Rows, meta_pos: int) -> tuple[DateValue, TimeRange | None, int]:
    """The date (required), the Time row (or a time written after the date) and the position to blame."""
    when_rows = rows.get("when")
    if not when_rows:
        raise ctx.error(meta_pos, f"the Meta table has no When row; expected e.g. {_WHEN_EXAMPLE}")
    when_pos = when_rows[0][0]
    with ctx.about("When", when_pos):
        when = parse_date(_joined(when_rows, " "))
    for note in when.warnings:
        ctx.warn(when_pos, f"When: {note}")
    if time_rows := rows.get("time"):
        with ctx.about("Time", time_rows[0][0]):
            return when, parse_time(_joined(time_rows, " ")), time_rows[0][0]
    if when.rest:
        try:
            return when, parse_time(when.rest), when_pos
        except FieldError:
            ctx.warn(when_pos, f'When: ignored "{when.rest}" after the date (not a time)')
    return when, None, when_pos


def _counts(
    ctx: Context, rows: Rows, options: ParseOptions
) -> tuple[dict[str, int | None], dict[str, dict[str, int]], list[str]]:
    reported: dict[str, int | None] = dict.fromkeys(REPORTED_FIELDS)
    by_group: dict[str, dict[str, int]] = {}
    groups: list[str] = []
    for name in REPORTED_FIELDS:
        if count_rows := rows.get(name):
            written = _joined(count_rows, ", ")
            with ctx.about(_LABELS[name], count_rows[0][0]):
                if written.isdecimal():  # the usual case, without the machinery
                    reported[name] = COUNT.from_digits(written)
                    continue
                count = parse_count(written, options)
            reported[name] = count.total
            if count.by_group:
                by_group[name] = count.by_group
            groups.extend(count.groups)
    return reported, by_group, groups


def _cancelled(ctx: Context, rows: Rows, title: Title) -> bool:
    status_rows = rows.get("status")
    if not status_rows:
        return title.cancelled
    written = _joined(status_rows, " ")
    status = parse_status(written)
    if status is None:
        ctx.warn(status_rows[0][0], f'Status: "{written}" not understood; expected e.g. "Cancelled"')
    return title.cancelled or bool(status)


def _parse(text: str, slug: str, source: str, options: ParseOptions) -> EventRecord:
    text = _normalise(text)
    ctx = Context(source, text)
    page = _scan(text, ctx)
    metas = [s for s in page.sections if s.key == "meta"]
    if not metas:
        raise NotAnEvent(source, 'no "## Meta" table, so not an event page')
    if page.title is None:
        raise ctx.error(metas[0].pos, 'no title; expected a first line like "# Intro to Go"')
    rows, saw_table = _meta_rows(text, metas, ctx)
    if not saw_table:
        raise ctx.error(metas[0].pos, f"the Meta section has no table; expected rows like {_WHEN_EXAMPLE}")

    with ctx.about("Title", page.title_pos):
        title = parse_title(page.title)
    when, time_range, time_pos = _when_and_time(ctx, rows, metas[0].pos)
    explicit_zone: str | None = None
    if tz_rows := rows.get("timezone"):
        with ctx.about("Timezone", tz_rows[0][0]):
            explicit_zone = zone_name(_joined(tz_rows, " "))
    tz_name = event_zone(ctx, explicit_zone, time_range, options)

    place = parse_where(ctx, rows.get("where", ()))
    stream_url: str | None = None
    if stream_rows := rows.get("stream"):
        stream_url = first_url(_joined(stream_rows, " "))
    if stream_url is None and place.online and place.urls:
        stream_url = place.urls[0]
    reported, by_group, count_groups = _counts(ctx, rows, options)
    capacity: int | None = None
    if capacity_rows := rows.get("capacity"):
        with ctx.about("Capacity", capacity_rows[0][0]):
            capacity = parse_int(_joined(capacity_rows, " "))

    raw_agenda = _agenda(text, page.sections, ctx)
    agenda = resolve_agenda(ctx, raw_agenda, time_range)
    starts_at, ends_at, items = event_times(
        ctx,
        day=when.day,
        tz=zone(tz_name),
        time_range=time_range,
        time_pos=time_pos,
        agenda=agenda,
        options=options,
    )
    group_rows = rows.get("groups", [])
    hosting_groups = collect_groups([*parse_group_names(t for _, t in group_rows), *count_groups], options)
    warn_unknown_groups(ctx, group_rows, "Hosting Group", hosting_groups, options)
    preamble = text[page.preamble[0] : page.preamble[1]]
    return EventRecord(
        slug=slug,
        title=title.text,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz_name,
        source=source,
        title_notes=title.notes,
        online=place.online,
        location=place.text,
        stream_url=stream_url,
        geo=place.geo,
        presenters=parse_people(t for _, t in rows.get("presenters", ())),
        hosting_groups=hosting_groups,
        reported=reported,
        reported_by_group=by_group,
        agenda=items,
        links=list(dict.fromkeys(urls_in(preamble))),
        sections=_sections(text, page.sections),
        capacity=capacity,
        cancelled=_cancelled(ctx, rows, title),
        warnings=ctx.warnings,
        start_is_default=not agenda and time_range is None,
        **(_locations(ctx, rows, page.title_pos, raw_agenda) if options.locate else {}),
    )


_LOCATED_KEYS = ("when", "time", "timezone", "where", "capacity", "rsvps", "groups")


def _locations(ctx: Context, rows: Rows, title_pos: int, agenda: Sequence[RawAgendaItem]) -> dict[str, Any]:
    """`EventRecord.lines` and `agenda_lines` (for lint): the line of the title, of each Meta row's first
    line, and of each agenda item kept (items without a title are skipped, as `resolve_agenda` does)."""
    lines = {"title": ctx.line(title_pos) or 1}
    for key in _LOCATED_KEYS:
        if found := rows.get(key):
            line = ctx.line(found[0][0])
            if line:
                lines[key] = line
    return {"lines": lines, "agenda_lines": [ctx.line(item.pos) for item in agenda if item.title]}


def parse_markdown(text: str, *, slug: str, source: str, options: ParseOptions) -> EventRecord:
    """Parse one markdown event page.

    Raises NotAnEvent for a page without a Meta table (an index page) and EventFileError, with the
    line, for an event page that cannot be read; never any other exception.
    """
    try:
        return _parse(text, slug, source, options)
    except (EventFileError, NotAnEvent):
        raise
    except Exception as exc:  # one odd file never shows a traceback
        raise unexpected_error(source, exc, "could not be parsed", "this is a bug in the parser") from exc
