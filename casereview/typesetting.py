"""Typesetting: run Sphinx, make PDFs with LaTeX, and replace output folders whole.

Used by every build that makes pages: an agency's review, a case's panel documents and the
board's action register. Sphinx's own output is captured; every warning becomes a located
problem and fails the run. Outputs are made in a staging folder and swapped into place, so a
failed or interrupted build never leaves a half-written site or PDF behind.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

from chronology.problems import CaseReviewError, Problem, Severity, display_path

# LuaLaTeX and Noto's fonts print every script a family's names may be written in.
TEX_PACKAGES = ("latexmk", "texlive-latex-recommended", "texlive-latex-extra",
                "texlive-fonts-recommended", "texlive-luatex", "tex-gyre", "fonts-noto-core",
                "fonts-dejavu-core", "make")


TEX_INSTALL = "apt-get install " + " ".join(TEX_PACKAGES)


Progress = Callable[[str], None]


class BuildError(CaseReviewError):
    """Sphinx or LaTeX reported problems; the outputs were not replaced."""


class TexMissing(CaseReviewError):
    """LaTeX is not installed, so no PDF could be made (the HTML was built)."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


_WARNING_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)?:? ?(?P<level>WARNING|ERROR|CRITICAL): "
                           r"(?P<message>.*)$")


def _sphinx_problems(text: str) -> list[Problem]:
    """Sphinx's warning stream (coloured even when captured), as located problems."""
    problems = []
    for raw in _ANSI.sub("", text).splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _WARNING_LINE.match(line)
        if not match:
            problems.append(Problem("sphinx", line))
            continue
        message = match["message"]
        code = "sphinx"
        if tagged := re.search(r"\[([\w.-]+)\]$", message):
            code, message = tagged[1], message[: tagged.start()].rstrip()
        path = display_path(match["path"])
        row = int(match["line"]) if match["line"] else None
        problems.append(Problem(code, message, path, row))
    return problems


def run_sphinx(srcdir: Path, workspace: Path, builder: str, outdir: Path, doctrees: Path, *,
               fresh: bool, overrides: dict) -> None:
    """Run Sphinx quietly; every warning becomes a located problem and fails the run."""
    # Sphinx is imported when a build runs, not when the command line starts.
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    warnings = io.StringIO()
    try:
        # Each run gets its own docutils registries, as sphinx-build does, so HTML and LaTeX
        # can run in one process without the second run warning about the first one's setup.
        with patch_docutils(workspace), docutils_namespace():
            app = Sphinx(srcdir=srcdir, confdir=workspace, outdir=outdir,
                         doctreedir=doctrees, buildername=builder, status=io.StringIO(),
                         warning=warnings, freshenv=fresh, keep_going=True,
                         confoverrides=overrides)
            app.build()
    except SphinxError as exc:
        raise BuildError([Problem("sphinx", f"{exc.category}: {exc}",
                                  display_path(srcdir))]) from None
    problems = _sphinx_problems(warnings.getvalue())
    if problems:
        raise BuildError(problems)


def staging_folder(parent: Path, prefix: str) -> Path:
    """A temporary folder beside the output, with the permissions a normal folder would get."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)  # mkdtemp makes it private; the output should not be
    return folder


#: The folders a build works in beside its output; one left behind was interrupted.
_UNFINISHED = (".stage-*", ".html-*", ".pdf-*", ".*.old")


def clear_unfinished(outdir: Path) -> list[Path]:
    """Remove what an interrupted build left in ``outdir`` (killed part-way, its staging folder
    stays); the folders removed, so the build can say so."""
    found = sorted({p for pattern in _UNFINISHED for p in outdir.glob(pattern) if p.is_dir()})
    for folder in found:
        shutil.rmtree(folder)
    return found


def swap_outputs(staging: Path, outdir: Path) -> None:
    """Put a finished build's html/ and pdf/ in place, so that the HTML and the PDFs a reader
    finds come from the same build. The old PDFs are moved aside first: stopped at any moment,
    this leaves the old HTML and PDFs, or HTML with no PDFs, never new HTML beside old PDFs."""
    old_pdfs = outdir / ".pdf.old"
    if (outdir / "pdf").exists():
        shutil.rmtree(old_pdfs, ignore_errors=True)
        (outdir / "pdf").rename(old_pdfs)
    replace_folder(staging / "html", outdir / "html")
    if (staging / "pdf").is_dir():
        (staging / "pdf").rename(outdir / "pdf")
    shutil.rmtree(old_pdfs, ignore_errors=True)
    if (staging / "docx").is_dir():  # the Word copies, when asked for, from the same build
        replace_folder(staging / "docx", outdir / "docx")


def replace_folder(new: Path, target: Path) -> None:
    """Swap a finished output into place; the old one goes only once the new one is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def _latex_errors(log: Path, tex_name: str) -> list[Problem]:
    if not log.is_file():
        return [Problem("latex", "LaTeX failed before writing a log.", tex_name)]
    lines = log.read_text(encoding="latin-1").splitlines()
    problems = []
    for i, line in enumerate(lines):
        if line.startswith("! "):
            context = next((ln for ln in lines[i + 1:i + 4] if ln.startswith("l.")), "")
            problems.append(Problem("latex", f"{line[2:]} {context}".strip(), tex_name))
    return problems or [Problem("latex", f"LaTeX failed; see {log}.", tex_name)]


