"""``dosaku models list | pull NAME|URL | remove NAME | use NAME | info NAME``: local GGUF chat models."""
from __future__ import annotations

import json
import sys
from typing import Any

import click
from dosaku.errors import DosakuError

DEFAULT_MARK = "*"


def _fail(error: DosakuError) -> None:
    raise click.ClickException(str(error))


def _config():
    from dosaku.config import Config

    return Config()


def _catalog(config):
    from dosaku_llamacpp.catalog import load_catalog

    try:
        return load_catalog(config)
    except DosakuError as error:
        _fail(error)


@click.group("models")
def models_group() -> None:
    """Local GGUF chat models for LlamaCppChat: the catalog, downloads, and which one chats by default.

    Nothing is downloaded unless you run `dosaku models pull`.
    """


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (installed models and the catalog).")
def list_models(as_json: bool) -> None:
    """List the installed models (built in, pulled, in your folders, Ollama's) and the catalog."""
    from dosaku_llamacpp import machine
    from dosaku_llamacpp.local_models import default_model_name, local_models
    from dosaku_llamacpp.units import human_bytes

    config = _config()
    catalog = _catalog(config)
    installed = local_models(config, catalog)
    memory = machine.memory()
    default_name = default_model_name(config, installed)
    if as_json:
        click.echo(json.dumps({
            "default": default_name,
            "installed": [_installed_json(model) for model in installed],
            "catalog": [_entry_json(entry, catalog) for entry in catalog],
        }, indent=2))
        return
    click.echo(f"Installed ({DEFAULT_MARK} = LlamaCppChat's default; `dosaku models use NAME` changes it):")
    for model in installed:
        mark = DEFAULT_MARK if model.name == default_name else " "
        click.echo(f"{mark} {model.name:<28} {human_bytes(model.size):>8}  RAM {human_bytes(model.ram_needed):>8}  "
                   f"{_status(model)}")
    names = {model.entry.name for model in installed if model.entry is not None}
    click.echo(f"\nCatalog (`dosaku models pull NAME`; this machine has {human_bytes(memory.total)} of RAM):")
    click.echo(f"  {'NAME':<16} {'SIZE':>8} {'RAM':>8} {'CONTEXT':>8}  TOOLS  LICENCE")
    for entry in catalog:
        flags = []
        if entry.name in names:
            flags.append("installed")
        if entry.ram_needed and entry.ram_needed > memory.total:
            flags.append("too big for this machine")
        if not entry.sha256:
            flags.append("no checksum")
        note = f"  [{', '.join(flags)}]" if flags else ""
        click.echo(f"  {entry.name:<16} {_size(entry.size):>8} {_size(entry.ram_needed):>8} "
                   f"{entry.context_length or '?':>8}  {_yes(entry.tools):<5}  {entry.license or '?'}{note}")


def _status(model) -> str:
    if model.source == "dosaku":
        state = {True: "verified", False: "UNVERIFIED"}.get(model.verified, "not checked (pull it to check)")
        return f"downloaded, {state}"
    return f"{model.source}: {model.note}"


def _size(size: int | None) -> str:
    from dosaku_llamacpp.units import human_bytes

    return human_bytes(size) if size else "?"


def _yes(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "?")


def _installed_json(model) -> dict[str, Any]:
    return {"name": model.name, "path": str(model.path), "size": model.size, "source": model.source,
            "verified": model.verified, "sha256": model.sha256, "ram": model.ram_needed,
            "catalog": model.entry.name if model.entry else None}


def _entry_json(entry, catalog) -> dict[str, Any]:
    return {"name": entry.name, "title": entry.title, "url": catalog.url(entry), "file": entry.file,
            "size": entry.size, "sha256": entry.sha256, "context_length": entry.context_length,
            "license": entry.license, "ram": entry.ram_needed, "tools": entry.tools, "aliases": list(entry.aliases),
            "origin": entry.origin}


class _Bar:
    """A tqdm progress bar fed by the download's (done, total) callback."""

    def __init__(self, name: str):
        self.name, self.bar = name, None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1000, desc=self.name,
                            file=sys.stderr, dynamic_ncols=True, mininterval=0.2, leave=True)
            if done:
                self.bar.write(f"Resuming {self.name} at {done} bytes", file=sys.stderr)
            self.last = done
            return
        self.bar.update(done - self.last)
        self.last = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@models_group.command()
@click.argument("what", metavar="NAME|URL")
@click.option("--sha256", help="The file's expected SHA-256 (hex), checked before it is used.")
@click.option("--no-verify", is_flag=True, help="Accept a file whose SHA-256 is not known (it is marked UNVERIFIED).")
@click.option("--name", help="What to call a model pulled by URL (default: its file name).")
@click.option("--use", "then_use", is_flag=True, help="Make it LlamaCppChat's default once downloaded.")
@click.option("--ignore-memory", is_flag=True, help="Download it even if this machine's RAM cannot hold it.")
def pull(what: str, sha256: str | None, no_verify: bool, name: str | None, then_use: bool,
         ignore_memory: bool) -> None:
    """Download a catalog model (NAME) or any GGUF file (URL) into Dosaku's model directory.

    It is verified by its SHA-256 before it is used, and resumes where it stopped when run again after an
    interruption. It is refused before downloading when the disk or this machine's RAM is too small.
    """
    from dosaku_llamacpp.pull import pull as pull_model
    from dosaku_llamacpp.units import human_bytes

    config = _config()
    bar = _Bar(name or what.rsplit("/", 1)[-1])
    try:
        model = pull_model(what, config, verify=not no_verify, sha256=sha256, name=name, progress=bar,
                           ignore_memory=ignore_memory, catalog=_catalog(config))
    except DosakuError as error:
        bar.close()
        _fail(error)
    bar.close()
    state = "verified (SHA-256 " + (model.sha256 or "") + ")" if model.verified else "UNVERIFIED (no SHA-256 known)"
    click.echo(f"{model.name}: {human_bytes(model.size)} in {model.path}, {state}.")
    from dosaku_llamacpp.errors import NotEnoughMemory
    from dosaku_llamacpp.local_models import check_fits

    try:
        check_fits(model)
    except NotEnoughMemory as error:
        click.echo(f"Note: {error}", err=True)
    if then_use:
        _use(config, model.name)
    else:
        click.echo(f"Chat with it: `dosaku models use {model.name}`, or learn('Chat', module='LlamaCppChat', "
                   f"model={model.name!r}).")


