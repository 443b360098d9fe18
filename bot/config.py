"""Config: read once at start-up from YAML, validated strictly, then passed in."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.catalog.record import ParseOptions
from bot.db.files import folder_problem, sqlite_file

CONFIG_ENV = "MEETUP_BOT_CONFIG"
DATABASE_URL_ENV = "MEETUP_BOT_DATABASE_URL"
TOKEN_ENV = "DISCORD_TOKEN"
TOKEN_FILE_ENV = "DISCORD_TOKEN_FILE"
GIT_TOKEN_ENV = "MEETUP_BOT_GIT_TOKEN"  # a token for a private events repository, or for pushing to it
WEBHOOK_SECRET_ENV = "MEETUP_BOT_WEBHOOK_SECRET"  # verifies POST /hooks/git; the endpoint is off without it

# Discord snowflakes: positive 64-bit integers (quoted strings are accepted too, as Discord writes them).
Snowflake = Annotated[int, Field(gt=0, lt=2**64)]


def _parse_hh_mm(value: Any) -> Any:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 18:00 as the sexagesimal 1080
        return time(value // 60 % 24, value % 60)
    if isinstance(value, str):
        try:
            hour, minute = value.strip().split(":")
            return time(int(hour), int(minute))
        except ValueError:
            raise ValueError(f'{value!r} is not a time; expected "HH:MM", e.g. "18:00"') from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    url: str = "sqlite+aiosqlite:///meetup.db"

    @field_validator("url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// (a file) or postgresql+asyncpg:// (a server), "
                f"not {url.split(':', 1)[0]!r}"
            )
        return url


class DefaultsConfig(_Strict):
    start_time: time = time(18, 0)
    duration_minutes: int = Field(default=120, gt=0, le=24 * 60)

    @field_validator("start_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return _parse_hh_mm(value)


class AllowedMentionsConfig(_Strict):
    """Who a message from the bot may ping; by default nobody but the member it answers."""

    everyone: bool = False
    roles: list[Snowflake] = Field(default_factory=list)
    users: bool = True


class DiscordConfig(_Strict):
    api_base_url: str | None = None
    gateway_url: str | None = None
    allowed_mentions: AllowedMentionsConfig = AllowedMentionsConfig()

    @field_validator("api_base_url", "gateway_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError(f"{value!r} is not a URL; expected e.g. http://127.0.0.1:8080/api/v10")
        return value


_DURATION = re.compile(r"^\s*(\d+)\s*(d|h|m|s)\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(value: Any) -> Any:
    """ "7d", "2h", "5m", "30s" (or a whole number of minutes) as a timedelta."""
    if isinstance(value, timedelta) or value is None:
        return value
    try:
        if isinstance(value, int):
            return timedelta(minutes=value)
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f'{shown(value)} is not a duration; expected e.g. "7d", "2h", "5m" or "0m"')
        return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    except OverflowError:  # past timedelta's 999,999,999 days; ValueError: past int()'s 4,300 digits
        raise ValueError(f'{shown(value)} is too long a duration; expected e.g. "7d" or "2h"') from None


def shown(value: Any, limit: int = 60) -> str:
    """`value` as an error message quotes it: whole when short, else its start and its length."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text)} characters)"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration, as config.yaml writes it: `7d`, `2h`, `90m`, `30s`, `0m`.

    One number and the largest unit that divides it exactly (the parser takes one unit), so the text
    reads back as the same duration.
    """
    seconds = round(delta.total_seconds())
    if seconds == 0:
        return "0m"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable: every whole number of seconds divides by 1")


def _as_written(value: Any) -> Any:
    """Dumped config values in config.yaml's notation; keys whose value is unset (None) are left out."""
    if isinstance(value, dict):
        return {k: _as_written(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_as_written(v) for v in value]
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, Path):
        return str(value)
    return value


class QuietHours(_Strict):
    """Local hours (in `timezone`) when only agenda reminders are posted; others wait until `end`."""

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return _parse_hh_mm(value)


class AgendaRemindersConfig(_Strict):
    enabled: bool = True
    before_item: Duration = timedelta(0)
    # the item whose title contains one of these words gets an extra reminder `before_main` ahead
    main_keywords: list[str] = Field(default_factory=lambda: ["main presentation", "feature presentation"])
    before_main: Duration = timedelta(minutes=5)


class AnnouncementsConfig(_Strict):
    """What the bot posts before an event, and when."""

    lead_time: Duration = timedelta(days=7)
    reminders: list[Duration] = Field(default_factory=lambda: [timedelta(days=1), timedelta(hours=2)])
    agenda: AgendaRemindersConfig = AgendaRemindersConfig()
    mention_role_id: Snowflake | None = None
    quiet_hours: QuietHours | None = None
    log_channel_id: Snowflake | None = None
    scheduled_events: bool = True


