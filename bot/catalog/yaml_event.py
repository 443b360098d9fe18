"""Parse an event written as YAML (the fields of a markdown page's Meta table) into an EventRecord.

YAML suits organisers who generate event files from a script.  The values go through the markdown
module's value parsers, so "6:00pm - 8:00pm CST" or "StLGo: 9, KCN-STL: 14" mean the same in both
formats.  Unknown keys are errors: a typo such as `tittle:` must not silently drop the title.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

import yaml

from bot.catalog.limits import CAPACITY, COUNT, LATITUDE, LONGITUDE, OutOfRange, shown_number
from bot.catalog.markdown import (
    COUNT_EXAMPLE,
    Context,
    FieldError,
    RawAgendaItem,
    TimeRange,
    collect_groups,
    event_times,
    event_zone,
    is_unknown,
    parse_agenda_text,
    parse_count,
    parse_date,
    parse_group_names,
    parse_int,
    parse_people,
    parse_time,
    parse_title,
    parse_where,
    resolve_agenda,
    split_clock_range,
    urls_in,
    warn_unknown_groups,
    zone,
    zone_name,
)
from bot.catalog.record import REPORTED_FIELDS, EventFileError, EventRecord, ParseOptions, unexpected_error

__all__ = ["ALLOWED_KEYS", "parse_yaml"]

ALLOWED_KEYS = (
    "agenda",
    "cancelled",
    "capacity",
    "date",
    "geo",
    "hosting_group",
    "hosting_groups",
    "links",
    "location",
    "online",
    "presenter",
    "presenters",
    "reported",
    "sections",
    "stream_url",
    "time",
    "timezone",
    "title",
    "when",
    "where",
)
_ALLOWED = frozenset(ALLOWED_KEYS)
_ALTERNATIVES = (
    ("when", "date"),
    ("where", "location"),
    ("presenters", "presenter"),
    ("hosting_groups", "hosting_group"),
)
_AGENDA_KEYS = ("time", "title")

# YAML 1.1 reads `18:00` as 1080 (base 60), `2024-03-20` as a date and `no` as false; the event parsers
# want what the organiser wrote, so the loader only knows plain integers, decimals and true/false.
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_PLAIN_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
# at most 30 characters: a longer run of digits stays text, so that the field's parser reports it as out
# of range instead of int() failing on it (Python refuses to convert over 4,300 digits)
_PLAIN_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]{0,29})$")
_PLAIN_FLOAT = re.compile(r"^[-+]?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?$")


@cache
def _loader() -> Any:
    """A safe loader (the C one when PyYAML has it) whose implicit types are the plain ones above."""
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dropped = {_BOOL_TAG, _INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG}
    resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag not in dropped]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    loader: Any = type("EventLoader", (base,), {"yaml_implicit_resolvers": resolvers})
    loader.add_implicit_resolver(_BOOL_TAG, _PLAIN_BOOL, list("tTfF"))
    loader.add_implicit_resolver(_INT_TAG, _PLAIN_INT, list("-+0123456789"))
    loader.add_implicit_resolver(_FLOAT_TAG, _PLAIN_FLOAT, list("-+0123456789."))
    return loader


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f'the text "{value}"'
    return type(value).__name__


def _unknown_key(key: object) -> str:
    close = difflib.get_close_matches(str(key), ALLOWED_KEYS, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f'unknown key "{key}"; {hint}allowed keys: {", ".join(ALLOWED_KEYS)}'


def _load(text: str, ctx: Context) -> tuple[dict[str, Any], dict[str, int], dict[str, Any]]:
    """The document's mapping, the line of each key, and each key's node (for lines inside lists)."""
    loader = _loader()(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise ctx.error(None, "is empty; expected keys such as title:, when: and where:")
        if not isinstance(root, yaml.MappingNode):
            raise ctx.error(root.start_mark.line + 1, "is not a mapping; expected keys such as title:, when:")
        lines: dict[str, int] = {}
        nodes: dict[str, Any] = {}
        for key_node, value_node in root.value:
            line = key_node.start_mark.line + 1
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(a complex key)"
            if key not in _ALLOWED:
                raise ctx.error(line, _unknown_key(key))
            if key in lines:
                raise ctx.error(line, f'key "{key}" given twice (first on line {lines[key]})')
            lines[key], nodes[key] = line, value_node
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "unreadable"
        raise ctx.error(mark.line + 1 if mark else None, f"is not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise ctx.error(None, f"is not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, lines, nodes


class _Doc:
    """The loaded mapping with typed getters whose errors name the key and its line."""

    def __init__(
        self, ctx: Context, data: dict[str, Any], lines: dict[str, int], nodes: dict[str, Any]
    ) -> None:
        self.ctx = ctx
        self.data = data
        self.lines = lines
        self.nodes = nodes

    def error(self, key: str, message: str, line: int | None = None) -> EventFileError:
        return self.ctx.error(line or self.lines.get(key), f"{key}: {message}")

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(key, f"expected text, got {_kind(value)}")
        return str(value)

    def texts(self, key: str) -> list[str]:
        """A list of texts; a single text is a list of one."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            raise self.error(key, f"expected a list of texts, got {_kind(value)}")
        return [str(v) for v in value if not isinstance(v, bool)]

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.error(key, f"expected true or false, got {_kind(value)}")

    def one_of(self, first: str, second: str) -> str:
        if first in self.data and second in self.data:
            raise self.error(second, f'give either "{first}" or "{second}", not both')
        return second if second in self.data else first

    def item_line(self, key: str, index: int) -> int | None:
        """The line of the index-th entry of a list, else the key's line."""
        node = self.nodes.get(key)
        if isinstance(node, yaml.SequenceNode) and index < len(node.value):
            return int(node.value[index].start_mark.line) + 1
        return self.lines.get(key)


