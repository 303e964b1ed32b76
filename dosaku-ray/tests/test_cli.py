"""`dosaku ray status` and `dosaku ray deploy MODULE --replicas N` against the test cluster."""
from __future__ import annotations

from click.testing import CliRunner
from dosaku.cli import build_cli
from dosaku.testing import make_plugin_manager
from dosaku_ray import plugin
from dosaku_ray.testing import BUSYWORK_PLUGIN
from ray_test_helpers import ON_WORKER, dosaku_apps, wait_for


def run(*args: str):
    cli = build_cli(make_plugin_manager(plugin, BUSYWORK_PLUGIN))
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_deploy_then_status_then_an_agent_uses_the_deployment(ray_cluster, make_agent, monkeypatch):
    import json

    monkeypatch.setenv("DOSAKU_RAY__RESOURCES_BUSYBOT", json.dumps(ON_WORKER))
    result = run("ray", "deploy", "BusyBot", "--replicas", "2")
    assert result.exit_code == 0, result.output
    assert "Deployed BusyBot as dosaku-BusyBot with 2 replica(s)" in result.output
    assert ray_cluster.worker.node_id[:12] in result.output
    try:
        status = run("ray", "status")
        assert status.exit_code == 0, status.output
        assert ray_cluster.worker.node_id[:12] in status.output and "worker_box=8" in status.output
        assert "dosaku-BusyBot  RUNNING" in status.output and "BusyBot: HEALTHY, replicas: 2 running" in status.output
        agent = make_agent()
        agent.learn("Busywork", placement="ray")  # uses the deployed application, and leaves it on unlearn
        assert agent.Busywork.module.deployment.app == "dosaku-BusyBot" and not agent.Busywork.module.deployment.owned
        agent.unlearn("Busywork")
        assert dosaku_apps() == ["dosaku-BusyBot"]
    finally:
        from ray import serve

        serve.delete("dosaku-BusyBot")
        wait_for(lambda: dosaku_apps() == [], what="the deployed app to go")


def test_deploy_refuses_a_stateful_module(ray_cluster, dosaku_home):
    result = CliRunner().invoke(build_cli(make_plugin_manager(plugin)), ["ray", "deploy", "EchoBot"])
    assert result.exit_code == 1
    assert "EchoBot keeps state per agent (a conversation, a game), so each agent" in result.output
    assert dosaku_apps() == []


def test_deploy_an_unknown_module(ray_cluster, dosaku_home):
    result = CliRunner().invoke(build_cli(make_plugin_manager(plugin)), ["ray", "deploy", "EchoBat"])
    assert result.exit_code == 1 and "Unknown module 'EchoBat'. Did you mean: EchoBot?" in result.output
