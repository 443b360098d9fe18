"""Backtest of the turnout forecast on the real St. Louis Go history (Total RSVPs / Total Attendance).

Rolling origin: each event with both figures is forecast from the events before it only (from the 4th on).
Run: `.venv/bin/python benchmarks/checkin_forecast_backtest.py [FOLDER]` (default ../shared/corpus/stlgo-presentations).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog.files import iter_event_files, load_event_file
from bot.catalog.record import ParseOptions
from bot.checkin.forecast import Backtest, backtest

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "stlgo-presentations"
OPTIONS = ParseOptions(group_aliases={"kcn-stl": "Kubernetes & Cloud Native STL", "stlgo": "StLGo"})


def history(folder: Path) -> list[tuple[str, int, int]]:
    """(slug, RSVPs, attendance) of every page with both figures, oldest first."""
    records = [load_event_file(p, OPTIONS) for p in iter_event_files([folder]) if p.name == "README.md"]
    rows = [
        (r.starts_at, r.slug, r.reported["rsvps"], r.reported["attendance"])
        for r in records
        if r.reported.get("rsvps") is not None and r.reported.get("attendance") is not None
    ]
    return [(slug, int(rsvps), int(came)) for _, slug, rsvps, came in sorted(rows)]  # type: ignore[arg-type]


def report(result: Backtest) -> str:
    lines = [f"{'event':<48} {'RSVPs':>5} {'came':>5} {'expected':>8} {'80% interval':>12}"]
    for r in result.rows:
        lines.append(
            f"{r.slug:<48} {r.rsvps:>5} {r.attendance:>5} {r.expected:>8.1f} {f'{r.low}-{r.high}':>12}"
        )
    lines.append(
        f"events forecast: {len(result.rows)}; MAE {result.mae:.2f} people (median {result.median_error:.2f}); "
        f"80% interval coverage {result.coverage:.0%}; naive 'everyone who RSVPd comes' MAE {result.naive_mae:.2f}"
    )
    return "\n".join(lines)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        print(f"{folder} is absent; pass the folder of event pages", file=sys.stderr)
        return 1
    print(report(backtest(history(folder))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
