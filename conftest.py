"""Root pytest configuration: every test suite of the monorepo gets the devstack fixtures."""

pytest_plugins = ["devstack.pytest_plugin"]
