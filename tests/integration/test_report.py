"""`hardrun report`: real containers through hardrun and through plain runc side by side in one
private runc root; the report reads what the kernel says about each (not config.json), tells
them apart, and reports drift when a limit is changed behind hardrun's back."""
import json
import os

import pytest

from bundles import run
from testenv import cap_hex, proc_status

ALLOW = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
ASKED = ["CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_KILL", "CAP_CHOWN"]
PIDS = {"default": 100, "max": 200}
MEMORY = {"default": 64 << 20, "max": 128 << 20}
NAMESPACE_CHECKS = ["namespace-pid", "namespace-ipc", "namespace-uts", "namespace-net", "namespace-mnt",
                    "namespace-cgroup"]
ALL_CHECKS = ["capabilities", "no-new-privileges", "seccomp", "root-read-only", "tmpfs-nosuid-nodev",
              "pids-limit", "memory-limit", "swap-held"] + NAMESPACE_CHECKS + ["non-root", "user-namespace"]
# The CIS Docker Benchmark v1.6 section 5 items and Pod Security Standards controls of the table
# in man/hardrun-report.8.
STANDARDS = {
    "capabilities": ("5.4", "restricted", "Capabilities"),
    "no-new-privileges": ("5.26", "restricted", "Privilege Escalation"),
    "seccomp": ("5.22", "baseline", "Seccomp"),
    "root-read-only": ("5.13", None, None),
    "tmpfs-nosuid-nodev": ("5.13", None, None),
    "pids-limit": ("5.29", None, None),
    "memory-limit": ("5.11", None, None),
    "swap-held": ("5.11", None, None),
    "namespace-pid": ("5.16", "baseline", "Host Namespaces"),
    "namespace-ipc": ("5.17", "baseline", "Host Namespaces"),
    "namespace-uts": ("5.21", None, None),
    "namespace-net": ("5.10", "baseline", "Host Namespaces"),
    "namespace-mnt": (None, None, None),
    "namespace-cgroup": (None, None, None),
    "non-root": (None, "restricted", "Running as Non-root"),
    "user-namespace": ("5.31", "restricted", "Running as Non-root"),
}


@pytest.fixture
def policy(policy_file, tmp_path):
    return policy_file({"capabilities": {"allow": ALLOW},
                        "resources": {"pids": PIDS, "memory": MEMORY},
                        "audit": {"log": str(tmp_path / "audit.log")}})


