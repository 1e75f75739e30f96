"""DF9xx meta: rules about dockfix itself (its pragma comments).

One module per rule, named after the rule."""
