"""linux.cgroupsPath naming an existing host cgroup: runc would take that cgroup (and its
processes) for the container's, so `pause` froze the host process there, `kill --all` killed it,
`update` rewrote its limits and `delete` removed the cgroup. hardrun refuses such a path."""
import json
import os
import signal
import subprocess
import time

import pytest


def hierarchies():
    """Where a cgroup can be made on this host: the pids v1 hierarchy, else the v2 one."""
    if os.path.isdir("/sys/fs/cgroup/pids"):
        return "/sys/fs/cgroup/pids"
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "/sys/fs/cgroup"
    pytest.fail("no pids cgroup hierarchy mounted")


@pytest.fixture
def victim():
    base = hierarchies()
    name = "hardrun-it-victim-%d" % os.getpid()
    d = os.path.join(base, name)
    os.mkdir(d)
    p = subprocess.Popen(["sleep", "300"])
    with open(os.path.join(d, "cgroup.procs"), "w") as f:
        f.write(str(p.pid))
    yield name, p
    p.kill()
    p.wait()
    for _ in range(50):
        try:
            os.rmdir(d)
            break
        except OSError:
            time.sleep(0.1)


@pytest.mark.parametrize("form", ["/{}", "{}", "/{}/.."])
def test_an_occupied_host_cgroup_is_refused(runtime, make_bundle, victim, form):
    name, process = victim
    b = make_bundle("true")
    b.edit(lambda c: c["linux"].update(cgroupsPath=form.format(name)))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1, r.stdout
    if form.endswith(".."):
        assert 'climbs with ".."' in r.stderr, r.stderr
    else:
        assert "holds host processes (pid %d in " % process.pid in r.stderr, r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0
    assert process.poll() is None  # alive, and in its own cgroup still
    with open("/proc/%d/cgroup" % process.pid) as f:
        assert name in f.read()


def test_a_fresh_cgroup_path_works(runtime, make_bundle):
    b = make_bundle("sleep", "30")
    path = "/hardrun-it-fresh-%d" % os.getpid()
    b.edit(lambda c: c["linux"].update(cgroupsPath=path))
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--detach", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    pid = json.loads(runtime.hardrun("state", cid).stdout)["pid"]
    with open("/proc/%d/cgroup" % pid) as f:  # seen from the host, outside its cgroup namespace
        assert path in f.read()
    runtime.hardrun("delete", "--force", cid)
