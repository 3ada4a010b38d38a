// `hardrun setup docker [--daemon-json FILE] [--name NAME] [--path PATH] [--profile NAME]
//  [--default] [--undo]`: registers hardrun in Docker's daemon.json (every other key kept, in
// its order, numbers as written), optionally as the default runtime; --undo removes exactly
// what it added. The file is replaced atomically. Restarting dockerd is left to the operator.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>

namespace hardrun::commands {
namespace {

struct SetupArgs {
    std::string daemon_json = "/etc/docker/daemon.json";
    std::string name = "hardrun";
    std::string path;
    std::string profile;
    bool make_default = false;
    bool undo = false;
};

SetupArgs parse_setup_args(const std::vector<std::string>& args)
{
    cli::OwnOptions o = cli::parse_own_options(
        std::vector<std::string>(args.begin() + 1, args.end()), {"daemon-json", "name", "path", "profile"},
        {"default", "undo"},
        usage_of("setup"));
    if (!o.positional.empty())
        throw Error("setup docker: unexpected argument " + o.positional.front());
    SetupArgs a;
    a.daemon_json = o.value("daemon-json", a.daemon_json);
    a.name = o.value("name", a.name);
    a.path = o.value("path");
    a.profile = o.value("profile");
    a.make_default = o.has("default");
    a.undo = o.has("undo");
    if (!policy::valid_profile_name(a.name))
        throw Error("setup docker: --name must be letters, digits, '-' or '_'");
    if (!a.profile.empty() && !policy::valid_profile_name(a.profile))
        throw Error("setup docker: invalid --profile name \"" + a.profile + "\"");
    if (a.path.empty()) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0)
            throw Error("setup docker: cannot tell where hardrun is installed; give --path");
        a.path.assign(buf, size_t(n));
    }
    if (a.path[0] != '/')
        throw Error("setup docker: --path must be absolute (dockerd's PATH is not the shell's)");
    return a;
}

}  // namespace

int setup(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    if (args.empty() || args[0] != "docker")
        throw Error("usage: hardrun setup docker [--daemon-json FILE] [--name NAME] [--path PATH] [--profile NAME] "
                    "[--default] [--undo]");
    SetupArgs a = parse_setup_args(args);

    json::Value config = json::Value::object();
    if (::access(a.daemon_json.c_str(), F_OK) == 0) {
        DirFile file = read_dir_file(a.daemon_json, 4u << 20);
        std::string text = file.text;
        bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
        try {
            config = blank ? json::Value::object() : json::parse(text);
        } catch (const Error& e) {
            throw Error(a.daemon_json + ": " + std::string(e.what()) + "; fix it first, nothing was changed");
        }
        if (!config.is_object())
            throw Error(a.daemon_json + " must hold a JSON object; nothing was changed");
    }
    std::string before = json::serialize(config);

    json::Value* runtimes = config.find("runtimes");
    if (runtimes && !runtimes->is_object())
        throw Error(a.daemon_json + ": \"runtimes\" is not an object; nothing was changed");
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
        std::printf("%s: already as asked, nothing changed\n", a.daemon_json.c_str());
        return 0;
    }
    std::string text = json::serialize_pretty(config);
    write_file_atomically(a.daemon_json, text.back() == '\n' ? text : text + "\n", 0644);
    std::printf("%s: %s runtime \"%s\"%s; restart dockerd to apply\n", a.daemon_json.c_str(),
                a.undo ? "removed" : "registered", a.name.c_str(),
                !a.undo && a.make_default ? " as the default runtime" : "");
    return 0;
}

}  // namespace hardrun::commands
