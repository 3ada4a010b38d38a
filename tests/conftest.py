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


POLICY_RUNTIME_RECORDS = "/run/hardrun/policy-runtime"


@pytest.fixture(scope="session", autouse=True)
def remove_policy_runtime_records_made_here():
    """Pass-through calls through a settled policy file leave a record of its "runtime" under
    /run/hardrun/policy-runtime (src/policy/runtime_record.hpp); the tests' policy files are
    their own, so are those records: removed at the end of the session."""
    def records():
        try:
            return set(os.listdir(POLICY_RUNTIME_RECORDS))
        except OSError:
            return set()
    before = records()
    yield
    if os.geteuid() == 0:
        for name in records() - before:
            try:
                os.unlink(os.path.join(POLICY_RUNTIME_RECORDS, name))
            except OSError:
                pass
