import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # test helper modules (agent_helpers) under --import-mode=importlib


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtual environment that sees this environment's packages (dosaku and its dependencies) through a
    .pth file but installs into its own site-packages."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    outer = [path for path in sys.path if path and "site-packages" in path or path.endswith("/src")]
    Path(site, "dosaku_outer.pth").write_text("\n".join(outer) + "\n")
    return python
