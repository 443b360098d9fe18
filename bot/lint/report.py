"""What lint found, and the two ways of printing it: lines for a terminal, annotations for GitHub Actions.

Both quote file names and file content, so both are made safe to print (`safe_line`): a title holding
terminal escapes must not act on the terminal of whoever runs lint, nor start a new workflow command.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.cli.safe_text import safe_line
from bot.when import plural

__all__ = ["TITLE", "LintResult", "Problem", "Severity", "format_github", "format_text", "github_path"]

TITLE = "meetup-bot lint"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Problem:
    """One thing to tell the author of a file: `line` is 1-based, None when it is about the whole file."""

    path: str
    line: int | None
    severity: Severity
    message: str


@dataclass
class LintResult:
    """Everything one lint run found: `notices` are about the run itself (not about one file)."""

    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def count(self, severity: Severity) -> int:
        return sum(1 for problem in self.problems if problem.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self.count(Severity.WARNING)

    def sorted(self) -> list[Problem]:
        """By path, then line (whole-file problems first); the order found within one line."""
        return sorted(self.problems, key=lambda p: (p.path, p.line or 0))

    def summary(self) -> str:
        return (
            f"{plural(self.files, 'file')} checked: "
            f"{plural(self.errors, 'error')}, {plural(self.warnings, 'warning')}"
        )


def format_text(result: LintResult) -> list[str]:
    """`path:line: error: message` lines, sorted, then the summary."""
    lines = [f"notice: {safe_line(notice)}" for notice in result.notices]
    for problem in result.sorted():
        where = safe_line(problem.path) + (f":{problem.line}" if problem.line else "")
        lines.append(f"{where}: {problem.severity}: {safe_line(problem.message)}")
    lines.append(result.summary())
    return lines


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's runner reads it back."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (file=, title=): `:` and `,` would end it early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_path(path: str, cwd: str | None = None) -> str:
    """`path` relative to the current folder (the repository root in a workflow), so that annotations land
    on the pull request's files; a path outside it stays absolute."""
    here = os.path.abspath(cwd or os.getcwd())
    full = os.path.abspath(path)
    relative = os.path.relpath(full, here)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return full
    return relative.replace(os.sep, "/")


def _command(severity: Severity, message: str, properties: Sequence[tuple[str, str]]) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    # escaped first (so a newline cannot start a command of its own), then every other control shown
    return safe_line(f"::{severity} {props}::{escape_data(message)}")


def format_github(result: LintResult, cwd: str | None = None) -> list[str]:
    """GitHub Actions workflow commands, one per problem, then the summary as a plain log line."""
    lines = [_command(Severity.NOTICE, notice, [("title", TITLE)]) for notice in result.notices]
    for problem in result.sorted():
        props: list[tuple[str, str]] = [("file", github_path(problem.path, cwd))]
        if problem.line:
            props.append(("line", str(problem.line)))
        props.append(("title", TITLE))
        lines.append(_command(problem.severity, problem.message, props))
    lines.append(result.summary())
    return lines
