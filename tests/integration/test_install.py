"""The installers, on temp copies: contrib/install.sh (binary, profiles, remapping user,
containerd runtimes) and `hardrun setup docker` (daemon.json); the Kubernetes manifests."""
import hashlib
import json
import os
import shutil
import subprocess
import tomllib

import pytest
import yaml

from testenv import REPO

INSTALL = os.path.join(REPO, "contrib", "install.sh")

CONFIG_V2 = '''version = 2
root = "/var/lib/containerd"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.9"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = true
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
        runtime_type = "io.containerd.kata.v2"
'''


@pytest.fixture
def host(tmp_path, require_root):
    """A fake node: /etc with the accounts files, and a payload like the installer image's: a
    stand-in hardrun built for /usr/local (it only answers --version) and the real profiles."""
    root = tmp_path / "host"
    (root / "etc").mkdir(parents=True)
    for f in ("passwd", "group", "shadow", "gshadow"):
        shutil.copy("/etc/" + f, root / "etc" / f)
    (root / "etc" / "subuid").write_text("alice:100000:65536\ndockremap:165536:65536\n")
    payload = tmp_path / "payload"
    shutil.copytree(os.path.join(REPO, "profiles"), payload / "profiles")
    (payload / "hardrun").write_text("#!/bin/sh\necho 'hardrun version 0.1.0'\necho 'profiles: /usr/local/share/hardrun/profiles'\n")
    (payload / "hardrun").chmod(0o755)
    return root, payload


