"""The GUI's past conversations and logins: the session layer and the panel's handlers on a real log database,
the login rules, and ``dosaku gui-user``."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from dosaku.config import Config
from dosaku.logs import ConversationNotFound, LogStore
from dosaku.testing import isolated_agent
from dosaku_gui import history
from dosaku_gui.auth import GuiAuthError, GuiUsers, LoginRequired, check_can_start, hash_password, verify_password
from dosaku_gui.options import GuiOptions
from dosaku_gui.session import AgentSession
from gui_helpers import TEST_PLUGIN

ECHO = "Hi, I'm EchoBot. You said: "


def logging_agent(enable_services: bool = False):
    return isolated_agent(TEST_PLUGIN, config=Config(), enable_services=enable_services, log=True)


def new_session(user: str = "") -> AgentSession:
    session = AgentSession(GuiOptions(module="EchoBot"), logging_agent)
    history.bind_user(session, user)
    return session


def say(session: AgentSession, text: str) -> str:
    return list(session.chat(text, "EchoBot"))[-1]


def request(user: str | None) -> SimpleNamespace:
    return SimpleNamespace(username=user)


def test_a_new_session_lists_resumes_and_continues_a_past_conversation(dosaku_home):
    first = new_session()
    say(first, "what is a lighthouse?")
    say(first, "and a harbour?")
    ident = history.current_id(first)
    first.close()

    later = new_session()  # a reloaded page: a new session, a new agent
    [summary] = history.conversations(later)
    assert (summary.id, summary.title, summary.messages) == (ident, "what is a lighthouse?", 4)
    record, choice = history.reopen(later, ident)
    assert choice == "EchoBot" and record.id == ident
    assert [m["content"] for m in later.agent.Chat.history()][:2] == ["what is a lighthouse?", ECHO +
                                                                      "what is a lighthouse?"]
    assert say(later, "and a boat?") == ECHO + "and a boat?"
    assert [m.content for m in LogStore().show(ident).messages if m.role == "user"] == [
        "what is a lighthouse?", "and a harbour?", "and a boat?"]
    assert history.conversations(later, "harbour")[0].id == ident and history.conversations(later, "zebra") == []


def test_each_user_sees_and_resumes_only_their_own(dosaku_home):
    alice, bob = new_session("alice"), new_session("bob")
    say(alice, "alice's plan")
    say(bob, "bob's plan")
    alices = history.current_id(alice)
    assert [s.title for s in history.conversations(alice)] == ["alice's plan"]
    assert [s.title for s in history.conversations(bob)] == ["bob's plan"]
    assert LogStore(user="alice").show(alices).summary.user == "alice"
    with pytest.raises(ConversationNotFound):
        history.reopen(bob, alices)
    with pytest.raises(ConversationNotFound):
        history.forget(bob, alices)
    with pytest.raises(PermissionError, match="belongs to another user"):
        history.bind_user(alice, "bob")
    assert LogStore().list() == []  # nothing was written as the machine's own user


def test_delete_forgets_the_conversation_and_the_chat_starts_anew(dosaku_home):
    session = new_session()
    say(session, "to be deleted")
    ident = history.current_id(session)
    history.forget(session, ident)
    assert history.conversations(session) == [] and history.current_id(session) is None
    say(session, "a fresh start")
    assert [s.title for s in history.conversations(session)] == ["a fresh start"]


def test_the_panel_handlers(dosaku_home):
    from dosaku_gui.history_panel import delete_conversation, open_conversation, refresh

    session = AgentSession(GuiOptions(module="EchoBot"), logging_agent)
    assert refresh(session, "", request(None))["choices"] == []
    history.bind_user(session, "")
    say(session, "hello panel")
    listed = refresh(session, "", request(None))
    [(label, ident)] = listed["choices"]
    assert label.startswith("hello panel · ") and listed["value"] == ident

    other = AgentSession(GuiOptions(module="EchoBot"), logging_agent)
    chat, module, status = open_conversation(other, ident, request(None))
    assert chat == [{"role": "user", "content": "hello panel"}, {"role": "assistant", "content": ECHO + "hello panel"}]
    assert module["value"] == "EchoBot" and status == "Continuing **hello panel** with **EchoBot**."
    assert open_conversation(other, "nope", request(None))[2].startswith("**Error.** No logged conversation")
    assert delete_conversation(other, None, "", request(None))[2] == "Select a conversation to delete first."
    listing, chat, status = delete_conversation(other, ident, "", request(None))
    assert listing["choices"] == [] and chat == [] and status == "Conversation deleted."


def test_passwords_are_kept_as_scrypt_hashes(dosaku_home):
    users = GuiUsers()
    assert users.add("Alice", "correct horse battery") == "alice"
    stored = Config().get("GUI_USERS", "ALICE_PASSWORD")
    assert stored.startswith("scrypt$16384$8$1$") and "correct horse" not in Path(Config().path).read_text()
    assert repr(stored).startswith("Secret(")  # masked wherever it is shown
    assert users.check("alice", "correct horse battery") and users.check("ALICE", "correct horse battery")
    assert not users.check("alice", "wrong password") and not users.check("mallory", "correct horse battery")
    assert not users.check("../etc", "x") and users.names() == ["alice"]
    assert hash_password("same pass") != hash_password("same pass")  # a new salt each time
    assert verify_password("same pass", hash_password("same pass")) and not verify_password("x", "md5$abc")
    with pytest.raises(GuiAuthError, match="at least 8 characters"):
        users.add("bob", "short")
    with pytest.raises(GuiAuthError, match="'bad name!' is not a usable user name"):
        users.add("bad name!", "long enough password")
    users.remove("alice")
    with pytest.raises(GuiAuthError, match="There is no GUI user 'alice'"):
        users.remove("alice")


def test_beyond_loopback_a_login_is_required(dosaku_home):
    users = GuiUsers()
    check_can_start(GuiOptions(), users)  # loopback: fine without users
    with pytest.raises(LoginRequired, match=r"With --host 0.0.0.0 anyone .* `dosaku gui-user add NAME`"):
        check_can_start(GuiOptions(host="0.0.0.0"), users)
    with pytest.raises(LoginRequired, match="With a public share link"):
        check_can_start(GuiOptions(share=True), users)
    users.add("alice", "correct horse battery")
    check_can_start(GuiOptions(host="0.0.0.0", share=True), users)


def dosaku_command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "dosaku"
    return subprocess.run([str(script), *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


def test_gui_user_commands(dosaku_home):
    added = dosaku_command("gui-user", "add", "carol", stdin="a fine passphrase\n")
    assert added.returncode == 0 and "GUI user 'carol' saved (a scrypt hash)" in added.stdout
    assert dosaku_command("gui-user", "list").stdout == "carol\n"
    assert GuiUsers().check("carol", "a fine passphrase")
    short = dosaku_command("gui-user", "add", "dave", stdin="short\n")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    assert dosaku_command("gui-user", "remove", "carol").returncode == 0
    missing = dosaku_command("gui-user", "remove", "carol")
    assert missing.returncode == 1 and "There is no GUI user 'carol'" in missing.stderr


def test_the_gui_refuses_to_serve_beyond_loopback_without_a_login(dosaku_home):
    from gui_helpers import gui_command

    result = subprocess.run([*gui_command(), "--host", "0.0.0.0", "--port", "0", "--module", "EchoBot"],
                            capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 1
    assert "With --host 0.0.0.0 anyone who reaches the page could use your agent" in result.stderr


def test_a_reopened_conversation_shows_each_step_as_it_showed_live(dosaku_home):
    from dosaku.agents import Step
    from dosaku_gui.history_panel import chat_messages
    from dosaku_gui.thoughts import step_message

    steps = [Step(1, "learn_task", "Dosaku", "learn_task", {"task": "TextToImage"}, summary={"learned": True},
                  duration_s=0.25),
             Step(2, "Oops__x", "Oops", "x", {"n": 1}, status="error", error="boom", duration_s=0.5)]
    store = LogStore()
    store.log_messages("01shown", [{"role": "user", "content": "paint it red"}])
    for step in steps:
        store.log_step("01shown", step)
    reopened = [message for message in chat_messages(store.show("01shown")) if message.get("metadata")]
    assert reopened == [step_message(step) for step in steps]
    assert reopened[0]["metadata"]["title"] == "🛠️ Step 1: learn_task(task=TextToImage)"
    assert reopened[0]["content"] == '**Arguments:** `{"task": "TextToImage"}`\n\n**Result:** `{"learned": true}`'
    assert reopened[1]["content"].endswith("**Error:** boom") and reopened[1]["metadata"]["title"].startswith("⚠️")
