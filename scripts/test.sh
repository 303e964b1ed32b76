#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine (as root, or with sudo), then runs
# every test with every distribution installed (`nox -s tests`). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
# llama.cpp built with -march=native on a CPU with Intel AMX (recent Xeons, like this project's CI machines) uses AMX
# kernels that crash on the first decode of SmolLM2's Q4_1 GGUF: build llama-cpp-python for a portable AVX2 CPU
# unless CMAKE_ARGS says otherwise (dosaku-modules-llamacpp also loads models around it at run time).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "== system packages (gnugo, chromium)"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends gnugo chromium >/dev/null
echo "== nox"
python3 -m pip install -q nox
echo "== tests"
if [ "$#" -gt 0 ]; then nox -s tests -- "$@"; else nox -s tests; fi
