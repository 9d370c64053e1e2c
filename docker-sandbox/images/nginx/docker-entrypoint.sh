#!/bin/sh
# The official nginx image's template rendering, written anew: every /etc/nginx/templates/**/X.template
# becomes /etc/nginx/conf.d/**/X, with envsubst replacing only the variables that are set and whose names
# match NGINX_ENVSUBST_FILTER (a grep -E pattern; all set variables when empty), so nginx's own $variables
# stay as they are. Then it execs the command (nginx -g 'daemon off;').
set -o errexit -o nounset

template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"

if [ -d "${template_dir}" ]; then
    names=$(env | cut -d= -f1 | grep -E "${NGINX_ENVSUBST_FILTER:-.}" || true)
    defined=$(printf '${%s} ' ${names})
    find "${template_dir}" -follow -type f -name "*${suffix}" | while read -r template; do
        relative="${template#"${template_dir}"/}"
        output="${output_dir}/${relative%"${suffix}"}"
        mkdir -p "$(dirname "${output}")"
        echo "docker-entrypoint: rendering ${template} to ${output}"
        envsubst "${defined}" <"${template}" >"${output}"
    done
fi

exec "$@"
