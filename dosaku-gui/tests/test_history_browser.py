"""Past conversations and logins in a real browser (Debian chromium through playwright) against a real
``dosaku_gui`` process: chat, reload the page, reopen the conversation from the side panel, continue it; with
``--host 0.0.0.0`` a request without a login gets nothing, and two logged-in users see only their own history."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from dosaku.config import Config
from dosaku.logs import LogStore
from dosaku_gui.auth import GuiUsers
from gui_helpers import GuiServer, save_screenshot

TIMEOUT_MS = 120_000
ECHO = "Hi, I'm EchoBot. You said: "


def open_page(browser, url, user=None, password=None):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    if user is not None:
        page.get_by_label("username").fill(user)
        page.get_by_label("password").fill(password)
        page.get_by_role("button", name="Login").click()
    page.locator("#chat-input textarea").wait_for(state="visible")
    page.locator("#chat-status").get_by_text("Chatting with EchoBot.").wait_for()
    return context, page


def send_and_wait(page, text, replies):
    box = page.locator("#chat-input textarea")
    box.fill(text)
    box.press("Enter")
    page.locator('#chatbot [data-testid="bot"]').nth(replies - 1).get_by_text(ECHO + text).wait_for()


def listed(page):
    return [text.strip() for text in page.locator("#history-list label").all_inner_texts()]


def wait_listed(page, title):
    page.locator("#history-list label").filter(has_text=title).first.wait_for()


def test_chat_reload_reopen_and_continue(browser, tmp_path):
    server = GuiServer(tmp_path, "--module", "EchoBot")
    try:
        context, page = open_page(browser, server.url)
        send_and_wait(page, "where is the lighthouse?", 1)
        wait_listed(page, "where is the lighthouse?")

        page.reload()
        page.locator("#chat-status").get_by_text("Chatting with EchoBot.").wait_for()
        assert page.locator('#chatbot [data-testid="user"]').count() == 0  # a new page starts a new chat
        wait_listed(page, "where is the lighthouse?")
        page.locator("#history-list label").filter(has_text="where is the lighthouse?").click()
        page.locator("#chat-status").get_by_text("Continuing where is the lighthouse?").wait_for()
        page.locator('#chatbot [data-testid="bot"]').first.get_by_text(ECHO + "where is the lighthouse?").wait_for()

        send_and_wait(page, "and how tall is it?", 2)
        assert [t.strip() for t in page.locator('#chatbot [data-testid="user"]').all_inner_texts()] == [
            "where is the lighthouse?", "and how tall is it?"]
        save_screenshot(page, "gui_history_resumed.png", "a resumed conversation")

        page.locator("#chat-clear").click()  # a new conversation
        send_and_wait(page, "something else", 1)
        wait_listed(page, "something else")
        assert len(listed(page)) == 2
        context.close()
    finally:
        server.stop()
    store = LogStore(tmp_path / "data" / "logs.db", config=Config(tmp_path / "config.ini", environ={}))
    resumed = [s for s in store.list(0) if s.title == "where is the lighthouse?"]
    assert len(resumed) == 1 and resumed[0].messages == 4
    assert "Traceback" not in server.log()


def fetch(url, data=None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def guarded(tmp_path):
    users = GuiUsers(Config(tmp_path / "config.ini", environ={}))
    users.add("alice", "alice's passphrase")
    users.add("bob", "bob's passphrase!")
    server = GuiServer(tmp_path, "--host", "0.0.0.0", "--module", "EchoBot")
    yield server
    server.stop()


def test_beyond_loopback_nothing_without_a_login(guarded):
    status, page = fetch(guarded.url)
    assert status == 200 and "chat-input" not in page and "history-list" not in page  # only the login form
    for path in ("config", "gradio_api/info"):
        assert fetch(guarded.url + path)[0] == 401
    status, body = fetch(guarded.url + "gradio_api/call/chat", {"data": ["hi", [], "EchoBot", 0.7, 64]})
    assert status == 401 and "Not authenticated" in body
    status, _ = fetch(guarded.url + "login", None)
    assert status in (405, 422)  # the login route wants a form, not a bare request


def test_two_logged_in_users_see_only_their_own_history(browser, guarded):
    alice_context, alice = open_page(browser, guarded.url, "alice", "alice's passphrase")
    bob_context, bob = open_page(browser, guarded.url, "bob", "bob's passphrase!")
    try:
        send_and_wait(alice, "alice plans a surprise party", 1)
        send_and_wait(bob, "bob buys groceries", 1)
        wait_listed(alice, "alice plans a surprise party")
        wait_listed(bob, "bob buys groceries")

        bob.reload()
        bob.locator("#chat-status").get_by_text("Chatting with EchoBot.").wait_for()
        wait_listed(bob, "bob buys groceries")
        assert [t for t in listed(bob) if "alice" in t] == []
        bob.locator("#history-search input, #history-search textarea").first.fill("surprise party")
        bob.wait_for_timeout(1500)  # the search has run (bounded): still nothing of alice's
        assert listed(bob) == []

        alice.reload()
        alice.locator("#chat-status").get_by_text("Chatting with EchoBot.").wait_for()
        wait_listed(alice, "alice plans a surprise party")
        assert [t for t in listed(alice) if "bob" in t] == []
        alice.locator("#history-list label").filter(has_text="alice plans").click()
        alice.locator('#chatbot [data-testid="bot"]').first.get_by_text(
            ECHO + "alice plans a surprise party").wait_for()
    finally:
        alice_context.close()
        bob_context.close()
    store = LogStore(guarded.log_path.parent / "data" / "logs.db",
                     config=Config(guarded.log_path.parent / "config.ini", environ={}), user=None)
    assert sorted((s.user, s.title) for s in store.list(0)) == [
        ("alice", "alice plans a surprise party"), ("bob", "bob buys groceries")]
    assert "Traceback" not in guarded.log()


def test_a_smollm2_conversation_is_reopened_after_a_reload_and_goes_on(browser, smollm2_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(180_000)
    try:
        page.goto(smollm2_server.url)
        page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
        box = page.locator("#chat-input textarea")
        box.fill("Name a colour of the sky.")
        box.press("Enter")
        page.locator('#chatbot [data-testid="bot"]').first.wait_for()
        page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
        first_reply = page.locator('#chatbot [data-testid="bot"]').first.inner_text().strip()
        assert first_reply

        page.reload()
        page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
        page.locator("#history-list label").filter(has_text="Name a colour of the sky.").first.click()
        page.locator("#chat-status").get_by_text("with LlamaCppChat.").wait_for()
        assert page.locator('#chatbot [data-testid="bot"]').first.inner_text().strip() == first_reply
        box.fill("And of grass?")
        box.press("Enter")
        page.locator('#chatbot [data-testid="bot"]').nth(1).wait_for()
        page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
        assert [t.strip() for t in page.locator('#chatbot [data-testid="user"]').all_inner_texts()] == [
            "Name a colour of the sky.", "And of grass?"]
    finally:
        context.close()
    home = smollm2_server.log_path.parent
    store = LogStore(home / "data" / "logs.db", config=Config(home / "config.ini", environ={}))
    [conversation] = [s for s in store.list(0) if s.title == "Name a colour of the sky."]
    record = store.show(conversation.id)
    assert [m.content for m in record.messages if m.role == "user"] == ["Name a colour of the sky.", "And of grass?"]
    assert record.summary.module == "LlamaCppChat" and record.messages[1].content == first_reply
