"""A real ``dosaku_gui`` process chatting with the real SmolLM2 model, driven by the real ``gradio_client``."""
from __future__ import annotations


def test_default_module_is_the_local_model_and_replies_stream(smollm2_server):
    from gradio_client import Client

    client = Client(smollm2_server.url, verbose=False)
    question = "What is the capital of France? Answer in one word."
    job = client.submit(question, [], "LlamaCppChat", 0.0, 24, api_name="/chat")
    chat, box, status = job.result(timeout=300)
    assert chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
    reply = "".join(part["text"] for part in chat[-1]["content"]) if isinstance(chat[-1]["content"], list) \
        else chat[-1]["content"]
    assert "paris" in reply.lower(), reply
    assert status == "Chatting with **LlamaCppChat**."
    partials = {str(output[0][-1]["content"]) for output in job.outputs() if len(output[0]) == 2}
    assert len(partials) >= 3, partials  # streamed token by token
    info = client.predict(api_name="/agent_info")
    assert "**Learned tasks:** `Chat` → `LlamaCppChat`" in info and "**Loaded modules:** `LlamaCppChat`" in info


def test_page_offers_the_local_model_first(smollm2_server):
    from gradio_client import Client

    config = Client(smollm2_server.url, verbose=False).config
    dropdown = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "chat-module")
    choices = [choice[0] if isinstance(choice, (list, tuple)) else choice for choice in dropdown["props"]["choices"]]
    assert dropdown["props"]["value"] == "LlamaCppChat" and choices.index("LlamaCppChat") < choices.index("EchoBot")
