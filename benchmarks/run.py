"""Benchmarks for the chronology engine, each reported as a ratio to a baseline in the same run.

1. Load + validate + merge of 100,000 events in 12 CSV files, against the route an analyst
   would write in pandas: read_csv, to_datetime (day first, mixed formats, errors coerced),
   concat, sort_values (target: at most 1.0, while doing every check the baseline does not).
2. Peak memory of that load, in a process of its own (target: under 500 MB).
3. HTML build of a review with a 5,000-event chronology, against a bare Sphinx project that shows
   the same rows with the csv-table directive (target: at most 0.5); and the engine's share of
   that build: what the reader of a real-sized review waits for is Sphinx, not the engine.
4. In Debian's Chromium (when installed): the time to filter that 5,000-event chronology in the
   page, until the next frame is drawn (target: under 200 ms); and, under casereview preview,
   the time from saving an edit to a paragraph of the example to seeing it in the open page
   (target: within 3 s).
5. HTML and PDF of a review with a 5,000-event chronology, against plain Sphinx's LaTeX route
   for the same rows (a csv-table through the same LuaLaTeX and fonts): target at most 1.0, one
   build each, since each takes minutes. With --long, a 20,000-event chronology is typeset too.

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
from pypdf import PdfReader  # noqa: E402

from casereview.sphinxext import UNICODE_FONTS  # noqa: E402


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


def bare_latex_project(folder: Path, records: Path) -> Path:
    """Plain Sphinx printing the same rows: a csv-table, through the same LaTeX engine and
    fonts as casereview's (LuaLaTeX and Noto), so both do the same typesetting work."""
    bare = bare_project(folder, records)
    fonts = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in UNICODE_FONTS.items()) + "}"
    (bare / "conf.py").write_text('extensions = []\nlatex_engine = "lualatex"\n'
                                  f"latex_elements = {fonts}\n"
                                  'latex_documents = [("index", "bare.tex", "Bare", "B", '
                                  '"howto")]\n')
    return bare


def pdf_builds(folder: Path, events: int) -> tuple[float, float | None, int]:
    """One build each (they take minutes): casereview's HTML and PDF of a review with
    ``events`` events, and plain Sphinx's LaTeX route for the same rows (None if it fails);
    and the PDF's pages."""
    records = generate(folder / "records", events, 1)[0]
    review = review_project(folder, records)
    ours = [sys.executable, "-m", "casereview.cli", "build", str(review), "-o",
            str(folder / "out-review")]
    started = time.perf_counter()
    subprocess.run(ours, check=True, capture_output=True, cwd=folder)
    our_time = time.perf_counter() - started
    pages = len(PdfReader(folder / "out-review" / "pdf" / "review.pdf").pages)
    bare = bare_latex_project(folder, records)
    theirs = [sys.executable, "-m", "sphinx", "-M", "latexpdf", str(bare),
              str(folder / "out-bare"), "-q", "-E"]
    started = time.perf_counter()
    done = subprocess.run(theirs, capture_output=True, cwd=folder)
    their_time = time.perf_counter() - started if done.returncode == 0 else None
    return our_time, their_time, pages


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


BROWSER_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
#: Filters a reader applies one after the other: each timed for the script alone and until the
#: next frame is drawn (the browser's layout and painting of the rows included). Narrowing views
#: hide most rows; widening ones show all 5,000 again.
FILTER_TIMES = """async () => {
  const box = document.querySelector('[data-chronology]');
  const set = (name, value) => { box.querySelector(`[data-chronology-filter="${name}"]`).value = value; };
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const views = [['q', 'strategy', 'narrow'], ['q', '', 'widen'], ['from', '2015-03-01', 'narrow'],
                 ['to', '2015-06-30', 'narrow'], ['to', '', 'widen'], ['from', '', 'widen'],
                 ['q', 'home visit', 'narrow'], ['q', '', 'widen']];
  const times = [];
  for (const [name, value, kind] of views) {
    const started = performance.now();
    set(name, value);
    window.casereviewChronology.apply(box);
    const scripted = performance.now();
    await frame();
    times.push([kind, scripted - started, performance.now() - started]);
  }
  return times;
}"""


