#!/usr/bin/env python3
"""The secret scan of `make lint`: detect-secrets over the repository's tracked files against the audited
baseline `.secrets.baseline`. Fails on a secret the baseline does not list, or lists without an audit
saying it is not a secret (`is_secret: false`): the public development values, test fixtures.

Read-only, unlike detect-secrets' own pre-commit hook (which rewrites the baseline when lines move): a
listed secret matches by file and value, whatever its line. After an audited change:
    detect-secrets scan --baseline .secrets.baseline && detect-secrets audit .secrets.baseline
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from detect_secrets.core import baseline

from devstack.settings import REPO_ROOT

BASELINE = ".secrets.baseline"


def problems(root: Path) -> list[str]:
    with contextlib.chdir(root):  # detect-secrets names files relative to the working directory
        listed = baseline.load(baseline.load_from_file(BASELINE), filename=BASELINE)
        found = baseline.create(".")
    unlisted = [
        f"{filename}:{secret.line_number}: {secret.type} not in {BASELINE}"
        for filename, secret in found - listed
    ]
    unaudited = [
        f"{filename}:{secret.line_number}: {secret.type} listed in {BASELINE} but not audited as no secret"
        for filename, secret in listed
        if secret.is_secret is not False
    ]
    return unlisted + unaudited


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="a git work tree (default: this one)")
    found = problems(parser.parse_args().root)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(
            f"check-secrets: {len(found)} finding(s). Remove the secret (read it from the environment), or, "
            "if it is none, audit it into the baseline (see scripts/check_secrets.py).",
            file=sys.stderr,
        )
        return 1
    print(f"check-secrets: no secret outside {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
