"""Dosaku modules on a Ray cluster, as Ray Serve deployments.

Placement is configuration: ``agent.learn('Chat', module='LlamaCppChat', placement='ray')``, or in config.ini::

    [PLACEMENT]
    LlamaCppChat = ray

Nothing here imports Ray until a module is placed (see :mod:`dosaku_ray.placement`).
"""
from dosaku_ray.errors import (
    DeploymentTimeout,
    RayPlacementError,
    RemoteCallTimeout,
    ReplicaLost,
    ResourcesUnavailable,
)

__all__ = ["DeploymentTimeout", "RayPlacementError", "RemoteCallTimeout", "ReplicaLost", "ResourcesUnavailable"]
