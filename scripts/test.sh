#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine (as root, or with sudo), then runs
# every test with every distribution installed (`nox -s tests`). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "== system packages (gnugo, chromium, bubblewrap and libseccomp for the Python sandbox)"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends gnugo chromium >/dev/null
echo "== nox"
python3 -m pip install -q nox
echo "== tests"
if [ "$#" -gt 0 ]; then nox -s tests -- "$@"; else nox -s tests; fi
