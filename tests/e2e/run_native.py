"""`make e2e`: the end-to-end suite against the stack without Docker, once per storage backend.

One throwaway stack (Postgres, SeaweedFS, FileAPI, nginx) on free ports of 127.0.0.1; for each backend
the admin is started with that FILE_STORAGE_BACKEND, the suite runs through nginx, and the admin is
stopped again. Starting the rest once keeps the run short and changes nothing the suite sees: it
gets the backend as E2E_BACKEND. Everything is stopped at the end, also on failure.
Screenshots of the key pages, and a Playwright trace of any failure, go to e2e-artifacts/<backend>/.
"""

import sys
from dataclasses import replace

from suite import run_suite

from devstack.services import AdminPanel, FileAPI, Nginx, Postgres, SeaweedFS, storage_backends
from devstack.testing import running, throwaway


def main() -> int:
    backends = sys.argv[1:] or list(storage_backends())
    results: dict[str, int] = {}
    with (
        throwaway() as config,
        running(Postgres(config)),
        running(SeaweedFS(config)),
        running(FileAPI(config)),
        running(Nginx(config)) as nginx,
    ):
        for backend in backends:
            admin_config = replace(config, env={**config.env, "FILE_STORAGE_BACKEND": backend})
            with running(AdminPanel(admin_config)):
                print(f"== e2e with FILE_STORAGE_BACKEND={backend}", flush=True)
                # The Compose-only tests drive `docker compose`: not for this stack.
                results[backend] = run_suite(nginx.address, admin_config.env, backend, "-m", "not compose")
    passed = [backend for backend, code in results.items() if code == 0]
    failed = [backend for backend, code in results.items() if code != 0]
    print(f"e2e backends passed: {', '.join(passed) or 'none'}; failed: {', '.join(failed) or 'none'}")
    # The plain summary CI reads: one line per run of the suite, one run per backend.
    print(f"e2e: {len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
