"""s3/init.sh's own shell functions, run by dash (a POSIX sh like the images'): the keys percent-encoded
into MC_HOST_stack, and the policy of a service's key on either server. (`mc` itself cannot be installed
here; the script's SeaweedFS half runs for real under `make dev`, devstack/tests/test_s3.py.)"""

from __future__ import annotations

import json
import re
import subprocess
from urllib.parse import quote, urlsplit

import pytest

from devstack.settings import REPO_ROOT

INIT_SCRIPT = REPO_ROOT / "s3" / "init.sh"


def call(function: str, *args: str) -> str:
    """Runs one function of the script, defined exactly as the script defines it."""
    script = INIT_SCRIPT.read_text()
    match = re.search(rf"^{function}\(\) {{.*?^}}$", script, re.MULTILINE | re.DOTALL)
    assert match, f"{function} is not defined in {INIT_SCRIPT.name}"
    result = subprocess.run(
        ["dash", "-c", f'{match[0]}\n{function} "$@"', function, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.mark.parametrize(
    "key", ["dev-access-key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "a:b@c%d e?f#g"]
)
def test_a_key_is_percent_encoded_for_mc_host(key: str) -> None:
    encoded = call("url_encode", key)

    assert encoded == quote(key, safe="")
    assert urlsplit(f"http://{encoded}:{encoded}@minio:9000").password == encoded  # one userinfo part


def test_a_service_policy_allows_the_objects_of_its_buckets_only() -> None:
    policy = json.loads(call("policy_for", "admin-films-s3", "admin-films-minio"))

    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == [
        "arn:aws:s3:::admin-films-s3",
        "arn:aws:s3:::admin-films-s3/*",
        "arn:aws:s3:::admin-films-minio",
        "arn:aws:s3:::admin-films-minio/*",
    ]
    assert not any("*" in action.removeprefix("s3:") for action in statement["Action"])
    assert "s3:CreateBucket" not in statement["Action"]
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"} <= set(statement["Action"])
