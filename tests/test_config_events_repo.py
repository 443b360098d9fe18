"""The events_repo and http keys: validated at start, paths resolved, and never a credential in the config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from tests.conftest import BASE_CONFIG


def load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(BASE_CONFIG + extra)
    return load_config(path, environ={})


def problems(tmp_path: Path, extra: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, extra)
    return info.value.problems


def test_the_clone_replaces_events_dir_and_paths_resolve_against_the_config(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "events_repo:\n  url: ../remote.git\n  path: events\n  poll_interval: 30s\n"
        "http:\n  listen: 127.0.0.1:8080\n",
    )
    repo = config.events_repo  # type: ignore[attr-defined]
    assert repo.url == str((tmp_path.parent / "remote.git").resolve())
    assert repo.clone_dir == (tmp_path / "repo").resolve()
    assert config.events_dir == (tmp_path / "repo" / "events").resolve()  # type: ignore[attr-defined]
    assert repo.branch == "main" and repo.push is False
    assert repo.poll_interval == timedelta(seconds=30)
    assert (repo.author_name, repo.author_email) == ("meetup-bot", "meetup-bot@users.noreply.github.com")
    http = config.http  # type: ignore[attr-defined]
    assert (http.host, http.port) == ("127.0.0.1", 8080)


def test_remote_urls_are_kept_as_written(tmp_path: Path) -> None:
    for url in ("https://github.com/stlgo/presentations.git", "git@github.com:stlgo/presentations.git"):
        config = load(tmp_path, f"events_repo:\n  url: {url}\n")
        assert config.events_repo.url == url  # type: ignore[attr-defined]


def test_credentials_in_the_url_are_refused_with_where_to_put_them(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "events_repo:\n  url: https://bot:ghp_secret@github.com/stlgo/presentations.git\n"
    )
    assert len(found) == 1
    assert found[0].startswith("config.yaml: events_repo.url: must not hold credentials")
    assert "$MEETUP_BOT_GIT_TOKEN" in found[0]
    assert "ghp_secret" not in found[0]


@pytest.mark.parametrize(
    ("extra", "key", "hint"),
    [
        ("events_repo:\n  url: x\n  path: ../elsewhere\n", "events_repo.path", "inside the repository"),
        ("events_repo:\n  url: x\n  branch: '-f'\n", "events_repo.branch", "branch name"),
        ("events_repo:\n  url: x\n  poll_interval: soon\n", "events_repo.poll_interval", "duration"),
        ("events_repo:\n  url: x\n  author: bot\n", "events_repo.author", "Name <email>"),
        ("events_repo:\n  branch: main\n", "events_repo.url", "required"),
        ("http:\n  listen: 8080\n", "http.listen", "host:port"),
    ],
)
def test_each_bad_value_names_its_key(tmp_path: Path, extra: str, key: str, hint: str) -> None:
    found = problems(tmp_path, extra)
    assert any(p.startswith(f"config.yaml: {key}: ") and hint in p for p in found), found
