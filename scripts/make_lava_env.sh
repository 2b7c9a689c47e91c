#!/usr/bin/env bash
# Create or update .venv-lava: Python 3.10 with lava-nc 0.10.0, numpy<2, h5py and spikesim's
# torch-free core (editable, no dependencies pulled from the main environment).
#
# The interpreter is the first of: $SPIKESIM_LAVA_PYTHON, `python3.10` on PATH, or pyenv's
# 3.10.13. A stamp file holding a hash of this script and pyproject.toml makes a rerun with
# nothing changed a no-op (well under a second).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${SPIKESIM_LAVA_VENV:-$ROOT/.venv-lava}
STAMP=$VENV/.spikesim-stamp

is_310() { [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python() {
  local candidate
  if [ -n "${SPIKESIM_LAVA_PYTHON:-}" ]; then  # an explicit choice is used or refused, never skipped
    is_310 "$SPIKESIM_LAVA_PYTHON" && echo "$SPIKESIM_LAVA_PYTHON" && return 0
    echo "make_lava_env: SPIKESIM_LAVA_PYTHON=$SPIKESIM_LAVA_PYTHON is not a Python 3.10 interpreter" >&2
    return 1
  fi
  for candidate in "$(command -v python3.10 || true)" "$(pyenv prefix 3.10.13 2>/dev/null || true)/bin/python"; do
    # pyenv shims exist even when the version is not installed: ask the interpreter itself.
    if [ -n "$candidate" ] && is_310 "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  echo "make_lava_env: no Python 3.10 found (set SPIKESIM_LAVA_PYTHON, put python3.10 on PATH," \
       "or install pyenv 3.10.13); lava-nc 0.10.0 runs only on Python 3.10" >&2
  return 1
}

want=$(cat "$0" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

PY=$(find_python) || exit 1
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "lava-nc==0.10.0" "numpy<2" "h5py"
# --no-deps: the core needs only numpy and h5py, installed above with the numpy<2 pin.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import lava.magma, h5py, numpy, spikesim.ir, spikesim.io' >/dev/null
echo "$want" > "$STAMP"
echo "make_lava_env: $VENV ready ($("$VENV/bin/python" --version), lava-nc 0.10.0)"
