"""hardrun's own files: its state directories, the audit log, policy and profile files, and the
environment (only PATH is read, and only for a root caller)."""
import json
import os
import pathlib
import shutil
import stat
import subprocess
import tempfile

import pytest

from bundles import run
from testenv import REPO, skip_or_fail


@pytest.fixture
def recorder(tmp_path):
    marker = tmp_path / "runtime-ran"
    fake = tmp_path / "fake-runtime"
    fake.write_text("#!/bin/sh\ntouch %s\n" % marker)
    fake.chmod(0o755)
    return str(fake), marker


def write_policy(path, **extra):
    # No user namespace: the fake runtime keeps no container, so nothing would delete its state.
    p = {"capabilities": {"allow": ["CAP_KILL"]}, "userNamespace": {"mode": "audit"}}
    p.update(extra)
    path.write_text(json.dumps(p))
    os.chmod(path, 0o644)
    return str(path)


def create(hardrun_bin, bundle, policy, runtime, cid="own-files"):
    return run([hardrun_bin, "--hardrun-policy", policy, "--hardrun-runtime", runtime, "create", "--bundle",
                bundle.path, cid])


def test_state_directories_are_roots_and_private(hardrun_bin, make_bundle, recorder):
    b = make_bundle("true")
    # The built-in policy compiles its seccomp profile through the cache under /run/hardrun.
    r = run([hardrun_bin, "--hardrun-runtime", recorder[0], "create", "--bundle", b.path, "own-files"])
    assert r.returncode == 0, r.stderr
    # The user namespace's state, removed as an engine would (the fake runtime's delete succeeds).
    assert run([hardrun_bin, "--hardrun-runtime", recorder[0], "delete", "own-files"]).returncode == 0
    assert not os.path.exists("/run/hardrun/containers/own-files")
    for path, mode in (("/run/hardrun", 0o711), ("/run/hardrun/seccomp-compiled", 0o700)):
        st = os.lstat(path)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == 0, path
        assert stat.S_IMODE(st.st_mode) & ~mode == 0, (path, oct(st.st_mode))
    for name in os.listdir("/run/hardrun/seccomp-compiled"):
        st = os.lstat(os.path.join("/run/hardrun/seccomp-compiled", name))
        assert stat.S_ISREG(st.st_mode) and st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o600


def audit_case(tmp_path, kind):
    logdir = tmp_path / "log"
    logdir.mkdir()
    log = logdir / "audit.log"
    if kind == "world-writable log":
        log.write_text("")
        os.chmod(log, 0o666)
    elif kind == "symlink":
        target = tmp_path / "elsewhere"
        target.write_text("")
        os.symlink(target, log)
        return log, target
    elif kind == "world-writable dir":
        os.chmod(logdir, 0o777)
        return log, None
    elif kind == "not root's":
        log.write_text("")
        os.chown(log, 65534, 65534)
    elif kind == "fifo":
        os.mkfifo(log)
        return log, None
    return log, log


@pytest.mark.parametrize("kind", ["world-writable log", "symlink", "world-writable dir", "not root's", "fifo"])
def test_an_audit_log_others_could_write_is_not_written(hardrun_bin, make_bundle, recorder, tmp_path, kind):
    log, watched = audit_case(tmp_path, kind)
    before = watched.read_bytes() if watched else None
    policy = write_policy(tmp_path / "policy.json", audit={"log": str(log)})
    r = create(hardrun_bin, make_bundle("true"), policy, recorder[0])
    # The audit log is a record, not a gate: the create goes on, with a warning naming the reason.
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("hardrun: warning: ") and str(log) in r.stderr, r.stderr
    assert "not written" in r.stderr or "No such device" in r.stderr, r.stderr  # a FIFO without reader
    assert recorder[1].exists()
    if watched:
        assert watched.read_bytes() == before
    elif kind != "fifo":
        assert not log.exists()


def test_a_new_audit_log_is_private(hardrun_bin, make_bundle, recorder, tmp_path):
    log = tmp_path / "var-log-hardrun" / "audit.log"
    policy = write_policy(tmp_path / "policy.json", audit={"log": str(log)})
    r = create(hardrun_bin, make_bundle("true"), policy, recorder[0])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert stat.S_IMODE(os.stat(log.parent).st_mode) == 0o750
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o640 and os.stat(log).st_uid == 0
    assert json.loads(log.read_text())["outcome"] == "rewritten"


@pytest.mark.parametrize("case", ["file group-writable", "file not root's", "dir writable by others",
                                  "dir not root's", "seccomp profile writable"])
