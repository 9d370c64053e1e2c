#!/bin/sh
# Creates the stack's buckets on the S3 server unless they exist: Compose's one-shot `minio-init`
# (image minio/mc) runs it before FileAPI and the admin start. It talks to S3_ENDPOINT_URL, so the
# buckets are made on whichever server the stack uses, the bundled MinIO or an external S3.
# The buckets stay private: every link the stack hands out is presigned (or goes through FileAPI).
# POSIX sh: the minio/mc image is minimal.
set -o errexit -o nounset

# mc keeps its aliases in a config directory: a temporary one, whichever user the image runs as.
# `alias set` also checks the endpoint and the keys (no --api: it probes the signature version).
config_dir=$(mktemp -d)
mc() { command mc --config-dir "${config_dir}" --quiet "$@"; }

if ! mc alias set stack "${S3_ENDPOINT_URL}" "${S3_ACCESS_KEY}" "${S3_SECRET_KEY}" >/dev/null; then
    echo "minio-init: cannot reach S3 at ${S3_ENDPOINT_URL} with S3_ACCESS_KEY/S3_SECRET_KEY." >&2
    echo "minio-init: the bundled MinIO runs with COMPOSE_PROFILES=minio (see .env.example)." >&2
    exit 1
fi

for bucket in "${FILE_API_BUCKET}" "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"; do
    mc mb --ignore-existing --region "${S3_REGION}" "stack/${bucket}"
done