class AnnouncementsOverride(_Strict):
    """Per-group changes to `announcements`; keys left out keep the global value."""

    lead_time: Duration | None = None
    reminders: list[Duration] | None = None
    agenda: AgendaRemindersConfig | None = None
    mention_role_id: Snowflake | None = None
    quiet_hours: QuietHours | None = None
    log_channel_id: Snowflake | None = None
    scheduled_events: bool | None = None


class RsvpEmojis(_Strict):
    going: str = "✅"
    maybe: str = "🤔"
    not_going: str = "❌"


class RsvpConfig(_Strict):
    emojis: RsvpEmojis = RsvpEmojis()
    default_capacity: int | None = Field(default=None, gt=0)
    dm_members: bool = True
    # at most one announcement edit per this many seconds while RSVPs pour in (plus a final exact one)
    edit_interval_seconds: float = Field(default=2.0, ge=0, le=60)


class RemovalGuardConfig(_Strict):
    """When event files vanish from events_dir, how many at once still count as organizers removing events.

    A folder that lost most of its files at once (a late mount, a checkout being replaced) is far more
    likely broken than a mass cancellation, and cancellations are public and final: past these limits
    nothing is marked removed. Removing one or two files is always an edit (a small group's folder holds
    few files, so a share alone would refuse it); a folder without any event file never cancels.
    """

    # more than this share of the folder's events vanishing at once is taken for a broken folder
    max_share: float = Field(default=0.5, ge=0, le=1)
    # ... but only when at least this many vanish at once
    min_files: int = Field(default=3, ge=1)


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<!/)(?<!\.lock)$")
_AUTHOR = re.compile(r"^[^<>\n]+ <[^<>\s]+>$")


class EventsRepoConfig(_Strict):
    """The group's git repository of event files: when set, the bot's source instead of `events_dir`."""

    url: str = Field(min_length=1)  # https://..., ssh://..., git@host:path, file://..., or a local path
    branch: str = "main"
    path: str = "."  # the folder inside the repository that holds the event files
    poll_interval: Duration = timedelta(minutes=5)
    clone_dir: Path = Path("repo")  # relative to the config file's folder
    push: bool = False  # push write-back commits to `branch` of `url`
    author: str = "meetup-bot <meetup-bot@users.noreply.github.com>"  # of write-back commits

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        value = value.strip()
        if _SCHEME.match(value) and "@" in value.split("://", 1)[1].split("/", 1)[0]:
            user = value.split("://", 1)[1].split("@", 1)[0]
            if ":" in user or not value.startswith("ssh://"):
                raise ValueError(
                    "must not hold credentials; remove them from the URL and set "
                    f"${GIT_TOKEN_ENV} (or use a git credential helper)"
                )
        return value

    @field_validator("branch")
    @classmethod
    def _branch_name(cls, value: str) -> str:
        if not _BRANCH.match(value):
            raise ValueError(f"{shown(value)} is not a branch name; expected e.g. main")
        return value

    @field_validator("path")
    @classmethod
    def _inside(cls, value: str) -> str:
        parts = Path(value).parts
        if Path(value).is_absolute() or ".." in parts:
            raise ValueError(f"{shown(value)} must be a folder inside the repository, e.g. . or events")
        return value

    @field_validator("poll_interval")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError('must be at least 1s; e.g. "5m"')
        return value

    @field_validator("author")
    @classmethod
    def _name_and_email(cls, value: str) -> str:
        if not _AUTHOR.match(value.strip()):
            raise ValueError(f"{shown(value)} is not `Name <email>`; e.g. meetup-bot <bot@example.org>")
        return value.strip()

    @property
    def author_name(self) -> str:
        return self.author.rsplit(" <", 1)[0]

    @property
    def author_email(self) -> str:
        return self.author.rsplit(" <", 1)[1].rstrip(">")

    @property
    def events_folder(self) -> Path:
        """The folder of event files inside the clone (absolute once the config is resolved)."""
        return (self.clone_dir / self.path).resolve()


class HttpConfig(_Strict):
    """The bot's own HTTP server (the git webhook; later pages and metrics): off when absent."""

    listen: str  # host:port, e.g. 127.0.0.1:8080 (port 0: a free one)

    @field_validator("listen", mode="before")
    @classmethod
    def _host_port(cls, value: object) -> str:
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"{shown(str(value))} is not host:port; expected e.g. 127.0.0.1:8080")
        return text

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class GroupConfig(_Strict):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    guild_id: Snowflake
    announce_channel_id: Snowflake
    organizer_role_id: Snowflake | None = None
    organizer_channel_id: Snowflake | None = None
    announcements: AnnouncementsOverride = AnnouncementsOverride()


