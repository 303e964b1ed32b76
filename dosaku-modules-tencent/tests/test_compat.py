"""The torchvision alias that lets basicsr 1.4.2 import: an entry in sys.modules, site-packages untouched."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(importlib.util.find_spec("torchvision.transforms.functional_tensor") is not None,
                    reason="this torchvision still ships functional_tensor: basicsr imports without the alias")
def test_basicsr_needs_the_alias_and_imports_with_it():
    without = run("import basicsr")
    assert without.returncode != 0 and "torchvision.transforms.functional_tensor" in without.stderr
    with_alias = run("from dosaku_tencent.compat import install_torchvision_alias; install_torchvision_alias(); "
                     "import basicsr, gfpgan; from gfpgan import GFPGANer; print('ok')")
    assert with_alias.returncode == 0 and with_alias.stdout.strip().endswith("ok"), with_alias.stderr


def test_the_alias_is_the_renamed_module_and_nothing_is_written():
    import torchvision
    from dosaku_tencent.compat import install_torchvision_alias

    install_torchvision_alias()
    install_torchvision_alias()  # twice is harmless
    import torchvision.transforms._functional_tensor as renamed
    import torchvision.transforms.functional_tensor as old

    assert old.rgb_to_grayscale is renamed.rgb_to_grayscale
    assert not (Path(torchvision.__file__).parent / "transforms" / "functional_tensor.py").exists()
