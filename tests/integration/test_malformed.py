"""Hostile and broken configs (tests/malformed/, made by its generate.py, plus huge ones made
here): each fails `hardrun create` with one clear line, the bundle stays byte-identical, and
the runtime never runs."""
import glob
import json
import os
import subprocess

import pytest

from bundles import tree_digest
from testenv import REPO

CORPUS = sorted(glob.glob(os.path.join(REPO, "tests", "malformed", "*.json")))


@pytest.fixture
def recording_runtime(tmp_path):
    marker = tmp_path / "runtime-ran"
    fake = tmp_path / "runtime"
    fake.write_text("#!/bin/sh\ntouch %s\n" % marker)
    fake.chmod(0o755)
    return str(fake), marker


def fails_closed(hardrun_bin, bundle, runtime, marker, tmp_path):
    before = tree_digest(str(bundle))
    log = tmp_path / "log.json"
    r = subprocess.run([hardrun_bin, "--hardrun-runtime", runtime, "--log", str(log), "--log-format", "json",
                        "create", "--bundle", str(bundle), "malformed"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = log.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "error" and entry["msg"].startswith("hardrun: ") and len(entry["msg"]) > 20
    assert r.stderr.startswith("hardrun: ") and r.stderr.count("\n") == 1, r.stderr
    assert tree_digest(str(bundle)) == before
    assert not marker.exists(), "the runtime ran"
    return entry["msg"]


def test_the_corpus_is_there():
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("path", CORPUS, ids=[os.path.basename(p)[:-5] for p in CORPUS])
def test_malformed_config_fails_closed(hardrun_bin, recording_runtime, tmp_path, path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    with open(path, "rb") as src, open(bundle / "config.json", "wb") as dst:
        dst.write(src.read())
    fails_closed(hardrun_bin, bundle, *recording_runtime, tmp_path)


@pytest.mark.parametrize("kind", ["over-16MiB", "million-mounts", "million-env"])
def test_huge_configs_fail_closed_or_are_bounded(hardrun_bin, recording_runtime, tmp_path, kind):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    base = json.load(open(os.path.join(REPO, "tests", "fixtures", "docker-20.10-default.json")))
    if kind == "over-16MiB":
        text = json.dumps(base)[:-1] + ', "pad": "' + "x" * (17 << 20) + '"}'
    elif kind == "million-mounts":
        base["mounts"] = ["m"] * 1000000  # a million items, each of the wrong type
        text = json.dumps(base)
    else:
        text = json.dumps(base)[:-1] + ', "process": {"args": ["sh"], "env": [' + ",".join(['7'] * 1000000) + "]}}"
    (bundle / "config.json").write_text(text)
    msg = fails_closed(hardrun_bin, bundle, *recording_runtime, tmp_path)
    assert "larger than" in msg or "duplicate key" in msg or "must" in msg, msg
