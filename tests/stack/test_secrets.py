"""Secrets: the services' lists of public development values are .env.example's `CHANGE` values, and the
secret scan of `make lint` passes on the repository and fails on a planted secret."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from config import app_env as admin_app_env
from devstack.settings import ENV_EXAMPLE, REPO_ROOT
from file_api import app_env as file_api_app_env

CHECK_SECRETS = REPO_ROOT / "scripts" / "check_secrets.py"


def marked_change() -> dict[str, str]:
    """The settings .env.example marks as secrets: a comment saying CHANGE right above the assignment."""
    values = dotenv_values(ENV_EXAMPLE)
    names, marked = [], False
    for line in ENV_EXAMPLE.read_text().splitlines():
        if not line.strip():
            marked = False
        elif line.startswith("#"):
            marked = marked or "CHANGE" in line.split()
        elif "=" in line:
            if marked:
                names.append(line.split("=", 1)[0])
            marked = False
    return {name: values[name] or "" for name in names}


def test_the_admin_knows_every_public_secret_of_env_example() -> None:
    assert marked_change() == admin_app_env.DEVELOPMENT_SECRETS
    assert set(admin_app_env.SECRETS) == set(marked_change())


def test_file_api_knows_the_public_values_of_the_secrets_it_reads(services: dict[str, Any]) -> None:
    reads = set(services["file_api"]["environment"])
    public = {name.lower(): value for name, value in marked_change().items() if name in reads}

    assert public == file_api_app_env.DEVELOPMENT_SECRETS
    assert set(file_api_app_env.SECRETS) == set(public)


def check_secrets(root: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(CHECK_SECRETS), "--root", str(root)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_the_secret_scan_passes_on_the_repository() -> None:
    result = check_secrets(REPO_ROOT)

    assert result.returncode == 0, result.stderr
    assert "no secret outside .secrets.baseline" in result.stdout


def test_the_secret_scan_fails_on_a_planted_secret(tmp_path: Path) -> None:
    """A work tree with the repository's baseline and one tracked file holding a token."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    shutil.copy(REPO_ROOT / ".secrets.baseline", tmp_path)
    (tmp_path / "settings.py").write_text(f'API_TOKEN = "{secrets.token_hex(20)}"\n')
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)

    result = check_secrets(tmp_path)

    assert result.returncode == 1
    assert "settings.py:1: " in result.stderr
    assert "not in .secrets.baseline" in result.stderr
