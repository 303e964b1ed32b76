"""Registers the test kit: Swatch painter (TextToImage), Shout (a task only a service does), HistoryBot and
ToolCallerBot (Chat)."""
from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register):
    register(TaskSpec("Shout", target="dosaku_mcp_testkit.modules:Shout", summary="Shout a text (a service)."))


@hookimpl
def register_modules(register):
    register(ModuleSpec("SwatchPainter", ("TextToImage",), target="dosaku_mcp_testkit.modules:SwatchPainter",
                        priority=5, summary="Paints a swatch of the colour named in the prompt."))
    register(ModuleSpec("CloudShouter", ("Shout",), target="dosaku_mcp_testkit.modules:CloudShouter",
                        kind="service", summary="Shouts, remotely (pretend)."))
    register(ModuleSpec("HistoryBot", ("Chat",), target="dosaku_mcp_testkit.modules:HistoryBot",
                        priority=-200, summary="Answers with what it remembers of the conversation."))
    register(ModuleSpec("ToolCallerBot", ("Chat",), target="dosaku_mcp_testkit.modules:ToolCallerBot",
                        priority=-200, summary="Calls the tool a message names: 'call TOOL {json args}'."))
