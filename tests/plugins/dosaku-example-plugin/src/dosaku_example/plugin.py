"""The example plugin: registers the ReverseText task, the Reverser module and `dosaku reverse`."""
from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register):
    register(TaskSpec("ReverseText", target="dosaku_example.reverse:ReverseText", summary="Reverse a text."))


@hookimpl
def register_modules(register):
    register(ModuleSpec("Reverser", tasks=("ReverseText",), target="dosaku_example.reverse:Reverser",
                        summary="Reverses text, character by character."))


@hookimpl
def register_commands(cli):
    import click

    @cli.command()
    @click.argument("text")
    def reverse(text):
        """Reverse TEXT with the agent's ReverseText task."""
        from dosaku import Agent

        agent = Agent()
        agent.learn("ReverseText")
        click.echo(agent.ReverseText(text))
