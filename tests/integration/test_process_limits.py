"""What a container may take of the host beyond its cgroup limits, under real runc: a real-time
rlimit, an OOM score below its engine's, real-time scheduling, the OOM killer switched off."""
import os

SHOW = ("sh", "-c", "grep -E 'Max (realtime priority|nice priority)' /proc/self/limits; cat /proc/self/oom_score_adj")


def test_a_real_time_rlimit_and_a_low_oom_score_are_lowered(runtime, make_bundle):
    # runc sets rlimits and the OOM score as root; raising either past this machine's needs
    # CAP_SYS_RESOURCE, which its root lacks, so the attack itself is shown in the guests
    # (tests/guest/checks/test_docker.py) and here what hardrun makes of it.
    b = make_bundle(*SHOW)
    b.edit(lambda c: c["process"].update(rlimits=[{"type": "RLIMIT_RTPRIO", "hard": 99, "soft": 99}], oomScoreAdj=-1000))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    realtime = [l.split()[3:5] for l in lines if l.startswith("Max realtime priority")]
    assert realtime == [["0", "0"]], lines
    with open("/proc/self/oom_score_adj") as f:
        assert int(lines[-1]) == int(f.read()), lines           # not below the caller's own


def test_real_time_scheduling_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c["process"].update(scheduler={"policy": "SCHED_FIFO", "priority": 99}))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "/process/scheduler/policy" in r.stderr and "SCHED_FIFO" in r.stderr, r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0


def test_the_oom_killer_stays_on(runtime, make_bundle):
    b = make_bundle("sleep", "30")
    cid = runtime.new_id()
    b.edit(lambda c: (c["linux"].setdefault("resources", {}).update(memory={"limit": 64 << 20, "disableOOMKiller": True}),
                      c["linux"].update(cgroupsPath="/hardrun-it/" + cid)))
    r = runtime.hardrun("run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    try:
        v1 = "/sys/fs/cgroup/memory/hardrun-it/%s/memory.oom_control" % cid
        if os.path.exists(v1):
            with open(v1) as f:
                assert "oom_kill_disable 0" in f.read()
        assert b.config()["linux"]["resources"]["memory"]["disableOOMKiller"] is False
    finally:
        runtime.runc("kill", cid, "KILL")