def engine_of(latex_dir: Path) -> str:
    """The TeX engine the workspace's conf.py chose (``latex_engine``), as Sphinx wrote it into
    the latexmkrc that latexmk reads: "lualatex" or "pdflatex"."""
    rc = latex_dir / "latexmkrc"
    text = rc.read_text(encoding="utf-8", errors="replace") if rc.is_file() else ""
    # The line "$pdflatex = 'lualatex ...'" names the program latexmk -pdf runs.
    chosen = re.search(r"^\$pdflatex = '(\w+)", text, re.M)
    return "lualatex" if chosen and chosen[1] == "lualatex" else "pdflatex"


def _settle_page_count(latex_dir: Path, stem: str, env: dict) -> None:
    """Run LaTeX again while LaTeX itself says its labels changed on the last pass.

    latexmk can stop one pass early when the last page's label is the only thing that changed
    (seen with long tables on a fast machine), leaving "Page 1 of 3" on a 4-page PDF.
    """
    for _ in range(3):
        log = (latex_dir / f"{stem}.log").read_text(encoding="latin-1")
        if "Rerun to get cross-references right" not in log:
            return
        subprocess.run([engine_of(latex_dir), "-interaction=nonstopmode", "-halt-on-error",
                        f"{stem}.tex"], cwd=latex_dir, env=env, capture_output=True, text=True,
                       errors="replace")


#: pdflatex's complaint about a character it has no glyph for, with the character's code.
_NO_GLYPH = re.compile(r"Unicode character .*? \(U\+([0-9A-F]{4,6})\)")
#: LuaLaTeX's note of a character none of its fonts has (an emoji, or a script Noto's fonts
#: installed here do not cover); it prints nothing there, so casereview shows a box instead.
_LUA_NO_GLYPH = re.compile(r"Missing character: There is no .*? \(U\+([0-9A-F]{4,6})\)")


def _latexmk(latex_dir: Path, tex: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["latexmk", "-pdf", "-dvi-", "-ps-", "-interaction=nonstopmode",
                           "-halt-on-error", tex],
                          cwd=latex_dir, env=env, capture_output=True, text=True, errors="replace")


def _show_unprintable(latex_dir: Path, stem: str, env: dict) -> list[str]:
    """Find every character of the document that pdflatex has no glyph for (emoji, or scripts
    such as Arabic), and declare each to print as a box with its Unicode code and name.

    pdflatex itself says which characters it lacks: a draft pass that goes on past errors,
    repeated while it finds more, since it gives up after a hundred errors.
    """
    tex = latex_dir / f"{stem}.tex"
    found: list[str] = []
    for _ in range(20):
        subprocess.run(["pdflatex", "-draftmode", "-interaction=nonstopmode",
                        f"-jobname={stem}-glyphs", tex.name], cwd=latex_dir, env=env,
                       capture_output=True, text=True, errors="replace")
        log = (latex_dir / f"{stem}-glyphs.log").read_text(encoding="latin-1")
        new = [c for c in dict.fromkeys(chr(int(code, 16)) for code in _NO_GLYPH.findall(log))
               if c not in found]
        if not new:
            break
        found += new
        _declare_boxes(tex, new, r"\DeclareUnicodeCharacter{{{code}}}")
    for path in latex_dir.glob(f"{stem}-glyphs.*"):
        path.unlink()
    _forget_run(latex_dir, stem)
    return found


def _declare_boxes(tex: Path, characters: list[str], command: str) -> None:
    """Make each character print as a box with its Unicode code (and a symbol's name), with a
    break allowed after it so that a word of such letters can wrap. ``command`` declares one
    character: pdflatex's \\DeclareUnicodeCharacter{code} or newunicodechar's {character}."""
    declarations = "".join(
        command.format(code=f"{ord(c):04X}", character=c) +
        rf"{{\texorpdfstring{{\fbox{{\scriptsize {_code_and_name(c)}}}\allowbreak}}"
        rf"{{U+{ord(c):04X}}}}}" + "\n" for c in characters)
    text = tex.read_text(encoding="utf-8")
    tex.write_text(text.replace("\\begin{document}", declarations + "\\begin{document}", 1),
                   encoding="utf-8")


