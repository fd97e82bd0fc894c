# Sourced by scripts/serve and scripts/test: make .venv with Python >= 3.11 and install hirebridge into it.
# Re-installs only when pyproject.toml changed, so repeated runs start at once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pick_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "hirebridge needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    exit 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
    rm -rf .venv
    "$(pick_python)" -m venv .venv
fi
stamp=".venv/.hirebridge-installed-$1"
digest=$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "==> installing hirebridge into .venv ($1)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >&2
    if [ "$1" = "dev" ]; then
        .venv/bin/python -m pip install --quiet -e '.[dev]' >&2
    else
        .venv/bin/python -m pip install --quiet -e . >&2
    fi
    echo "$digest" > "$stamp"
fi
