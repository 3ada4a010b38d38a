"""Symbolic links and /proc magic links in the paths hardrun reads and checks: config.json, the
bundle directory, the root filesystem, bind-mount sources (src/util/resolve.hpp: one openat2
walk, /proc magic links refused, checks on what the kernel found)."""
import os

from bundles import tree_digest
from testenv import proc_status


def refused(runtime, bundle, cid, *pre):
    before = tree_digest(bundle.path)
    r = runtime.hardrun("create", "--bundle", bundle.path, cid, pre=pre)
    assert r.returncode == 1, r.stderr
    assert tree_digest(bundle.path) == before
    assert not os.path.exists(os.path.join(runtime.root, cid)), "the runtime ran"
    return r.stderr


def test_config_json_a_symlink_is_refused(runtime, make_bundle, tmp_path):
    b = make_bundle("true")
    real = tmp_path / "elsewhere.json"
    os.rename(b.config_path, real)
    os.symlink(real, b.config_path)
    before = real.read_bytes()
    assert "symbolic link" in refused(runtime, b, runtime.new_id())
    assert real.read_bytes() == before


def test_bundle_dir_a_symlink_is_followed_as_runc_follows_it(runtime, make_bundle, tmp_path):
    b = make_bundle("cat", "/proc/self/status")
    link = tmp_path / "bundle-link"
    os.symlink(b.path, link)
    r = runtime.hardrun("run", "--bundle", str(link), runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert proc_status(r.stdout)["NoNewPrivs"] == "1"
    assert os.path.islink(link) and "run.hardrun.policy" in b.config()["annotations"]
    assert [n for n in os.listdir(b.path) if n.startswith(".config.json")] == []


def test_bundle_dir_through_a_proc_magic_link_is_refused(runtime, make_bundle):
    b = make_bundle("true")
    before = tree_digest(b.path)
    cid = runtime.new_id()
    r = runtime.hardrun("create", "--bundle", "/proc/self/root" + b.path, cid)
    assert r.returncode == 1 and "magic link" in r.stderr, r.stderr
    assert tree_digest(b.path) == before and not os.path.exists(os.path.join(runtime.root, cid))


def test_rootfs_a_symlink_to_the_hosts_root_is_refused(runtime, make_bundle, tmp_path):
    b = make_bundle("true")
    os.symlink("/", os.path.join(b.path, "host"))
    b.edit(lambda c: c["root"].update(path="host"))
    msg = refused(runtime, b, runtime.new_id())
    assert "policy violation" in msg and "root filesystem host (/)" in msg and "/root/path" in msg
    b.edit(lambda c: c["root"].update(path="/"))
    assert "root filesystem / is or contains a denied path (/)" in refused(runtime, b, runtime.new_id())


def test_bind_source_a_symlink_is_checked_where_it_leads(runtime, make_bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello").write_text("from the host\n")
    os.symlink(data, tmp_path / "data-link")
    os.symlink("/etc", tmp_path / "etc-link")
    os.symlink(tmp_path / "etc-link", tmp_path / "etc-link-link")
    bind = {"destination": "/data", "type": "bind", "options": ["rbind", "ro"]}

    b = make_bundle("cat", "/data/hello")
    b.edit(lambda c: c["mounts"].append(dict(bind, source=str(tmp_path / "data-link"))))
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0 and r.stdout == "from the host\n", r.stderr

    for source, shown in ((tmp_path / "etc-link-link", "(/etc)"), ("/proc/self/root/etc", "magic link")):
        b = make_bundle("true")
        b.edit(lambda c: c["mounts"].append(dict(bind, source=str(source))))
        msg = refused(runtime, b, runtime.new_id())
        assert "policy violation" in msg and shown in msg, msg
