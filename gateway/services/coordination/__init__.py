"""Coordination: coordinator accounts, region tenancy, the board, break-glass review."""
