// `hardrun setup docker|podman [--daemon-json FILE | --conf FILE] [--name NAME] [--path PATH]
//  [--profile NAME] [--default] [--undo]`: registers hardrun as a named runtime, optionally the
// default one; --undo removes exactly what it added. Files are replaced atomically.
//  docker: daemon.json's "runtimes" (every other key kept, in its order, numbers as written).
//          Restarting dockerd is left to the operator.
//  podman: containers.conf's [engine.runtimes], in a drop-in of hardrun's own
//          (/etc/containers/containers.conf.d/hardrun.conf: podman 4.0+ reads it after
//          containers.conf, so the administrator's file is never touched); any other
//          containers.conf given with --conf keeps every other line as it was, comments included.
//          podman reads it at each command: nothing to restart.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/toml_lines.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

namespace hardrun::commands {
namespace {

struct SetupArgs {
    std::string engine;  // "docker", "podman"
    std::string file;    // daemon.json, or the containers.conf (drop-in) to edit
    std::string name = "hardrun";
    std::string path;
    std::string profile;
    bool make_default = false;
    bool undo = false;
};

SetupArgs parse_setup_args(const std::vector<std::string>& args)
{
    SetupArgs a;
    a.engine = args.front();
    const bool docker = a.engine == "docker";
    const std::string file_option = docker ? "daemon-json" : "conf";
    cli::OwnOptions o = cli::parse_own_options(std::vector<std::string>(args.begin() + 1, args.end()),
                                               {file_option, "name", "path", "profile"}, {"default", "undo"},
                                               usage_of("setup"));
    const std::string what = "setup " + a.engine;
    if (!o.positional.empty())
        throw Error(what + ": unexpected argument " + o.positional.front());
    a.file = o.value(file_option, docker ? "/etc/docker/daemon.json" : "/etc/containers/containers.conf.d/hardrun.conf");
    a.name = o.value("name", a.name);
    a.path = o.value("path");
    a.profile = o.value("profile");
    a.make_default = o.has("default");
    a.undo = o.has("undo");
    if (!policy::valid_profile_name(a.name))
        throw Error(what + ": --name must be letters, digits, '-' or '_'");
    if (!a.profile.empty() && !policy::valid_profile_name(a.profile))
        throw Error(what + ": invalid --profile name \"" + a.profile + "\"");
    if (a.path.empty()) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0)
            throw Error(what + ": cannot tell where hardrun is installed; give --path");
        a.path.assign(buf, size_t(n));
    }
    if (a.path[0] != '/')
        throw Error(what + ": --path must be absolute (the engine's PATH is not the shell's)");
    return a;
}

int setup_docker(const SetupArgs& a)
{
    json::Value config = json::Value::object();
    if (::access(a.file.c_str(), F_OK) == 0) {
        DirFile file = read_dir_file(a.file, 4u << 20);
        std::string text = file.text;
        bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
        try {
            config = blank ? json::Value::object() : json::parse(text);
        } catch (const Error& e) {
            throw Error(a.file + ": " + std::string(e.what()) + "; fix it first, nothing was changed");
        }
        if (!config.is_object())
            throw Error(a.file + " must hold a JSON object; nothing was changed");
    }
    std::string before = json::serialize(config);

    json::Value* runtimes = config.find("runtimes");
    if (runtimes && !runtimes->is_object())
        throw Error(a.file + ": \"runtimes\" is not an object; nothing was changed");
    if (a.undo) {
        if (runtimes) {
            runtimes->erase(a.name);
            if (runtimes->members().empty())
                config.erase("runtimes");
        }
        if (const json::Value* d = config.find("default-runtime"); d && d->is_string() && d->as_string() == a.name)
            config.erase("default-runtime");
    } else {
        if (!runtimes)
            runtimes = &config.set("runtimes", json::Value::object());
        json::Value entry = json::Value::object();
        entry.set("path", json::Value::string(a.path));
        if (!a.profile.empty())
            entry.set("runtimeArgs", json::Value::array({json::Value::string("--hardrun-policy=" + a.profile)}));
        runtimes->set(a.name, std::move(entry));
        if (a.make_default)
            config.set("default-runtime", json::Value::string(a.name));
    }

    if (json::serialize(config) == before) {
        std::printf("%s: already as asked, nothing changed\n", a.file.c_str());
        return 0;
    }
    std::string text = json::serialize_pretty(config);
    write_file_atomically(a.file, text.back() == '\n' ? text : text + "\n", 0644);
    std::printf("%s: %s runtime \"%s\"%s; restart dockerd to apply\n", a.file.c_str(),
                a.undo ? "removed" : "registered", a.name.c_str(),
                !a.undo && a.make_default ? " as the default runtime" : "");
    return 0;
}

