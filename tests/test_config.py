"""Config loading: strict validation with messages that name the key, and the token only from the env."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, config_path, format_duration, load_config, parse_duration, read_token
from tests.conftest import BASE_CONFIG


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    return info.value.problems


def test_valid_config_resolves_paths_against_its_folder(config_file: Path) -> None:
    config = load_config(config_file, environ={})
    assert config.database.url == f"sqlite+aiosqlite:///{config_file.parent / 'meetup.db'}"
    assert config.events_dir == config_file.parent / "events"
    assert [g.name for g in config.groups] == ["StLGo", "Kubernetes & Cloud Native STL"]
    assert config.groups[0].guild_id == 100000000000000001
    assert config.defaults.start_time.hour == 18


def test_database_url_env_overrides_config(config_file: Path) -> None:
    url = "postgresql+asyncpg://meetup:secret@db.example/meetup"
    config = load_config(config_file, environ={"MEETUP_BOT_DATABASE_URL": url})
    assert config.database.url == url
    assert "secret" not in str(config.redacted())


def test_parse_options_map_aliases_to_group_names(config_file: Path) -> None:
    options = load_config(config_file, environ={}).parse_options()
    assert options.canonical_group("kcn-stl") == "Kubernetes & Cloud Native STL"
    assert options.canonical_group("St. Louis Go") == "StLGo"
    assert options.canonical_group("Other Group") == "Other Group"
    assert options.default_group == "StLGo"


def test_each_problem_names_file_key_and_expectation(tmp_path: Path) -> None:
    text = BASE_CONFIG.replace("guild_id: 100000000000000001", "guild_id: not-a-number")
    text = text.replace("America/Chicago", "Mars/Olympus")
    text = text.replace('start_time: "18:00"', 'start_time: "dinner"')
    found = problems(tmp_path, text + "colour: blue\n")
    assert any(p.startswith("config.yaml: groups[0].guild_id: ") and "Discord id" in p for p in found), found
    assert any(p.startswith("config.yaml: timezone: 'Mars/Olympus' is not an IANA time zone") for p in found)
    assert any(p.startswith("config.yaml: defaults.start_time: ") and "HH:MM" in p for p in found)
    assert (
        "config.yaml: colour: unknown key; check its spelling against config.yaml's documented keys" in found
    )


def test_missing_groups_and_duplicate_aliases(tmp_path: Path) -> None:
    assert problems(tmp_path, "timezone: UTC\n") == ["config.yaml: groups: is required but missing"]
    text = BASE_CONFIG.replace("aliases: [KCN-STL]", "aliases: [St. Louis Go]")
    assert any("'St. Louis Go' is already used by group 'StLGo'" in p for p in problems(tmp_path, text))


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "timezone: [unclosed\ngroups: []\n")
    assert len(found) == 1 and found[0].startswith("config.yaml:") and "not valid YAML" in found[0]


def test_config_path_precedence() -> None:
    assert config_path("a.yaml", {"MEETUP_BOT_CONFIG": "b.yaml"}) == Path("a.yaml")
    assert config_path(None, {"MEETUP_BOT_CONFIG": "b.yaml"}) == Path("b.yaml")
    assert config_path(None, {}) == Path("config.yaml")


def test_token_from_env_or_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("file-token\n")
    assert read_token({"DISCORD_TOKEN": "env-token", "DISCORD_TOKEN_FILE": str(secret)}) == "env-token"
    assert read_token({"DISCORD_TOKEN_FILE": str(secret)}) == "file-token"
    assert read_token({}) is None
    with pytest.raises(ConfigError, match="DISCORD_TOKEN_FILE"):
        read_token({"DISCORD_TOKEN_FILE": str(tmp_path / "absent")})


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def test_bad_config_exits_2_without_touching_the_database(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(BASE_CONFIG.replace("100000000000000002", "-5"))
    for command in (["run"], ["import", "."], ["events"]):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "config.yaml: groups[0].announce_channel_id: " in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "meetup.db").exists()


def test_check_config_prints_effective_config_without_the_token(config_file: Path) -> None:
    import os

    env = {**os.environ, "DISCORD_TOKEN": "MTIz.super-secret-token"}
    result = run_cli("--config", str(config_file), "check-config", cwd=config_file.parent, env=env)
    assert result.returncode == 0, result.stderr
    assert "super-secret-token" not in result.stdout + result.stderr
    assert "token: '[set]'" in result.stdout
    assert "guild_id: 100000000000000001" in result.stdout


def test_check_config_prints_each_groups_settings_in_effect_in_config_notation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli.main import main
    from bot.clock import ManualClock
    from tests.factories import NOW

    (tmp_path / "events").mkdir()
    override = (
        "    organizer_role_id: 100000000000000003\n"
        '    announcements: {lead_time: 3d, reminders: [2h, 90m], quiet_hours: {start: "22:00", end: "08:00"}}\n'
    )
    path = tmp_path / "config.yaml"
    path.write_text(BASE_CONFIG.replace("    organizer_role_id: 100000000000000003\n", override, 1))
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("DISCORD_TOKEN_FILE", raising=False)
    assert main(["--config", str(path), "check-config"], ManualClock(NOW)) == 0
    out = capsys.readouterr().out
    assert "null" not in out and "P7D" not in out and "PT2H" not in out
    shown = yaml.safe_load(out)
    stlgo, kcn = (group["announcements"] for group in shown["groups"])
    assert (stlgo["lead_time"], stlgo["reminders"], stlgo["quiet_hours"]) == (
        "3d",
        ["2h", "90m"],
        {"start": "22:00", "end": "08:00"},
    )
    assert (stlgo["agenda"]["before_item"], stlgo["agenda"]["before_main"]) == ("0m", "5m")  # not overridden
    assert (kcn["lead_time"], kcn["reminders"], kcn["scheduled_events"]) == ("7d", ["1d", "2h"], True)
    assert "quiet_hours" not in kcn  # not set anywhere: left out, as config.yaml leaves it out
    assert shown["defaults"]["start_time"] == "18:00"
    # what it prints is config.yaml notation: read back, it is the same config
    printed = tmp_path / "printed.yaml"
    printed.write_text(yaml.safe_dump({k: v for k, v in shown.items() if k != "token"}, allow_unicode=True))
    again = load_config(printed, environ={})
    original = load_config(path, environ={})
    assert [again.announcements_for(g) for g in again.groups] == [
        original.announcements_for(g) for g in original.groups
    ]


def test_durations_print_as_config_yaml_writes_them() -> None:
    for text in ("7d", "2h", "90m", "30s", "0m", "25h"):
        assert format_duration(parse_duration(text)) == text
    assert format_duration(parse_duration("48h")) == "2d"  # the same duration: whole days
    assert format_duration(parse_duration(120)) == "2h"  # a bare number is minutes
