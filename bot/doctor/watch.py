"""The running bot's checks: which problems are new (tell the organizers once), which were fixed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.doctor.checks import Finding, problems


@dataclass
class ProblemWatch:
    """Remembers the problems already told, per group; a fixed problem that comes back is told again."""

    known: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def update(self, group: str, findings: Iterable[Finding]) -> tuple[list[Finding], list[tuple[str, str]]]:
        """(problems not told before, keys of problems now fixed) for one group's latest findings."""
        current = {f.key: f for f in problems(findings)}
        before = self.known.get(group, set())
        self.known[group] = set(current)
        new = [f for key, f in current.items() if key not in before]
        return new, sorted(before - set(current))


def notice(finding: Finding) -> str:
    """What the organizers read in the log channel."""
    text = (
        f"⚠️ The bot cannot do everything the config asks: **{finding.check}** is missing in {finding.place}."
    )
    if finding.fix:
        text += f" To fix: {finding.fix}."
    return text + " (`meetup-bot doctor` runs every check.)"
