"""An OpenAI-compatible HTTP API (``dosaku serve``): ``GET /v1/models`` and ``POST /v1/chat/completions``, streamed
(server-sent events) or not, with usage, answered by a :mod:`dosaku_mcp.chat_pool` pool.

Usage counts are estimates (about four characters a token), since Chat modules do not report tokens. With a token,
every ``/v1`` request needs ``Authorization: Bearer <token>``. Errors have the OpenAI shape
``{"error": {"message", "type", "param", "code"}}``.

Example::

    app = create_app(ChatPool(permissions, module='EchoBot'), token=None)
    run(pool, host='127.0.0.1', port=8000)   # then: openai.OpenAI(base_url='http://127.0.0.1:8000/v1', api_key='x')
"""
from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from dosaku.errors import DosakuError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from dosaku_mcp.chat_pool import BadRequest, Busy, text_of

log = logging.getLogger(__name__)
#: Request options passed on to the Chat module (when given).
OPTIONS = {"max_tokens": "max_tokens", "max_completion_tokens": "max_tokens", "temperature": "temperature",
           "top_p": "top_p"}
_END = object()


def estimate_tokens(text: str) -> int:
    """About four characters a token (OpenAI's rule of thumb); at least 1 for any text."""
    return (len(text) + 3) // 4 if text else 0


def error(status: int, message: str, kind: str, code: str | None = None, param: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": code}}, status)


def _usage(messages: list[Any], reply: str) -> dict[str, int]:
    prompt = sum(estimate_tokens(text_of(m.get("content"))) + 4 for m in messages if isinstance(m, dict))
    completion = estimate_tokens(reply)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def create_app(pool: Any, token: str | None = None) -> Starlette:
    """The ASGI app answering with ``pool`` (its ``model_id`` is the one model listed)."""
    created = int(time.time())

    def authorized(request: Request) -> bool:
        if not token:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())

    def refuse() -> JSONResponse:
        return error(401, "Missing or wrong API key: send 'Authorization: Bearer <the token dosaku serve was "
                          "started with>'.", "invalid_request_error", "invalid_api_key")

    async def models(request: Request) -> Response:
        if not authorized(request):
            return refuse()
        return JSONResponse({"object": "list", "data": [
            {"id": pool.model_id, "object": "model", "created": created, "owned_by": "dosaku"}]})

    async def completions(request: Request) -> Response:
        if not authorized(request):
            return refuse()
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return error(400, "The body is not JSON.", "invalid_request_error")
        if not isinstance(body, dict):
            return error(400, "The body must be a JSON object.", "invalid_request_error")
        model = body.get("model")
        if model != pool.model_id:
            return error(404, f"The model {model!r} does not exist: this server answers as {pool.model_id!r} "
                              f"(see /v1/models).", "invalid_request_error", "model_not_found", "model")
        if int(body.get("n") or 1) != 1:
            return error(400, "Only n=1 is supported.", "invalid_request_error", param="n")
        messages = body.get("messages")
        options = {OPTIONS[key]: body[key] for key in OPTIONS if body.get(key) is not None}
        ident, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            try:
                pieces = await run_in_threadpool(_start, pool.stream(messages, options))
            except Exception as failure:  # noqa: BLE001 - answered as the API would
                return _failure(failure)
            return StreamingResponse(_events(pieces, ident, now, model, messages, include_usage),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            reply = await run_in_threadpool(pool.reply, messages, options)
        except Exception as failure:  # noqa: BLE001 - answered as the API would
            return _failure(failure)
        return JSONResponse({
            "id": ident, "object": "chat.completion", "created": now, "model": model, "system_fingerprint": None,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": _usage(messages, reply),
        })

    return Starlette(routes=[Route("/v1/models", models, methods=["GET"]),
                             Route("/v1/chat/completions", completions, methods=["POST"])])


def _failure(failure: Exception) -> JSONResponse:
    if isinstance(failure, BadRequest):
        return error(400, str(failure), "invalid_request_error")
    if isinstance(failure, Busy):
        return error(503, str(failure), "server_error", "busy")
    if isinstance(failure, DosakuError):
        log.info("chat request failed: %s: %s", type(failure).__name__, failure)
        return error(500, f"{type(failure).__name__}: {failure}", "server_error")
    log.exception("chat request failed")
    return error(500, f"The Chat module failed: {type(failure).__name__}: {failure}", "server_error")


class _Started:
    """A stream whose first piece (and so its request's checks) was already taken in a worker thread."""

    def __init__(self, first: Any, rest: Iterator[str]):
        self.first, self.rest = first, rest


def _start(stream: Iterator[str]) -> _Started:
    """Run the stream up to its first piece, so a bad request fails before the response starts."""
    return _Started(next(stream, _END), stream)


def _next(stream: Iterator[str]) -> Any:
    return next(stream, _END)


async def _events(started: _Started, ident: str, created: int, model: str, messages: list[Any],
                  include_usage: bool) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "system_fingerprint": None, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                         "finish_reason": finish}]}
        if include_usage:
            data["usage"] = None
        return f"data: {json.dumps(data)}\n\n"

    text, piece = "", started.first
    try:
        yield chunk({"role": "assistant", "content": ""})
        while piece is not _END:
            text += piece
            yield chunk({"content": piece})
            piece = await run_in_threadpool(_next, started.rest)
        yield chunk({}, "stop")
        if include_usage:
            usage = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                     "system_fingerprint": None, "choices": [], "usage": _usage(messages, text)}
            yield f"data: {json.dumps(usage)}\n\n"
        yield "data: [DONE]\n\n"
    except Exception as failure:  # noqa: BLE001 - the stream has started: report in-band, as the API does
        log.exception("chat stream failed")
        problem = {"error": {"message": f"{type(failure).__name__}: {failure}", "type": "server_error"}}
        yield f"data: {json.dumps(problem)}\n\n"
    finally:
        close = getattr(started.rest, "close", None)
        if callable(close):
            await run_in_threadpool(close)  # gives the agent back to the pool even if the client went away


def run(pool: Any, host: str = "127.0.0.1", port: int = 8000, token: str | None = None) -> None:
    """Serve the API with uvicorn until interrupted."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(create_app(pool, token), host=host, port=port, log_level="warning")).run()