class Config(_Strict):
    """The validated config; paths in it are absolute (resolved against the config file's folder)."""

    timezone: str = "America/Chicago"
    database: DatabaseConfig = DatabaseConfig()
    defaults: DefaultsConfig = DefaultsConfig()
    events_dir: Path = Path("events")
    groups: list[GroupConfig] = Field(min_length=1)
    discord: DiscordConfig = DiscordConfig()
    announcements: AnnouncementsConfig = AnnouncementsConfig()
    rsvp: RsvpConfig = RsvpConfig()
    removal_guard: RemovalGuardConfig = RemovalGuardConfig()
    events_repo: EventsRepoConfig | None = None
    http: HttpConfig | None = None
    _source: Path = PrivateAttr(default=Path("config.yaml"))

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone; expected e.g. America/Chicago") from None
        return value

    @model_validator(mode="after")
    def _unique_groups(self) -> Config:
        seen: dict[str, str] = {}
        for index, group in enumerate(self.groups):
            for name in (group.name, *group.aliases):
                key = name.casefold()
                if key in seen and seen[key] != group.name:
                    raise ValueError(
                        f"groups[{index}]: the name {name!r} is already used by group {seen[key]!r}; "
                        "every group name and alias must be unique"
                    )
                seen[key] = group.name
        return self

    @property
    def source(self) -> Path:
        return self._source

    def group_for_guild(self, guild_id: int) -> GroupConfig | None:
        return next((g for g in self.groups if g.guild_id == guild_id), None)

    def group_named(self, name: str) -> GroupConfig | None:
        return next((g for g in self.groups if g.name == name), None)

    def announcements_for(self, group: GroupConfig) -> AnnouncementsConfig:
        """The global `announcements` with the group's own overrides applied."""
        override = group.announcements
        changes = {name: getattr(override, name) for name in type(override).model_fields}
        return self.announcements.model_copy(update={k: v for k, v in changes.items() if v is not None})

    def parse_options(self) -> ParseOptions:
        """What the event-file parser needs from this config."""
        aliases = {name.casefold(): g.name for g in self.groups for name in (g.name, *g.aliases)}
        return ParseOptions(
            timezone=self.timezone,
            default_start=self.defaults.start_time,
            default_duration=timedelta(minutes=self.defaults.duration_minutes),
            default_group=self.groups[0].name,
            group_aliases=aliases,
            known_groups=tuple(
                f"{g.name} ({', '.join(g.aliases)})" if g.aliases else g.name for g in self.groups
            ),
        )

    def redacted(self) -> dict[str, Any]:
        """The effective config as plain data in config.yaml's notation, for `check-config`; holds no secret.

        Each group's `announcements` are the values in effect for it (its own, else the global ones), so
        organizers see what the bot will do rather than which keys the group left out.
        """
        data: dict[str, Any] = _as_written(self.model_dump())
        data["database"]["url"] = _redact_url(self.database.url)
        for group, shown in zip(self.groups, data["groups"], strict=True):
            shown["announcements"] = _as_written(self.announcements_for(group).model_dump())
        return data


class ConfigError(Exception):
    """Every problem found in a config file, one `file: key.path: what is wrong` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def config_path(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """`--config`, else `$MEETUP_BOT_CONFIG`, else ./config.yaml."""
    return Path(cli_value or environ.get(CONFIG_ENV) or "config.yaml")


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file; raise ConfigError listing every problem."""
    environ = os.environ if environ is None else environ
    name = path.name
    try:
        source = path.read_text(encoding="utf-8")
        check_shape(source, name)
        raw = yaml.safe_load(source)
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{path}: no such file; pass --config PATH or set ${CONFIG_ENV} (see config.yaml in the project)"
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read ({exc})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: not valid YAML ({problem}); fix the syntax and try again"]) from None
    except ValueError as exc:  # a date like 2026-13-45, or a whole number past Python's 4,300 digits
        limit = sys.get_int_max_str_digits()
        long_number = re.search(rf"\d{{{limit + 1},}}", source) if limit else None
        if long_number is not None:
            line = source.count("\n", 0, long_number.start()) + 1
            problem = f"a number has over {limit:,} digits; no config value needs that many, fix it"
            raise ConfigError([f"{name}:{line}: {problem}"]) from None
        raise ConfigError(
            [f"{name}: a value cannot be read ({exc}); fix it, or quote it if it is text"]
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            [f"{name}: expected a mapping of keys (timezone, database, groups, ...) at the top"]
        )
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(name, err) for err in exc.errors()]) from None
    return _resolve(config, path, environ)


# A config is a few levels deep and a few hundred values long; these bounds are far beyond any real one and
# stop a runaway nesting (a RecursionError in the YAML reader) or an alias "bomb" (billions of values).
MAX_DEPTH = 50
MAX_VALUES = 100_000


