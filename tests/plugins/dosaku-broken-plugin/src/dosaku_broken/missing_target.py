"""Registers a module whose target cannot be imported: the failure shows when the task is learned."""
from dosaku import ModuleSpec, hookimpl


@hookimpl
def register_modules(register):
    register(ModuleSpec("GhostChat", tasks=("Chat",), target="dosaku_broken.no_such_module:GhostChat"))
