"""The Dosaku agent, driven by the real ``openai`` client against a loopback OpenAI-compatible server that plays
scripted replies (tool calls, code). Tasks are done by in-process test modules (real PIL transforms)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from dosaku.agents import Answer, Dosaku, Step
from dosaku.config import Config
from dosaku.errors import ChatCannotCallTools, ExecutorPermissionRequired, ServiceError, ServicePermissionRequired
from dosaku.spec import ModuleSpec
from dosaku.testing import in_process_plugin, make_plugin_manager

openai_plugin = pytest.importorskip("dosaku_openai.plugin", reason="needs dosaku-modules-openai")
from agent_helpers import LOCAL, PAID_ONLY, PaidPainter, config, script, server  # noqa: E402, F401 - fixtures
from dosaku.tool_calls import NOT_ANSWERED  # noqa: E402
from dosaku_openai.chat import OpenAIChat  # noqa: E402
from dosaku_openai.testing import TEST_KEY, FakeOpenAIServer  # noqa: E402
from dosaku_python import plugin as python_plugin  # noqa: E402 - PythonTester, the Tester task

GCD_REPLY = (
    "Here is the method:\n\n```python\ndef gcd(a, b):\n    while b != 0:\n        a, b = b, a % b\n    return a\n```\n"
)


def make_dosaku(config: Config, *plugins: Any, **kwargs: Any) -> Dosaku:
    kwargs.setdefault("enable_services", True)
    return Dosaku(config=config, plugin_manager=make_plugin_manager(openai_plugin, python_plugin, *plugins), **kwargs)


def bodies(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    return [request.json for request in server.chat_requests]


def tool_names(body: dict[str, Any]) -> list[str]:
    return sorted(tool["function"]["name"] for tool in body.get("tools", []))


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results sent in this request (the ones after the last assistant message)."""
    messages = body["messages"]
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    return [json.loads(m["content"]) for m in messages[last + 1:] if m["role"] == "tool"]


# --- permissions ---------------------------------------------------------------------------------------------------
def test_dosaku_without_services_raises_the_readme_error(config, server):
    with pytest.raises(ServicePermissionRequired) as caught:
        Dosaku(config=config, plugin_manager=make_plugin_manager(openai_plugin, LOCAL))
    assert str(caught.value) == "Dosaku requires services be enabled. Pass in enable_services=True on init."
    with pytest.raises(ServicePermissionRequired) as caught:
        make_dosaku(config, LOCAL, enable_services=False, model="gpt-4o")
    assert str(caught.value) == "Dosaku requires services be enabled. Pass in enable_services=True on init."
    assert server.requests == []


def test_dosaku_with_the_installed_plugins_plans_offline_and_a_service_still_needs_permission(dosaku_home):
    import importlib.util

    readme_error = r"^Dosaku requires services be enabled\. Pass in enable_services=True on init\.$"
    if importlib.util.find_spec("dosaku_llamacpp") is None:  # no local tool-calling model: only a service can plan
        with pytest.raises(ServicePermissionRequired, match=readme_error):
            Dosaku(enable_services=False)
    else:  # LlamaCppChat calls tools: Dosaku() works offline
        dosk = Dosaku(enable_services=False)
        assert dosk.Chat.module_name == "LlamaCppChat" and not dosk.enable_services
    with pytest.raises(ServicePermissionRequired, match=readme_error):
        Dosaku(enable_services=False, chat_module="OpenAIChat")


def test_an_executor_chat_module_needs_executors(config):
    class CodeChat(OpenAIChat):
        kind = "executor"

    plugin = in_process_plugin("agent-test-exec", modules=[ModuleSpec("CodeChat", ("Chat",), target=CodeChat,
                                                                      kind="executor")])
    with pytest.raises(ExecutorPermissionRequired) as caught:
        make_dosaku(config, plugin, chat_module="CodeChat")
    assert str(caught.value) == "Dosaku requires executors be enabled. Pass in enable_executors=True on init."


def test_dosaku_learns_chat_with_its_system_prompt_and_config(config, server):
    dosk = make_dosaku(config, LOCAL, enable_services=True, stream_chat=False, model="gpt-4o")
    assert dosk.name == "Dosaku" and dosk.tasks == ["Chat"] and dosk.loaded_modules == ["OpenAIChat"]
    assert dosk.Chat("Hello") == "Done."
    body = bodies(server)[0]
    assert body["model"] == "gpt-4o" and "tools" not in body
    assert body["messages"][0]["role"] == "system" and "Dosaku" in body["messages"][0]["content"]
    assert server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"


