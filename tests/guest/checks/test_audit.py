"""Audit events where a systemd host collects them: the policy's audit.target journal and syslog,
read back from the guest's own systemd-journald, beside Docker's journald log driver."""
import json
import os

import pytest

from guestlib import IMAGE, SRC, run, wait_for

POLICY = "/etc/hardrun/policy.json"


@pytest.fixture
def audit_target():
    """Sets the system policy's audit.target (hardrun reads the policy at each create), then puts
    back what was there."""
    before = open(POLICY).read() if os.path.exists(POLICY) else None

    def set_target(target):
        policy = json.load(open(os.path.join(SRC, "profiles", "policy.json")))
        policy["audit"] = {"target": target}
        os.makedirs(os.path.dirname(POLICY), exist_ok=True)
        with open(POLICY, "w") as f:
            json.dump(policy, f)
        os.chmod(POLICY, 0o644)
    yield set_target
    if before is None:
        os.unlink(POLICY)
    else:
        with open(POLICY, "w") as f:
            f.write(before)


def journal(*matches):
    r = run("journalctl", "--no-pager", "-o", "json", *matches, check=False)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def test_journal_target_beside_dockers_journald_log_driver(docker, audit_target):
    audit_target("journal")
    full = docker("run", "-d", "--runtime=hardrun", "--network", "none", "--log-driver", "journald", IMAGE,
                  "sh", "-c", "echo hello from inside").stdout.strip()
    short = full[:12]
    # One filter finds both: hardrun's event and the container's own output.
    entries = wait_for("hardrun's event and the container's line in the journal", lambda: (
        lambda e: e if any(x.get("SYSLOG_IDENTIFIER") == "hardrun" for x in e) and
        any(x.get("MESSAGE") == "hello from inside" for x in e) else None)(journal("CONTAINER_ID=" + short)), 60)
    [event] = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "hardrun"]
    assert event["CONTAINER_ID_FULL"] == full and event["HARDRUN_COMMAND"] == "create"
    assert event["HARDRUN_OUTCOME"] == "rewritten" and event["PRIORITY"] in ("5", "6")
    assert event["HARDRUN_POLICY"] == POLICY and event["HARDRUN_POLICY_DIGEST"].startswith("sha256:")
    assert any(f["control"] == "capabilities" for f in json.loads(event["HARDRUN_CHANGED"]))
    assert [e["CONTAINER_ID"] for e in journal("-t", "hardrun", "HARDRUN_COMMAND=create")].count(short) == 1
    # A refusal is a warning, with its reason.
    r = docker("run", "--rm", "--runtime=hardrun", "--pid", "host", IMAGE, "true", check=False)
    assert r.returncode != 0 and "policy violation" in r.stderr
    refused = wait_for("the refusal in the journal", lambda: [
        e for e in journal("-t", "hardrun", "HARDRUN_OUTCOME=refused") if "pid" in e["HARDRUN_REFUSED"]], 60)
    assert refused[-1]["PRIORITY"] == "4" and "refused" in refused[-1]["MESSAGE"]


def test_syslog_target_lands_at_authpriv(docker, audit_target):
    audit_target("syslog")
    cid = docker.start()
    full = docker("inspect", "-f", "{{.Id}}", cid).stdout.strip()
    # journald listens on /dev/log too: the JSON line arrives as a syslog message of facility 10.
    found = wait_for("the syslog event", lambda: [
        e for e in journal("-t", "hardrun", "SYSLOG_FACILITY=10") if full in e.get("MESSAGE", "")], 60)
    event = json.loads(found[-1]["MESSAGE"])
    assert event["id"] == full and event["outcome"] == "rewritten" and event["changed"]
