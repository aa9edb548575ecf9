"""Backup and restore: the database and the key material, in one passphrase-encrypted file.

The file is ``MAGIC``, one JSON line naming the key derivation (scrypt: salt, n, r, p) and the
AES-256-GCM nonce, then the ciphertext of a tar archive holding ``manifest.json``, the database
(PostgreSQL: ``pg_dump -Fc``; SQLite: a copy made with its online backup API, consistent while
the gateway runs) and the key directory as it is on disk. The header line is authenticated too
(GCM associated data). Without the key material the database's personal fields cannot be read,
so both travel together, and neither leaves in the clear.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from base64 import b64decode, b64encode
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

MAGIC = b"circulation-gateway-backup/1\n"
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KEYS_MEMBER = "keys"


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why (never a secret)."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def seal(plaintext: bytes, passphrase: str) -> bytes:
    """Encrypt ``plaintext`` under a key derived from ``passphrase`` (scrypt + AES-256-GCM)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    header = json.dumps({"kdf": "scrypt", "salt": b64encode(salt).decode(), **SCRYPT,
                         "cipher": "AES-256-GCM", "nonce": b64encode(nonce).decode()},
                        sort_keys=True).encode() + b"\n"
    key = _key(passphrase, salt, **SCRYPT)
    return MAGIC + header + AESGCM(key).encrypt(nonce, plaintext, MAGIC + header)


def unseal(sealed: bytes, passphrase: str) -> bytes:
    """The plaintext of :func:`seal`; BackupError on a wrong passphrase or a changed file."""
    if not sealed.startswith(MAGIC):
        raise BackupError("not a gateway backup file")
    header, _, ciphertext = sealed[len(MAGIC):].partition(b"\n")
    try:
        fields = json.loads(header)
        key = _key(passphrase, b64decode(fields["salt"]), int(fields["n"]), int(fields["r"]),
                   int(fields["p"]))
        return AESGCM(key).decrypt(b64decode(fields["nonce"]), ciphertext,
                                   MAGIC + header + b"\n")
    except InvalidTag as exc:
        raise BackupError("wrong passphrase, or the backup file was changed") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("the backup file's header is damaged") from exc


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (it goes in PGPASSWORD, never in argv)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _dump_database(database_url: str, target: Path) -> str:
    url = make_url(database_url)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # the online backup API: a consistent copy while in use
        finally:
            copy.close()
            source.close()
    elif dialect == "postgresql":
        uri, env = _libpq(url)
        done = subprocess.run(  # noqa: S603 - fixed program, our own arguments
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",  # noqa: S607
             f"--file={target}", f"--dbname={uri}"], env=env, check=False, capture_output=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed with status {done.returncode}")
    else:
        raise BackupError(f"no backup method for {dialect} databases")
    return dialect


def _require_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("restore goes into an empty database only; this one has tables")


def _restore_database(database_url: str, source: Path, dialect: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != dialect:
        raise BackupError(f"this backup holds a {dialect} database; the target is not one")
    _require_empty(database_url)
    if dialect == "sqlite":
        dump, target = sqlite3.connect(source), sqlite3.connect(url.database)
        try:
            dump.backup(target)
        finally:
            target.close()
            dump.close()
    else:
        uri, env = _libpq(url)
        done = subprocess.run(  # noqa: S603 - fixed program, our own arguments
            ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",  # noqa: S607
             "--exit-on-error", f"--dbname={uri}", str(source)], env=env, check=False,
            capture_output=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed with status {done.returncode}")


def create_backup(database_url: str, key_dir: Path, passphrase: str) -> bytes:
    """The sealed backup of the database at ``database_url`` and the keys in ``key_dir``."""
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / "database"
        dialect = _dump_database(database_url, dump)
        manifest = {"format": 1, "dialect": dialect,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            raw = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
            archive.add(dump, DATABASE_MEMBER[dialect])
            archive.add(key_dir, KEYS_MEMBER)
    return seal(buffer.getvalue(), passphrase)


def restore_backup(sealed: bytes, database_url: str, key_dir: Path, passphrase: str) -> dict:
    """Restore a backup into an empty database and ``key_dir``; its manifest.

    Key files already in ``key_dir`` (a fresh ``keys init``, which nothing can be encrypted
    under while the database is empty) are moved aside to ``<key_dir>.before-restore-<time>``.
    """
    plaintext = unseal(sealed, passphrase)
    with tempfile.TemporaryDirectory() as scratch, \
            tarfile.open(fileobj=io.BytesIO(plaintext)) as archive:
        archive.extractall(scratch, filter="data")
        root = Path(scratch)
        manifest = json.loads((root / "manifest.json").read_text())
        dialect = manifest["dialect"]
        _restore_database(database_url, root / DATABASE_MEMBER[dialect], dialect)
        if key_dir.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            key_dir.rename(key_dir.with_name(f"{key_dir.name}.before-restore-{stamp}"))
        shutil.copytree(root / KEYS_MEMBER, key_dir)
    return manifest
