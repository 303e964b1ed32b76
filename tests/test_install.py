"""`agent.install` / `dosaku install`: a real pack wheel built from tests/plugins, installed with pip into a fresh
virtual environment with no network, then learned and used in the same process; consent, broken wheels."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGINS = Path(__file__).parent / "plugins"
CATALOG = {"packs": [{
    "distribution": "dosaku-installable-plugin",
    "requirement": "dosaku-installable-plugin>=1,<2",
    "summary": "Counts words.",
    "modules": [{"name": "WordCounter", "tasks": ["CountWords"], "kind": "module"}],
    "tasks": ["CountWords"],
}]}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(folder), str(PLUGINS / "dosaku-installable-plugin")], check=True, timeout=300)
    (folder.parent / "broken").mkdir()
    broken = folder.parent / "broken" / "dosaku_installable_plugin-2.0.0-py3-none-any.whl"
    broken.write_bytes(b"this is not a zip file")
    return folder


def run_in_venv(python, script, tmp_path, **variables):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOSAKU_")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", DOSAKU_CONFIG=str(tmp_path / "c.ini"),
               DOSAKU_CACHE_DIR=str(tmp_path / "cache"), DOSAKU_DATA_DIR=str(tmp_path / "data"),
               CATALOG=json.dumps(CATALOG), **{key: str(value) for key, value in variables.items()})
    result = subprocess.run([str(python), "-c", textwrap.dedent(script)], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_install_learn_use_uninstall_in_one_process(venv, wheelhouse, tmp_path):
    out = run_in_venv(venv, """
        import json, os, subprocess, sys
        import pytest
        from dosaku import Agent, ModuleNotInstalled
        from dosaku.catalog import Catalog
        from dosaku.installer import InstallError, InstallNotConfirmed

        def installed():
            return subprocess.run([sys.executable, '-m', 'pip', 'show', 'dosaku-installable-plugin'],
                                  capture_output=True).returncode == 0

        agent = Agent(catalog=Catalog.from_dict(json.loads(os.environ['CATALOG'])))
        assert 'CountWords' not in agent.learnable_tasks
        assert agent.installable_tasks == ['CountWords']
        with pytest.raises(ModuleNotInstalled, match='dosaku install CountWords'):
            agent.learn('CountWords')

        asked = []
        with pytest.raises(InstallNotConfirmed, match='nothing was done'):
            agent.install('CountWords', approve=lambda plan: asked.append(plan) or False, source=os.environ['WHEELS'])
        assert asked[0].pack.distribution == 'dosaku-installable-plugin' and not installed()
        with pytest.raises(InstallNotConfirmed):
            agent.install('CountWords', source=os.environ['WHEELS'])
        assert not installed()

        before = (agent.learnable_tasks, agent.tasks)
        with pytest.raises(InstallError, match='pip could not install'):
            agent.install('CountWords', confirm=True, source=os.environ['BROKEN'])
        assert (agent.learnable_tasks, agent.tasks) == before and not installed()

        lines = []
        agent.install('CountWords', confirm=True, source=os.environ['WHEELS'], show=lines.append)
        assert installed() and any('Successfully installed dosaku-installable-plugin' in l for l in lines)
        assert 'CountWords' in agent.learnable_tasks and agent.installable_tasks == []
        agent.learn('CountWords')
        print('count', agent.CountWords('one two three'))

        agent.uninstall('dosaku-installable-plugin', confirm=True)
        assert not installed() and 'CountWords' not in agent.learnable_tasks
        print('done')
    """, tmp_path, WHEELS=wheelhouse, BROKEN=next((wheelhouse.parent / "broken").iterdir()))
    assert "count 3" in out and out.strip().endswith("done")


def test_cli_install_asks_first(venv, wheelhouse, tmp_path):
    script = """
        import json, os, sys
        from dosaku import catalog
        from dosaku.catalog import Catalog
        catalog.Catalog.load = classmethod(lambda cls: Catalog.from_dict(json.loads(os.environ['CATALOG'])))
        from dosaku.cli import main
        main(sys.argv[1:])
    """
    env_python = [str(venv), "-c", textwrap.dedent(script)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOSAKU_")}
    env.update(PIP_NO_INDEX="1", DOSAKU_CONFIG=str(tmp_path / "c.ini"), DOSAKU_CACHE_DIR=str(tmp_path / "cache"),
               CATALOG=json.dumps(CATALOG))

    def dosaku(*args, stdin=""):
        return subprocess.run([*env_python, *args], input=stdin, capture_output=True, text=True, env=env, timeout=600)

    refused = dosaku("install", "CountWords", "--from", str(wheelhouse), stdin="n\n")
    assert refused.returncode == 1 and "Go ahead? [y/N]" in refused.stdout
    assert "install dosaku-installable-plugin (Counts words)" in refused.stdout
    assert "CountWords" not in dosaku("tasks").stdout
    assert "not installed: `dosaku install CountWords`" in dosaku("tasks", "--all").stdout
    done = dosaku("install", "CountWords", "--from", str(wheelhouse), "--yes")
    assert done.returncode == 0, done.stderr
    assert "Successfully installed dosaku-installable-plugin" in done.stdout and "CountWords" in done.stdout
    gone = dosaku("uninstall", "dosaku-installable-plugin", "--yes")
    assert gone.returncode == 0 and "Uninstalled." in gone.stdout
    unknown = dosaku("install", "CountWord", "--yes")
    assert unknown.returncode == 1
    assert "No known pack is or provides 'CountWord'. Did you mean: CountWords?" in unknown.stderr


def test_gui_offers_install_behind_consent(venv, wheelhouse, tmp_path):
    out = run_in_venv(venv, """
        import json, os
        from dosaku import Agent
        from dosaku.catalog import Catalog
        from dosaku_gui.app import install_pack
        from dosaku_gui.options import GuiOptions
        from dosaku_gui.session import AgentSession

        catalog = Catalog.from_dict(json.loads(os.environ['CATALOG']))
        session = AgentSession(GuiOptions(), lambda enable_services=False: Agent(catalog=catalog))
        chooser, box, status = install_pack('CountWords', session, False)
        assert status.startswith('**Nothing was installed.**'), status
        assert 'CountWords' not in session.agent.learnable_tasks
        chooser, box, status = install_pack('CountWords', session, True)   # pip finds it through [INSTALL] FIND_LINKS
        assert status == 'Installed: **WordCounter**.', status
        assert chooser['choices'] == ['WordCounter'] and box['visible'] is False
        other_tab = AgentSession(GuiOptions(), lambda enable_services=False: Agent(catalog=catalog))
        print('count', other_tab.run_task('CountWords', 'WordCounter', 'one two'))
        session.agent.uninstall('dosaku-installable-plugin', confirm=True)
        print('done')
    """, tmp_path, DOSAKU_INSTALL__FIND_LINKS=wheelhouse)
    assert "count 2" in out and out.strip().endswith("done")
