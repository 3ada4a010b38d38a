"""containerd (ctr run with hardrun as the runc binary) and podman (--runtime hardrun): the
controls inside real containers, and refusals reported to their users."""
import json
import os

import pytest

import daemons
from testenv import DEFAULT_ALLOW, cap_hex, proc_status

# podman's default RLIMIT_NOFILE/NPROC exceed this VM's hard limits (root lacks
# CAP_SYS_RESOURCE): ask for limits below any hard limit.
PODMAN_ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

# ctr's containers have no /sys/fs/cgroup mount: their limits are read from the bundle instead.
PROBE = ("grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
         "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo no-cgroupfs; touch /probe 2>/dev/null && echo rw || echo ro")


def assert_hardened(output, pids):
    lines = output.split("\n")
    status = proc_status("\n".join(lines[:3]))
    assert status["CapBnd"] == cap_hex(DEFAULT_ALLOW), output
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2", output
    assert lines[3:5] == [pids, "ro"], output


def ctr_bundle_config(containerd, cid):
    path = containerd.path("state", "io.containerd.runtime.v2.task", "hardrun-e2e", cid, "config.json")
    with open(path) as f:
        return json.load(f)


def test_ctr_run_through_hardrun(containerd, hardrun_bin):
    r = containerd.ctr("run", "--rm", *containerd.run_args(hardrun_bin), containerd.image, "hardrun-ctr-1",
                       "sh", "-c", PROBE)
    assert_hardened(r.stdout, "no-cgroupfs")
    containerd.ctr("run", "-d", *containerd.run_args(hardrun_bin), containerd.image, "hardrun-ctr-4", "sleep", "300")
    try:
        config = ctr_bundle_config(containerd, "hardrun-ctr-4")
        assert config["linux"]["resources"]["pids"]["limit"] == 1024
        assert config["root"]["readonly"] is True
        r = containerd.ctr("tasks", "exec", "--exec-id", "probe", "hardrun-ctr-4", "sh", "-c", PROBE)
        assert_hardened(r.stdout, "no-cgroupfs")
    finally:
        containerd.ctr("tasks", "kill", "-s", "SIGKILL", "hardrun-ctr-4", check=False)
        containerd.ctr("tasks", "delete", "hardrun-ctr-4", check=False)
        containerd.ctr("containers", "delete", "hardrun-ctr-4", check=False)


def test_ctr_privileged_is_neutralised(containerd, hardrun_bin):
    r = containerd.ctr("run", "--rm", "--privileged", *containerd.run_args(hardrun_bin), containerd.image,
                       "hardrun-ctr-2", "sh", "-c", PROBE)
    assert_hardened(r.stdout, "no-cgroupfs")


def test_ctr_refusal_reaches_the_user(containerd, hardrun_bin):
    # ctr --net-host shares the host's network namespace: refused, with hardrun's reason.
    r = containerd.ctr("run", "--rm", "--net-host", *containerd.run_args(hardrun_bin), containerd.image,
                       "hardrun-ctr-3", "true", check=False)
    assert r.returncode != 0
    assert "hardrun: policy violation" in r.stderr and "network namespace" in r.stderr, r.stderr


def test_podman_run_through_hardrun(podman):
    r = podman.podman("run", "--rm", "--network", "none", *PODMAN_ULIMITS, podman.image, "sh", "-c", PROBE)
    assert_hardened(r.stdout, "2048")  # podman's own default pids limit, under hardrun's ceiling


def test_podman_exec_and_refusal(podman):
    name = "hardrun-podman-%d" % os.getpid()
    podman.podman("run", "-d", "--name", name, "--network", "none", *PODMAN_ULIMITS, podman.image, "sleep", "300")
    try:
        r = podman.podman("exec", "--privileged", name, "grep", "CapBnd", "/proc/self/status")
        assert cap_hex(DEFAULT_ALLOW) in r.stdout
    finally:
        podman.podman("rm", "-f", name, check=False)
    r = podman.podman("run", "--rm", "--pid", "host", *PODMAN_ULIMITS, podman.image, "true", check=False)
    assert r.returncode != 0
    assert "hardrun: policy violation" in r.stderr and "pid namespace" in r.stderr, r.stderr


def test_podman_finds_hardrun_by_name_from_hardrun_setup_podman(hardrun_bin, tmp_path):
    """`hardrun setup podman` writes containers.conf; podman then knows the runtime by its name,
    as its default with --default, and still knows its own runtimes."""
    import subprocess
    conf = tmp_path / "containers.conf"
    original = '# the administrator\'s\n[engine]\nevents_logger = "file"\n'
    conf.write_text(original)
    r = subprocess.run([hardrun_bin, "setup", "podman", "--conf", str(conf), "--default"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with daemons.PrivatePodman(containers_conf=str(conf)) as p:
        image = p.import_image()
        for flags in (("--runtime", "hardrun"), ()):
            r = p.podman(*flags, "run", "--rm", "--network", "none", *PODMAN_ULIMITS, image, "sh", "-c", PROBE)
            assert_hardened(r.stdout, "2048")
        r = p.podman("--runtime", "runc", "run", "--rm", "--network", "none", *PODMAN_ULIMITS, image,
                     "grep", "CapBnd", "/proc/self/status")
        assert cap_hex(DEFAULT_ALLOW) not in r.stdout  # runc alone: podman's default capabilities
        r = p.podman("run", "--rm", "--pid", "host", *PODMAN_ULIMITS, image, "true", check=False)
        assert r.returncode != 0 and "hardrun: policy violation" in r.stderr, r.stderr
    # Undone, podman no longer knows the name.
    r = subprocess.run([hardrun_bin, "setup", "podman", "--conf", str(conf), "--undo"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert conf.read_text() == original
    with daemons.PrivatePodman(containers_conf=str(conf)) as p:
        r = p.podman("--runtime", "hardrun", "info", check=False)
        assert r.returncode != 0 and 'OCI runtime "hardrun" not found' in r.stderr, r.stderr


def test_features_is_runcs(hardrun_bin):
    """containerd and podman read `features` (runc >= 1.1): hardrun answers with runc's JSON."""
    import subprocess
    ours = subprocess.run([hardrun_bin, "features"], capture_output=True, text=True, check=True).stdout
    runc = subprocess.run(["runc", "features"], capture_output=True, text=True, check=True).stdout
    assert json.loads(ours) == json.loads(runc)
