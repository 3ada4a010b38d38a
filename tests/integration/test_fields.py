"""runc reads config.json with Go's JSON decoder: a struct's keys match case-insensitively and
the last of several wins, unknown keys are ignored, numbers must fit their Go type. hardrun reads
the config the same way or refuses it, before any control looks at it. Shown with real runc: the
parser differential is an escape under plain runc and a refusal (bundle untouched, nothing
started) through hardrun."""
import json

import pytest


def hardened_seccomp(runtime, make_bundle):
    """The OCI seccomp profile hardrun gives a container that has none (unshare is not in it)."""
    b = make_bundle("true")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    profile = b.config()["linux"]["seccomp"]
    assert profile["defaultAction"] != "SCMP_ACT_ALLOW"
    assert not any("unshare" in rule["names"] and rule["action"] == "SCMP_ACT_ALLOW" for rule in profile["syscalls"])
    return profile


ESCAPE = ("sh", "-c", "unshare -U true && echo escaped || echo confined")


def test_a_second_default_action_spelled_differently_is_refused(runtime, make_bundle):
    profile = hardened_seccomp(runtime, make_bundle)
    profile["DefaultAction"] = "SCMP_ACT_ALLOW"  # runc takes the last of the two

    # Plain runc: the filter allows everything, so the attack is real.
    plain = make_bundle(*ESCAPE)
    plain.edit(lambda c: c["linux"].update(seccomp=profile))
    r = runtime.runc("run", "--bundle", plain.path, runtime.new_id())
    assert "escaped" in r.stdout, (r.stdout, r.stderr)

    b = make_bundle(*ESCAPE)
    b.edit(lambda c: c["linux"].update(seccomp=profile))
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1
    assert "/linux/seccomp/DefaultAction" in r.stderr and "only by case" in r.stderr, r.stderr
    assert "escaped" not in r.stdout
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0

    # The same profile without the second key holds through hardrun: the filter is real.
    del profile["DefaultAction"]
    b = make_bundle(*ESCAPE)
    b.edit(lambda c: c["linux"].update(seccomp=profile))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert "confined" in r.stdout and "escaped" not in r.stdout, r.stdout


@pytest.mark.parametrize("edit, pointer", [
    (lambda c: c["linux"].update(newKnob={"enable": True}), "/linux/newKnob"),
    (lambda c: c["process"]["user"].update(uid=4294967296), "/process/user/uid"),
    (lambda c: c["linux"].update(netDevices={"eth9": {"name": "eth0"}}), "/linux/netDevices"),
    (lambda c: c["process"]["capabilities"].update(Bounding=["CAP_SYS_ADMIN"]), "/process/capabilities/Bounding"),
])
def test_what_no_control_reads_is_refused_with_its_pointer(runtime, make_bundle, edit, pointer):
    b = make_bundle("true")
    b.edit(edit)
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("--log", b.path + "/log.json", "--log-format", "json", "run", "--bundle", b.path, cid)
    assert r.returncode == 1
    assert pointer in r.stderr, r.stderr
    assert b.bytes() == before
    assert runtime.runc("state", cid).returncode != 0
    # The caller's user sees it: runc's error line in --log, as containerd shows it.
    errors = [json.loads(line) for line in open(b.path + "/log.json") if '"error"' in line]
    assert errors and pointer in errors[-1]["msg"], errors


def test_exec_and_update_documents_are_read_as_runc_reads_them(runtime, make_bundle, tmp_path):
    b = make_bundle("sleep", "30")
    cid = runtime.new_id()
    r = runtime.hardrun("run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    process = {"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0},
               "capabilities": {"bounding": []}, "Capabilities": {"bounding": ["CAP_SYS_ADMIN"]}}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(process))
    r = runtime.hardrun("exec", "--process", str(path), cid)
    assert r.returncode == 1 and "/Capabilities" in r.stderr, r.stderr
    resources = tmp_path / "resources.json"
    resources.write_text(json.dumps({"pids": {"limit": 100, "Limit": -1}}))
    r = runtime.hardrun("update", "-r", str(resources), cid)
    assert r.returncode == 1 and "/pids/Limit" in r.stderr, r.stderr
    runtime.runc("kill", cid, "KILL")
