"""``python -m dockfix``: the command line."""

from ._entry import main

if __name__ == "__main__":
    main()
