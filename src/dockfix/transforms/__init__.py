"""The rules.  One module per rule (or small family); every ``Rule``
subclass defined in a module here is discovered by ``dockfix.rules.registry``.

To add a rule: create ``DFnnn_short_name.py``-style module (any name not
starting with ``_``), subclass :class:`dockfix.rules.Rule`, document it with
the sections *What it does*, *Why*, *Example*, *Fix safety*, and add golden
cases under ``fixtures/DFnnn/``.
"""
