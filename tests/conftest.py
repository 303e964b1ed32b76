import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # test helper modules (agent_helpers) under --import-mode=importlib

pytest_plugins = ["dosaku.testing.fixtures"]