@models_group.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Delete a model that `dosaku models pull` downloaded (and any half download of it)."""
    from dosaku_llamacpp.errors import ModelNotInstalled, ModelNotRemovable, UnknownModel
    from dosaku_llamacpp.local_models import default_model_name, find_local, part_path, record_path
    from dosaku_llamacpp.pull import plan_pull
    from dosaku_llamacpp.units import human_bytes

    config = _config()
    catalog = _catalog(config)
    model = find_local(name, config, catalog)
    try:
        if model is None:
            entry = catalog.find(name)
            part = part_path(plan_pull(entry.name, config, catalog=catalog).destination) if entry else None
            if part is not None and part.exists():
                part.unlink()
                click.echo(f"Removed the half download {part}.")
                return
            if entry is not None:
                raise ModelNotInstalled(entry.name, entry.size)  # nothing to remove
            from dosaku_llamacpp.local_models import local_models

            raise UnknownModel(name, [model.name for model in local_models(config, catalog)])
        if not model.removable:
            raise ModelNotRemovable(model.name, f"it is {model.note or model.source} ({model.path}).")
    except DosakuError as error:
        _fail(error)
    if not yes and not click.confirm(f"Delete {model.name} ({human_bytes(model.size)}, {model.path})?", default=False):
        click.echo("Nothing removed.")
        return
    for path in (model.path, record_path(model.path), part_path(model.path)):
        path.unlink(missing_ok=True)
    click.echo(f"Removed {model.name} ({human_bytes(model.size)} freed).")
    if default_model_name(config, [model]) == model.name:
        config.unset("LLAMACPP", "MODEL")
        click.echo("It was LlamaCppChat's default; the default is the built-in smollm2-135m again.")


def _use(config, name: str) -> None:
    from dosaku_llamacpp.local_models import BUILTIN_NAME, find_local
    from dosaku_llamacpp.models import resolve_model_name

    try:
        path = resolve_model_name(name, config, source="dosaku models use")
    except DosakuError as error:
        _fail(error)
    model = find_local(name, config)
    chosen = model.name if model is not None else str(path)
    if config.unset("LLAMACPP", "MODEL_PATH"):
        click.echo("Removed [LLAMACPP] MODEL_PATH from config.ini (it would have overridden the choice).")
    if chosen == BUILTIN_NAME:
        config.unset("LLAMACPP", "MODEL")
    else:
        config.set("LLAMACPP", "MODEL", chosen)
    click.echo(f"LlamaCppChat now chats with {chosen} ({path}).")
    if config.get("LLAMACPP", "MODEL_PATH"):
        click.echo("Warning: DOSAKU_LLAMACPP__MODEL_PATH is set in the environment and still overrides it; unset it.",
                   err=True)


@models_group.command()
@click.argument("name")
def use(name: str) -> None:
    """Make the installed model NAME LlamaCppChat's default ([LLAMACPP] MODEL in config.ini)."""
    _use(_config(), name)


@models_group.command()
@click.argument("name")
def info(name: str) -> None:
    """Show everything known about a model: catalog entry, download URL, checksum, file, RAM it needs."""
    from dosaku_llamacpp import machine
    from dosaku_llamacpp.errors import UnknownModel
    from dosaku_llamacpp.local_models import find_local, local_models
    from dosaku_llamacpp.units import human_bytes

    config = _config()
    catalog = _catalog(config)
    model = find_local(name, config, catalog)
    entry = model.entry if model is not None and model.entry is not None else catalog.find(name)
    if model is None and entry is None:
        _fail(UnknownModel(name, catalog.names() + [found.name for found in local_models(config, catalog)]))
    lines: list[tuple[str, Any]] = [("name", model.name if model else entry.name)]
    if entry is not None:
        lines += [("title", entry.title), ("summary", entry.summary), ("download", catalog.url(entry)),
                  ("size", f"{_size(entry.size)} ({entry.size} bytes)" if entry.size else "?"),
                  ("sha256", entry.sha256 or "unknown (pulling needs --sha256 HEX or --no-verify)"),
                  ("context", f"{entry.context_length} tokens" if entry.context_length else "?"),
                  ("licence", entry.license or "?"), ("tool calls", _yes(entry.tools)),
                  ("aliases", ", ".join(entry.aliases) or "-"), ("catalog", entry.origin)]
    needed = model.ram_needed if model is not None else entry.ram_needed
    memory = machine.memory()
    if needed:
        fits = "fits" if needed <= memory.available else ("fits, once other programs free RAM"
                                                          if needed <= memory.total else "does NOT fit")
        lines.append(("RAM", f"about {human_bytes(needed)}; this machine has {human_bytes(memory.available)} "
                             f"available of {human_bytes(memory.total)}: {fits}"))
    if model is not None:
        lines += [("installed", f"{model.path} ({human_bytes(model.size)})"), ("source", _status(model))]
    else:
        lines.append(("installed", f"no: `dosaku models pull {entry.name}`"))
    for key, value in lines:
        if value:
            click.echo(f"{key + ':':<12} {value}")
