"""Services: the domain rules, grouped by domain (see docs/architecture.md)."""
