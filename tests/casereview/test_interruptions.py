"""Commands killed part-way (kill -9) leave nothing complete-looking, and the next run of the
same command removes what they left and says so.

Each command runs in a process of its own that kills itself, with SIGKILL, the moment it calls a
chosen function for the nth time: the same stop as a kill at that point, without a race.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, make_workspace

KILLED_AT = """
import importlib, os, signal, sys
sys.path.insert(0, {root!r})
module = importlib.import_module({module!r})
original = getattr(module, {function!r})
calls = 0

def dying(*args, **kwargs):
    global calls
    calls += 1
    if calls == {nth}:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)

setattr(module, {function!r}, dying)
from casereview.cli import main
sys.argv = ["casereview", *{args!r}]
main()
"""


def run(workspace: Path, *args: str, kill: tuple[str, str, int] | None = None):
    if kill is None:
        command = [sys.executable, "-m", "casereview.cli", *args]
    else:
        module, function, nth = kill
        command = [sys.executable, "-c", KILLED_AT.format(root=str(ROOT), module=module,
                                                          function=function, nth=nth, args=args)]
    return subprocess.run(command, cwd=workspace, capture_output=True, text=True, timeout=300)


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) \
        if folder.is_dir() else []


def test_a_killed_secure_leaves_no_set_and_the_next_run_removes_its_copies(tmp_path):
    review = make_workspace(tmp_path)
    killed = run(tmp_path, "records", "secure", "reviews/case", "reviews/case/records", "--by",
                 "Alan Price", kill=("shutil", "copy2", 1))
    assert killed.returncode == -signal.SIGKILL
    secured, working = review / "secured", review / "working"
    # Nothing that looks like a secured set or a duplicate, and nothing in the custody log.
    assert [p.name for p in secured.iterdir() if not p.name.startswith(".")] == []
    assert [p.name for p in working.iterdir() if not p.name.startswith(".")] == []
    assert not (review / "custody.jsonl").exists()
    left = hidden(secured) + hidden(working)
    assert left, "the killed run should have left its staging copies"

    again = run(tmp_path, "records", "secure", "reviews/case", "reviews/case/records", "--by",
                "Alan Price")
    assert again.returncode == 0, again.stderr
    for name in hidden(secured):
        assert name not in left
    assert "an unfinished copy left by an interrupted run of secure" in again.stderr
    assert hidden(secured) == [] and hidden(working) == []


def test_a_killed_merge_leaves_no_export_and_the_next_run_removes_its_temporary(tmp_path):
    make_workspace(tmp_path)
    out = tmp_path / "merged.csv"
    killed = run(tmp_path, "chronology", "merge", "reviews/case", "-o", "merged.csv",
                 kill=("os", "replace", 1))
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()
    assert [p.name for p in tmp_path.glob(".merged.csv.*")]
    again = run(tmp_path, "chronology", "merge", "reviews/case", "-o", "merged.csv")
    assert again.returncode == 0, again.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("ID,Date")
    assert list(tmp_path.glob(".merged.csv.*")) == []


def test_a_killed_build_keeps_the_old_output_whole_and_the_next_build_says_so(tmp_path):
    make_workspace(tmp_path)
    first = run(tmp_path, "build", "reviews/case", "--no-pdf")
    assert first.returncode == 0, first.stderr
    outdir = tmp_path / "_build" / "case"
    page = outdir / "html" / "management-review.html"
    before = page.read_text()
    # PDFs of an earlier build: a build killed part-way must never leave new HTML beside them.
    (outdir / "pdf").mkdir()
    (outdir / "pdf" / "management-review.pdf").write_bytes(b"%PDF-1.4 old")
    doc = tmp_path / "reviews" / "case" / "management-review.md"
    doc.write_text(doc.read_text() + "\nA new paragraph.\n")
    killed = run(tmp_path, "build", "reviews/case", "--no-pdf",
                 kill=("casereview.typesetting", "replace_folder", 1))
    assert killed.returncode == -signal.SIGKILL
    assert page.read_text() == before  # the old HTML, whole
    assert not (outdir / "pdf").exists()  # the old PDFs are not shown beside other HTML
    assert hidden(outdir)
    again = run(tmp_path, "build", "reviews/case", "--no-pdf")
    assert again.returncode == 0, again.stderr
    assert "warning [build-interrupted] removed _build/case/.stage-" in again.stderr
    assert "A new paragraph." in page.read_text()
    assert hidden(outdir) == []
