"""Registers 'Reverser' (dosaku-example-plugin's module name) and its own Whisper task and Whisperer module."""
from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register):
    register(TaskSpec("Whisper", target="dosaku_zz_clash.whisper:Whisper", summary="Say a text quietly."))


@hookimpl
def register_modules(register):
    register(ModuleSpec("Reverser", tasks=("ReverseText",), target="dosaku_zz_clash.whisper:Whisperer"))
    register(ModuleSpec("Whisperer", tasks=("Whisper",), target="dosaku_zz_clash.whisper:Whisperer"))
