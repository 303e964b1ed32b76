"""``dosaku serve`` chat with EchoBot (the openai client, over HTTP on 127.0.0.1, streamed and not) vs EchoBot
called directly (``bot.message``), alternating in the same run: the overhead per request of the OpenAI-compatible
endpoint (HTTP, JSON, the agent pool, resetting the module). Results go to benchmarks/results/serve.json.

    python benchmarks/bench_serve.py [--requests 50] [--rounds 9]
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import write_results

MESSAGES = [{"role": "user", "content": "Hello, what's your name?"}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _per_request(function: Any, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        function()
    return (time.perf_counter() - start) / requests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dosaku-bench-serve-")
    env = {**os.environ, "DOSAKU_CONFIG": f"{home}/config.ini", "DOSAKU_DATA_DIR": f"{home}/data",
           "DOSAKU_CACHE_DIR": f"{home}/c"}
    import openai
    from dosaku.modules import EchoBot

    port = _free_port()
    dosaku = Path(sys.executable).parent / "dosaku"
    server = subprocess.Popen([str(dosaku), "serve", "--module", "EchoBot", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=5)
        for _ in range(300):
            try:
                client.models.list()
                break
            except openai.APIConnectionError:
                time.sleep(0.1)
        bot = EchoBot()

        def direct() -> Any:
            bot.reset()
            return bot.message(MESSAGES[0]["content"])

        def direct_stream() -> Any:
            bot.reset()
            return list(bot.message(MESSAGES[0]["content"], stream=True))

        def served() -> Any:
            return client.chat.completions.create(model="EchoBot", messages=MESSAGES).choices[0].message.content

        def served_stream() -> Any:
            return [c for c in client.chat.completions.create(model="EchoBot", messages=MESSAGES, stream=True)]

        paths = {"direct": direct, "direct_stream": direct_stream, "served": served, "served_stream": served_stream}
        assert served() == direct()
        best = {name: float("inf") for name in paths}
        for round_index in range(args.rounds):
            names = list(paths)[round_index % len(paths):] + list(paths)[:round_index % len(paths)]
            for name in names:
                best[name] = min(best[name], _per_request(paths[name], args.requests))
    finally:
        server.terminate()
        server.wait(10)
    results = {"requests_per_round": args.requests, "rounds": args.rounds, "openai": openai.__version__}
    for name, seconds in best.items():
        results[f"{name}_ms_per_request"] = round(seconds * 1e3, 4)
    results["overhead_ms_per_request"] = round((best["served"] - best["direct"]) * 1e3, 3)
    results["stream_overhead_ms_per_request"] = round((best["served_stream"] - best["direct_stream"]) * 1e3, 3)
    print(f"EchoBot direct {best['direct'] * 1e6:.1f} us; through dosaku serve {best['served'] * 1e3:.2f} ms "
          f"(streamed {best['served_stream'] * 1e3:.2f} ms): the endpoint adds about "
          f"{results['overhead_ms_per_request']} ms a request")
    write_results("serve", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
