#!/usr/bin/env bash
# The simulator as the official Python SDK sees it: installs `openai` with pip, from the machine's configured index,
# into a throwaway venv, and runs scripts/python-sdk-check.py against `runstate sim`. When the install cannot work
# (no python3 with venv, or no index that has openai: a machine without PyPI or a mirror), it says so in one line
# and exits 0: a skipped check is reported as skipped, never as passed. Run by .ci/run; by hand: bash this file.
set -uo pipefail
cd "$(dirname "$0")/.."
skip() { echo "python check: SKIPPED ($1)"; exit 0; }

command -v python3 >/dev/null 2>&1 || skip "no python3 on this machine"
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 cannot make a venv (install python3-venv)"
# Few retries and a short timeout: an index that cannot be reached fails the install at once instead of stalling.
if ! log=$("$venv/bin/pip" install --quiet --retries 1 --timeout 15 openai 2>&1); then
  skip "pip could not install openai from the configured index: $(tail -n 1 <<<"$log")"
fi
"$venv/bin/python" scripts/python-sdk-check.py
