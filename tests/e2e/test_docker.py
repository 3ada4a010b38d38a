"""Docker 20.10 (a private dockerd) with `--runtime=hardrun`: the controls inside real
containers, and everything else Docker does still working as with runc."""
import json
import os
import pty
import select
import subprocess
import time

import pytest

import daemons
from testenv import DEFAULT_ALLOW, cap_hex, proc_status

IMAGE = daemons.DEFAULT_IMAGE


@pytest.fixture(scope="module")
def refuse_policy(tmp_path_factory):
    """A policy that refuses (instead of rewriting) capabilities outside a one-item allowlist."""
    path = tmp_path_factory.mktemp("policy") / "refuse.json"
    path.write_text(json.dumps({"capabilities": {"mode": "refuse", "allow": ["CAP_KILL"]}}))
    os.chmod(path, 0o644)
    return str(path)


@pytest.fixture(scope="module")
def docker(require_root, hardrun_bin, refuse_policy):
    runtimes = {
        "hardrun": {"path": hardrun_bin},
        # Docker writes a #!/bin/sh wrapper with runtimeArgs before its own arguments.
        "hardrun-refuse": {"path": hardrun_bin, "runtimeArgs": ["--hardrun-policy=" + refuse_policy]},
    }
    with daemons.PrivateDockerd(runtimes) as d:
        d.import_image()
        yield d


def status_in(d, *run_args):
    r = d.docker("run", "--rm", "--network", "none", *run_args, IMAGE, "cat", "/proc/self/status")
    return proc_status(r.stdout)


def assert_allowlist_only(status):
    for field in ("CapBnd", "CapPrm", "CapEff"):
        assert status[field] == cap_hex(DEFAULT_ALLOW), (field, status)
    assert status["CapAmb"] == cap_hex([])
    assert status["NoNewPrivs"] == "1"


def test_default_run_is_hardened(docker):
    assert_allowlist_only(status_in(docker, "--runtime=hardrun"))


def test_plain_runc_keeps_dockers_defaults(docker):
    """The baseline the hardened run is compared with: Docker's 14 default capabilities."""
    status = status_in(docker, "--runtime=runc")
    assert int(status["CapBnd"], 16) & (1 << 13)  # CAP_NET_RAW
    assert status["NoNewPrivs"] == "0"