def _forget_run(latex_dir: Path, stem: str) -> None:
    """Remove an earlier run's files, which would confuse the next one."""
    for suffix in (".aux", ".toc", ".out", ".fdb_latexmk", ".fls"):
        (latex_dir / f"{stem}{suffix}").unlink(missing_ok=True)


def _show_missing_lua(latex_dir: Path, stem: str) -> list[str]:
    """The characters LuaLaTeX found no font for in its last run, each declared to print as a
    box with its code, as pdflatex's are."""
    log = (latex_dir / f"{stem}.log").read_text(encoding="utf-8", errors="replace")
    missing = list(dict.fromkeys(chr(int(code, 16)) for code in _LUA_NO_GLYPH.findall(log)))
    if missing:
        tex = latex_dir / f"{stem}.tex"
        text = tex.read_text(encoding="utf-8")
        tex.write_text(text.replace("\\begin{document}",
                                    "\\usepackage{newunicodechar}\n\\begin{document}", 1),
                       encoding="utf-8")
        _declare_boxes(tex, missing, r"\newunicodechar{{{character}}}")
        _forget_run(latex_dir, stem)
    return missing


def tex_installed() -> bool:
    return all(shutil.which(program) for program in ("latexmk", "pdflatex", "lualatex"))


def require_tex(html: Path) -> None:
    """Raise :class:`TexMissing`, naming the HTML already built, if LaTeX is not installed."""
    if not tex_installed():
        raise TexMissing([Problem(
            "tex-missing", "LaTeX is not installed, so the PDFs were not made (the HTML was "
            f"built in {display_path(html)}).", hint=f"Install it with: {TEX_INSTALL} "
            "(as root, or with sudo in front).")])


def make_pdfs(documents: list, latex_dir: Path, pdf_dir: Path, progress: Progress,
              notes: list[Problem] | None = None) -> list[Path]:
    """Typeset each document's .tex (anything with a ``stem``) into ``pdf_dir``.

    Characters no font has (or, under pdflatex, outside its few scripts) are shown as their
    Unicode code and name, with a note in
    ``notes``, rather than stopping the build.
    """
    pdf_dir.mkdir(parents=True, exist_ok=True)
    for document in documents:
        tex = f"{document.stem}.tex"
        progress(f"Typesetting {document.stem}.pdf")
        env = dict(os.environ, LATEXOPTS="-interaction=nonstopmode -halt-on-error")
        run = _latexmk(latex_dir, tex, env)
        log = latex_dir / f"{document.stem}.log"
        shown: list[str] = []
        if engine_of(latex_dir) == "lualatex":
            if run.returncode == 0:
                shown = _show_missing_lua(latex_dir, document.stem)
        elif run.returncode != 0 and log.is_file() and \
                _NO_GLYPH.search(log.read_text(encoding="latin-1")):
            shown = _show_unprintable(latex_dir, document.stem, env)
        if shown:
            if notes is not None:
                notes.append(_unprintable_note(shown, f"{document.stem}.pdf"))
            run = _latexmk(latex_dir, tex, env)
        if run.returncode != 0:
            raise BuildError(_latex_errors(log, tex))
        _settle_page_count(latex_dir, document.stem, env)
        shutil.copy2(latex_dir / f"{document.stem}.pdf", pdf_dir / f"{document.stem}.pdf")
    return [pdf_dir / f"{d.stem}.pdf" for d in documents]


def _code_and_name(character: str) -> str:
    """U+1F622 CRYING FACE for a symbol such as an emoji, whose name says what it meant; just
    U+0634 for a letter, which is read as part of its word."""
    code = f"U+{ord(character):04X}"
    if unicodedata.category(character).startswith("S") and unicodedata.name(character, ""):
        return f"{code} {unicodedata.name(character)}"
    return code


def _unprintable_note(characters: list[str], pdf: str) -> Problem:
    first = characters[0]
    some = "1 character" if len(characters) == 1 else f"{len(characters)} characters"
    return Problem("pdf-characters", f"{some} cannot be printed in the PDF and "
                   f"{'is' if len(characters) == 1 else 'are'} shown in a box as the Unicode "
                   f"code, such as {first} as {_code_and_name(first)}.", pdf,
                   severity=Severity.WARNING,
                   hint="The HTML shows the text as written; check the boxes read as meant.")

