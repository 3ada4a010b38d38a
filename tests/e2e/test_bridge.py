"""Docker's default bridge network with containers run through hardrun (user namespace on),
as under runc. The dockerd runs in a network namespace of its own (PrivateDockerd(netns=True)):
docker0, its iptables rules and ip_forward live there, and all traffic stays on that bridge;
the host's network is never touched."""
import ipaddress
import os
import subprocess
import time

import pytest

import daemons
from testenv import hardrun_slices

IMAGE = daemons.DEFAULT_IMAGE
BIP = ipaddress.ip_interface(daemons.NETNS_BIP)
GATEWAY = str(BIP.ip)
# The server's page: a token per run, so a stale answer cannot pass.
SERVE = ("mkdir -p /dev/shm/www && echo {token} > /dev/shm/www/index.html && "
         "exec httpd -f -p 8080 -h /dev/shm/www")
BUSYBOX = "/bin/busybox"  # busybox-static on the host, for the server on the gateway


@pytest.fixture(scope="module")
def bridged(require_root, hardrun_bin):
    with daemons.PrivateDockerd({"hardrun": {"path": hardrun_bin}}, netns=True) as d:
        d.import_image()
        yield d


def uid_map(d, name):
    return [int(x) for x in d.docker("exec", name, "cat", "/proc/self/uid_map").stdout.split()]


def assert_mapping(runtime, fields):
    inside, outside, size = fields
    if runtime == "hardrun":
        assert inside == 0 and size == 65536 and outside != 0 and outside in hardrun_slices(), fields
    else:
        assert fields == [0, 0, 4294967295], fields


def fetch(d, runtime, url, network="bridge", name=None):
    """A client container: its uid map, its eth0 address, then `wget -qO- url` (3 tries; busybox
    1.35's static wget segfaults with -T, hence timeout)."""
    script = ("cat /proc/self/uid_map; ip -o -4 addr show eth0 2>/dev/null | awk '{print $4}' || true; "
              "echo ---; for i in 1 2 3; do timeout 5 wget -qO- %s && exit 0; sleep 0.5; done; exit 1" % url)
    args = ["run", "--rm", "--runtime", runtime, "--network", network]
    if name:
        args += ["--name", name]
    return d.docker(*args, IMAGE, "sh", "-c", script, check=False, timeout=60)


@pytest.mark.parametrize("runtime", ["hardrun", "runc"])
def test_two_containers_talk_over_the_default_bridge(bridged, runtime):
    d = bridged
    token = "hello-from-%s-%d" % (runtime, time.monotonic_ns())
    srv = "srv-" + runtime
    d.docker("run", "-d", "--name", srv, "--runtime", runtime, IMAGE, "sh", "-c", SERVE.format(token=token))
    try:
        assert_mapping(runtime, uid_map(d, srv))
        ip = d.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", srv).stdout.strip()
        assert ipaddress.ip_address(ip) in BIP.network and ip != GATEWAY
        r = fetch(d, runtime, "http://%s:8080/" % ip)
        assert r.returncode == 0, r
        head, _, body = r.stdout.partition("---\n")
        lines = head.split("\n")
        assert_mapping(runtime, [int(x) for x in lines[0].split()])
        assert body.strip() == token
        # The client had its own address on the same bridge.
        client_ip = ipaddress.ip_interface(lines[1].strip())
        assert client_ip.network == BIP.network and str(client_ip.ip) not in (ip, GATEWAY)
        # Control: the same client without a network cannot reach the server.
        r = fetch(d, runtime, "http://%s:8080/" % ip, network="none")
        assert r.returncode != 0 and token not in r.stdout, r
    finally:
        d.docker("rm", "-f", srv, check=False)


@pytest.mark.parametrize("runtime", ["hardrun", "runc"])
def test_container_reaches_the_bridge_gateway(bridged, runtime):
    d = bridged
    gw = d.docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
                  "bridge").stdout.strip()
    assert gw == GATEWAY
    # A server on the gateway address, in dockerd's network namespace (not the host's).
    www = d.path("gw-www-" + runtime)
    os.mkdir(www)
    token = "gateway-%s-%d" % (runtime, time.monotonic_ns())
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write(token + "\n")
    server = subprocess.Popen(d.netns_argv(BUSYBOX, "httpd", "-f", "-p", GATEWAY + ":8081", "-h", www),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        r = fetch(d, runtime, "http://%s:8081/" % GATEWAY)
        assert r.returncode == 0, r
        head, _, body = r.stdout.partition("---\n")
        assert_mapping(runtime, [int(x) for x in head.split("\n")[0].split()])
        assert body.strip() == token
    finally:
        daemons.terminate_pid(server.pid, timeout=5, popen=server)


def test_the_bridge_is_in_dockerds_namespace_not_the_hosts(bridged):
    d = bridged
    inside = d.netns_run("ip", "-o", "-4", "addr", "show", "docker0").stdout
    assert str(BIP) in inside
    assert str(BIP.ip) + "/" not in daemons.run_cmd(["ip", "-o", "-4", "addr"]).stdout
    nat = d.netns_run("iptables", "-t", "nat", "-S").stdout
    assert "-A POSTROUTING -s %s ! -o docker0 -j MASQUERADE" % BIP.network in nat
    assert str(BIP.network) not in daemons.run_cmd(["iptables", "-t", "nat", "-S"]).stdout
    # dockerd is in that namespace; its containerd (private) and this process are not.
    ns = os.stat(d.netns_path).st_ino
    assert os.stat("/proc/%d/ns/net" % d.daemon_pid()).st_ino == ns
    assert os.stat("/proc/%d/ns/net" % d.containerd.proc.pid).st_ino != ns
    assert os.stat("/proc/self/ns/net").st_ino != ns
