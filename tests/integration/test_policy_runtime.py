"""The policy's "runtime" setting for the calls hardrun hands straight to the runtime (start, state,
kill, ...): read from a record once the policy file has settled (src/policy/runtime_record.hpp),
never from a record of another state of the file, and a broken policy still fails the call."""
import hashlib
import json
import os
import subprocess
import time

import pytest

RECORDS = "/run/hardrun/policy-runtime"


def record_of(path):
    return os.path.join(RECORDS, hashlib.sha256(path.encode()).hexdigest()[:32])


def recording_runtime(tmp_path, name):
    """A runtime that writes its own name to NAME.ran (both runtimes' paths have one length)."""
    marker = tmp_path / (name + ".ran")
    path = tmp_path / name
    path.write_text("#!/bin/sh\necho %s > %s\n" % (name, marker))
    path.chmod(0o755)
    return str(path), marker


@pytest.fixture
def settled_policy(tmp_path, require_root):
    """A policy naming runtime-a, two seconds old (a newer file is not recorded), and its record
    removed afterwards."""
    a, ran_a = recording_runtime(tmp_path, "runtime-a")
    b, ran_b = recording_runtime(tmp_path, "runtime-b")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"runtime": a}))
    policy.chmod(0o644)
    time.sleep(2.2)
    yield policy, (a, ran_a), (b, ran_b)
    if os.path.exists(record_of(str(policy))):
        os.unlink(record_of(str(policy)))


def state(hardrun_bin, policy):
    return subprocess.run([hardrun_bin, "--hardrun-policy", str(policy), "state", "x"], capture_output=True,
                          text=True, timeout=30)


def test_the_setting_is_recorded_and_the_record_is_what_the_next_call_reads(hardrun_bin, settled_policy):
    policy, (a, ran_a), (b, ran_b) = settled_policy
    r = state(hardrun_bin, policy)
    assert r.returncode == 0, r.stderr
    assert ran_a.read_text() == "runtime-a\n"
    record = open(record_of(str(policy))).read()
    st = os.stat(record_of(str(policy)))
    assert st.st_uid == 0 and st.st_mode & 0o077 == 0
    assert record.endswith("\n=%d %s\n" % (len(a), a)) and str(policy) in record
    # The next call takes the record's word for it (which is why only root may write records):
    # the same record naming runtime-b sends the call to runtime-b.
    with open(record_of(str(policy)), "w") as f:
        f.write(record[:-len("=%d %s\n" % (len(a), a))] + "=%d %s\n" % (len(b), b))
    r = state(hardrun_bin, policy)
    assert r.returncode == 0, r.stderr
    assert ran_b.read_text() == "runtime-b\n"


def test_a_policy_changed_in_place_names_its_new_runtime_at_once(hardrun_bin, settled_policy):
    policy, (a, ran_a), (b, ran_b) = settled_policy
    assert state(hardrun_bin, policy).returncode == 0
    assert ran_a.exists() and os.path.exists(record_of(str(policy)))
    # Same inode, same size, a moment later: only the timestamps tell the record is stale.
    text = json.dumps({"runtime": b})
    assert len(text) == policy.stat().st_size
    with open(policy, "r+") as f:
        f.write(text)
    r = state(hardrun_bin, policy)
    assert r.returncode == 0, r.stderr
    assert ran_b.exists()


def test_a_broken_policy_fails_the_call_though_an_earlier_state_was_recorded(hardrun_bin, settled_policy):
    policy, (a, ran_a), _ = settled_policy
    assert state(hardrun_bin, policy).returncode == 0
    ran_a.unlink()
    size = policy.stat().st_size
    with open(policy, "r+") as f:
        f.write("[" + " " * (size - 1))
    r = state(hardrun_bin, policy)
    assert r.returncode != 0 and "policy " + str(policy) in r.stderr, r.stderr
    assert not ran_a.exists()


def test_gc_removes_the_record_of_a_policy_file_that_is_gone(hardrun_bin, settled_policy, tmp_path):
    policy, (a, ran_a), _ = settled_policy
    assert state(hardrun_bin, policy).returncode == 0
    record = record_of(str(policy))
    assert os.path.exists(record)
    r = subprocess.run([hardrun_bin, "gc", "--dry-run"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(record), "the policy is still there and unchanged: the record is current"
    os.rename(policy, tmp_path / "moved.json")
    r = subprocess.run([hardrun_bin, "gc"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "stale policy runtime record(s) removed" in r.stdout
    assert not os.path.exists(record)