# --- the README flows ----------------------------------------------------------------------------------------------
def test_readme_gcd_flow(config, script, server):
    script.texts.append(GCD_REPLY)
    dosk = make_dosaku(config, enable_services=True, enable_executors=True, stream_chat=False)
    dosk.learn("Tester")

    code = dosk.Chat("Write a python method named gcd to compute the greatest common denominator between two "
                     "integers.")
    dosk.Tester.exec(code, globals=globals(), locals=globals())
    assert gcd(10, 15) == 5  # noqa: F821 - defined by the generated code
    assert bodies(server)[0]["messages"][-1]["content"].startswith("Write a python method named gcd")


def test_chat_streams_by_default(config, script, server):
    script.texts.append("one two three four")
    dosk = make_dosaku(config, LOCAL)
    partials = list(dosk.Chat("Count"))
    assert partials == ["one", "one two", "one two three", "one two three four"]


# --- doing requests ------------------------------------------------------------------------------------------------
def test_two_step_plan_passes_the_image_by_reference(config, script, server):
    dosk = make_dosaku(config, LOCAL)  # streams chat by default; do() asks for whole replies
    dosk.learn("TextToImage")
    dosk.learn("RestoreFaces")
    server.call_tools(("TextToImage__text_to_image", {"prompt": "a red square"}))
    server.call_tools(("RestoreFaces__restore", {"image": "artifact-1"}))
    script.texts.append("Here is your restored red square.")

    answer = dosk.do("Paint a red square, then restore the faces in it.")

    assert isinstance(answer, Answer) and answer == "Here is your restored red square."
    assert answer.stopped == "done"
    assert answer.plan == ["TextToImage.text_to_image(prompt=a red square)", "RestoreFaces.restore(image=artifact-1)"]
    first, second = answer.steps
    assert (first.task, first.action, first.status, first.kind) == ("TextToImage", "text_to_image", "ok", "module")
    assert first.summary == {"artifact": "artifact-1", "type": "image", "size": [64, 48], "mode": "RGB"}
    assert second.arguments == {"image": "artifact-1"} and second.error is None and second.duration_s >= 0
    restored = second.value.restored_image
    assert restored.size == (128, 96) and restored.getpixel((0, 0)) == (255, 0, 0)
    assert answer.artifacts["artifact-1"] is first.value

    sent = bodies(server)
    assert len(sent) == 3 and all(not body.get("stream") for body in sent)
    assert tool_names(sent[0]) == ["RestoreFaces__restore", "TextToImage__text_to_image", "learn_task"]
    image_parameter = next(t for t in sent[0]["tools"] if t["function"]["name"] == "RestoreFaces__restore")
    assert "artifact" in image_parameter["function"]["parameters"]["properties"]["image"]["description"]
    assert tool_results(sent[1]) == [{"result": first.summary}]
    restored_summary = tool_results(sent[2])[0]["result"]
    assert restored_summary["type"] == "RestoredImage"
    assert restored_summary["fields"]["restored_image"]["size"] == [128, 96]
    assert sent[0]["messages"][-1] == {"role": "user", "content": "Paint a red square, then restore the faces in it."}


