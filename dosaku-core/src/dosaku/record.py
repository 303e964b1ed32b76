"""Small frozen records, for what the agent's start-up path reads (task and module specs, plugin folders).

They stand in for frozen dataclasses there: importing :mod:`dataclasses` (which imports :mod:`inspect`) costs every
start about 8 ms, more than all of Dosaku's own start-up work (see ``benchmarks/bench_core.py``).
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Record:
    """A frozen record whose fields are its ``__slots__``, in order.

    Subclasses list their fields in ``__slots__`` and may give defaults in ``_DEFAULTS``; fields named in
    ``_UNCOMPARED`` take no part in equality and hashing. Records compare, hash, print, copy (:meth:`replace`) and
    pickle like frozen dataclasses.

    Example::

        class Point(Record):
            __slots__ = ("x", "y")
            _DEFAULTS = {"y": 0}

        Point(1) == Point(x=1, y=0)   # True
        Point(1).replace(y=2)         # Point(x=1, y=2)
    """

    __slots__: tuple[str, ...] = ()
    _DEFAULTS: dict[str, Any] = {}
    _UNCOMPARED: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any):
        names = self.__slots__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} fields, got {len(args)}")
        values = {**self._DEFAULTS, **dict(zip(names, args))}
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
            if name in names[: len(args)]:
                raise TypeError(f"{type(self).__name__} got field {name!r} twice")
            values[name] = value
        missing = [name for name in names if name not in values]
        if missing:
            raise TypeError(f"{type(self).__name__} is missing field(s) {', '.join(missing)}")
        for name in names:
            object.__setattr__(self, name, values[name])

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__ if name not in self._UNCOMPARED)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: use .replace({name}=...) for a changed copy.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen.")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.as_dict().items())
        return f"{type(self).__name__}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (e.g. to a Ray worker) through the constructor
        return (_rebuild, (type(self), self.as_dict()))

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` applied, e.g. ``spec.replace(priority=10)``."""
        return type(self)(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict, in order, e.g. for JSON."""
        return {name: getattr(self, name) for name in self.__slots__}


def _rebuild(cls: type, fields: dict[str, Any]) -> Any:
    return cls(**fields)
