#!/bin/sh
# Creates the stack's buckets on the S3 server unless they exist, and on MinIO a user per service allowed
# only its buckets' objects: Compose's one-shot `minio-init` (image minio/mc) runs it before FileAPI and
# the admin start. It talks to S3_ENDPOINT_URL, so the
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

# What a service's key may do: the objects and multipart uploads of its buckets; no other bucket, no
# bucket creation, no administration.
policy_for() {  # BUCKET... -> the policy document
    resources=
    for bucket in "$@"; do
        resources="${resources:+${resources}, }\"arn:aws:s3:::${bucket}\", \"arn:aws:s3:::${bucket}/*\""
    done
    cat <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
  "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
  "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
  "Resource": [${resources}]}]}
JSON
}

service_user() {  # POLICY_NAME ACCESS_KEY SECRET_KEY BUCKET...
    name=$1 access_key=$2 secret_key=$3
    shift 3
    # The secret on stdin (mc reads it there when it is not given), not on the command line.
    printf '%s\n' "${secret_key}" | mc admin user add stack "${access_key}" >/dev/null
    policy_for "$@" >"${config_dir}/${name}.json"
    mc admin policy create stack "${name}" "${config_dir}/${name}.json" >/dev/null
    # Attaching fails when the policy is attached already (a second run); then there is nothing to do.
    if ! mc admin policy attach stack "${name}" --user "${access_key}" >/dev/null 2>&1; then
        mc admin user info stack "${access_key}" | grep -q "${name}"
    fi
    echo "minio-init: ${access_key} may use ${*} only"
}

# Users and policies are MinIO's administration API: an external S3 (AWS...) has its own IAM, where
# FILE_API_S3_* and ADMIN_S3_* are created by hand.
if mc admin info stack >/dev/null 2>&1; then
    service_user file-api "${FILE_API_S3_ACCESS_KEY}" "${FILE_API_S3_SECRET_KEY}" "${FILE_API_BUCKET}"
    service_user admin-panel "${ADMIN_S3_ACCESS_KEY}" "${ADMIN_S3_SECRET_KEY}" \
        "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"
else
    echo "minio-init: not a MinIO server: create the keys FILE_API_S3_* and ADMIN_S3_* in its own IAM" >&2
fi
