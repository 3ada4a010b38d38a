// The argv shapes real callers send (see tests/fixtures/argv/ for the captured ones), and
// runc's grammar corner cases hardrun must read exactly as runc does.
#include "cli/args.hpp"
#include "cli/units.hpp"
#include "json/value.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>

#include <sstream>

using hardrun::Error;
using namespace hardrun::cli;

namespace {

using Args = std::vector<std::string>;

Invocation global(const Args& args)
{
    Invocation inv;
    parse(args, inv);
    return inv;
}

struct Shape {
    const char* caller;
    Args argv;
    std::string command;
    std::string bundle;   // for create/run/restore
    std::string id;       // first positional
    std::string process;  // exec --process
    Args caps;            // exec --cap
};

const std::vector<Shape>& shapes()
{
    static const std::vector<Shape> table = {
        {"containerd shim (go-runc) create",
         {"--root", "/run/containerd/runc/default", "--log", "/run/b/log.json", "--log-format", "json", "create",
          "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", "ctr1"},
         "create", "/run/b", "ctr1", "", {}},
        {"containerd shim, systemd cgroup and console",
         {"--root", "/run/containerd/runc/k8s.io", "--log", "/run/b/log.json", "--log-format", "json",
          "--systemd-cgroup", "create", "--bundle", "/run/b", "--pid-file", "/run/b/init.pid", "--console-socket",
          "/tmp/pty.sock", "abc"},
         "create", "/run/b", "abc", "", {}},
        {"Docker 20.10 via containerd, moby namespace",
         {"--root", "/var/run/docker/runtime-runc/moby", "--log",
          "/run/containerd/io.containerd.runtime.v2.task/moby/ID/log.json", "--log-format", "json", "create",
          "--bundle", "/run/containerd/io.containerd.runtime.v2.task/moby/ID", "--pid-file",
          "/run/containerd/io.containerd.runtime.v2.task/moby/ID/init.pid", "ID"},
         "create", "/run/containerd/io.containerd.runtime.v2.task/moby/ID", "ID", "", {}},
        {"go-runc exec",
         {"--root", "/run/containerd/runc/default", "--log", "/run/b/log.json", "--log-format", "json", "exec",
          "--process", "/tmp/runc-process1234", "--detach", "--pid-file", "/run/b/exec1.pid", "ctr1"},
         "exec", "", "ctr1", "/tmp/runc-process1234", {}},
        {"go-runc exec with console",
         {"--root", "/r", "exec", "--process", "/tmp/p.json", "--console-socket", "/tmp/s", "--detach",
          "--pid-file", "/r/p.pid", "ctr1"},
         "exec", "", "ctr1", "/tmp/p.json", {}},
        {"go-runc restore, single-dash -no-subreaper",
         {"--root", "/r", "--log", "/b/log.json", "--log-format", "json", "restore", "--image-path", "/img",
          "--work-path", "/work", "--detach", "--pid-file", "/b/init.pid", "-no-subreaper", "--bundle", "/b", "c1"},
         "restore", "/b", "c1", "", {}},
        {"go-runc start/kill/delete/state pass through",
         {"--root", "/r", "--log", "/b/log.json", "--log-format", "json", "kill", "c1", "9"}, "kill", "", "", "", {}},
        {"go-runc delete --force", {"--root", "/r", "delete", "--force", "c1"}, "delete", "", "", "", {}},
        {"podman/conmon create (= forms)",
         {"--systemd-cgroup", "--log-format=json", "--log", "/var/lib/c/oci-log", "create", "--bundle", "/var/lib/c",
          "--pid-file", "/run/c/pidfile", "--no-pivot", "--console-socket", "/run/c/attach", "cid"},
         "create", "/var/lib/c", "cid", "", {}},
        {"podman exec",
         {"--log-format=json", "--log", "/x/exec.log", "exec", "--pid-file", "/x/pid", "--process", "/x/exec-process-1",
          "--detach", "cid"},
         "exec", "", "cid", "/x/exec-process-1", {}},
        {"runc run by hand, short bundle flag", {"run", "-b", "/tmp/bundle", "-d", "box"}, "run", "/tmp/bundle", "box", "", {}},
        {"bundle as -bundle=", {"create", "-bundle=/tmp/b", "x"}, "create", "/tmp/b", "x", "", {}},
        {"bundle after the id (urfave reorders)", {"create", "x", "--bundle", "/tmp/b"}, "create", "/tmp/b", "x", "", {}},
        {"no bundle: the cwd", {"create", "x"}, "create", "", "x", "", {}},
        {"exec --cap flags, both forms", {"exec", "--cap", "CAP_SYS_ADMIN", "-c=CAP_NET_RAW", "x", "sh"}, "exec", "",
         "x", "", {"CAP_SYS_ADMIN", "CAP_NET_RAW"}},
        {"exec: -c after the id belongs to the command", {"exec", "x", "sh", "-c", "echo"}, "exec", "", "x", "", {}},
        {"exec: -- before the id is consumed", {"exec", "-e", "A=1", "--", "x", "env"}, "exec", "", "x", "", {}},
        {"features", {"features"}, "features", "", "", "", {}},
        {"double-dash global then command", {"--", "state", "x"}, "state", "", "", "", {}},
    };
    return table;
}

}  // namespace

