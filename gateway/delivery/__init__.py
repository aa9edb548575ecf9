"""The outbox delivery worker (``flask --app gateway deliver``)."""
