"""DF5xx instructions: modern, unambiguous syntax.

One module per rule, named after the rule; helpers shared by the
family's rules sit beside them in modules starting with ``_``."""
