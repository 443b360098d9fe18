#!/usr/bin/env bash
# Install libfaketime (Debian's `faketime`) for `make test-dates` where it is missing and we may (root, apt-get).
set -u
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ci: libfaketime is missing and cannot be installed here" >&2
  exit 1
fi
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; } >&2
