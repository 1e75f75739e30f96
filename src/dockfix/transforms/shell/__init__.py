"""DF7xx shell: what ShellCheck finds inside ``RUN`` scripts, fixed with
ShellCheck's own replacements where dockfix's model proves them safe, and
the shell-level hadolint rules (DL4001 one download tool).

One module per rule, named after the rule; helpers shared by the family
start with ``_``."""
