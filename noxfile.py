"""Development sessions: tests, lint, the example review, the user guide and benchmarks."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    deps = [d for g in groups for d in nox.project.dependency_groups(PYPROJECT, g)]
    session.install("--disable-pip-version-check", "-e", ".", *deps)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (builds real review projects, reads the PDFs and HTML)."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff, and the layers of the package with import-linter."""
    install(session, "lint")
    session.run("ruff", "check", "chronology", "casereview", "tests", "benchmarks", "reviews",
                "noxfile.py")
    session.run("lint-imports")


@nox.session
def example(session: nox.Session) -> None:
    """Build the example case to _build/example (HTML and PDF), after signing off its agencies'
    reviews with throwaway keys and receiving the police's as a package."""
    install(session)
    session.run("python", "reviews/prepare_example.py", "_build/example-keys")
    session.run("casereview", "build", "reviews/example", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the user guide to _build/docs with warnings as errors."""
    install(session, "docs")
    session.run("sphinx-build", "-W", "--keep-going", "-q", "-c", ".", "docs", "_build/docs")


@nox.session(default=False)
def build(session: nox.Session) -> None:
    """Build the example review (both editions), the action register and the user guide."""
    install(session, "docs")
    session.run("python", "reviews/prepare_example.py", "_build/example-keys")
    session.run("casereview", "build", "reviews/example")
    session.run("casereview", "build", "reviews/example", "--edition", "public")
    session.run("casereview", "actions", "report")
    session.run("sphinx-build", "-W", "--keep-going", "-q", "-c", ".", "docs", "_build/docs")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the chronology engine against plain pandas and bare Sphinx (slow)."""
    install(session, "bench")
    session.run("python", "benchmarks/run.py", *session.posargs)
