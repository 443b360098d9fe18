"""The command line's arguments: plain argparse, importing nothing else, so every command starts fast."""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meetup-bot", description="A Discord bot for meetup groups.")
    parser.add_argument("--config", help="config file (default: $MEETUP_BOT_CONFIG, else ./config.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help="log lines as readable text (default) or one JSON object per line (default: $MEETUP_BOT_LOG_FORMAT)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="import the events (events_dir or events_repo) and run the bot (without a token: in the sandbox)",
    )
    run.add_argument(
        "--sandbox-port", type=int, default=0, help="sandbox port without a token (default: free)"
    )
    run.add_argument(
        "--start-retries",
        type=int,
        default=4,
        metavar="N",
        help="with a token: tries again N times (after 1, 2, 4, 8... s) while Discord is unreachable (default: 4)",
    )
    run.add_argument(
        "--sandbox",
        action="store_true",
        help="run in the sandbox even where a token is required ($MEETUP_BOT_REQUIRE_TOKEN, as in the image)",
    )
    invite = commands.add_parser(
        "invite-url", help="the link that adds the bot to a server, with the permissions its features need"
    )
    invite.add_argument(
        "--client-id", metavar="ID", help="the application's id (default: read from Discord with the token)"
    )
    commands.add_parser(
        "doctor",
        help="ask Discord, with the token, whether the bot can do what the config asks (exit 1 if not)",
        description=(
            "Checks that the token is valid, that the bot is on every configured server, that every "
            "configured channel exists, is a text channel and lets the bot do its work (channel overwrites "
            "included), that the roles exist, and that mention_role_id can be mentioned."
        ),
    )
    sandbox = commands.add_parser("sandbox", help="run the local Discord-compatible sandbox alone")
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    imp = commands.add_parser("import", help="import event files or folders (recursive) into the database")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    events = commands.add_parser("events", help="list upcoming events (or all with --all)")
    events.add_argument("--all", action="store_true", help="past events too")
    events.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    commands.add_parser("check-config", help="validate the config and print it (token redacted)")
    schedule = commands.add_parser("schedule", help="what the bot will post, where and when (a dry run)")
    schedule.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    rsvps = commands.add_parser("rsvps", help="list an event's RSVPs (going, waitlist, maybe, not going)")
    rsvps.add_argument("slug", metavar="SLUG")
    rsvps.add_argument("--json", action="store_true", help="a JSON list of {user_id, name, status, position}")
    _add_export(commands)
    _add_repo_commands(commands)
    return parser


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export", help="export attendance (CSV), an iCalendar feed, or totals to markdown"
    )
    kinds = export.add_subparsers(dest="export_kind", required=True, metavar="WHAT")
    att = kinds.add_parser("attendance", help="an event's RSVPs and check-ins as CSV on stdout")
    att.add_argument("slug", metavar="SLUG")
    att.add_argument("--csv", action="store_true", help="as CSV (the only format; the default)")
    ics = kinds.add_parser("ics", help="an iCalendar feed of upcoming events on stdout")
    ics.add_argument(
        "--group", metavar="NAME", help="only this group's events (its name or an alias, any case)"
    )
    md = kinds.add_parser(
        "markdown",
        help="fill Total RSVPs / Total Attendance in an ended event's markdown file with what the bot recorded",
        description=(
            "Writes the figures the bot recorded (RSVPs it took, check-ins) once the event has ended. "
            "Unknown cells (???) are filled and lower figures raised; a figure the bot would lower, or a "
            "cell that is more than a number, is kept unless --force. Groups the bot has no data for keep "
            "their values; nothing else in the file changes."
        ),
    )
    md.add_argument("slug", metavar="SLUG")
    md.add_argument("--write", action="store_true", help="change the file in place (else print the new text)")
    md.add_argument(
        "--force", action="store_true", help="replace figures in the file even where that lowers them"
    )
    md.add_argument(
        "--commit",
        action="store_true",
        help="with --write and events_repo: commit the file in the bot's clone (and push when push: true)",
    )


def _add_repo_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = commands.add_parser(
        "sync", help="fetch events_repo once and import what changed since the last sync (cron-friendly)"
    )
    sync.add_argument(
        "--full", action="store_true", help="compare every file, not only what the new commits changed"
    )
    lint = commands.add_parser(
        "lint",
        help="check event files without a database (errors exit 1; warnings too with --strict)",
        description=(
            "Validates event files as the bot would read them, plus what the bot cannot know from one file: "
            "unknown hosting groups (when a config is found), duplicate slugs, a weekday that disagrees with "
            "the date, no agenda and no Time row, an agenda that runs backwards, a Capacity below the RSVPs "
            "already recorded, and a past date on a file that is new since --base."
        ),
    )
    lint.add_argument("paths", nargs="+", metavar="PATH", help="event files or folders (recursive)")
    lint.add_argument(
        "--format", choices=("text", "github"), default="text", help="github: GitHub Actions annotations"
    )
    lint.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    lint.add_argument(
        "--base", metavar="REV", help="git revision the change starts from: files not in it count as new"
    )
    preview = commands.add_parser(
        "preview",
        help="what merging a change of the events repository would make the bot do (markdown)",
    )
    preview.add_argument("--repo", default=".", metavar="PATH", help="the events repository (default: .)")
    preview.add_argument(
        "--base", required=True, metavar="REV", help="the revision merged into, e.g. origin/main"
    )
    preview.add_argument(
        "--head", default="HEAD", metavar="REV", help="the change's revision (default: HEAD)"
    )
    preview.add_argument(
        "--path",
        metavar="FOLDER",
        help="folder of event files inside the repository (default: events_repo.path, else .)",
    )
