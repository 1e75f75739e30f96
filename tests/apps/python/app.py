"""A fixture app: prints a table with a PyPI package (tabulate)."""

import sys

from tabulate import tabulate

print(f"hello from python {sys.version_info.major}.{sys.version_info.minor}")
print(tabulate([["tabulate", "0.9.0"], ["layers", 3]], headers=["what", "value"]))
