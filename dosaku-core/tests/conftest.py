import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # test helper modules (modules_for_tests) under --import-mode=importlib

