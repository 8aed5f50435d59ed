#!/usr/bin/env bash
# The two set-up commands of the README:
#   ./run.sh        install the tool, validate the corpus, print its figures
#   ./run.sh test   install the tool with every extra (Label Studio, mlcroissant, spaCy, test tools), run all tests
# Both create .venv/ with python3 (3.11 or newer) on first use and reuse it after; the tests also need
# Debian's chromium, which ./run.sh test installs with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")"
mode=${1:-main}
PY=${PYTHON:-python3}
quiet=(-q)
[ -n "${CI:-}" ] && quiet=()

if [ ! -x .venv/bin/python ]; then
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "run.sh: Python 3.11 or newer is needed ($PY is older)" >&2; exit 2; }
  "$PY" -m venv .venv
  .venv/bin/python -m pip install "${quiet[@]}" --upgrade pip
fi

case "$mode" in
  main)
    .venv/bin/python -m pip install "${quiet[@]}" -e .
    git config diff.parquet.textconv ".venv/bin/newscorpus export --file" 2>/dev/null || true
    .venv/bin/newscorpus validate
    .venv/bin/newscorpus stats
    ;;
  test)
    .venv/bin/python -m pip install "${quiet[@]}" -e '.[all]'
    # headless Chromium renders `newscorpus show --html` pages in the tests (Debian package; root installs it)
    if ! command -v chromium >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
      else
        echo "run.sh: chromium is not installed (apt-get install chromium); the HTML rendering tests will fail" >&2
      fi
    fi
    shift || true
    .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh [main|test [pytest args]]" >&2
    exit 2
    ;;
esac
