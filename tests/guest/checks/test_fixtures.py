"""The engines of this guest are ones hardrun's unit and replay tests know: tests/fixtures holds
what each of them, at this major.minor version, hands a runtime (recaptured with
`tests/guest/run SUITE --command 'tests/fixtures/recapture.py ...'`, tests/fixtures/README.md).
A distribution that moves to a version nobody captured fails here until someone does."""
import os
import sys

import pytest

from guestlib import SRC, guest_only

FIXTURES = os.path.join(SRC, "tests", "fixtures")
sys.path.insert(0, FIXTURES)
from recapture import major_minor  # noqa: E402  (the names the fixtures were captured under)


# Per engine: the version command, and the files a capture of that version writes.
ENGINES = {
    "docker": (("dockerd", "--version"), ("default.json", "privileged.json", "exec-process.json",
                                          "update-resources.json")),
    "containerd": (("containerd", "--version"), ("ctr.json", "ctr-exec-process.json", "cri-sandbox.json",
                                                 "cri-container.json", "cri-exec-process.json")),
    "podman": (("podman", "--version"), ("json", "exec-process.json")),
    "runc": (("runc", "--version"), ("spec.json",)),
}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_this_guests_engine_version_has_captured_fixtures(engine):
    guest_only()
    argv, files = ENGINES[engine]
    version = "%s-%s" % (engine, major_minor(list(argv)))
    missing = [f for f in files if not os.path.exists(os.path.join(FIXTURES, "%s%s%s" % (
        version, "." if f == "json" else "-", f)))]
    assert not missing, "%s: no fixture %s in tests/fixtures (recapture in this guest)" % (version, missing)
    callers = {"docker": [version], "containerd": [version, version + "-cri"], "podman": [version], "runc": []}
    for caller in callers[engine]:
        assert os.path.exists(os.path.join(FIXTURES, "argv", caller + ".txt")), caller
