"""The Debian package (scripts/package.sh, built from this tree) installed with apt on this
distribution: the files where Debian puts them, the hardrun user's range left as it was, a
container through the runtime `hardrun setup docker` registers, and a removal that leaves every
other runtime of Docker working."""
import glob
import json
import os

from guestlib import ALLOW, IMAGE, IN, cap_names, proc_status, read, reload_docker, restart_docker, run

APT = ("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confold")


def test_deb_installs_registers_runs_and_is_removed_cleanly(docker):
    [deb] = glob.glob(os.path.join(IN, "hardrun_*.deb"))
    ranges = {f: read(f) for f in ("/etc/subuid", "/etc/subgid")}  # the docker fixture made them
    r = run(*APT, "install", deb, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    try:
        assert run("dpkg-query", "-W", "-f", "${Status}", "hardrun").stdout == "install ok installed"
        for path in ("/usr/sbin/hardrun", "/usr/sbin/hardrun-strict", "/usr/share/hardrun/profiles/strict.json",
                     "/usr/share/man/man8/hardrun.8.gz", "/usr/share/man/man8/hardrun-strict.8.gz",
                     "/usr/share/man/man5/hardrun-policy.5.gz", "/etc/logrotate.d/hardrun",
                     "/etc/hardrun/policy.json.example"):
            assert os.path.exists(path), path
        # postinst (install.sh --user-only): the user is there, its existing ranges untouched.
        assert run("getent", "passwd", "hardrun").returncode == 0
        assert {f: read(f) for f in ranges} == ranges
        # The package's binary reads the package's profiles.
        out = json.loads(run("/usr/sbin/hardrun-strict", "doctor", "--json", check=False).stdout)
        [policy] = [c for c in out["checks"] if c["check"] == "policy"]
        assert policy["finding"].startswith("/usr/share/hardrun/profiles/strict.json "), policy
        r = run("/usr/sbin/hardrun", "setup", "docker", "--name", "hardrun-deb")
        assert "/usr/sbin/hardrun" in json.load(open("/etc/docker/daemon.json"))["runtimes"]["hardrun-deb"]["path"]
        reload_docker("hardrun-deb")
        status = proc_status(docker.run_sh("cat /proc/1/status", runtime="hardrun-deb"))
        assert cap_names(status["CapBnd"]) == sorted(ALLOW) and status["NoNewPrivs"].strip() == "1"

        r = run(*APT, "remove", "hardrun", check=False)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        assert not os.path.exists("/usr/sbin/hardrun")
        # Removal never edits an engine's configuration: the entry stays, naming a missing program,
        # and Docker with every other runtime keeps working.
        assert "hardrun-deb" in json.load(open("/etc/docker/daemon.json"))["runtimes"]
        restart_docker()
        assert docker.run_sh("echo plain", runtime="runc").strip() == "plain"
        assert docker.run_sh("echo hardened").strip() == "hardened"  # /usr/local/sbin/hardrun, by meson
        r = docker("run", "--rm", "--runtime=hardrun-deb", IMAGE, "true", check=False)
        assert r.returncode != 0
    finally:
        run("/usr/local/sbin/hardrun", "setup", "docker", "--undo", "--name", "hardrun-deb")
        run(*APT, "purge", "hardrun", check=False)
        reload_docker("hardrun-deb", present=False)
    assert run("dpkg-query", "-W", "-f", "${Status}", "hardrun", check=False).stdout.strip() in ("", "unknown ok not-installed")
