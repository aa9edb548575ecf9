"""Command line: ``flask --app gateway <group> <command>``."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from gateway.db import transaction
from gateway.models import AuthMethod, InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import journal
from gateway.services.network import clients, institutions
from gateway.services.privacy import reencryption
from keys.field import FieldKeyring
from keys.signing import SigningKeys

CLI_ACTOR = Actor.system("cli")

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
keys_cli = AppGroup("keys", help="Key management.")
institutions_cli = AppGroup("institutions", help="Institutions of the network.")
clients_cli = AppGroup("clients", help="OAuth clients.")
audit_cli = AppGroup("audit", help="The audit log.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from gateway.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@keys_cli.command("rotate-signing")
def keys_rotate_signing() -> None:
    """Add a new signing key; it signs from the next start, old keys still verify."""
    kid = SigningKeys.generate(Path(current_app.config["KEY_DIR"]) / "signing")
    with transaction(current_app) as session:
        journal.record(session, CLI_ACTOR, "key.rotated", "signing_key", kid)
    click.echo(f"new signing key {kid}; restart the gateway to sign with it")


@keys_cli.command("rotate-field")
def keys_rotate_field() -> None:
    """Add a new field KEK; it wraps new values from the next start, old values stay readable."""
    kid = FieldKeyring.generate(Path(current_app.config["KEY_DIR"]) / "field")
    with transaction(current_app) as session:
        journal.record(session, CLI_ACTOR, "key.rotated", "field_key", kid)
    click.echo(f"new field KEK {kid}; restart the gateway, then run 'keys rewrap'")


@keys_cli.command("rewrap")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def keys_rewrap(batch_size: int) -> None:
    """Re-wrap every encrypted value under the newest KEK, one committed batch at a time."""
    keyring = FieldKeyring.load(Path(current_app.config["KEY_DIR"]) / "field")
    total = batches = 0
    while True:
        with transaction(current_app) as session:
            done = reencryption.rewrap_batch(session, keyring, batch_size)
        if not done:
            break
        total, batches = total + done, batches + 1
    with transaction(current_app) as session:
        journal.record(session, CLI_ACTOR, "key.rewrapped", "field_key", keyring.current_kid,
                       detail={"values": total, "batches": batches})
    click.echo(f"rewrapped {total} values in {batches} batches under {keyring.current_kid}")


@institutions_cli.command("add")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice([k.value for k in InstitutionKind]))
@click.option("--region", required=True)
@click.option("--country", default="CN", show_default=True)
def institutions_add(name: str, kind: str, region: str, country: str) -> None:
    """Register an institution and print its id."""
    with transaction(current_app) as session:
        institution = institutions.register(session, CLI_ACTOR, name=name,
                                            kind=InstitutionKind(kind), region=region,
                                            country=country)
        click.echo(str(institution.id))


@institutions_cli.command("list")
def institutions_list() -> None:
    """List institutions as tab-separated id, kind, region, name."""
    with transaction(current_app) as session:
        for inst in institutions.list_all(session):
            click.echo(f"{inst.id}\t{inst.kind.value}\t{inst.region}\t{inst.name}")


@clients_cli.command("add")
@click.option("--name", required=True)
@click.option("--institution", "institution_id", type=click.UUID,
              help="Owning institution; omit for a network administration client.")
@click.option("--scope", "scopes", multiple=True, required=True)
@click.option("--jwks", "jwks_file", type=click.Path(exists=True, dir_okay=False),
              help="Public JWK Set file: the client uses private_key_jwt.")
@click.option("--alg", "algs", multiple=True, default=["ES256"], show_default=True)
def clients_add(name: str, institution_id: uuid.UUID | None, scopes: tuple[str, ...],
                jwks_file: str | None, algs: tuple[str, ...]) -> None:
    """Register a client; without --jwks a secret is generated and printed once."""
    jwks = json.loads(Path(jwks_file).read_text()) if jwks_file else None
    method = AuthMethod.PRIVATE_KEY_JWT if jwks else AuthMethod.CLIENT_SECRET_BASIC
    with transaction(current_app) as session:
        registration = clients.register(session, CLI_ACTOR, name=name,
                                        institution_id=institution_id, auth_method=method,
                                        scopes=list(scopes), jwks=jwks, allowed_algs=list(algs))
        click.echo(f"client_id={registration.client.client_id}")
        if registration.client_secret:
            click.echo(f"client_secret={registration.client_secret}  (shown once)")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; exit 1 naming the first bad entry."""
    with transaction(current_app) as session:
        result = journal.verify(session)
    if result.ok:
        click.echo(f"audit chain intact: {result.checked} entries")
        return
    click.echo(f"audit chain BROKEN at entry {result.fault_seq}: {result.fault} "
               f"({result.checked} entries verified before it)", err=True)
    sys.exit(1)


def init_cli(app: Flask) -> None:
    """Register the command groups on ``app``."""
    from gateway.delivery.cli import deliver_command, scheduler_command
    from gateway.demo.load import demo_cli

    for group in (db_cli, keys_cli, institutions_cli, clients_cli, audit_cli, demo_cli,
                  deliver_command, scheduler_command):
        app.cli.add_command(group)
