"""devstack: starts, waits for and stops the real services of the project on 127.0.0.1.

One implementation serves both uses:
- `python -m devstack up|down|status|logs` (`make dev`): a persistent stack in the background, state in
  `.dev/` (see `devstack.__main__`);
- the pytest plugin `devstack.pytest_plugin`: a throwaway stack on free ports for the test session.

The five services (Postgres, SeaweedFS, FileAPI, the admin, nginx) are small classes, one module each in
`devstack.services`, started in the order of `SERVICES` by `devstack.stack.Stack`; the processes they run
are started, watched and stopped by PID through `devstack.processes`; settings come from
`devstack.settings`.
"""
