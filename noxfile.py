"""Sessions for the Dosaku monorepo.

    nox -s tests        # everything installed, every test (what CI runs)
    nox -s core         # core alone
    nox -s pack         # each module pack on its own (core installed first, then the pack)
    nox -s lint docs bench
"""
from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

#: Module packs and other distributions, in install order. Each has tests/ and a `test` extra.
PACKS: list[str] = [
    "dosaku-modules-gnugo",
    "dosaku-modules-llamacpp",
    "dosaku-modules-openai",
    "dosaku-modules-stability",
    "dosaku-modules-tencent",
    "dosaku-gui",
    "dosaku-ray",
    "dosaku-mcp",  # after the packs whose tasks it serves
]
#: Distributions under tests/ installed for the entry-point discovery tests.
TEST_PLUGINS = ["tests/plugins/dosaku-example-plugin", "tests/plugins/dosaku-broken-plugin",
                "tests/plugins/dosaku-zz-clash-plugin"]
PYTEST_ARGS = ["-p", "no:cacheprovider"]


def install_core(session: nox.Session) -> None:
    session.install("--upgrade", "pip", "setuptools", "wheel", "hatchling")
    session.install("./dosaku-core[test]")


def pytest(session: nox.Session, *paths: str) -> None:
    session.run("pytest", *PYTEST_ARGS, *paths, *session.posargs, env={"PYTHONUNBUFFERED": "1"})


@nox.session
def core(session: nox.Session) -> None:
    """Core alone, with the example plugins installed."""
    install_core(session)
    session.install("--no-build-isolation", *TEST_PLUGINS)
    pytest(session, "dosaku-core/tests")


@nox.session
@nox.parametrize("pack", PACKS)
def pack(session: nox.Session, pack: str) -> None:
    """One pack on its own: core first, then the pack."""
    install_core(session)
    session.install(f"./{pack}[test]")
    pytest(session, f"{pack}/tests")


@nox.session
def tests(session: nox.Session) -> None:
    """Every distribution installed, every test."""
    install_core(session)
    session.install("--no-build-isolation", *TEST_PLUGINS)
    for name in PACKS:
        session.install(f"./{name}[test]")
    pytest(session, "dosaku-core/tests", "tests", *[f"{name}/tests" for name in PACKS])


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with autodoc; warnings are errors."""
    install_core(session)
    session.install("sphinx")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark; results are printed and written to benchmarks/results/."""
    install_core(session)
    for name in PACKS:
        session.install(f"./{name}[test]")
    session.run("python", "benchmarks/run.py", *session.posargs, env={"PYTHONUNBUFFERED": "1"})
