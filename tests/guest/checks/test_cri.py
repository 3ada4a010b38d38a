"""A Kubernetes pod through the distribution's containerd.service and its CRI plugin, as kubelet
drives it (tests/lib/cri_client.py), with the systemd cgroup driver (`SystemdCgroup = true` on
runc) and hardrun's runtimes added by its node installer, contrib/install.sh, which copies that
setting to them."""
import json
import os
import tempfile
import time
import tomllib

import pytest

from guestlib import (ALLOW, IN, MEMORY_DEFAULT, PAUSE_IMAGE, CRI_IMAGE, PIDS_DEFAULT, SRC, cap_names, guest_only,
                      proc_status, read, run, wait_for)

CONFIG = "/etc/containerd/config.toml"
SOCKET = "/run/containerd/containerd.sock"
CRI = '[plugins."io.containerd.grpc.v1.cri"'


@pytest.fixture(scope="module")
def cri():
    guest_only()
    os.makedirs("/etc/cni/net.d", exist_ok=True)
    with open("/etc/cni/net.d/10-hardrun-guest.conflist", "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "hardrun-guest", "plugins": [
            {"type": "loopback"}, {"type": "static", "ipam": {"addresses": [{"address": "127.0.0.1/8"}]}}]}, f)
    # A node's containerd config as kubeadm's docs have it: the systemd cgroup driver for runc.
    with open(CONFIG, "w") as f:
        f.write("\n".join([
            "version = 2",
            CRI + "]",
            '  sandbox_image = "%s"' % PAUSE_IMAGE,
            CRI + ".cni]",
            '  bin_dir = "/usr/lib/cni"',
            '  conf_dir = "/etc/cni/net.d"',
            CRI + ".containerd.runtimes.runc]",
            '  runtime_type = "io.containerd.runc.v2"',
            CRI + ".containerd.runtimes.runc.options]",
            "  SystemdCgroup = true",
            ""]))
    # The installer's payload as its image carries it: the binary, the profiles, contrib/
    payload = tempfile.mkdtemp(prefix="hardrun-payload-")
    os.symlink("/usr/local/sbin/hardrun", os.path.join(payload, "hardrun"))
    os.symlink(os.path.join(SRC, "profiles"), os.path.join(payload, "profiles"))
    os.symlink(os.path.join(SRC, "contrib"), os.path.join(payload, "contrib"))
    install = run("bash", os.path.join(SRC, "contrib", "install.sh"), "--source", payload)
    with open(CONFIG, "rb") as f:
        runtimes = tomllib.load(f)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    assert runtimes["hardrun"]["options"]["SystemdCgroup"] is True, (install.stdout, runtimes)
    run("systemctl", "restart", "containerd.service")
    from cri_client import CriClient
    client = CriClient(SOCKET)

    def ready():
        try:
            client.version()
            return True
        except Exception:
            return False
    wait_for("containerd's CRI", ready)
    for archive in ("busybox-oci.tar", "pause-oci.tar"):
        run("ctr", "-n", "k8s.io", "images", "import", os.path.join(IN, archive))
    yield client
    for pod in client.list_pods():
        try:
            client.remove_pod(pod.id)
        except Exception:
            pass


def container_pid(client, cid):
    return json.loads(client.container_status(cid).info["info"])["pid"]


def test_a_pod_through_containerd_with_systemd_cgroup(cri):
    config = cri.pod_config("web", "/var/log/pods/hardrun-guest")
    config.linux.cgroup_parent = "hardrunguest.slice"
    os.makedirs("/var/log/pods/hardrun-guest", exist_ok=True)
    pod = cri.run_pod(config, "hardrun")
    cid = cri.create_container(pod, cri.container_config("app", CRI_IMAGE, ["sleep", "3600"]))
    cri.start_container(cid)
    pid = container_pid(cri, cid)
    with open("/proc/%d/status" % pid) as f:
        status = proc_status(f.read())
    for field in ("CapBnd", "CapEff"):
        assert cap_names(status[field]) == sorted(ALLOW), field
    # The systemd driver: the container is a scope under the pod's slice, and the limits are there.
    cgroup = read("/proc/%d/cgroup" % pid).splitlines()
    assert cgroup[0].startswith("0::/hardrunguest.slice/") and cgroup[0].endswith(".scope"), cgroup
    path = "/sys/fs/cgroup" + cgroup[0][3:]
    assert read(path + "/pids.max") == str(PIDS_DEFAULT)
    assert read(path + "/memory.max") == str(MEMORY_DEFAULT)
    out = cri.exec_sync(cid, ["cat", "/proc/self/status"])
    assert out.exit_code == 0, out.stderr
    assert set(cap_names(proc_status(out.stdout.decode())["CapEff"])) <= set(ALLOW)
    cri.remove_pod(pod)
