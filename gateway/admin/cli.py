"""``flask --app gateway coordinators add``: create coordinator accounts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from gateway.db import transaction
from gateway.models import CoordinatorRole
from gateway.services.actor import Actor
from gateway.services.coordination import accounts

coordinators_cli = AppGroup("coordinators", help="Coordinator accounts of the admin UI.")


@coordinators_cli.command("add")
@click.option("--email", required=True)
@click.option("--region", help="The region a coordinator manages (admins manage all).")
@click.option("--role", type=click.Choice([r.value for r in CoordinatorRole]),
              default=CoordinatorRole.COORDINATOR.value, show_default=True)
@click.password_option(help="At least 12 characters; prompted for when omitted.")
def coordinators_add(email: str, region: str | None, role: str, password: str) -> None:
    """Create a coordinator and print the TOTP provisioning URI once."""
    with transaction(current_app) as session:
        created = accounts.create(session, Actor.system("cli"), email=email, password=password,
                                      role=CoordinatorRole(role), region=region)
        click.echo(f"coordinator {created.coordinator.id} ({role}, region {region or 'all'})")
        click.echo("Add this to an authenticator app now; it is not shown again:")
        click.echo(created.provisioning_uri)
