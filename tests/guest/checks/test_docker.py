"""The distribution's Docker (docker.service, systemd cgroup driver, cgroup v2, AppArmor) with
`--runtime=hardrun` registered by `hardrun setup docker`: what each container really gets, read
from the kernel inside and on the host."""
import os
import time

import pytest

from guestlib import ALLOW, MEMORY_DEFAULT, PIDS_DEFAULT, PIDS_MAX, cap_names, proc_status, read, run


@pytest.mark.parametrize("flags", [(), ("--privileged",), ("--cap-add", "SYS_ADMIN")],
                         ids=["default", "privileged", "cap-add-SYS_ADMIN"])
def test_capabilities_of_pid_1_inside(docker, flags):
    status = proc_status(docker.run_sh("cat /proc/1/status", *flags))
    for field in ("CapBnd", "CapPrm", "CapEff"):
        assert cap_names(status[field]) == sorted(ALLOW), field
    assert status["NoNewPrivs"].strip() == "1"


def test_root_read_only_and_tmpfs_nosuid_without_read_only_flag(docker):
    out = docker.run_sh("touch /probe 2>/dev/null && echo root-writable || echo root-read-only; "
                        "grep -E ' (/tmp|/run|/var/tmp) ' /proc/mounts")
    lines = out.splitlines()
    assert lines[0] == "root-read-only"
    mounts = {l.split()[1]: l.split() for l in lines[1:]}
    for path in ("/tmp", "/run", "/var/tmp"):
        assert mounts[path][2] == "tmpfs", mounts
        opts = mounts[path][3].split(",")
        assert "nosuid" in opts and "nodev" in opts, (path, opts)


def limits(docker, cid):
    scope = docker.scope(cid)
    assert os.path.isdir(scope), "no systemd scope %s" % scope
    return {name: read(os.path.join(scope, name)) for name in ("pids.max", "memory.max", "memory.swap.max")}


POLICY_LIMITS = {"pids.max": str(PIDS_DEFAULT), "memory.max": str(MEMORY_DEFAULT), "memory.swap.max": "0"}


def test_limits_land_in_the_systemd_scope_without_memory_or_pids_flags(docker):
    cid = docker.start()
    assert limits(docker, cid) == POLICY_LIMITS


def test_docker_update_cannot_raise_the_limits_or_lose_the_swap_hold(docker):
    cid = docker.start()
    docker("update", "--pids-limit", "100000", cid, check=False)
    docker("update", "--memory", "64g", "--memory-swap", "128g", cid, check=False)
    got = limits(docker, cid)
    assert int(got["pids.max"]) <= PIDS_MAX, got
    assert got["memory.max"] != "max" and int(got["memory.max"]) <= 16 << 30, got
    assert got["memory.swap.max"] == "0", got


# runc 1.1 to 1.3 write memory.swap.max=0 into the cgroup but leave it out of the systemd unit
# (its v2 value is 0, which they do not export as MemorySwapMax): without hardrun's annotation the
# unit says infinity and a daemon-reload writes max (measured on bookworm's runc 1.1.5). The hold
# must survive a reload, an update, and a reload after the update.
def test_limits_hold_after_systemctl_daemon_reload_and_update(docker):
    cid = docker.start()
    unit = os.path.basename(docker.scope(cid))
    assert run("systemctl", "show", "-p", "MemorySwapMax", unit).stdout.strip() == "MemorySwapMax=0"
    assert limits(docker, cid) == POLICY_LIMITS
    run("systemctl", "daemon-reload")
    time.sleep(2)
    assert limits(docker, cid) == POLICY_LIMITS
    docker("update", "--pids-limit", "2000", cid, check=False)
    run("systemctl", "daemon-reload")
    time.sleep(2)
    got = limits(docker, cid)
    assert got["memory.swap.max"] == "0" and got["pids.max"] == "2000", got


def test_no_real_time_priority_through_ulimits(docker):
    script = "grep -E 'Max (realtime|nice) priority' /proc/self/limits"

    def limits_of(out):
        return {l.split()[1]: l.split()[3:5] for l in out.splitlines()}
    plain = limits_of(docker.run_sh(script, "--ulimit", "rtprio=99:99", "--ulimit", "nice=40:40", runtime="runc"))
    assert plain == {"realtime": ["99", "99"], "nice": ["40", "40"]}, plain  # the attack is real under runc
    got = limits_of(docker.run_sh(script, "--ulimit", "rtprio=99:99", "--ulimit", "nice=40:40"))
    assert got == {"realtime": ["0", "0"], "nice": ["20", "20"]}, got


# runc's cgroup v2 driver writes --memory-reservation to memory.low: reclaim protection that the
# host's other memory pays for. hardrun removes it at create and from `docker update`.
def test_memory_reservation_is_no_reclaim_protection(docker):
    flags = ("--memory", "256m", "--memory-reservation", "128m")
    plain = docker.run_sh("cat /sys/fs/cgroup/memory.low", *flags, runtime="runc")
    assert plain.strip() == str(128 << 20), plain  # what runc alone gives
    assert docker.run_sh("cat /sys/fs/cgroup/memory.low", *flags).strip() == "0"
    for runtime, low in (("runc", str(64 << 20)), ("hardrun", "0")):
        cid = docker.start("--memory", "256m", runtime=runtime)
        r = docker("update", "--memory-reservation", "64m", cid, check=False)
        assert r.returncode == 0, (runtime, r.stderr)
        assert read(os.path.join(docker.scope(cid), "memory.low")) == low, runtime


