"""Migrations: one chain, matching the models, reversible."""