Test(cli, caller_argv_shapes)
{
    for (const Shape& s : shapes()) {
        Invocation inv = global(s.argv);
        cr_assert_eq(inv.command, s.command, "%s: command %s", s.caller, inv.command.c_str());
        cr_assert(inv.runtime_args == s.argv, "%s: runtime args changed", s.caller);
        cr_assert_eq(inv.runtime_args[inv.command_index], s.command, "%s", s.caller);
        if (s.command != "create" && s.command != "run" && s.command != "restore" && s.command != "exec")
            continue;
        CommandLine cmd = parse_command(inv);
        cr_assert_eq(cmd.last("bundle").value_or(""), s.bundle, "%s: bundle", s.caller);
        cr_assert(!cmd.positional.empty(), "%s: no id", s.caller);
        cr_assert_eq(cmd.positional.front(), s.id, "%s: id %s", s.caller, cmd.positional.front().c_str());
        cr_assert_eq(cmd.last("process").value_or(""), s.process, "%s: process", s.caller);
        cr_assert(cmd.all("cap") == s.caps, "%s: caps", s.caller);
    }
}

Test(cli, own_options_are_removed_in_every_form)
{
    Invocation inv = global({"--hardrun-policy", "strict", "--root", "/r", "-hardrun-runtime=/usr/sbin/runc", "--log",
                             "/l", "create", "--bundle", "/b", "c"});
    cr_assert_eq(*inv.policy, "strict");
    cr_assert_eq(*inv.runtime, "/usr/sbin/runc");
    Args expected = {"--root", "/r", "--log", "/l", "create", "--bundle", "/b", "c"};
    cr_assert(inv.runtime_args == expected);
    cr_assert_eq(inv.command_index, 4u);
    cr_assert_eq(*inv.log_path, "/l");

    cr_assert_eq(inv.root, "/r");  // read for `hardrun report`, and still passed on

    Invocation eq = global({"--hardrun-policy=/etc/p.json", "state", "c"});
    cr_assert(eq.root.empty());
    cr_assert_eq(global({"-root=/x", "report"}).root, "/x");
    cr_assert_eq(*eq.policy, "/etc/p.json");
    cr_assert(eq.runtime_args == Args({"state", "c"}));
}

Test(cli, own_options_after_the_command_are_not_ours)
{
    // After the command word the argument belongs to runc (which will reject it): never eaten.
    Invocation inv = global({"state", "--hardrun-policy", "x"});
    cr_assert(!inv.policy.has_value());
    cr_assert_eq(inv.runtime_args.size(), 3u);
}

Test(cli, global_flag_errors)
{
    cr_assert_throw(global({"--bogus", "state", "x"}), Error);
    cr_assert_throw(global({"--hardrun-policy"}), Error);
    cr_assert_throw(global({"--hardrun-policy="}), Error);
    cr_assert_throw(global({"--root"}), Error);
    cr_assert_throw(global({"---root", "x", "state"}), Error);
    cr_assert_throw(global({"--debug=maybe", "state", "x"}), Error);
    cr_assert_no_throw(global({"--debug=false", "state", "x"}), Error);
}

Test(cli, version_and_log_format)
{
    cr_assert(global({"--version"}).version);
    cr_assert(global({"-v"}).version);
    cr_assert(!global({"-v=false", "state", "x"}).version);
    Invocation inv = global({"--log-format=json", "--log=/x/log.json", "delete", "c"});
    cr_assert_eq(inv.log_format, "json");
    cr_assert_eq(*inv.log_path, "/x/log.json");
    cr_assert(global({}).command.empty());
}