def _geo(doc: _Doc) -> tuple[float, float] | None:
    value = doc.data.get("geo")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = [float(part) for part in value.split(",")]
        except ValueError:
            raise doc.error("geo", f'"{value}" is not a position; expected [38.67, -90.45]') from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise doc.error("geo", f"expected [latitude, longitude], got {_kind(value)}")
    try:  # NaN, infinities and integers too big for a float are out of range too
        return LATITUDE.check_float(value[0]), LONGITUDE.check_float(value[1])
    except OutOfRange:
        shown = ", ".join(shown_number(str(float(v) if abs(v) < 1e6 else v)) for v in value)
        raise doc.error("geo", f"[{shown}] is not a position; expected [38.67, -90.45]") from None


def _capacity(doc: _Doc) -> int | None:
    value = doc.data.get("capacity")
    if value is None:
        return None
    with doc.ctx.about("capacity", doc.lines["capacity"]):
        if isinstance(value, int) and not isinstance(value, bool):
            return CAPACITY.check(value)
        if isinstance(value, str):
            return parse_int(value, CAPACITY)
    raise doc.error("capacity", f"expected a number such as 50, got {_kind(value)}")


def _one_count(doc: _Doc, name: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and is_unknown(value)):
        return None
    try:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return COUNT.check(value)
        if isinstance(value, str) and value.strip().isdecimal():
            return COUNT.from_digits(value.strip())
    except OutOfRange as exc:
        raise doc.error("reported", f"{name}: {exc}") from None
    raise doc.error("reported", f"{name}: {_kind(value)} is not a count; {COUNT_EXAMPLE}")


def _reported(
    doc: _Doc, options: ParseOptions
) -> tuple[dict[str, int | None], dict[str, dict[str, int]], list[str]]:
    """`reported: {membership, rsvps, attendance}`, each a count, a text like the markdown rows, or
    a mapping of group to count."""
    reported: dict[str, int | None] = dict.fromkeys(REPORTED_FIELDS)
    by_group: dict[str, dict[str, int]] = {}
    groups: list[str] = []
    value = doc.data.get("reported")
    if value is None:
        return reported, by_group, groups
    if not isinstance(value, Mapping):
        raise doc.error(
            "reported", f"expected a mapping with {', '.join(REPORTED_FIELDS)}, got {_kind(value)}"
        )
    for name, count in value.items():
        if name not in REPORTED_FIELDS:
            raise doc.error("reported", f'unknown count "{name}"; allowed: {", ".join(REPORTED_FIELDS)}')
        if isinstance(count, Mapping):
            parts: dict[str, int] = {}
            total: int | None = 0
            for group, n in count.items():
                canonical = options.canonical_group(str(group))
                groups.append(canonical)
                part = _one_count(doc, f"{name}: {group}", n)
                if part is None:
                    total = None
                else:
                    parts[canonical] = parts.get(canonical, 0) + part
                    total = None if total is None else total + part
            if total is not None and total > COUNT.high:
                raise doc.error("reported", f"{name}: the total {COUNT.error(str(total))}")
            reported[name] = total
            if parts:
                by_group[name] = parts
        elif isinstance(count, str):
            with doc.ctx.about(f"reported: {name}", doc.lines["reported"]):
                parsed = parse_count(count, options)
            reported[name] = parsed.total
            if parsed.by_group:
                by_group[name] = parsed.by_group
            groups.extend(parsed.groups)
        else:
            reported[name] = _one_count(doc, name, count)
    return reported, by_group, groups


