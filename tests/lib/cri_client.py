"""A small CRI v1 client: what kubelet sends a container runtime, for hardrun's tests.

The stubs are generated at first use by protoc (python3-grpc-tools: grpc_tools.protoc, with
Debian's python3-grpcio and python3-protobuf) from tests/lib/cri-api/api.proto, the subset of
the published runtime.v1 API the tests call, into a private temp dir.

    client = CriClient("/path/to/containerd.sock")
    pod = client.run_pod("web", runtime_handler="hardrun")      # RunPodSandbox
    cid = client.create_container(pod, "app", image, ["sleep", "300"])
    client.start_container(cid)
    out = client.exec_sync(cid, ["id"])                          # ExecSync -> ExecSyncResponse
    client.remove_pod(pod)                                       # StopPodSandbox + RemovePodSandbox

CriError carries the gRPC status code and the runtime's message (what `kubectl describe pod`
shows in the pod's events).
"""
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

LIB_DIR = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(LIB_DIR, "cri-api")

_modules = None


def _stubs():
    """(api_pb2, api_pb2_grpc), generated once per process into a temp dir."""
    global _modules
    if _modules is None:
        out = tempfile.mkdtemp(prefix="hardrun-cri-stubs-")
        try:
            subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", PROTO_DIR, "--python_out", out,
                            "--grpc_python_out", out, os.path.join(PROTO_DIR, "api.proto")],
                           check=True, capture_output=True, text=True, timeout=120)
            sys.path.insert(0, out)
            try:
                _modules = (importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc"))
            finally:
                sys.path.remove(out)
        except subprocess.CalledProcessError as e:
            raise RuntimeError("protoc failed: %s" % e.stderr) from e
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return _modules


class CriError(Exception):
    def __init__(self, method, rpc_error):
        self.method = method
        self.code = rpc_error.code()
        self.details = rpc_error.details() or ""
        super().__init__("%s: %s: %s" % (method, self.code.name, self.details))


class CriClient:
    def __init__(self, socket, timeout=120):
        import grpc
        self.grpc = grpc
        self.pb, grpc_stubs = _stubs()
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.stub = grpc_stubs.RuntimeServiceStub(self.channel)
        self.timeout = timeout
        self.pod_configs = {}  # sandbox id -> PodSandboxConfig, as kubelet keeps them

    def close(self):
        self.channel.close()

    def call(self, method, request, timeout=None):
        try:
            return getattr(self.stub, method)(request, timeout=timeout or self.timeout)
        except self.grpc.RpcError as e:
            raise CriError(method, e) from None

    def version(self):
        return self.call("Version", self.pb.VersionRequest(version="v1"), timeout=10)

    # pods

    def pod_config(self, name, log_directory, namespace_options=None, seccomp=None, annotations=None,
                   run_as_user=None):
        pb = self.pb
        security = pb.LinuxSandboxSecurityContext(
            namespace_options=namespace_options or pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER,
                                                                      ipc=pb.POD))
        if seccomp is not None:
            security.seccomp.CopyFrom(seccomp)
        if run_as_user is not None:
            security.run_as_user.value = run_as_user
        uid = str(uuid.uuid4())
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="default", attempt=0),
            hostname=name, log_directory=log_directory,
            labels={"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": "default",
                    "io.kubernetes.pod.uid": uid},
            annotations=dict(annotations or {}),
            linux=pb.LinuxPodSandboxConfig(security_context=security))

    def run_pod(self, config, runtime_handler):
        r = self.call("RunPodSandbox", self.pb.RunPodSandboxRequest(config=config, runtime_handler=runtime_handler))
        self.pod_configs[r.pod_sandbox_id] = config
        return r.pod_sandbox_id

    def pod_status(self, pod_id, verbose=True):
        return self.call("PodSandboxStatus", self.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=verbose))

    def list_pods(self):
        return list(self.call("ListPodSandbox", self.pb.ListPodSandboxRequest()).items)

    def stop_pod(self, pod_id):
        self.call("StopPodSandbox", self.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))

    def remove_pod(self, pod_id):
        """What kubelet does when a pod goes: StopPodSandbox, then RemovePodSandbox."""
        self.stop_pod(pod_id)
        self.call("RemovePodSandbox", self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))
        self.pod_configs.pop(pod_id, None)

    # containers

    def userns(self, host_id, length=65536):
        """A pod's user namespace as kubelet sends it for hostUsers: false: mode POD, container ids
        0..length-1 on host ids host_id.. (the same mapping for uids and gids)."""
        pb = self.pb
        mapping = pb.IDMapping(host_id=host_id, container_id=0, length=length)
        return pb.UserNamespace(mode=pb.POD, uids=[mapping], gids=[mapping])

    def namespace_options(self, userns=None):
        """kubelet's: network and ipc of the pod, pid of the container; and the pod's userns."""
        pb = self.pb
        options = pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
        if userns is not None:
            options.userns_options.CopyFrom(userns)
        return options

    def mount(self, host_path, container_path, readonly=False, userns=None):
        """A volume; in a user-namespaced pod kubelet asks for it idmapped with the pod's mappings."""
        pb = self.pb
        m = pb.Mount(container_path=container_path, host_path=host_path, readonly=readonly)
        if userns is not None:
            m.uid_mappings.extend(userns.uids)
            m.gid_mappings.extend(userns.gids)
        return m

    def container_config(self, name, image, args, security=None, resources=None, annotations=None, mounts=()):
        pb = self.pb
        security = security or pb.LinuxContainerSecurityContext()
        if not security.HasField("namespace_options"):
            security.namespace_options.CopyFrom(self.namespace_options())
        return pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=0), image=pb.ImageSpec(image=image),
            args=list(args), log_path="%s.log" % name, annotations=dict(annotations or {}), mounts=list(mounts),
            linux=pb.LinuxContainerConfig(security_context=security, resources=resources))

    def create_container(self, pod_id, config):
        r = self.call("CreateContainer", self.pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=config, sandbox_config=self.pod_configs[pod_id]))
        return r.container_id

    def start_container(self, cid):
        self.call("StartContainer", self.pb.StartContainerRequest(container_id=cid))

    def container_status(self, cid, verbose=True):
        return self.call("ContainerStatus", self.pb.ContainerStatusRequest(container_id=cid, verbose=verbose))

    def update_resources(self, cid, resources):
        self.call("UpdateContainerResources", self.pb.UpdateContainerResourcesRequest(container_id=cid,
                                                                                      linux=resources))

    def exec_sync(self, cid, cmd, timeout=30):
        return self.call("ExecSync", self.pb.ExecSyncRequest(container_id=cid, cmd=list(cmd), timeout=timeout),
                         timeout=timeout + 30)

    def stop_container(self, cid, timeout=0):
        self.call("StopContainer", self.pb.StopContainerRequest(container_id=cid, timeout=timeout))

    def remove_container(self, cid):
        self.call("RemoveContainer", self.pb.RemoveContainerRequest(container_id=cid))
