"""`make up` pulls before it starts anything: an image that cannot be had is named with its registry and the
ways out, and nothing starts. The Docker sandbox's engine reaches no registry: the case a user meets when
an image left Docker Hub or the network is closed. Compose only (marker `compose`): `make compose-test`."""

import subprocess

import pytest
from e2e_settings import E2ESettings

pytestmark = pytest.mark.compose

SEAWEEDFS = "chrislusf/seaweedfs:4.48@sha256:4e61d15fd35994cb1e43e1e553dff106794841fd9a99ade2fc8c8bfce4d7872d"
MINIO = (
    "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"
    "@sha256:14cea493d9a34af32f524e538b8346cf79f3321eff8e708c1e2960462bd8936e"
)


@pytest.mark.parametrize(
    ("s3_server", "image", "registry", "other"),
    [("seaweedfs", SEAWEEDFS, "docker.io", "minio"), ("minio", MINIO, "quay.io", "seaweedfs")],
)
def test_an_image_that_cannot_be_pulled_stops_make_up_with_the_way_out(
    e2e: E2ESettings, s3_server: str, image: str, registry: str, other: str
) -> None:
    if not e2e.make_up_pull_command:
        pytest.fail("set E2E_MAKE_UP_PULL to the command of `make up`'s pull step on the engine under test")

    result = subprocess.run(
        [*e2e.make_up_pull_command, "--s3-server", s3_server], capture_output=True, text=True, timeout=600
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "image(s) cannot be had, so nothing was started:" in result.stderr
    assert f"  - {image} (service {s3_server}) from the registry {registry}:" in result.stderr
    assert f"the other S3 server: S3_SERVER={other} in .env" in result.stderr
    assert "registry-mirrors" in result.stderr
    assert "HTTPS_PROXY" in result.stderr
    # The images the sandbox built under their names were found, not asked for.
    assert "postgres:15-bookworm" not in result.stderr
