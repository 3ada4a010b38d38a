"""Kubernetes through containerd's CRI, as kubelet drives it: a private containerd 1.6 with its
CRI plugin whose runtimes (one per shipped profile) were added by hardrun's own node installer,
and a CRI v1 client doing what kubelet does for a pod with `runtimeClassName: hardrun`
(RunPodSandbox with that runtime handler, CreateContainer + StartContainer, ExecSync,
ContainerStatus, UpdateContainerResources, StopContainer, StopPodSandbox, RemovePodSandbox).
See tests/lib/daemons.py (PrivateCriContainerd) and tests/lib/cri_client.py."""
import json
import os
import time
import tomllib

import pytest

import daemons
from cri_client import CriError
from testenv import DEFAULT_ALLOW, cap_hex, proc_status

PROFILES = ("hardrun", "hardrun-strict", "hardrun-compat", "hardrun-audit")
GiB = 1 << 30
AUDIT_LOG = "/var/log/hardrun/audit.log"
# What hardrun's seccomp deny list takes out of a caller's profile (profiles/policy.json) and
# containerd 1.6's RuntimeDefault profile allows on this kernel.
DENIED_SYSCALLS = ("ptrace", "io_uring_setup", "io_uring_enter", "io_uring_register")


@pytest.fixture(scope="module")
def cri(require_root, hardrun_bin):
    with daemons.PrivateCriContainerd(hardrun_bin) as c:
        yield c


# ---------------------------------------------------------------------------------------------
# helpers

def sandbox_pid(cri, pod_id):
    return json.loads(cri.client.pod_status(pod_id).info["info"])["pid"]


def container_pid(cri, cid):
    return json.loads(cri.client.container_status(cid).info["info"])["pid"]


def bundle_config(cri, cid):
    with open(cri.path("state", "io.containerd.runtime.v2.task", daemons.CRI_NAMESPACE, cid, "config.json")) as f:
        return json.load(f)


def status_of(pid):
    with open("/proc/%d/status" % pid) as f:
        return proc_status(f.read())


def root_is_readonly(pid):
    with open("/proc/%d/mountinfo" % pid) as f:
        for line in f:
            fields = line.split()
            if fields[4] == "/":
                return "ro" in fields[5].split(",")
    raise AssertionError("no root mount in /proc/%d/mountinfo" % pid)


def cgroup_file(pid, controller, name):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if controller in controllers.split(","):
                with open(os.path.join("/sys/fs/cgroup", controller, path.lstrip("/"), name)) as g:
                    return g.read().strip()
    raise AssertionError("pid %d has no %s cgroup" % (pid, controller))


def assert_hardened(pid, what, caps=DEFAULT_ALLOW, pids="1024", memory=str(GiB)):
    st = status_of(pid)
    assert st["CapBnd"] == cap_hex(caps), (what, st["CapBnd"])
    assert st["CapEff"] in (cap_hex(caps), "0000000000000000"), (what, st["CapEff"])
    assert st["CapAmb"] == "0000000000000000", what
    assert st["NoNewPrivs"] == "1", what
    assert st["Seccomp"] == "2", what
    assert root_is_readonly(pid), what
    assert cgroup_file(pid, "pids", "pids.max") == pids, what
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes") == memory, what


def audit_lines(container_id, command="create"):
    """hardrun's audit lines for one container and command (the installed binary logs there)."""
    try:
        with open(AUDIT_LOG) as f:
            lines = [json.loads(line) for line in f if container_id in line]
    except FileNotFoundError:
        return []
    return [line for line in lines if line.get("command") == command]


def wait_exec(cri, cid, cmd, want, timeout=20):
    """ExecSync until its stdout contains want (a server starting up); returns the last reply."""
    deadline = time.monotonic() + timeout
    while True:
        r = cri.client.exec_sync(cid, cmd)
        if want in r.stdout.decode() or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def start(cri, pod, name, args, **kwargs):
    cid = cri.client.create_container(pod, cri.client.container_config(name, cri.cri_image, args, **kwargs))
    cri.client.start_container(cid)
    return cid


# ---------------------------------------------------------------------------------------------
# the pod kubelet would run for `runtimeClassName: hardrun`: a sandbox and two app containers

SERVER = ("mkdir -p /tmp/www && echo hello-over-the-pods-loopback > /tmp/www/index.html && "
          "exec httpd -f -p 127.0.0.1:8080 -h /tmp/www")


@pytest.fixture(scope="module")
def pod(cri):
    client = cri.client
    pod_id = client.run_pod(client.pod_config("web", cri.pod_log_dir), "hardrun")
    server = start(cri, pod_id, "server", ["sh", "-c", SERVER])
    app = start(cri, pod_id, "app", ["sleep", "600"])
    yield {"id": pod_id, "server": server, "app": app}
    for cid in (server, app):
        client.stop_container(cid, timeout=0)
    client.remove_pod(pod_id)
    assert [p for p in client.list_pods() if p.id == pod_id] == []


