"""The conversation log: real SQLite files in the test's data directory, written through real agents."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from dosaku import Module
from dosaku.agents import Step
from dosaku.config import Config
from dosaku.errors import TaskNotLearned
from dosaku.logs import (
    AmbiguousConversationId,
    CannotResume,
    ConversationNotFound,
    LogDatabaseError,
    LogsError,
    LogStore,
    resume,
    use_store,
)
from dosaku.spec import ModuleSpec
from dosaku.tasks.chat import Chat
from dosaku.testing import in_process_plugin, isolated_agent

KEY = "sk-proj-logtest0123456789abcdefSECRETKEY"
ECHO = "Hi, I'm EchoBot. You said: "


class Forgetful(Module, Chat):
    """A Chat module that keeps no Conversation."""

    def message(self, message: str, **kwargs: Any) -> str:
        return message


FORGETFUL = in_process_plugin("forgetful", modules=[ModuleSpec("Forgetful", ("Chat",), target=Forgetful)])


def make_agent(**kwargs: Any) -> Any:
    """An agent with core's plugins, the test's config file and data directory (dosaku_home), logging as asked."""
    kwargs.setdefault("log", None)
    return isolated_agent(FORGETFUL, config=Config(), **kwargs)


def db_bytes(home) -> bytes:
    return b"".join(path.read_bytes() for path in (home / "data").rglob("*") if path.is_file())


def chat(agent: Any, *messages: str, stream: bool = False) -> list[str]:
    replies = []
    for message in messages:
        reply = agent.Chat.message(message, stream=stream)
        replies.append(reply if isinstance(reply, str) else list(reply)[-1])
    return replies


# --- writing ---------------------------------------------------------------------------------------------------
def test_every_exchange_is_logged_in_order_with_its_agent_module_and_title(dosaku_home):
    agent = make_agent()
    agent.learn("Chat", system_prompt="Be brief.")
    chat(agent, "What is   the capital\nof France?", "And of Italy?")
    chat(agent, "Streamed too", stream=True)

    store = LogStore()
    [summary] = store.list()
    assert (summary.agent, summary.module, summary.model, summary.user) == ("Agent", "EchoBot", None, "")
    assert summary.title == "What is the capital of France?" and summary.messages == 6
    record = store.show(summary.id)
    assert record.system_prompt == "Be brief."
    assert [(m.position, m.role) for m in record.messages] == [
        (0, "user"), (1, "assistant"), (2, "user"), (3, "assistant"), (4, "user"), (5, "assistant")]
    assert record.messages[5].content == ECHO + "Streamed too"
    assert record.chat_messages() == agent.Chat.history()[1:]  # the module's own history, without the system prompt
    assert agent.Chat.module.conversation.id == summary.id


def test_the_file_is_private_and_in_wal_mode(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "hello")
    path = dosaku_home / "data" / "logs.db"
    files = [path, path.with_name("logs.db-wal"), path.with_name("logs.db-shm")]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files if f.exists()), [
        oct(f.stat().st_mode) for f in files if f.exists()]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reset_starts_a_new_conversation(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "first topic")
    agent.Chat.reset()
    chat(agent, "second topic")
    titles = [summary.title for summary in LogStore().list()]
    assert titles == ["second topic", "first topic"]  # the most recently active first


def test_token_counts_cost_and_duration_given_by_the_module_are_kept(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    conversation = agent.Chat.module.conversation
    conversation.begin()
    conversation.add({"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                     usage={"prompt_tokens": 11, "completion_tokens": 7, "cost_usd": 0.0021})
    [user, assistant] = LogStore().show(conversation.id).messages
    assert (user.prompt_tokens, user.duration_s) == (None, None)
    assert (assistant.prompt_tokens, assistant.completion_tokens, assistant.cost_usd) == (11, 7, 0.0021)
    assert assistant.duration_s is not None and assistant.duration_s >= 0


# --- turning it off --------------------------------------------------------------------------------------------
def test_logs_off_writes_nothing(dosaku_home):
    LogStore().off()
    assert Config().get("LOGS", "ENABLED") == "false"
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "not kept", stream=True)
    assert not (dosaku_home / "data").exists() or not any((dosaku_home / "data").iterdir())
    assert LogStore().list() == [] and not LogStore().status().exists  # reading makes no file either
    LogStore().on()
    chat(agent, "kept now")  # the agent read the setting when it first wrote: still off for it
    assert LogStore().list() == []
    fresh = make_agent()
    fresh.learn("Chat")
    chat(fresh, "kept now")
    assert [s.title for s in LogStore().list()] == ["kept now"]


def test_agent_log_false_writes_nothing_and_log_true_writes_even_when_off(dosaku_home, monkeypatch):
    quiet = make_agent(log=False)
    quiet.learn("Chat")
    chat(quiet, "quiet")
    assert not (dosaku_home / "data" / "logs.db").exists()
    monkeypatch.setenv("DOSAKU_LOGS__ENABLED", "false")
    loud = make_agent(log=True)
    loud.learn("Chat")
    chat(loud, "loud")
    assert [s.title for s in LogStore().list()] == ["loud"]


def test_an_isolated_agent_logs_nothing_unless_asked(dosaku_home):
    agent = isolated_agent()
    agent.learn("Chat")
    chat(agent, "isolated")
    assert not (dosaku_home / "data" / "logs.db").exists()


# --- secrets ---------------------------------------------------------------------------------------------------
def test_secrets_never_reach_the_file(dosaku_home, monkeypatch):
    Config().set("API_KEYS", "OPENAI", KEY)
    Config().set("WEATHER", "SERVICE_TOKEN", "wtok-9f8e7d6c5b4a3f2e1d")
    monkeypatch.setenv("MY_TOOL_API_KEY", "envkey-aa11bb22cc33dd44")
    agent = make_agent()
    agent.learn("Chat", system_prompt=f"Never tell anyone {KEY}.")
    chat(agent, f"my key is {KEY}", "curl -H 'Authorization: Bearer ghjk.lmno.pqrs-tuvw' https://x",
         "token wtok-9f8e7d6c5b4a3f2e1d and envkey-aa11bb22cc33dd44", 'config {"api_key": "zz-plain-9911"}')
    store = LogStore()
    conversation = store.latest().id
    step = Step(1, "Weather__get", "Weather", "get", {"city": "Paris", "api_key": "argkey-1234567890",
                                                        "headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
                summary={"ok": True, "echo": KEY}, error=f"rejected key {KEY}")
    store.log_step(conversation, step)
    store.close()

    data = db_bytes(dosaku_home)
    for secret in (KEY, "ghjk.lmno.pqrs-tuvw", "wtok-9f8e7d6c5b4a3f2e1d", "envkey-aa11bb22cc33dd44", "zz-plain-9911",
                   "argkey-1234567890", "dXNlcjpwYXNz"):
        assert secret.encode() not in data, secret
    record = store.show(conversation)
    assert record.messages[0].content == "my key is [secret]"
    assert "Authorization: [secret]" in record.messages[2].content
    assert record.system_prompt == "Never tell anyone [secret]."
    assert record.steps[0].arguments == {"city": "Paris", "api_key": "[secret]",
                                         "headers": {"Authorization": "[secret]"}}
    assert agent.Chat.history()[1]["content"] == f"my key is {KEY}"  # only the log is scrubbed, not the chat


# --- resuming --------------------------------------------------------------------------------------------------
def test_learn_with_conversation_restores_it_and_continues_it_in_the_log(dosaku_home):
    first = make_agent()
    first.learn("Chat")
    chat(first, "remember apples", "and pears")
    ident = first.Chat.module.conversation.id

    later = make_agent()
    later.learn("Chat", conversation=ident[:12])  # a unique prefix is enough
    assert [m["content"] for m in later.Chat.history()] == [
        "remember apples", ECHO + "remember apples", "and pears", ECHO + "and pears"]
    chat(later, "what did I say?")
    record = LogStore().show(ident)
    assert len(record.messages) == 6 and record.messages[4].content == "what did I say?"
    assert [m.position for m in record.messages] == list(range(6))
    assert len(LogStore().list()) == 1


def test_resume_puts_a_past_conversation_into_a_learned_chat(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "old one")
    old = agent.Chat.module.conversation.id
    agent.Chat.reset()
    chat(agent, "new one")
    record = resume(agent, old)
    assert record.id == old and agent.Chat.module.conversation.id == old
    assert agent.Chat.history()[0]["content"] == "old one"
    chat(agent, "back to the old one")
    assert LogStore().show(old).messages[-2].content == "back to the old one"


def test_resuming_works_with_logging_off_and_writes_nothing_more(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "logged")
    ident = agent.Chat.module.conversation.id
    quiet = make_agent(log=False)
    quiet.learn("Chat", conversation=ident)
    chat(quiet, "not logged")
    assert quiet.Chat.history()[0]["content"] == "logged"
    assert len(LogStore().show(ident).messages) == 2


def test_an_unknown_conversation_fails_before_anything_is_learned(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "something")
    before = agent.Chat.module
    with pytest.raises(ConversationNotFound, match=r"No logged conversation has the id 'nope'.*dosaku logs list"):
        agent.learn("Chat", conversation="nope")
    assert agent.tasks == ["Chat"] and agent.Chat.module is before
    with pytest.raises(ConversationNotFound):
        make_agent().learn("Chat", conversation="")


def test_an_ambiguous_prefix_is_refused(dosaku_home):
    store = LogStore()
    store.log_messages("01aaaa1", [{"role": "user", "content": "x"}])
    store.log_messages("01aaaa2", [{"role": "user", "content": "y"}])
    with pytest.raises(AmbiguousConversationId, match=r"'01aaaa' matches 2 conversations \(01aaaa1, 01aaaa2\)"):
        store.show("01aaaa")
    assert store.show("01aaaa2").summary.title == "y"


def test_a_module_without_a_conversation_cannot_resume_and_nothing_is_learned(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "hello")
    ident = agent.Chat.module.conversation.id
    fresh = make_agent()
    with pytest.raises(CannotResume, match="Forgetful keeps no dosaku.conversation.Conversation"):
        fresh.learn("Chat", module="Forgetful", conversation=ident)
    assert fresh.tasks == []
    fresh.learn("Chat", module="Forgetful")
    with pytest.raises(CannotResume):
        resume(fresh, ident)
    with pytest.raises(TaskNotLearned):
        resume(make_agent(), ident)


# --- reading ---------------------------------------------------------------------------------------------------
def test_search_finds_every_word_best_first_and_is_safe_from_query_syntax(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "the lighthouse at dawn", "a red fox in the snow")
    agent.Chat.reset()
    chat(agent, "lighthouse lighthouse keeper")
    store = LogStore()
    hits = store.search("lighthouse")
    assert len(hits) == 4 and all("[lighthouse]" in hit.snippet for hit in hits)
    assert hits[0].title == "lighthouse lighthouse keeper"  # the densest match first
    assert [(h.role, h.position) for h in store.search("red fox")][:1] == [("user", 2)]
    assert len(store.search('"fox* ^(')) == 2  # FTS syntax is quoted away, the words still count
    assert store.search('fox OR zebra') == []  # OR is a word to find, not an operator
    assert store.search("zebra") == []
    with pytest.raises(LogsError, match="Search for at least one word"):
        store.search("  ?! ")


def test_list_filters_and_limits(dosaku_home):
    store = LogStore()
    for index in range(5):
        store.log_messages(f"01c{index}", [{"role": "user", "content": f"topic number {index}"}],
                           module="EchoBot" if index % 2 else "LlamaCppChat", model=None if index % 2 else "smol")
    assert len(store.list(2)) == 2 and len(store.list(0)) == 5
    assert [s.id for s in store.list(0, module="EchoBot")] == ["01c3", "01c1"]
    assert {s.id for s in store.list(0, model="smol")} == {"01c0", "01c2", "01c4"}
    assert [s.id for s in store.list(0, query="number 3")] == ["01c3"]
    assert store.latest().id == "01c4"


def test_users_see_only_their_own_conversations(dosaku_home):
    alice, bob = LogStore(user="alice"), LogStore(user="bob")
    alice.log_messages("01alice", [{"role": "user", "content": "alice's secret plan"}])
    bob.log_messages("01bob", [{"role": "user", "content": "bob's plan"}])
    assert [s.id for s in alice.list()] == ["01alice"] and [s.id for s in LogStore().list()] == []
    assert [h.conversation_id for h in bob.search("plan")] == ["01bob"]
    with pytest.raises(ConversationNotFound):
        bob.show("01alice")
    with pytest.raises(ConversationNotFound):
        bob.delete("01alice")
    assert alice.status().conversations == 1 and len(LogStore(user=None).list()) == 2


def test_use_store_sends_an_agents_conversations_to_a_users_store(dosaku_home):
    agent = make_agent()
    agent.learn("Chat")
    use_store(agent, LogStore(user="carol"))
    chat(agent, "carol speaks")
    assert [s.title for s in LogStore(user="carol").list()] == ["carol speaks"] and LogStore().list() == []
    use_store(agent, None)
    chat(agent, "nobody hears")
    assert LogStore(user="carol").list()[0].messages == 2


def test_export_as_json_and_markdown(dosaku_home):
    agent = make_agent()
    agent.learn("Chat", system_prompt="Sys.")
    chat(agent, "export me")
    store = LogStore()
    ident = store.latest().id
    data = json.loads(store.export(ident, "json"))
    assert data["id"] == ident and data["system_prompt"] == "Sys." and data["module"] == "EchoBot"
    assert [m["content"] for m in data["messages"]] == ["export me", ECHO + "export me"]
    markdown = store.export(ident[:10], "markdown")
    assert markdown.startswith("# export me\n") and "## System\n\nSys." in markdown
    assert "## User" in markdown and f"\n{ECHO}export me\n" in markdown
    with pytest.raises(LogsError, match="Unknown export format 'xml': use 'json' or 'markdown'"):
        store.export(ident, "xml")


def test_steps_and_images_are_kept_and_each_image_is_stored_once(dosaku_home):
    from PIL import Image

    store = LogStore()
    store.log_messages("01steps", [{"role": "user", "content": "paint it red"},
                                   {"role": "assistant", "content": "", "tool_calls": [
                                       {"id": "c1", "type": "function",
                                        "function": {"name": "TextToImage__text_to_image", "arguments": "{}"}}]}])
    red = Image.new("RGB", (8, 4), "red")
    for index in (1, 2):
        store.log_step("01steps", Step(index, "TextToImage__text_to_image", "TextToImage", "text_to_image",
                                       {"prompt": "red"}, kind="module", summary={"artifact": f"artifact-{index}"},
                                       duration_s=0.5, value=red, call_id=f"c{index}"))
    store.log_step("01steps", Step(3, "Oops__x", "Oops", "x", {}, status="error", error="boom"))
    record = store.show("01steps")
    assert record.messages[1].extra["tool_calls"][0]["id"] == "c1"
    assert [(s.index, s.after_position, s.status) for s in record.steps] == [(1, 1, "ok"), (2, 1, "ok"),
                                                                              (3, 1, "error")]
    first, second = record.steps[0].artifacts[0], record.steps[1].artifacts[0]
    assert first.hash == second.hash and first.label == "artifact-1" and (first.width, first.height) == (8, 4)
    assert first.path.name == f"{first.hash}.png" and Image.open(first.path).getpixel((0, 0)) == (255, 0, 0)
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert len(list(store.artifacts_dir.iterdir())) == 1
    assert record.steps[0].call() == "TextToImage.text_to_image(prompt=red)"
    assert "**Step 3:** `Oops.x()` → **error:** boom" in store.export("01steps", "markdown")


def test_delete_removes_messages_search_entries_and_unused_images(dosaku_home):
    from PIL import Image

    store = LogStore()
    for ident in ("01keep", "01drop"):
        store.log_messages(ident, [{"role": "user", "content": f"zebra {ident}"}])
    blue = Image.new("RGB", (2, 2), "blue")
    store.log_step("01drop", Step(1, "T__a", "T", "a", {}, value=blue, summary={"artifact": "artifact-1"}))
    [artifact] = store.show("01drop").steps[0].artifacts
    assert store.delete("01dr") == "01drop"
    assert [s.id for s in store.list()] == ["01keep"]
    assert [h.conversation_id for h in store.search("zebra")] == ["01keep"]
    assert not artifact.path.exists() and store.status().artifacts == 0
    with pytest.raises(ConversationNotFound):
        store.show("01drop")


def test_a_damaged_database_gives_an_error_that_says_what_to_do(dosaku_home):
    path = dosaku_home / "data" / "logs.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(LogDatabaseError, match=r"logs.db could not be used .*move it away.*dosaku logs off"):
        LogStore().list()
    agent = make_agent()
    agent.learn("Chat")
    assert chat(agent, "the chat goes on") == [ECHO + "the chat goes on"]  # the log's failure is only logged


def test_status_counts_what_the_log_holds(dosaku_home):
    store = LogStore()
    assert (store.status().enabled, store.status().exists) == (True, False)
    store.log_messages("01s", [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}])
    status = store.status()
    assert (status.conversations, status.messages, status.steps, status.exists) == (1, 2, 0, True)
    assert status.size_bytes > 0 and status.path == dosaku_home / "data" / "logs.db"


# --- several processes -------------------------------------------------------------------------------------------
WRITER = textwrap.dedent("""
    import sys
    from dosaku import Agent
    from dosaku.testing import make_plugin_manager
    agent = Agent(plugin_manager=make_plugin_manager(), log=True)
    resume_id, name, count = sys.argv[1] or None, sys.argv[2], int(sys.argv[3])
    agent.learn('Chat', **({'conversation': resume_id} if resume_id else {}))
    print('ready', flush=True)
    sys.stdin.readline()   # start together
    for index in range(count):
        agent.Chat.message(f'{name} message {index}')
    print(agent.Chat.module.conversation.id)
