"""The distribution's runc as hardrun's delegate (runc 1.1 on bookworm and trixie, 1.3 on sid):
what callers parse from the runtime (pass-through output, `features`, `--version`, the errors in
the `--log` file in runc's JSON format) is the runtime's own, through hardrun."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from guestlib import HARDRUN, IN, guest_only, run

RUNC = shutil.which("runc")


@pytest.fixture
def bundle():
    """A busybox bundle from `runc spec` (the runtime's own template), and a private state root."""
    guest_only()
    work = tempfile.mkdtemp(prefix="hardrun-runtime-", dir="/var/tmp")
    os.chmod(work, 0o711)
    path = os.path.join(work, "bundle")
    os.makedirs(os.path.join(path, "rootfs"))
    run("tar", "-C", os.path.join(path, "rootfs"), "-xf", os.path.join(IN, "busybox.tar"))
    run(RUNC, "spec", "--bundle", path)
    root = os.path.join(work, "state")
    yield path, root, work
    for tool in (HARDRUN, RUNC):
        for cid in run(tool, "--root", root, "list", "-q", check=False).stdout.split():
            run(tool, "--root", root, "delete", "--force", cid, check=False)
    shutil.rmtree(work, ignore_errors=True)


def edit(path, change):
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    change(config)
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(config, f)


def log_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_pass_through_output_is_the_runtimes(bundle):
    _, root, _ = bundle
    for args in (["state", "no-such-container"], ["list", "--format", "json"], ["features"], ["ps", "nope"],
                 ["kill", "nope", "9"]):
        a = run(HARDRUN, "--root", root, *args, check=False)
        b = run(RUNC, "--root", root, *args, check=False)
        # runc's own error lines carry a timestamp: compare with it removed.
        strip = lambda s: "\n".join(l.split(" level=", 1)[-1] for l in s.splitlines())  # noqa: E731
        assert (a.returncode, a.stdout, strip(a.stderr)) == (b.returncode, b.stdout, strip(b.stderr)), args
    features = json.loads(run(HARDRUN, "features").stdout)
    assert features["ociVersionMax"] and "linux" in features, features


def test_version_ends_with_the_runtimes():
    guest_only()
    ours = run(HARDRUN, "--version").stdout
    theirs = run(RUNC, "--version").stdout
    assert ours.startswith("hardrun version ") and ours.endswith("runtime: %s\n%s" % (RUNC, theirs)), ours


def test_a_runtime_error_reaches_the_log_as_the_runtime_wrote_it(bundle):
    """A create that runc itself fails (the process does not exist): the caller's --log file gets
    runc's own JSON line through hardrun, as without it; a refusal by hardrun has the same shape."""
    path, root, work = bundle
    edit(path, lambda c: c["process"].update(args=["/no-such-program"], terminal=False))
    logs = {}
    for name, tool in (("runc", RUNC), ("hardrun", HARDRUN)):
        logs[name] = os.path.join(work, name + ".log")
        r = run(tool, "--root", root, "--log", logs[name], "--log-format", "json", "create", "--bundle", path,
                "c-" + name, check=False)
        assert r.returncode != 0, (name, r.stdout, r.stderr)
        subprocess.run([tool, "--root", root, "delete", "--force", "c-" + name], capture_output=True)
    runc_last, hardrun_last = log_lines(logs["runc"])[-1], log_lines(logs["hardrun"])[-1]
    assert set(runc_last) == set(hardrun_last) == {"level", "msg", "time"}, (runc_last, hardrun_last)
    assert hardrun_last["level"] == runc_last["level"] == "error"
    assert "no-such-program" in runc_last["msg"] and hardrun_last["msg"] == runc_last["msg"], (runc_last, hardrun_last)

    # hardrun's own refusal (the host's root bound into the container), in the same format.
    edit(path, lambda c: c["mounts"].append({"destination": "/host", "type": "bind", "source": "/",
                                             "options": ["rbind"]}))
    refusal = os.path.join(work, "refusal.log")
    r = run(HARDRUN, "--root", root, "--log", refusal, "--log-format", "json", "create", "--bundle", path, "c-refused",
            check=False)
    assert r.returncode != 0
    last = log_lines(refusal)[-1]
    assert set(last) == {"level", "msg", "time"} and last["level"] == "error", last
    assert last["msg"].startswith("hardrun: ") and "/mounts/" in last["msg"], last
