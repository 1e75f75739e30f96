"""The rules, grouped by family as ruff groups rules by linter.

``transforms/<family>/<rule name>.py`` holds one rule (a ``Rule`` subclass
whose ``name`` the module is named after, dashes as underscores); modules
starting with ``_`` hold helpers shared by a family's rules.  The families:
``packages`` (DF1xx), ``layers`` (DF2xx), ``security`` (DF4xx),
``instructions`` (DF5xx), ``context`` (DF6xx); ``stages`` (DF3xx) comes next.
``dockfix.rules.registry`` discovers every rule.

To add a rule: create ``transforms/<family>/<rule_name>.py``, subclass
:class:`dockfix.rules.Rule`, document it with the sections *What it does*,
*Why*, *Example*, *Fix safety*, read what it needs from ``ctx.model`` (the
semantic model) and :mod:`dockfix.tools`, and add golden cases under
``fixtures/DFnnn/`` (cases that must change and cases that must not).
"""
