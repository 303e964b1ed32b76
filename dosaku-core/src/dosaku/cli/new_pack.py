"""``dosaku new-pack NAME``: write a new pack — a distribution with a task, a module, its plugin and tests that
pass as generated — ready to ``pip install -e`` and grow (like llm's plugin template).

Example::

    dosaku new-pack shout          # writes ./dosaku-shout/
    cd dosaku-shout && pip install -e '.[test]' && pytest
"""
from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import click

from dosaku.errors import DosakuError

NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
#: Template file -> where it goes in the new pack (``{package}`` is the import name's suffix).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "src/dosaku_{package}/__init__.py",
    "tasks.py.tmpl": "src/dosaku_{package}/tasks.py",
    "module.py.tmpl": "src/dosaku_{package}/module.py",
    "plugin.py.tmpl": "src/dosaku_{package}/plugin.py",
    "test_pack.py.tmpl": "tests/test_{package}.py",
}


class BadPackName(DosakuError, ValueError):
    """The pack's name cannot make a distribution and package name."""


def pack_names(name: str) -> dict[str, str]:
    """The names a pack called ``name`` uses, e.g. for ``'word-count'``: distribution ``dosaku-word-count``,
    package ``dosaku_word_count``, task ``WordCount``, module ``WordCountModule``.

    Raises:
        BadPackName: ``name`` is not lower-case letters and digits, words joined by ``-`` or ``_``.
    """
    name = name.removeprefix("dosaku-").removeprefix("dosaku_")
    if not NAME.match(name):
        raise BadPackName(f"Bad pack name {name!r}: use lower-case letters and digits, words joined by - or _ "
                          f"(e.g. 'word-count').")
    words = re.split(r"[-_]", name)
    task = "".join(word.capitalize() for word in words)
    from dosaku.version import __version__

    return {"name": "-".join(words), "package": "_".join(words), "Task": task, "Module": f"{task}Module",
            "dosaku_version": __version__}


def write_pack(name: str, directory: str | Path = ".") -> Path:
    """Write the pack ``name`` into ``directory/dosaku-<name>`` and return that folder.

    Raises:
        BadPackName: see :func:`pack_names`.
        DosakuError: the folder exists already (nothing is overwritten).

    Example::

        folder = write_pack('shout', tmp_path)   # tmp_path / 'dosaku-shout'
    """
    names = pack_names(name)
    folder = Path(directory) / f"dosaku-{names['name']}"
    if folder.exists():
        raise DosakuError(f"{folder} exists already; choose another name or directory (nothing was written).")
    templates = resources.files("dosaku.cli").joinpath("pack_template")
    for template, target in FILES.items():
        text = string.Template(templates.joinpath(template).read_text(encoding="utf-8")).substitute(names)
        path = folder / target.format(**names)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@click.command("new-pack")
@click.argument("name")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where to write the pack's folder.")
def new_pack(name: str, directory: str) -> None:
    """Write a new pack NAME (a task, a module, its plugin and passing tests) into DIRECTORY/dosaku-NAME."""
    try:
        folder = write_pack(name, directory)
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {folder}. Next: cd {folder} && pip install -e '.[test]' && pytest")
