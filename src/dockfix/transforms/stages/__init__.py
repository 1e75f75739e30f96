"""DF3xx stages and base images: builder/runtime splits, slim runtime bases.

One module per rule, named after the rule; helpers shared by the
family's rules sit beside them in modules starting with ``_``."""
