"""DF2xx layers and cache: merging RUNs, BuildKit cache mounts, lockfile-first COPY, the syntax directive.

One module per rule, named after the rule; helpers shared by the
family's rules sit beside them in modules starting with ``_``."""