def test_do_iter_yields_each_step_then_the_answer(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    dosk.learn("TextToImage")
    server.call_tools(("TextToImage__text_to_image", {"prompt": "green"}))
    events = list(dosk.do_iter("Paint green"))
    assert [type(event) for event in events] == [Step, Answer]
    assert events[0].ok and "TextToImage.text_to_image(prompt=green)" in events[0].describe()


def test_step_limit_stops_and_asks_for_a_best_effort_answer(config, script, server):
    dosk = make_dosaku(config, LOCAL, max_steps=3)
    dosk.learn("TextToImage")
    for colour in ("red", "green", "blue", "white", "red again"):
        server.call_tools(("TextToImage__text_to_image", {"prompt": colour}))
    script.texts.append("I painted red, green and blue; white is still to do.")

    answer = dosk.do("Paint five swatches.")

    assert answer.stopped == "step_limit" and len(answer.steps) == 3
    assert all(step.ok for step in answer.steps)
    assert answer.startswith("I painted red, green and blue; white is still to do.")
    assert "step limit of 3 tool calls" in answer
    sent = bodies(server)
    assert len(sent) == 4 and "tools" not in sent[-1]  # the last request offers no tools: it must answer
    assert "step limit (3 tool calls) has been reached" in sent[-1]["messages"][-1]["content"]
    assert len(server.tool_call_queue) == 2  # the model's later plans were never asked for


def test_calls_beyond_the_limit_in_one_reply_are_skipped_and_answered(config, script, server):
    dosk = make_dosaku(config, LOCAL, max_steps=2)
    dosk.learn("TextToImage")
    server.call_tools(*[("TextToImage__text_to_image", {"prompt": c}) for c in ("red", "green", "blue")])
    answer = dosk.do("Paint three.")
    assert [step.status for step in answer.steps] == ["ok", "ok", "skipped"]
    assert answer.steps[2].error == "Not run: the step limit (2 tool calls) was reached."
    assert [r.get("error") for r in tool_results(bodies(server)[-1])] == [
        None, None, "Not run: the step limit (2 tool calls) was reached."]


def test_a_repeated_call_is_refused_and_cannot_loop(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    dosk.learn("TextToImage")
    for _ in range(20):
        server.call_tools(("TextToImage__text_to_image", {"prompt": "red"}))
    answer = dosk.do("Paint red.")
    assert answer.stopped == "step_limit" and len(answer.steps) == 8
    assert answer.steps[0].ok and {step.status for step in answer.steps[1:]} == {"refused"}
    assert "already made (step 1)" in answer.steps[1].error and "Do not repeat it" in answer.steps[1].error
    assert len(bodies(server)) == 9


def test_a_tool_error_is_fed_back_and_the_model_recovers(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    dosk.learn("TextToImage")
    server.call_tools(("TextToImage__text_to_image", {"prompt": ""}))
    server.call_tools(("TextToImage__text_to_image", {"prompt": "blue"}))
    script.texts.append("Here is a blue swatch.")

    answer = dosk.do("Paint something blue.")

    failed, fixed = answer.steps
    assert failed.status == "error" and failed.error == "ValueError: the prompt is empty; describe the image"
    assert failed.value is None and failed.summary is None
    assert fixed.ok and fixed.value.getpixel((0, 0)) == (0, 0, 255)
    assert tool_results(bodies(server)[1]) == [{"error": "ValueError: the prompt is empty; describe the image"}]
    assert answer == "Here is a blue swatch."


def test_a_chat_failure_half_way_leaves_a_conversation_that_goes_on(config, script, server):
    def approve(step: Step) -> bool:
        server.fail(400)  # the request carrying this step's result fails
        return True

    dosk = make_dosaku(config, LOCAL, approve=approve, stream_chat=False)
    dosk.learn("TextToImage")
    server.call_tools(("TextToImage__text_to_image", {"prompt": "red"}))
    with pytest.raises(ServiceError):
        dosk.do("Paint red.")
    assert dosk.Chat("Never mind. Hello!") == "Done."
    assert bodies(server)[-1]["messages"][-2:] == [
        {"role": "tool", "tool_call_id": "call_0_TextToImage__text_to_image", "content": NOT_ANSWERED},
        {"role": "user", "content": "Never mind. Hello!"},
    ]


def test_unknown_tools_bad_arguments_and_unknown_artifacts_are_reported(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    dosk.learn("RestoreFaces")
    server.call_tools(("Nope__x", {}), ("RestoreFaces__restore", {"img": "x"}),
                      ("RestoreFaces__restore", {"image": "artifact-9"}), ("PlayGo__play", {"move": "D4"}))
    answer = dosk.do("Restore my photo.")
    errors = [step.error for step in answer.steps]
    assert all(step.status == "error" for step in answer.steps)
    assert errors[0].startswith("DosakuError: There is no tool 'Nope__x'. The tools are: RestoreFaces__restore")
    assert errors[1].startswith("DosakuError: Bad arguments for RestoreFaces.restore:")
    assert "image" in errors[1]
    assert errors[2] == "UnknownArtifact: There is no artifact 'artifact-9' (known: none yet)."
    assert errors[3].startswith("DosakuError: There is no tool 'PlayGo__play'.")  # not learned: not offered
    assert [r["error"] for r in tool_results(bodies(server)[-1])] == errors


def test_invalid_json_arguments_are_reported(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    dosk.learn("TextToImage")
    server.tool_call_queue.append([{"id": "call_bad", "name": "TextToImage__text_to_image",
                                    "arguments": '{"prompt": "red"'}])
    answer = dosk.do("Paint red.")
    assert answer.steps[0].status == "error"
    assert answer.steps[0].error == "DosakuError: The arguments are not a JSON object: '{\"prompt\": \"red\"'."


def test_learn_on_demand(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    server.call_tools(("learn_task", {"task": "TextToImage"}))
    server.call_tools(("TextToImage__text_to_image", {"prompt": "red"}))
    answer = dosk.do("Paint red.")
    learn, paint = answer.steps
    assert (learn.task, learn.action, learn.status, learn.kind) == ("TextToImage", "learn", "ok", "module")
    assert learn.summary == "Learned TextToImage. New tools: TextToImage__text_to_image."
    assert paint.ok and dosk.tasks == ["Chat", "TextToImage"] and dosk.loaded_modules == ["OpenAIChat", "SwatchPainter"]
    first, second = bodies(server)[:2]
    assert tool_names(first) == ["learn_task"]
    learnable = first["tools"][0]["function"]["parameters"]["properties"]["task"]["enum"]
    assert "TextToImage" in learnable and "RestoreFaces" in learnable and "Chat" not in learnable
    assert tool_names(second) == ["TextToImage__text_to_image", "learn_task"]


def test_the_model_cannot_learn_chat_or_extra_options(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    server.call_tools(("learn_task", {"task": "Chat"}),
                      ("learn_task", {"task": "TextToImage", "enable_services": True}),
                      ("learn_task", {"task": "Teleport"}))
    answer = dosk.do("Switch yourself.")
    chat, extra, unknown = answer.steps
    assert chat.status == "refused" and chat.error == "Chat cannot be learned through learn_task."
    assert extra.status == "error" and "exactly one argument, 'task'" in extra.error
    assert unknown.status == "error" and unknown.error.startswith("TaskNotFound: Unknown task 'Teleport'.")
    assert dosk.tasks == ["Chat"]


def test_learning_a_service_with_services_off_is_refused(config, script, server):
    dosk = make_dosaku(config, PAID_ONLY, enable_services=False, chat_module="LocalOpenAIChat")
    assert dosk.loaded_modules == ["LocalOpenAIChat"]
    server.call_tools(("learn_task", {"task": "TextToImage"}))
    script.texts.append("I cannot paint: that needs a paid service, which is not enabled.")

    answer = dosk.do("Paint red.")

    step = answer.steps[0]
    assert step.status == "refused" and step.kind is None
    assert step.error == ("The task 'TextToImage' is only done by services (OpenAITextToImage, "
                          "PaidPainter), but services have not been "
                          "enabled. Make the agent with enable_services=True to allow them. Only the user can enable "
                          "this, when making the agent; you cannot.")
    assert PaidPainter.built == 0 and "TextToImage" not in dosk.tasks and not dosk.enable_services
    assert tool_results(bodies(server)[1]) == [{"error": step.error}]
    offered = bodies(server)[0]["tools"][0]["function"]["description"]
    assert "TextToImage: Create an image from text. (needs permission: not enabled)" in offered
    assert answer == "I cannot paint: that needs a paid service, which is not enabled."


def test_learning_an_executor_with_executors_off_is_refused(config, script, server):
    dosk = make_dosaku(config, LOCAL)
    server.call_tools(("learn_task", {"task": "Tester"}))
    answer = dosk.do("Run this code.")
    assert answer.steps[0].status == "refused" and "executors have not been enabled" in answer.steps[0].error
    assert "Tester" not in dosk.tasks and not dosk.enable_executors


def test_in_process_exec_is_never_offered_to_the_model(config, script, server):
    dosk = make_dosaku(config, LOCAL, enable_executors=True)
    dosk.learn("Tester")
    assert "Tester__run" in [t["function"]["name"] for t in dosk.tool_schemas()]
    assert "Tester__exec" not in [t["function"]["name"] for t in dosk.tool_schemas()]
    server.call_tools(("Tester__exec", {"code": "import os"}))
    answer = dosk.do("Run it in your process.")
    assert answer.steps[0].status == "error" and "There is no tool 'Tester__exec'" in answer.steps[0].error


def test_approval_refusal_is_fed_back(config, script, server):
    asked: list[Step] = []

    def approve(step: Step) -> bool:
        asked.append(step)
        return step.task != "RestoreFaces"

    dosk = make_dosaku(config, LOCAL, approve=approve)
    dosk.learn("TextToImage")
    dosk.learn("RestoreFaces")
    server.call_tools(("TextToImage__text_to_image", {"prompt": "red"}))
    server.call_tools(("RestoreFaces__restore", {"image": "artifact-1"}))
    answer = dosk.do("Paint and restore.")
    painted, refused = answer.steps
    assert painted.ok and [s.call() for s in asked] == [painted.call(), refused.call()]
    assert asked[1].kind == "module" and asked[1].arguments == {"image": "artifact-1"}
    assert refused.status == "refused" and refused.value is None
    assert refused.error == "The user did not approve RestoreFaces.restore(image=artifact-1); do not try it again."
    assert tool_results(bodies(server)[2]) == [{"error": refused.error}]


def test_a_chat_module_without_tools_cannot_do_requests(config):
    dosk = make_dosaku(config, enable_services=False, chat_module="EchoBot")
    with pytest.raises(ChatCannotCallTools) as caught:
        dosk.do("Paint red.")
    assert str(caught.value) == ("The Chat module EchoBot cannot call tools, so Dosaku cannot do requests with it. "
                                 "Learn Chat with one that can, e.g. dosk.learn('Chat', module='LlamaCppChat') (local) "
                                 "or module='OpenAIChat' (a service).")


def test_the_conversation_continues_after_a_request(config, script, server):
    dosk = make_dosaku(config, LOCAL, stream_chat=False)
    dosk.learn("TextToImage")
    server.call_tools(("TextToImage__text_to_image", {"prompt": "red"}))
    dosk.do("Paint red.")
    dosk.Chat("Thanks!")
    roles = [m["role"] for m in bodies(server)[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