def check_shape(text: str, name: str) -> None:
    """Refuses YAML nested deeper than MAX_DEPTH or expanding (through aliases) to over MAX_VALUES values.

    Reads the parser's event stream, which needs no recursion and builds nothing: each node's size is
    counted once, and an alias adds the size its anchor had, so a billion-laughs file is measured, not
    expanded. Syntax errors are left to yaml.safe_load, which reports them with their line.
    """
    open_nodes: list[list[Any]] = []  # [size so far, anchor] of each mapping/sequence being read
    sizes: dict[str, int] = {}

    def add(size: int, event: yaml.Event) -> None:
        if open_nodes:
            open_nodes[-1][0] += size
            size = open_nodes[-1][0]
        if size > MAX_VALUES:
            raise ConfigError(
                [
                    f"{name}:{_line(event)}: too many values (over {MAX_VALUES:,}, counting what "
                    "its aliases (*name) repeat); a config needs a few hundred, remove the repeated aliases"
                ]
            )

    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(open_nodes) >= MAX_DEPTH:
                raise ConfigError(
                    [
                        f"{name}:{_line(event)}: nested too deeply (over {MAX_DEPTH} levels); "
                        "a config needs only a few, so look for unclosed [ or { or runaway indentation"
                    ]
                )
            open_nodes.append([1, event.anchor])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            size, anchor = open_nodes.pop()
            if anchor is not None:
                sizes[anchor] = size
            add(size, event)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            add(1, event)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes and any(anchor == event.anchor for _, anchor in open_nodes):
                raise ConfigError(
                    [
                        f"{name}:{_line(event)}: *{event.anchor} is used inside &{event.anchor} "
                        "itself, so the value would contain itself; write the value out instead"
                    ]
                )
            add(sizes.get(event.anchor or "", 1), event)  # an unknown anchor: safe_load reports it


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


def _resolve(config: Config, path: Path, environ: Mapping[str, str]) -> Config:
    base = path.resolve().parent
    from_env = environ.get(DATABASE_URL_ENV)
    url = _absolute_sqlite_url(from_env or config.database.url, base)
    file = sqlite_file(url)
    problem = folder_problem(file) if file is not None else None
    if problem is not None:
        key = f"${DATABASE_URL_ENV}" if from_env else f"{path.name}: database.url"
        raise ConfigError([f"{key}: {problem}"])
    events_dir = config.events_dir if config.events_dir.is_absolute() else base / config.events_dir
    update: dict[str, Any] = {"database": DatabaseConfig(url=url), "events_dir": events_dir.resolve()}
    repo = config.events_repo
    if repo is not None:  # the clone's folder of event files replaces events_dir
        clone = repo.clone_dir if repo.clone_dir.is_absolute() else base / repo.clone_dir
        repo_url = repo.url
        if not _SCHEME.match(repo_url) and not re.match(r"^[^/]+@[^/]+:", repo_url):
            repo_url = str((base / Path(repo_url).expanduser()).resolve())  # a local path
        repo = repo.model_copy(update={"clone_dir": clone.resolve(), "url": repo_url})
        update["events_repo"] = repo
        update["events_dir"] = repo.events_folder
    resolved = config.model_copy(update=update)
    resolved._source = path
    return resolved


def _absolute_sqlite_url(url: str, base: Path) -> str:
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    if not rest or rest.startswith((":memory:", "/")) or rest.startswith("file:"):
        return url
    return prefix + str(base / rest)


def _redact_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _describe(name: str, err: Any) -> str:
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]).lstrip(
        "."
    )
    message = err["msg"]
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        message = "unknown key; check its spelling against config.yaml's documented keys"
    elif kind == "missing":
        message = "is required but missing"
    elif err["loc"] and (str(err["loc"][-1]).endswith("_id") or err["loc"][-2:-1] == ("roles",)):
        message = f"{message} (got {shown(value)}); expected a Discord id (a positive whole number)"
    elif message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    elif value is not None and kind not in ("too_short",):
        message = f"{message} (got {shown(value)})"
    if kind == "too_short" and location == "groups":
        message = "needs at least one group (name, guild_id, announce_channel_id)"
    return f"{name}: {location}: {message}" if location else f"{name}: {message}"


def read_token(environ: Mapping[str, str]) -> str | None:
    """The Discord bot token from $DISCORD_TOKEN or the file named by $DISCORD_TOKEN_FILE; never logged."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    token_file = environ.get(TOKEN_FILE_ENV, "").strip()
    if token_file:
        try:
            return Path(token_file).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ConfigError([f"${TOKEN_FILE_ENV}: cannot read {token_file} ({exc.strerror})"]) from None
    return None
