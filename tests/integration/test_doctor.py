"""`hardrun doctor` on this host: what it finds is what the host has, and a fail is exit 1."""
import json
import os
import pathlib

from bundles import run

REPO = pathlib.Path(__file__).resolve().parents[2]


def doctor(hardrun_bin, *pre):
    r = run([hardrun_bin, *pre, "doctor", "--json"])
    out = json.loads(r.stdout)
    return r.returncode, {c["check"]: c for c in out["checks"]}, out["result"]


def test_doctor_reports_this_host_and_exits_by_its_findings(hardrun_bin, require_root):
    rc, checks, result = doctor(hardrun_bin)
    assert (rc == 1) == (result == "fail") == any(c["status"] == "fail" for c in checks.values()), checks
    assert checks["kernel"]["finding"] == "Linux " + os.uname().release
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert checks["cgroup"]["finding"].startswith("v2" if v2 else "v1"), checks["cgroup"]
    enabled = open("/sys/module/apparmor/parameters/enabled").read().strip() == "Y" \
        if os.path.exists("/sys/module/apparmor/parameters/enabled") else False
    assert ("not enabled" in checks["apparmor"]["finding"]) != enabled, checks["apparmor"]
    assert "idmap on /run" in checks
    # The human form says the same, one line per check.
    r = run([hardrun_bin, "doctor"])
    assert r.returncode == rc
    lines = [l for l in r.stdout.splitlines() if not l.startswith("      ->")]
    assert len(lines) == len(checks) and all(l.split()[0] in ("pass", "warn", "fail") for l in lines), r.stdout


def test_a_policy_whose_owner_has_no_ids_fails(hardrun_bin, require_root, policy_file):
    policy = json.loads((REPO / "profiles" / "policy.json").read_text())
    policy["userNamespace"]["owner"] = "nobody-hardrun-has-no-ids"
    rc, checks, _ = doctor(hardrun_bin, "--hardrun-policy", policy_file(policy))
    assert rc == 1 and checks["subordinate ids"]["status"] == "fail", checks["subordinate ids"]
    assert "install.sh" in checks["subordinate ids"]["advice"]


def test_a_policy_file_others_may_write_fails(hardrun_bin, require_root, policy_file):
    path = policy_file(json.loads((REPO / "profiles" / "policy.json").read_text()))
    os.chmod(path, 0o666)
    rc, checks, _ = doctor(hardrun_bin, "--hardrun-policy", path)
    assert rc == 1 and checks["policy"]["status"] == "fail", checks["policy"]


def test_the_audit_target_is_judged_by_the_writers_rule(hardrun_bin, require_root, policy_file, tmp_path):
    def audit_check(**audit):
        policy = json.loads((REPO / "profiles" / "policy.json").read_text())
        policy["audit"] = audit
        _, checks, _ = doctor(hardrun_bin, "--hardrun-policy", policy_file(policy))
        return checks["audit"]
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    check = audit_check(log=str(shared / "audit.log"))
    assert check["status"] == "warn" and "writable by group or others" in check["finding"], check
    # The writer refuses the same directory: the event is lost with a warning.
    os.chmod(shared, 0o750)
    assert audit_check(log=str(shared / "audit.log"))["status"] == "pass"
    assert audit_check(log=str(tmp_path / "new" / "audit.log"))["status"] == "pass"  # created at the first event
    check = audit_check(log=str(tmp_path / "no" / "such" / "audit.log"))
    assert check["status"] == "warn" and "missing" in check["finding"], check
    (shared / "audit.log").symlink_to("/etc/passwd")
    check = audit_check(log=str(shared / "audit.log"))
    assert check["status"] == "warn" and "symbolic link" in check["finding"], check
    check = audit_check(target="none")
    assert check["status"] == "warn" and check["finding"] == "none", check
    journal = os.path.exists("/run/systemd/journal/socket")
    assert (audit_check(target="journal")["status"] == "pass") == journal


def test_the_runtime_is_judged_by_its_version(hardrun_bin, require_root, tmp_path):
    def runtime_check(first_line):
        fake = tmp_path / "runtime"
        fake.write_text("#!/bin/sh\necho '%s'\necho 'spec: 1.0.2'\n" % first_line)
        fake.chmod(0o755)
        _, checks, _ = doctor(hardrun_bin, "--hardrun-runtime", str(fake))
        return checks["runtime"]
    for line, status in (("runc version 1.0.3", "warn"), ("runc version 0.1.1", "warn"),
                         ("runc version 1.1.5+ds1", "pass"), ("runc version 1.10.0", "pass"),
                         ("runc version 2.0.0", "pass"), ("crun version 1.21", "pass")):
        check = runtime_check(line)
        assert check["status"] == status and check["finding"].endswith(line), (line, check)
        assert (check["advice"] == "use runc 1.1 or later") == (status == "warn"), (line, check)
    assert runtime_check("")["status"] == "fail"
