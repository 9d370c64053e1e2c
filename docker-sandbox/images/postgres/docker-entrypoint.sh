#!/usr/bin/env bash
# The parts of the official postgres image's entrypoint this repository relies on, written anew:
# - as root: make PGDATA the postgres user's, then run again as that user;
# - on an empty PGDATA: initdb with POSTGRES_USER / POSTGRES_PASSWORD, create POSTGRES_DB, allow password
#   logins from any address (scram-sha-256), and run /docker-entrypoint-initdb.d/* (*.sh executed when
#   executable, sourced otherwise; *.sql through psql) against a server that listens on its socket only;
# - then exec the command (`postgres`).
set -o errexit -o pipefail -o nounset
shopt -s nullglob

if [[ "$(id -u)" == 0 ]]; then
    mkdir -p "${PGDATA}"
    chown postgres:postgres "${PGDATA}"
    chmod 700 "${PGDATA}"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [[ ! -s "${PGDATA}/PG_VERSION" ]]; then
    : "${POSTGRES_PASSWORD:?is required: the official image refuses to start without it too}"
    export POSTGRES_USER="${POSTGRES_USER:-postgres}"
    POSTGRES_DB="${POSTGRES_DB:-${POSTGRES_USER}}"
    initdb --username="${POSTGRES_USER}" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD}") \
        --encoding=UTF8 ${POSTGRES_INITDB_ARGS:-}
    printf '\nhost all all all scram-sha-256\n' >>"${PGDATA}/pg_hba.conf"

    pg_ctl --silent --wait --options="-c listen_addresses='' -p 5432" start
    export PGUSER="${POSTGRES_USER}" PGDATABASE=postgres
    if [[ "${POSTGRES_DB}" != postgres ]]; then
        psql --no-psqlrc -v ON_ERROR_STOP=1 -v name="${POSTGRES_DB}" <<<"CREATE DATABASE :\"name\";"
    fi
    for file in /docker-entrypoint-initdb.d/*; do
        case "${file}" in
            *.sh)
                echo "docker-entrypoint: running ${file}"
                if [[ -x "${file}" ]]; then "${file}"; else . "${file}"; fi
                ;;
            *.sql)
                echo "docker-entrypoint: running ${file}"
                psql --no-psqlrc -v ON_ERROR_STOP=1 --dbname "${POSTGRES_DB}" -f "${file}"
                ;;
            *) echo "docker-entrypoint: ignoring ${file}" ;;
        esac
    done
    pg_ctl --silent --wait -m fast stop
    echo "docker-entrypoint: the database is initialised"
fi

exec "$@"
