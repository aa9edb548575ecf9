"""gunicorn settings read from the repository root (``gunicorn -c gunicorn.conf.py`` elsewhere).

The access log names the method and path but never the query string or the Referer: a query
string may hold personal data (an attachment's file name, a search) and the log keeps it.

Workers and threads are the figures ``make bench`` measured best on a 2-core host (README,
"Performance"); override them per host with ``GUNICORN_CMD_ARGS="--workers 8"``.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss %({x-request-id}o)s'
workers = 2
worker_class = "sync"


def post_worker_init(worker) -> None:
    """Keep the app's long-lived objects out of the cyclic collector and collect young objects
    less often: a request allocates thousands of short-lived objects (rows, ORM states,
    dicts), and the default threshold (700) collects many times per request."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
