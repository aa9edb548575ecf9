"""The test suite; tests/<domain>/ mirrors gateway/services/<domain>/."""