Test(cli, root_is_kept_for_state_lookups)
{
    // containerd's runc shim: the runtime's state root, read to find a pod's sandbox.
    cr_assert_eq(global({"--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "create", "c"}).root,
                 "/run/containerd/runc/k8s.io");
    cr_assert_eq(global({"-root=/r", "state", "x"}).root, "/r");
    cr_assert(global({"state", "x"}).root.empty());
}

Test(cli, value_flag_takes_next_arg_even_with_dash)
{
    // runc reads pid-file="-b" and then two positionals, which create refuses.
    cr_assert_throw(parse_command(global({"create", "--pid-file", "-b", "/b", "c"})), Error);
    CommandLine cmd = parse_command(global({"exec", "--pid-file", "-p", "c", "sh"}));
    cr_assert_eq(*cmd.last("pid-file"), "-p");
    cr_assert(!cmd.last("process"));
    cr_assert_eq(cmd.positional.front(), "c");
}

Test(cli, command_flag_errors)
{
    cr_assert_throw(parse_command(global({"create", "--bogus", "c"})), Error);
    cr_assert_throw(parse_command(global({"create", "c", "--bundle"})), Error);
    cr_assert_throw(parse_command(global({"exec", "--cap"})), Error);
    cr_assert_throw(parse_command(global({"run", "-d=maybe", "c"})), Error);
}

Test(cli, readings_that_runc_builds_disagree_on_are_refused)
{
    // urfave/cli 1.22.9 reads resources="-", id "t1"; 1.22.1 reads resources="t1", id "-".
    cr_assert_throw(parse_command(global({"update", "t1", "-r", "-"})), Error);
    CommandLine ok = parse_command(global({"update", "-r", "-", "t1"}));
    cr_assert_eq(*ok.last("resources"), "-");
    // An unknown flag after the id: 1.22.1 fails on it, 1.22.9 takes it as a positional.
    cr_assert_throw(parse_command(global({"create", "c", "--bogus"})), Error);
}

Test(cli, repeated_scalar_flag_last_wins)
{
    CommandLine cmd = parse_command(global({"create", "-b", "/one", "-b", "/two", "c"}));
    cr_assert_eq(*cmd.last("bundle"), "/two");
}

Test(cli, help_flag_is_read)
{
    CommandLine cmd = parse_command(global({"create", "--help"}));
    cr_assert(cmd.last("help").has_value());
}

// Every argv line captured from Docker, containerd and podman (tests/fixtures/argv/*.txt, one
// JSON array per line, argv[0] first) must be read without error, and the commands hardrun
// vets must yield a container id (and a bundle or process file where the caller sent one).
Test(cli, every_captured_argv_line_parses)
{
    std::vector<std::string> files;
    std::string dir = test::fixtures_dir() + "/argv";
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 4 && name.substr(name.size() - 4) == ".txt")
                files.push_back(dir + "/" + name);
        }
        closedir(d);
    }
    cr_assert(files.size() >= 3, "no captured argv in %s", dir.c_str());
    size_t lines = 0, vetted = 0;
    for (const auto& file : files) {
        std::istringstream in(test::read_file(file));
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty())
                continue;
            hardrun::json::Value v = hardrun::json::parse(line);
            Args args;
            for (size_t i = 1; i < v.items().size(); ++i) {
                const std::string& a = v.items()[i].as_string();
                if (a.rfind("--capture-tag=", 0) != 0)  // the capture script's own marker
                    args.push_back(a);
            }
            ++lines;
            Invocation inv = global(args);
            cr_assert(inv.runtime_args == args, "%s: %s", file.c_str(), line.c_str());
            if (inv.command == "update") {
                // `--resources -`, `--resources=-` (Docker 28 through containerd 2.1) and
                // `--resources=FILE` (podman) all name what hardrun vets.
                CommandLine cmd = parse_command(inv);
                cr_assert(cmd.last("resources").has_value(), "%s: %s", file.c_str(), line.c_str());
                cr_assert_eq(cmd.positional.front(), args.back(), "%s: id in %s", file.c_str(), line.c_str());
                ++vetted;
            }
            if (inv.command == "create" || inv.command == "run" || inv.command == "restore" ||
                inv.command == "exec") {
                CommandLine cmd = parse_command(inv);
                cr_assert_eq(cmd.positional.front(), args.back(), "%s: id in %s", file.c_str(), line.c_str());
                if (inv.command == "exec")
                    cr_assert(cmd.last("process").has_value(), "%s", line.c_str());
                else
                    cr_assert(cmd.last("bundle").has_value(), "%s", line.c_str());
                ++vetted;
            }
        }
    }
    cr_assert(lines >= 20 && vetted >= 5, "only %zu lines, %zu vetted", lines, vetted);
}

Test(units, go_int_like_strconv_parse_int_base_0)
{
    struct {
        const char* text;
        std::optional<int64_t> value;
    } cases[] = {
        {"0", 0},          {"42", 42},        {"-1", -1},       {"+7", 7},     {"0x40", 64},   {"0X40", 64},
        {"0o17", 15},      {"017", 15},       {"0b101", 5},     {"", {}},      {"x", {}},      {"0x", {}},
        {"12a", {}},       {"1_000", {}},     {"9223372036854775807", INT64_MAX},
        {"9223372036854775808", {}},          {"-9223372036854775808", INT64_MIN},            {"08", {}},
    };
    for (const auto& c : cases)
        cr_assert(hardrun::cli::parse_go_int(c.text) == c.value, "%s", c.text);
}

Test(units, ram_in_bytes_like_go_units)
{
    struct {
        const char* text;
        std::optional<int64_t> value;
    } cases[] = {
        {"1024", 1024},           {"64m", 64 << 20},      {"64M", 64 << 20},           {"1g", int64_t(1) << 30},
        {"1.5g", int64_t(3) << 29}, {"512 KiB", 512 << 10}, {"2kb", 2048},             {"3b", 3},
        {"", {}},                 {"-1", {}},             {"1x", {}},                  {"m", {}},
        {"1.", {}},               {"64mm", {}},           {"100000000p", {}},
    };
    for (const auto& c : cases)
        cr_assert(hardrun::cli::parse_ram_in_bytes(c.text) == c.value, "%s", c.text);
}
