"""What the CLI prints from files is safe for the operator's terminal; odd folders are reported (issue 11, item 13)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.cli.safe_text import safe_block, safe_json, safe_line
from tests.factories import NOW
from tests.test_cli import cli

WHEN = (NOW + timedelta(days=30)).date().strftime("%A, %B %-d, %Y")
HOSTILE = "Talk \x1b[2J\x1b]0;pwned\x07 \u202eevil\x9b1m\x7f"
RAW = ("\x1b", "\x07", "\u202e", "\x9b", "\x7f")


def page(title: str, where: str = "Example Hall") -> str:
    return f"# {title}\n\n## Meta\n| | |\n| --- | --- |\n| **When:** | {WHEN} |\n| **Where:** | {where} |\n"


def test_events_shows_none_of_the_raw_escape_bytes(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "hostile.md").write_text(page(HOSTILE, where="Hall \x1b[31mred\x1b[0m"))
    assert cli(config_file, "import", str(events)).returncode == 0

    table = cli(config_file, "events", "--all")
    assert table.returncode == 0, table.stderr
    assert not [c for c in RAW if c in table.stdout], table.stdout
    assert "Talk \\x1b[2J\\x1b]0;pwned\\x07 \\u202eevil\\x9b1m\\x7f" in table.stdout  # shown, not acted on
    assert "Hall \\x1b[31mred\\x1b[0m" in table.stdout

    listed = cli(config_file, "events", "--all", "--json")
    assert not [c for c in RAW if c in listed.stdout], listed.stdout
    (event,) = json.loads(listed.stdout)  # still valid JSON, holding exactly what the file says
    assert event["title"] == HOSTILE
    assert event["location"] == "Hall \x1b[31mred\x1b[0m"


def test_import_messages_quoting_a_file_show_no_raw_escape_bytes(config_file: Path) -> None:
    events = config_file.parent / "events"
    (events / "bad.md").write_text(page("Fine").replace(WHEN, "\x1b[2Jsoon\x07"))
    (events / "warn.md").write_text(page("Fine") + "| **Colour\x1b[5m:** | blue |\n")
    result = cli(config_file, "import", str(events))
    assert result.returncode == 1
    assert not [c for c in RAW if c in result.stderr], result.stderr
    assert 'When: "\\x1b[2Jsoon\\x07" is not a date' in result.stderr
    assert 'unknown key "Colour\\x1b[5m" ignored' in result.stderr


def test_safe_text_keeps_what_a_block_needs_and_json_valid() -> None:
    assert safe_line("a\tb\nc") == "a\\x09b\\x0ac"  # a value cannot start a line of its own
    assert safe_line("plain Ünïcode ✅") == "plain Ünïcode ✅"
    assert safe_block("BEGIN\r\nA\tB\rC\x1b\n") == "BEGIN\r\nA\tB\\x0dC\\x1b\n"
    text = safe_json({"t": "\x1b\x9b\u202e\u2066é"})
    assert text == '{"t": "\\u001b\\u009b\\u202e\\u2066é"}'
    assert json.loads(text) == {"t": "\x1b\x9b\u202e\u2066é"}


def test_a_folder_named_readme_md_is_reported_as_skipped(config_file: Path) -> None:
    events = config_file.parent / "events"
    folder = events / "talk" / "README.md"
    folder.mkdir(parents=True)
    (events / "other.md").write_text(page("Other"))
    result = cli(config_file, "import", str(events))
    assert result.returncode == 0, result.stderr
    assert "imported 1 new, 0 updated, 0 unchanged; 1 skipped, 0 failed" in result.stdout
    assert (
        f"notice: {folder}: skipped, it is a folder, not a file: an event's README.md is a file inside "
        "the event's folder (events/SLUG/README.md)"
    ) in result.stderr


def test_the_files_in_a_folder_named_readme_md_are_still_imported(config_file: Path) -> None:
    events = config_file.parent / "events"
    folder = events / "talk" / "README.md"
    folder.mkdir(parents=True)
    (folder / "inner.md").write_text(page("Inner"))
    result = cli(config_file, "import", str(events))
    assert result.returncode == 0, result.stderr
    assert "imported 1 new, 0 updated, 0 unchanged; 1 skipped, 0 failed" in result.stdout
    assert f"notice: {folder}: skipped, it is a folder, not a file" in result.stderr
    listed = json.loads(cli(config_file, "events", "--all", "--json").stdout)
    assert [e["slug"] for e in listed] == ["inner"]
