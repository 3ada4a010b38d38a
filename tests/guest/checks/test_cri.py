"""A Kubernetes pod through the distribution's containerd.service and its CRI plugin, as kubelet
drives it (tests/lib/cri_client.py), with the systemd cgroup driver (`SystemdCgroup = true` on
runc) and hardrun's runtimes added by its node installer, contrib/install.sh, which copies that
setting to them."""
import json
import os
import tempfile
import tomllib

import pytest

from guestlib import (ALLOW, HARDRUN, IN, MEMORY_DEFAULT, PAUSE_IMAGE, CRI_IMAGE, PIDS_DEFAULT, SRC, cap_names, guest_only,
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


def run_app_pod(cri, name, handler):
    """A pod under kubelet's systemd driver (its slice named) with one `sleep` container, through
    the runtime handler; checks the container's capabilities are the allowlist. (pod, cid, pid)."""
    os.makedirs("/var/log/pods/hardrun-" + name, exist_ok=True)
    config = cri.pod_config(name, "/var/log/pods/hardrun-" + name)
    config.linux.cgroup_parent = "hardrunguest.slice"
    pod = cri.run_pod(config, handler)
    cid = cri.create_container(pod, cri.container_config("app", CRI_IMAGE, ["sleep", "3600"]))
    cri.start_container(cid)
    pid = container_pid(cri, cid)
    with open("/proc/%d/status" % pid) as f:
        status = proc_status(f.read())
    for field in ("CapBnd", "CapEff"):
        assert cap_names(status[field]) == sorted(ALLOW), field
    return pod, cid, pid


def test_a_pod_through_containerd_with_systemd_cgroup(cri):
    pod, cid, pid = run_app_pod(cri, "web", "hardrun")
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


def containerd_major():
    """"containerd github.com/containerd/containerd/v2 2.1.9+unknown ...": the first version word."""
    words = run("containerd", "--version", check=False).stdout.split()
    return int(next((w for w in words if w[:1].isdigit()), "0").split(".")[0])


# Kubernetes' hostUsers: false (user namespaces, on by default since 1.33) needs containerd 2.0+
# and runc 1.2+: on older guests (containerd 1.6, 1.7) these checks are not collected.
KUBELET_HOST_ID = 10 * 65536  # from the kubelet's range, which does not meet hardrun's own slices


def kubelet_volumes(pod_uid):
    """An emptyDir and a projected service-account token, laid out as kubelet makes them (as host
    root, the token through the atomic writer's ..data link)."""
    base = "/var/lib/kubelet/pods/%s/volumes" % pod_uid
    empty = os.path.join(base, "kubernetes.io~empty-dir", "cache")
    os.makedirs(empty)
    os.chmod(empty, 0o777)
    projected = os.path.join(base, "kubernetes.io~projected", "kube-api-access")
    stamp = os.path.join(projected, "..2026_12_04_00_00_00.000000000")
    os.makedirs(stamp)
    with open(os.path.join(stamp, "token"), "w") as f:
        f.write("a-token\n")
    os.chmod(os.path.join(stamp, "token"), 0o644)
    os.symlink(os.path.basename(stamp), os.path.join(projected, "..data"))
    os.symlink("..data/token", os.path.join(projected, "token"))
    return empty, projected


if containerd_major() >= 2:
    def test_a_user_namespaced_pod_hostusers_false(cri):
        userns = cri.userns(KUBELET_HOST_ID)
        config = cri.pod_config("userns", "/var/log/pods/hardrun-userns",
                                namespace_options=cri.namespace_options(userns))
        config.linux.cgroup_parent = "hardrunguest.slice"  # kubelet's systemd driver names a slice
        os.makedirs("/var/log/pods/hardrun-userns", exist_ok=True)
        pod = cri.run_pod(config, "hardrun")
        empty, projected = kubelet_volumes(config.metadata.uid)
        pb = cri.pb

        def member(name, args):
            security = pb.LinuxContainerSecurityContext(namespace_options=cri.namespace_options(userns))
            mounts = [cri.mount(empty, "/cache", userns=userns),
                      cri.mount(projected, "/var/run/secrets/kubernetes.io/serviceaccount", readonly=True,
                                userns=userns)]
            cid = cri.create_container(pod, cri.container_config(name, CRI_IMAGE, args, security=security,
                                                                 mounts=mounts))
            cri.start_container(cid)
            return cid
        server = member("server", ["sh", "-c", "while true; do echo pong | nc -l -p 80; done"])
        client = member("client", ["sleep", "3600"])
        try:
            sandbox_pid = json.loads(cri.pod_status(pod).info["info"])["pid"]
            userns_of = lambda pid: os.readlink("/proc/%d/ns/user" % pid)  # noqa: E731
            assert userns_of(sandbox_pid) != userns_of(1)
            for cid in (server, client):
                pid = container_pid(cri, cid)
                # One user namespace for the pod: the sandbox's, the kubelet's mapping.
                assert userns_of(pid) == userns_of(sandbox_pid), cid
                assert read("/proc/%d/uid_map" % pid).split() == ["0", str(KUBELET_HOST_ID), "65536"]
                with open("/proc/%d/status" % pid) as f:
                    status = proc_status(f.read())
                assert status["Uid"].split()[0] == str(KUBELET_HOST_ID)  # root in the pod, unprivileged here
                for field in ("CapBnd", "CapEff"):
                    assert cap_names(status[field]) == sorted(ALLOW), (cid, field)
                assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
            # The volumes, idmapped with the pod's mapping: kubelet's files are root's inside, what
            # the pod writes is host root's on disk (as kubelet expects), read-only stays so.
            out = cri.exec_sync(client, ["sh", "-c", "echo data > /cache/f && stat -c '%u %g' /cache/f "
                                         "/var/run/secrets/kubernetes.io/serviceaccount/token && "
                                         "cat /var/run/secrets/kubernetes.io/serviceaccount/token && "
                                         "(touch /var/run/secrets/kubernetes.io/serviceaccount/x 2>/dev/null "
                                         "&& echo token-writable || echo token-read-only) && "
                                         "(touch /probe 2>/dev/null && echo root-writable || echo root-read-only)"])
            assert out.exit_code == 0, out.stderr
            assert out.stdout.decode().split("\n")[:5] == ["0 0", "0 0", "a-token", "token-read-only",
                                                           "root-read-only"], out.stdout
            st = os.stat(os.path.join(empty, "f"))
            assert (st.st_uid, st.st_gid) == (0, 0)
            # The pod's loopback, port 80 bound by root in the pod.
            out = wait_for("the server member on port 80", lambda: (
                lambda o: o if o.exit_code == 0 and b"pong" in o.stdout else None)(
                cri.exec_sync(client, ["sh", "-c", "echo ping | nc 127.0.0.1 80"])), 60)
            # hardrun report sees each member's user namespace.
            r = run(HARDRUN, "report", "--json", "--root", "/run/containerd/runc/k8s.io", server, client, check=False)
            for c in json.loads(r.stdout)["containers"]:
                checks = {x["check"]: x for x in c["checks"]}
                assert checks["user-namespace"]["result"] == "pass", (c["id"], checks["user-namespace"])
        finally:
            cri.remove_pod(pod)

    def test_strict_takes_a_user_namespaced_pod_and_refuses_one_without(cri):
        os.makedirs("/var/log/pods/hardrun-strict", exist_ok=True)
        userns = cri.userns(KUBELET_HOST_ID + 65536)
        config = cri.pod_config("strict", "/var/log/pods/hardrun-strict", namespace_options=cri.namespace_options(userns))
        config.linux.cgroup_parent = "hardrunguest.slice"
        pod = cri.run_pod(config, "hardrun-strict")
        security = cri.pb.LinuxContainerSecurityContext(namespace_options=cri.namespace_options(userns))
        cid = cri.create_container(pod, cri.container_config("app", CRI_IMAGE, ["sleep", "3600"], security=security))
        cri.start_container(cid)
        assert read("/proc/%d/uid_map" % container_pid(cri, cid)).split()[1] == str(KUBELET_HOST_ID + 65536)
        cri.remove_pod(pod)
        # Without hostUsers: false, strict refuses the pod and says what to set.
        from cri_client import CriError
        with pytest.raises(CriError) as refused:
            host_users = cri.pod_config("strict-host", "/var/log/pods/hardrun-strict")
            host_users.linux.cgroup_parent = "hardrunguest.slice"
            cri.run_pod(host_users, "hardrun-strict")
        assert "hostUsers" in refused.value.details, refused.value.details

    def test_a_mapping_that_reaches_host_root_is_refused(cri):
        from cri_client import CriError
        os.makedirs("/var/log/pods/hardrun-root", exist_ok=True)
        config = cri.pod_config("root", "/var/log/pods/hardrun-root", namespace_options=cri.namespace_options(cri.userns(0)))
        config.linux.cgroup_parent = "hardrunguest.slice"
        with pytest.raises(CriError) as refused:
            cri.run_pod(config, "hardrun")
        assert "hardrun" in refused.value.details and "0" in refused.value.details, refused.value.details
