"""User-namespace remapping under real runc: root in the container is an unprivileged host uid,
and the image and bind sources are shown through idmapped mounts (never chowned)."""
import concurrent.futures
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from bundles import Bundle, run
from daemons import mounts_under
from testenv import hardrun_slices

REPO = pathlib.Path(__file__).resolve().parents[2]
STATE = "/run/hardrun/containers"


def uid_map(text):
    inside, outside, size = text.split()
    return int(inside), int(outside), int(size)


def shipped(**changes):
    policy = json.loads((REPO / "profiles" / "policy.json").read_text())
    for section, values in changes.items():
        policy.setdefault(section, {}).update(values)
    return policy


@pytest.fixture
def image(tmp_path, rootfs):
    """A copy of the test rootfs with files owned by root and by uid/gid 1000."""
    d = tmp_path / "image"
    shutil.copytree(rootfs, d, symlinks=True)
    (d / "home" / "u").mkdir(parents=True)
    (d / "home" / "u" / "f").write_text("mine\n")
    os.chown(d / "home" / "u", 1000, 1000)
    os.chown(d / "home" / "u" / "f", 1000, 1000)
    return d


@pytest.fixture
def overlay(tmp_path, image):
    """An overlay rootfs as engines hand it over: the image as lower layer, plus upper and work."""
    top = tmp_path / "layer2"
    (top / "etc").mkdir(parents=True)
    (top / "etc" / "motd").write_text("from the top layer\n")
    upper, work, merged = tmp_path / "upper", tmp_path / "work", tmp_path / "merged"
    for p in (upper, work, merged):
        p.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={top}:{image},upperdir={upper},workdir={work}", str(merged)], check=True)
    yield merged
    subprocess.run(["umount", str(merged)], check=True)


def bundle_on(tmp_path, rootfs_dir, *args, name="bundle"):
    path = tmp_path / name
    path.mkdir()
    b = Bundle(str(path), str(rootfs_dir))
    b.set_args(*args)
    return b


def test_root_is_an_unprivileged_host_uid_and_image_ownership_shows(runtime, tmp_path, image):
    b = bundle_on(tmp_path, image, "sh", "-c", "id -u; cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox "
                  "/home/u/f; cat /home/u/f")
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "0"
    inside, outside, size = uid_map(lines[1])
    assert inside == 0 and size == 65536 and outside in hardrun_slices()
    assert lines[2:] == ["0:0", "1000:1000", "mine"]
    # No file of the image was chowned.
    assert os.stat(image / "bin" / "busybox").st_uid == 0 and os.stat(image / "home" / "u" / "f").st_uid == 1000
    assert not os.path.exists(f"{STATE}/{cid}")  # `run` ended: state and mounts gone
    assert mounts_under(f"{STATE}/{cid}") == []


