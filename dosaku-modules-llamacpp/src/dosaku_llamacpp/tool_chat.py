"""Tool calling for :class:`~dosaku_llamacpp.chat.LlamaCppChat` (a mixin: the chat module's tool-calling part).

A message with ``tools`` is answered under a llama.cpp grammar built from the tools' schemas (see
:mod:`dosaku_llamacpp.tool_calls` for the formats and :mod:`dosaku_llamacpp.tool_grammar` for the grammars):

- a plain-text answer stops at ``max_tokens``, as without tools (and is read back even when cut there);
- a call may use the rest of the context window, and the grammar bounds every string and array in its arguments
  so that it fits: a call always ends, parses and matches its tool's schema;
- llama.cpp crashes on a grammar it cannot parse, so each one is tried on the model's vocabulary first; if the
  tools' full grammar does not parse, a looser one (arguments any JSON object, checked against the schema after)
  is used, and if that does not either, none (the reply is then read leniently).

Every reply with tools offered is recorded in ``tool_replies`` (a :class:`~dosaku_llamacpp.tool_calls.ParsedReply`
each, the last 256): what the model wrote, the calls made, and how many were attempted and valid.
"""
from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from dosaku.conversation import Conversation
from dosaku.errors import DosakuError
from dosaku.tool_calls import ChatReply, pending_call_results

from dosaku_llamacpp.prompt_budget import BUSY_TIMEOUT_S, PROMPT_OVERHEAD
from dosaku_llamacpp.tool_calls import (
    ParsedReply,
    Tool,
    ToolFormat,
    choose_format,
    offered_tools,
    tool_choice_name,
)
from dosaku_llamacpp.tool_grammar import STRING_LIMIT, count_strings, grammar_parses

log = logging.getLogger(__name__)

#: Tokens kept free for a reply that calls a tool, when old turns are dropped to fit the context window.
CALL_RESERVE = 192
#: Without the grammar nothing bounds a call: it may take this many times max_tokens (at least MIN_CALL_TOKENS).
UNCONSTRAINED_CALL_FACTOR, MIN_CALL_TOKENS = 4, 256
#: A tool result is cut to a quarter of the context window (at least this many tokens).
RESULT_TOKENS_MIN = 64
#: A string argument may have this many characters per token of max_tokens (an answer's limit).
STRING_CHARS_PER_TOKEN = 4
#: How many replies ``tool_replies`` keeps.
KEEP_REPLIES = 256


