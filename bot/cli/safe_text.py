"""Text from event files and members, made safe to print on the operator's terminal.

A title such as "\\x1b[2J\\x1b]0;pwned\\x07" would clear the screen and retitle the window of whoever runs
`meetup-bot events`; bidirectional overrides make a line read differently from what it holds. Every
CLI printing path passes what it did not write itself through here: control characters (C0, DEL, C1)
and bidi controls are shown as visible escapes (`\\x1b`, `\\u202e`), so nothing is lost or acted on.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["safe_block", "safe_json", "safe_line"]

# C0 (tab and newline too: a value must not start a line of its own), DEL, C1, and the bidi controls
_LINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# the same, for text printed as it is (a file, CSV, iCalendar): its tabs and line ends stay
_BLOCK_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)"
)
# what json.dumps(ensure_ascii=False) leaves raw inside strings (it escapes C0 itself)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def safe_line(text: object) -> str:
    """`text` for one line of output: every control character shown as an escape, newlines too."""
    value = str(text)
    return value if value.isprintable() else _LINE_UNSAFE.sub(_visible, value)


def safe_block(text: str) -> str:
    """Text printed as it is (a file, CSV, an iCalendar feed): tabs and line ends kept, a lone carriage
    return and every other control character shown as an escape."""
    return _BLOCK_UNSAFE.sub(_visible, text)


def safe_json(data: Any, **options: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, ...)`, with DEL, C1 and bidi controls as `\\uXXXX` escapes:
    still valid JSON holding the same strings, but nothing in it acts on a terminal."""
    return _JSON_UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False, **options))
