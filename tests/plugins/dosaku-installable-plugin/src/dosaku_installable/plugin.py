from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register):
    register(TaskSpec("CountWords", target="dosaku_installable.words:CountWords", summary="Count the words of a text."))


@hookimpl
def register_modules(register):
    register(ModuleSpec("WordCounter", tasks=("CountWords",), target="dosaku_installable.words:WordCounter"))
