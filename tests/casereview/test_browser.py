"""The example's chronology in a real browser: Debian's Chromium, driven by Playwright.

Each filter is applied through the page's own controls and through the address, and the rows
shown are compared with what the rows' data says should be shown. The page must make no
request to any network address and log no error.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
#: The flags a sandboxed, offline machine needs; background networking would try Google's hosts.
BOX = "[data-test-box]"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page_url(built_example):
    """The overview report's composite chronology: every agency's events."""
    return (built_example.built.html / "overview-report.html").as_uri()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed; sh quickstart.sh test installs it (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """One page opened in its own context, with every request and error it made."""

    def __init__(self, browser, url: str, *, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        # The page shows more than one chronology; the tests look at the whole one, the longest.
        self.page.evaluate("""() => {
            const boxes = [...document.querySelectorAll('[data-chronology]')];
            const rows = box => box.querySelectorAll('tr.event').length;
            boxes.sort((a, b) => rows(b) - rows(a))[0].setAttribute('data-test-box', '');
        }""")

    def rows(self) -> list[dict]:
        return self.page.eval_on_selector_all(
            f"{BOX} table.chronology tr.event", "rows => rows.map(r => ({id: r.id, shown: !r.hidden, "
            "...r.dataset, text: r.textContent.toLowerCase()}))")

    def shown(self) -> list[str]:
        return [r["id"] for r in self.rows() if r["shown"]]

    def count(self) -> str:
        return self.page.text_content(f"{BOX} [data-chronology-count]")

    def close(self) -> None:
        assert self.errors == []
        assert [u for u in self.requests if urlparse(u).scheme not in ("file", "data")] == []
        self.context.close()


@pytest.fixture
def visit(browser, page_url):
    opened = []

    def open_page(query: str = "", **options):
        opened.append(Visit(browser, page_url + query, **options))
        return opened[-1]
    yield open_page
    for page in opened:
        page.close()


def expected(rows, keep) -> list[str]:
    return [r["id"] for r in rows if keep(r)]


def test_without_javascript_the_whole_table_reads_as_before(visit):
    page = visit(javascript=False)
    assert page.page.is_hidden(f"{BOX} [data-chronology-filters]")
    assert len(page.shown()) == len(page.rows()) > 20


def test_every_filter_through_the_controls(visit):
    page = visit()
    rows = page.rows()
    assert page.count() == f"Showing all {len(rows)} events."
    p = page.page
    p.select_option(f'{BOX} [data-chronology-filter="agency"]', "POL")
    police = expected(rows, lambda r: r["agency"] == "POL")
    assert page.shown() == police and 0 < len(police) < len(rows)
    assert page.count() == f"Showing {len(police)} of {len(rows)} events."
    assert "agency=POL" in p.url
    p.fill(f'{BOX} [data-chronology-filter="from"]', "2015-06-01")
    p.fill(f'{BOX} [data-chronology-filter="to"]', "2015-12-31")
    assert page.shown() == expected(rows, lambda r: r["agency"] == "POL" and
                                    r["dateEnd"] >= "2015-06-01" and r["date"] <= "2015-12-31")
    p.click(f"{BOX} [data-chronology-reset]")
    p.wait_for_function("() => !location.search")
    assert page.shown() == [r["id"] for r in rows]
    p.select_option(f'{BOX} [data-chronology-filter="significance"]', "high")
    assert page.shown() == expected(rows, lambda r: r["significance"] == "high") != []
    p.click(f"{BOX} [data-chronology-reset]")
    p.select_option(f'{BOX} [data-chronology-filter="kind"]', "allegation")
    assert page.shown() == expected(rows, lambda r: r["kind"] == "allegation")
    p.click(f"{BOX} [data-chronology-reset]")
    p.check(f'{BOX} [data-chronology-filter="joint"]')
    assert page.shown() == expected(rows, lambda r: r["joint"] == "true") != []
    p.click(f"{BOX} [data-chronology-reset]")
    p.fill(f'{BOX} [data-chronology-filter="q"]', "strategy")
    assert page.shown() == expected(rows, lambda r: "strategy" in r["text"]) != []


def test_a_view_is_shared_through_its_address(visit):
    page = visit("?agency=CSC&from=2015-03-01&to=2016-06-30&q=visit")
    rows = page.rows()
    assert page.shown() == expected(rows, lambda r: r["agency"] == "CSC" and
                                    r["dateEnd"] >= "2015-03-01" and r["date"] <= "2016-06-30"
                                    and "visit" in r["text"]) != []
    assert page.page.input_value(f'{BOX} [data-chronology-filter="agency"]') == "CSC"
    assert page.page.input_value(f'{BOX} [data-chronology-filter="q"]') == "visit"


def test_sort_by_agency_then_back_to_date(visit):
    page = visit()
    by_date = [r["id"] for r in page.rows()]
    page.page.select_option(f"{BOX} [data-chronology-sort]", "agency")
    agencies = [r["agency"] for r in page.rows()]
    assert agencies == sorted(agencies)
    page.page.select_option(f"{BOX} [data-chronology-sort]", "date")
    assert [r["id"] for r in page.rows()] == by_date


def test_the_controls_are_labelled_and_reached_by_keyboard(visit):
    page = visit()
    unlabelled = page.page.eval_on_selector_all(
        f"{BOX} [data-chronology-filter], {BOX} [data-chronology-sort]",
        "controls => controls.filter(c => !c.closest('label')).length")
    assert unlabelled == 0
    assert page.page.get_attribute(f"{BOX} [data-chronology-count]", "aria-live") == "polite"
    page.page.focus(f'{BOX} [data-chronology-filter="agency"]')
    page.page.keyboard.press("Tab")
    assert page.page.evaluate("document.activeElement.dataset.chronologyFilter") == "from"


def test_record_text_never_becomes_markup(visit):
    page = visit("?q=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert page.page.eval_on_selector_all("table.chronology img", "images => images.length") == 0
    assert page.count().startswith("Showing 0 of")


#: What a reader sees of each cell: the room in each heading against its widest word (measured
#: in the page's own font, whatever fonts the machine has), and cells whose content needs more
#: width than they have.
CELLS = """() => {
    const table = document.querySelector('[data-test-box] table.chronology');
    const heads = [...table.querySelectorAll('thead th')].map(th => {
        const style = getComputedStyle(th);
        const room = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const probe = document.createElement('span');
        probe.style.whiteSpace = 'nowrap';
        const widest = Math.max(...th.textContent.split(/\\s+/).map(word => {
            probe.textContent = word;
            th.appendChild(probe);
            const width = probe.getBoundingClientRect().width;
            probe.remove();
            return width;
        }));
        return {name: th.textContent, width: th.getBoundingClientRect().width, room, widest};
    });
    const overflowing = [...table.querySelectorAll('tbody td')]
        .filter(td => td.scrollWidth > td.clientWidth + 1)
        .map(td => td.parentElement.id + ': ' + td.textContent);
    return {heads, overflowing};
}"""


def readable_columns(page) -> None:
    """Every column wide enough for the words of its heading, the event's the widest, and
    nothing spilling out of its cell across the next (an ID on one line; a long word wrapped
    inside its column)."""
    cells = page.evaluate(CELLS)
    narrow = [h["name"] for h in cells["heads"] if h["widest"] > h["room"] + 0.5]
    assert narrow == []
    widest = max(cells["heads"], key=lambda h: h["width"])
    assert widest["name"] == "Event"
    assert cells["overflowing"] == []


@pytest.mark.parametrize("width", [1280, 1024, 700])
def test_every_column_of_the_chronology_can_be_read(browser, built_example, width):
    pages = [built_example.built.html / "overview-report.html",
             built_example.probation.html / "management-review.html"]
    for path in pages:
        visit = Visit(browser, path.as_uri())
        visit.page.set_viewport_size({"width": width, "height": 900})
        readable_columns(visit.page)
        visit.close()


def test_the_headings_stay_in_view_as_a_long_chronology_scrolls(visit):
    page = visit()
    seen = page.page.eval_on_selector(f"{BOX} .chronology-scroll", """box => {
        box.scrollIntoView();
        box.scrollTop = 600;
        const edge = box.getBoundingClientRect();
        const under = document.elementFromPoint(edge.left + 20, edge.top + 5);
        return {scrolls: box.scrollHeight > box.clientHeight, scrolled: box.scrollTop,
                top: (under.closest('th') || under).textContent.trim()};
    }""")
    assert seen["scrolls"] and seen["scrolled"] == 600
    assert seen["top"] == "ID"


def test_long_unbroken_text_wraps_inside_its_column(browser, tmp_path):
    from casereview.build import build
    from tests.conftest import make_workspace

    review = make_workspace(tmp_path)
    address = "https://records.example.org/case-files/2019/probation/appointments?ref=000123456789"
    with (review / "records" / "probation.csv").open("a") as records:
        records.write(f"9,04/04/2019,Case record,Report filed at {address},"
                      f"Reference PRB/2019/000123456789/ADDENDUM-A sent.\n")
    built = build(review, tmp_path / "out", pdf=False)
    visit = Visit(browser, (built.html / "management-review.html").as_uri())
    readable_columns(visit.page)
    assert address in visit.page.text_content("table.chronology")
    visit.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_preview_shows_an_edit_in_the_open_page(browser, tmp_path):
    """casereview preview serves on 127.0.0.1 and reloads the page when a document is saved."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.conftest import make_workspace

    review = make_workspace(tmp_path)
    port = free_port()
    log = (tmp_path / "preview.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "casereview.cli", "preview", "reviews/case",
                               "--port", str(port)], cwd=tmp_path, start_new_session=True,
                              stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/management-review.html"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, \
                    (tmp_path / "preview.log").read_text()
                time.sleep(0.2)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        doc = review / "management-review.md"
        doc.write_text(doc.read_text() + "\nA paragraph added while previewing.\n")
        page.wait_for_function("document.body.textContent.includes("
                               "'A paragraph added while previewing.')", timeout=60_000)
        context.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
