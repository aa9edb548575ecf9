"""The audit log's public side: Merkle tree hashing and proofs (RFC 9162), signed notes,
checkpoints and cosignatures (C2SP), the offline verifier and the witness tool.

Nothing here needs the gateway's database or configuration: a partner runs
``python -m gateway.audit.witness`` and ``python -m gateway.audit.verify`` with only the
standard library, ``cryptography`` and ``requests``.
"""
