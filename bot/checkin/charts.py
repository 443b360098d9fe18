"""The /stats chart: RSVPs and attendance per event over time, as a PNG."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.checkin.attendance import HistoryPoint


def show_up_rate(points: Sequence[HistoryPoint]) -> float | None:
    """Attendance over RSVPs, summed over the events that have both figures."""
    both = [(p.rsvps, p.attendance) for p in points if p.rsvps and p.attendance is not None]
    total = sum(r for r, _ in both)
    return sum(a for _, a in both) / total if total else None


def stats_png(points: Sequence[HistoryPoint], title: str) -> bytes:
    """Matplotlib is imported here (Agg, no display): it is slow to import and only /stats needs it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), dpi=100)
    axes = figure.add_subplot()
    days: list[Any] = [p.starts_at for p in points]  # matplotlib's stubs know only numbers
    nan = float("nan")
    axes.plot(
        days, [float(p.rsvps) if p.rsvps is not None else nan for p in points], marker="o", label="RSVPs"
    )
    axes.plot(
        days,
        [float(p.attendance) if p.attendance is not None else nan for p in points],
        marker="s",
        label="Attendance",
    )
    rate = show_up_rate(points)
    axes.set_title(title + (f" · show-up rate {rate:.0%}" if rate is not None else ""))
    axes.set_ylabel("people")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
