"""``placement='ray'``: what the plugin's ``dosaku_placement`` hook does.

Example::

    from dosaku import Agent

    agent = Agent()
    agent.learn('Chat', module='LlamaCppChat', placement='ray')
    agent.Chat.message('Hi')               # answered by a Serve replica somewhere on the cluster
    agent.Chat.module.replica_info()       # {'hostname': ..., 'node_id': ..., 'pid': ...}
"""
from __future__ import annotations

import functools
from typing import Any

from dosaku_ray.cluster import connect, ensure_serve
from dosaku_ray.deployment import DEFAULT_CALL_TIMEOUT_S, deploy, seconds
from dosaku_ray.proxy import RemoteModule, proxy_class


def place(spec: Any, factory: Any, config: Any) -> RemoteModule:
    """Deploy ``spec``'s module on the cluster and return the stand-in the agent calls."""
    connect(config)
    ensure_serve()
    module_class = factory.load_class()  # Ray imports it here to shape the proxy: Ray runs trusted modules
    redeploy = functools.partial(_deploy, spec, factory, config)
    return proxy_class(module_class)(redeploy(), redeploy, seconds(config, "CALL_TIMEOUT_S", DEFAULT_CALL_TIMEOUT_S))


def _deploy(spec: Any, factory: Any, config: Any) -> Any:
    connect(config)
    ensure_serve()
    return deploy(spec, factory, config)
