"""Command line: ``flask --app gateway <group> <command>``."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from adapters.fhir_audit import audit_event
from gateway import backup
from gateway.db import transaction
from gateway.keystore import current_log, current_log_of
from gateway.models import AuthMethod, InstitutionKind
from gateway.services.actor import Actor
from gateway.services.audit import integrity, journal, sequencer, witnesses
from gateway.services.network import clients, institutions
from gateway.services.privacy import reencryption
from keys.field import FieldKeyring
from keys.log import LogKeys
from keys.signing import SigningKeys

CLI_ACTOR = Actor.system("cli")
FHIR_EXPORT = "audit-events.ndjson"

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


@keys_cli.command("rotate-log")
def keys_rotate_log() -> None:
    """Add a new audit log key; it signs checkpoints from the next start, old keys verify."""
    kid = LogKeys.generate(Path(current_app.config["KEY_DIR"]) / "log")
    with transaction(current_app) as session:
        journal.record(session, CLI_ACTOR, "key.rotated", "log_key", kid)
    click.echo(f"new audit log key {kid}; restart the gateway, then publish 'audit vkey'")


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
@click.option("--dpop", "dpop_bound", is_flag=True,
              help="Issue only DPoP-bound tokens (RFC 9449) to this client.")
def clients_add(name: str, institution_id: uuid.UUID | None, scopes: tuple[str, ...],
                jwks_file: str | None, algs: tuple[str, ...], dpop_bound: bool) -> None:
    """Register a client; without --jwks a secret is generated and printed once."""
    jwks = json.loads(Path(jwks_file).read_text()) if jwks_file else None
    method = AuthMethod.PRIVATE_KEY_JWT if jwks else AuthMethod.CLIENT_SECRET_BASIC
    with transaction(current_app) as session:
        registration = clients.register(session, CLI_ACTOR, name=name,
                                        institution_id=institution_id, auth_method=method,
                                        scopes=list(scopes), jwks=jwks, allowed_algs=list(algs),
                                        dpop_bound=dpop_bound)
        click.echo(f"client_id={registration.client.client_id}")
        if registration.client_secret:
            click.echo(f"client_secret={registration.client_secret}  (shown once)")


@audit_cli.command("seal")
@click.option("--batch", default=None, type=click.IntRange(1, 1_000_000),
              help="Entries per seal (default AUDIT_SEAL_BATCH).")
def audit_seal(batch: int | None) -> None:
    """Sequence committed entries and sign a checkpoint (safe on several hosts at once)."""
    app = current_app._get_current_object()
    sealed = seal_until_done(app, batch)
    click.echo(f"audit log sealed: size {sealed}" if sealed is not None
               else "another sequencer is sealing; nothing done")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute every leaf and root, check every checkpoint; exit 1 naming the first fault."""
    with transaction(current_app) as session:
        result = integrity.verify_log(session, current_log().verifiers)
        waiting = integrity.unsequenced(session)
    if result.ok:
        click.echo(f"audit log intact: {result.leaves} entries, {result.checkpoints} "
                   f"checkpoints ({waiting} entries awaiting the next seal)")
        return
    click.echo(f"audit log BROKEN: {result.fault}", err=True)
    sys.exit(1)


@audit_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--fhir", is_flag=True,
              help="Also write audit-events.ndjson: FHIR AuditEvents (IHE BALP).")
def audit_export(directory: Path, fhir: bool) -> None:
    """Write entries, checkpoints and vkeys for ``python -m gateway.audit.verify DIRECTORY``."""
    with transaction(current_app) as session:
        count = integrity.export(session, current_log().verifiers, directory)
        if fhir:
            issuer = current_app.config["ISSUER"]
            with (directory / FHIR_EXPORT).open("w", encoding="utf-8") as out:
                for document, _ in integrity.stored_leaves(session):
                    out.write(json.dumps(audit_event(document, issuer)) + "\n")
        journal.record(session, CLI_ACTOR, "audit.exported", "audit_log", None,
                       detail={"entries": count, "fhir": fhir})
    click.echo(f"exported {count} entries to {directory}")


@audit_cli.command("add-witness")
@click.argument("vkey")
@click.option("--institution", "institution_id", type=click.UUID,
              help="The partner institution that runs the witness.")
def audit_add_witness(vkey: str, institution_id: uuid.UUID | None) -> None:
    """Register a witness by its cosigner vkey (from ``python -m gateway.audit.witness keygen``)."""
    with transaction(current_app) as session:
        witness = witnesses.register(session, CLI_ACTOR, vkey, institution_id)
        click.echo(f"witness {witness.name} registered")


@audit_cli.command("vkey")
def audit_vkey() -> None:
    """Print the log's verifier keys (newest first), for partners and witnesses."""
    for vkey in current_log().vkeys():
        click.echo(vkey)


def seal_until_done(app: Flask, batch: int | None = None) -> int | None:
    """Seal in committed batches until nothing waits; the final size, or None if another
    sequencer held the lock."""
    signer = current_log_of(app).signer
    size = None
    while True:
        with transaction(app) as session:
            checkpoint = sequencer.seal(session, signer,
                                        batch or int(app.config["AUDIT_SEAL_BATCH"]))
            if checkpoint is None:
                return size if size is not None else _size_if_unlocked(session)
        size = checkpoint.size


def _size_if_unlocked(session) -> int | None:
    return sequencer.tree_size(session) if not integrity.unsequenced(session) else None


PASSPHRASE_ENV = "GATEWAY_BACKUP_PASSPHRASE"  # noqa: S105 - a variable name


def _passphrase(confirm: bool) -> str:
    """From the environment, else prompted for (never an argument: argv is visible to all)."""
    return os.environ.get(PASSPHRASE_ENV) or click.prompt(
        "Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write the database and the key material to FILE, encrypted with a passphrase."""
    config = current_app.config
    try:
        sealed = backup.create_backup(config["DATABASE_URL"], Path(config["KEY_DIR"]),
                                      _passphrase(confirm=True))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(sealed)
    click.echo(f"backup written to {file} ({len(sealed)} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore FILE into the (empty) configured database and the configured key directory."""
    config = current_app.config
    try:
        manifest = backup.restore_backup(file.read_bytes(), config["DATABASE_URL"],
                                         Path(config["KEY_DIR"]), _passphrase(confirm=False))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored the {manifest['dialect']} backup of {manifest['created_at']}; "
               "restart the gateway to use the restored keys")


def init_cli(app: Flask) -> None:
    """Register the command groups on ``app`` (the demo's only when ``DEMO`` is set)."""
    from gateway.delivery.cli import deliver_command, scheduler_command

    for group in (db_cli, keys_cli, institutions_cli, clients_cli, audit_cli,
                  deliver_command, scheduler_command, backup_command, restore_command):
        app.cli.add_command(group)
    if app.config["DEMO"]:
        from gateway.demo.load import demo_cli

        app.cli.add_command(demo_cli)