def test_policy_others_could_change_is_refused(hardrun_bin, make_bundle, recorder, tmp_path, case):
    d = tmp_path / "etc-hardrun"
    d.mkdir()
    policy = write_policy(d / "policy.json", audit={"log": str(tmp_path / "audit.log")})
    if case == "file group-writable":
        os.chmod(policy, 0o664)
    elif case == "file not root's":
        os.chown(policy, 65534, 65534)
    elif case == "dir writable by others":
        os.chmod(d, 0o777)
    elif case == "dir not root's":
        os.chown(d, 65534, 65534)
    else:
        profile = d / "seccomp.json"
        shutil.copy(os.path.join(REPO, "profiles", "seccomp-default.json"), profile)
        os.chmod(profile, 0o646)
        policy = write_policy(d / "policy.json", seccomp={"profile": str(profile)})
    b = make_bundle("true")
    before = b.bytes()
    r = create(hardrun_bin, b, policy, recorder[0])
    assert r.returncode == 1, r.stderr
    assert "must be owned by root and writable by no one else" in r.stderr, r.stderr
    assert b.bytes() == before and not recorder[1].exists()


def test_a_sticky_directory_and_a_symlinked_policy_are_fine(hardrun_bin, make_bundle, recorder, tmp_path):
    d = tmp_path / "sticky"
    d.mkdir()
    os.chmod(d, 0o1777)
    policy = write_policy(d / "policy.json", audit={"log": str(tmp_path / "audit.log")})
    os.symlink(policy, tmp_path / "link.json")
    r = create(hardrun_bin, make_bundle("true"), str(tmp_path / "link.json"), recorder[0])
    assert r.returncode == 0, r.stderr


@pytest.fixture
def setpriv():
    path = shutil.which("setpriv")
    if path is None:
        skip_or_fail("setpriv not installed (util-linux)")
    return path


@pytest.fixture
def public_dir():
    """A directory an unprivileged user can reach (pytest's tmp dirs are root's, 0700)."""
    d = tempfile.mkdtemp(prefix="hardrun-it-unprivileged-", dir="/tmp")
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


def test_no_environment_chooses_the_runtime_or_policy_for_a_caller_who_is_not_root(hardrun_bin, setpriv, public_dir):
    work = public_dir
    evil = work / "evil"
    evil.mkdir()
    drop = work / "drop"
    drop.mkdir()
    os.chmod(drop, 0o777)
    marker = drop / "evil-ran"
    for name in ("runc", "hardrun-runtime"):
        (evil / name).write_text("#!/bin/sh\ntouch %s\n" % marker)
        (evil / name).chmod(0o755)
    audit = work / "audit-policy.json"
    audit.write_text(open(os.path.join(REPO, "profiles", "audit.json")).read())
    os.chmod(audit, 0o644)
    bundle = work / "bundle"
    bundle.mkdir()
    config = json.load(open(os.path.join(REPO, "tests", "fixtures", "runc-1.1-spec.json")))
    (bundle / "config.json").write_text(json.dumps(config))
    os.chown(bundle, 65534, 65534)
    os.chown(bundle / "config.json", 65534, 65534)
    state = work / "state"
    state.mkdir()
    os.chown(state, 65534, 65534)
    env = {"PATH": "%s:/usr/sbin:/usr/bin:/sbin:/bin" % evil, "HOME": str(work),
           "HARDRUN_POLICY": str(audit), "HARDRUN_RUNTIME": str(evil / "runc"), "HARDRUN_PROFILES_DIR": str(evil),
           "RUNC": str(evil / "runc"), "RUNTIME": str(evil / "runc"), "POLICY": str(audit)}
    argv = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            hardrun_bin, "--root", str(state), "create", "--bundle", str(bundle), "own-files-env"]
    before = (bundle / "config.json").read_bytes()
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), "PATH chose the runtime for an unprivileged caller"
    # The built-in policy, not the audit profile, applied: its user-namespace control needs
    # hardrun's state under /run/hardrun, which an unprivileged caller cannot create, so the
    # create failed closed (the audit profile would have rewritten nothing and run the runtime).
    assert r.returncode == 1 and "cannot create /run/hardrun/containers/own-files-env" in r.stderr, r.stderr
    assert (bundle / "config.json").read_bytes() == before
    # Root's PATH is still root's to set (containerd and Docker find runc that way).
    r = subprocess.run([hardrun_bin, "state", "x"], env=dict(env, HOME="/root"), capture_output=True, text=True)
    assert marker.exists()