def test_docker_exec_gets_only_the_allowlist(docker):
    cid = docker.start()
    for flags in ((), ("--privileged",)):
        r = docker("exec", *flags, cid, "cat", "/proc/self/status", check=False)
        assert r.returncode == 0, r.stderr
        status = proc_status(r.stdout)
        for field in ("CapBnd", "CapEff"):
            assert set(cap_names(status[field])) <= set(ALLOW), (flags, field)


def test_user_namespace_root_is_a_high_host_uid_and_image_files_are_owned_inside(docker):
    cid = docker.start()
    pid = docker.pid(cid)
    uid_map = read("/proc/%d/uid_map" % pid).split()
    assert uid_map[0] == "0" and int(uid_map[1]) > 65535, uid_map
    with open("/proc/%d/status" % pid) as f:
        assert int(proc_status(f.read())["Uid"].split()[0]) > 65535
    # The image's root-owned files are root's inside (an idmapped layer, not a chown'd copy).
    r = docker("exec", cid, "stat", "-c", "%u %g", "/bin/busybox", check=False)
    assert r.returncode == 0 and r.stdout.split() == ["0", "0"], (r.stdout, r.stderr)


def test_named_volume_and_host_file(docker, tmp_path):
    docker("volume", "create", "hardrun-guest-vol")
    host_file = "/var/tmp/hardrun-guest-hostfile"
    with open(host_file, "w") as f:
        f.write("from the host\n")
    try:
        out = docker.run_sh("echo written > /data/f && cat /data/f /hostfile && grep -E ' /data | /hostfile ' "
                            "/proc/mounts", "-v", "hardrun-guest-vol:/data", "-v", host_file + ":/hostfile:ro")
        lines = out.splitlines()
        assert lines[:2] == ["written", "from the host"]
        for line in lines[2:]:
            opts = line.split()[3].split(",")
            assert "nosuid" in opts and "nodev" in opts, line
        assert len(lines) == 4
    finally:
        docker("volume", "rm", "-f", "hardrun-guest-vol", check=False)
        os.unlink(host_file)


def test_hardrun_report_lists_the_container_and_reads_cgroup_v2_under_systemd(docker):
    import json
    from guestlib import HARDRUN
    cid = docker.start()
    full = docker("inspect", "-f", "{{.Id}}", cid).stdout.strip()
    r = run(HARDRUN, "report", "--json", "--root", "/run/docker/runtime-runc/moby", check=False)
    out = json.loads(r.stdout)
    by_id = {c["id"]: c for c in out["containers"]}
    assert full in by_id, (list(by_id), r.stderr)
    c = by_id[full]
    assert c["hardrun"] is True and c["checked"] is True and c["error"] is None, c
    cg = c["live"]["cgroup"]
    assert cg["pids"]["version"] == 2 and cg["pids"]["max"] == PIDS_DEFAULT, cg
    assert cg["memory"]["limit"] == MEMORY_DEFAULT, cg
    assert cg["pids"]["path"] == docker.scope(cid), cg
    assert c["compliant"] is True, [x for x in c["checks"] if x["result"] not in ("pass", "info")]
    swap = {x["check"]: x for x in c["checks"]}["swap-held"]
    assert swap["result"] == "pass" and swap["live"] == "memory.swap.max 0", swap
    # A swap limit lost behind hardrun's back (what a daemon-reload did before the unit carried
    # it) is caught.
    with open(docker.scope(cid) + "/memory.swap.max", "w") as f:
        f.write("max")
    out = json.loads(run(HARDRUN, "report", "--json", "--root", "/run/docker/runtime-runc/moby", full, check=False).stdout)
    swap = {x["check"]: x for x in out["containers"][0]["checks"]}["swap-held"]
    assert swap["result"] == "fail" and swap["violation"] is True, swap


@pytest.mark.parametrize("flags", [(), ("--privileged",), ("--security-opt", "apparmor=unconfined")],
                         ids=["default", "privileged", "apparmor-unconfined"])
def test_apparmor_docker_default_holds(docker, flags):
    """Debian ships AppArmor on and Docker loads docker-default; a container asking for unconfined
    (--privileged does) gets hardrun-default, which contrib/install.sh loaded (issue 17, CIS
    Docker 5.1)."""
    assert read("/sys/module/apparmor/parameters/enabled") == "Y"
    cid = docker.start(*flags)
    pid = docker.pid(cid)
    path = "/proc/%d/attr/apparmor/current" % pid
    if not os.path.exists(path):
        path = "/proc/%d/attr/current" % pid
    assert read(path) == ("docker-default (enforce)" if not flags else "hardrun-default (enforce)")
