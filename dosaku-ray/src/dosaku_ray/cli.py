"""``dosaku ray status`` and ``dosaku ray deploy MODULE [--replicas N]``."""
from __future__ import annotations

import click
from dosaku.errors import DosakuError


@click.group("ray")
def ray_group() -> None:
    """Modules on a Ray cluster (RAY_ADDRESS or [RAY] ADDRESS in config.ini)."""


def _connect():
    from dosaku.config import Config

    from dosaku_ray.cluster import connect

    config = Config()
    try:
        connect(config, start_local=False)
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    return config


@ray_group.command()
def status() -> None:
    """Show the cluster's nodes and the Serve applications, deployments and replicas."""
    import ray
    from ray import serve

    from dosaku_ray.resources import describe

    _connect()
    click.echo("Nodes:")
    for node in ray.nodes():
        state = "alive" if node.get("Alive") else "dead"
        click.echo(f"  {node['NodeID'][:12]}  {state:<5}  {node.get('NodeManagerAddress', '?'):<15}  "
                   f"{describe(node.get('Resources', {}))}")
    try:
        applications = serve.status().applications
    except Exception:  # noqa: BLE001 - Serve not started on this cluster
        applications = {}
    click.echo("Deployments:" if applications else "Deployments: none (Ray Serve has no applications)")
    for app, app_status in sorted(applications.items()):
        click.echo(f"  {app}  {str(app_status.status).rsplit('.', 1)[-1]}")
        for name, deployment in app_status.deployments.items():
            replicas = ", ".join(
                f"{count} {str(state).rsplit('.', 1)[-1].lower()}" for state, count in deployment.replica_states.items()
            ) or "no replicas"
            click.echo(f"    {name}: {str(deployment.status).rsplit('.', 1)[-1]}, replicas: {replicas}")


@ray_group.command()
@click.argument("module")
@click.option("--replicas", type=click.IntRange(min=1), default=1, show_default=True, help="How many replicas.")
def deploy(module: str, replicas: int) -> None:
    """Deploy a shareable (stateless) MODULE with its default arguments; agents that learn it with
    placement='ray' use this deployment. It stays until removed (`serve delete dosaku-MODULE`)."""
    from dosaku.cli import cli_agent
    from dosaku.placement import ModuleFactory

    from dosaku_ray.cluster import ensure_serve
    from dosaku_ray.deployment import deploy as deploy_module

    config = _connect()
    agent = cli_agent()
    try:
        spec = agent.registry.module(module)
        if not spec.shareable:
            raise click.ClickException(
                f"{spec.name} keeps state per agent (a conversation, a game), so each agent that learns it with "
                f"placement='ray' gets its own deployment; only shareable modules are deployed ahead."
            )
        if not agent.permits(spec.kind):
            raise click.ClickException(
                f"{spec.name} is a {spec.kind}; deploying it ahead would let agents without "
                f"enable_{spec.kind}s=True reach it through the cluster. Learn it from an agent that enables it."
            )
        ensure_serve()
        placed = deploy_module(spec, ModuleFactory(spec, spec.load(), {}), config, kwargs={}, replicas=replicas,
                               owned=False)
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    info = placed.info()
    click.echo(f"Deployed {spec.name} as {placed.app} with {replicas} replica(s) (one on {info['hostname']}, "
               f"node {info['node_id'][:12]}).")
