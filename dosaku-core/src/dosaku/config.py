"""User configuration: ``config.ini`` in the user's config directory, environment variables taking precedence.

The file is read when a value is first asked for (constructing :class:`Config` touches no disk) and written with
mode 0600. Sections and keys are case-insensitive (stored upper-case). Any entry can be set from the environment as
``DOSAKU_<SECTION>__<KEY>``; an API key ``[API_KEYS] NAME`` also from ``NAME_API_KEY`` (``OPENAI_API_KEY``,
``CLIPDROP_API_KEY``...), which wins.

Where things live (Linux: the XDG rules; elsewhere platformdirs'): ``config.ini`` in the user config directory
(or ``$DOSAKU_CONFIG``), data in the user data directory (or ``$DOSAKU_DATA_DIR``), downloads in the user cache
directory (or ``$DOSAKU_CACHE_DIR``).

Example::

    from dosaku import Config

    config = Config()
    config['API_KEYS']['OPENAI']   # your key (shown masked in reprs and logs)
    config.path                    # where config.ini lives
"""
from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from dosaku.errors import ConfigError, MissingAPIKey, MissingConfigValue

SECRET_SECTIONS = {"API_KEYS"}
SECRET_SUFFIXES = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def is_secret(section: str, key: str) -> bool:
    """True when the entry holds a secret that must never be shown."""
    return section.upper() in SECRET_SECTIONS or key.upper().endswith(SECRET_SUFFIXES)


def mask(value: str) -> str:
    """Show a secret as its length-independent hint, e.g. ``'sk-…wxyz'`` (or ``'***'`` when short)."""
    if len(value) < 12:
        return "***"
    return f"{value[:3]}…{value[-4:]}"


class Secret(str):
    """A string holding a secret: usable as the string it is, masked in ``repr`` (and so in logs and tracebacks).

    Example::

        key = Secret('sk-0123456789abcdef')
        repr(key)    # "Secret('sk-…cdef')"
        key == 'sk-0123456789abcdef'  # True
    """

    def __repr__(self) -> str:
        return f"Secret({mask(str(self))!r})"

    def reveal(self) -> str:
        """The secret as a plain ``str``."""
        return str.__str__(self)


_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share"),
        "cache": ("XDG_CACHE_HOME", ".cache")}
#: The variables that move the data and cache directories.
DIRECTORY_VARIABLES = {"data": "DOSAKU_DATA_DIR", "cache": "DOSAKU_CACHE_DIR"}


def platform_dir(kind: str) -> Path:
    """The platform's user ``kind`` (``'config'``, ``'data'`` or ``'cache'``) directory for dosaku.

    Example::

        platform_dir('data')   # PosixPath('/home/me/.local/share/dosaku')
    """
    if sys.platform.startswith("linux"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "").strip()
        if not (base and os.path.isabs(base)):
            base = os.path.join(os.path.expanduser("~"), default)
        return Path(base) / "dosaku"
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")("dosaku"))


def user_dir(kind: str) -> Path:
    """Dosaku's ``'data'`` (``$DOSAKU_DATA_DIR``) or ``'cache'`` (``$DOSAKU_CACHE_DIR``) directory, else the
    platform's."""
    configured = os.environ.get(DIRECTORY_VARIABLES[kind])
    return Path(configured).expanduser() if configured else platform_dir(kind)


def default_config_path() -> Path:
    """``$DOSAKU_CONFIG``, else ``config.ini`` in the platform's user config directory for ``dosaku``."""
    configured = os.environ.get("DOSAKU_CONFIG")
    return Path(configured).expanduser() if configured else platform_dir("config") / "config.ini"


def environment_variables(section: str, key: str) -> list[str]:
    """The environment variables that set ``[section] key``, strongest first.

    Example::

        environment_variables('API_KEYS', 'OPENAI')   # ['OPENAI_API_KEY', 'DOSAKU_API_KEYS__OPENAI']
    """
    section, key = section.upper(), key.upper()
    names = [f"DOSAKU_{section}__{key}"]
    if section == "API_KEYS":
        names.insert(0, f"{key}_API_KEY")
    return names


