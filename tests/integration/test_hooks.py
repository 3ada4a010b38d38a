"""OCI hooks run on the host as root: hardrun lets through only the ones its policy names (an
exact path of a binary that is root's alone) and Docker's own network hook. Shown with real runc:
a refused hook never runs; an allowed one does."""
import json
import os
import pathlib
import tempfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def hook_dir():
    d = tempfile.mkdtemp(prefix="hardrun-it-hooks-", dir="/run")  # root's, 0700
    yield d
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
def test_a_hook_the_policy_does_not_name_never_runs(runtime, make_bundle, hook_dir, kind):
    marker = os.path.join(hook_dir, "ran")
    b = make_bundle("true")
    b.edit(lambda c: c.update(hooks={kind: [{"path": "/bin/sh", "args": ["sh", "-c", "touch " + marker]}]}))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1
    assert "runs /bin/sh on the host as root (%s hook)" % kind in r.stderr, r.stderr
    assert b.bytes() == before
    assert not os.path.exists(marker)
    # Plain runc runs it: the attack is real.
    if kind in ("prestart", "createRuntime", "poststart", "poststop"):
        plain = make_bundle("true")
        plain.edit(lambda c: c.update(hooks={kind: [{"path": "/bin/sh", "args": ["sh", "-c", "touch " + marker]}]}))
        runtime.runc("run", "--bundle", plain.path, runtime.new_id())
        assert os.path.exists(marker)


def test_a_hook_the_policy_names_runs(runtime, make_bundle, hook_dir, policy_file):
    hook = os.path.join(hook_dir, "hook")
    marker = os.path.join(hook_dir, "ran")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\ncat > %s\n" % marker)  # the container's state, on stdin
    os.chmod(hook, 0o755)
    shipped = json.loads((REPO / "profiles" / "policy.json").read_text())
    shipped["hooks"] = {"allow": [{"path": hook, "kinds": ["poststart"]}]}
    policy = ("--hardrun-policy", policy_file(shipped))
    b = make_bundle("true")
    b.edit(lambda c: c.update(hooks={"poststart": [{"path": hook, "args": ["hook"]}]}))
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid, pre=policy)
    assert r.returncode == 0, r.stderr
    assert json.loads(open(marker).read())["id"] == cid
    os.unlink(marker)
    # Named for poststart only; as a prestart hook it is refused. Writable by others: refused.
    b = make_bundle("true")
    b.edit(lambda c: c.update(hooks={"prestart": [{"path": hook, "args": ["hook"]}]}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=policy)
    assert r.returncode == 1 and "the policy allows it only as poststart" in r.stderr, r.stderr
    os.chmod(hook, 0o757)
    b = make_bundle("true")
    b.edit(lambda c: c.update(hooks={"poststart": [{"path": hook, "args": ["hook"]}]}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=policy)
    assert r.returncode == 1 and "is writable by others than root" in r.stderr, r.stderr
    assert not os.path.exists(marker)


@pytest.mark.parametrize("key", ["org.systemd.property.DeviceAllow", "run.oci.keep_original_groups", "org.criu.config"])
def test_annotations_the_runtime_acts_on_are_refused(runtime, make_bundle, key):
    b = make_bundle("true")
    b.edit(lambda c: c.setdefault("annotations", {}).update({key: "/dev/sda rwm"}))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "is an instruction to the runtime that acts on the host" in r.stderr, r.stderr
    assert key in r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0
