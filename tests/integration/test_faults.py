"""Faults around a create: hardrun killed (SIGKILL, SIGTERM) at every system call of the rewrite,
a full or read-only file system, the real runtime missing or failing after the rewrite, SIGTERM
while runc creates, and 100 concurrent creates through hardrun and real runc.

Faults are injected with strace (-e inject=SYSCALL:signal=...|error=...:when=N): a clean run
is traced once, and every system call hardrun makes from opening config.json to handing over
to the runtime is hit, one run each. The runtime of those runs is a recording script (the
faults are hardrun's: strace's counters would otherwise also reach into runc); the tests of
runtime failure, SIGTERM during runc's create and concurrency use real runc.

What the rewrite promises (src/util/file.hpp): config.json is always the old bytes or the new
ones. SIGTERM/SIGINT/SIGHUP/SIGQUIT never leave the temp file behind; SIGKILL may, between its
creation and the rename, and the next rewrite in that bundle removes it."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from bundles import run, tree_digest
from testenv import REPO, skip_or_fail, without_idmap

TEMP_RE = re.compile(r"^\.config\.json\.hardrun-[0-9a-f]{16}$")
LINE_RE = re.compile(r"^(\d+) +([a-z0-9_]+)\((.*)$")


@pytest.fixture(scope="module")
def strace():
    path = shutil.which("strace")
    if path is None:
        skip_or_fail("strace not installed (scripts/install-deps.sh installs it)")
    return path


@pytest.fixture
def recorder(tmp_path):
    """A stand-in runtime that records that it ran (and its arguments)."""
    marker = tmp_path / "runtime-ran"
    fake = tmp_path / "fake-runtime"
    fake.write_text('#!/bin/sh\necho "$@" >>%s\n' % marker)
    fake.chmod(0o755)
    return str(fake), marker


def shipped_policy(tmp_path, name, **changes):
    """The shipped default policy with its audit log in tmp_path."""
    p = json.load(open(os.path.join(REPO, "profiles", "policy.json")))
    p["audit"] = {"log": str(tmp_path / "audit.log")}
    p.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(p))
    os.chmod(path, 0o644)
    return str(path)


@pytest.fixture
def policy(tmp_path):
    """For the faults of the config rewrite: the user-namespace control in audit mode, so each
    create rewrites config.json the same way (a user namespace brings a fresh slice and state
    each time; a create killed in the middle of it leaves state that `hardrun gc` removes,
    tested in test_userns.py)."""
    return shipped_policy(tmp_path, "policy.json", userNamespace={"mode": "audit"})


@pytest.fixture
def full_policy(tmp_path):
    return shipped_policy(tmp_path, "full-policy.json")


def temps(bundle_path):
    return sorted(n for n in os.listdir(bundle_path) if n.startswith(".config.json"))


def hardrun_argv(hardrun_bin, policy, runtime, bundle, log, cid="faults"):
    return [hardrun_bin, "--hardrun-policy", policy, "--hardrun-runtime", runtime, "--log", str(log),
            "--log-format", "json", "create", "--bundle", bundle, cid]


def traced_calls(trace_path):
    """The system calls of the first process in an strace -f -o file, up to and including the
    execve of the runtime: [(name, n-th call of that name as strace's when= counts it, text)].
    The execve that starts hardrun is shown but not counted."""
    calls, counts, pid = [], {}, None
    for line in open(trace_path):
        m = LINE_RE.match(line)
        if not m:
            continue
        if pid is None:
            pid = m.group(1)
            assert m.group(2) == "execve"
            continue
        if m.group(1) != pid:
            continue
        name = m.group(2)
        counts[name] = counts.get(name, 0) + 1
        calls.append((name, counts[name], m.group(3)))
        if name == "execve":
            break
    return calls


# Calls that only manage memory or threads: a kill there is a kill at the next call's entry.
NOT_STEPS = {"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "futex", "sigaltstack", "rt_sigaction",
             "prctl", "getpid", "gettid", "sched_yield", "sched_getaffinity", "clock_gettime", "getrandom"}


def rewrite_window(calls):
    """The calls from the opening of config.json to the execve of the runtime (the sanitizer
    build makes many more memory calls; they are left out)."""
    start = next(i for i, c in enumerate(calls) if c[0] == "openat" and '"config.json"' in c[2])
    return [c for c in calls[start:] if c[0] not in NOT_STEPS]


@pytest.fixture
def clean_trace(strace, hardrun_bin, make_bundle, policy, recorder, tmp_path):
    """A bundle, its old and new bytes, and the calls of one clean traced rewrite."""
    b = make_bundle("true")
    old = b.bytes()
    trace = tmp_path / "clean.trace"
    argv = hardrun_argv(hardrun_bin, policy, recorder[0], b.path, tmp_path / "log.json")
    r = subprocess.run([strace, "-f", "-q", "-o", str(trace), *argv], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    new = b.bytes()
    assert new != old and temps(b.path) == []
    # The rewrite is deterministic: the same old bytes give the same new ones.
    open(b.config_path, "wb").write(old)
    assert run(argv).returncode == 0 and b.bytes() == new
    calls = traced_calls(trace)
    window = rewrite_window(calls)
    names = [c[0] for c in window]
    for needed in ("openat", "flock", "fchown", "fchmod", "write", "fsync", "renameat", "execve"):
        assert needed in names, (needed, names)
    recorder[1].unlink()
    return b, old, new, argv, window


def inject(strace, argv, name, nth, what, tmp_path):
    trace = tmp_path / "inject.trace"
    r = subprocess.run([strace, "-f", "-q", "-o", str(trace), "-e", "trace=" + name,
                        "-e", "inject=%s:%s:when=%d" % (name, what, nth), *argv],
                       capture_output=True, text=True, timeout=60)
    return r, trace.read_text()


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_killed_at_every_call_of_the_rewrite_leaves_the_old_or_the_new_config(
        strace, clean_trace, recorder, tmp_path, sig):
    b, old, new, argv, window = clean_trace
    outcomes = {"old": 0, "new": 0}
    left_behind = 0
    for name, nth, text in window:
        open(b.config_path, "wb").write(old)
        r, trace = inject(strace, argv, name, nth, "signal=" + sig, tmp_path)
        where = "%s #%d (%s)" % (name, nth, text[:60])
        assert "killed by %s" % sig in trace, (where, r.stderr, trace[-500:])
        now = b.bytes()
        assert now in (old, new), "partial config after %s at %s" % (sig, where)
        outcomes["old" if now == old else "new"] += 1
        assert not recorder[1].exists(), "the runtime ran after %s at %s" % (sig, where)
        leftovers = temps(b.path)
        assert all(TEMP_RE.match(n) for n in leftovers), leftovers
        if sig == "SIGTERM":
            assert leftovers == [], "SIGTERM at %s left %s" % (where, leftovers)
        if leftovers:
            left_behind += 1
            assert now == old, "a temp file left although the config was replaced"
            # The next create rewrites the config and removes what the killed one left.
            r = run(argv)
            assert r.returncode == 0, r.stderr
            assert b.bytes() == new and temps(b.path) == []
            recorder[1].unlink()
    # Both outcomes were reached: the window spans the rename.
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes
    if sig == "SIGKILL":
        assert left_behind > 0  # SIGKILL between creating the temp file and the rename


def test_enospc_on_any_write_or_sync_of_the_rewrite_fails_closed(strace, clean_trace, recorder, tmp_path):
    b, old, new, argv, window = clean_trace
    rename = next(i for i, c in enumerate(window) if c[0] == "renameat")
    hits = [(n, k) for n, k, _ in window[:rename] if n in ("write", "fsync")]
    assert hits
    for name, nth in hits:
        open(b.config_path, "wb").write(old)
        before = tree_digest(b.path)
        r, _ = inject(strace, argv, name, nth, "error=ENOSPC", tmp_path)
        assert r.returncode == 1, (name, nth, r.stderr)
        assert "No space left on device" in r.stderr and r.stderr.startswith("hardrun: "), r.stderr
        entry = json.loads((tmp_path / "log.json").read_text().splitlines()[-1])
        assert entry["level"] == "error" and "No space left on device" in entry["msg"]
        assert tree_digest(b.path) == before and temps(b.path) == []
        assert not recorder[1].exists()


@pytest.fixture
def small_tmpfs(tmp_path):
    d = tmp_path / "small"
    d.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "hardrun-faults", str(d)], check=True)
    yield d
    subprocess.run(["umount", "-l", str(d)], check=True)


def test_full_file_system_fails_closed(hardrun_bin, make_bundle, policy, recorder, small_tmpfs, tmp_path):
    b = make_bundle("true")
    bundle = small_tmpfs / "bundle"
    bundle.mkdir()
    shutil.copy(b.config_path, bundle / "config.json")
    fd = os.open(small_tmpfs / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096) > 0:
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    before = tree_digest(str(bundle))
    log = tmp_path / "log.json"
    r = run(hardrun_argv(hardrun_bin, policy, recorder[0], str(bundle), log))
    assert r.returncode == 1 and "No space left on device" in r.stderr, r.stderr
    assert "No space left on device" in json.loads(log.read_text().splitlines()[-1])["msg"]
    assert tree_digest(str(bundle)) == before and temps(str(bundle)) == []
    assert not recorder[1].exists()
    # With room again, the same create goes through.
    os.unlink(small_tmpfs / "filler")
    assert run(hardrun_argv(hardrun_bin, policy, recorder[0], str(bundle), log)).returncode == 0
    assert recorder[1].exists()


def test_read_only_bundle_dir_fails_closed(hardrun_bin, make_bundle, policy, recorder, tmp_path):
    b = make_bundle("true")
    before = tree_digest(b.path)
    log = tmp_path / "log.json"
    subprocess.run(["mount", "--bind", b.path, b.path], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", b.path], check=True)
        r = run(hardrun_argv(hardrun_bin, policy, recorder[0], b.path, log))
    finally:
        subprocess.run(["umount", b.path], check=True)
    assert r.returncode == 1
    msg = json.loads(log.read_text().splitlines()[-1])["msg"]
    assert "cannot create a temporary file next to" in msg and "Read-only file system" in msg
    assert tree_digest(b.path) == before
    assert not recorder[1].exists()


def mounts_mentioning(*needles):
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if any(n in line for n in needles)]


def test_runtime_gone_after_the_rewrite_is_reported_in_runcs_log_format(strace, clean_trace, tmp_path):
    b, old, new, argv, window = clean_trace
    open(b.config_path, "wb").write(old)
    r, _ = inject(strace, argv, "execve", 1, "error=ENOENT", tmp_path)
    assert r.returncode == 1
    entry = json.loads((tmp_path / "log.json").read_text().splitlines()[-1])
    assert entry["level"] == "error" and "time" in entry
    assert entry["msg"].startswith("hardrun: cannot execute the real runtime") and "No such file" in entry["msg"]
    # The hardened config stays (it is what runc would have been given); nothing else is left.
    assert b.bytes() == new and temps(b.path) == []


def test_real_runc_failing_after_the_rewrite(runtime, make_bundle, tmp_path):
    b = make_bundle("true")
    b.edit(lambda c: c["root"].update(path=str(tmp_path / "no-such-rootfs")))
    cid = runtime.new_id()
    log = tmp_path / "log.json"
    r = runtime.hardrun("create", "--bundle", b.path, cid, pre=("--log", str(log), "--log-format", "json"))
    assert r.returncode != 0
    errors = [json.loads(line) for line in log.read_text().splitlines() if '"error"' in line]
    assert errors and "no-such-rootfs" in errors[-1]["msg"] and "time" in errors[-1]  # runc's own line
    assert not os.path.exists(os.path.join(runtime.root, cid))
    assert mounts_mentioning(b.path, cid) == []
    # What Docker does next is idempotent.
    runtime.hardrun("delete", "--force", cid)
    assert os.listdir(runtime.root) == []


def cgroup_dirs(cid):
    found = []
    for controller in os.listdir("/sys/fs/cgroup"):
        p = os.path.join("/sys/fs/cgroup", controller, cid)
        if os.path.isdir(p):
            found.append(p)
    return found


def test_sigterm_while_runc_creates(runtime, make_bundle, tmp_path):
    b = make_bundle("true")
    old = b.bytes()
    new = None
    outcomes = set()
    for delay in (0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6):
        open(b.config_path, "wb").write(old)
        cid = runtime.new_id()
        with tempfile.TemporaryFile() as out:
            p = subprocess.Popen([runtime.hardrun_bin, "--root", runtime.root, "create", "--bundle", b.path, cid],
                                 stdout=out, stderr=out, stdin=subprocess.DEVNULL)
            time.sleep(delay)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
        outcomes.add("ok" if rc == 0 else "terminated")
        now = b.bytes()
        if now != old:
            # A partial file does not parse.
            new = new or without_idmap(json.loads(now))
            assert without_idmap(json.loads(now)) == new, "partial config after SIGTERM at %.3f s" % delay
        assert temps(b.path) == []
        # The caller's cleanup after a failed create: idempotent, leaves nothing.
        runtime.hardrun("delete", "--force", cid)
        assert not os.path.exists(os.path.join(runtime.root, cid))
        assert not os.path.exists("/run/hardrun/containers/" + cid)
        assert cgroup_dirs(cid) == [], cid
    assert mounts_mentioning(b.path, runtime.root) == []
    assert os.listdir(runtime.root) == []
    assert "terminated" in outcomes, outcomes


def test_100_concurrent_creates(runtime, make_bundle, full_policy, tmp_path):
    policy = full_policy  # user namespaces and idmapped rootfs included
    n = 100
    template = make_bundle("true")
    ids, bundles = [], []
    for i in range(n):
        d = tmp_path / ("c%03d" % i)
        d.mkdir()
        shutil.copy(template.config_path, d / "config.json")
        bundles.append(str(d))
        ids.append(runtime.new_id())
    needles = (str(tmp_path), runtime.root)
    mounts_before = len(mounts_mentioning(*needles))
    procs = []
    for d, cid in zip(bundles, ids):
        out = tempfile.TemporaryFile()
        procs.append((subprocess.Popen([runtime.hardrun_bin, "--hardrun-policy", policy, "--root", runtime.root,
                                        "create", "--bundle", d, cid],
                                       stdout=out, stderr=out, stdin=subprocess.DEVNULL), out))
    failures = []
    for (p, out), cid in zip(procs, ids):
        rc = p.wait(timeout=170)
        out.seek(0)
        if rc != 0:
            failures.append((cid, rc, out.read().decode(errors="replace")[-300:]))
        out.close()
    assert failures == [], failures[:3]
    listed = json.loads(runtime.runc("list", "--format", "json").stdout or "[]")
    assert sorted(c["id"] for c in listed if c["status"] == "created") == sorted(ids)
    audit = [json.loads(line) for line in (tmp_path / "audit.log").read_text().splitlines()]
    assert sorted(e["id"] for e in audit) == sorted(ids) and {e["outcome"] for e in audit} == {"rewritten"}
    for d in bundles:
        assert temps(d) == []
    for cid in ids:
        r = runtime.hardrun("delete", "--force", cid)
        assert r.returncode == 0, r.stderr
    assert os.listdir(runtime.root) == []
    assert len(mounts_mentioning(*needles)) == mounts_before == 0
    assert not any(os.path.exists("/run/hardrun/containers/" + cid) for cid in ids)
    assert [cid for cid in ids if cgroup_dirs(cid)] == []
