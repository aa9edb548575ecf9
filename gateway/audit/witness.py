"""``python -m gateway.audit.witness``: a partner's witness for the gateway's audit log.

It needs no database and no gateway configuration: only HTTP, the log's verifier key and
its own cosigner key. Each run fetches the latest checkpoint, checks its signature, checks it
is consistent with the last checkpoint this witness saw (a consistency proof, RFC 9162
§2.1.4), co-signs it (C2SP tlog-cosignature) and posts the cosignature back. A split view (a
different root for a size already seen, a smaller tree, or a failed proof) is reported to the
gateway as a security event, the state is left as it was, and the exit status is 1.

    python -m gateway.audit.witness keygen witness.example.org/w1 witness.key
    python -m gateway.audit.witness run --url https://gateway.example.org \\
        --log-vkey 'gateway.example.org/audit+1a2b3c4d+AU...' --key witness.key \\
        --state witness.state            # bearer token in $GATEWAY_TOKEN
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import cosignature, note, tlog
from gateway.audit.checkpoint import Checkpoint, open_checkpoint

TIMEOUT = 10.0


class SplitView(Exception):
    """The log showed this witness two views that cannot both be true."""


@dataclass(frozen=True)
class Outcome:
    """What a run did: the checkpoint now trusted, and whether it was new."""

    checkpoint: Checkpoint
    advanced: bool


def keygen(name: str, path: Path) -> str:
    """Write a new cosigner key to ``path`` (0600, never overwritten); return its vkey."""
    signer = note.Signer(note.check_name(name), Ed25519PrivateKey.generate())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(note.format_skey(signer, cosignature.ALG_COSIGNATURE) + "\n")
    return witness_vkey(signer)


def witness_vkey(signer: note.Signer) -> str:
    """The cosigner's verifier key (signature type 0x04), to register with the gateway."""
    public = note.raw_public(signer.private_key.public_key())
    return cosignature.cosigner_verifier(signer.name, public).vkey()


def check_consistent(earlier: Checkpoint | None, latest: Checkpoint, proof: list[bytes]) -> None:
    """Raise :class:`SplitView` unless ``latest`` extends ``earlier``."""
    if earlier is None:
        return
    if latest.size < earlier.size:
        raise SplitView(f"the log shrank from {earlier.size} to {latest.size} leaves")
    try:
        tlog.verify_consistency(earlier.size, latest.size, earlier.root, latest.root, proof)
    except tlog.ProofError as exc:
        raise SplitView(f"checkpoint {latest.size} is not consistent with "
                        f"checkpoint {earlier.size}: {exc}") from exc


class Witness:
    """One witness: its key, the log's key, where it keeps the last checkpoint it saw."""

    def __init__(self, url: str, log: note.Verifier, signer: note.Signer, state: Path,
                 token: str | None, http: requests.Session | None = None) -> None:
        self.url, self.log, self.signer, self.state = url.rstrip("/"), log, signer, state
        self.http = http or requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path: str, **params: int) -> requests.Response:
        response = self.http.get(self.url + path, params=params, timeout=TIMEOUT)
        response.raise_for_status()
        return response

    def _open(self, signed: str) -> Checkpoint:
        return open_checkpoint(signed, [self.log], self.log.name)[0]

    def last_seen(self) -> tuple[Checkpoint, str] | None:
        """The checkpoint this witness last verified (re-verified from its state file)."""
        if not self.state.exists():
            return None
        signed = self.state.read_text(encoding="utf-8")
        return self._open(signed), signed

    def run(self) -> Outcome:
        """Fetch, check, co-sign and post; raise :class:`SplitView` on a split view."""
        signed = self._get("/audit/checkpoint").text
        latest = self._open(signed)
        seen = self.last_seen()
        earlier, earlier_note = seen if seen else (None, None)
        proof: list[bytes] = []
        if earlier is not None and earlier.size < latest.size:
            body = self._get("/audit/consistency", first=earlier.size, second=latest.size).json()
            proof = [base64.b64decode(h) for h in body["consistency"]]
        try:
            check_consistent(earlier, latest, proof)
        except SplitView as exc:
            self.report(earlier_note or "", signed, str(exc))
            raise
        line = cosignature.cosign(latest.body(), self.signer, int(time.time()))
        response = self.http.post(self.url + "/audit/cosignatures", timeout=TIMEOUT,
                                  json={"size": latest.size, "cosignature": line})
        response.raise_for_status()
        self.state.write_text(signed, encoding="utf-8")
        return Outcome(latest, earlier is None or latest.size > earlier.size)

    def report(self, earlier: str, later: str, reason: str) -> None:
        """Tell the gateway (a security event on its side); failures to report are printed."""
        try:
            self.http.post(self.url + "/audit/split-views", timeout=TIMEOUT, json={
                "earlier": earlier, "later": later, "reason": reason[:500]}).raise_for_status()
        except requests.RequestException as exc:
            print(f"could not report the split view: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """``keygen NAME FILE`` or ``run``; exit 1 on a split view, 2 on any other failure."""
    parser = argparse.ArgumentParser(prog="python -m gateway.audit.witness")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("keygen", help="create a cosigner key; prints its vkey")
    gen.add_argument("name")
    gen.add_argument("key_file", type=Path)
    run = commands.add_parser("run", help="check and co-sign the latest checkpoint")
    run.add_argument("--url", required=True, help="the gateway's base URL")
    run.add_argument("--log-vkey", required=True, help="the log's verifier key")
    run.add_argument("--key", required=True, type=Path, help="this witness's key file")
    run.add_argument("--state", required=True, type=Path, help="last checkpoint seen")
    run.add_argument("--token-env", default="GATEWAY_TOKEN",
                     help="environment variable holding the bearer token")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        print(keygen(args.name, args.key_file))
        return 0
    try:
        signer, _ = note.parse_skey(args.key.read_text(encoding="utf-8").strip())
        witness = Witness(args.url, note.parse_vkey(args.log_vkey), signer, args.state,
                          os.environ.get(args.token_env))
        outcome = witness.run()
    except SplitView as exc:
        print(f"SPLIT VIEW: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, requests.RequestException) as exc:
        print(f"witness failed: {exc}", file=sys.stderr)
        return 2
    state = "new" if outcome.advanced else "unchanged"
    print(f"co-signed checkpoint of size {outcome.checkpoint.size} ({state})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