def test_the_installer_added_one_runtime_per_profile(cri):
    with open(cri.config_file, "rb") as f:
        runtimes = tomllib.load(f)["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    for name in PROFILES:
        binary = runtimes[name]["options"]["BinaryName"]
        assert binary == os.path.join(cri.node_root, "usr/local/sbin", name) and os.access(binary, os.X_OK)
        assert runtimes[name]["runtime_type"] == "io.containerd.runc.v2"
        assert runtimes[name]["options"]["SystemdCgroup"] is False  # copied from runc's
    assert "added the hardrun runtimes" in cri.install_output


def test_sandbox_and_both_containers_are_hardened(cri, pod):
    sandbox = sandbox_pid(cri, pod["id"])
    assert_hardened(sandbox, "sandbox")
    for name in ("server", "app"):
        assert_hardened(container_pid(cri, pod[name]), name)
    # Each went through hardrun: its config carries the policy's mark, and the audit log a line.
    for cid in (pod["id"], pod["server"], pod["app"]):
        config = bundle_config(cri, cid)
        assert "run.hardrun.policy" in config["annotations"], cid
        assert audit_lines(cid), "no audit line for %s" % cid


def test_members_share_the_sandboxs_namespaces_and_talk_over_its_loopback(cri, pod):
    sandbox = sandbox_pid(cri, pod["id"])
    for name in ("server", "app"):
        pid = container_pid(cri, pod[name])
        for ns in ("net", "ipc", "uts"):
            assert os.stat("/proc/%d/ns/%s" % (pid, ns)).st_ino == os.stat("/proc/%d/ns/%s" % (sandbox, ns)).st_ino
        assert os.stat("/proc/%d/ns/pid" % pid).st_ino != os.stat("/proc/%d/ns/pid" % sandbox).st_ino
        assert os.stat("/proc/%d/ns/net" % pid).st_ino != os.stat("/proc/self/ns/net").st_ino
    r = wait_exec(cri, pod["app"], ["wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"],
                  "hello-over-the-pods-loopback")
    assert r.stdout.decode().strip() == "hello-over-the-pods-loopback", (r.stdout, r.stderr)
    # The namespace paths in the member's config are the pause process's.
    paths = {n["type"]: n.get("path") for n in bundle_config(cri, pod["app"])["linux"]["namespaces"]}
    assert paths["network"] == "/proc/%d/ns/net" % sandbox and paths["ipc"] == "/proc/%d/ns/ipc" % sandbox


def test_exec_sync_gets_no_more_than_the_container(cri, pod):
    r = cri.client.exec_sync(pod["app"], ["sh", "-c", "grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status"])
    st = proc_status(r.stdout.decode())
    assert st == {"CapBnd": cap_hex(DEFAULT_ALLOW), "CapEff": cap_hex(DEFAULT_ALLOW), "NoNewPrivs": "1",
                  "Seccomp": "2"}, r.stdout


def test_container_status_reports_running(cri, pod):
    st = cri.client.container_status(pod["app"]).status
    assert st.state == cri.client.pb.CONTAINER_RUNNING and st.metadata.name == "app"


def test_update_container_resources_above_the_ceiling_is_capped(cri, pod):
    pb = cri.client.pb
    pid = container_pid(cri, pod["app"])
    cri.client.update_resources(pod["app"], pb.LinuxContainerResources(memory_limit_in_bytes=64 * GiB,
                                                                       cpu_shares=1024))
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(16 * GiB)
    assert cgroup_file(pid, "pids", "pids.max") == "1024"
    # Within the ceiling: applied as asked.
    cri.client.update_resources(pod["app"], pb.LinuxContainerResources(memory_limit_in_bytes=512 << 20,
                                                                       cpu_shares=1024))
    assert cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(512 << 20)


def test_a_pod_without_a_seccomp_profile_gets_the_default(cri, pod):
    # kubelet sends no profile (Unconfined) unless the pod asks: containerd writes none.
    config = bundle_config(cri, pod["app"])
    seccomp = config["linux"]["seccomp"]
    assert seccomp["defaultAction"] in ("SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS")
    allowed = {n for rule in seccomp["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}
    assert not allowed & {"unshare", "mount", "setns", "keyctl", "bpf", *DENIED_SYSCALLS}
    line = audit_lines(pod["app"])[-1]
    assert any(c["control"] == "seccomp" for c in line["changed"]), line


def test_runtime_default_seccomp_is_tightened(cri):
    client, pb = cri.client, cri.client.pb
    runtime_default = pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault)
    pod_id = client.run_pod(client.pod_config("seccomp", cri.pod_log_dir, seccomp=runtime_default), "hardrun")
    try:
        cid = start(cri, pod_id, "app", ["sleep", "600"],
                    security=pb.LinuxContainerSecurityContext(seccomp=runtime_default))
        seccomp = bundle_config(cri, cid)["linux"]["seccomp"]
        allowed = {n for rule in seccomp["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}
        assert "read" in allowed and "clone" in allowed  # containerd's own profile, kept
        assert not allowed & set(DENIED_SYSCALLS), allowed & set(DENIED_SYSCALLS)
        line = audit_lines(cid)[-1]
        assert any(c["control"] == "seccomp" for c in line["changed"]), line
        assert status_of(container_pid(cri, cid))["Seccomp"] == "2"
        assert status_of(sandbox_pid(cri, pod_id))["Seccomp"] == "2"
    finally:
        client.remove_pod(pod_id)


def test_a_privileged_request_gets_no_extra_capability(cri):
    """securityContext.privileged (sandbox and container) and capabilities.add SYS_ADMIN, NET_RAW:
    the container and an ExecSync in it get the allowlist, no_new_privs and a seccomp filter."""
    client, pb = cri.client, cri.client.pb
    config = client.pod_config("privileged", cri.pod_log_dir)
    config.linux.security_context.privileged = True
    pod_id = client.run_pod(config, "hardrun")
    try:
        priv = start(cri, pod_id, "priv", ["sleep", "600"],
                     security=pb.LinuxContainerSecurityContext(privileged=True))
        added = start(cri, pod_id, "caps", ["sleep", "600"], security=pb.LinuxContainerSecurityContext(
            capabilities=pb.Capability(add_capabilities=["SYS_ADMIN", "NET_RAW"])))
        for cid in (priv, added):
            assert_hardened(container_pid(cri, cid), cid)
            r = client.exec_sync(cid, ["sh", "-c", "grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
                                                   "ls /dev | wc -l"])
            lines = r.stdout.decode().split("\n")
            st = proc_status("\n".join(lines[:3]))
            assert st == {"CapBnd": cap_hex(DEFAULT_ALLOW), "NoNewPrivs": "1", "Seccomp": "2"}, r.stdout
        # No host devices in the privileged one.
        devices = {d.get("path") for d in bundle_config(cri, priv)["linux"].get("devices", [])}
        assert not any(p and p.startswith(("/dev/sd", "/dev/nvme", "/dev/vd", "/dev/mem", "/dev/kmsg")) for p in devices)
    finally:
        client.remove_pod(pod_id)


@pytest.mark.parametrize("mode", ["network", "pid", "ipc"])
def test_a_pod_on_the_nodes_namespaces_is_refused_with_the_reason(cri, mode):
    """hostNetwork / hostPID / hostIPC: NamespaceOption NODE. The RunPodSandbox error (what kubectl
    describe pod shows) carries hardrun's reason, and nothing is left running."""
    client, pb = cri.client, cri.client.pb
    options = pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
    setattr(options, mode, pb.NODE)
    before = {p.id for p in client.list_pods()}
    with pytest.raises(CriError) as e:
        client.run_pod(client.pod_config("host-" + mode, cri.pod_log_dir, namespace_options=options), "hardrun")
    kind = {"network": "network", "pid": "pid", "ipc": "ipc"}[mode]
    assert "hardrun: policy violation" in e.value.details and ("%s namespace" % kind) in e.value.details, e.value
    for p in client.list_pods():
        if p.id not in before:
            assert p.state == pb.SANDBOX_NOTREADY
            client.remove_pod(p.id)


def test_strict_refuses_pods_asking_for_host_users_false(cri):
    """containerd 1.6 cannot give a pod a user namespace of its own (hostUsers: false needs
    containerd 2.0 and runc 1.2), and a runtime-added one cannot join the pod's namespaces: strict
    requires one, so it refuses the pod at RunPodSandbox, saying what to set."""
    client = cri.client
    with pytest.raises(CriError) as e:
        client.run_pod(client.pod_config("strict", cri.pod_log_dir, run_as_user=65534), "hardrun-strict")
    assert "hardrun: policy violation" in e.value.details and "hostUsers: false" in e.value.details, e.value


def test_everything_is_cleaned_up_by_the_cri(cri):
    """StopContainer, StopPodSandbox, RemovePodSandbox leave no runc container and no netns."""
    client = cri.client
    pod_id = client.run_pod(client.pod_config("short", cri.pod_log_dir), "hardrun-compat")
    cid = start(cri, pod_id, "app", ["sleep", "600"])
    client.stop_container(cid, timeout=0)
    assert client.container_status(cid).status.state == client.pb.CONTAINER_EXITED
    client.remove_container(cid)
    client.remove_pod(pod_id)
    left = [d for d in os.listdir(daemons.CRI_RUNC_ROOT) if d in (pod_id, cid)] \
        if os.path.isdir(daemons.CRI_RUNC_ROOT) else []
    assert left == []


def test_pod_members_get_no_user_namespace_and_it_is_audited(cri):
    client, pb = cri.client, cri.client.pb
    pod_id = client.run_pod(client.pod_config("userns", cri.pod_log_dir), "hardrun")
    try:
        cid = start(cri, pod_id, "app", ["sleep", "600"])
        pid = container_pid(cri, cid)
        assert os.stat("/proc/%d/ns/user" % pid).st_ino == os.stat("/proc/self/ns/user").st_ino
        findings = [f for key in ("changed", "audited", "refused") for f in audit_lines(cid)[-1].get(key, [])]
        assert any(f["control"] == "userNamespace" and "pod" in f["detail"] for f in findings), findings
    finally:
        client.remove_pod(pod_id)
