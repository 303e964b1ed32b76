"""``dosaku_gui``: start the web app (also ``dosaku gui``)."""
from __future__ import annotations

import logging
import os
import sys

import click

from dosaku_gui.options import GuiOptions

log = logging.getLogger(__name__)


def launch(options: GuiOptions) -> None:
    """Build the app and serve it until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline and private: no usage pings
    from dosaku_gui.auth import GuiUsers, check_can_start

    users = GuiUsers()
    check_can_start(options, users)  # auth: beyond loopback (or shared) only with a login
    from dosaku_gui.app import build_app

    demo = build_app(options)
    demo.queue(default_concurrency_limit=options.concurrency)
    log.info("Dosaku GUI on http://%s:%d%s", options.host, options.port, " (login required)" if users else "")
    demo.launch(server_name=options.host, server_port=options.port, share=options.share, ssr_mode=False,
                show_error=False, inbrowser=False, auth=users.check if users else None,
                auth_message="Log in to Dosaku (users: `dosaku gui-user add NAME`)." if users else None)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=int, help="TCP port.")
@click.option("--module", default=None, help="Chat module to start with (default: the best local model).")
@click.option("--enable-services", is_flag=True, help="Allow services (remote, maybe paid, APIs).")
@click.option("--share/--no-share", default=False, show_default=True, help="Ask gradio for a public link.")
@click.option("--system-prompt", default=None, help="The chat's system prompt.")
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(1), help="Reply length limit.")
@click.option("--temperature", default=0.7, show_default=True, type=click.FloatRange(0, 2), help="Sampling.")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1),
              help="Replies generated at once, across all browser sessions.")
@click.option("--allow-install/--no-allow-install", default=None,
              help="Offer to install module packs from the UI (default: only on 127.0.0.1 without --share).")
def command(**values: object) -> None:
    """Chat with Dosaku (and use its other tasks) in your browser."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up probes, one line per request
    from dosaku_gui.auth import GuiAuthError

    try:
        launch(GuiOptions(**values))  # type: ignore[arg-type]
    except GuiAuthError as error:
        raise click.ClickException(str(error)) from None


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``dosaku_gui`` console script."""
    command.main(args=argv if argv is not None else sys.argv[1:], prog_name="dosaku_gui")
