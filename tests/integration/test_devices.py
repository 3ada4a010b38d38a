"""A device is what its type and major:minor say, whatever its path. Shown with real runc: an
entry named /dev/full carrying the host's kernel log (c 1:11) gives the container /dev/kmsg under
plain runc; through hardrun the entry is dropped and /dev/full is runc's own (c 1:7)."""

KMSG_AS_FULL = {"path": "/dev/full", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666, "uid": 0, "gid": 0}
STAT = ("sh", "-c", "stat -c '%t:%T' /dev/full")


def with_kmsg(c):
    c["linux"].setdefault("devices", []).append(KMSG_AS_FULL)
    c["linux"].setdefault("resources", {}).setdefault("devices", []).append(
        {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "rwm"})


def test_a_default_device_path_with_other_numbers_is_not_created(runtime, make_bundle):
    plain = make_bundle(*STAT)
    plain.edit(with_kmsg)
    r = runtime.runc("run", "--bundle", plain.path, runtime.new_id())
    assert r.stdout.strip() == "1:b", (r.stdout, r.stderr)  # the attack is real: /dev/kmsg

    b = make_bundle(*STAT)
    b.edit(with_kmsg)
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1:7", r.stdout
    config = b.config()
    assert not any(d.get("minor") == 11 for d in config["linux"].get("devices", []))
    assert not any(rule.get("allow") and rule.get("major") == 1 and rule.get("minor") == 11
                   for rule in config["linux"]["resources"]["devices"])


def test_a_policy_device_is_allowed_by_its_numbers(runtime, make_bundle, policy_file):
    import json
    import os
    import pathlib
    shipped = json.loads((pathlib.Path(__file__).resolve().parents[2] / "profiles" / "policy.json").read_text())
    shipped["devices"] = {"allow": ["/dev/fuse"]}
    pre = ("--hardrun-policy", policy_file(shipped))
    st = os.stat("/dev/fuse")
    fuse = {"path": "/dev/fuse", "type": "c", "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
            "fileMode": 0o666, "uid": 0, "gid": 0}
    b = make_bundle("sh", "-c", "stat -c '%t:%T' /dev/fuse")
    b.edit(lambda c: c["linux"].update(devices=[fuse]))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=pre)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "%x:%x" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    # The same path with the kernel log's numbers is not that device.
    b = make_bundle("sh", "-c", "test -e /dev/fuse && echo present || echo absent")
    b.edit(lambda c: c["linux"].update(devices=[dict(fuse, major=1, minor=11)]))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=pre)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "absent"
