"""End to end in a real browser (Debian chromium driven by playwright) against a real ``dosaku_gui`` + SmolLM2."""
from __future__ import annotations

from gui_helpers import save_screenshot

TIMEOUT_MS = 180_000

# Records every distinct text the last bot message shows, to prove the reply was streamed into the page.
OBSERVE_STREAM = """() => {
  window.__botTexts = [];
  const record = () => {
    const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
    if (!bots.length) return;
    const text = bots[bots.length - 1].innerText.trim();
    if (text && window.__botTexts[window.__botTexts.length - 1] !== text) window.__botTexts.push(text);
  };
  new MutationObserver(record).observe(document.querySelector('#chatbot'),
                                       {subtree: true, childList: true, characterData: true});
}"""


def open_chat(browser, url):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#chat-input textarea").wait_for(state="visible")
    page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
    page.evaluate(OBSERVE_STREAM)
    return context, page


def send(page, text):
    box = page.locator("#chat-input textarea")
    box.fill(text)
    box.press("Enter")


def wait_for_reply(page, replies):
    bots = page.locator('#chatbot [data-testid="bot"]')
    bots.nth(replies - 1).wait_for()
    page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
    return bots.nth(replies - 1).inner_text().strip()


def user_texts(page):
    return [text.strip() for text in page.locator('#chatbot [data-testid="user"]').all_inner_texts()]


def test_two_browser_sessions_chat_at_once_with_streamed_replies(browser, smollm2_server):
    first_context, first = open_chat(browser, smollm2_server.url)
    second_context, second = open_chat(browser, smollm2_server.url)
    try:
        send(first, "What is the capital of France? Answer in one word.")
        send(second, "Name three fruits.")
        first_reply, second_reply = wait_for_reply(first, 1), wait_for_reply(second, 1)
        assert first_reply and second_reply

        streamed = first.evaluate("window.__botTexts")
        assert len(streamed) >= 3, streamed  # the reply grew in the page chunk by chunk
        assert len(streamed[0]) < len(streamed[-1]), streamed

        send(first, "Thank you!")
        wait_for_reply(first, 2)
        assert user_texts(first) == ["What is the capital of France? Answer in one word.", "Thank you!"]
        assert user_texts(second) == ["Name three fruits."]  # each session sees only its own history

        screenshot = save_screenshot(first, "gui_chat_smollm2.png", "the chat")
        assert screenshot.stat().st_size > 10_000
    finally:
        first_context.close()
        second_context.close()
    assert "Traceback" not in smollm2_server.log()


def test_dosaku_tools_plans_offline_with_the_local_model(browser, smollm2_server):
    """No services: "Dosaku (tools)" is offered, plans with LlamaCppChat (grammar-held tool calls) and shows its
    steps as thoughts, then its answer."""
    context, page = open_chat(browser, smollm2_server.url)
    try:
        page.locator("#chat-module input").click()
        page.get_by_role("option", name="Dosaku (tools)").click()
        page.locator("#chat-status").get_by_text("Chatting with Dosaku (tools).").wait_for()
        send(page, "Learn the PlayGo task so we can play Go.")
        page.locator("#chat-status").get_by_text("step(s)").wait_for()
        status = page.locator("#chat-status").inner_text()
        conversation = page.locator("#chatbot").inner_text()
        assert "learn_task" in conversation and "PlayGo" in conversation, conversation
        assert "Chatting with Dosaku (tools)." in status and "Traceback" not in conversation
        save_screenshot(page, "gui_dosaku_tools_offline.png", "Dosaku (tools) offline")
    finally:
        context.close()
    assert "Traceback" not in smollm2_server.log()