""")


def _writers(args: list[tuple[str, str, int]]) -> list[str]:
    processes = [subprocess.Popen([sys.executable, "-c", WRITER, *map(str, a)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=dict(os.environ)) for a in args]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = [process.communicate(timeout=300)[0].strip() for process in processes]
    assert [p.returncode for p in processes] == [0] * len(processes)
    return outputs


def test_two_processes_writing_at_once_lose_nothing(dosaku_home):
    first, second = _writers([("", "one", 150), ("", "two", 150)])
    store = LogStore()
    for ident, name in ((first, "one"), (second, "two")):
        record = store.show(ident)
        assert [m.content for m in record.messages if m.role == "user"] == [f"{name} message {i}" for i in range(150)]
    agent = make_agent()
    agent.learn("Chat")
    chat(agent, "seed")
    shared = agent.Chat.module.conversation.id
    _writers([(shared, "left", 100), (shared, "right", 100)])
    record = store.show(shared)
    assert len(record.messages) == 2 + 400 and [m.position for m in record.messages] == list(range(402))
    users = [m.content for m in record.messages if m.role == "user"]
    assert [u for u in users if u.startswith("left")] == [f"left message {i}" for i in range(100)]
    assert [u for u in users if u.startswith("right")] == [f"right message {i}" for i in range(100)]
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = db.execute("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'left'").fetchone()[0]
        assert found == 200  # asked and echoed


def test_the_scrubber_knows_the_usual_shapes_of_secrets():
    from dosaku.config import Secret
    from dosaku.logs.scrub import Scrubber, secret_name

    scrub = Scrubber(["exact-secret-value-42"])
    assert scrub.text("say exact-secret-value-42 twice: exact-secret-value-42") == "say [secret] twice: [secret]"
    assert scrub.text("Authorization: Bearer abc.def-ghi") == "Authorization: [secret]"
    assert scrub.text('{"authorization": "Basic dXNlcjpw"}') == '{"authorization": "[secret]"}'
    assert scrub.text("use bearer eyJhbGciOiJIUzI1NiJ9.payload") == "use bearer [secret]"
    assert scrub.text("export OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234") == "export OPENAI_API_KEY=[secret]"
    assert scrub.text("password: hunter22 ok") == "password: [secret] ok"
    assert scrub.text("token ghp_abcdefghijklmnopqrstuvwxyz0123 and AKIAABCDEFGHIJKLMNOP") == (
        "token [secret] and [secret]")
    assert scrub.text("an ordinary sentence about keys and tokens") == "an ordinary sentence about keys and tokens"
    assert scrub.text(Secret("anything at all")) == "[secret]"
    assert scrub.value({"max_tokens": 64, "Cookie": "session=abc", "nested": [{"password": "pw"}]}) == {
        "max_tokens": 64, "Cookie": "[secret]", "nested": [{"password": "[secret]"}]}
    assert [secret_name(n) for n in ("api_key", "X-Api-Key", "max_tokens", "keyboard", 3)] == [
        True, True, False, False, False]
