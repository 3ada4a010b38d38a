"""The e2e harness itself, with plain runc: no hardrun needed.

Proves that the private engines start, run a container, stay off the host's paths and
network, and leave nothing behind (processes, mounts, temp dirs), also after a test that
fails midway with its daemon killed.
"""

import hashlib
import os
import signal
import subprocess
import time

import pytest

import daemons

# podman's default RLIMIT_NOFILE (1048576) is above this VM's hard limit, and root here lacks
# CAP_SYS_RESOURCE: runc refuses it. Ask for limits below any hard limit.
PODMAN_ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def _leftovers(tmp, pids=()):
    """What a stopped engine left behind: the dir, mounts under it, live processes."""
    left = []
    if os.path.exists(tmp):
        left.append("dir %s exists" % tmp)
    mounts = daemons.mounts_under(tmp)
    if mounts:
        left.append("mounts %s" % mounts)
    alive = [p for p in pids if p and daemons.pid_alive(p)]
    if alive:
        left.append("pids alive %s" % alive)
    strays = daemons.pids_mentioning(tmp)
    if strays:
        left.append("processes naming %s: %s" % (tmp, strays))
    return left


@pytest.fixture(scope="module")
def plain_dockerd(require_root):
    with daemons.PrivateDockerd({}) as d:
        d.image = d.import_image()
        yield d


def test_image_is_reproducible(tmp_path):
    a, b = tmp_path / "a.tar", tmp_path / "b.tar"
    daemons.build_image_tar(str(a))
    time.sleep(1.1)  # a different wall clock must not change the bytes
    daemons.build_image_tar(str(b))
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(b.read_bytes()).hexdigest()


def test_docker_runc_echo(plain_dockerd):
    res = plain_dockerd.docker("run", "--rm", "--runtime", "runc", plain_dockerd.image, "echo", "hi")
    assert res.stdout == "hi\n"


def test_dockerd_is_private(plain_dockerd):
    d = plain_dockerd
    assert d.tmp.startswith("/tmp/hardrun-e2e-")
    args = daemons._cmdline_args(d.daemon_pid())
    for flag, value in (("--data-root", d.data_root), ("--exec-root", d.exec_root),
                        ("--pidfile", d.pidfile), ("-H", "unix://" + d.socket),
                        ("--containerd", d.containerd_socket)):
        assert args[args.index(flag) + 1] == value
    assert d.containerd_socket.startswith(d.tmp + "/")
    info = d.docker("info", "--format", "{{.DockerRootDir}}").stdout.strip()
    assert info == d.data_root
    cid = d.docker("run", "-d", "--runtime", "runc", d.image, "sleep", "1000").stdout.strip()
    try:
        # runc's state for the container lives under our exec-root, not /run/docker.
        assert os.path.exists(os.path.join(d.runc_root, cid, "state.json"))
        assert d.docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() == "true"
    finally:
        d.docker("rm", "-f", cid)
    # The host network is untouched: no docker0 bridge.
    assert not os.path.exists("/sys/class/net/docker0")


def test_dockerd_cleanup_leaves_nothing(require_root):
    d = daemons.PrivateDockerd({})
    with d:
        d.import_image()
        d.docker("run", "-d", "--runtime", "runc", daemons.DEFAULT_IMAGE, "sleep", "1000")
        pids = [d.daemon_pid(), d.containerd.proc.pid]
        assert daemons.mounts_under(d.tmp)  # overlay rootfs, netns: something to clean up
    assert _leftovers(d.tmp, pids) == []


def test_dockerd_cleanup_after_midway_failure(require_root):
    """A test that dies with its daemon SIGKILLed and containers running still cleans up."""
    d = daemons.PrivateDockerd({}, containerd="managed")
    pids = []
    with pytest.raises(RuntimeError, match="midway"):
        with d:
            d.import_image()
            d.docker("run", "-d", "--runtime", "runc", daemons.DEFAULT_IMAGE, "sleep", "1000")
            pids = [d.daemon_pid(),
                    daemons.read_pidfile(os.path.join(d.exec_root, "containerd", "containerd.pid"))]
            os.kill(d.daemon_pid(), signal.SIGKILL)
            raise RuntimeError("test failed midway")
    assert _leftovers(d.tmp, pids) == []


def test_containerd_ctr_run(require_root):
    c = daemons.PrivateContainerd()
    with c:
        image = c.import_image()
        res = c.ctr("run", "--rm", *c.run_args(), image, "smoke", "echo", "hi")
        assert res.stdout == "hi\n"
        pids = [c.proc.pid]
    assert _leftovers(c.tmp, pids) == []


def test_podman_run(require_root):
    p = daemons.PrivatePodman()
    with p:
        image = p.import_image()
        res = p.podman("run", "--rm", *PODMAN_ULIMITS, "--network", "none", image, "echo", "hi")
        assert res.stdout == "hi\n"
        p.podman("run", "-d", *PODMAN_ULIMITS, "--network", "none", image, "sleep", "1000")
    assert _leftovers(p.tmp) == []
    # runc's state went to /run/runc (podman passes no --root): nothing of ours is left there.
    if os.path.isdir(daemons.RUNC_DEFAULT_ROOT):
        out = subprocess.run(["grep", "-rl", p.tmp + "/", daemons.RUNC_DEFAULT_ROOT],
                             capture_output=True, text=True).stdout
        assert out == ""
