#!/usr/bin/env bash
# Installs the Python package into a virtual environment, offline, as a user does:
#   scripts/python_install.sh [VENV_DIR]   (default: venv)
# The venv sees Debian's numpy and torch (--system-site-packages); setuptools and pybind11
# come from Debian too (--no-build-isolation), so nothing is fetched from a package index.
# CODELENGTH_ARCH=x86-64-v3 compiles the extension for that -march target.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
venv="${1:-venv}"
bash scripts/install_deps.sh
if [[ ! -x "$venv/bin/python" ]]; then
    /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -m pip install --quiet --no-build-isolation --no-index ./python
"$venv/bin/python" -c "import codelength; print('codelength', codelength.__version__, 'installed in $venv')"
