#!/bin/sh
# Creates the stack's buckets on the S3 server unless they exist: Compose's one-shot `minio-init`
# (image minio/mc) runs it before FileAPI and the admin start. It talks to S3_ENDPOINT_URL, so the
# buckets are made on whichever server the stack uses, the bundled MinIO or an external S3.
# The buckets stay private: every link the stack hands out is presigned (or goes through FileAPI).
# POSIX sh: the minio/mc image is minimal.
set -o errexit -o nounset

# Percent-encodes one URL component (AWS secret keys hold `/` and `+`).
url_encode() {
    rest=$1
    encoded=
    while [ -n "${rest}" ]; do
        tail=${rest#?}
        char=${rest%"${tail}"}
        rest=${tail}
        case "${char}" in
            [A-Za-z0-9._~-]) encoded="${encoded}${char}" ;;
            *) encoded="${encoded}$(printf '%%%02X' "'${char}")" ;;
        esac
    done
    printf '%s' "${encoded}"
}

# mc takes the alias `stack` and its keys from MC_HOST_stack, so they never appear on a command line
# (which every process of the container can read in /proc). Its config directory: a temporary one.
scheme=${S3_ENDPOINT_URL%%://*}
MC_HOST_stack="${scheme}://$(url_encode "${S3_ACCESS_KEY}"):$(url_encode "${S3_SECRET_KEY}")@${S3_ENDPOINT_URL#*://}"
export MC_HOST_stack
config_dir=$(mktemp -d)
mc() { command mc --config-dir "${config_dir}" --quiet "$@"; }

if ! mc ls stack >/dev/null; then
    echo "minio-init: cannot reach S3 at ${S3_ENDPOINT_URL} with S3_ACCESS_KEY/S3_SECRET_KEY." >&2
    echo "minio-init: the bundled MinIO runs with COMPOSE_PROFILES=minio (see .env.example)." >&2
    exit 1
fi

for bucket in "${FILE_API_BUCKET}" "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"; do
    mc mb --ignore-existing --region "${S3_REGION}" "stack/${bucket}"
done
