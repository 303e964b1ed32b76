"""The errors of Ray placement: each says what went wrong and what to do."""
from __future__ import annotations

from dosaku.errors import DosakuError


class RayPlacementError(DosakuError):
    """Placing a module on Ray, or reaching it there, failed."""


class ResourcesUnavailable(RayPlacementError):
    """No node of the cluster can ever give a module what it asks for (raised before anything is deployed)."""


class DeploymentTimeout(RayPlacementError, TimeoutError):
    """A module's replicas did not start in time (the cluster may be busy); the deployment was removed."""


class ReplicaLost(RayPlacementError):
    """The replica doing a call died (its node went away, or it crashed); the call did not complete."""


class RemoteCallTimeout(RayPlacementError, TimeoutError):
    """No replica took a call in time (none is running, e.g. while its node is down)."""