class ToolCalling:
    """The tool-calling half of LlamaCppChat (needs its ``llama``, ``conversation``, ``_lock`` and token
    estimates)."""

    _llama: Any
    conversation: Conversation

    def _init_tools(self, tool_format: str, tool_grammar: bool, chat_template: str | None) -> None:
        choose_format(None, tool_format)  # refuses an unknown format now
        self.tool_format_name, self.tool_grammar, self.chat_template_override = tool_format, bool(tool_grammar), \
            chat_template
        self.tool_replies: deque[ParsedReply] = deque(maxlen=KEEP_REPLIES)
        self._grammar_checks: dict[str, bool] = {}

    # --- the template and the format -------------------------------------------------------------------------
    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template in use (``chat_template=`` if given, else the GGUF's; None if it has none)."""
        if self.chat_template_override:
            return self.chat_template_override
        return (self.llama.metadata or {}).get("tokenizer.chat_template")  # type: ignore[attr-defined]

    @property
    def tool_format(self) -> ToolFormat:
        """How this model's replies call tools (see :mod:`dosaku_llamacpp.tool_calls`)."""
        return choose_format(self.chat_template, self.tool_format_name)

    def _template_handler(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llama = self.llama  # type: ignore[attr-defined]
        eos, bos = llama.token_eos(), llama.token_bos()
        def text(token: int) -> str:
            return llama.detokenize([token], special=True).decode("utf-8", "replace")
        return Jinja2ChatFormatter(
            template=self.chat_template or "", eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "", stop_token_ids=[eos],
        ).to_chat_handler()

    def _use_chat_template(self) -> None:
        """After loading: make ``chat_template=`` the template plain messages use too."""
        if self.chat_template_override and self._llama is not None:
            self._llama.chat_handler = self._template_handler()

    def _plain_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conversation for a reply without tools: turns with tool calls or results shown in the tool format."""
        if any(turn.get("tool_calls") or turn.get("role") == "tool" for turn in messages):
            return self.tool_format.render(messages, {}, offering=False)
        return messages

    # --- the turns a message adds ------------------------------------------------------------------------------
    def _new_turns(self, message: str | None, tool_results: Mapping[str, str] | None) -> list[dict[str, Any]]:
        """The results of the pending tool calls (each answered, "Not run" when not given), then the message."""
        if message is None and not tool_results:
            raise TypeError("LlamaCppChat.message needs a message (a str), or tool_results answering tool calls.")
        new = [{**turn, "content": self._fitting_result(turn["content"])}
               for turn in pending_call_results("LlamaCppChat", self.conversation.messages, tool_results)]
        if message is not None:
            new.append({"role": "user", "content": message})
        return new

    def _fitting_result(self, result: str) -> str:
        """A tool result, cut to a quarter of the context window (a long board or listing would not fit)."""
        limit = max(RESULT_TOKENS_MIN, self.n_ctx // 4)  # type: ignore[attr-defined]
        size, cut = self._estimate_tokens(result), result  # type: ignore[attr-defined]
        while size > limit and cut:
            cut = cut[: max(0, int(len(cut) * limit / size) - 16)]
            size = self._estimate_tokens(cut) + 16  # type: ignore[attr-defined]
        return result if cut == result else f"{cut} … (cut: the result has {len(result)} characters)"

    # --- a reply with tools ----------------------------------------------------------------------------------
    def _tool_replies(
        self, new: list[dict[str, Any]], tools: list[dict[str, Any]] | None, tool_choice: Any, options: dict[str, Any]
    ) -> Iterator[str] | None:
        """The reply's iterator when tools are offered (None: answer as without tools). In the JSON format, a reply
        without tools to a conversation that has called them is held to ``{"answer": ...}``: the model would
        otherwise go on writing JSON calls as its answer."""
        offered = offered_tools(tools)
        choice = tool_choice_name(tool_choice, offered)
        if not offered or choice == "none":
            turns = [*self.conversation.messages, *new]
            if any(t.get("tool_calls") or t["role"] == "tool" for t in turns) and self.tool_format.name == "json":
                return self._generate_with_tools(new, {}, None, options)
            return None
        return self._generate_with_tools(new, offered, choice, options)

    def _generate_with_tools(
        self, new: list[dict[str, Any]], tools: dict[str, Tool], choice: str | None, options: dict[str, Any]
    ) -> Iterator[str]:

        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):  # type: ignore[attr-defined]
            raise DosakuError("LlamaCppChat is busy with another message; try again when it has answered.")
        raw, chunks, shown, finished, parsed = "", 0, "", False, None
        try:
            form = self.tool_format
            max_tokens = int(options.get("max_tokens") or 0) or self.n_ctx  # type: ignore[attr-defined]
            messages, prompt_tokens = self._tool_prompt(new, tools, choice, form, max_tokens)
            budget = max(1, self.n_ctx - prompt_tokens)  # type: ignore[attr-defined]
            grammar = self._grammar(form, tools, choice, budget, max_tokens) if self.tool_grammar else None
            call_tokens = budget if grammar is not None else max(
                MIN_CALL_TOKENS, UNCONSTRAINED_CALL_FACTOR * max_tokens)
            stream = self._open_tool_stream(form, messages, tools, grammar, {**options, "max_tokens": call_tokens})
            finish = None
            for chunk in stream:
                choice_data = chunk["choices"][0]
                finish = choice_data.get("finish_reason") or finish
                delta = choice_data.get("delta", {}).get("content") or ""
                if not delta:
                    continue
                raw += delta
                chunks += 1
                visible = form.visible(raw)
                if visible and visible != shown:
                    shown = visible
                    yield visible
                if chunks >= max_tokens and form.is_call(raw) is not True:
                    finish = "length"  # an answer (or not a call) at its token limit
                    break
            finished = True
            truncated = finish == "length"
            parsed = form.parse(raw, tools, truncated=truncated)
            if parsed.invalid:
                log.info("LlamaCppChat: invalid tool call(s) %s (grammar %s)", parsed.invalid,
                         "on" if grammar else "off")
            reply = ChatReply(parsed.text, parsed.calls, "tool_calls" if parsed.calls else (finish or "stop"))
            yield reply  # always last, so that a whole (non-streamed) reply is this ChatReply
        finally:
            if parsed is None and (raw or finished):
                parsed = ParsedReply(raw.strip(), raw=raw, truncated=True)
            if parsed is not None:
                self.tool_replies.append(parsed)
                answer: dict[str, Any] = {"role": "assistant", "content": parsed.text}
                if parsed.calls:
                    answer["tool_calls"] = [call.as_message() for call in parsed.calls]
                self.conversation.add(*new, answer, usage={"completion_tokens": chunks})
            self.last_usage = {"completion_chunks": chunks}
            self._lock.release()  # type: ignore[attr-defined]

    def _tool_prompt(
        self, new: list[dict[str, Any]], tools: dict[str, Tool], choice: str | None, form: ToolFormat, max_tokens: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The messages for the template (old turns dropped to fit) and their estimated size in tokens."""
        system = [turn for turn in self.conversation.messages if turn["role"] == "system"]
        described = json.dumps([tool.as_openai() for tool in tools.values()]) if form.template_renders_tools \
            else form.instructions(tools, choice)
        extra = self._estimate_tokens(described)  # type: ignore[attr-defined]
        reserve = max(min(max_tokens, self.n_ctx // 4), CALL_RESERVE)  # type: ignore[attr-defined]
        turns = self._fitting_turns(system, new, reserve, extra)  # type: ignore[attr-defined]
        messages = form.render([*system, *turns, *new], tools, choice, offering=True)

        size = sum(self._estimate_tokens(turn) for turn in messages) + PROMPT_OVERHEAD  # type: ignore[attr-defined]
        return messages, size + (extra if form.template_renders_tools else 0)

    def _grammar(self, form: ToolFormat, tools: dict[str, Tool], choice: str | None, budget: int,
                 max_tokens: int = 0) -> Any:
        """The reply's grammar: the tools' own, else a looser one, else None (each checked on the model first)."""
        from llama_cpp import LlamaGrammar

        strings = max((count_strings(tool.parameters) for tool in (
            [tools[choice]] if choice in tools else tools.values())), default=1)
        # every string of a call fits what is left of the context (a token is at least one character), and is at
        # most about as long as an answer may be (STRING_CHARS_PER_TOKEN characters a token)
        string_limit = min(STRING_LIMIT, (budget - 64) // strings)
        if max_tokens:
            string_limit = min(string_limit, STRING_CHARS_PER_TOKEN * max_tokens)
        string_limit = max(16, string_limit)
        for loose in (False, True):
            try:
                text = form.grammar(tools, choice, string_limit=string_limit, loose=loose)
            except Exception:  # noqa: BLE001 - a schema the converter cannot read: try the looser grammar
                log.warning("LlamaCppChat: no grammar from these tool schemas (loose=%s)", loose, exc_info=True)
                continue
            if self._grammar_ok(text):
                return LlamaGrammar.from_string(text, verbose=False)
            log.warning("LlamaCppChat: llama.cpp rejected the tools' grammar (loose=%s)", loose)
        return None

    def _grammar_ok(self, text: str) -> bool:
        ok = self._grammar_checks.get(text)
        if ok is None:
            if len(self._grammar_checks) > 64:
                self._grammar_checks.clear()
            ok = self._grammar_checks[text] = grammar_parses(self.llama, text)  # type: ignore[attr-defined]
        return ok

    def _open_tool_stream(self, form: ToolFormat, messages: list[dict[str, Any]], tools: dict[str, Tool],
                          grammar: Any, options: dict[str, Any]) -> Iterator[dict[str, Any]]:
        llama = self.llama  # type: ignore[attr-defined]
        if form.template_renders_tools:
            handler = self._template_handler()
            stream = handler(llama=llama, messages=messages, tools=[tool.as_openai() for tool in tools.values()],
                             grammar=grammar, stream=True, **options)
        else:
            stream = llama.create_chat_completion(messages=messages, grammar=grammar, stream=True, **options)
        return self._first_chunk(stream)  # type: ignore[attr-defined]
