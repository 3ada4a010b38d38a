"""Mounts through hardrun and real runc (issue 16): every mount type judged, system trees denied,
options that undo hardrun's flags removed, relative sources judged where runc mounts them. Each
refusal leaves the bundle byte-identical and starts nothing; each allowed one is checked in the
running container's mount table."""
import os
import pathlib
import shutil
import subprocess
import tempfile

from bundles import tree_digest


def refused(runtime, bundle):
    before = tree_digest(bundle.path)
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", bundle.path, cid)
    assert r.returncode == 1, r.stdout + r.stderr
    assert tree_digest(bundle.path) == before
    assert not os.path.exists(os.path.join(runtime.root, cid)), "the runtime ran"
    return r.stderr


def block_device():
    for dev in ("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"):
        if os.path.exists(dev):
            return dev
    return None


def test_a_disks_filesystem_is_refused(runtime, make_bundle):
    dev = block_device()
    assert dev, "no block device on this host"
    b = make_bundle("true")
    b.edit(lambda c: c["mounts"].append({"destination": "/disk", "type": "ext4", "source": dev, "options": ["ro"]}))
    assert "/mounts/" in refused(runtime, b)


def test_a_second_procfs_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c["mounts"].append({"destination": "/mnt", "type": "proc", "source": "proc"}))
    assert "proc belongs at /proc" in refused(runtime, b)


def test_system_trees_are_refused(runtime, make_bundle):
    for source in ("/usr/local/sbin", "/var/log"):
        b = make_bundle("true")
        b.edit(lambda c: c["mounts"].append({"destination": "/mnt", "type": "bind", "source": source,
                                             "options": ["rbind", "rw"]}))
        assert "is denied" in refused(runtime, b), source


def test_rootfs_usr_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    b.edit(lambda c: c["root"].update(path="/usr"))
    assert "/root/path" in refused(runtime, b)


def test_relative_source_is_judged_as_runc_joins_it(runtime, make_bundle, tmp_path):
    b = make_bundle("true")
    os.makedirs(os.path.join(b.path, "d", "e"))
    os.symlink("d/e", os.path.join(b.path, "lnk"))
    depth = len(os.path.realpath(b.path).strip("/").split("/"))
    source = "lnk/" + "../" * (depth + 1) + "etc"  # lexically: /etc
    b.edit(lambda c: c["mounts"].append({"destination": "/mnt", "type": "bind", "source": source, "options": ["rbind"]}))
    assert "(/etc)" in refused(runtime, b)


def test_suid_option_does_not_reach_the_kernel(runtime, make_bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    b = make_bundle("grep", " /mnt ", "/proc/self/mountinfo")
    b.edit(lambda c: c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(data),
                                         "options": ["rbind", "suid", "rsuid", "dev"]}))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    flags = r.stdout.split()[5].split(",")
    assert "nosuid" in flags and "nodev" in flags, r.stdout


def test_own_user_namespace_without_tmp_in_the_rootfs_starts(runtime, make_bundle):
    # The mapped root must reach the rootfs: not under pytest's 0700 tmp_path.
    top = pathlib.Path(tempfile.mkdtemp(prefix="hardrun-it-userns-", dir="/tmp"))
    os.chmod(top, 0o755)
    try:
        own_user_namespace_starts(runtime, make_bundle, top / "rootfs")
    finally:
        shutil.rmtree(top)


def own_user_namespace_starts(runtime, make_bundle, rootfs):
    subprocess.run(["cp", "-a", make_bundle().config()["root"]["path"], str(rootfs)], check=True)
    for d in ("tmp", "run", "var/tmp"):
        subprocess.run(["rm", "-rf", str(rootfs / d)], check=True)
    subprocess.run(["chown", "-R", "100000:100000", str(rootfs)], check=True)
    b = make_bundle("true")

    def userns(c):
        c["root"]["path"] = str(rootfs)
        c["linux"]["namespaces"].append({"type": "user"})
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.edit(userns)
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert not [m for m in b.config()["mounts"] if m["destination"] in ("/tmp", "/run", "/var/tmp")]
