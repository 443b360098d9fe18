"""The ranges the numbers in an event file must fall in, so that no value in one file can stop an import.

A number is checked where it is read (with the file's line), before it is converted: a 5,000-digit
"capacity" must be an error for that file, not an OverflowError from the database or a ValueError from
Python's int() limit. The ranges are generous for a meetup and keep every value inside what both
databases store (PostgreSQL's INTEGER is 32-bit) and what date arithmetic can reach (a reminder a week
before year 1 would not exist).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CAPACITY",
    "COUNT",
    "LATITUDE",
    "LONGITUDE",
    "YEAR",
    "Limit",
    "OutOfRange",
    "shown_number",
]


class OutOfRange(ValueError):
    """A number outside its field's range; the message says which range and what to do."""


def shown_number(text: str) -> str:
    """A number as an error message quotes it: in full when short, else its start and its length."""
    text = text.strip()
    if len(text) <= 40:
        return text
    return f"{text[:20]}… ({len(text)} characters)"


@dataclass(frozen=True, slots=True)
class Limit:
    """An inclusive range of whole numbers (or, for `check_float`, of decimals)."""

    low: int
    high: int
    fix: str = "fix the number"

    @property
    def text(self) -> str:
        return f"{self.low}–{self.high}"

    def error(self, written: str) -> OutOfRange:
        return OutOfRange(f"{shown_number(written)} is out of range ({self.text}); {self.fix}")

    def check(self, value: int) -> int:
        """`value` itself, or OutOfRange."""
        if not self.low <= value <= self.high:
            raise self.error(str(value))
        return value

    def from_digits(self, digits: str) -> int:
        """The number a run of decimal digits writes, checked before it is converted: int() of a very
        long run is slow and, past 4,300 digits, a ValueError."""
        significant = digits.lstrip("0") or "0"
        if len(significant) > len(str(max(abs(self.low), abs(self.high)))):
            raise self.error(digits)
        return self.check(int(significant))

    def check_float(self, value: float | int) -> float:
        """`value` as a float within the range; NaN, infinities and huge integers are out of range."""
        if isinstance(value, int) and abs(value) > 10 * max(abs(self.low), abs(self.high)):
            raise self.error(str(value))
        number = float(value)
        if math.isnan(number) or not self.low <= number <= self.high:
            raise self.error(str(value))
        return number


# A room for a meetup; 0 would put every member on the waitlist (a typo, not a plan).
CAPACITY = Limit(1, 100_000)
# Reported membership, RSVPs and attendance, per group and in total.
COUNT = Limit(0, 1_000_000)
LATITUDE = Limit(-90, 90)
LONGITUDE = Limit(-180, 180)
# Event years: far from the ends of Python's dates (1-9999), so that reminders and time zones never
# step outside them.
YEAR = Limit(1900, 2999, "fix the date")

# What the database columns hold, whatever the parser lets through (checked once more before storing).
INT32 = Limit(-(2**31), 2**31 - 1)
