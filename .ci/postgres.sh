#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the PostgreSQL tests (tests/test_postgres.py) and print its URL.
# Prints nothing, and the tests skip, where that is not possible (not root, no apt-get, no network).
set -u
{
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then exit 0; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql || exit 0
  fi
  service postgresql start || exit 0
  su postgres -c "psql -qc \"DROP DATABASE IF EXISTS meetup_ci\"" || exit 0
  su postgres -c "psql -qc \"DROP ROLE IF EXISTS meetup_ci\"" || exit 0
  su postgres -c "psql -qc \"CREATE ROLE meetup_ci LOGIN PASSWORD 'meetup_ci'\"" || exit 0
  su postgres -c "createdb -O meetup_ci meetup_ci" || exit 0
} >&2
echo "postgresql+asyncpg://meetup_ci:meetup_ci@127.0.0.1/meetup_ci"
