"""The audit log: entries written in the caller's transaction, verification, reading."""
