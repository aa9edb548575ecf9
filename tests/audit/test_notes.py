"""Signed notes, checkpoints and cosignatures, byte for byte (Go's sumdb/note and C2SP)."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit import cosignature, note
from gateway.audit.checkpoint import Checkpoint, open_checkpoint, parse_body, sign_checkpoint

# golang.org/x/mod/sumdb/note's examples
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
SIGNED = TEXT + ("\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F"
                 "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def test_signing_reproduces_the_go_example_byte_for_byte():
    signer, alg = note.parse_skey(SKEY)
    assert alg == note.ALG_ED25519
    assert signer.verifier.vkey() == VKEY
    assert note.sign(TEXT, signer) == SIGNED
    assert note.format_skey(signer) == SKEY


def test_the_go_example_opens_and_a_changed_text_does_not():
    verifier = note.parse_vkey(VKEY)
    assert note.open_note(SIGNED, verifier) == TEXT
    with pytest.raises(note.NoteError):
        note.open_note(SIGNED.replace("answer", "Answer"), verifier)
    with pytest.raises(note.NoteError):
        note.parse_vkey(VKEY.replace("c74f20a3", "c74f20a4"))


def test_a_checkpoint_is_exact_to_the_byte_and_round_trips():
    root = bytes(range(32))
    checkpoint = Checkpoint("gateway.test/audit", 42, root)
    assert checkpoint.body() == ("gateway.test/audit\n42\n"
                                 + base64.b64encode(root).decode() + "\n")
    signer = note.Signer("gateway.test/audit", Ed25519PrivateKey.generate())
    signed = sign_checkpoint(checkpoint, signer)
    assert open_checkpoint(signed, [signer.verifier], "gateway.test/audit")[0] == checkpoint
    assert parse_body(checkpoint.body() + "extension line\n") == checkpoint
    for bad in ("gateway.test/audit\n042\nAAAA\n", "x\n1\n", "x\n-1\n" + "A" * 44 + "\n"):
        with pytest.raises(note.NoteError):
            parse_body(bad)


def test_a_forged_checkpoint_signature_is_rejected():
    signer = note.Signer("gateway.test/audit", Ed25519PrivateKey.generate())
    impostor = note.Signer("gateway.test/audit", Ed25519PrivateKey.generate())
    checkpoint = Checkpoint("gateway.test/audit", 7, bytes(32))
    forged = sign_checkpoint(checkpoint, impostor)
    with pytest.raises(note.NoteError):
        open_checkpoint(forged, [signer.verifier])
    # the right key id in front of a signature by another key
    line = impostor.signature_line(checkpoint.body())
    blob = base64.b64decode(line.split()[-1])
    relabelled = (checkpoint.body() + "\n\u2014 gateway.test/audit "
                  + base64.b64encode(signer.verifier.key_id + blob[4:]).decode() + "\n")
    with pytest.raises(note.NoteError, match="bad signature"):
        open_checkpoint(relabelled, [signer.verifier])


def test_a_cosignature_follows_c2sp_and_verifies():
    witness = note.Signer("witness.test/w1", Ed25519PrivateKey.generate())
    body = Checkpoint("gateway.test/audit", 20852163, bytes(32)).body()
    line = cosignature.cosign(body, witness, 1679315147)
    blob = base64.b64decode(line.split()[-1])
    public = note.raw_public(witness.private_key.public_key())
    assert blob[:4] == note.key_hash("witness.test/w1", 0x04, public)
    assert struct.unpack(">Q", blob[4:12])[0] == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    witness.private_key.public_key().verify(blob[12:], message)
    verifier = cosignature.cosigner_verifier("witness.test/w1", public)
    assert cosignature.verify_cosignature(body, line, verifier).timestamp == 1679315147
    assert note.parse_vkey(verifier.vkey()) == verifier
    with pytest.raises(note.NoteError):
        cosignature.verify_cosignature(body.replace("20852163", "20852164"), line, verifier)