def test_overlay_rootfs_is_shown_through_idmapped_layers(runtime, tmp_path, overlay, image):
    b = bundle_on(tmp_path, overlay, "sh", "-c", "cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox /home/u/f; "
                  "cat /etc/motd; echo x > /etc/new 2>/dev/null || echo read-only")
    b.edit(lambda c: c["mounts"].append({"destination": "/not/in/the/image", "type": "tmpfs", "source": "tmpfs"}))
    cid = runtime.new_id()
    r = runtime.hardrun("create", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert b.config()["root"]["path"] == f"{STATE}/{cid}/rootfs"
    assert json.loads(b.config()["annotations"]["run.hardrun.idmap"])["root"] == str(overlay)
    assert mounts_under(f"{STATE}/{cid}/rootfs") == [f"{STATE}/{cid}/rootfs"]
    assert oct(os.stat(f"{STATE}/{cid}").st_mode & 0o777) == "0o711"
    assert runtime.hardrun("start", cid).returncode == 0
    subprocess.run(["sh", "-c", f"for i in $(seq 50); do runc --root {runtime.root} state {cid} | "
                    "grep -q stopped && exit 0; sleep 0.1; done"], check=True)
    r = runtime.hardrun("delete", cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []
    # The mount points runc needed were made through the caller's rootfs (its upper layer).
    assert (tmp_path / "upper" / "not" / "in" / "the" / "image").is_dir()
    assert os.stat(image / "home" / "u" / "f").st_uid == 1000
    assert runtime.hardrun("delete", cid).returncode != 0  # runc's answer; nothing of hardrun's left to undo


def test_overlay_rootfs_output(runtime, tmp_path, overlay):
    b = bundle_on(tmp_path, overlay, "sh", "-c", "cat /proc/self/uid_map; stat -c '%u:%g' /bin/busybox /home/u/f; "
                  "cat /etc/motd; echo x > /etc/new 2>/dev/null || echo read-only")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert uid_map(lines[0])[1] in hardrun_slices()
    assert lines[1:] == ["0:0", "1000:1000", "from the top layer", "read-only"]
    assert not (tmp_path / "upper" / "etc" / "new").exists()


def test_writable_root_on_an_overlay_is_refused_with_the_reason(runtime, tmp_path, overlay, policy_file):
    b = bundle_on(tmp_path, overlay, "true")
    b.edit(lambda c: c["root"].update(readonly=False))
    before = b.bytes()
    policy = policy_file(shipped(rootfs={"mode": "audit"}, userNamespace={"unsupported": "refuse"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 1 and "needs a read-only root" in r.stderr, r.stderr
    assert b.bytes() == before


def test_files_written_land_with_their_in_container_owner(runtime, tmp_path, image, policy_file):
    volume = tmp_path / "volume"
    volume.mkdir()
    b = bundle_on(tmp_path, image, "sh", "-c", "echo r > /data/by-root; "
                  "mkdir /data/u && chown 1000:1000 /data/u && echo u > /data/u/f && chown 1000:1000 /data/u/f; "
                  "echo w > /written-to-root && echo wrote")
    b.edit(lambda c: (c["mounts"].append({"destination": "/data", "type": "bind", "source": str(volume),
                                         "options": ["rbind", "rw"]}),
                      c["root"].update(readonly=False)))
    b.set_caps(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"])
    # A writable root (rootfs control in audit mode) on a plain directory: the idmapped copy
    # of the directory is writable.
    policy = policy_file(shipped(rootfs={"mode": "audit"}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "wrote"
    assert os.stat(volume / "by-root").st_uid == 0 and os.stat(volume / "by-root").st_gid == 0
    assert os.stat(volume / "u" / "f").st_uid == 1000
    assert os.stat(image / "written-to-root").st_uid == 0


def test_running_containers_get_distinct_slices_and_delete_frees_them(runtime, make_bundle):
    ids, maps = [], []
    for _ in range(3):
        b = make_bundle("sleep", "60")
        cid = runtime.new_id()
        assert runtime.hardrun("run", "--detach", "--bundle", b.path, cid).returncode == 0
        pid = json.loads(runtime.hardrun("state", cid).stdout)["pid"]
        maps.append(uid_map(open(f"/proc/{pid}/uid_map").read())[1])
        ids.append(cid)
    assert len(set(maps)) == 3 and set(maps) <= hardrun_slices()
    slices = {f: open(f"/run/hardrun/slices/{f}").read() for f in os.listdir("/run/hardrun/slices")}
    assert set(ids) <= set(slices.values())
    for cid in ids:
        assert runtime.hardrun("delete", "--force", cid).returncode == 0
        assert not os.path.exists(f"{STATE}/{cid}")
    left = {open(f"/run/hardrun/slices/{f}").read() for f in os.listdir("/run/hardrun/slices")}
    assert not (left & set(ids))


def test_a_failed_create_cleans_up(runtime, make_bundle, tmp_path):
    b = make_bundle("/no/such/program")
    cid = runtime.new_id()
    log = tmp_path / "log.json"
    r = runtime.hardrun("create", "--bundle", b.path, cid, pre=("--log", str(log), "--log-format", "json"))
    assert r.returncode != 0
    assert "no such file" in (log.read_text() + r.stderr).lower()
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []


def test_a_runtime_that_cannot_be_executed_fails_the_create_and_cleans_up(runtime, make_bundle, tmp_path):
    # With a user namespace the runtime runs as hardrun's child: an exec that fails there is
    # hardrun's error, with the kernel's reason, and the state goes.
    bogus = tmp_path / "not-a-program"
    bogus.write_bytes(b"\x00\x01 not an executable format\n")
    bogus.chmod(0o755)
    b = make_bundle("true")
    cid = runtime.new_id()
    log = tmp_path / "log.json"
    r = runtime.hardrun("create", "--bundle", b.path, cid,
                        pre=("--hardrun-runtime", str(bogus), "--log", str(log), "--log-format", "json"))
    assert r.returncode != 0
    text = log.read_text() + r.stderr
    assert "cannot start the real runtime %s" % bogus in text and "exec format error" in text.lower(), text
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []


def test_signals_reach_the_runtime_it_runs_as_a_child(runtime, make_bundle, tmp_path):
    # The runtime starts with the caller's signal mask (hardrun blocks every signal around the
    # spawn), and hardrun forwards SIGTERM to it; runc forwards it to the container.
    mask = tmp_path / "mask"
    wrapper = tmp_path / "runtime"
    # Not a shell: dash clears its signal mask when it starts.
    wrapper.write_text("#!/usr/bin/python3\nimport os, sys\n"
                       "open(%r, 'w').write(''.join(l for l in open('/proc/self/status') if l.startswith('SigBlk')))\n"
                       "os.execv(%r, [%r] + sys.argv[1:])\n" % (str(mask), shutil.which("runc"), "runc"))
    wrapper.chmod(0o755)
    b = make_bundle("sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 60 & wait")
    cid = runtime.new_id()
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen([runtime.hardrun_bin, "--hardrun-runtime", str(wrapper), "--root", runtime.root, "run",
                              "--bundle", b.path, cid], stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            out.seek(0)
            if b"ready" in out.read():
                break
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
        out.seek(0)
        assert rc == 7, out.read()
    # hardrun was started with no signal blocked: so is the runtime.
    assert mask.read_text().split() == ["SigBlk:", "0" * 16]
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []


def test_state_lasts_as_long_as_the_runtime_keeps_the_container(runtime, make_bundle, tmp_path):
    # An attached `run` destroys the container however the process ends: nothing stays.
    b = make_bundle("sh", "-c", "exit 3")
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 3, r.stderr
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []
    # `run --keep` leaves a stopped container: its state and mounts (the rootfs, a directory
    # and a file bind source) stay until delete, which unmounts them all.
    b = make_bundle("true")
    volume, single = tmp_path / "volume", tmp_path / "single"
    volume.mkdir()
    single.write_text("x\n")
    b.edit(lambda c: c["mounts"].extend([
        {"destination": "/data", "type": "bind", "source": str(volume), "options": ["rbind", "rw"]},
        {"destination": "/etc/single", "type": "bind", "source": str(single), "options": ["bind", "ro"]}]))
    kept = runtime.new_id()
    r = runtime.hardrun("run", "--keep", "--bundle", b.path, kept)
    assert r.returncode == 0, r.stderr
    assert json.loads(runtime.runc("state", kept).stdout)["status"] == "stopped"
    assert os.path.exists(f"{STATE}/{kept}") and len(mounts_under(f"{STATE}/{kept}")) == 3
    assert runtime.hardrun("delete", kept).returncode == 0
    assert not os.path.exists(f"{STATE}/{kept}") and mounts_under(f"{STATE}/{kept}") == []


def test_gc_removes_state_the_runtime_no_longer_knows(runtime, make_bundle):
    b = make_bundle("sleep", "60")
    gone, alive = runtime.new_id(), runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", b.path, gone).returncode == 0
    b2 = make_bundle("sleep", "60")
    assert runtime.hardrun("run", "--detach", "--bundle", b2.path, alive).returncode == 0
    # Deleted behind hardrun's back (a crash, a daemon that never called delete).
    assert runtime.runc("delete", "--force", gone).returncode == 0
    assert os.path.exists(f"{STATE}/{gone}")
    r = run([runtime.hardrun_bin, "gc"])
    assert r.returncode == 0, r.stderr
    assert f"removed {gone}" in r.stdout and alive not in r.stdout
    assert not os.path.exists(f"{STATE}/{gone}") and mounts_under(f"{STATE}/{gone}") == []
    assert os.path.exists(f"{STATE}/{alive}")


def test_a_config_claiming_to_be_hardened_with_the_hosts_root_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    cid = runtime.new_id()
    b.edit(lambda c: (c["root"].update(path="/"),
                      c.setdefault("annotations", {}).update({"run.hardrun.policy": "sha256:" + "0" * 64})))
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "is or contains a denied path (/)" in r.stderr, r.stderr
    # The same through the annotation that names what hardrun replaced: checked like any input.
    b.edit(lambda c: (c["root"].update(path=f"{STATE}/someone/rootfs"),
                      c["annotations"].update({"run.hardrun.idmap": json.dumps({"root": "/", "mounts": {}})})))
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "is or contains a denied path (/)" in r.stderr, r.stderr
    b.edit(lambda c: c["annotations"].pop("run.hardrun.idmap"))
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1 and "lies in the host's /run/hardrun" in r.stderr, r.stderr


def test_a_callers_own_user_namespace_is_kept_unless_it_maps_host_root(runtime, make_bundle, rootfs):
    # The caller's remapped root must reach its rootfs itself (hardrun idmaps nothing here):
    # a copy where uid 300000 can traverse to it.
    reachable = tempfile.mkdtemp(prefix="hardrun-it-userns-", dir="/run")
    os.chmod(reachable, 0o755)
    shutil.copytree(rootfs, reachable + "/rootfs", symlinks=True)
    b = make_bundle("cat", "/proc/self/uid_map")
    b.edit(lambda c: c["root"].update(path=reachable + "/rootfs"))
    b.edit(lambda c: (c["linux"]["namespaces"].append({"type": "user"}),
                      c["linux"].update(uidMappings=[{"containerID": 0, "hostID": 0, "size": 65536}],
                                        gidMappings=[{"containerID": 0, "hostID": 0, "size": 65536}])))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "maps container ids to host root" in r.stderr, r.stderr
    b.edit(lambda c: c["linux"].update(uidMappings=[{"containerID": 0, "hostID": 300000, "size": 65536},
                                                    {"containerID": 65536, "hostID": 0, "size": 1}]))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "hostID 0" in r.stderr, r.stderr
    # A mapping like Docker's userns-remap (whose rootfs Docker chowned itself): kept as it is,
    # and nothing idmapped.
    b.edit(lambda c: c["linux"].update(uidMappings=[{"containerID": 0, "hostID": 300000, "size": 65536}],
                                       gidMappings=[{"containerID": 0, "hostID": 300000, "size": 65536}]))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert uid_map(r.stdout) == (0, 300000, 65536)
    assert "run.hardrun.idmap" not in b.config()["annotations"]
    shutil.rmtree(reachable)


@pytest.fixture
def ramfs(tmp_path):
    """A filesystem no kernel can idmap (as tmpfs before Linux 6.3, where podman keeps a
    container's hosts, resolv.conf and .containerenv)."""
    d = tmp_path / "ramfs"
    d.mkdir()
    # Mounted as Debian mounts /run: flags a user namespace cannot clear.
    subprocess.run(["mount", "-t", "ramfs", "-o", "nosuid,nodev,noexec", "ramfs", str(d)], check=True)
    yield d
    subprocess.run(["umount", "-l", str(d)], check=True)


def test_an_unidmappable_bind_source_is_bound_as_it_is_and_the_user_namespace_stays(
        runtime, make_bundle, tmp_path, ramfs, policy_file):
    (ramfs / "hosts").write_text("127.0.0.1 localhost\n")
    os.chmod(ramfs / "hosts", 0o644)
    b = make_bundle("sh", "-c", "cat /proc/self/uid_map; cat /etc/hosts; stat -c %u /etc/hosts")
    b.edit(lambda c: c["mounts"].append({"destination": "/etc/hosts", "type": "bind", "source": str(ramfs / "hosts"),
                                        "options": ["rbind", "ro"]}))
    (tmp_path / "log").mkdir(exist_ok=True)
    audit = tmp_path / "log" / "audit.log"
    # strict too: the user namespace is kept, only this source goes without idmapping.
    for name, changes in (("policy.json", {}), ("strict.json", {"userNamespace": {"unsupported": "refuse"}})):
        policy = policy_file(shipped(audit={"log": str(audit)}, **changes), name)
        cid = runtime.new_id()
        r = runtime.hardrun("run", "--bundle", b.path, cid, pre=("--hardrun-policy", policy))
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        inside, outside, _ = uid_map(lines[0])
        assert inside == 0 and outside > 65535, lines
        assert lines[1] == "127.0.0.1 localhost" and lines[2] == "65534", lines  # root's file: nobody's inside
        line = json.loads(audit.read_text().splitlines()[-1])
        assert any(f["control"] == "userNamespace" and f["detail"].startswith("bound as it is") and
                   "ramfs" in f["detail"] for f in line["audited"]), line
        b = make_bundle("sh", "-c", "cat /proc/self/uid_map; cat /etc/hosts; stat -c %u /etc/hosts")
        b.edit(lambda c: c["mounts"].append({"destination": "/etc/hosts", "type": "bind",
                                            "source": str(ramfs / "hosts"), "options": ["rbind", "ro"]}))


def test_a_rootfs_the_host_cannot_idmap_is_refused_or_run_without_by_policy(runtime, tmp_path, ramfs, rootfs,
                                                                           policy_file):
    shutil.copytree(rootfs, ramfs / "rootfs", symlinks=True)
    (tmp_path / "bundle").mkdir()
    b = Bundle(str(tmp_path / "bundle"), str(ramfs / "rootfs"))
    b.edit(lambda c: c["process"].update(args=["cat", "/proc/self/uid_map"]))
    before = b.bytes()
    cid = runtime.new_id()
    (tmp_path / "log").mkdir(exist_ok=True)
    audit = tmp_path / "log" / "audit.log"
    strict = policy_file(shipped(userNamespace={"unsupported": "refuse"}, audit={"log": str(audit)}), "strict.json")
    r = runtime.hardrun("run", "--bundle", b.path, cid, pre=("--hardrun-policy", strict))
    where = str(ramfs / "rootfs")
    assert r.returncode == 1 and f"cannot idmap {where}" in r.stderr and "does not support" in r.stderr, r.stderr
    assert "Linux " + os.uname().release in r.stderr and "userNamespace.unsupported" in r.stderr, r.stderr
    assert b.bytes() == before and not os.path.exists(f"{STATE}/{cid}")
    # The refusal at the idmap step is in the audit log too.
    line = json.loads(audit.read_text().splitlines()[-1])
    assert line["outcome"] == "refused" and line["refused"][0]["control"] == "userNamespace", line
    # `check` says the same before anything runs.
    r = run([runtime.hardrun_bin, "--hardrun-policy", strict, "check", "--bundle", b.path])
    assert r.returncode == 1 and "would be refused" in r.stdout, r.stdout + r.stderr
    assert f"not possible on this host (cannot idmap {where}" in r.stdout, r.stdout
    # The shipped default runs it without a user namespace, and says why.
    policy = policy_file(shipped(audit={"log": str(audit)}))
    r = run([runtime.hardrun_bin, "--hardrun-policy", policy, "check", "--json", "--bundle", b.path])
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["result"] == "rewritten", out
    assert any(f["detail"].startswith("not possible on this host") for f in out["audited"]), out
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    assert uid_map(r.stdout) == (0, 0, 4294967295)
    line = json.loads(audit.read_text().splitlines()[-1])
    assert any(f["control"] == "userNamespace" and f["detail"].startswith(f"not possible on this host (cannot idmap {where}")
               for f in line["audited"]), line


def test_concurrent_creates_get_distinct_slices_and_leave_nothing(runtime, make_bundle):
    bundles = [make_bundle("sleep", "60") for _ in range(50)]
    ids = [runtime.new_id() for _ in bundles]
    before = len(mounts_under("/run/hardrun/"))

    def create(i):
        return runtime.hardrun("create", "--bundle", bundles[i].path, ids[i], timeout=300)

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(create, range(len(ids))))
    failures = [r.stderr for r in results if r.returncode != 0]
    assert failures == []
    hosts = [b.config()["linux"]["uidMappings"][0]["hostID"] for b in bundles]
    assert len(set(hosts)) == len(ids)
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        deleted = list(pool.map(lambda cid: runtime.hardrun("delete", "--force", cid), ids))
    assert [r.returncode for r in deleted] == [0] * len(ids)
    assert len(mounts_under("/run/hardrun/")) == before
    assert not any(os.path.exists(f"{STATE}/{cid}") for cid in ids)


def test_a_symlinked_bind_source_is_mounted_as_checked(runtime, make_bundle, tmp_path):
    # The mounts control resolves the source and checks the resolved path; the idmap step opens
    # that resolved path with no symlink followed (a swap after the check fails, it is not mounted).
    real = tmp_path / "real"
    real.mkdir()
    (real / "f").write_text("real\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    b = make_bundle("cat", "/data/f")
    b.edit(lambda c: c["mounts"].append({"destination": "/data", "type": "bind", "source": str(link),
                                        "options": ["rbind", "ro"]}))
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 0 and r.stdout == "real\n", r.stderr
    index = [m["destination"] for m in b.config()["mounts"]].index("/data")
    assert json.loads(b.config()["annotations"]["run.hardrun.idmap"])["mounts"] == {str(index): str(link)}
    # A link to a denied path is refused for what it points to (the rewritten config, read
    # again, has the caller's source put back first).
    link.unlink()
    link.symlink_to("/etc")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 1 and "is denied (/etc" in r.stderr, r.stderr


@pytest.fixture
def layered(tmp_path, image):
    """An overlay rootfs of four layers as engines stack them (relative lowerdir names, as Docker's
    l/ links, relative to the parent of the upper layer's directory): each layer holds a file owned
    by another uid, plus the image at the bottom."""
    layers = tmp_path / "layers"
    layers.mkdir()
    shutil.copytree(image, layers / "0", symlinks=True)
    os.chown(layers / "0" / "home" / "u" / "f", 1000, 1000)  # copytree keeps no owners
    for n, uid in ((1, 0), (2, 1000), (3, 2000)):
        d = layers / str(n) / "layer"
        d.mkdir(parents=True)
        (d / f"from{n}").write_text(f"{n}\n")
        os.chown(d / f"from{n}", uid, uid)
    upper, work, merged = layers / "top" / "diff", layers / "top" / "work", tmp_path / "merged"
    for p in (upper, work, merged):
        p.mkdir(parents=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir=3:2:1:0,upperdir={upper},workdir={work}", str(merged)], check=True, cwd=layers)
    yield merged
    subprocess.run(["umount", str(merged)], check=True)


@pytest.mark.parametrize("form", ["fd", "path", "lowerdir", "auto"])
def test_each_overlay_layer_form_shows_the_layers_owners(runtime, tmp_path, layered, policy_file, form):
    b = bundle_on(tmp_path, layered, "sh", "-c", "cat /proc/self/uid_map; "
                  "stat -c '%n %u:%g' /bin/busybox /home/u/f /layer/from1 /layer/from2 /layer/from3; "
                  "cat /layer/from2; sleep 5")
    policy = policy_file(shipped(userNamespace={"overlayLayers": form, "unsupported": "refuse"}))
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--detach", "--bundle", b.path, cid, pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    pid = json.loads(runtime.hardrun("state", cid).stdout)["pid"]
    host_root = uid_map(open(f"/proc/{pid}/uid_map").read())[1]
    assert host_root in hardrun_slices()
    # Seen from the host, the container's files carry the mapped owners (the overlay hardrun made).
    assert os.stat(f"/proc/{pid}/root/layer/from2").st_uid == host_root + 1000
    assert os.stat(f"/proc/{pid}/root/layer/from3").st_gid == host_root + 2000
    # The layer mounts the path forms attached are gone once the overlay holds them.
    assert mounts_under(f"{STATE}/{cid}") == [f"{STATE}/{cid}/rootfs"]
    assert runtime.hardrun("delete", "--force", cid).returncode == 0
    assert not os.path.exists(f"{STATE}/{cid}") and mounts_under(f"{STATE}/{cid}") == []


def test_inside_owners_through_each_form(runtime, tmp_path, layered, policy_file):
    for form in ("fd", "path", "lowerdir"):
        b = bundle_on(tmp_path, layered, "sh", "-c", "stat -c '%u:%g' /bin/busybox /home/u/f /layer/from1 "
                      "/layer/from2 /layer/from3; cat /layer/from2", name=f"bundle-{form}")
        policy = policy_file(shipped(userNamespace={"overlayLayers": form}), f"{form}.json")
        r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
        assert r.returncode == 0, (form, r.stderr)
        assert r.stdout.splitlines() == ["0:0", "1000:1000", "0:0", "1000:1000", "2000:2000", "2"], form


def test_an_image_of_130_layers_stacks_in_the_classic_form(runtime, tmp_path, image, policy_file):
    # mount(2) takes one page of options: 130 layers fit only as short names relative to the
    # container's layers directory.
    layers = tmp_path / "many"
    layers.mkdir()
    shutil.copytree(image, layers / "0", symlinks=True)
    for n in range(1, 130):
        (layers / str(n) / "many").mkdir(parents=True)
        (layers / str(n) / "many" / str(n)).write_text("")
    upper, work, merged = layers / "top" / "diff", layers / "top" / "work", tmp_path / "merged"
    for p in (upper, work, merged):
        p.mkdir(parents=True)
    lower = ":".join(str(n) for n in reversed(range(130)))
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}",
                    str(merged)], check=True, cwd=layers)
    try:
        b = bundle_on(tmp_path, merged, "sh", "-c", "ls /many | wc -l; stat -c %u /bin/busybox")
        policy = policy_file(shipped(userNamespace={"overlayLayers": "lowerdir", "unsupported": "refuse"}))
        r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["129", "0"]
    finally:
        subprocess.run(["umount", str(merged)], check=True)


def test_a_read_only_rootfs_on_a_noexec_tmpfs_executes_as_under_runc(runtime, tmp_path, image):
    # Debian mounts /run noexec,nosuid,nodev; runc's read-only remount of the root drops those
    # flags, so plain runc runs such a rootfs, and so must its idmapped copy.
    mnt = tmp_path / "noexec"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "noexec,nosuid,nodev,mode=755", "tmpfs", str(mnt)], check=True)
    try:
        shutil.copytree(image, mnt / "rootfs", symlinks=True)
        b = bundle_on(tmp_path, mnt / "rootfs", "sh", "-c", "cat /proc/self/uid_map; echo ran")
        plain = bundle_on(tmp_path, mnt / "rootfs", "echo", "ran", name="plain")
        assert runtime.runc("run", "--bundle", plain.path, runtime.new_id()).stdout == "ran\n"
        r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert uid_map(lines[0])[1] in hardrun_slices() and lines[1] == "ran"
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_the_host_probe_is_cached_per_boot(runtime, make_bundle):
    b = make_bundle("true")
    assert runtime.hardrun("run", "--bundle", b.path, runtime.new_id()).returncode == 0
    cache = dict(line.split("\t", 1) for line in open("/run/hardrun/host-support").read().splitlines())
    assert cache["kernel"] == os.uname().release
    assert cache["boot"] == open("/proc/sys/kernel/random/boot_id").read().strip()
    assert {cache["fd"], cache["path"], cache["lowerdir"]} == {""}, cache  # this kernel takes all three
    assert [n for n in os.listdir("/run/hardrun") if n.startswith("probe.")] == []
