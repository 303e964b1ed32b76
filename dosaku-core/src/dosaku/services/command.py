"""``dosaku spend``: what services have cost, per day, service and model (from the spend ledger)."""
from __future__ import annotations

import json
from dataclasses import asdict

import click

from dosaku.config import Config
from dosaku.services.spending import Spending


@click.command("spend")
@click.option("--days", type=int, default=30, show_default=True, help="Show the last N days.")
@click.option("--service", default=None, help="Only this service (e.g. OpenAIChat).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of a table.")
def spend(days: int, service: str | None, as_json: bool) -> None:
    """Show what services have cost (kept across restarts in the user data directory)."""
    spending = Spending(Config())
    rows = spending.ledger.rows(days=days, service=service)
    if as_json:
        click.echo(json.dumps([asdict(row) for row in rows], indent=2))
        return
    limit = spending.limit_usd
    today = spending.ledger.spent("day", service)
    click.echo(f"Spent today: ${today:.4f}" + (f" of a ${limit:.2f} limit ({spending.period})" if limit else ""))
    if not rows:
        click.echo(f"No service calls in the last {days} days.")
        return
    header = f"{'day':<10}  {'service':<22} {'model':<24} {'requests':>8} {'tokens in':>10} {'tokens out':>10} "
    click.echo(header + f"{'images':>6} {'cost USD':>10}")
    for row in rows:
        cost = f"{row.cost_usd:.4f}" + ("+?" if row.unknown_cost_requests else "")
        click.echo(
            f"{row.day:<10}  {row.service:<22.22} {row.model:<24.24} {row.requests:>8} {row.prompt_tokens:>10} "
            f"{row.completion_tokens:>10} {row.images:>6} {cost:>10}"
        )
    if any(row.unknown_cost_requests for row in rows):
        click.echo("+? : some calls were to models with no known price (set them under [PRICES] in config.ini).")

