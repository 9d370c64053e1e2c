#!/usr/bin/env bash
# Creates the services' databases (FILE_API_DB_NAME, ADMIN_DB_NAME) unless they exist.
# Compose: the official image runs it once, on an empty data directory (/docker-entrypoint-initdb.d).
# `make dev`: devstack runs it at every start, with PGHOST/PGPORT/PGPASSWORD pointing at its server.
set -o errexit -o pipefail -o nounset

for database in "${FILE_API_DB_NAME}" "${ADMIN_DB_NAME}"; do
    # \gexec runs the generated statement only when the database is missing; %I quotes the name.
    psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres \
        -v name="${database}" <<'SQL'
SELECT format('CREATE DATABASE %I', :'name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')\gexec
SQL
done
