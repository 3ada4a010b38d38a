"""`hardrun --help` reads like a runtime's help: hardrun's own commands and options first, then
where runc's are; each own command answers --help with its usage (stdout, exit 0); a runc
command's --help still reaches runc unchanged."""
import pytest

from bundles import run

OWN = ["check", "report", "doctor", "setup", "profile", "gc"]


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["help"], ["--help=true"]])
def test_top_level_help_lists_hardruns_commands_then_points_to_runc(hardrun_bin, argv):
    r = run([hardrun_bin, *argv])
    assert r.returncode == 0 and r.stderr == "", r.stderr
    for name in OWN:
        assert "\n  %-8s " % name in r.stdout, (name, r.stdout)
    assert "--hardrun-policy" in r.stdout and "--hardrun-runtime" in r.stdout
    assert "runc --help" in r.stdout


@pytest.mark.parametrize("argv", [["check", "--help"], ["report", "-h"], ["doctor", "--help"], ["gc", "--help"],
                                  ["setup", "docker", "--help"], ["profile", "--help"], ["help", "check"],
                                  ["--help", "report"]])
def test_each_own_command_answers_help_with_its_usage(hardrun_bin, argv):
    r = run([hardrun_bin, *argv])
    name = argv[1] if argv[0] in ("help", "--help") else argv[0]
    assert r.returncode == 0 and r.stderr == "", (argv, r.stderr)
    assert r.stdout.startswith("usage: hardrun " + name), (argv, r.stdout)


def test_a_runc_commands_help_is_runcs(hardrun_bin):
    for argv in (["create", "--help"], ["help", "create"], ["state", "--help"]):
        ours = run([hardrun_bin, *argv])
        theirs = run(["runc", *argv])
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), argv
