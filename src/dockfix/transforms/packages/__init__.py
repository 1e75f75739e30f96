"""DF1xx package managers: apt-get/apt, apk, pip/uv, npm/yarn, yum/dnf/zypper hygiene inside RUN.

One module per rule, named after the rule; helpers shared by the
family's rules sit beside them in modules starting with ``_``."""