def browser():
    """Debian's Chromium under Playwright, or None where either is missing."""
    import shutil

    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, None
    if chromium is None:
        return None, None
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=chromium, args=BROWSER_FLAGS)


def filter_milliseconds(chromium, page_path: Path) -> dict[str, float]:
    """Median milliseconds: the script alone, and until drawn, for narrowing and widening."""
    page = chromium.new_page()
    page.goto(page_path.as_uri())
    times = page.evaluate(FILTER_TIMES)
    page.close()
    return {"script": statistics.median(t[1] for t in times),
            "narrow": statistics.median(t[2] for t in times if t[0] == "narrow"),
            "widen": statistics.median(t[2] for t in times if t[0] == "widen")}


def preview_seconds(chromium, folder: Path, edits: int = 5) -> float:
    """Median time from saving an edit to one paragraph of the example to seeing it."""
    import os
    import signal
    import socket
    import urllib.request

    shutil.copy(ROOT / "conf.py", folder / "conf.py")
    # Probation's management review, in the example case (which gives it the child and period).
    shutil.copytree(ROOT / "reviews" / "example", folder / "reviews" / "example",
                    ignore=shutil.ignore_patterns("received", "signoff", "secured", "working",
                                                  "custody.jsonl"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "casereview.cli", "preview",
                               "reviews/example/agencies/probation", "--port", str(port)],
                              cwd=folder,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/management-review.html"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        page = chromium.new_page()
        page.goto(url)
        document = folder / "reviews" / "example" / "agencies" / "probation" / \
            "management-review.md"
        times = []
        for number in range(edits):
            text = f"Benchmark edit number {number}."
            started = time.perf_counter()
            document.write_text(document.read_text() + f"\n{text}\n")
            page.wait_for_function(f"document.body.textContent.includes('{text}')",
                                   timeout=60_000)
            times.append(time.perf_counter() - started)
        page.close()
        return statistics.median(times)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--agencies", type=int, default=12)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--long", action="store_true",
                        help="also typeset a 20,000-event chronology (several minutes)")
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
        ours_pdf, bare_pdf, pages = pdf_builds(scratch / "pdf", 5_000)
        if bare_pdf is None:
            print(f"5. HTML and PDF, 5,000 events: casereview {ours_pdf:.1f} s ({pages} pages); "
                  "plain Sphinx's LaTeX route failed")
        else:
            print(f"5. HTML and PDF, 5,000 events: casereview {ours_pdf:.1f} s ({pages} pages); "
                  f"plain Sphinx LaTeX of the same rows {bare_pdf:.1f} s; ratio "
                  f"{ours_pdf / bare_pdf:.2f} (target <= 1.0; one build each)")
        if args.long:
            long_pdf, _, long_pages = pdf_builds(scratch / "long", 20_000)
            print(f"   20,000 events: casereview HTML and PDF {long_pdf:.0f} s, {long_pages} "
                  "pages")
        playwright, chromium = browser()
        if chromium is None:
            print("4. skipped: Debian's Chromium and Playwright are needed "
                  "(apt-get install chromium)")
            return
        try:
            page = scratch / "html" / "out-review" / "html" / "review.html"
            filtering = filter_milliseconds(chromium, page)
            print(f"4. filtering the 5,000-event chronology in Chromium (target < 200 ms), "
                  f"medians until the next frame is drawn: narrowing "
                  f"{filtering['narrow']:.0f} ms, showing all rows again "
                  f"{filtering['widen']:.0f} ms; the script alone {filtering['script']:.0f} ms")
            (scratch / "preview").mkdir()
            print(f"   preview, saving an edit to seeing it in the page: median "
                  f"{preview_seconds(chromium, scratch / 'preview'):.2f} s (target <= 3 s)")
        finally:
            chromium.close()
            playwright.stop()


if __name__ == "__main__":
    main()
