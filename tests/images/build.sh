#!/bin/sh
# Build the local stand-ins for the official images (python:3.11, node:18,
# golang:1.19, rust:1.63, eclipse-temurin:17, maven, distroless…) that are
# missing or out of date; a second run only checks.  Needs buildah set up by
# ../shared/tools/buildah-setup.sh.  The table and the logic are in
# tests/standins.py.
#   tests/images/build.sh                 # all of them
#   tests/images/build.sh python:3.11     # one (and its bases)
#   tests/images/build.sh --force ...     # rebuild
#   tests/images/build.sh list            # what is there, and sizes
set -eu
here=$(dirname "$0")
if [ "${1:-}" = list ]; then
  exec python3 "$here/../standins.py" list
fi
exec python3 "$here/../standins.py" build "$@"