class ConfigSection(Mapping[str, str]):
    """One ``[SECTION]`` of the configuration, with environment overrides applied."""

    def __init__(self, config: Config, name: str):
        self._config, self.name = config, name.upper()

    def __getitem__(self, key: str) -> str:
        value = self._config.get(self.name, key)
        if value is None:
            env = environment_variables(self.name, key)[0]
            raise MissingConfigValue(self.name, key.upper(), env, str(self._config.path))
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self._config.set(self.name, key, value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._config.keys(self.name))

    def __len__(self) -> int:
        return len(self._config.keys(self.name))

    def __repr__(self) -> str:
        return f"ConfigSection({self.name!r}, keys={list(self)})"


class Config(Mapping[str, ConfigSection]):
    """Dosaku's configuration.

    Args:
        path: The ``config.ini`` to use (default: ``$DOSAKU_CONFIG`` or the user config directory).
        environ: The environment to read ``[SECTION] KEY`` overrides and API keys from (default: ``os.environ``).
            The directories are not read from it: :attr:`path` (when not given), :attr:`data_dir` and
            :attr:`cache_dir` always follow the process's ``$DOSAKU_CONFIG``, ``$DOSAKU_DATA_DIR`` and
            ``$DOSAKU_CACHE_DIR``, so ``Config(environ={})`` means "no overrides", not "another home".

    Example::

        config = Config()
        config['API_KEYS']['OPENAI']                    # from OPENAI_API_KEY, else config.ini
        config.get('LLAMACPP', 'MODEL_PATH', 'default.gguf')
        config.set('DEFAULT_MODULES', 'Chat', 'EchoBot')  # written to config.ini (mode 0600)
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None):
        self._path = Path(path).expanduser() if path is not None else None
        self._environ = environ if environ is not None else os.environ
        self._parser: configparser.ConfigParser | None = None

    @property
    def path(self) -> Path:
        """The ``config.ini`` this configuration reads and writes."""
        if self._path is None:
            self._path = default_config_path()
        return self._path

    @property
    def data_dir(self) -> Path:
        """Where Dosaku keeps its data (``$DOSAKU_DATA_DIR`` or the user data directory)."""
        return user_dir("data")

    @property
    def cache_dir(self) -> Path:
        """Where Dosaku caches downloads such as model weights (``$DOSAKU_CACHE_DIR`` or the user cache dir)."""
        return user_dir("cache")

    def reload(self) -> None:
        """Read ``config.ini`` again on the next lookup (another process, or another Config, may have written it).

        Example::

            Config().set('PLACEMENT', 'TicTacToe', 'sandbox')   # e.g. Ponder
            agent.config.reload()                               # agent.refresh() does this too
        """
        self._parser = None

    def _file(self) -> configparser.ConfigParser:
        if self._parser is None:
            parser = configparser.ConfigParser(interpolation=None)
            parser.optionxform = str.upper  # type: ignore[assignment,method-assign]
            if self.path.is_file():
                parser.read(self.path, encoding="utf-8")
            self._parser = parser
        return self._parser

    def _section_name(self, section: str) -> str:
        wanted = section.upper()
        for name in self._file().sections():
            if name.upper() == wanted:
                return name
        return wanted

    def get(self, section: str, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The value of ``[section] key`` (environment first, then the file), or ``default``."""
        section, key = section.upper(), key.upper()
        value = None
        for variable in environment_variables(section, key):
            if self._environ.get(variable):
                value = self._environ[variable]
                break
        if value is None:
            value = self._file().get(self._section_name(section), key, fallback=None)
        if value is None:
            return default
        return Secret(value) if is_secret(section, key) else value

    def number(self, section: str, key: str, default: float) -> float:
        """``[section] key`` as a number, or ``default`` when unset; :class:`ConfigError` when it is not one.

        Example::

            timeout = config.number('OPENAI', 'TIMEOUT', 60.0)
        """
        value = self.get(section, key)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"[{section.upper()}] {key.upper()} must be a number, not {value!r}.") from None

    def set(self, section: str, key: str, value: str) -> None:
        """Write ``[section] key = value`` to ``config.ini`` (created with mode 0600)."""
        parser = self._file()
        name = self._section_name(section)
        if not parser.has_section(name):
            parser.add_section(name)
        parser.set(name, key.upper(), str(value))
        self._write(parser)

    def unset(self, section: str, key: str) -> bool:
        """Remove ``[section] key`` from ``config.ini``. Returns whether it was there."""
        parser = self._file()
        removed = parser.remove_option(self._section_name(section), key.upper()) if parser.has_section(
            self._section_name(section)
        ) else False
        if removed:
            self._write(parser)
        return removed

    def _write(self, parser: configparser.ConfigParser) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.chmod(self.path, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            parser.write(file)

    def keys(self, section: str | None = None) -> list[str]:  # type: ignore[override]
        """The sections, or the keys set in ``section`` (file and environment)."""
        if section is None:
            return list(self)
        section = section.upper()
        found = list(self._file()[self._section_name(section)]) if self._file().has_section(
            self._section_name(section)
        ) else []
        if section == "API_KEYS":
            for variable, value in self._environ.items():
                if variable.endswith("_API_KEY") and value and variable[: -len("_API_KEY")] not in found:
                    found.append(variable[: -len("_API_KEY")])
        prefix = f"DOSAKU_{section}__"
        for variable in self._environ:
            if variable.startswith(prefix) and variable[len(prefix):] not in found:
                found.append(variable[len(prefix):])
        return found

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment this configuration reads overrides from (``os.environ`` unless another was given)."""
        return self._environ

    def api_key(self, name: str, env_var: str | None = None) -> Secret | None:
        """The API key ``[API_KEYS] name``: from ``env_var`` (e.g. a spec's ``key_env_var``), ``NAME_API_KEY``,
        ``DOSAKU_API_KEYS__NAME`` or the file, else None.

        Example::

            config.api_key('OPENAI')   # Secret('sk-…wxyz') or None
        """
        value = self._environ.get(env_var) if env_var else None
        value = value or self.get("API_KEYS", name)
        return Secret(value) if value else None

    def require_key(self, name: str, env_var: str | None = None) -> Secret:
        """The API key ``[API_KEYS] name``; :class:`MissingAPIKey` saying how to set it when there is none.

        Example::

            key = config.require_key('OPENAI')
        """
        value = self.api_key(name, env_var)
        if value is None:
            raise MissingAPIKey(name.upper(), env_var or environment_variables("API_KEYS", name)[0])
        return value

    def as_dict(self, reveal: bool = False) -> dict[str, dict[str, str]]:
        """Every section and value; secrets masked unless ``reveal``."""
        shown: dict[str, dict[str, str]] = {}
        for section in self:
            for key in self.keys(section):
                value = self.get(section, key) or ""
                shown.setdefault(section, {})[key] = value if reveal or not is_secret(section, key) else mask(value)
        return shown

    def __getitem__(self, section: str) -> ConfigSection:
        return ConfigSection(self, section)

    def __contains__(self, section: object) -> bool:
        return isinstance(section, str) and section.upper() in list(self)

    def __iter__(self) -> Iterator[str]:
        names = [name.upper() for name in self._file().sections()]
        if "API_KEYS" not in names and self.keys("API_KEYS"):
            names.append("API_KEYS")
        for variable in self._environ:
            if variable.startswith("DOSAKU_") and "__" in variable:
                section = variable[len("DOSAKU_"):].split("__", 1)[0]
                if section and section not in names:
                    names.append(section)
        return iter(names)

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __repr__(self) -> str:
        return f"Config(path={str(self.path)!r})"
