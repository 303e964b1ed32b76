"""What needs no cluster: importing the plugin imports no Ray; resources as Ray's; status without a cluster."""
from __future__ import annotations

import subprocess
import sys

import pytest
from dosaku import ModuleSpec
from dosaku.config import Config
from dosaku.errors import ConfigError
from dosaku_ray.resources import actor_options, unsatisfiable


def config(**entries: str) -> Config:
    return Config(path="/nonexistent/x.ini", environ={f"DOSAKU_RAY__{k.upper()}": v for k, v in entries.items()})


def test_importing_the_plugin_imports_no_ray():
    code = "import sys, dosaku_ray.plugin, dosaku_ray; print('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_declared_needs_map_to_ray_resources():
    spec = ModuleSpec("GFPGAN", ("RestoreFaces",), target="x:y", device="cuda", memory_mb=1500)
    assert actor_options(spec, config()) == {"num_cpus": 1.0, "num_gpus": 1.0, "memory": 1500 * 1024 * 1024}
    auto = ModuleSpec("Auto", ("Chat",), target="x:y", device="auto")
    assert "num_gpus" not in actor_options(auto, config(), cluster_gpus=0)
    assert actor_options(auto, config(), cluster_gpus=2)["num_gpus"] == 1.0
    configured = actor_options(spec, config(RESOURCES_GFPGAN='{"gpu_box": 1, "num_gpus": 0.5, "memory_mb": 100}'))
    assert configured == {"num_cpus": 1.0, "num_gpus": 0.5, "memory": 100 * 1024 * 1024, "resources": {"gpu_box": 1.0}}


def test_unsatisfiable_looks_at_every_alive_node():
    nodes = [
        {"NodeID": "a" * 16, "Alive": True, "Resources": {"CPU": 4.0, "memory": 8e9}},
        {"NodeID": "b" * 16, "Alive": False, "Resources": {"CPU": 4.0, "GPU": 1.0}},
    ]
    assert unsatisfiable({"num_cpus": 2, "memory": 1e9}, nodes) is None
    reason = unsatisfiable({"num_cpus": 1, "num_gpus": 1}, nodes)
    assert reason == "it needs CPU=1, GPU=1 per replica, and no node has that (node aaaaaaaa: CPU=4, memory=7629MiB)"


@pytest.mark.parametrize("raw", ["gpu_box", '["gpu_box"]', '{"gpu_box": "one"}', '{"gpu_box": -1}'])
def test_bad_resources_config(raw):
    spec = ModuleSpec("GFPGAN", ("RestoreFaces",), target="x:y")
    with pytest.raises(ConfigError, match=r"\[RAY\] RESOURCES_GFPGAN must"):
        actor_options(spec, config(RESOURCES_GFPGAN=raw))


def test_status_without_a_cluster_says_how_to_configure_one(dosaku_home):
    import os

    environ = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    result = subprocess.run([sys.executable, "-m", "dosaku", "ray", "status"], capture_output=True, text=True,
                            env=environ, timeout=120)
    assert result.returncode == 1
    assert "No Ray cluster is configured: set RAY_ADDRESS or [RAY] ADDRESS in config.ini" in result.stderr
