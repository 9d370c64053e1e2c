#!/bin/sh
# The sandbox's `minio-init`: what minio/init.sh does with `mc mb --ignore-existing`, through the S3 API
# with curl's SigV4 signing: checks the endpoint and the keys, then creates each private bucket unless it
# exists. Reads the same variables as minio/init.sh.
set -o errexit -o nounset

s3() {  # METHOD BUCKET -> the HTTP status (000 when S3 cannot be reached)
    # The keys reach curl on stdin (a config file), never on its command line, as minio/init.sh keeps
    # them out of mc's.
    printf 'user = "%s:%s"\n' "${S3_ACCESS_KEY}" "${S3_SECRET_KEY}" |
        curl --config - --silent --output /dev/null --write-out '%{http_code}' --max-time 10 \
            --aws-sigv4 "aws:amz:${S3_REGION}:s3" --request "$1" "${S3_ENDPOINT_URL%/}/$2" || true
}

for bucket in "${FILE_API_BUCKET}" "${ADMIN_S3_BUCKET}" "${ADMIN_MINIO_BUCKET}"; do
    status=$(s3 HEAD "${bucket}")
    if [ "${status}" = 404 ]; then
        status=$(s3 PUT "${bucket}")
        [ "${status}" = 200 ] && echo "create-buckets: created ${bucket}"
    elif [ "${status}" = 200 ]; then
        echo "create-buckets: ${bucket} exists"
    fi
    if [ "${status}" != 200 ]; then
        echo "create-buckets: ${S3_ENDPOINT_URL} answered ${status} for bucket ${bucket}" \
            "(000: unreachable; 403: wrong S3_ACCESS_KEY/S3_SECRET_KEY)" >&2
        exit 1
    fi
done
