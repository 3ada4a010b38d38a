"""Where audit events go: the policy's audit.target. The journal's and syslog's sockets are bound
by tests/lib/receive_events.py in a private mount namespace, at the paths hardrun sends to
(/run/systemd/journal/socket, /dev/log), so what arrives is exactly what a journald or syslog
daemon would read; the host-matrix guests check the real systemd-journald."""
import json
import pathlib
import subprocess

from testenv import audit_only_policy

REPO = pathlib.Path(__file__).resolve().parents[2]
RECEIVER = REPO / "tests" / "lib" / "receive_events.py"


def with_socket(mountpoint, socket_path, argv):
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "/usr/bin/python3", str(RECEIVER),
                        mountpoint, socket_path, "--", *argv], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def journal_entry(text):
    """The fields of one native-protocol entry (systemd's JOURNAL_NATIVE_PROTOCOL)."""
    fields, at = {}, 0
    while at < len(text):
        end = text.index("\n", at)
        line = text[at:end]
        if "=" in line:
            name, value = line.split("=", 1)
            at = end + 1
        else:
            size = int.from_bytes(text[end + 1:end + 9].encode("latin-1"), "little")
            name, value = line, text[end + 9:end + 9 + size]
            at = end + 10 + size
        fields[name] = value
    return fields


def shipped_policy(**audit):
    policy = json.loads((REPO / "profiles" / "policy.json").read_text())
    policy["audit"] = audit
    policy["userNamespace"] = {"mode": "audit"}  # no idmapped mounts in the private mount namespace
    return policy


def host_pid(c):
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]


def test_journal_target_sends_structured_fields(runtime, make_bundle, policy_file, tmp_path):
    log = tmp_path / "audit.log"
    policy = policy_file(shipped_policy(target="journal", log=str(log)))
    refused = make_bundle("true")
    refused.edit(host_pid)
    ran = make_bundle("true")
    cid_refused, cid_ran = runtime.new_id(), runtime.new_id()
    base = [runtime.hardrun_bin, "--hardrun-policy", policy, "--root", runtime.root]
    got = with_socket("/run/systemd", "/run/systemd/journal/socket",
                      ["sh", "-c", '"$@" create --bundle %s %s; "$@" run --bundle %s %s' %
                       (refused.path, cid_refused, ran.path, cid_ran), "sh", *base])
    assert got["rc"] == 0, got["stderr"]
    entries = [journal_entry(e) for e in got["entries"]]
    assert [e["CONTAINER_ID"] for e in entries] == [cid_refused, cid_ran]
    no, yes = entries
    assert no["SYSLOG_IDENTIFIER"] == "hardrun" and no["PRIORITY"] == "4"
    assert no["HARDRUN_COMMAND"] == "create" and no["HARDRUN_OUTCOME"] == "refused"
    assert any(f["path"].startswith("/linux/namespaces") for f in json.loads(no["HARDRUN_REFUSED"]))
    assert "refused" in no["MESSAGE"] and "pid" in no["MESSAGE"]
    assert yes["HARDRUN_OUTCOME"] == "rewritten" and yes["HARDRUN_POLICY"] == policy
    assert yes["HARDRUN_POLICY_DIGEST"].startswith("sha256:")
    assert yes["HARDRUN_FILE"] == ran.config_path
    assert any(f["control"] == "capabilities" for f in json.loads(yes["HARDRUN_CHANGED"]))
    assert not log.exists()  # the journal instead of the file, not beside it


def test_syslog_target_sends_the_json_line_at_authpriv(runtime, make_bundle, policy_file, tmp_path):
    log = tmp_path / "audit.log"
    policy = policy_file(shipped_policy(target="syslog", log=str(log)))
    b = make_bundle("true")
    b.edit(host_pid)
    cid = runtime.new_id()
    # The create is refused before runc runs: nothing needs the real /dev this covers.
    got = with_socket("/dev", "/dev/log", [runtime.hardrun_bin, "--hardrun-policy", policy, "--root", runtime.root,
                                           "create", "--bundle", b.path, cid])
    assert got["rc"] == 1 and "policy violation" in got["stderr"]
    [entry] = got["entries"]
    assert entry.startswith("<84>"), entry  # authpriv (10) * 8 + warning (4)
    tag, line = entry.split(": ", 1)
    assert tag.split()[-1].startswith("hardrun[")
    event = json.loads(line)
    assert event["id"] == cid and event["outcome"] == "refused" and event["refused"]
    assert not log.exists()


def test_an_unreachable_journal_is_a_warning_not_a_failure(runtime, make_bundle, policy_file, tmp_path):
    policy = policy_file(shipped_policy(target="journal", log=str(tmp_path / "audit.log")))
    b = make_bundle("true")
    cid = runtime.new_id()
    # The tmpfs over /run/systemd holds no socket: no journald here.
    got = with_socket("/run/systemd", "/run/systemd/other/socket",
                      [runtime.hardrun_bin, "--hardrun-policy", policy, "--root", runtime.root, "run", "--bundle",
                       b.path, cid])
    assert got["rc"] == 0, got["stderr"]
    assert "no journal is listening on /run/systemd/journal/socket" in got["stderr"]
    assert got["entries"] == []


def test_none_target_writes_nothing(runtime, make_bundle, policy_file, tmp_path):
    log = tmp_path / "audit.log"
    policy = policy_file(audit_only_policy(audit={"target": "none", "log": str(log)}))
    b = make_bundle("true")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    assert not log.exists()
    policy = policy_file(audit_only_policy(audit={"target": "file", "log": str(log)}), name="file.json")
    r = runtime.hardrun("run", "--bundle", b.path, runtime.new_id(), pre=("--hardrun-policy", policy))
    assert r.returncode == 0, r.stderr
    assert json.loads(log.read_text().splitlines()[-1])["outcome"] == "unchanged"


def test_the_shipped_logrotate_snippet_rotates_a_log_hardrun_keeps_writing(runtime, make_bundle, policy_file,
                                                                           tmp_path):
    log_dir = tmp_path / "log"
    log = log_dir / "audit.log"
    policy = policy_file(audit_only_policy(audit={"target": "file", "log": str(log)}))
    b = make_bundle("true")
    first, second = runtime.new_id(), runtime.new_id()
    assert runtime.hardrun("run", "--bundle", b.path, first, pre=("--hardrun-policy", policy)).returncode == 0
    conf = tmp_path / "logrotate.conf"
    conf.write_text((REPO / "contrib" / "logrotate" / "hardrun.in").read_text().replace("@AUDIT_LOG@", str(log)))
    conf.chmod(0o644)
    r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "logrotate.state"), str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rotated = log_dir / "audit.log.1"
    assert json.loads(rotated.read_text().splitlines()[-1])["id"] == first
    assert log.read_text() == "" and oct(log.stat().st_mode & 0o777) == "0o640"
    # The file logrotate created is one hardrun accepts: the next event lands in it.
    r = runtime.hardrun("run", "--bundle", b.path, second, pre=("--hardrun-policy", policy))
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    assert [json.loads(l)["id"] for l in log.read_text().splitlines()] == [second]
