"""Pictures of a chronology: a timeline with one lane per agency, and contacts per month.

Uncertain dates are drawn as the range they could mean, never as a point; the terms-of-reference
period is shaded and periods with no agency contact are hatched, so silences are visible.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from .atomic import atomic_write
from .merging import Gap


def _figure_module():
    import matplotlib

    matplotlib.use("Agg")  # no screen: works on servers and in CI
    from matplotlib import pyplot

    return pyplot


def _finish(figure, axes, path: Path, title: str) -> Path:
    """Title, lay out and save the figure as PNG, then free it."""
    plt = _figure_module()
    if title:
        axes.set_title(title)
    figure.tight_layout()
    try:
        # A fixed "Software" entry and no date keep the file identical between runs.
        return atomic_write(path, lambda target: figure.savefig(
            target, format="png", dpi=150, metadata={"Software": "casereview"}), suffix=".png")
    finally:
        plt.close(figure)


def lane_order(events: pd.DataFrame, agency_order: list[str] = ()) -> list[str]:
    """The timeline's lanes, top first: the agencies with events, in the order asked (an agency
    with no events gets no empty lane), then any others alphabetically."""
    present = sorted(events["agency"].unique())
    return [a for a in agency_order if a in present] + [a for a in present
                                                        if a not in agency_order]


def timeline(events: pd.DataFrame, path: Path | str, *, period: tuple[date, date] | None = None,
             gaps: list[Gap] = (), agency_order: list[str] = (), title: str = "") -> Path:
    """Draw the events on one lane per agency and save a PNG."""
    plt = _figure_module()
    agencies = lane_order(events, agency_order)
    lanes = {name: len(agencies) - i for i, name in enumerate(agencies)}
    figure, axes = plt.subplots(figsize=(11, 1.2 + 0.55 * max(1, len(agencies))))
    if period:
        axes.axvspan(period[0], period[1] + timedelta(days=1), color="#eef3fb", zorder=0,
                     label="Terms-of-reference period")
    for number, gap in enumerate(gaps):
        axes.axvspan(gap.start, gap.end + timedelta(days=1), facecolor="none", hatch="///",
                     edgecolor="#bbbbbb", linewidth=0, zorder=0,
                     label="No agency contact" if number == 0 else None)
    exact = events["date_start"] == events["date_end"]
    certain = events["qualifier"] == "on"
    significant = events["significance"].str.lower() == "high"
    for agency, lane in lanes.items():
        mine = events["agency"] == agency
        ranged = events[mine & ~exact]
        for start, end in zip(ranged["date_start"], ranged["date_end"], strict=True):
            axes.plot([start, end + timedelta(days=1)], [lane, lane], color="#7f7f7f",
                      linewidth=5, alpha=0.6, solid_capstyle="butt", zorder=2)
        for chosen, marker, size in ((mine & exact & ~significant, "o", 25),
                                     (mine & exact & significant, "D", 55)):
            for sure, face in ((certain, "#1f4e79"), (~certain, "white")):
                dates = events.loc[chosen & sure, "date_start"]
                axes.scatter(list(dates), [lane] * len(dates), s=size, marker=marker,
                             facecolors=face, edgecolors="#1f4e79", zorder=3)
    axes.scatter([], [], marker="D", s=55, color="#1f4e79", label="Significant event")
    axes.scatter([], [], marker="o", s=25, facecolors="white", edgecolors="#1f4e79",
                 label="About this day")
    axes.plot([], [], color="#7f7f7f", linewidth=5, alpha=0.6, label="Uncertain date (range)")
    from matplotlib.dates import DateFormatter

    axes.xaxis.set_major_formatter(DateFormatter("%b %Y"))
    axes.set_yticks(list(lanes.values()), list(lanes.keys()))
    axes.set_ylim(0.4, len(agencies) + 0.6)
    axes.grid(axis="x", color="#dddddd", zorder=1)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5, frameon=False,
                fontsize="small")
    return _finish(figure, axes, path, title)


def month_counts(events: pd.DataFrame, period: tuple[date, date] | None = None) -> pd.DataFrame:
    """Events per month (rows, every month from the period's first to its last, and any month
    outside it that has events) and agency (columns)."""
    months = events["date_start"].map(lambda d: date(d.year, d.month, 1))
    counts = pd.crosstab(months, events["agency"]).sort_index()
    bounds = [*counts.index, *((date(p.year, p.month, 1) for p in period) if period else ())]
    if bounds:
        # A month with no contact is a finding too: every month of the period has its bar.
        full = pd.date_range(min(bounds), max(bounds), freq="MS").date
        counts = counts.reindex(full, fill_value=0)
    return counts


def monthly(events: pd.DataFrame, path: Path | str, *, period: tuple[date, date] | None = None,
            agency_order: list[str] = (), title: str = "") -> Path:
    """Contacts per agency per month, as stacked bars; month-only dates count in their month."""
    plt = _figure_module()
    counts = month_counts(events, period)
    order = [a for a in agency_order if a in counts.columns]
    order += [a for a in counts.columns if a not in order]
    counts = counts[order]
    figure, axes = plt.subplots(figsize=(11, 4))
    bottom = [0] * len(counts)
    labels = [f"{m:%b %Y}" for m in counts.index]
    for agency in counts.columns:
        axes.bar(labels, counts[agency], bottom=bottom, label=agency)
        bottom = [b + c for b, c in zip(bottom, counts[agency], strict=True)]
    axes.set_ylabel("Contacts recorded")
    axes.tick_params(axis="x", labelrotation=90, labelsize="small")
    # Below the chart, as on the timeline, so the legend never covers a bar.
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=min(6, len(order) or 1),
                frameon=False, fontsize="small")
    return _finish(figure, axes, path, title)
