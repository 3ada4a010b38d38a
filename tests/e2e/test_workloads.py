"""Real software from Debian's packages (nginx, redis, postgresql, python3) running through Docker
with --runtime=hardrun under the full default policy: read-only root, 8 capabilities,
no_new_privs, pids/memory limits, hardrun's default seccomp profile.

The image is built from Debian's archive with debootstrap (tests/lib/mkservices.sh; cached per
machine). A service that writes outside /tmp, /run and /var/tmp gets a --tmpfs for its state, as
anyone runs it with a read-only root; nothing else is loosened.
"""
import json
import os
import subprocess
import time

import pytest

import daemons
from testenv import REPO, skip_or_fail

IMAGE = "hardrun-test/debian-services:latest"


@pytest.fixture(scope="module")
def services(require_root, hardrun_bin, tmp_path_factory):
    tar = tmp_path_factory.mktemp("services") / "services.tar"
    r = subprocess.run([os.path.join(REPO, "tests", "lib", "mkservices.sh"), str(tar)], capture_output=True, text=True)
    if r.returncode != 0:
        skip_or_fail("cannot build the Debian services image: " + r.stdout[-2000:] + r.stderr[-2000:])
    with daemons.PrivateDockerd({"hardrun": {"path": hardrun_bin}}) as d:
        d.docker("import", str(tar), IMAGE, timeout=600)
        yield d


def run(d, *args, check=True, timeout=180):
    return d.docker("run", "--rm", "--network", "none", "--runtime=hardrun", *args, check=check, timeout=timeout)


def detached(d, *args):
    name = "svc-%d" % time.monotonic_ns()
    d.docker("run", "-d", "--name", name, "--network", "none", "--runtime=hardrun", *args)
    return name


def wait_for(d, name, *probe, expect, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = d.docker("exec", name, *probe, check=False)
        if expect in last.stdout:
            return last.stdout
        time.sleep(0.5)
    logs = d.docker("logs", name, check=False)
    pytest.fail("%s: %r never showed %r; logs: %s %s" % (name, last.stdout + last.stderr if last else "",
                                                          expect, logs.stdout[-2000:], logs.stderr[-2000:]))


def assert_hardened(d, name):
    status = d.docker("exec", name, "grep", "-E", "^(CapBnd|NoNewPrivs|Seccomp):", "/proc/1/status").stdout.split()
    assert status == ["CapBnd:", "00000000000004fb", "NoNewPrivs:", "1", "Seccomp:", "2"], status
    assert d.docker("exec", name, "sh", "-c", "touch /probe 2>&1 || true").stdout.strip().endswith(
        "Read-only file system")


def test_python_writes_to_tmp(services):
    r = run(services, IMAGE, "python3", "-c",
            "import os, sys; open('/tmp/x', 'w').write('written'); print(open('/tmp/x').read(), sys.version_info[0])")
    assert r.stdout.split() == ["written", "3"], r.stderr


def test_redis_ping_set_get(services):
    name = detached(services, IMAGE, "redis-server", "--save", "", "--appendonly", "no", "--dir", "/tmp",
                    "--protected-mode", "no")
    try:
        wait_for(services, name, "redis-cli", "ping", expect="PONG")
        assert services.docker("exec", name, "redis-cli", "set", "k", "hardened").stdout.strip() == "OK"
        assert services.docker("exec", name, "redis-cli", "get", "k").stdout.strip() == "hardened"
        assert_hardened(services, name)
    finally:
        services.docker("rm", "-f", name, check=False)


def test_nginx_answers_http_inside_its_network_namespace(services):
    name = detached(services, "--tmpfs", "/var/lib/nginx", "--tmpfs", "/var/log/nginx", IMAGE,
                    "nginx", "-g", "daemon off;")
    try:
        page = wait_for(services, name, "curl", "-s", "http://127.0.0.1/", expect="Welcome to nginx")
        assert "<html" in page
        assert_hardened(services, name)
    finally:
        services.docker("rm", "-f", name, check=False)


def test_postgresql_initdb_start_select(services):
    script = ("set -e; B=/usr/lib/postgresql/15/bin; $B/initdb -D /tmp/pg >/tmp/initdb.log; "
              "$B/pg_ctl -D /tmp/pg -o \"-k /tmp -c listen_addresses=''\" -l /tmp/pg.log -w start >/dev/null; "
              "psql -h /tmp -d postgres -tAc 'SELECT 1'; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status")
    r = run(services, "--user", "postgres", IMAGE, "sh", "-c", script, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.split()
    assert lines[0] == "1"
    assert lines[1:] == ["CapBnd:", "00000000000004fb", "NoNewPrivs:", "1", "Seccomp:", "2"]
