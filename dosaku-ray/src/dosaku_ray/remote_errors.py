"""Exceptions carried from a replica back to the caller as the same types, with the remote traceback as a note.

Exceptions are packed without calling their ``__init__`` again (many DosakuErrors take several arguments), so
``SpendLimitExceeded`` or ``ServiceError(partial=...)`` arrive with their attributes. A class the caller cannot
import arrives as :class:`RemoteModuleError` with the original type's name and message.
"""
from __future__ import annotations

import traceback
from typing import Any

from dosaku_ray.errors import RayPlacementError


class RemoteModuleError(RayPlacementError):
    """A module raised an exception whose type cannot be rebuilt where it was called."""


def pack(error: BaseException) -> tuple[Any, ...]:
    """A picklable form of ``error`` (call it in the replica, inside the ``except``)."""
    from ray import cloudpickle

    remote_tb = "".join(traceback.format_exception(error))
    state = {k: v for k, v in vars(error).items() if k != "__notes__"} if hasattr(error, "__dict__") else {}
    try:
        payload = cloudpickle.dumps((type(error), error.args, state))
    except Exception:  # noqa: BLE001 - an unpicklable exception still travels, as text
        payload = None
    return payload, f"{type(error).__module__}.{type(error).__qualname__}", str(error), remote_tb


def unpack(packed: tuple[Any, ...], where: str) -> BaseException:
    """The exception ``packed`` stands for, noted with where it was raised and its remote traceback."""
    payload, type_name, message, remote_tb = packed
    error: BaseException | None = None
    if payload is not None:
        try:
            from ray import cloudpickle

            cls, args, state = cloudpickle.loads(payload)
            error = cls.__new__(cls, *args)
            error.args = args
            error.__dict__.update(state)
        except Exception:  # noqa: BLE001 - the type cannot be rebuilt here
            error = None
    if error is None:
        error = RemoteModuleError(f"{type_name}: {message}")
    error.add_note(f"Raised by {where}. Remote traceback:\n{remote_tb.rstrip()}")
    return error
