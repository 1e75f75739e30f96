#!/bin/bash
# Stand-in for the official maven image's mvn-entrypoint.sh: copy the
# reference files (/usr/share/maven/ref) into $MAVEN_CONFIG (~/.m2) unless
# they are there already, then run the command.
set -e
if [ -n "${MAVEN_CONFIG:-}" ] && [ -d /usr/share/maven/ref ]; then
  mkdir -p "$MAVEN_CONFIG"
  (cd /usr/share/maven/ref && find . -type f) | while read -r f; do
    if [ ! -e "$MAVEN_CONFIG/$f" ]; then
      mkdir -p "$(dirname "$MAVEN_CONFIG/$f")"
      cp -p "/usr/share/maven/ref/$f" "$MAVEN_CONFIG/$f" 2>/dev/null || true
    fi
  done
fi
unset MAVEN_CONFIG
exec "$@"
