"""The pack as installed: its plugin (cheap), GFPGAN learned by an agent, and the agent's resource manager."""
from __future__ import annotations

import subprocess
import sys

import pytest
from dosaku import Config, ModuleSpec, TaskSpec
from dosaku.tasks import RestoreFaces
from dosaku.testing import in_process_plugin, isolated_agent


def test_importing_the_plugin_imports_nothing_heavy():
    code = ("import sys, dosaku_tencent.plugin, dosaku_tencent; "
            "heavy = [m for m in ('torch', 'gfpgan', 'facexlib', 'basicsr', 'cv2', 'PIL', 'numpy') "
            "if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_installed_plugin_registers_gfpgan(dosaku_home):
    agent = isolated_agent(entry_points=True, config=Config())
    assert "GFPGAN" in agent.learnable_modules("RestoreFaces")
    spec = agent.registry.module("GFPGAN")
    assert spec.target == "dosaku_tencent.gfpgan:GFPGAN" and spec.device == "auto" and spec.memory_mb


def test_from_dosaku_modules_import_gfpgan(dosaku_home):
    from dosaku.modules import GFPGAN
    from dosaku_tencent.gfpgan import GFPGAN as Direct

    assert GFPGAN is Direct and issubclass(GFPGAN, RestoreFaces)


def test_agent_learns_restore_faces_with_gfpgan(dosaku_home, monkeypatch, weights, face_image):
    monkeypatch.setenv("DOSAKU_MODELS__GFPGAN_DIR", str(weights))
    agent = isolated_agent(entry_points=True, config=Config())
    agent.learn("RestoreFaces", module="GFPGAN", upscale=4, det_threshold=1.0)
    assert agent.tasks == ["RestoreFaces"] and agent.loaded_modules == ["GFPGAN"]
    assert agent.api("RestoreFaces") == ["restore"]
    restoration = agent.RestoreFaces.restore(face_image)
    assert restoration.restored_image.size == (256, 256)
    assert agent.RestoreFaces(face_image).restored_image.size == (256, 256)  # the default action
    assert agent.resources.report() == []  # the CPU has no budget: not managed, called with no wrapper
    agent.unlearn("RestoreFaces")
    assert agent.loaded_modules == []


def test_without_weights_learning_fails_with_the_file_to_put_where(dosaku_home, monkeypatch, tmp_path):
    monkeypatch.setenv("DOSAKU_MODELS__GFPGAN_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("DOSAKU_MODELS__GFPGAN_MIRROR", "http://127.0.0.1:9")  # discard port: refused
    agent = isolated_agent(entry_points=True, config=Config())
    from dosaku_tencent.errors import WeightsNotFound

    with pytest.raises(WeightsNotFound, match=r"GFPGANv1.4.pth.*put it at .*empty/GFPGANv1.4.pth"):
        agent.learn("RestoreFaces", module="GFPGAN")
    assert agent.tasks == [] and agent.loaded_modules == []


class RestoreFacesAgain(RestoreFaces):
    """A second face-restoring task, so that two GFPGANs can be learned side by side."""


def test_the_resource_manager_moves_gfpgan_off_and_back(dosaku_home, monkeypatch, weights, face_image):
    from dosaku_tencent.gfpgan import GFPGAN

    monkeypatch.setenv("DOSAKU_MODELS__GFPGAN_DIR", str(weights))
    monkeypatch.setenv("DOSAKU_RESOURCES__CPU", "2000")  # room for one GFPGAN (~1530 MB), not two
    again = in_process_plugin(
        "again",
        tasks=[TaskSpec("RestoreFacesAgain", target=RestoreFacesAgain)],
        modules=[ModuleSpec("GFPGANAgain", ("RestoreFacesAgain",), target=GFPGAN, device="cpu", memory_mb=1500)],
    )
    agent = isolated_agent(again, entry_points=True, config=Config())
    agent.learn("RestoreFaces", module="GFPGAN", det_threshold=1.0)
    first = agent.RestoreFaces.module
    agent.RestoreFaces.restore(face_image)
    agent.learn("RestoreFacesAgain", module="GFPGANAgain", det_threshold=1.0)  # GFPGAN makes room: unloaded
    second = agent.RestoreFacesAgain.module
    assert agent.resources.where("GFPGAN") == "unloaded" and not first.loaded
    assert agent.resources.where("GFPGANAgain") == "cpu" and second.loaded
    assert agent.RestoreFaces.restore(face_image).restored_image.size == (128, 128)  # loaded again for the call
    assert first.loaded and not second.loaded
    assert agent.resources.peak_mb["cpu"] <= 2000
    agent.unlearn("RestoreFacesAgain")
    assert agent.resources.where("GFPGANAgain") is None
    agent.unlearn("RestoreFaces")