def install(root, payload, *extra):
    return subprocess.run(["bash", INSTALL, "--source", str(payload), "--root", str(root), "--no-restart", *extra],
                          capture_output=True, text=True)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def runtimes(config, version=2):
    data = tomllib.load(open(config, "rb"))
    if version == 2:
        return data["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    if version == 3:
        return data["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
    return data["plugins"]["cri"]["containerd"]["runtimes"]


def test_install_twice_changes_nothing_the_second_time(host):
    root, payload = host
    config = root / "etc" / "containerd" / "config.toml"
    config.parent.mkdir()
    config.write_text(CONFIG_V2)
    r = install(root, payload)
    assert r.returncode == 0, r.stderr
    after_first = {p: digest(p) for p in (config, root / "etc" / "passwd", root / "etc" / "subuid")}
    r = install(root, payload)
    assert r.returncode == 0, r.stderr
    assert "already has the hardrun runtimes" in r.stdout and "installed" not in r.stdout
    assert {p: digest(p) for p in after_first} == after_first
    # Everything that was there is still there, byte for byte, before the installer's block.
    assert config.read_text().startswith(CONFIG_V2)
    rt = runtimes(config)
    assert rt["runc"]["options"]["SystemdCgroup"] is True and rt["kata"]["runtime_type"] == "io.containerd.kata.v2"
    for name in ("hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit"):
        assert rt[name]["runtime_type"] == "io.containerd.runc.v2"
        assert rt[name]["options"] == {"BinaryName": "/usr/local/sbin/" + name, "SystemdCgroup": True}
        assert rt[name]["pod_annotations"] == ["run.hardrun.profile"]


def test_install_places_binary_links_profiles_and_the_remapping_user(host):
    root, payload = host
    assert install(root, payload).returncode == 0
    sbin = root / "usr" / "local" / "sbin"
    assert os.access(sbin / "hardrun", os.X_OK)
    for p in ("strict", "compat", "audit"):
        assert os.readlink(sbin / ("hardrun-" + p)) == "hardrun"
    profiles = sorted(os.listdir(root / "usr" / "local" / "share" / "hardrun" / "profiles"))
    assert profiles == ["audit.json", "compat.json", "default.json", "seccomp-default.json", "strict.json"]
    assert any(line.startswith("hardrun:") for line in (root / "etc" / "passwd").read_text().splitlines())
    subuid = dict(line.split(":", 1) for line in (root / "etc" / "subuid").read_text().splitlines())
    start, count = map(int, subuid["hardrun"].split(":"))
    assert start >= 165536 + 65536 and start % 65536 == 0 and count == 16777216
    assert "hardrun:" in (root / "etc" / "subgid").read_text()


@pytest.mark.parametrize("version", [1, 3])
def test_other_config_versions_and_a_missing_config(host, version):
    root, payload = host
    config = root / "etc" / "containerd" / "config.toml"
    config.parent.mkdir()
    config.write_text("" if version == 1 else "version = 3\n")
    assert install(root, payload).returncode == 0
    assert set(runtimes(config, version)) == {"hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit"}
    config.unlink()
    assert install(root, payload).returncode == 0
    assert config.read_text().startswith("version = 2\n")
    assert "hardrun" in runtimes(config, 2)


def test_a_hand_written_hardrun_runtime_is_not_doubled(host):
    root, payload = host
    config = root / "etc" / "containerd" / "config.toml"
    config.parent.mkdir()
    config.write_text(CONFIG_V2 + '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hardrun]\n'
                      '  runtime_type = "io.containerd.runc.v2"\n')
    before = config.read_text()
    r = install(root, payload)
    assert r.returncode == 1 and "outside the installer's block" in r.stderr
    assert config.read_text() == before


def test_restart_only_when_the_config_changed(host, tmp_path):
    root, payload = host
    marker = tmp_path / "restarts"
    cmd = ["bash", INSTALL, "--source", str(payload), "--root", str(root), "--restart-command", "echo x >> %s" % marker]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert marker.read_text() == "x\n"


def test_a_binary_built_for_another_prefix_is_refused(host, hardrun_bin):
    root, payload = host
    shutil.copy(hardrun_bin, payload / "hardrun")
    built_for = subprocess.run([hardrun_bin, "--version"], capture_output=True, text=True).stdout
    if "profiles: /usr/local/share/hardrun/profiles" in built_for:
        assert install(root, payload).returncode == 0
        return
    # A development build (-Dprofiles_dir=<repo>/profiles) reads these very profiles: accepted.
    r = install(root, payload)
    assert r.returncode == 0 and "reads its profiles from" in r.stdout, r.stdout + r.stderr
    # Profiles that differ from the ones the binary reads: refused, nothing installed.
    shutil.rmtree(root / "usr")
    with open(payload / "profiles" / "strict.json", "a") as f:
        f.write("\n")
    r = install(root, payload)
    assert r.returncode == 1 and "looks for profiles in" in r.stderr
    assert not (root / "usr").exists()


def test_uninstall_removes_what_install_added(host):
    root, payload = host
    config = root / "etc" / "containerd" / "config.toml"
    config.parent.mkdir()
    config.write_text(CONFIG_V2)
    assert install(root, payload).returncode == 0
    r = install(root, payload, "--uninstall")
    assert r.returncode == 0, r.stderr
    assert config.read_text() == CONFIG_V2
    assert os.listdir(root / "usr" / "local" / "sbin") == []
    assert not (root / "usr" / "local" / "share" / "hardrun").exists()
    # The remapping user and its ranges stay (files may be owned by them); a second run is a no-op.
    assert "hardrun:" in (root / "etc" / "subuid").read_text()
    r = install(root, payload, "--uninstall")
    assert r.returncode == 0 and "has no hardrun runtimes" in r.stdout


def test_binary_root_names_the_binaries_where_a_containerd_beside_the_installer_sees_them(host):
    root, payload = host
    assert install(root, payload, "--binary-root", str(root)).returncode == 0
    rt = runtimes(root / "etc" / "containerd" / "config.toml")
    for name in ("hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit"):
        binary = rt[name]["options"]["BinaryName"]
        assert binary == str(root / "usr" / "local" / "sbin" / name) and os.access(binary, os.X_OK)


def hardrun_setup(hardrun_bin, engine, file, *args):
    """`hardrun setup ENGINE` on FILE (docker: --daemon-json, podman: --conf)."""
    flag = "--daemon-json" if engine == "docker" else "--conf"
    return subprocess.run([hardrun_bin, "setup", engine, flag, str(file), *args], capture_output=True, text=True)


def setup_docker(hardrun_bin, daemon_json, *args):
    return hardrun_setup(hardrun_bin, "docker", daemon_json, *args)


def test_setup_docker_keeps_every_other_key_and_undoes_exactly(hardrun_bin, tmp_path):
    daemon_json = tmp_path / "daemon.json"
    original = ('{\n  "log-level": "warn",\n  "runtimes": {"nvidia": {"path": "/usr/bin/nvidia-container-runtime"}},\n'
                '  "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}},\n'
                '  "max-concurrent-downloads": 3\n}\n')
    daemon_json.write_text(original)
    os.chmod(daemon_json, 0o600)
    r = setup_docker(hardrun_bin, daemon_json, "--default", "--path", "/usr/local/sbin/hardrun")
    assert r.returncode == 0, r.stderr
    d = json.loads(daemon_json.read_text())
    assert list(d) == ["log-level", "runtimes", "default-ulimits", "max-concurrent-downloads", "default-runtime"]
    assert d["runtimes"]["hardrun"] == {"path": "/usr/local/sbin/hardrun"}
    assert d["runtimes"]["nvidia"] == {"path": "/usr/bin/nvidia-container-runtime"}
    assert d["default-runtime"] == "hardrun" and d["default-ulimits"]["nofile"]["Hard"] == 64000
    assert oct(os.stat(daemon_json).st_mode & 0o777) == "0o600"
    assert "nothing changed" in setup_docker(hardrun_bin, daemon_json, "--default", "--path",
                                             "/usr/local/sbin/hardrun").stdout
    r = setup_docker(hardrun_bin, daemon_json, "--name", "hardrun-strict", "--profile", "strict", "--path",
                     "/usr/local/sbin/hardrun")
    assert json.loads(daemon_json.read_text())["runtimes"]["hardrun-strict"]["runtimeArgs"] == ["--hardrun-policy=strict"]
    setup_docker(hardrun_bin, daemon_json, "--undo", "--name", "hardrun-strict")
    setup_docker(hardrun_bin, daemon_json, "--undo")
    assert json.loads(daemon_json.read_text()) == json.loads(original)


def test_setup_docker_creates_a_missing_file_and_refuses_a_broken_one(hardrun_bin, tmp_path):
    fresh = tmp_path / "new" / "daemon.json"
    fresh.parent.mkdir()
    assert setup_docker(hardrun_bin, fresh).returncode == 0
    assert json.loads(fresh.read_text()) == {"runtimes": {"hardrun": {"path": os.path.realpath(hardrun_bin)}}}
    broken = tmp_path / "broken.json"
    broken.write_text('{"runtimes": ')
    r = setup_docker(hardrun_bin, broken)
    assert r.returncode == 1 and "nothing was changed" in r.stderr
    assert broken.read_text() == '{"runtimes": '
    r = setup_docker(hardrun_bin, broken, "--path", "relative/hardrun")
    assert r.returncode == 1


def setup_podman(hardrun_bin, conf, *args):
    return hardrun_setup(hardrun_bin, "podman", conf, *args)


def test_setup_podman_keeps_every_other_line_and_undoes_exactly(hardrun_bin, tmp_path):
    conf = tmp_path / "containers.conf"
    original = ('# The admin\'s own.\n[containers]\npids_limit = 2048  # per container\n\n[engine]\n'
                'runtime = "crun"\nconmon_path = [\n  "/usr/bin/conmon",\n]\n\n[engine.runtimes]\n'
                'crun = ["/usr/bin/crun"]\n')
    conf.write_text(original)
    r = setup_podman(hardrun_bin, conf, "--default", "--path", "/usr/local/sbin/hardrun")
    assert r.returncode == 0, r.stderr
    text = conf.read_text()
    parsed = tomllib.loads(text)  # still a file podman can read
    assert parsed["engine"]["runtimes"] == {"crun": ["/usr/bin/crun"], "hardrun": ["/usr/local/sbin/hardrun"]}
    assert parsed["engine"]["runtime"] == "hardrun" and parsed["containers"]["pids_limit"] == 2048
    assert "# The admin's own.\n" in text and "pids_limit = 2048  # per container" in text
    assert "nothing changed" in setup_podman(hardrun_bin, conf, "--default", "--path", "/usr/local/sbin/hardrun").stdout
    # A profile is a program name for podman (it passes a runtime no arguments).
    bindir = tmp_path / "sbin"
    bindir.mkdir()
    (bindir / "hardrun").write_text("")
    r = setup_podman(hardrun_bin, conf, "--name", "hardrun-strict", "--profile", "strict", "--path", str(bindir / "hardrun"))
    assert r.returncode == 1 and "ln -s hardrun" in r.stderr and conf.read_text() == text
    (bindir / "hardrun-strict").symlink_to("hardrun")
    r = setup_podman(hardrun_bin, conf, "--name", "hardrun-strict", "--profile", "strict", "--path", str(bindir / "hardrun"))
    assert r.returncode == 0, r.stderr
    assert tomllib.loads(conf.read_text())["engine"]["runtimes"]["hardrun-strict"] == [str(bindir / "hardrun-strict")]
    assert setup_podman(hardrun_bin, conf, "--undo", "--name", "hardrun-strict").returncode == 0
    assert setup_podman(hardrun_bin, conf, "--undo").returncode == 0
    # Only the default runtime line differs: it named hardrun, and undo removes what hardrun set.
    assert conf.read_text() == original.replace('runtime = "crun"\n', "")


def test_setup_podman_drop_in_is_created_and_removed_whole(hardrun_bin, tmp_path):
    dropin = tmp_path / "containers.conf.d" / "hardrun.conf"
    assert setup_podman(hardrun_bin, dropin).returncode == 0
    assert tomllib.loads(dropin.read_text()) == {"engine": {"runtimes": {"hardrun": [os.path.realpath(hardrun_bin)]}}}
    assert oct(dropin.stat().st_mode & 0o777) == "0o644"
    assert setup_podman(hardrun_bin, dropin, "--undo").returncode == 0
    assert not dropin.exists()
    # A form hardrun cannot edit safely is refused, the file left as it was.
    dotted = tmp_path / "dotted.conf"
    dotted.write_text('[engine]\nruntimes.crun = ["/usr/bin/crun"]\n')
    r = setup_podman(hardrun_bin, dotted)
    assert r.returncode == 1 and "nothing was changed" in r.stderr and "by hand" in r.stderr, r.stderr
    assert dotted.read_text() == '[engine]\nruntimes.crun = ["/usr/bin/crun"]\n'


def test_contrib_podman_conf_names_what_meson_installs(hardrun_bin, tmp_path):
    shipped = tomllib.loads(open(os.path.join(REPO, "contrib", "podman", "containers.conf")).read())
    names = ("hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit")
    assert shipped == {"engine": {"runtimes": {n: ["/usr/local/sbin/" + n] for n in names}}}
    # What `hardrun setup podman` writes for each is the same entry.
    written = tmp_path / "hardrun.conf"
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    for n in names:
        (sbin / n).write_text("")
        profile = ("--profile", n.split("-", 1)[1]) if "-" in n else ()
        assert setup_podman(hardrun_bin, written, "--name", n, *profile, "--path", str(sbin / "hardrun")).returncode == 0
    assert tomllib.loads(written.read_text().replace(str(sbin), "/usr/local/sbin")) == shipped


def test_kubernetes_manifests_match_the_installer(tmp_path):
    classes = list(yaml.safe_load_all(open(os.path.join(REPO, "contrib", "kubernetes", "runtimeclasses.yaml"))))
    assert {c["handler"] for c in classes} == {"hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit"}
    assert all(c["kind"] == "RuntimeClass" and c["metadata"]["name"] == c["handler"] for c in classes)
    docs = list(yaml.safe_load_all(open(os.path.join(REPO, "contrib", "kubernetes", "installer.yaml"))))
    ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
    args = ds["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "install.sh --source /opt/hardrun --root /host" in args and "hardrun.io/installed=true" in args
    assert all(c["scheduling"]["nodeSelector"] == {"hardrun.io/installed": "true"} for c in classes)


def kubernetes_documents():
    import glob
    for path in sorted(glob.glob(os.path.join(REPO, "contrib", "kubernetes", "*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc is not None:
                yield os.path.basename(path), doc


def test_kubernetes_manifests_conform_to_the_api_schema():
    import k8s_schema
    docs = list(kubernetes_documents())
    assert {f for f, _ in docs} == {"installer.yaml", "uninstaller.yaml", "runtimeclasses.yaml"}
    for name, doc in docs:
        assert k8s_schema.check(doc) == [], name
    # The check can fail: a misspelt field, a wrong type, a missing handler, a broken selector.
    ds = copy_of([d for f, d in docs if f == "installer.yaml" and d["kind"] == "DaemonSet"][0])
    ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]["priviliged"] = True
    ds["spec"]["template"]["spec"]["hostPID"] = "true"
    ds["spec"]["selector"]["matchLabels"]["app"] = "other"
    problems = k8s_schema.check(ds)
    assert any("priviliged: unknown field" in p for p in problems), problems
    assert any("hostPID: must be boolean" in p for p in problems), problems
    rc = copy_of([d for f, d in docs if d["kind"] == "RuntimeClass"][0])
    del rc["handler"]
    rc["metadata"]["namespace"] = "default"
    assert len(k8s_schema.check(rc)) == 3, k8s_schema.check(rc)


def copy_of(doc):
    return json.loads(json.dumps(doc))


def test_the_uninstaller_undoes_the_installer():
    docs = dict(((f, d["kind"]), d) for f, d in kubernetes_documents())
    args = docs[("uninstaller.yaml", "DaemonSet")]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "install.sh --uninstall --root /host" in args and "hardrun.io/installed-" in args
    # Not scheduled by the label it removes (the DaemonSet would delete its own pod).
    assert "nodeSelector" not in docs[("uninstaller.yaml", "DaemonSet")]["spec"]["template"]["spec"]
    installer = docs[("installer.yaml", "DaemonSet")]["spec"]["template"]["spec"]
    assert docs[("uninstaller.yaml", "DaemonSet")]["spec"]["template"]["spec"]["containers"][0]["image"] == \
        installer["containers"][0]["image"]
