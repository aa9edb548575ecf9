"""The demo: ``flask --app gateway demo load`` (``load``) and ``make run`` (``runner``)."""
