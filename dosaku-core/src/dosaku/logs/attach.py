"""Where the agent meets the log: the calls ``Agent.learn`` and ``Dosaku.do_iter`` make, and :func:`resume`.

- :func:`before_learn` takes ``conversation=ID`` out of the module's arguments and reads that conversation (so a
  missing one fails before anything is learned);
- :func:`after_learn` attaches the logger to the learned module's :class:`~dosaku.conversation.Conversation` and
  restores the past conversation into it;
- :func:`logged_events` keeps the Dosaku agent's steps (and the images they made) with its conversation.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from dosaku.conversation import Conversation
from dosaku.logs.errors import CannotResume, LogsError
from dosaku.logs.logger import ConversationLogger, logger_of, model_of, reading_store, store_for

log = logging.getLogger(__name__)


class PendingLearn:
    """What :func:`before_learn` found: the conversation to restore (if any) and when learning started."""

    def __init__(self, record: Any = None):
        self.record = record
        self.started_ns = time.time_ns()


def module_name(learned: Any) -> str:
    """The name of the module doing a learned task."""
    return learned.module_name


def before_learn(agent: Any, log_setting: Any, kwargs: dict[str, Any]) -> PendingLearn:
    """Take ``conversation`` out of ``kwargs`` and read that past conversation (raising ConversationNotFound
    before anything is learned when there is none)."""
    ident = kwargs.pop("conversation", None)
    if ident is None:
        return PendingLearn()
    return PendingLearn(reading_store(agent, log_setting).show(str(ident)))


def after_learn(agent: Any, log_setting: Any, task: str, pending: PendingLearn | None) -> None:
    """Attach the logger (unless logging is off for ``agent``) to the new module's conversation, and restore the
    past conversation into it when one was asked for."""
    learned = getattr(agent, task)
    conversation = getattr(learned.module, "conversation", None)
    record = pending.record if pending is not None else None
    if isinstance(conversation, Conversation):
        for old in [o for o in conversation.observers if isinstance(o, ConversationLogger)]:
            conversation.observers.remove(old)
        if log_setting is not False:
            logger = ConversationLogger(agent, log_setting, module_name(learned), model_of(learned.module))
            conversation.observers.append(logger)
        if record is not None:
            conversation.restore(record.chat_messages(), id=record.id, system_prompt=record.system_prompt)
    elif record is not None:
        agent.unlearn(task)
        raise CannotResume(
            f"{module_name(learned)} keeps no dosaku.conversation.Conversation, so the conversation {record.id} "
            f"cannot be restored into it (nothing was learned). Resume it with a Chat module that does: EchoBot, "
            f"LlamaCppChat or OpenAIChat."
        )
    if pending is not None:
        from dosaku.logs import tracing

        tracing.learned(agent, task, module_name(learned), pending.started_ns)


def conversation_of(agent: Any, task: str = "Chat") -> Conversation:
    """The :class:`~dosaku.conversation.Conversation` of the module doing ``task``.

    Raises:
        CannotResume: the task's module keeps none.
    """
    learned = getattr(agent, task)  # TaskNotLearned (with close matches) when it is not learned
    conversation = getattr(learned.module, "conversation", None)
    if not isinstance(conversation, Conversation):
        raise CannotResume(f"{module_name(learned)} keeps no dosaku.conversation.Conversation, so it has no "
                           f"conversation to log or restore.")
    return conversation


def resume(agent: Any, conversation_id: str, task: str = "Chat") -> Any:
    """Put the logged conversation ``conversation_id`` back into ``agent``'s learned ``task`` (its module keeps
    it from now on, and what follows is logged as part of it). Returns the conversation's record.

    Raises:
        TaskNotLearned: ``task`` is not learned.
        ConversationNotFound, AmbiguousConversationId: no (single) logged conversation has that id.
        CannotResume: the task's module keeps no Conversation.

    Example::

        from dosaku.logs import resume

        agent.learn('Chat', module='LlamaCppChat')
        resume(agent, '01j9x3')          # or: agent.learn('Chat', module='LlamaCppChat', conversation='01j9x3')
        agent.Chat('And what did I ask before?')
    """
    conversation = conversation_of(agent, task)
    logger = logger_of(conversation)
    store = logger.store() if logger is not None else None
    record = (store or reading_store(agent, logger.log if logger else None)).show(conversation_id)
    conversation.restore(record.chat_messages(), id=record.id, system_prompt=record.system_prompt)
    return record


def logged_events(agent: Any, events: Iterator[Any]) -> Iterator[Any]:
    """Pass on the Dosaku agent's events (Steps, then the Answer), keeping each Step with the agent's Chat
    conversation in the log (and as a trace span when traces are on)."""
    from dosaku.logs import tracing
    from dosaku.logs.ids import new_id

    request = new_id()
    for event in events:
        if hasattr(event, "tool") and hasattr(event, "status"):  # a Step (the Answer is the chat's last reply)
            _keep_step(agent, event, request)
            tracing.step(agent, event)
        yield event


def _keep_step(agent: Any, step: Any, request: str) -> None:
    try:
        conversation = conversation_of(agent)
    except (LogsError, AttributeError, LookupError):
        return
    logger = logger_of(conversation)
    if logger is None:
        return
    try:
        logger.log_step(conversation, step, request)
    except Exception:  # noqa: BLE001 - a request must not fail because its log did
        log.exception("The step %s could not be logged", step.index)


def store_of(agent: Any, log_setting: Any = None) -> Any:
    """Where ``agent`` writes its conversations (None: nowhere)."""
    return store_for(agent, log_setting)
