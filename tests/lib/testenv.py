"""What every pytest suite of hardrun shares: where things are, and skip-or-fail.

In CI (CI=true) a missing prerequisite (root, the binary, an engine) is a failure, never a
skip: a skipped real test is a missing test. On a developer machine it is a skip.
"""
import json
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def in_ci():
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def skip_or_fail(reason):
    if in_ci():
        pytest.fail("%s (CI=true: not skipping)" % reason, pytrace=False)
    pytest.skip(reason)


def hardrun_path():
    return os.path.abspath(os.environ.get("HARDRUN_BIN") or os.path.join(REPO, "build", "hardrun"))


def proc_status(text):
    """/proc/<pid>/status text -> {field: value}."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


# Bit numbers of the capabilities the tests look at (linux/capability.h).
CAP_BITS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5,
            "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
            "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29,
            "CAP_SETFCAP": 31, "CAP_SETPCAP": 8}

# The shipped default policy's allowlist (profiles/policy.json).
DEFAULT_ALLOW = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
                 "CAP_NET_BIND_SERVICE", "CAP_KILL"]


def cap_mask(names):
    return sum(1 << CAP_BITS[n] for n in names)


def cap_hex(names):
    """The 16-digit hex form /proc/<pid>/status uses."""
    return "%016x" % cap_mask(names)


# Every control of the policy, as its key in the policy file.
CONTROLS = ["capabilities", "noNewPrivileges", "resources", "rootfs", "namespaces", "mounts", "devices",
            "kernelInterfaces", "sysctls", "seccomp", "userNamespace"]


def audit_only_policy(**extra):
    """A policy with every control in audit mode (plus `extra` top-level keys)."""
    policy = {c: {"mode": "audit"} for c in CONTROLS + ["restore", "apparmor", "hooks", "annotations"]}
    policy["capabilities"]["allow"] = ["CAP_KILL"]
    policy.update(extra)
    return policy


def hardrun_slices():
    """Host uid bases hardrun may hand out: the 65536-id slices of the user hardrun's ranges in
    /etc/subuid (what its user-namespace control maps container root to)."""
    bases = set()
    with open("/etc/subuid") as f:
        for line in f:
            name, start, count = line.strip().split(":")
            if name == "hardrun":
                bases.update(range(int(start), int(start) + int(count) - 65535, 65536))
    return bases


def without_idmap(config):
    """A config hardrun wrote, less what differs from one create to the next under the
    user-namespace control: the rootfs and bind sources under /run/hardrun/containers/ID, the
    slice, and the order in which the user namespace entry was added."""
    c = json.loads(json.dumps(config))
    c["root"].pop("path")
    c["linux"].pop("uidMappings", None)
    c["linux"].pop("gidMappings", None)
    c.get("annotations", {}).pop("run.hardrun.idmap", None)
    c["linux"].get("namespaces", []).sort(key=lambda n: n["type"])
    for m in c.get("mounts", []):
        if m.get("source", "").startswith("/run/hardrun/containers/"):
            m.pop("source")
    return c
