"""Privacy: consent decisions, policy, minimisation, pseudonyms, revocation, break-glass."""
