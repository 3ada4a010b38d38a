"""hardrun in front of real runc: the controls inside a real container, the runc lifecycle,
pass-through, and failing closed (bundle byte-identical, runtime never started)."""
import json
import pathlib
import os
import shutil
import stat
import subprocess

import pytest

from bundles import ALL_CAPS, run, tree_digest
from testenv import CONTROLS, DEFAULT_ALLOW, audit_only_policy, cap_hex, proc_status, without_idmap

REPO = pathlib.Path(__file__).resolve().parents[2]


def status_of(result):
    assert result.returncode == 0, result.stderr
    return proc_status(result.stdout)


def assert_hardened(status, allow=DEFAULT_ALLOW, inheritable=(), ambient=()):
    for field in ("CapBnd", "CapPrm", "CapEff"):
        assert status[field] == cap_hex(allow), (field, status)
    assert status["CapInh"] == cap_hex(list(inheritable))
    assert status["CapAmb"] == cap_hex(list(ambient))
    assert status["NoNewPrivs"] == "1"


def test_run_cuts_every_capability_set_and_sets_no_new_privs(runtime, make_bundle):
    b = make_bundle("cat", "/proc/self/status")
    b.set_caps(ALL_CAPS)
    b.edit(lambda c: c["process"].update(noNewPrivileges=False))
    status = status_of(runtime.hardrun("run", "--bundle", b.path, runtime.new_id()))
    # Inheritable and ambient keep the allowlisted caps the config asked for in them.
    assert_hardened(status, inheritable=DEFAULT_ALLOW, ambient=DEFAULT_ALLOW)
    config = b.config()
    assert config["process"]["noNewPrivileges"] is True
    assert config["annotations"]["run.hardrun.policy"].startswith("sha256:")
    for s in ("bounding", "effective", "permitted", "inheritable", "ambient"):
        assert set(config["process"]["capabilities"][s]) <= set(DEFAULT_ALLOW)


def test_same_container_under_plain_runc_keeps_what_it_asked_for(runtime, make_bundle):
    """The comparison that shows the test above can fail: runc alone grants the config's caps."""
    b = make_bundle("cat", "/proc/self/status")
    b.set_caps(["CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_KILL"])
    b.edit(lambda c: c["process"].update(noNewPrivileges=False))
    status = status_of(runtime.runc("run", "--bundle", b.path, runtime.new_id()))
    assert status["CapBnd"] == cap_hex(["CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_KILL"])
    assert status["NoNewPrivs"] == "0"


def test_create_start_delete_lifecycle(runtime, make_bundle):
    b = make_bundle("sh", "-c", "cat /proc/self/status > /dev/shm/status; sleep 30")
    b.edit(lambda c: c["root"].update(readonly=False))
    b.set_caps(["CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_MKNOD"])
    cid = runtime.new_id()
    r = runtime.hardrun("create", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    state = json.loads(runtime.hardrun("state", cid).stdout)
    assert state["status"] == "created"
    assert runtime.hardrun("start", cid).returncode == 0
    status = None
    for _ in range(50):
        r = runtime.hardrun("exec", cid, "cat", "/dev/shm/status")
        if r.returncode == 0 and "CapBnd" in r.stdout:
            status = proc_status(r.stdout)
            break
        subprocess.run(["sleep", "0.1"])
    assert status, "container never wrote its status"
    assert status["CapBnd"] == cap_hex(["CAP_CHOWN"])
    assert status["NoNewPrivs"] == "1"
    assert runtime.hardrun("kill", cid, "9").returncode == 0
    r = runtime.hardrun("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert "does not exist" in runtime.hardrun("state", cid).stderr


def test_exec_process_file_is_cut_to_the_allowlist(runtime, make_bundle, tmp_path):
    b = make_bundle("sleep", "30")
    cid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b.path, cid).returncode == 0
    process = b.config()["process"]
    process["args"] = ["cat", "/proc/self/status"]
    process["capabilities"] = {s: ["CAP_SYS_ADMIN", "CAP_KILL", "CAP_NET_RAW"] for s in
                               ("bounding", "effective", "permitted")}
    process["noNewPrivileges"] = False
    pfile = tmp_path / "process.json"
    pfile.write_text(json.dumps(process))
    r = runtime.hardrun("exec", "--process", str(pfile), cid)
    status = status_of(r)
    assert status["CapBnd"] == cap_hex(["CAP_KILL"])
    assert status["NoNewPrivs"] == "1"
    rewritten = json.loads(pfile.read_text())
    assert rewritten["capabilities"]["bounding"] == ["CAP_KILL"]


def test_exec_cap_flag_outside_the_allowlist_is_refused(runtime, make_bundle, tmp_path):
    b = make_bundle("sleep", "30")
    cid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b.path, cid).returncode == 0
    log = tmp_path / "log.json"
    r = runtime.hardrun("exec", "--cap", "CAP_SYS_ADMIN", cid, "true",
                        pre=("--log", str(log), "--log-format", "json"))
    assert r.returncode == 1
    line = json.loads(log.read_text().splitlines()[-1])
    assert line["level"] == "error"
    assert "CAP_SYS_ADMIN" in line["msg"] and line["msg"].startswith("hardrun: ")
    # runc reads `exec ID sh -c ...` as the command's own -c: that is not --cap.
    r = runtime.hardrun("exec", cid, "sh", "-c", "grep CapBnd /proc/self/status")
    assert r.returncode == 0, r.stderr
    assert cap_hex(DEFAULT_ALLOW) in r.stdout or cap_hex(["CAP_KILL", "CAP_NET_BIND_SERVICE"]) in r.stdout
    # An allowlisted --cap is passed through to runc.
    r = runtime.hardrun("exec", "--cap", "CAP_CHOWN", cid, "true")
    assert r.returncode == 0, r.stderr


