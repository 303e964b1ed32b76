"""Time from starting ``dosaku_gui`` to its first served page, vs a bare gradio app, same run.

    python benchmarks/bench_gui.py [--runs 3]

The baseline is a one-textbox ``gr.Blocks`` app launched the same way (a fresh Python process each run), so the
ratio shows what Dosaku adds on top of gradio's own start-up. Writes benchmarks/results/bench_gui.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
BARE_APP = (
    "import sys, gradio as gr\n"
    "with gr.Blocks() as demo:\n"
    "    gr.Textbox()\n"
    "demo.queue().launch(server_name='127.0.0.1', server_port=int(sys.argv[1]), ssr_mode=False)\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_to_first_page(command: list[str], port: int, env: dict[str, str], timeout_s: float = 180.0) -> float:
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    try:
        while time.monotonic() - start < timeout_s:
            if process.poll() is not None:
                raise SystemExit(f"{command[0]} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        raise SystemExit(f"no page within {timeout_s} s")
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="dosaku-bench-gui-"))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "DOSAKU_CONFIG": str(home / "config.ini"),
           "DOSAKU_DATA_DIR": str(home / "data"), "DOSAKU_CACHE_DIR": str(home / "cache")}
    gui = shutil.which("dosaku_gui", path=str(Path(sys.executable).parent)) or "dosaku_gui"
    (home / "bare_app.py").write_text(BARE_APP)
    dosaku_s, bare_s = [], []
    for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
        port = free_port()
        dosaku_s.append(time_to_first_page([gui, "--port", str(port)], port, env))
        port = free_port()
        bare_s.append(time_to_first_page([sys.executable, str(home / "bare_app.py"), str(port)], port, env))
    shutil.rmtree(home, ignore_errors=True)
    result = {"runs": args.runs, "dosaku_gui_s": dosaku_s, "bare_gradio_s": bare_s,
              "dosaku_gui_median_s": statistics.median(dosaku_s), "bare_gradio_median_s": statistics.median(bare_s)}
    result["ratio"] = result["dosaku_gui_median_s"] / result["bare_gradio_median_s"]
    print(f"dosaku_gui start -> first page: median {result['dosaku_gui_median_s']:.2f} s "
          f"(bare gradio app {result['bare_gradio_median_s']:.2f} s, ratio {result['ratio']:.2f}x)")
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / "bench_gui.json"
    output.write_text(json.dumps(result, indent=2))
    print(f"results: {output}")


if __name__ == "__main__":
    main()
