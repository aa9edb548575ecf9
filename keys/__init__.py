"""Key management: signing keys (JWKS), field-encryption keyring and pseudonym secret.

Key material lives in a directory outside git (the Flask instance folder by default) and is
only ever read or written by this package.
"""

from keys.keyring import KeyMaterialMissing, Keyring

__all__ = ["KeyMaterialMissing", "Keyring"]
