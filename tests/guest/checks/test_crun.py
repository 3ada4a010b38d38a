"""crun as the real runtime behind hardrun (the policy's "runtime"), on the distributions that
ship it (trixie, sid; bookworm has no crun and collects no test here): Docker, podman and a CRI
pod through hardrun, then crun, get every control, and it is crun that ran them (its state files,
not runc's, are in the runtime's root)."""
import glob
import json
import os
import shutil

import pytest

from guestlib import ALLOW, HARDRUN, IMAGE, IN, PIDS_MAX, SRC, cap_names, proc_status, reload_docker, run, wait_for
from test_cri import CONFIG, cri, run_app_pod  # noqa: F401  (cri: the module's CRI fixture)

CRUN = shutil.which("crun")
PROFILE = "/usr/local/share/hardrun/profiles/crun.json"
LINK = "/usr/local/sbin/hardrun-crun"
# What each container reports about itself: the controls, read from the kernel inside.
PROBE = ("cat /proc/1/status; echo uid_map $(cat /proc/self/uid_map); echo pids.max $(cat /sys/fs/cgroup/pids.max); "
         "touch /probe 2>/dev/null && echo root-writable || echo root-read-only")


@pytest.fixture(scope="module")
def crun_profile():
    """The shipped policy with "runtime": crun, as the profile hardrun-crun picks."""
    policy = json.load(open(os.path.join(SRC, "profiles", "policy.json")))
    policy["runtime"] = CRUN
    with open(PROFILE, "w") as f:
        json.dump(policy, f)
    os.chmod(PROFILE, 0o644)
    if not os.path.lexists(LINK):
        os.symlink("hardrun", LINK)
    yield "hardrun-crun"
    os.unlink(PROFILE)
    os.unlink(LINK)


def assert_hardened(out):
    status = proc_status(out)
    for field in ("CapBnd", "CapEff"):
        assert cap_names(status[field]) == sorted(ALLOW), field
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2", status
    lines = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in out.splitlines() if l.startswith(("uid_map", "pids.max"))}
    inside, outside, _ = lines["uid_map"].split()
    assert inside == "0" and int(outside) > 65535, lines
    assert int(lines["pids.max"]) <= PIDS_MAX, lines
    assert "root-read-only" in out


def ran_by_crun(cid):
    """crun keeps a container's state as ROOT/ID/status, runc as ROOT/ID/state.json."""
    # Docker's /run/docker/runtime-NAME/moby, containerd's /run/containerd/runc/NAMESPACE, crun's
    # own /run/crun: never deeper (a recursive walk would enter the containers' root filesystems).
    dirs = [d for depth in range(1, 4) for d in glob.glob("/run/" + "*/" * depth + cid) if os.path.isdir(d)]
    crun = [d for d in dirs if os.path.exists(os.path.join(d, "status"))]
    runc = [d for d in dirs if os.path.exists(os.path.join(d, "state.json"))]
    return bool(crun) and not runc, dirs


if CRUN:
    def test_docker_through_hardrun_then_crun(docker, crun_profile):
        run(HARDRUN, "setup", "docker", "--name", crun_profile, "--profile", "crun")
        reload_docker(crun_profile)
        try:
            assert_hardened(docker.run_sh(PROBE, runtime=crun_profile))
            cid = docker.start(runtime=crun_profile)
            full = docker("inspect", "-f", "{{.Id}}", cid).stdout.strip()
            assert ran_by_crun(full)[0], ran_by_crun(full)
            r = docker("exec", "--privileged", cid, "cat", "/proc/self/status", check=False)
            assert r.returncode == 0, r.stderr
            assert set(cap_names(proc_status(r.stdout)["CapEff"])) <= set(ALLOW)
            r = docker("run", "--rm", "--runtime=" + crun_profile, "--pid", "host", IMAGE, "true", check=False)
            assert r.returncode != 0 and "policy violation" in r.stderr, r.stderr
            docker("rm", "-f", cid)
        finally:
            run(HARDRUN, "setup", "docker", "--undo", "--name", crun_profile)
            reload_docker(crun_profile, present=False)

    def test_podman_through_hardrun_then_crun(crun_profile):
        if run("podman", "image", "exists", IMAGE, check=False).returncode != 0:
            run("podman", "import", os.path.join(IN, "busybox.tar"), IMAGE)
        r = run("podman", "--runtime", LINK, "run", "--rm", "--network", "none", IMAGE, "sh", "-c", PROBE, check=False)
        assert r.returncode == 0, r.stderr
        assert_hardened(r.stdout)
        r = run("podman", "--runtime", LINK, "run", "-d", "--network", "none", IMAGE, "sleep", "300")
        cid = r.stdout.strip()
        try:
            assert ran_by_crun(cid)[0], ran_by_crun(cid)
        finally:
            run("podman", "rm", "-f", "-t", "0", cid, check=False)

    def test_cri_pod_through_hardrun_then_crun(cri, crun_profile):  # noqa: F811
        with open(CONFIG, "a") as f:
            f.write("\n".join([
                '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardrun-crun]',
                '  runtime_type = "io.containerd.runc.v2"',
                '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardrun-crun.options]',
                '  BinaryName = "%s"' % LINK,
                "  SystemdCgroup = true",
                ""]))
        run("systemctl", "reset-failed", "containerd.service", check=False)
        run("systemctl", "restart", "containerd.service")

        def ready():
            try:
                cri.version()
                return True
            except Exception:
                return False
        wait_for("containerd's CRI", ready)
        pod, cid, _ = run_app_pod(cri, "crun", crun_profile)
        assert ran_by_crun(cid)[0], ran_by_crun(cid)
        out = cri.exec_sync(cid, ["cat", "/proc/self/status"])
        assert out.exit_code == 0, out.stderr
        cri.remove_pod(pod)