def test_cap_add_sys_admin_does_not_get_it(docker):
    status = status_in(docker, "--runtime=hardrun", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN")
    assert_allowlist_only(status)


def test_privileged_does_not_get_its_capabilities(docker):
    # Under plain runc this container does not even start on this VM (CAP_SYS_RESOURCE is
    # missing from root's bounding set); through hardrun it runs with the allowlist only.
    assert_allowlist_only(status_in(docker, "--runtime=hardrun", "--privileged"))


def test_tty(docker):
    r = docker.docker("run", "--rm", "-t", "--network", "none", "--runtime=hardrun", IMAGE, "tty")
    assert r.stdout.strip().startswith("/dev/pts/")


def test_interactive_console(docker):
    """`docker run -it`: a real pseudo-terminal on the client side, commands typed into sh."""
    master, slave = pty.openpty()
    p = subprocess.Popen([daemons.DOCKER_CLI, "run", "--rm", "-it", "--network", "none", "--runtime=hardrun",
                          IMAGE, "sh"], stdin=slave, stdout=slave, stderr=slave, env=docker.cli_env(),
                         close_fds=True)
    os.close(slave)
    out = b""
    try:
        os.write(master, b"echo marker-$((6*7)); grep NoNewPrivs /proc/self/status; exit\r")
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert "marker-42" in text, text
    assert "NoNewPrivs:\t1" in text or "NoNewPrivs: 1" in text.replace("\t", " "), text
    assert p.returncode == 0


@pytest.fixture
def running(docker):
    name = "hardrun-e2e-%d" % time.monotonic_ns()
    docker.docker("run", "-d", "--name", name, "--network", "none", "--runtime=hardrun", IMAGE,
                  "sh", "-c", "echo started; trap 'exit 0' TERM; while true; do sleep 1; done")
    yield name
    docker.docker("rm", "-f", name, check=False)


def test_exec_is_hardened(docker, running):
    assert_allowlist_only(proc_status(docker.docker("exec", running, "cat", "/proc/self/status").stdout))


def test_exec_privileged_is_cut_to_the_allowlist(docker, running):
    r = docker.docker("exec", "--privileged", running, "cat", "/proc/self/status")
    assert_allowlist_only(proc_status(r.stdout))


def test_logs_stop_restart_pause_kill_rm(docker, running):
    d = docker.docker
    for _ in range(50):
        if "started" in d("logs", running).stdout:
            break
        time.sleep(0.2)
    assert "started" in d("logs", running).stdout
    d("pause", running)
    assert d("inspect", "-f", "{{.State.Status}}", running).stdout.strip() == "paused"
    d("unpause", running)
    assert d("inspect", "-f", "{{.State.Status}}", running).stdout.strip() == "running"
    d("stop", "-t", "10", running)
    assert d("inspect", "-f", "{{.State.Status}}", running).stdout.strip() == "exited"
    d("restart", "-t", "1", running)
    assert d("inspect", "-f", "{{.State.Status}}", running).stdout.strip() == "running"
    assert_allowlist_only(proc_status(d("exec", running, "cat", "/proc/1/status").stdout))
    d("kill", running)
    assert d("inspect", "-f", "{{.State.Status}}", running).stdout.strip() == "exited"
    d("rm", running)
    assert d("ps", "-aq", "--filter", "name=" + running).stdout.strip() == ""


def test_refusal_message_reaches_docker_run(docker, refuse_policy):
    r = docker.docker("run", "--rm", "--network", "none", "--runtime=hardrun-refuse", IMAGE, "true", check=False)
    assert r.returncode != 0
    assert "hardrun: policy violation" in r.stderr, r.stderr
    assert refuse_policy in r.stderr and "CAP_CHOWN" in r.stderr
    # Nothing is left running or half-created.
    assert docker.docker("ps", "-q").stdout.strip() == ""


def test_runtime_args_reach_hardrun_and_not_runc(docker):
    """Docker runs `#!/bin/sh` + `hardrun --hardrun-policy=... <runc args> $@`: with a
    compliant container the refuse policy lets it run, so runc never saw the option."""
    r = docker.docker("run", "--rm", "--network", "none", "--runtime=hardrun-refuse", "--cap-drop", "ALL",
                      "--cap-add", "KILL", IMAGE, "grep", "CapBnd", "/proc/self/status")
    assert cap_hex(["CAP_KILL"]) in r.stdout


def test_docker_info_lists_the_runtime(docker):
    info = json.loads(docker.docker("info", "--format", "{{json .Runtimes}}").stdout)
    assert "hardrun" in info


def run_sh(d, script, *flags, runtime="hardrun"):
    return d.docker("run", "--rm", "--network", "none", "--runtime=" + runtime, *flags, IMAGE, "sh", "-c", script,
                    check=False)


def test_root_is_read_only_without_read_only_flag(docker):
    r = run_sh(docker, "touch /probe; echo ok > /tmp/t && cat /tmp/t; grep ' /tmp ' /proc/self/mounts")
    assert "Read-only file system" in r.stderr + r.stdout
    assert "ok" in r.stdout.split()
    assert "tmpfs" in r.stdout and "nosuid" in r.stdout and "nodev" in r.stdout
    # Docker's own files (hosts, resolv.conf) are still there, read as usual.
    r = run_sh(docker, "cat /etc/hostname /etc/hosts >/dev/null && echo files-ok")
    assert "files-ok" in r.stdout, r.stderr


def test_docker_tmpfs_flag_is_not_doubled(docker):
    r = run_sh(docker, "grep -c ' /tmp ' /proc/self/mounts; grep ' /tmp ' /proc/self/mounts", "--tmpfs", "/tmp:exec")
    lines = r.stdout.split("\n")
    assert lines[0] == "1", r.stdout
    assert "nosuid" in lines[1] and "nodev" in lines[1]


def test_limits_default_and_ceiling(docker):
    r = run_sh(docker, "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert r.stdout.split() == ["1024", str(1 << 30)], r.stdout + r.stderr
    r = run_sh(docker, "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes",
               "--pids-limit", "-1", "--memory", "64g", "--memory-swap", "-1")
    assert r.stdout.split() == ["1024", str(16 << 30)], r.stdout + r.stderr
    r = run_sh(docker, "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
               "--pids-limit", "50", "--memory", "64m")
    assert r.stdout.split() == ["50", str(64 << 20)], r.stdout + r.stderr
    # Plain runc, for comparison: no limit at all.
    r = run_sh(docker, "cat /sys/fs/cgroup/pids/pids.max", runtime="runc")
    assert r.stdout.strip() == "max"


@pytest.mark.parametrize("flag,ns", [("--pid=host", "pid"), ("--ipc=host", "ipc"), ("--network=host", "network"),
                                     ("--uts=host", "uts")])
def test_host_namespaces_are_refused_with_the_reason_shown(docker, flag, ns):
    args = ["run", "--rm", "--runtime=hardrun", flag, IMAGE, "true"]
    if ns != "network":
        args.insert(2, "--network=none")
    r = docker.docker(*args, check=False)
    assert r.returncode != 0
    assert "hardrun: policy violation" in r.stderr and ("host's %s namespace" % ns) in r.stderr, r.stderr


def test_docker_update_cannot_raise_limits_past_the_ceiling(docker, running):
    docker.docker("update", "--pids-limit", "100000", running)
    assert docker.docker("exec", running, "cat", "/sys/fs/cgroup/pids/pids.max").stdout.strip() == "4096"
    docker.docker("update", "--pids-limit", "200", running)
    assert docker.docker("exec", running, "cat", "/sys/fs/cgroup/pids/pids.max").stdout.strip() == "200"
    docker.docker("update", "--memory", "64g", "--memory-swap", "-1", running, check=False)
    assert docker.docker("exec", running, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes").stdout.strip() == \
        str(16 << 30)


def test_privileged_is_neutralised(docker):
    # sysfs and the cgroup hierarchies (runc's tmpfs holding their mount points stays rw, empty).
    script = ("ls /dev; echo ---; grep -E ' (sysfs|cgroup|cgroup2) ' /proc/self/mounts; echo ---; "
              "wc -c < /proc/timer_list; echo ---; echo 1 > /proc/sys/kernel/sysrq 2>&1 || echo sysrq-refused")
    r = run_sh(docker, script, "--privileged")
    assert r.returncode == 0, r.stderr
    devs, mounts, kcore, sysrq = (part.split() for part in r.stdout.split("---"))
    host_only = [d for d in devs if d.startswith(("sd", "vd", "nvme", "loop", "mem", "kmsg", "port"))]
    assert host_only == [], devs
    mount_lines = r.stdout.split("---")[1].strip().splitlines()
    assert len(mount_lines) >= 2
    assert all("ro" in line.split()[3].split(",") for line in mount_lines), mount_lines
    assert kcore == ["0"]  # masked: /dev/null bound over /proc/timer_list
    assert "sysrq-refused" in sysrq
    # Plain runc on the same daemon would hand the container the host's disks.
    r = run_sh(docker, "ls /dev", "--privileged", runtime="runc")
    assert r.returncode != 0 or any(d.startswith(("vd", "sd", "loop")) for d in r.stdout.split())


@pytest.fixture(scope="module")
def engine_policy_docker(require_root, hardrun_bin, tmp_path_factory):
    """A dockerd whose own data root the policy knows as Docker's (as /var/lib/docker is by
    default): its per-container files and volumes must work, the rest of it must not."""
    policy = tmp_path_factory.mktemp("engine-policy") / "policy.json"
    with daemons.PrivateDockerd({"hardrun": {"path": hardrun_bin,
                                             "runtimeArgs": ["--hardrun-policy=" + str(policy)]}}) as d:
        policy.write_text(json.dumps({"capabilities": {"allow": DEFAULT_ALLOW},
                                      "mounts": {"engines": {"docker": [d.data_root]}}}))
        os.chmod(policy, 0o644)
        d.import_image()
        yield d


@pytest.mark.parametrize("volume", ["/var/run/docker.sock:/s", "/:/host", "/etc:/x", "/proc:/p:ro"])
def test_denied_volumes_are_refused_with_the_reason_shown(docker, volume):
    r = docker.docker("run", "--rm", "--network=none", "--runtime=hardrun", "-v", volume, IMAGE, "true", check=False)
    assert r.returncode != 0
    assert "hardrun: policy violation" in r.stderr and "is denied" in r.stderr, r.stderr


def test_bind_mounts_get_nosuid_nodev(docker, tmp_path):
    r = run_sh(docker, "grep ' /data ' /proc/self/mounts", "-v", "%s:/data" % tmp_path)
    assert {"nosuid", "nodev"} <= set(r.stdout.split()[3].split(",")), r.stdout + r.stderr


def test_engine_files_and_volumes_work_from_a_known_data_root(engine_policy_docker):
    d = engine_policy_docker
    d.docker("volume", "create", "appdata")
    r = run_sh(d, "echo kept > /data/f && cat /data/f /etc/hostname >/dev/null && cat /data/f", "-v", "appdata:/data")
    assert r.stdout.strip() == "kept", r.stderr
    # The data root itself, another container's directory, all volumes at once: refused.
    other = d.docker("create", "--network=none", IMAGE, "true").stdout.strip()
    for source in (d.data_root, os.path.join(d.data_root, "containers", other), os.path.join(d.data_root, "volumes")):
        r = run_sh(d, "true", "-v", source + ":/x")
        assert r.returncode != 0 and "is denied" in r.stderr, (source, r.stderr)


def test_unsafe_sysctls_are_dropped_safe_ones_kept(docker):
    script = "cat /proc/sys/kernel/shmmax /proc/sys/net/core/somaxconn"
    flags = ("--sysctl", "kernel.shmmax=1048576", "--sysctl", "net.core.somaxconn=1000")
    under_runc = run_sh(docker, script, *flags, runtime="runc").stdout.split()
    assert under_runc == ["1048576", "1000"]
    shmmax, somaxconn = run_sh(docker, script, *flags).stdout.split()
    assert shmmax != "1048576" and somaxconn == "1000"


@pytest.mark.parametrize("flags", [[], ["--security-opt", "seccomp=unconfined"], ["--privileged"]])
def test_every_container_runs_under_one_seccomp_filter(docker, flags):
    r = run_sh(docker, "grep -E '^Seccomp' /proc/self/status; unshare -U true && echo unshare-ok || echo denied", *flags)
    assert "Seccomp:\t2" in r.stdout and "Seccomp_filters:\t1" in r.stdout, r.stdout + r.stderr
    assert "denied" in r.stdout
    if flags:  # the same flags under plain runc: no filter at all
        r = run_sh(docker, "grep '^Seccomp:' /proc/self/status", "--security-opt", "seccomp=unconfined", runtime="runc")
        assert r.stdout.split() == ["Seccomp:", "0"]


def test_daemon_json_written_by_hardrun_setup_docker(private_dockerd, hardrun_bin, tmp_path):
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text('{"log-level": "warn"}\n')
    subprocess.run([hardrun_bin, "setup", "docker", "--daemon-json", str(daemon_json), "--name", "hardrun-strict",
                    "--profile", "strict", "--path", hardrun_bin], check=True, capture_output=True)
    written = json.loads(daemon_json.read_text())
    d = private_dockerd(written["runtimes"], extra_config={"log-level": written["log-level"]})
    r = d.docker("run", "--rm", "--network=none", "--runtime=hardrun-strict", "--user", "1000", IMAGE,
                 "grep", "CapBnd", "/proc/self/status")
    assert cap_hex(["CAP_NET_BIND_SERVICE"]) in r.stdout
    # Root is acceptable to strict's nonRoot only because the user namespace remaps it.
    r = d.docker("run", "--rm", "--network=none", "--runtime=hardrun-strict", IMAGE, "cat", "/proc/self/uid_map")
    inside, outside, size = r.stdout.split()
    assert inside == "0" and int(outside) >= 65536 and size == "65536"
