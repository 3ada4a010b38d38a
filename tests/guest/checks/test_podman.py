"""The distribution's podman (rootful, its systemd cgroup manager on cgroup v2) with
`--runtime /usr/local/sbin/hardrun`."""
import os

import pytest

from guestlib import ALLOW, HARDRUN, IMAGE, IN, PIDS_MAX, SRC, cap_names, guest_only, proc_status, run


def userns_audit():
    """What hardrun's audit log says about the user namespace of the last creates."""
    try:
        with open("/var/log/hardrun/audit.log") as f:
            lines = f.readlines()[-5:]
    except OSError as e:
        return str(e)
    return [l[l.find("userNamespace"):][:400] for l in lines if "userNamespace" in l]


@pytest.fixture(scope="module")
def podman():
    guest_only()
    run("bash", os.path.join(SRC, "contrib", "install.sh"), "--user-only")
    if run("podman", "image", "exists", IMAGE, check=False).returncode != 0:
        run("podman", "import", os.path.join(IN, "busybox.tar"), IMAGE)
    yield
    run("podman", "rm", "-af", check=False)


# podman keeps a container's hosts, resolv.conf and .containerenv on /run, a tmpfs, which kernels
# before 6.3 cannot idmap: those sources are bound as they are and the user namespace stays.
def test_podman_run_through_hardrun(podman):
    r = run("podman", "--runtime", HARDRUN, "run", "--rm", "--network", "none", IMAGE, "sh", "-c",
            "cat /proc/1/status; echo uid_map $(cat /proc/self/uid_map); echo pids.max $(cat /sys/fs/cgroup/pids.max);"
            " touch /probe 2>/dev/null && echo root-writable || echo root-read-only", check=False)
    assert r.returncode == 0, "podman run --runtime hardrun refused or failed: " + r.stderr.strip()
    status = proc_status(r.stdout)
    for field in ("CapBnd", "CapEff"):
        assert cap_names(status[field]) == sorted(ALLOW), field
    lines = {l.split(" ", 1)[0]: l.split(" ", 1)[1] for l in r.stdout.splitlines() if l.startswith(("uid_map", "pids"))}
    inside, outside, _ = lines["uid_map"].split()
    assert inside == "0" and int(outside) > 65535, (lines, userns_audit())
    assert int(lines["pids.max"]) <= PIDS_MAX, lines  # podman's own 2048 default, under the ceiling
    assert "root-read-only" in r.stdout


def test_podman_exec_gets_only_the_allowlist(podman):
    run("podman", "--runtime", HARDRUN, "run", "-d", "--name", "hardrun-guest-exec", "--network", "none", IMAGE,
        "sleep", "3600")
    r = run("podman", "--runtime", HARDRUN, "exec", "--privileged", "hardrun-guest-exec", "cat", "/proc/self/status")
    assert set(cap_names(proc_status(r.stdout)["CapEff"])) <= set(ALLOW)


# `hardrun setup podman` writes /etc/containers/containers.conf.d/hardrun.conf: this podman reads
# the drop-in, knows the runtime by its name (and as its default with --default), keeps its own.
def test_podman_runtime_by_name_from_hardrun_setup_podman(podman):
    dropin = "/etc/containers/containers.conf.d/hardrun.conf"
    run(HARDRUN, "setup", "podman", "--default")
    try:
        for flags in (("--runtime", "hardrun"), ("--runtime", "hardrun-compat"), ()):
            if flags == ("--runtime", "hardrun-compat"):
                run(HARDRUN, "setup", "podman", "--name", "hardrun-compat", "--profile", "compat")
            r = run("podman", *flags, "run", "--rm", "--network", "none", IMAGE, "grep", "CapBnd", "/proc/self/status",
                    check=False)
            assert r.returncode == 0, (flags, r.stderr)
            # compat adds SYS_CHROOT (in podman's defaults) and AUDIT_WRITE (not in them).
            allowed = ALLOW + ["CAP_SYS_CHROOT"] if "hardrun-compat" in flags else ALLOW
            assert cap_names(proc_status(r.stdout)["CapBnd"]) == sorted(allowed), flags
        r = run("podman", "--runtime", "runc", "run", "--rm", "--network", "none", IMAGE, "grep", "CapBnd",
                "/proc/self/status")
        assert "CAP_SETFCAP" in cap_names(proc_status(r.stdout)["CapBnd"])  # runc alone: podman's defaults
    finally:
        run(HARDRUN, "setup", "podman", "--undo", "--name", "hardrun-compat")
        run(HARDRUN, "setup", "podman", "--undo")
    assert not os.path.exists(dropin)
    r = run("podman", "--runtime", "hardrun", "info", check=False)
    assert r.returncode != 0 and "hardrun" in r.stderr, r.stderr