def _agenda(doc: _Doc) -> list[RawAgendaItem]:
    """`agenda:` items, each `{time: "5:30pm - 6:00pm", title: ...}` or a line like a markdown bullet."""
    value = doc.data.get("agenda")
    if value is None:
        return []
    if not isinstance(value, list):
        raise doc.error("agenda", f"expected a list of items, got {_kind(value)}")
    items: list[RawAgendaItem] = []
    for index, entry in enumerate(value):
        line = doc.item_line("agenda", index)
        if isinstance(entry, str):
            with doc.ctx.about("agenda", line):
                item = parse_agenda_text(entry, line)
            if item is None:
                raise doc.error(
                    "agenda",
                    f'"{entry}" does not start with a time; expected e.g. "5:30pm - 6:00pm Talk"',
                    line,
                )
            items.append(item)
            continue
        if not isinstance(entry, Mapping):
            raise doc.error(
                "agenda",
                f"expected an item like {{time: 5:30pm - 6:00pm, title: Talk}}, got {_kind(entry)}",
                line,
            )
        unknown = [k for k in entry if k not in _AGENDA_KEYS]
        if unknown:
            raise doc.error(
                "agenda", f'unknown key "{unknown[0]}" in an item; allowed keys: time, title', line
            )
        when, title = entry.get("time"), entry.get("title")
        if (
            not isinstance(when, str | int)
            or isinstance(when, bool)
            or not isinstance(title, str)
            or not title.strip()
        ):
            raise doc.error(
                "agenda",
                "each item needs a time and a title, e.g. {time: 5:30pm - 6:00pm, title: Talk}",
                line,
            )
        clocks = split_clock_range(str(when))
        if clocks is None:
            raise doc.error("agenda", f'"{when}" is not a time; expected e.g. "5:30pm - 6:00pm"', line)
        items.append(RawAgendaItem(line, clocks[0], clocks[1], " ".join(title.split()), f"{when} {title}"))
    return items


def _sections(doc: _Doc) -> dict[str, str]:
    value = doc.data.get("sections")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise doc.error("sections", f"expected a mapping of heading to text, got {_kind(value)}")
    sections: dict[str, str] = {}
    for heading, body in value.items():
        if body is not None and (isinstance(body, bool) or not isinstance(body, str | int | float)):
            raise doc.error("sections", f'"{heading}": expected text, got {_kind(body)}')
        sections[str(heading)] = "" if body is None else str(body).strip()
    return sections


def _links(doc: _Doc) -> list[str]:
    links = doc.texts("links")
    for link in links:
        if not link.startswith(("http://", "https://")):
            raise doc.error("links", f'"{link}" is not a link; expected e.g. "https://www.meetup.com/..."')
    return list(dict.fromkeys(links))


def _where_rows(doc: _Doc, key: str) -> list[tuple[int | None, str]]:
    line = doc.lines.get(key)
    return [(line, part) for text in doc.texts(key) for part in text.split("\n")]


def _item_rows(doc: _Doc, key: str) -> list[tuple[int | None, str]]:
    """The texts of a key with the line of each (a list item's own line, else the key's)."""
    texts = doc.texts(key)
    node = doc.nodes.get(key)
    if isinstance(node, yaml.SequenceNode) and len(node.value) == len(texts):
        return [(item.start_mark.line + 1, text) for item, text in zip(node.value, texts, strict=True)]
    return [(doc.lines.get(key), text) for text in texts]


