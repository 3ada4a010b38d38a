"""Root pytest configuration: fixtures every suite (integration, e2e) shares."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import testenv  # noqa: E402


@pytest.fixture(scope="session")
def require_root():
    if os.geteuid() != 0:
        testenv.skip_or_fail("needs root: runc, dockerd, containerd and podman run real containers")


@pytest.fixture(scope="session")
def hardrun_bin():
    path = testenv.hardrun_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        testenv.skip_or_fail("hardrun binary not found or not executable: %s (build it or set HARDRUN_BIN)" % path)
    return path
