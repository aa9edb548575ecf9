"""Test data per domain: request bodies and rows, one builder per noun.

Plain builder functions rather than factory_boy: rows are made through the services
(``institutions.register``, ``clients.register``…), so each carries its audit entry and passes
the domain's checks, as in production; factory_boy's SQLAlchemy factories would write rows
around them. Request bodies are dicts for the API, overridable with keyword arguments.
"""
