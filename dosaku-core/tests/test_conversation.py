"""dosaku.conversation.Conversation: the one history object of every Chat module, and its observers."""
from __future__ import annotations

from dosaku.conversation import Conversation, ConversationObserver
from dosaku.modules.echo_bot import EchoBot


class Recorder(ConversationObserver):
    def __init__(self):
        self.events = []

    def added(self, conversation, messages, details):
        self.events.append(("added", [m["role"] for m in messages], sorted(details)))

    def reset(self, conversation):
        self.events.append(("reset",))

    def restored(self, conversation):
        self.events.append(("restored", conversation.id))


class Broken(ConversationObserver):
    def added(self, conversation, messages, details):
        raise RuntimeError("the log is down")


def test_system_prompt_first_and_kept_by_reset():
    conversation = Conversation("Be terse.")
    conversation.add({"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."})
    assert [m["role"] for m in conversation.messages] == ["system", "user", "assistant"]
    assert conversation.turns() == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    conversation.id = "abc"
    conversation.reset()
    assert conversation.messages == [{"role": "system", "content": "Be terse."}]
    assert conversation.id is None  # what follows is a new conversation


def test_history_is_a_deep_copy():
    conversation = Conversation()
    conversation.add({"role": "assistant", "content": "", "tool_calls": [{"id": "1"}]})
    history = conversation.history()
    history[0]["tool_calls"].append({"id": "2"})
    assert conversation.messages[0]["tool_calls"] == [{"id": "1"}]


def test_observers_hear_of_adds_with_usage_and_duration_resets_and_restores():
    conversation, recorder = Conversation(), Recorder()
    conversation.observers.append(recorder)
    conversation.begin()
    conversation.add({"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                     usage={"prompt_tokens": 3, "completion_tokens": None})
    conversation.add({"role": "user", "content": "c"})  # no begin(): no duration
    conversation.reset()
    conversation.restore([{"role": "user", "content": "x"}], id="01past")
    assert recorder.events == [
        ("added", ["user", "assistant"], ["duration_s", "prompt_tokens"]),
        ("added", ["user"], []),
        ("reset",),
        ("restored", "01past"),
    ]


def test_restore_drops_logged_system_messages_and_keeps_its_own_system_prompt():
    conversation = Conversation("Mine.")
    conversation.restore([{"role": "system", "content": "Theirs."}, {"role": "user", "content": "Hi"}],
                         id="01x", system_prompt="Theirs.")
    assert conversation.messages == [{"role": "system", "content": "Mine."}, {"role": "user", "content": "Hi"}]
    fresh = Conversation()
    fresh.restore([{"role": "user", "content": "Hi"}], system_prompt="Theirs.")
    assert fresh.messages[0] == {"role": "system", "content": "Theirs."} and fresh.system_prompt == "Theirs."


def test_a_failing_observer_never_breaks_the_chat(caplog):
    bot = EchoBot()
    bot.conversation.observers.append(Broken())
    assert bot.message("still works") == "Hi, I'm EchoBot. You said: still works"
    assert len(bot.history()) == 2
    assert "the log is down" in caplog.text


def test_echo_bot_keeps_its_history_in_its_conversation():
    bot = EchoBot(system_prompt="S")
    bot.message("one")
    assert bot.conversation.messages == bot.history()
    assert bot.history()[1:] == [{"role": "user", "content": "one"},
                                 {"role": "assistant", "content": "Hi, I'm EchoBot. You said: one"}]
    bot.reset()
    assert bot.history() == [{"role": "system", "content": "S"}]
