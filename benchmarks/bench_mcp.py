"""An MCP tool call through the agent (``agent.Time.get_current_time``: the connection thread, argument binding,
result conversion) vs the official ``mcp`` client calling the same server directly (``await client.call_tool`` in an
event loop), each path with its own server process of the same kind, measured alternately in the same run.

Servers: mcp-server-time over stdio (the real peer), and the SDK's MCPServer test server over streamable HTTP (a
URL is a service, so each call through the agent is also metered: booked in the SQLite spend ledger, measured apart).
Goal: agent <= 1.2x direct. Results go to benchmarks/results/mcp.json.

    python benchmarks/bench_mcp.py [--calls 50] [--rounds 15]
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

HERE = Path(__file__).parent
TOOL_SERVER = HERE.parent / "dosaku-mcp" / "tests" / "servers" / "tool_server.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Direct:
    """The mcp SDK's client, held open by one task of an event loop thread; each timed batch runs inside the loop."""

    def __init__(self, target: Any):
        import asyncio
        import concurrent.futures
        import threading

        from mcp import Client

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.stop = asyncio.Event()

        async def hold() -> None:
            async with Client(target) as client:
                self.client = client
                ready.set_result(None)
                await self.stop.wait()

        self.held = asyncio.run_coroutine_threadsafe(hold(), self.loop)
        ready.result(60)

    def batch(self, tool: str, arguments: dict[str, Any], calls: int) -> float:
        import asyncio

        async def run() -> float:
            start = time.perf_counter()
            for _ in range(calls):
                await self.client.call_tool(tool, arguments)
            return (time.perf_counter() - start) / calls

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(600)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.held.result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _through_agent(action: Any, arguments: dict[str, Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        action(**arguments)
    return (time.perf_counter() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dosaku-bench-mcp-")
    os.environ.update(DOSAKU_CONFIG=f"{home}/config.ini", DOSAKU_DATA_DIR=f"{home}/data", DOSAKU_CACHE_DIR=f"{home}/c")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    from dosaku import Agent, Config
    from mcp import StdioServerParameters

    port = _free_port()
    http = subprocess.Popen([sys.executable, str(TOOL_SERVER), "--http", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        config = Config()
        config.set("MCP_SERVERS", "time", "mcp-server-time --local-timezone UTC")
        config.set("MCP_SERVERS", "web", f"http://127.0.0.1:{port}/mcp")
        agent = Agent(enable_services=True, config=Config())
        agent.learn("Time")
        agent.learn("Web")
        cases = {
            "stdio": (agent.Time.get_current_time, Direct(StdioServerParameters(
                command="mcp-server-time", args=["--local-timezone", "UTC"])), "get_current_time",
                {"timezone": "Europe/Paris"}),
            "http": (agent.Web.echo, Direct(f"http://127.0.0.1:{port}/mcp"), "echo", {"text": "hello"}),
        }
        results: dict[str, Any] = {"calls_per_round": args.calls, "rounds": args.rounds}
        for name, (action, direct, tool, arguments) in cases.items():
            _through_agent(action, arguments, 20), direct.batch(tool, arguments, 20)  # warm up
            agent_times, direct_times = [], []
            for round_index in range(args.rounds):  # alternate which path goes first
                for path in ("agent", "direct")[round_index % 2:] + ("agent", "direct")[:round_index % 2]:
                    if path == "agent":
                        agent_times.append(_through_agent(action, arguments, args.calls))
                    else:
                        direct_times.append(direct.batch(tool, arguments, args.calls))
            direct.close()
            through, raw = min(agent_times), min(direct_times)  # the best round: the least disturbed by load
            results[f"{name}_agent_ms_per_call"] = round(through * 1e3, 4)
            results[f"{name}_direct_ms_per_call"] = round(raw * 1e3, 4)
            results[f"{name}_ratio"] = through / raw
            print(f"{name}: agent {through * 1e3:.3f} ms, direct {raw * 1e3:.3f} ms, ratio {through / raw:.3f} "
                  f"(goal <= 1.2)")
        meter = agent.Web.module.meter  # a URL is a service: each call books one request in the SQLite ledger
        start = time.perf_counter()
        for _ in range(args.calls):
            meter.reserve("mcp-web", calls=1).settle(calls=1)
        booking = (time.perf_counter() - start) / args.calls
        results["http_metering_ms_per_call"] = round(booking * 1e3, 4)
        results["http_unmetered_ratio"] = (results["http_agent_ms_per_call"] / 1e3 - booking) / (
            results["http_direct_ms_per_call"] / 1e3)
        print(f"http: of which metering {booking * 1e3:.3f} ms; without it the ratio is "
              f"{results['http_unmetered_ratio']:.3f}")
        for task in list(agent.tasks):
            agent.unlearn(task)
    finally:
        http.terminate()
        http.wait(10)
    write_results("mcp", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
