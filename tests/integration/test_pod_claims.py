"""A config's claim to be a Kubernetes pod sandbox or member is only a claim: annotations are
written by whoever writes the config. Shown here with hardrun run directly (not by containerd's
shim), as a podman or Docker user with --annotation, or any other caller, would run it. The
real CRI path (containerd's shim of the pod, in namespace k8s.io) is proven in tests/e2e/test_cri.py."""
import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CRI = "io.kubernetes.cri."


def annotate(bundle, **annotations):
    bundle.edit(lambda c: c.setdefault("annotations", {}).update(annotations))


def not_created(runtime, cid):
    return runtime.runc("state", cid).returncode != 0


@pytest.mark.parametrize("container_type", ["sandbox", "container", "podsandbox", ""])
def test_a_pod_claim_from_outside_containerds_shim_is_refused(runtime, make_bundle, container_type):
    b = make_bundle("id", "-u")
    annotate(b, **{CRI + "container-type": container_type, CRI + "sandbox-id": "anything"})
    before = b.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", b.path, cid)
    assert r.returncode == 1, r.stdout
    assert CRI + "container-type" in r.stderr
    if container_type in ("sandbox", "container"):
        assert "hardrun was not started by a containerd shim" in r.stderr, r.stderr
    else:
        assert "is not a CRI container type" in r.stderr, r.stderr
    assert b.bytes() == before
    assert not_created(runtime, cid)


def test_a_forged_sandbox_id_does_not_join_a_running_container(runtime, make_bundle):
    """The attack: a member claim naming any running container as its sandbox joined that
    container's network and IPC namespaces as host root."""
    victim = make_bundle("sleep", "30")
    vid = runtime.new_id()
    assert runtime.hardrun("run", "--detach", "--bundle", victim.path, vid).returncode == 0
    pid = json.loads(runtime.hardrun("state", vid).stdout)["pid"]
    member = make_bundle("readlink", "/proc/self/ns/net")
    annotate(member, **{CRI + "container-type": "container", CRI + "sandbox-id": vid})
    member.join_pod_namespaces(pid)
    before = member.bytes()
    cid = runtime.new_id()
    r = runtime.hardrun("run", "--bundle", member.path, cid)
    assert r.returncode == 1
    assert "claims to be a Kubernetes pod member, but hardrun was not started by a containerd shim" in r.stderr
    assert member.bytes() == before
    assert not_created(runtime, cid)


def test_an_audited_claim_changes_no_control(runtime, make_bundle, policy_file):
    """With the pod check in audit mode the claim is recorded and the config is treated as no pod
    at all: root inside is still remapped to an unprivileged host uid (the claim used to turn the
    user namespace off)."""
    shipped = json.loads((REPO / "profiles" / "policy.json").read_text())
    shipped["namespaces"]["mode"] = "audit"
    b = make_bundle("cat", "/proc/self/uid_map")
    annotate(b, **{CRI + "container-type": "sandbox"})
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy_file(shipped)))
    assert r.returncode == 0, r.stderr
    inside, outside, count = (int(x) for x in r.stdout.split()[:3])
    assert inside == 0 and outside >= 65536 and count == 65536, r.stdout
