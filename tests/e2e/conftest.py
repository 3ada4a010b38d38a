"""pytest fixtures for hardrun's end-to-end suite: real engines, each private to the test module.

Run as root:  /usr/bin/python3 -m pytest -v tests/e2e
Environment:
  HARDRUN_BIN              the hardrun binary (default <repo>/build/hardrun)
  CI=true                  missing prerequisites (root, the binary) fail instead of skip
  HARDRUN_E2E_KEEP_LOGS=D  copy daemon logs to D before the temp dirs are removed
  HARDRUN_DOCKER_CLI, HARDRUN_DOCKERD, HARDRUN_CONTAINERD, HARDRUN_CTR, HARDRUN_PODMAN,
  HARDRUN_RUNC             override the engine binaries (see tests/lib/daemons.py)

Fixtures (require_root and hardrun_bin come from tests/conftest.py):
  dockerd           module scope: PrivateDockerd with runtime "hardrun" -> hardrun_bin and the
                    test image (dockerd.image) imported
  containerd        module scope: PrivateContainerd with the test image (containerd.image)
  podman            module scope: PrivatePodman with --runtime hardrun_bin and the test image
  private_dockerd   factory: private_dockerd(runtimes, **kwargs) -> started PrivateDockerd with
                    the test image, stopped at the end of the test
  test_image        the image name ("hardrun-test/busybox:latest")
"""

import contextlib

import pytest

import daemons


@pytest.fixture(scope="session")
def test_image():
    return daemons.DEFAULT_IMAGE


@pytest.fixture(scope="module")
def dockerd(require_root, hardrun_bin):
    with daemons.PrivateDockerd({"hardrun": {"path": hardrun_bin}}) as d:
        d.image = d.import_image()
        yield d


@pytest.fixture(scope="module")
def containerd(require_root):
    with daemons.PrivateContainerd() as c:
        c.image = c.import_image()
        yield c


@pytest.fixture(scope="module")
def podman(require_root, hardrun_bin):
    with daemons.PrivatePodman(runtime=hardrun_bin) as p:
        p.image = p.import_image()
        yield p


@pytest.fixture
def private_dockerd(require_root):
    """Factory for extra daemons (other runtimes or daemon.json); all stopped after the test."""
    with contextlib.ExitStack() as stack:
        def make(runtimes=None, import_image=True, **kwargs):
            d = stack.enter_context(daemons.PrivateDockerd(runtimes or {}, **kwargs))
            d.image = d.import_image() if import_image else None
            return d
        yield make