constexpr const char* podman_dropin_header =
    "# podman's hardrun runtimes, written by `hardrun setup podman` (see hardrun(8)); podman reads\n"
    "# this drop-in after containers.conf. `hardrun setup podman --undo` removes what it added.\n";

int setup_podman(const SetupArgs& a)
{
    // podman hands a runtime no arguments of its own: a profile is picked by the program's name,
    // hardrun-PROFILE beside hardrun (meson installs hardrun-strict, -compat, -audit).
    std::string program = a.path;
    if (!a.profile.empty()) {
        program = a.path.substr(0, a.path.rfind('/') + 1) + "hardrun-" + a.profile;
        struct stat st {};
        if (!a.undo && stat(program.c_str(), &st) != 0)
            throw Error("setup podman: podman passes a runtime no arguments, so --profile " + a.profile +
                        " needs the program " + program + " (ln -s hardrun " + program + "); nothing was changed");
    }
    std::string before;
    if (::access(a.file.c_str(), F_OK) == 0)
        before = read_dir_file(a.file, 4u << 20).text;
    std::string text;
    try {
        TomlLines conf(before.empty() ? std::string(podman_dropin_header) : before);
        if (a.undo) {
            conf.erase("engine.runtimes", a.name);
            if (conf.value("engine", "runtime") == toml_string(a.name))
                conf.erase("engine", "runtime");
        } else {
            conf.set("engine.runtimes", a.name, "[" + toml_string(program) + "]");
            if (a.make_default)
                conf.set("engine", "runtime", toml_string(a.name));
        }
        text = conf.text();
        // A drop-in left with nothing but hardrun's own comment goes.
        if (a.undo && !conf.has_keys() && text == podman_dropin_header) {
            if (::unlink(a.file.c_str()) != 0)
                throw system_error("cannot remove " + a.file, errno);
            std::printf("%s: removed runtime \"%s\" (the file held nothing else, removed)\n", a.file.c_str(),
                        a.name.c_str());
            return 0;
        }
    } catch (const Error& e) {
        throw Error(a.file + ": " + std::string(e.what()) + "; nothing was changed");
    }
    if (text == before || (before.empty() && a.undo)) {
        std::printf("%s: already as asked, nothing changed\n", a.file.c_str());
        return 0;
    }
    std::string dir = a.file.substr(0, a.file.rfind('/'));
    if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        throw system_error("cannot create " + dir + " (is podman installed?)", errno);
    write_file_atomically(a.file, text, 0644);
    std::printf("%s: %s runtime \"%s\"%s (podman --runtime %s)\n", a.file.c_str(), a.undo ? "removed" : "registered",
                a.name.c_str(), !a.undo && a.make_default ? " as the default runtime" : "", a.name.c_str());
    return 0;
}

}  // namespace

int setup(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    if (args.empty() || (args[0] != "docker" && args[0] != "podman"))
        throw Error(std::string("usage: ") + usage_of("setup"));
    SetupArgs a = parse_setup_args(args);
    return a.engine == "docker" ? setup_docker(a) : setup_podman(a);
}

}  // namespace hardrun::commands
