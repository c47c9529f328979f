#!/bin/sh
# The two Quickstart commands in README.md, on a new machine with Python 3.11:
#   sh quickstart.sh example   builds the example review to _build/example/ (HTML and PDF)
#   sh quickstart.sh test      runs the test suite
# Each installs what it needs: TeX Live from Debian, and Chromium for the browser tests (as root;
# otherwise it says what to type),
# then nox in .venv/, which makes its own environment for the session from pyproject.toml.
set -eu
cd "$(dirname "$0")"

TEX_PACKAGES="latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-luatex tex-gyre fonts-noto-core fonts-dejavu-core make"

usage() {
  echo "usage: sh quickstart.sh example|test [arguments for pytest]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
task=$1
shift

have_tex() {
  command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 \
    && command -v lualatex >/dev/null 2>&1 \
    && kpsewhich lastpage.sty tgtermes.sty luaotfload.sty >/dev/null 2>&1 \
    && fc-list "Noto Naskh Arabic" 2>/dev/null | grep -q . \
    && fc-list "DejaVu Sans Mono" 2>/dev/null | grep -q .
}

# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool).
if [ "$task" = test ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Chromium for the browser tests (once)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium is needed for the browser tests and is not installed (they will be skipped)." >&2
    echo "Install it with:  sudo apt-get install chromium" >&2
  fi
fi

if ! have_tex; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing TeX Live for the PDFs (a few minutes, once)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $TEX_PACKAGES >/dev/null
  else
    echo "TeX Live is needed for the PDFs and is not installed. Install it with:" >&2
    echo "  sudo apt-get install $TEX_PACKAGES" >&2
    echo "then run this command again." >&2
    [ "$task" = example ] || exit 1
  fi
fi

if [ ! -x .venv/bin/nox ]; then
  echo "Installing nox into .venv/…"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check "nox>=2025.2.9"
fi

case $task in
  example) exec .venv/bin/nox --reuse-venv=yes -s example -- "$@" ;;
  test) exec .venv/bin/nox --reuse-venv=yes -s tests -- "$@" ;;
  *) usage ;;
esac
