"""Running the red-team corpus as an ordinary user: a throw-away unprivileged account, a virtual environment made
from the system's /usr/bin/python3 (the CI's own Python may live under /root, which others cannot enter) with
dosaku and this pack installed into it, and a driver process in it, as that user, that runs snippets through a real
``agent.Tester`` and answers each with the RunResult as JSON. The judging stays on the host side (root)."""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"

DRIVER = r'''
import dataclasses, json, sys
from dosaku import Agent, Config
agent = Agent(enable_executors=True, config=Config())
agent.learn("Tester", **json.loads(sys.argv[1]))
for line in sys.stdin:
    job = json.loads(line)
    try:
        result = agent.Tester.run(job["code"], **job["limits"])
        answer = {"result": dataclasses.asdict(result)}
    except Exception as error:
        from dosaku import DosakuError
        answer = {"raised": type(error).__name__, "message": str(error),
                  "dosaku_error": isinstance(error, DosakuError)}
    answer["standby"] = agent.Tester.module.sandbox.standby_pids()  # the fresh sandbox waiting for the next run
    print(json.dumps(answer), flush=True)
'''


def can_make_users() -> bool:
    return os.geteuid() == 0 and shutil.which("useradd") is not None and os.path.exists(SYSTEM_PYTHON)


@dataclasses.dataclass
class OrdinaryUser:
    """An unprivileged account with its own home (its config.ini inside) and an interpreter it can run."""

    name: str
    uid: int
    gid: int
    home: Path
    python: str
    root: Path

    def chown(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)

    def remove(self) -> None:
        """Delete the account and its files (its processes, the driver and sentinels, are ended by their owners)."""
        subprocess.run(["userdel", self.name], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def make_user() -> OrdinaryUser:
    """Create the account and its virtual environment (dosaku and dosaku-modules-python installed from source)."""
    root = Path(tempfile.mkdtemp(prefix="dosaku-redteam-", dir="/var/tmp"))
    os.chmod(root, 0o755)
    name = f"dosaku-rt-{uuid.uuid4().hex[:8]}"
    home = root / "home"
    subprocess.run(["useradd", "--home-dir", str(home), "--create-home", "--shell", "/usr/sbin/nologin",
                    "--user-group", name], check=True, capture_output=True)
    entry = pwd.getpwnam(name)
    venv = root / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q",
                           str(REPO / "dosaku-core"), str(REPO / "dosaku-modules-python")],
                          capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run(["userdel", name], capture_output=True)
        raise RuntimeError(f"could not install dosaku for the ordinary user: {done.stderr[-2000:]}")
    subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
    return OrdinaryUser(name, entry.pw_uid, entry.pw_gid, home, python, root)


class UserAgent:
    """A driver process running as ``user``: ``run(code, **limits)`` answers with the RunResult as a dict, or
    ``{'raised': ..., 'message': ...}`` when the agent raised."""

    def __init__(self, user: OrdinaryUser, environ: dict[str, str], learn: dict | None = None):
        self.user = user
        env = {"HOME": str(user.home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **environ}
        self.process = subprocess.Popen(
            [user.python, "-I", "-c", DRIVER, json.dumps(learn or {})], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(user.home),
            user=user.uid, group=user.gid, extra_groups=[],
        )

    def run(self, code: str, **limits) -> dict:
        self.process.stdin.write(json.dumps({"code": code, "limits": limits}) + "\n")  # type: ignore[union-attr]
        self.process.stdin.flush()  # type: ignore[union-attr]
        line = self.process.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"the driver died: {self.process.stderr.read()[-3000:]}")  # type: ignore[union-attr]
        return json.loads(line)

    def peak_memory_mb(self) -> float:
        """The driver's (the agent's) peak resident memory, read by the host."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def close(self) -> None:
        self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
