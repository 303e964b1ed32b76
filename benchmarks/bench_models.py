"""``dosaku models``: download throughput of ``pull`` vs ``curl`` from the same loopback server in the same run, and
the time from ``dosaku models use`` to the first token vs loading the same GGUF with ``llama_cpp.Llama`` directly.

    python benchmarks/bench_models.py [--size-mb 512] [--rounds 5]

Download: a file of random bytes served by the pack's Hugging Face-like loopback server (sendfile, a redirect with
X-Linked-Etag like Hugging Face's). ``pull`` does everything it does for a user: follows the redirect, writes a
``.part``, hashes it (SHA-256) on another thread, checks it and renames it; ``curl -L -o FILE`` just writes (the
goal's baseline). Also measured: curl followed by sha256sum (the same work as pull, by hand), and pull with
``[LLAMACPP] DOWNLOAD_FSYNC = yes`` (written to the disk as it comes and fsynced before the rename, so bound to the
disk's speed). The server runs in a process of its own. Rounds alternate, each into a fresh folder after an
``os.sync()``; the ratios are the medians of pull's throughput over the baseline's (goal >= 0.9 against curl).

First token: ``dosaku models use tiny-chat`` (a copy of SmolLM2 pulled from the loopback server), then
``Agent().learn('Chat', module='LlamaCppChat')`` and the first streamed chunk of a reply, vs ``Llama(path)`` and the
first streamed chunk of ``create_chat_completion``. Writes benchmarks/results/bench_models.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_results

PROMPT = [{"role": "user", "content": "What is the capital of France?"}]


def make_file(path: Path, size_mb: int) -> Path:
    with open(path, "wb") as file:
        for _ in range(size_mb):
            file.write(os.urandom(1 << 20))
    return path


def time_curl(url: str, target: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "-L", "--fail", "-o", str(target), url], check=True, timeout=600)
    return time.perf_counter() - start


def time_curl_and_sha256sum(url: str, target: Path) -> float:
    """curl, then sha256sum: the same work as pull (download and verify) done by hand."""
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "-L", "--fail", "-o", str(target), url], check=True, timeout=600)
    subprocess.run(["sha256sum", str(target)], check=True, timeout=600, capture_output=True)
    return time.perf_counter() - start


def time_pull(url: str, folder: Path, durable: bool = False) -> float:
    from dosaku.config import Config
    from dosaku_llamacpp.pull import pull

    config = Config(path=folder / "config.ini", environ={"DOSAKU_LLAMACPP__MODELS_DIR": str(folder / "models")})
    start = time.perf_counter()
    model = pull(url, config, ignore_memory=True, durable=durable)
    elapsed = time.perf_counter() - start
    assert model.verified
    return elapsed


SERVER = (
    "import sys\n"
    "from dosaku_llamacpp.testing import HuggingFaceFiles\n"
    "with HuggingFaceFiles({'bench/Random-GGUF/random.gguf': sys.argv[1]}) as server:\n"
    "    print(server.url_of('bench/Random-GGUF/random.gguf'), flush=True)\n"
    "    sys.stdin.read()\n"
)


def download_throughput(size_mb: int, rounds: int, work: Path) -> dict[str, float]:
    source = make_file(work / "random.gguf", size_mb)
    size = source.stat().st_size
    ratios, curl_rates, pull_rates, durable_rates, durable_ratios, verified_ratios = [], [], [], [], [], []
    # The server runs in a process of its own, so that it takes nothing from pull's process that it leaves to curl.
    with subprocess.Popen([sys.executable, "-c", SERVER, str(source)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as server:
        url = server.stdout.readline().strip()
        time_curl(url, work / "warm.gguf")  # warm the page cache and the server
        (work / "warm.gguf").unlink()
        for index in range(rounds):
            folder = work / f"round-{index}"
            folder.mkdir()
            os.sync()  # each transfer starts with no other dirty pages to write back
            curl_s = time_curl(url, folder / "curl.gguf")
            os.sync()
            verified_s = time_curl_and_sha256sum(url, folder / "curl-verified.gguf")
            os.sync()
            pull_s = time_pull(url, folder)
            shutil.rmtree(folder / "models")
            os.sync()
            durable_s = time_pull(url, folder, durable=True)
            shutil.rmtree(folder)
            curl_rates.append(size / curl_s)
            pull_rates.append(size / pull_s)
            durable_rates.append(size / durable_s)
            ratios.append(curl_s / pull_s)
            verified_ratios.append(verified_s / pull_s)
            durable_ratios.append(curl_s / durable_s)
            print(f"round {index + 1}: curl {size / curl_s / 1e6:.0f} MB/s, pull {size / pull_s / 1e6:.0f} MB/s "
                  f"(ratio {curl_s / pull_s:.3f}), pull with DOWNLOAD_FSYNC=yes {size / durable_s / 1e6:.0f} MB/s "
                  f"(ratio {curl_s / durable_s:.3f}); curl + sha256sum {size / verified_s / 1e6:.0f} MB/s", flush=True)
        server.stdin.close()
    return {"file_bytes": size, "load_average_1min": os.getloadavg()[0],
            "curl_mb_per_s": statistics.median(curl_rates) / 1e6,
            "pull_mb_per_s": statistics.median(pull_rates) / 1e6, "download_ratio": statistics.median(ratios),
            "pull_fsync_mb_per_s": statistics.median(durable_rates) / 1e6,
            "fsync_download_ratio": statistics.median(durable_ratios),
            "vs_curl_and_sha256sum_ratio": statistics.median(verified_ratios)}


def first_token(rounds: int, work: Path) -> dict[str, float]:
    from click.testing import CliRunner
    from dosaku import Agent
    from dosaku.cli import build_cli
    from dosaku_llamacpp.models import default_model_path
    from dosaku_llamacpp.testing import HuggingFaceFiles, sha256_of
    from llama_cpp import Llama

    source = default_model_path()
    home = work / "home"
    os.environ.update({"DOSAKU_CONFIG": str(home / "config.ini"), "DOSAKU_DATA_DIR": str(home / "data"),
                       "DOSAKU_CACHE_DIR": str(home / "cache")})
    home.mkdir()
    entry = {"repo": "bench/Tiny-GGUF", "file": "tiny-chat.gguf", "size": source.stat().st_size,
             "sha256": sha256_of(source)}
    (home / "models.json").write_text(json.dumps({"models": {"tiny-chat": entry}}))
    cli = build_cli()
    with HuggingFaceFiles({"bench/Tiny-GGUF/tiny-chat.gguf": source}) as server:
        os.environ["HF_ENDPOINT"] = server.url
        pulled = CliRunner().invoke(cli, ["models", "pull", "tiny-chat"], catch_exceptions=False)
        assert pulled.exit_code == 0, pulled.output
    path = home / "data" / "models" / "tiny-chat.gguf"

    def through_dosaku() -> float:
        start = time.perf_counter()
        used = CliRunner().invoke(cli, ["models", "use", "tiny-chat"], catch_exceptions=False)
        assert used.exit_code == 0, used.output
        agent = Agent()
        agent.learn("Chat", module="LlamaCppChat", temperature=0.0, max_tokens=8)
        next(iter(agent.Chat.message(PROMPT[0]["content"], stream=True)))
        elapsed = time.perf_counter() - start
        agent.unlearn("Chat")
        return elapsed

    def direct() -> float:
        start = time.perf_counter()
        llama = Llama(model_path=str(path), n_ctx=2048, n_threads=1, n_threads_batch=1, verbose=False)
        for chunk in llama.create_chat_completion(messages=PROMPT, stream=True, temperature=0.0, max_tokens=8):
            if chunk["choices"][0].get("delta", {}).get("content"):
                break
        elapsed = time.perf_counter() - start
        llama.close()
        return elapsed

    through_dosaku(), direct()  # warm the page cache
    dosaku_s, direct_s = [], []
    for _ in range(rounds):
        dosaku_s.append(through_dosaku())
        direct_s.append(direct())
    result = {"use_to_first_token_s": statistics.median(dosaku_s),
              "llama_to_first_token_s": statistics.median(direct_s)}
    result["first_token_ratio"] = result["llama_to_first_token_s"] / result["use_to_first_token_s"]
    print(f"use -> first token {result['use_to_first_token_s']:.3f} s, Llama() -> first token "
          f"{result['llama_to_first_token_s']:.3f} s, ratio {result['first_token_ratio']:.3f}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--token-rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed for the baseline (apt-get install curl)")
    with tempfile.TemporaryDirectory(prefix="bench-models-", dir=os.environ.get("BENCH_TMP")) as folder:
        work = Path(folder)
        results = {"rounds": args.rounds, **download_throughput(args.size_mb, args.rounds, work)}
        results.update(first_token(args.token_rounds, work))
    write_results("bench_models", results)


if __name__ == "__main__":
    main()