def _parse(text: str, slug: str, source: str, options: ParseOptions) -> EventRecord:
    ctx = Context(source)
    doc = _Doc(ctx, *_load(text, ctx))
    for first, second in _ALTERNATIVES:
        doc.one_of(first, second)

    title_text = doc.text("title")
    if not title_text or not title_text.strip():
        raise ctx.error(doc.lines.get("title"), 'title: missing; expected e.g. title: "Intro to Go"')
    with ctx.about("title", doc.lines["title"]):
        title = parse_title(title_text)

    when_key = doc.one_of("when", "date")
    when_text = doc.text(when_key)
    if not when_text:
        raise ctx.error(doc.lines.get(when_key), 'when: missing; expected e.g. when: "2024-03-20"')
    with ctx.about(when_key, doc.lines[when_key]):
        when = parse_date(when_text)
    for note in when.warnings:
        ctx.warn(doc.lines[when_key], f"{when_key}: {note}")

    time_range: TimeRange | None = None
    time_line = doc.lines.get("time", doc.lines[when_key])
    if (time_text := doc.text("time")) is not None:
        with ctx.about("time", time_line):
            time_range = parse_time(time_text)
    elif when.rest:
        try:
            time_range = parse_time(when.rest)
        except FieldError:
            ctx.warn(time_line, f'{when_key}: ignored "{when.rest}" after the date (not a time)')
    explicit_zone: str | None = None
    if zone_text := doc.text("timezone"):
        with ctx.about("timezone", doc.lines["timezone"]):
            explicit_zone = zone_name(zone_text)
    tz_name = event_zone(ctx, explicit_zone, time_range, options)

    place = parse_where(ctx, _where_rows(doc, doc.one_of("where", "location")))
    online = doc.flag("online")
    stream_url = doc.text("stream_url")
    if stream_url is not None and not urls_in(stream_url):
        raise doc.error(
            "stream_url", f'"{stream_url}" is not a link; expected e.g. "https://youtube.com/live/..."'
        )
    if stream_url is None and place.online and place.urls:
        stream_url = place.urls[0]
    geo = _geo(doc) or place.geo

    reported, by_group, count_groups = _reported(doc, options)
    raw_agenda = _agenda(doc)
    agenda = resolve_agenda(ctx, raw_agenda, time_range)
    starts_at, ends_at, items = event_times(
        ctx,
        day=when.day,
        tz=zone(tz_name),
        time_range=time_range,
        time_pos=time_line,
        agenda=agenda,
        options=options,
    )
    group_key = doc.one_of("hosting_groups", "hosting_group")
    group_rows = _item_rows(doc, group_key)
    hosting_groups = collect_groups([*parse_group_names(t for _, t in group_rows), *count_groups], options)
    warn_unknown_groups(ctx, group_rows, f"{group_key}:", hosting_groups, options)
    return EventRecord(
        slug=slug,
        title=title.text,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz_name,
        source=source,
        title_notes=title.notes,
        online=place.online if online is None else online,
        location=place.text,
        stream_url=stream_url,
        geo=geo,
        presenters=parse_people(doc.texts(doc.one_of("presenters", "presenter"))),
        hosting_groups=hosting_groups,
        reported=reported,
        reported_by_group=by_group,
        agenda=items,
        links=_links(doc),
        sections=_sections(doc),
        capacity=_capacity(doc),
        cancelled=bool(doc.flag("cancelled")) or title.cancelled,
        warnings=ctx.warnings,
        start_is_default=not agenda and time_range is None,
        **(_locations(doc, when_key, group_key, raw_agenda) if options.locate else {}),
    )


def _locations(doc: _Doc, when_key: str, group_key: str, agenda: list[RawAgendaItem]) -> dict[str, Any]:
    """`EventRecord.lines` and `agenda_lines` (for lint), under the markdown parser's names."""
    keys = {
        "title": "title",
        "when": when_key,
        "time": "time",
        "timezone": "timezone",
        "where": doc.one_of("where", "location"),
        "capacity": "capacity",
        "rsvps": "reported",
        "groups": group_key,
    }
    lines = {name: doc.lines[key] for name, key in keys.items() if key in doc.lines}
    return {"lines": lines, "agenda_lines": [item.pos for item in agenda if item.title]}


def parse_yaml(text: str, *, slug: str, source: str, options: ParseOptions) -> EventRecord:
    """Parse one YAML event file; raises EventFileError (with the line where YAML or the key gives one)."""
    try:
        return _parse(text, slug, source, options)
    except EventFileError:
        raise
    except (FieldError, OutOfRange) as exc:  # a value parser outside a labelled block: still the file's fault
        raise EventFileError(source, None, str(exc)) from exc
    except Exception as exc:  # one odd file never shows a traceback
        raise unexpected_error(source, exc, "could not be parsed", "this is a bug in the parser") from exc
