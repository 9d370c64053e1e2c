#!/usr/bin/env python3
"""The images the Compose stack needs from registries: the `image:` of every service that is not built here
and the `FROM` of the Dockerfiles that are. Standard library only, so `make up` needs no virtual environment.

    python3 scripts/compose_images.py pull     `make up`'s first step: every image there, or a clear stop
    python3 scripts/compose_images.py check    `make lint`: each one pinned (config JSON on stdin)

`pull` runs before anything starts: an image that cannot be had (a repository gone from Docker Hub, no route
to a registry) is named with its registry and the ways out, and nothing is started.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCKER_HUB = "docker.io"
# The profiles that choose the S3 server (S3_SERVER in .env): the way out of a missing S3 image.
S3_SERVERS = ("seaweedfs", "minio")


@dataclass(frozen=True)
class Image:
    reference: str  # as written: [registry/]repository[:tag][@digest]
    needed_by: str  # the service, or the Dockerfile that starts FROM it
    profiles: tuple[str, ...] = ()

    @property
    def registry(self) -> str:
        first, _, rest = self.reference.partition("/")
        # Docker's rule: a first component with a dot or a port, or localhost, is a registry's host.
        if rest and ("." in first or ":" in first or first == "localhost"):
            return first
        return DOCKER_HUB

    @property
    def repository(self) -> str:
        name = self.reference.split("@")[0]
        if self.registry != DOCKER_HUB or name.startswith(f"{DOCKER_HUB}/"):
            name = name.partition("/")[2]
        last = name.rsplit("/", 1)[-1]
        return name[: len(name) - len(last)] + last.split(":")[0]

    @property
    def tag(self) -> str | None:
        last = self.reference.split("@")[0].rsplit("/", 1)[-1]
        return last.partition(":")[2] or None

    @property
    def digest(self) -> str | None:
        return self.reference.partition("@")[2] or None

    @property
    def official(self) -> bool:
        """One of Docker Hub's official images (`postgres`, `library/nginx`), which their maintainers
        rebuild under the same tag for security fixes: a tag pins the version and keeps the fixes."""
        return self.registry == DOCKER_HUB and self.repository.removeprefix("library/").count("/") == 0

    def pin_problem(self) -> str | None:
        if self.tag in (None, "latest"):
            return "has no version tag"
        if not self.official and not self.digest:
            return "is not an official image: pin it by tag and digest (name:tag@sha256:...)"
        return None


def images(config: dict[str, Any]) -> list[Image]:
    """Every image of the rendered Compose file (`docker compose config --format json`), once."""
    found: dict[str, Image] = {}
    for name, service in sorted(config["services"].items()):
        profiles = tuple(service.get("profiles", ()))
        if build := service.get("build"):
            dockerfile = Path(build["context"]) / build.get("dockerfile", "Dockerfile")
            stages = set()  # `FROM <an earlier stage>` needs no image
            for line in dockerfile.read_text().splitlines():
                words = line.split()
                if len(words) > 1 and words[0].upper() == "FROM" and words[1] not in stages:
                    found.setdefault(words[1], Image(words[1], str(dockerfile), profiles))
                if len(words) > 3 and words[0].upper() == "FROM" and words[2].upper() == "AS":
                    stages.add(words[3])
        elif "image" in service:
            found.setdefault(service["image"], Image(service["image"], f"service {name}", profiles))
    return list(found.values())


def check(config: dict[str, Any]) -> int:
    problems = [f"{image.reference} ({image.needed_by}) {problem}"
                for image in images(config) if (problem := image.pin_problem())]  # fmt: skip
    for problem in problems:
        print(f"compose_images: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("docker-compose.yml: every image pinned (official images by tag, the others by tag and digest)")
    return 0


def way_out(failed: list[Image]) -> list[str]:
    lines = []
    for server in {p for image in failed for p in image.profiles if p in S3_SERVERS}:
        (other,) = set(S3_SERVERS) - {server}
        lines.append(f'the other S3 server: S3_SERVER={other} in .env (README, "The images")')
    registries = sorted({image.registry for image in failed})
    lines += [
        f'a mirror: for Docker Hub, "registry-mirrors" in /etc/docker/daemon.json; for any registry, '
        f"`docker pull` where {', '.join(registries)} can be reached, `docker save` it, `docker load` here",
        "a proxy: give the Docker daemon HTTPS_PROXY (with systemd: `systemctl edit docker`), restart it",
        f"an account: `docker login {registries[0]}`, if the registry asks for one",
    ]
    return lines


def pull(docker: str) -> int:
    """Every image the stack needs, present or pulled; else names what failed and the way out, exit 1."""
    config = json.loads(
        subprocess.run(
            [docker, "compose", "config", "--format", "json"], capture_output=True, text=True, check=True
        ).stdout
    )
    failed: list[tuple[Image, str]] = []
    for image in images(config):
        inspect = [docker, "image", "inspect", image.reference]
        if subprocess.run(inspect, capture_output=True, check=False).returncode == 0:
            continue
        print(f"make up: pulling {image.reference} from {image.registry}", flush=True)
        result = subprocess.run([docker, "pull", "--quiet", image.reference], capture_output=True, text=True)
        if result.returncode:
            failed.append((image, (result.stderr or result.stdout).strip()))
    if not failed:
        return 0
    print(f"\nmake up: {len(failed)} image(s) cannot be had, so nothing was started:", file=sys.stderr)
    for image, error in failed:
        print(f"  - {image.reference} ({image.needed_by}) from the registry {image.registry}:\n"
              f"      {error}", file=sys.stderr)  # fmt: skip
    print("Ways out:", *(f"  - {line}" for line in way_out([image for image, _ in failed])),
          sep="\n", file=sys.stderr)  # fmt: skip
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["pull", "check"])
    parser.add_argument("--docker", default="docker", help="the docker CLI (default: docker on PATH)")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(json.load(sys.stdin))
    try:
        return pull(args.docker)
    except subprocess.CalledProcessError as exc:
        print(f"make up: `docker compose config` failed:\n{exc.stderr.strip()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
