"""Registers a module, then fails: the module it registered must be undone."""
from dosaku import ModuleSpec, hookimpl


@hookimpl
def register_modules(register):
    register(ModuleSpec("HalfRegistered", tasks=("Chat",), target="dosaku_broken.nowhere:Nothing"))
    raise RuntimeError("the hook failed half-way (on purpose)")
