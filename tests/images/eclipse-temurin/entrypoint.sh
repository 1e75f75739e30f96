#!/usr/bin/env bash
# Stand-in for the official eclipse-temurin image's /__cacert_entrypoint.sh.
# The official script imports extra CA certificates into Java's trust store
# when USE_SYSTEM_CA_CERTS is set; here Debian's ca-certificates-java keeps
# /etc/ssl/certs/java/cacerts in step with the system store already, so all
# that is left is to run the command.
set -e
exec "$@"
