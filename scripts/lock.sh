#!/usr/bin/env bash
# Re-resolves requirements/requirements.in into requirements/lock.txt in a scratch venv.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q --upgrade pip
"$scratch/venv/bin/pip" install -q -r requirements/requirements.in hatchling editables
"$scratch/venv/bin/pip" freeze --exclude-editable | grep -v '^-e' > requirements/lock.txt
rm -rf "$scratch"
echo "wrote requirements/lock.txt"
