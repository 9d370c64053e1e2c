#!/usr/bin/env bash
# Creates each service's login role and database unless they exist: FileAPI's (FILE_API_DB_USER owns
# FILE_API_DB_NAME) and the admin's (ADMIN_DB_USER owns ADMIN_DB_NAME). A role owns its database only: no
# superuser, no CREATEDB or CREATEROLE, and no access to the other database. The password is set at every
# run, so a changed one in .env takes effect at the next `make dev`.
# Compose: the official image runs it once, on an empty data directory (/docker-entrypoint-initdb.d).
# `make dev`: devstack runs it at every start, with PGHOST/PGPORT/PGPASSWORD pointing at its server.
set -o errexit -o pipefail -o nounset

psql_as_superuser() {
    psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname postgres "$@"
}

create_role_and_database() {  # ROLE PASSWORD DATABASE
    local role=$1 password=$2 database=$3 owner
    if [[ "${role}" == "${POSTGRES_USER}" ]]; then
        # The statements below would take the superuser's rights away.
        echo "postgres-init: ${role} is POSTGRES_USER, the superuser: give each service a role of its own." >&2
        exit 1
    fi
    # psql variables, quoted by format(): %I an identifier, %L a literal. \gexec runs each generated statement.
    psql_as_superuser -v role="${role}" -v password="${password}" -v database="${database}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')\gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password')\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')\gexec
-- By default every role may connect to a database (PUBLIC): here only its owner (and the superuser) may.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database')\gexec
SQL
    owner=$(psql_as_superuser --tuples-only --no-align -v database="${database}" \
        <<<"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'database'")
    if [[ "${owner}" != "${role}" ]]; then
        echo "postgres-init: the database ${database} belongs to ${owner}, not to ${role}: its data predates" \
            "the per-service roles. Start from empty data (\`make dev-down && rm -rf .dev/postgres\`, or" \
            "\`docker compose down --volumes\`), or give its objects to ${role} by hand." >&2
        exit 1
    fi
}

create_role_and_database "${FILE_API_DB_USER}" "${FILE_API_DB_PASSWORD}" "${FILE_API_DB_NAME}"
create_role_and_database "${ADMIN_DB_USER}" "${ADMIN_DB_PASSWORD}" "${ADMIN_DB_NAME}"
