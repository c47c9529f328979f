"""Benchmarks for the chronology engine, each reported as a ratio to a baseline in the same run.

1. Load + validate + merge of 100,000 events in 12 CSV files, against the route an analyst
   would write in pandas: read_csv, to_datetime (day first, mixed formats, errors coerced),
   concat, sort_values (target: at most 1.0, while doing every check the baseline does not).
2. Peak memory of that load, in a process of its own (target: under 500 MB).
3. HTML build of a review with a 5,000-event chronology, against a bare Sphinx project that shows
   the same rows with the csv-table directive (target: at most 0.5); and the engine's share of
   that build: what the reader of a real-sized review waits for is Sphinx, not the engine.

Timings are medians of several runs after a warm-up, ours and the baseline's taken in turn; the
date caches are cleared before each run so every run reads every date spelling afresh.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def paired_medians(ours, theirs, runs: int) -> tuple[float, float]:
    """Median times of two functions run in turn, so that both meet the same spells of a busy
    machine: timed one block after the other, a ratio moved by a quarter between runs."""
    ours(), theirs()  # warm-up: imports, file cache
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs):
        pair = ((ours, times[0]), (theirs, times[1]))
        for function, kept in pair if run % 2 else reversed(pair):
            started = time.perf_counter()
            function()
            kept.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def engine(paths):
    from chronology import dates, merge
    from chronology.records import Source, load

    dates.clear_caches()
    loaded = [load(Source(p, agency=p.stem)) for p in paths]
    return merge(loaded)


def plain_pandas(paths):
    import pandas as pd

    frames = []
    for path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame["Date"] = pd.to_datetime(frame["Date"], dayfirst=True, format="mixed",
                                       errors="coerce")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).sort_values(["Date", "Time"], kind="stable")


PEAK_MEMORY = """
import resource, sys
from pathlib import Path
sys.path.insert(0, {here!r})
from run import engine
events = engine(sorted(Path({data!r}).glob("*.csv")))
assert len(events) == {count}
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_memory_mb(data: Path, count: int) -> float:
    code = PEAK_MEMORY.format(here=str(HERE), data=str(data), count=count)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def review_project(folder: Path, records: Path) -> Path:
    review = folder / "reviews" / "bench"
    (review / "records").mkdir(parents=True)
    shutil.copy(ROOT / "conf.py", folder / "conf.py")
    shutil.copy(records, review / "records" / "agency.csv")
    (review / "review.toml").write_text(
        'title = "Benchmark review"\nagency = "Bench"\nchild = "Child B"\npanel = "Panel"\n'
        'requested = 2017-06-01\n[period]\nstart = 2014-01-01\nend = 2016-12-31\n'
        '[reviewer]\nname = "R"\nrole = "Reviewer"\n[chief_officer]\nname = "C"\nrole = "Chief"\n'
        '[chronology]\ngap_days = 10000\n'
        '[[documents]]\nsource = "review.md"\ntitle = "Review"\n'
        '[[records]]\nagency = "Agency"\nfile = "records/agency.csv"\n')
    (review / "index.md").write_text("# Benchmark\n")
    (review / "review.md").write_text("# Review\n\n```{chronology}\n```\n")
    return review


def bare_project(folder: Path, records: Path) -> Path:
    bare = folder / "bare"
    bare.mkdir()
    shutil.copy(records, bare / "agency.csv")
    (bare / "conf.py").write_text('extensions = []\nhtml_theme = "alabaster"\n')
    (bare / "index.rst").write_text("Benchmark\n=========\n\n.. csv-table:: Chronology\n"
                                    "   :file: agency.csv\n   :header-rows: 1\n")
    return bare


def html_builds(folder: Path, runs: int) -> tuple[float, float, float]:
    """Median build times of the review and the bare project, and the engine's own time on
    the review's records."""
    records = generate(folder / "records", 5_000, 1)[0]
    review = review_project(folder, records)
    bare = bare_project(folder, records)
    ours = [sys.executable, "-m", "casereview.cli", "build", str(review), "--no-pdf", "-o",
            str(folder / "out-review")]
    theirs = [sys.executable, "-m", "sphinx", "-q", "-E", "-b", "html", str(bare),
              str(folder / "out-bare")]

    def build(command):
        return lambda: subprocess.run(command, check=True, capture_output=True, cwd=folder)

    review_time, bare_time = paired_medians(build(ours), build(theirs), runs)
    engine_time, _ = paired_medians(lambda: engine([records]), lambda: None, runs)
    return review_time, bare_time, engine_time


WHOLE_ENGINE = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
from run import engine
engine(sorted(Path({data!r}).glob("*.csv")))
"""
WHOLE_PANDAS = """
import sys
from pathlib import Path
sys.path.insert(0, {here!r})
from run import plain_pandas
plain_pandas(sorted(Path({data!r}).glob("*.csv")))
"""


def whole_process(data: Path, runs: int) -> tuple[float, float]:
    """The same comparison as whole processes, imports included: what a user waits for."""
    def process(code):
        command = [sys.executable, "-c", code.format(here=str(HERE), data=str(data))]
        return lambda: subprocess.run(command, check=True)
    return paired_medians(process(WHOLE_ENGINE), process(WHOLE_PANDAS), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=12)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        data = scratch / "data"
        paths = generate(data, args.events, args.agencies)
        print(f"Data: {args.events:,} events in {args.agencies} CSV files")
        ours, base = paired_medians(lambda: engine(paths), lambda: plain_pandas(paths),
                                    args.runs)
        print(f"1. load+validate+merge: {ours:.3f} s; pandas read+to_datetime+concat+sort: "
              f"{base:.3f} s; ratio {ours / base:.2f} (target <= 1.0)")
        ours_whole, base_whole = whole_process(data, args.runs)
        print(f"   as whole processes: {ours_whole:.2f} s vs {base_whole:.2f} s; ratio "
              f"{ours_whole / base_whole:.2f}")
        memory = peak_memory_mb(data, args.events)
        print(f"2. peak memory of load+validate+merge: {memory:.0f} MB (target < 500 MB)")
        review, bare, engine_time = html_builds(scratch / "html", max(3, args.runs // 2))
        print(f"3. HTML build, 5,000 events: casereview {review:.2f} s; bare Sphinx csv-table "
              f"{bare:.2f} s; ratio {review / bare:.2f} (target <= 0.5)")
        print(f"   the engine on those 5,000 events: {engine_time:.3f} s, "
              f"{engine_time / review:.1%} of the build")


if __name__ == "__main__":
    main()
