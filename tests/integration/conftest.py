"""Fixtures for tests that run real containers through hardrun and runc (no engine)."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from bundles import MKROOTFS, Bundle, Runtime
from testenv import skip_or_fail


@pytest.fixture(scope="session")
def rootfs(require_root, tmp_path_factory):
    if shutil.which("runc") is None:
        skip_or_fail("runc not installed")
    d = tmp_path_factory.mktemp("rootfs") / "rootfs"
    subprocess.run(["bash", MKROOTFS, str(d)], check=True, stdout=subprocess.DEVNULL)
    return str(d)


@pytest.fixture
def runtime(hardrun_bin, require_root):
    state = tempfile.mkdtemp(prefix="hardrun-it-state-", dir="/run")
    rt = Runtime(hardrun_bin, state)
    yield rt
    rt.cleanup()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def make_bundle(rootfs, tmp_path):
    count = [0]

    def make(*args):
        count[0] += 1
        path = tmp_path / ("bundle%d" % count[0])
        path.mkdir()
        b = Bundle(str(path), rootfs)
        if args:
            b.set_args(*args)
        return b
    return make


@pytest.fixture
def policy_file(tmp_path):
    """Write a policy file (root-owned, 0644) and return its path."""
    def write(policy, name="policy.json"):
        p = tmp_path / name
        p.write_text(json.dumps(policy))
        os.chmod(p, 0o644)
        return str(p)
    return write
