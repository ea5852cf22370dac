#!/usr/bin/env bash
# Re-resolves requirements/requirements.in into requirements/lock.txt in a scratch venv.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q --upgrade pip
"$scratch/venv/bin/pip" install -q -r requirements/requirements.in hatchling editables
# --all: setuptools is a dependency too (dlt needs >= 65.6; `python -m venv` brings 65.5)
"$scratch/venv/bin/pip" freeze --all --exclude-editable | grep -v -e '^-e' -e '^pip==' \
    > requirements/lock.txt
rm -rf "$scratch"
echo "wrote requirements/lock.txt"