MALFORMED = [
    (b"{\"process\": ", "invalid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"{\"process\": {\"args\": [\"sh\"], \"args\": []}}", "duplicate key"),
    # Otherwise whole (ROOTFS: the bundle's own), so the unknown name is what refuses it.
    (b"{\"process\": {\"args\": [\"sh\"], \"capabilities\": {\"bounding\": [\"CAP_BOGUS\"]}}, "
     b"\"root\": {\"path\": \"ROOTFS\"}}", "unknown capability"),
    (b"{\"Process\": {\"args\": [\"sh\"]}, \"process\": {\"args\": [\"sh\"]}}", "only by case"),
    (b"{\"process\": {\"noNewPrivileges\": \"yes\"}}", "must be a boolean"),
    (b"\xff\xfe{}", "invalid JSON"),
    (b"{\"process\": {\"args\": [\"sh\"]}, \"pad\": \"" + b"x" * (16 << 20) + b"\"}", "larger than 16777216 bytes"),
    (b"{\"process\": {\"args\": [\"\\ud800\"]}}", "unpaired UTF-16 surrogate"),
]


@pytest.mark.parametrize("content,why", MALFORMED, ids=[why for _, why in MALFORMED])
def test_malformed_config_fails_closed(runtime, make_bundle, tmp_path, content, why):
    b = make_bundle()
    content = content.replace(b"ROOTFS", b.config()["root"]["path"].encode())
    with open(b.config_path, "wb") as f:
        f.write(content)
    before = tree_digest(b.path)
    marker = tmp_path / "runtime-ran"
    fake = tmp_path / "recording-runtime"
    fake.write_text("#!/bin/sh\ntouch %s\n" % marker)
    fake.chmod(0o755)
    log = tmp_path / "log.json"
    r = runtime.hardrun("create", "--bundle", b.path, runtime.new_id(),
                        pre=("--hardrun-runtime", str(fake), "--log", str(log), "--log-format", "json"))
    assert r.returncode == 1
    assert why in r.stderr, r.stderr
    assert tree_digest(b.path) == before
    assert not marker.exists(), "the runtime ran after a refusal"
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "error" and why in entry["msg"] and "time" in entry


def test_config_symlink_is_refused(runtime, make_bundle, tmp_path):
    b = make_bundle()
    real = tmp_path / "elsewhere.json"
    os.rename(b.config_path, real)
    os.symlink(real, b.config_path)
    before = real.read_bytes()
    r = runtime.hardrun("create", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "symbolic link" in r.stderr
    assert real.read_bytes() == before and os.path.islink(b.config_path)


def test_read_only_bundle_fails_closed(runtime, make_bundle):
    b = make_bundle("true")
    before = b.bytes()
    subprocess.run(["mount", "--bind", b.path, b.path], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", b.path], check=True)
        r = runtime.hardrun("create", "--bundle", b.path, runtime.new_id())
        assert r.returncode == 1
        assert "Read-only file system" in r.stderr
    finally:
        subprocess.run(["umount", b.path], check=True)
    assert b.bytes() == before
    assert [n for n in os.listdir(b.path) if n.startswith(".config.json")] == []


def test_text_log_format(runtime, make_bundle, tmp_path):
    b = make_bundle()
    with open(b.config_path, "w") as f:
        f.write("not json")
    log = tmp_path / "log.txt"
    r = runtime.hardrun("create", "--bundle", b.path, runtime.new_id(), pre=("--log", str(log)))
    assert r.returncode == 1
    text = log.read_text()
    assert text.startswith("time=\"") and " level=error msg=\"hardrun: " in text


def test_second_create_of_a_hardened_bundle_rewrites_nothing(runtime, make_bundle, policy_file):
    # Under an audit-only user-namespace control nothing differs from one create to the next:
    # the second create must not even replace the file.
    b = make_bundle("true")
    shipped = json.loads((REPO / "profiles" / "policy.json").read_text())
    shipped["userNamespace"] = {"mode": "audit"}
    pre = ("--hardrun-policy", policy_file(shipped))
    assert runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=pre).returncode == 0
    st1 = os.stat(b.config_path)
    content = b.bytes()
    assert runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=pre).returncode == 0
    st2 = os.stat(b.config_path)
    assert (st1.st_ino, st1.st_mtime_ns) == (st2.st_ino, st2.st_mtime_ns)
    assert b.bytes() == content


def test_second_create_of_an_idmapped_bundle_puts_the_callers_paths_back(runtime, make_bundle):
    # The config hardrun wrote names its own mounts of the first container; the second create
    # starts from the caller's paths (kept in run.hardrun.idmap) and gets mounts of its own.
    b = make_bundle("true")
    callers_root = b.config()["root"]["path"]
    first_id, second_id = runtime.new_id(), runtime.new_id()
    assert runtime.hardrun("run", "--bundle", b.path, first_id).returncode == 0
    first = b.config()
    assert first["root"]["path"] == f"/run/hardrun/containers/{first_id}/rootfs"
    assert json.loads(first["annotations"]["run.hardrun.idmap"])["root"] == callers_root
    r = runtime.hardrun("run", "--bundle", b.path, second_id)
    assert r.returncode == 0, r.stderr
    second = b.config()
    assert second["root"]["path"] == f"/run/hardrun/containers/{second_id}/rootfs"
    assert json.loads(second["annotations"]["run.hardrun.idmap"])["root"] == callers_root
    assert without_idmap(first) == without_idmap(second)


def test_rewrite_keeps_mode_owner_and_fields_it_does_not_read(runtime, make_bundle):
    # "windows" is a spec field runc does not read on Linux: it passes through byte for byte.
    b = make_bundle("true")
    raw = b.bytes().decode().rstrip().rstrip("}")
    with open(b.config_path, "w") as f:
        f.write(raw + ',"windows":{"mask":18446744073709551615,"list":[1.5e300,-0.0]}}')
    os.chmod(b.config_path, 0o600)
    os.chown(b.config_path, 1234, 4321)
    assert runtime.hardrun("run", "--bundle", b.path, runtime.new_id()).returncode == 0
    st = os.stat(b.config_path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and (st.st_uid, st.st_gid) == (1234, 4321)
    raw = b.bytes().decode()
    assert "18446744073709551615" in raw and "1.5e300" in raw and "-0.0" in raw


def test_bundle_defaults_to_the_working_directory(runtime, make_bundle):
    b = make_bundle("cat", "/proc/self/status")
    b.set_caps(["CAP_SYS_ADMIN", "CAP_KILL"])
    r = run([runtime.hardrun_bin, "--root", runtime.root, "run", runtime.new_id()], cwd=b.path)
    assert status_of(r)["CapBnd"] == cap_hex(["CAP_KILL"])


def test_passthrough_output_is_runcs_byte_for_byte(runtime):
    for args in (["state", "no-such-container"], ["list", "--format", "json"], ["features"], ["ps", "nope"]):
        a = runtime.hardrun(*args)
        b = runtime.runc(*args)
        # runc's own error lines carry a timestamp: compare with it removed.
        strip = lambda s: "\n".join(l.split(" level=", 1)[-1] for l in s.splitlines())
        assert (a.returncode, a.stdout, strip(a.stderr)) == (b.returncode, b.stdout, strip(b.stderr)), args


def test_passthrough_is_execv_not_a_child(runtime, tmp_path):
    """No hardrun process stays around: the runtime replaces it (same pid)."""
    fake = tmp_path / "pid-runtime"
    fake.write_text("#!/bin/sh\necho $$\n")
    fake.chmod(0o755)
    p = subprocess.Popen([runtime.hardrun_bin, "--hardrun-runtime", str(fake), "state", "x"],
                         stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate()
    assert int(out.strip()) == p.pid


def test_own_options_never_reach_the_runtime(runtime, tmp_path, policy_file):
    fake = tmp_path / "argv-runtime"
    fake.write_text("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n")
    fake.chmod(0o755)
    policy = policy_file({"capabilities": {"allow": ["CAP_KILL"]}})
    r = subprocess.run([runtime.hardrun_bin, "--hardrun-runtime=" + str(fake), "--hardrun-policy", policy,
                        "--root", "/r", "--debug", "kill", "--all", "c", "9"], capture_output=True, text=True)
    assert r.stdout.splitlines() == ["--root", "/r", "--debug", "kill", "--all", "c", "9"]


# The commands hardrun vets (they read a bundle, a process file or resources the capture run
# had); every other captured call must reach the runtime exactly as the caller sent it.
VETTED = {"create", "run", "restore", "exec", "update"}


def captured_argv_lines():
    """(caller, argv without argv[0]) of every line of tests/fixtures/argv/*.txt, the capture
    script's own --capture-tag=... marker removed (Docker's runtimeArgs put it there)."""
    for path in sorted((REPO / "tests" / "fixtures" / "argv").glob("*.txt")):
        for line in path.read_text().splitlines():
            argv = [a for a in json.loads(line)[1:] if not a.startswith("--capture-tag=")]
            yield path.stem, argv


def runtime_command(argv):
    """The command word after runc's global flags (those that take a value skip it)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i].lstrip("-") in ("root", "log", "log-format", "criu") else 1
    return argv[i] if i < len(argv) else None


def test_every_captured_pass_through_call_reaches_the_runtime_unchanged(runtime, tmp_path):
    """Replay: each call Docker, containerd (ctr and CRI) and podman of every captured version made
    that hardrun does not vet (start, kill, delete, state, pause, ps, features, --version ...)
    reaches the runtime with the same argv, in the same order, nothing added."""
    fake = tmp_path / "argv-runtime"
    fake.write_text("#!/bin/sh\nprintf '%s\\0' \"$@\"\n")
    fake.chmod(0o755)
    seen, replayed = set(), 0
    for caller, argv in captured_argv_lines():
        seen.add(caller)
        if runtime_command(argv) in VETTED:
            continue
        r = subprocess.run([runtime.hardrun_bin, "--hardrun-runtime", str(fake), *argv], capture_output=True,
                           text=True)
        assert r.returncode == 0, (caller, argv, r.stderr)
        if argv == ["--version"]:  # answered runc-shaped by hardrun, the runtime's own lines last
            assert r.stdout.startswith("hardrun version ") and r.stdout.endswith("runtime: %s\n--version" % fake)
        else:
            assert r.stdout.split("\0")[:-1] == argv, (caller, argv)
        replayed += 1
    # Every engine generation of the host matrix, from the development VM and the guests.
    for caller in ("docker-20.10", "docker-26.1", "docker-28.5", "containerd-1.6", "containerd-1.7",
                   "containerd-2.1", "containerd-1.6-cri", "containerd-1.7-cri", "containerd-2.1-cri", "podman-4.3", "podman-5.4", "podman-5.8"):
        assert caller in seen, "no captured argv from %s in tests/fixtures/argv" % caller
    assert replayed > 100, replayed


def test_runtime_resolution_and_recursion_guard(hardrun_bin, tmp_path, require_root):
    # hardrun installed under the name runc, first on PATH: it must skip itself.
    d = tmp_path / "bin"
    d.mkdir()
    os.symlink(hardrun_bin, d / "runc")
    env = dict(os.environ, PATH="%s:%s" % (d, os.environ["PATH"]))
    r = subprocess.run([str(d / "runc"), "--version"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("hardrun version ") and lines[2].startswith("profiles: /")
    runtime_line = [line for line in lines if line.startswith("runtime: ")][0]
    assert runtime_line.startswith("runtime: /") and "runc version" in r.stdout
    assert str(d) not in runtime_line
    # Named explicitly, hardrun itself is an error, as is a missing runtime.
    r = subprocess.run([hardrun_bin, "--hardrun-runtime", hardrun_bin, "state", "x"], capture_output=True, text=True)
    assert r.returncode == 1 and "is hardrun itself" in r.stderr
    r = subprocess.run([hardrun_bin, "--hardrun-runtime", "/nonexistent/runc", "state", "x"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "missing or not executable" in r.stderr
    r = subprocess.run([hardrun_bin, "state", "x"], capture_output=True, text=True, env=dict(os.environ, PATH=str(d)))
    assert r.returncode == 1 and "not found on PATH" in r.stderr


def test_missing_runtime_leaves_the_bundle_alone(runtime, make_bundle):
    b = make_bundle("true")
    before = tree_digest(b.path)
    r = runtime.hardrun("create", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-runtime", "/nonexistent"))
    assert r.returncode == 1
    assert tree_digest(b.path) == before


def test_policy_refuse_mode_fails_the_create(runtime, make_bundle, policy_file, tmp_path):
    audit = tmp_path / "audit.log"
    policy = policy_file({"capabilities": {"mode": "refuse", "allow": ["CAP_KILL"]},
                          "audit": {"log": str(audit)}})
    b = make_bundle("true")
    before = b.bytes()
    log = tmp_path / "log.json"
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(),
                        pre=("--hardrun-policy", policy, "--log", str(log), "--log-format", "json"))
    assert r.returncode == 1
    msg = json.loads(log.read_text().splitlines()[-1])["msg"]
    assert "policy violation" in msg and "CAP_NET_BIND_SERVICE" in msg and policy in msg
    assert b.bytes() == before
    event = json.loads(audit.read_text().splitlines()[-1])
    assert event["outcome"] == "refused" and event["refused"][0]["control"] == "capabilities"


def test_policy_audit_mode_changes_nothing(runtime, make_bundle, policy_file, tmp_path):
    audit = tmp_path / "audit.log"
    policy = policy_file(audit_only_policy(audit={"log": str(audit)}))
    b = make_bundle("cat", "/proc/self/status")
    b.edit(lambda c: (c["process"].update(noNewPrivileges=False), c["root"].update(readonly=False)))
    before = b.bytes()
    status = status_of(runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy)))
    assert b.bytes() == before
    assert status["CapBnd"] == cap_hex(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
    event = json.loads(audit.read_text().splitlines()[-1])
    assert event["outcome"] == "unchanged"
    # runc spec's config: everything but devices and sysctls (none there) needs work (its proc
    # mount has no nosuid,nodev).
    assert {f["control"] for f in event["audited"]} == set(CONTROLS) - {"devices", "sysctls"}


def test_audit_line_records_the_changes(runtime, make_bundle, policy_file, tmp_path):
    audit = tmp_path / "audit.log"
    policy = policy_file({"capabilities": {"allow": ["CAP_KILL"]}, "audit": {"log": str(audit)}})
    b = make_bundle("true")
    cid = runtime.new_id()
    assert runtime.hardrun("run", "--bundle", b.path, cid, pre=("--hardrun-policy", policy)).returncode == 0
    event = json.loads(audit.read_text().splitlines()[-1])
    assert event["id"] == cid and event["command"] == "run" and event["outcome"] == "rewritten"
    assert event["file"] == os.path.join(b.path, "config.json")
    assert event["digest"] == b.config()["annotations"]["run.hardrun.policy"]
    details = " ".join(f["detail"] for f in event["changed"])
    assert "CAP_AUDIT_WRITE" in details and "CAP_NET_BIND_SERVICE" in details
    assert stat.S_IMODE(os.stat(audit).st_mode) == 0o640


def test_unsafe_policy_file_is_refused(runtime, make_bundle, policy_file):
    policy = policy_file({"capabilities": {"allow": ["CAP_KILL"]}})
    os.chmod(policy, 0o666)
    b = make_bundle("true")
    before = b.bytes()
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 1 and "writable by no one else" in r.stderr
    assert b.bytes() == before


def test_invalid_policy_names_the_field(runtime, make_bundle, policy_file):
    policy = policy_file({"capabilities": {"allow": ["CAP_KILL"], "mdoe": "enforce"}})
    b = make_bundle("true")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 1 and "unknown key /capabilities/mdoe" in r.stderr


def mounts_of(text):
    """/proc/self/mounts -> {mount point: (fstype, set of options)}."""
    out = {}
    for line in text.splitlines():
        dev, point, fstype, opts = line.split()[:4]
        out[point] = (fstype, set(opts.split(",")))
    return out


def test_root_is_read_only_with_tmpfs_scratch(runtime, make_bundle):
    b = make_bundle("sh", "-c", "cat /proc/self/mounts; echo ---; touch /probe 2>&1; echo ---; "
                    "echo ok > /tmp/f && cat /tmp/f; echo ok > /run/f && cat /run/f; echo ok > /var/tmp/f && cat /var/tmp/f")
    b.edit(lambda c: c["root"].update(readonly=False))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    mounts_text, touch, writes = r.stdout.split("---\n")
    mounts = mounts_of(mounts_text)
    assert "ro" in mounts["/"][1]
    assert "Read-only file system" in touch
    for point in ("/tmp", "/run", "/var/tmp"):
        fstype, opts = mounts[point]
        assert fstype == "tmpfs" and {"nosuid", "nodev"} <= opts, (point, opts)
    assert "size=1048576k" in ",".join(mounts["/tmp"][1])  # sized by the 1 GiB default memory limit
    assert writes.split() == ["ok", "ok", "ok"]
    assert b.config()["root"]["readonly"] is True


def test_tmpfs_keeps_what_the_image_had(runtime, make_bundle, rootfs):
    os.makedirs(os.path.join(rootfs, "run", "lock"), exist_ok=True)
    with open(os.path.join(rootfs, "run", "image-file"), "w") as f:
        f.write("from the image\n")
    try:
        b = make_bundle("sh", "-c", "cat /run/image-file; test -d /run/lock && echo lock-dir")
        r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
        assert r.stdout.split("\n")[:2] == ["from the image", "lock-dir"], r.stdout + r.stderr
    finally:
        os.unlink(os.path.join(rootfs, "run", "image-file"))
        os.rmdir(os.path.join(rootfs, "run", "lock"))


def cgroup_value(runtime, make_bundle, edit, path):
    b = make_bundle("cat", path)
    if edit:
        b.edit(edit)
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_pids_and_memory_defaults_inside_the_cgroup(runtime, make_bundle):
    assert cgroup_value(runtime, make_bundle, None, "/sys/fs/cgroup/pids/pids.max") == "1024"
    assert cgroup_value(runtime, make_bundle, None, "/sys/fs/cgroup/memory/memory.limit_in_bytes") == str(1 << 30)


def test_unlimited_and_high_limits_are_capped(runtime, make_bundle):
    def unlimited(c):
        c.setdefault("linux", {})["resources"] = {"pids": {"limit": -1}, "memory": {"limit": 64 << 30, "swap": -1}}
    assert cgroup_value(runtime, make_bundle, unlimited, "/sys/fs/cgroup/pids/pids.max") == "1024"
    assert cgroup_value(runtime, make_bundle, unlimited, "/sys/fs/cgroup/memory/memory.limit_in_bytes") == str(16 << 30)
    assert cgroup_value(runtime, make_bundle, unlimited, "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") == str(16 << 30)


def test_a_lower_limit_is_kept(runtime, make_bundle):
    def low(c):
        c.setdefault("linux", {})["resources"] = {"pids": {"limit": 64}}
    assert cgroup_value(runtime, make_bundle, low, "/sys/fs/cgroup/pids/pids.max") == "64"


@pytest.mark.parametrize("ns", ["pid", "ipc", "uts", "network"])
def test_host_namespace_by_omission_is_refused(runtime, make_bundle, ns):
    b = make_bundle("true")
    b.edit(lambda c: c["linux"].update(namespaces=[n for n in c["linux"]["namespaces"] if n["type"] != ns]))
    before = b.bytes()
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1
    assert "the host's %s namespace is shared" % ns in r.stderr
    assert b.bytes() == before


def test_host_namespace_by_path_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c["linux"]["namespaces"][1].update(path="/proc/%d/ns/net" % os.getpid())
           if c["linux"]["namespaces"][1]["type"] == "network" else None)
    assert b.config()["linux"]["namespaces"][1].get("path"), "runc spec's order changed"
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "joins the host's network namespace" in r.stderr


def test_joining_another_containers_namespace_is_refused(runtime, make_bundle, policy_file):
    """The attack: a config (with its own user namespace, or run without one) joined another
    container's network and IPC namespaces by path and reached what that container serves. Only a
    proven Kubernetes pod member may join its own sandbox's (tests/e2e/test_cri.py), whatever the
    user-namespace setting."""
    sandbox = make_bundle("sleep", "30")
    sid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", sandbox.path, sid).returncode == 0
    pid = json.loads(runtime.hardrun("state", sid).stdout)["pid"]
    member = make_bundle("sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/ipc")
    member.join_pod_namespaces(pid)
    before = member.bytes()
    shipped = json.loads((REPO / "profiles" / "policy.json").read_text())
    shipped["userNamespace"]["unsupported"] = "withoutUserNamespace"
    for pre in ((), ("--hardrun-policy", policy_file(shipped))):
        cid = runtime.new_id()
        r = runtime.hardrun("run", "--bundle", member.path, cid, pre=pre)
        assert r.returncode == 1, r.stdout
        assert "another process's (--network container:X)" in r.stderr, r.stderr
        assert "a container owns its ipc namespace" in r.stderr, r.stderr
        assert member.bytes() == before
        assert runtime.runc("state", cid).returncode != 0


def test_cgroup_namespace_is_added(runtime, make_bundle):
    b = make_bundle("readlink", "/proc/self/ns/cgroup")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() != os.readlink("/proc/self/ns/cgroup")
    assert {"type": "cgroup"} in b.config()["linux"]["namespaces"]


@pytest.fixture
def running_container(runtime, make_bundle):
    b = make_bundle("sleep", "60")
    cid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b.path, cid).returncode == 0
    return cid


def pids_max(runtime, cid):
    r = runtime.hardrun("exec", cid, "cat", "/sys/fs/cgroup/pids/pids.max")
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_update_from_stdin_cannot_remove_or_raise_limits(runtime, running_container):
    r = runtime.hardrun("update", "-r", "-", running_container, input='{"pids":{"limit":-1}}')
    assert r.returncode == 0, r.stderr
    assert pids_max(runtime, running_container) == "4096"
    r = runtime.hardrun("update", "--resources=-", running_container, input='{"pids":{"limit":77}}')
    assert r.returncode == 0, r.stderr
    assert pids_max(runtime, running_container) == "77"
    # The `=` form Docker 28 sends through containerd 2.1 (tests/fixtures/argv/docker-28.5.txt).
    r = runtime.hardrun("update", "--resources=-", running_container, input='{"pids":{"limit":-1}}')
    assert r.returncode == 0, r.stderr
    assert pids_max(runtime, running_container) == "4096"


def test_update_from_a_file_is_rewritten(runtime, running_container, tmp_path):
    f = tmp_path / "resources.json"
    f.write_text('{"pids":{"limit":100000},"memory":{"limit":-1}}')
    r = runtime.hardrun("update", "--resources", str(f), running_container)
    assert r.returncode == 0, r.stderr
    assert pids_max(runtime, running_container) == "4096"
    assert json.loads(f.read_text()) == {"pids": {"limit": 4096}, "memory": {"limit": 16 << 30, "swap": 16 << 30}}


def test_update_flags_above_the_ceiling_are_refused(runtime, running_container, tmp_path):
    log = tmp_path / "log.json"
    for flags in (["--pids-limit", "100000"], ["--pids-limit=-1"], ["--memory", "-1"], ["--memory", "64g"],
                  ["--memory", "64m", "--memory-swap", "128m"]):
        r = runtime.hardrun("update", *flags, running_container, pre=("--log", str(log), "--log-format", "json"))
        assert r.returncode == 1, flags
        assert "would exceed the ceiling" in json.loads(log.read_text().splitlines()[-1])["msg"], flags
    assert pids_max(runtime, running_container) == "1024"
    r = runtime.hardrun("update", "--pids-limit", "50", running_container)
    assert r.returncode == 0, r.stderr
    assert pids_max(runtime, running_container) == "50"


def test_update_flags_that_take_from_the_host_are_refused(runtime, running_container, tmp_path):
    log = tmp_path / "log.json"
    for flags, why in ((["--cpu-rt-runtime", "950000"], "real-time CPU time"),
                       (["--cpu-rt-period=1000000"], "real-time CPU time"),
                       (["--l3-cache-schema", "L3:0=f"], "Intel RDT"),
                       (["--mem-bw-schema", "MB:0=20"], "Intel RDT")):
        r = runtime.hardrun("update", *flags, running_container, pre=("--log", str(log), "--log-format", "json"))
        assert r.returncode == 1, flags
        assert why in json.loads(log.read_text().splitlines()[-1])["msg"], flags
    # A reservation is memory.low only on cgroup v2 (the guests check that); elsewhere a soft limit.
    if not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        r = runtime.hardrun("update", "--memory-reservation", "32m", running_container)
        assert r.returncode == 0, r.stderr


def test_update_with_an_ambiguous_command_line_is_refused(runtime, running_container):
    r = runtime.hardrun("update", running_container, "-r", "-", input='{"pids":{"limit":-1}}')
    assert r.returncode == 1 and "ambiguous" in r.stderr


def add_bind(c, source, destination="/mnt", options=("rbind",)):
    c["mounts"].append({"destination": destination, "type": "bind", "source": source, "options": list(options)})


@pytest.mark.parametrize("source", ["/", "/etc", "/proc", "/var/run", "/run/runc"])
def test_denied_bind_mounts_are_refused(runtime, make_bundle, source):
    b = make_bundle("true")
    b.edit(lambda c: add_bind(c, source))
    before = b.bytes()
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "is denied" in r.stderr, r.stderr
    assert b.bytes() == before


def test_a_symlink_to_a_denied_path_is_refused(runtime, make_bundle, tmp_path):
    link = tmp_path / "innocent"
    os.symlink("/etc", link)
    b = make_bundle("true")
    b.edit(lambda c: add_bind(c, str(link)))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "(/etc)" in r.stderr


def test_an_allowed_bind_gets_nosuid_nodev(runtime, make_bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_text("hello\n")
    b = make_bundle("sh", "-c", "cat /mnt/f; grep ' /mnt ' /proc/self/mounts")
    b.edit(lambda c: add_bind(c, str(data)))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "hello"
    assert {"nosuid", "nodev"} <= set(lines[1].split()[3].split(","))


def test_strict_profile_by_flag_and_by_program_name(runtime, make_bundle, tmp_path, policy_file):
    b = make_bundle("sh", "-c", "grep -E 'CapBnd|NoNewPrivs' /proc/self/status; grep ' /tmp ' /proc/self/mounts; "
                    "cat /proc/self/uid_map")
    # Root is allowed under strict's nonRoot only because the user namespace remaps it.
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", "strict"))
    assert r.returncode == 0, r.stderr
    inside, outside, size = r.stdout.splitlines()[-1].split()
    assert inside == "0" and int(outside) >= 65536 and size == "65536"
    link = tmp_path / "hardrun-strict"
    os.symlink(runtime.hardrun_bin, link)
    r = run([str(link), "--root", runtime.root, "run", "--bundle", b.path, runtime.new_id()])
    assert r.returncode == 0, r.stderr
    assert b.config()["process"]["capabilities"]["bounding"] == ["CAP_NET_BIND_SERVICE"]
    # Without the user namespace, root is refused.
    strict = json.loads((REPO / "profiles" / "strict.json").read_text())
    strict["userNamespace"] = {"mode": "audit"}
    before = b.bytes()
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy_file(strict)))
    assert r.returncode == 1 and "runs as root" in r.stderr, r.stderr
    assert b.bytes() == before
    b.edit(lambda c: c["process"]["user"].update(uid=1000, gid=1000))
    r = run([str(link), "--root", runtime.root, "run", "--bundle", b.path, runtime.new_id()])
    assert r.returncode == 0, r.stderr
    status = proc_status(r.stdout)
    assert status["CapBnd"] == cap_hex(["CAP_NET_BIND_SERVICE"]) and status["NoNewPrivs"] == "1"
    assert "noexec" in r.stdout.splitlines()[-2]


def test_annotation_selects_a_selectable_profile_only(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c.setdefault("annotations", {}).update({"run.hardrun.profile": "strict"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert b.config()["process"]["capabilities"]["bounding"] == ["CAP_NET_BIND_SERVICE"]
    b.edit(lambda c: c["annotations"].update({"run.hardrun.profile": "audit"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "not a profile this policy lets a container select" in r.stderr, r.stderr


def test_audit_profile_changes_nothing(runtime, make_bundle):
    b = make_bundle("cat", "/proc/self/status")
    b.edit(lambda c: (c["process"].update(noNewPrivileges=False), c["root"].update(readonly=False)))
    before = b.bytes()
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", "audit"))
    assert r.returncode == 0, r.stderr
    assert b.bytes() == before
    assert proc_status(r.stdout)["NoNewPrivs"] == "0"


def test_check_is_a_dry_run(hardrun_bin, make_bundle):
    b = make_bundle("true")
    before = b.bytes()
    r = run([hardrun_bin, "check", "--bundle", b.path])
    assert r.returncode == 0, r.stderr
    assert "would be rewritten" in r.stdout and "rootfs" in r.stdout
    r = run([hardrun_bin, "check", "--json", b.config_path])
    report = json.loads(r.stdout)
    assert report["result"] == "rewritten" and any(f["control"] == "rootfs" for f in report["changed"])
    b.edit(lambda c: c["linux"].update(namespaces=[n for n in c["linux"]["namespaces"] if n["type"] != "pid"]))
    r = run([hardrun_bin, "check", "--json", "--bundle", b.path])
    assert r.returncode == 1 and json.loads(r.stdout)["result"] == "refused"
    r = run([hardrun_bin, "--hardrun-policy", "strict", "check", "--bundle", b.path])
    assert r.returncode == 1 and "added a user namespace" in r.stdout and "--pid host" in r.stdout
    b.edit(lambda c: c["linux"]["namespaces"].append({"type": "pid"}))
    assert b.bytes() != before  # only the test's own edits changed it
    assert "hardrun" not in b.bytes().decode()
    r = run([hardrun_bin, "check", "--bogus"])
    assert r.returncode == 1 and "unknown option" in r.stderr


@pytest.mark.parametrize("flags,what", [
    (["--no-new-privs=false"], "no_new_privs off"),
    (["--apparmor", "unconfined"], "confinement"),
    (["--process-label", "system_u:system_r:spc_t:s0"], "confinement"),
    (["--cap", "CAP_NET_RAW"], "allowlist"),
])
def test_exec_flags_that_undo_the_policy_are_refused(runtime, running_container, flags, what):
    r = runtime.hardrun("exec", *flags, running_container, "true")
    assert r.returncode == 1 and what in r.stderr, r.stderr


def test_exec_user_root_under_strict(runtime, make_bundle, policy_file, tmp_path):
    # In a container hardrun gave a user namespace, uid 0 is no host root: exec as 0 is fine
    # under strict's nonRoot, by flag and by process file (what docker exec sends).
    b = make_bundle("sleep", "60")
    cid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b.path, cid, pre=("--hardrun-policy", "strict")).returncode == 0
    r = runtime.hardrun("exec", "--user", "0", cid, "sh", "-c", "id -u; cat /proc/self/uid_map",
                        pre=("--hardrun-policy", "strict"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "0" and r.stdout.split()[2] != "0"
    process = tmp_path / "process.json"
    process.write_text(json.dumps({"user": {"uid": 0, "gid": 0}, "args": ["id", "-u"], "cwd": "/",
                                   "env": ["PATH=/bin"]}))
    r = runtime.hardrun("exec", "--process", str(process), cid, pre=("--hardrun-policy", "strict"))
    assert r.returncode == 0 and r.stdout.strip() == "0", r.stderr

    # Without the user namespace (strict with it in audit mode), root is host root: refused.
    strict = json.loads((REPO / "profiles" / "strict.json").read_text())
    strict["userNamespace"] = {"mode": "audit"}
    no_userns = ("--hardrun-policy", policy_file(strict))
    b2 = make_bundle("sleep", "60")
    b2.edit(lambda c: c["process"]["user"].update(uid=1000, gid=1000))
    cid2 = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b2.path, cid2, pre=no_userns).returncode == 0
    r = runtime.hardrun("exec", "--user", "0", cid2, "id", "-u", pre=no_userns)
    assert r.returncode == 1 and "runs as root" in r.stderr
    process.write_text(json.dumps({"user": {"uid": 0, "gid": 0}, "args": ["id", "-u"], "cwd": "/"}))
    r = runtime.hardrun("exec", "--process", str(process), cid2, pre=no_userns)
    assert r.returncode == 1 and "runs as root" in r.stderr
    r = runtime.hardrun("exec", "--user", "1000:1000", cid2, "id", "-u", pre=no_userns)
    assert r.returncode == 0 and r.stdout.strip() == "1000", r.stderr
    # The default policy does not require a non-root user.
    assert runtime.hardrun("exec", "--user", "0", cid2, "id", "-u").stdout.strip() == "0"


def test_restore_is_refused_unless_the_policy_trusts_images(runtime, make_bundle, tmp_path, policy_file):
    """criu restores the image's credentials and capabilities as saved: the default refuses, and
    a policy that trusts images (restore audit) still sends the config through every control."""
    b = make_bundle("true")
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("restore", "--image-path", str(tmp_path), "--bundle", b.path, cid)
    assert r.returncode == 1 and "a checkpoint image restores its processes' credentials" in r.stderr, r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0
    shipped = json.loads((REPO / "profiles" / "policy.json").read_text())
    shipped["restore"] = {"mode": "audit"}
    trusting = ("--hardrun-policy", policy_file(shipped))
    b.edit(lambda c: c["linux"].update(namespaces=[n for n in c["linux"]["namespaces"] if n["type"] != "pid"]))
    before = b.bytes()
    r = runtime.hardrun("restore", "--image-path", str(tmp_path), "--bundle", b.path, runtime.new_id(), pre=trusting)
    assert r.returncode == 1 and "the host's pid namespace is shared" in r.stderr
    assert b.bytes() == before
    ok = make_bundle("true")
    r = runtime.hardrun("restore", "--image-path", str(tmp_path), "--bundle", ok.path, runtime.new_id(), pre=trusting)
    assert ok.config()["root"]["readonly"] is True  # rewritten before runc (which has no image to restore)


@pytest.fixture
def default_docker_root_files(runtime):
    """Per-container files where Docker keeps them by default (/var/lib/docker), for one test id;
    only what this fixture creates is removed afterwards."""
    root = "/var/lib/docker"
    created = []
    for d in (root, root + "/containers", root + "/volumes"):
        if not os.path.isdir(d):
            os.mkdir(d, 0o710)
            created.append(d)
    cid = runtime.new_id()
    own = os.path.join(root, "containers", cid)
    volume = os.path.join(root, "volumes", cid + "-vol", "_data")
    os.makedirs(own)
    os.makedirs(volume)
    with open(os.path.join(own, "hosts"), "w") as f:
        f.write("127.0.0.1 from-docker-root\n")
    yield cid, own, volume
    shutil.rmtree(own)
    shutil.rmtree(os.path.dirname(volume))
    for d in reversed(created):
        os.rmdir(d)


def test_real_default_docker_root_shapes(runtime, make_bundle, default_docker_root_files):
    cid, own, volume = default_docker_root_files
    b = make_bundle("sh", "-c", "cat /etc/hosts; echo x > /data/f && echo volume-ok")
    b.edit(lambda c: (add_bind(c, os.path.join(own, "hosts"), "/etc/hosts"), add_bind(c, volume, "/data")))
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["127.0.0.1 from-docker-root", "volume-ok"]
    # The same files for another container id, and the data root's containers dir: refused.
    other = make_bundle("true")
    other.edit(lambda c: add_bind(c, os.path.join(own, "hosts"), "/etc/hosts"))
    r = runtime.hardrun("run", "--bundle", other.path, runtime.new_id())
    assert r.returncode == 1 and "(/var/lib/docker)" in r.stderr
    parent = make_bundle("true")
    parent.edit(lambda c: add_bind(c, "/var/lib/docker/containers", "/x"))
    assert runtime.hardrun("run", "--bundle", parent.path, runtime.new_id()).returncode == 1


def test_host_devices_are_not_passed_and_cgroup_denies_them(runtime, make_bundle):
    st = os.stat("/dev/vda") if os.path.exists("/dev/vda") else os.stat("/dev/loop0")
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    b = make_bundle("sh", "-c", "ls /dev; cat /sys/fs/cgroup/devices/devices.list")

    def privileged_devices(c):
        c["linux"]["devices"] = [{"path": "/dev/hostdisk", "type": "b", "major": major, "minor": minor,
                                  "fileMode": 0o660, "uid": 0, "gid": 0}]
        c["linux"]["resources"]["devices"] = [{"allow": True, "access": "rwm"}]
    b.edit(privileged_devices)
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert "hostdisk" not in r.stdout.split()
    assert "a *:* rwm" not in r.stdout and "b %d:%d" % (major, minor) not in r.stdout
    assert "c 1:3 rwm" in r.stdout  # /dev/null still allowed


def test_masked_and_read_only_paths_are_restored(runtime, make_bundle):
    b = make_bundle("sh", "-c", "wc -c < /proc/timer_list; echo 1 > /proc/sys/kernel/sysrq 2>/dev/null || echo ro")
    b.edit(lambda c: c["linux"].update(maskedPaths=[], readonlyPaths=[]))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.stdout.split() == ["0", "ro"], r.stdout + r.stderr


def test_unsafe_sysctls_are_removed(runtime, make_bundle):
    b = make_bundle("cat", "/proc/sys/kernel/shmmax", "/proc/sys/net/ipv4/ip_unprivileged_port_start")
    b.edit(lambda c: c["linux"].update(sysctl={"kernel.shmmax": "4096", "net.ipv4.ip_unprivileged_port_start": "80"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    shmmax, port_start = r.stdout.split()
    assert shmmax != "4096" and port_start == "80", r.stdout + r.stderr


def test_default_seccomp_filter_is_installed_once_and_blocks_unshare(runtime, make_bundle):
    script = "grep -E '^Seccomp' /proc/self/status; unshare -U true && echo unshare-ok || echo unshare-denied"
    b = make_bundle("sh", "-c", script)
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert "Seccomp:\t2" in r.stdout and "Seccomp_filters:\t1" in r.stdout, r.stdout
    assert "unshare-denied" in r.stdout
    # Under plain runc (runc spec has no seccomp) the same container may create a user namespace.
    plain = make_bundle("sh", "-c", script)
    r = runtime.runc("run", "--bundle", plain.path, runtime.new_id())
    assert "Seccomp:\t0" in r.stdout and "unshare-ok" in r.stdout, r.stdout + r.stderr


def test_unconfined_profile_is_replaced(runtime, make_bundle):
    b = make_bundle("grep", "^Seccomp:", "/proc/self/status")
    b.edit(lambda c: c["linux"].update(seccomp={"defaultAction": "SCMP_ACT_ALLOW"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.stdout.split() == ["Seccomp:", "2"], r.stdout + r.stderr
    assert b.config()["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"


def test_a_profile_that_allows_by_default_keeps_its_denials(runtime, make_bundle):
    """A caller's profile that allows everything but getcwd: under hardrun the container runs under
    the default profile (unshare denied) and still cannot call getcwd."""
    script = "d=$(pwd -P); [ -n \"$d\" ] && echo getcwd-ok || echo getcwd-denied; unshare -U true && echo unshare-ok || echo unshare-denied"
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
    b = make_bundle("sh", "-c", script)
    b.edit(lambda c: c["linux"].update(seccomp=profile))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert "getcwd-denied" in r.stdout and "unshare-denied" in r.stdout, r.stdout
    # Plain runc with the same profile: getcwd denied, unshare allowed (what the default adds).
    plain = make_bundle("sh", "-c", script)
    plain.edit(lambda c: c["linux"].update(seccomp=profile))
    r = runtime.runc("run", "--bundle", plain.path, runtime.new_id())
    assert "getcwd-denied" in r.stdout and "unshare-ok" in r.stdout, r.stdout + r.stderr


def test_a_seccomp_listener_the_policy_does_not_name_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c["linux"].update(seccomp={
        "defaultAction": "SCMP_ACT_ERRNO", "listenerPath": "/run/hardrun-it-agent.sock",
        "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]}))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "seccomp.listeners does not name" in r.stderr, r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0


def test_profile_check_and_diff_commands(hardrun_bin):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    default = os.path.join(repo, "profiles", "seccomp-default.json")
    docker = os.path.join(repo, "tests", "fixtures", "docker-20.10-default.json")
    r = run([hardrun_bin, "profile", "check", default])
    assert r.returncode == 0 and "ok" in r.stdout, r.stdout + r.stderr
    r = run([hardrun_bin, "profile", "diff", docker, default])
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert "- io_uring_setup" in lines and "- ptrace" in lines and "+ reboot  (includes {\"caps\":[\"CAP_SYS_BOOT\"]})" in lines
    assert any(line.startswith("~ chroot") for line in lines)  # Docker: always (it grants SYS_CHROOT); hardrun: only with it
    r = run([hardrun_bin, "profile", "check", os.path.join(repo, "tests", "fixtures", "runc-1.1-spec.json")])
    assert r.returncode == 1 and "defaultAction" in r.stdout  # runc spec has no seccomp: reported, not crashed