def start(runtime, bundle, through_hardrun, policy):
    cid = runtime.new_id()
    if through_hardrun:
        r = runtime.hardrun("run", "--detach", "--bundle", bundle.path, cid, pre=("--hardrun-policy", policy))
    else:
        r = runtime.runc("run", "--detach", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    return cid


def loose_bundle(make_bundle):
    """What `docker run --cap-add SYS_ADMIN --cap-add NET_RAW` with a writable root roughly asks for."""
    b = make_bundle("sleep", "300")
    b.set_caps(ASKED)
    b.edit(lambda c: (c["process"].update(noNewPrivileges=False), c["root"].update(readonly=False)))
    return b


def report(runtime, policy, *args):
    return runtime.hardrun("report", *args, pre=("--hardrun-policy", policy))


def report_json(runtime, policy, *args):
    r = report(runtime, policy, "--json", *args)
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def checks_of(container):
    return {c["check"]: c for c in container["checks"]}


def pid_status(pid):
    with open("/proc/%d/status" % pid) as f:
        return proc_status(f.read())


def cgroup_file(limit, name):
    with open(os.path.join(limit["path"], name)) as f:
        return f.read().strip()


def test_report_tells_hardrun_and_plain_runc_containers_apart(runtime, make_bundle, policy):
    hardened = loose_bundle(make_bundle)
    plain = loose_bundle(make_bundle)
    hid = start(runtime, hardened, True, policy)
    rid = start(runtime, plain, False, policy)

    status, out = report_json(runtime, policy)
    assert status == 1, "the plain runc container violates the policy"
    assert out["root"] == runtime.root
    assert out["policy"]["source"] == policy
    assert out["policy"]["digest"].startswith("sha256:")
    assert out["compliant"] is False
    by_id = {c["id"]: c for c in out["containers"]}
    assert set(by_id) == {hid, rid}

    # Through hardrun: stamped with the digest of the policy it was created under.
    h = by_id[hid]
    stamp = hardened.config()["annotations"]["run.hardrun.policy"]
    assert stamp == out["policy"]["digest"]
    assert h["hardrun"] is True and h["stamp"] == stamp and h["policy_known"] is True
    assert h["policies"] == [{"source": policy, "digest": stamp}]
    assert h["status"] == "running" and h["bundle"] == hardened.path
    assert h["checked"] is True and h["error"] is None and h["compliant"] is True
    live = h["live"]
    status_h = pid_status(h["pid"])
    kept = sorted(set(ALLOW) & set(ASKED))
    for s, key in (("bounding", "CapBnd"), ("permitted", "CapPrm"), ("effective", "CapEff"),
                   ("inheritable", "CapInh"), ("ambient", "CapAmb")):
        assert live["capabilities"][s]["mask"] == status_h[key], s
    for s in ("bounding", "permitted", "effective"):
        assert live["capabilities"][s]["mask"] == cap_hex(kept)
        assert sorted(live["capabilities"][s]["names"]) == kept
    assert live["no_new_privs"] is True
    assert live["seccomp"] == "filter" and live["seccomp_filters"] == 1
    # hardrun's userNamespace control: root is an unprivileged host uid (a slice of the hardrun
    # user's subordinate ids); /proc shows the host's view of the init process's uids.
    root_uid = live["root_host_uid"]
    assert root_uid and root_uid > 0
    assert live["uid_map"] == [{"inside": 0, "outside": root_uid, "count": 65536}]
    with open("/proc/%d/uid_map" % h["pid"]) as f:
        assert f.read().split() == ["0", str(root_uid), "65536"]
    assert live["uids"] == [root_uid] * 4 and status_h["Uid"].split() == [str(root_uid)] * 4
    assert live["root_read_only"] is True
    tmpfs = {t["path"]: t for t in live["tmpfs"]}
    for path in ("/tmp", "/run", "/var/tmp"):
        assert tmpfs[path]["nosuid"] and tmpfs[path]["nodev"] and not tmpfs[path]["read_only"], path
    assert tmpfs["/dev"]["nodev"] is False  # /dev itself is a tmpfs: reported, not a policy path
    pids, memory = live["cgroup"]["pids"], live["cgroup"]["memory"]
    assert pids["max"] == PIDS["default"] and memory["limit"] == MEMORY["default"]
    assert pids["version"] in (1, 2) and memory["version"] == pids["version"]
    assert cgroup_file(pids, "pids.max") == str(PIDS["default"])
    assert cgroup_file(memory, "memory.limit_in_bytes" if memory["version"] == 1 else "memory.max") == \
        str(MEMORY["default"])
    assert live["namespaces"] == {"pid": "own", "ipc": "own", "uts": "own", "net": "own", "mnt": "own",
                                  "cgroup": "own", "user": "own"}
    checks = checks_of(h)
    assert list(checks) == ALL_CHECKS
    for name in ALL_CHECKS:
        if name == "non-root":
            continue
        assert checks[name]["result"] == "pass", checks[name]
        assert checks[name]["level"] == "enforced" and checks[name]["violation"] is False
    assert checks["non-root"]["result"] == "info" and checks["non-root"]["level"] == "off"
    assert checks["non-root"]["live"] == "host uid %d" % root_uid
    assert checks["user-namespace"]["live"] == "root remapped to host uid %d" % root_uid
    for name, (cis, level, control) in STANDARDS.items():
        assert (checks[name]["cis"], checks[name]["pss_level"], checks[name]["pss_control"]) == (cis, level, control)
        assert (checks[name]["cis_title"] is None) == (cis is None)

    # Plain runc, same config: everything it asked for, checked against the same policy.
    p = by_id[rid]
    assert p["hardrun"] is False and p["stamp"] is None and p["policy_known"] is None
    assert p["policies"] == [{"source": policy, "digest": out["policy"]["digest"]}]
    assert p["checked"] is True and p["compliant"] is False
    live = p["live"]
    assert live["capabilities"]["bounding"]["mask"] == cap_hex(ASKED) == pid_status(p["pid"])["CapBnd"]
    assert "CAP_SYS_ADMIN" in live["capabilities"]["bounding"]["names"]
    assert live["no_new_privs"] is False
    assert live["seccomp"] == "disabled"
    assert live["root_read_only"] is False
    assert "/tmp" not in {t["path"] for t in live["tmpfs"]}
    assert live["cgroup"]["pids"]["max"] is None and live["cgroup"]["memory"]["limit"] is None
    assert live["namespaces"]["cgroup"] == "host" and live["namespaces"]["pid"] == "own"
    assert live["namespaces"]["user"] == "host"
    assert live["uid_map"] == [{"inside": 0, "outside": 0, "count": 4294967295}]
    assert live["root_host_uid"] == 0 and live["uids"] == [0, 0, 0, 0]
    checks = checks_of(p)
    violating = {n for n, c in checks.items() if c["violation"]}
    # swap-held: unlimited swap beside an unlimited memory limit (where the host accounts swap).
    swap_accounted = checks["swap-held"]["live"] != "the host does not account swap"
    assert violating == {"capabilities", "no-new-privileges", "seccomp", "root-read-only", "pids-limit",
                         "memory-limit", "namespace-cgroup", "user-namespace"} | ({"swap-held"} if swap_accounted else set())
    assert checks["user-namespace"]["live"] == "root is host uid 0"
    assert "CAP_SYS_ADMIN" in checks["capabilities"]["live"] and "CAP_NET_RAW" in checks["capabilities"]["live"]
    assert checks["pids-limit"]["live"] == "unlimited"
    assert checks["pids-limit"]["required"] == "at most %d" % PIDS["max"]

    # The human table says the same.
    r = report(runtime, policy)
    assert r.returncode == 1
    blocks = {b.split()[0]: b for b in r.stdout.split("\n\n") if b.strip()}
    assert "started through hardrun, policy %s" % policy in blocks[hid]
    assert blocks[hid].rstrip().endswith("=> compliant")
    assert "NOT started through hardrun" in blocks[rid]
    assert "=> VIOLATES its policy" in blocks[rid]
    assert "2 containers in %s: 1 violating their policy, 1 not started through hardrun" % runtime.root in r.stdout

    # Asked for the hardrun container alone, the report is clean.
    status, out = report_json(runtime, policy, hid)
    assert status == 0 and [c["id"] for c in out["containers"]] == [hid]


def test_limits_changed_behind_hardruns_back_are_drift(runtime, make_bundle, policy):
    cid = start(runtime, make_bundle("sleep", "300"), True, policy)
    status, out = report_json(runtime, policy, cid)
    assert status == 0, out
    live = out["containers"][0]["live"]
    pids, memory = live["cgroup"]["pids"], live["cgroup"]["memory"]

    with open(os.path.join(pids["path"], "pids.max"), "w") as f:
        f.write("max")
    status, out = report_json(runtime, policy, cid)
    assert status == 1
    c = out["containers"][0]
    assert c["hardrun"] is True and c["compliant"] is False
    assert c["live"]["cgroup"]["pids"]["max"] is None
    checks = checks_of(c)
    assert checks["pids-limit"]["violation"] is True and checks["pids-limit"]["live"] == "unlimited"
    assert [n for n, x in checks.items() if x["violation"]] == ["pids-limit"]

    # Back within the ceiling: compliant again (a lower or equal limit is not drift).
    with open(os.path.join(pids["path"], "pids.max"), "w") as f:
        f.write(str(PIDS["max"]))
    status, out = report_json(runtime, policy, cid)
    assert status == 0 and out["containers"][0]["live"]["cgroup"]["pids"]["max"] == PIDS["max"]

    above = 256 << 20
    if memory["version"] == 1:
        # v1 wants memory+swap raised first (hardrun held it to the memory limit).
        with open(os.path.join(memory["path"], "memory.memsw.limit_in_bytes"), "w") as f:
            f.write(str(above))
        with open(os.path.join(memory["path"], "memory.limit_in_bytes"), "w") as f:
            f.write(str(above))
    else:
        with open(os.path.join(memory["path"], "memory.max"), "w") as f:
            f.write(str(above))
    status, out = report_json(runtime, policy, cid)
    assert status == 1
    checks = checks_of(out["containers"][0])
    assert out["containers"][0]["live"]["cgroup"]["memory"]["limit"] == above
    assert checks["memory-limit"]["violation"] is True
    assert checks["memory-limit"]["live"] == str(above)
    assert [n for n, x in checks.items() if x["violation"]] == ["memory-limit"]

    r = report(runtime, policy, cid)
    assert r.returncode == 1
    assert "memory-limit" in r.stdout and "FAIL" in r.stdout and "required: at most %d" % MEMORY["max"] in r.stdout


def test_profile_selected_by_annotation_is_checked_too(runtime, make_bundle, policy_file, tmp_path):
    """A config that selects a profile is stamped with both digests; the report holds the
    container to both (the stricter wins)."""
    base = policy_file({"capabilities": {"allow": ALLOW}, "selectable": ["strict"],
                        "audit": {"log": str(tmp_path / "audit.log")}})
    b = make_bundle("sleep", "300")
    b.edit(lambda c: (c.setdefault("annotations", {}).update({"run.hardrun.profile": "strict"}),
                      c["process"]["user"].update(uid=1000, gid=1000)))
    cid = start(runtime, b, True, base)
    stamp = b.config()["annotations"]["run.hardrun.policy"]
    assert "+" in stamp
    status, out = report_json(runtime, base, cid)
    c = out["containers"][0]
    assert status == 0, c["checks"]
    assert c["stamp"] == stamp and c["policy_known"] is True
    assert [p["digest"] for p in c["policies"]] == stamp.split("+")
    assert c["policies"][0]["source"] == base and c["policies"][1]["source"].endswith("/strict.json")
    checks = checks_of(c)
    assert checks["capabilities"]["required"] == "at most CAP_NET_BIND_SERVICE"
    assert checks["non-root"]["level"] == "enforced" and checks["non-root"]["result"] == "pass"
    assert checks["non-root"]["live"] == "host uid %d" % (c["live"]["root_host_uid"] + 1000)
    assert "noexec" in checks["tmpfs-nosuid-nodev"]["required"]
    assert all(t["noexec"] for t in c["live"]["tmpfs"] if t["path"] in ("/tmp", "/run", "/var/tmp"))


def test_not_running_containers_are_listed_not_checked(runtime, make_bundle, policy):
    cid = runtime.new_id()
    r = runtime.hardrun("create", "--bundle", make_bundle("sleep", "300").path, cid,
                        pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    status, out = report_json(runtime, policy)
    assert status == 0
    c = out["containers"][0]
    assert c["id"] == cid and c["status"] == "created"
    assert c["checked"] is False and c["checks"] == [] and c["live"] is None and c["compliant"] is True


def test_unknown_id_and_missing_root_are_errors(runtime, make_bundle, policy, hardrun_bin):
    start(runtime, make_bundle("sleep", "300"), True, policy)
    r = report(runtime, policy, "no-such-container")
    assert r.returncode == 1 and "no container no-such-container in %s" % runtime.root in r.stderr
    missing = runtime.root + "-missing"
    r = run([hardrun_bin, "--hardrun-policy", policy, "report", "--root", missing])
    assert r.returncode == 1 and "no runc state directory %s" % missing in r.stderr
    assert not os.path.exists(missing), "runc list would have created it"
    r = report(runtime, policy, "--bogus")
    assert r.returncode == 1 and "usage: hardrun report" in r.stderr


def test_root_option_after_the_command(runtime, make_bundle, policy, hardrun_bin):
    cid = start(runtime, make_bundle("sleep", "300"), True, policy)
    r = run([hardrun_bin, "--hardrun-policy", policy, "report", "--json", "--root", runtime.root])
    assert r.returncode == 0, r.stderr
    assert [c["id"] for c in json.loads(r.stdout)["containers"]] == [cid]
