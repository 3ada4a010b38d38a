#include "cli/args.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <string_view>

namespace hardrun::cli {
namespace {

struct FlagSpec {
    std::string_view name;
    std::string_view alias;  // short form, or ""
    bool is_bool;
};

struct CommandSpec {
    std::string_view name;
    bool reorder;  // urfave reorders arguments unless the command sets SkipArgReorder
    std::vector<FlagSpec> flags;
};

// runc 1.1 (plus the flags runc 1.2 added that callers already send, e.g. --pidfd-socket).
// Only the commands hardrun vets are listed: the others are handed to the runtime unread.
const std::vector<CommandSpec>& commands()
{
    static const std::vector<CommandSpec> table = {
        {"create", true,
         {{"bundle", "b", false}, {"console-socket", "", false}, {"pidfd-socket", "", false},
          {"pid-file", "", false}, {"no-pivot", "", true}, {"no-new-keyring", "", true},
          {"preserve-fds", "", false}}},
        {"run", true,
         {{"bundle", "b", false}, {"console-socket", "", false}, {"pidfd-socket", "", false},
          {"detach", "d", true}, {"keep", "", true}, {"pid-file", "", false}, {"no-subreaper", "", true},
          {"no-pivot", "", true}, {"no-new-keyring", "", true}, {"preserve-fds", "", false}}},
        {"restore", true,
         {{"console-socket", "", false}, {"image-path", "", false}, {"work-path", "", false},
          {"tcp-established", "", true}, {"ext-unix-sk", "", true}, {"shell-job", "", true},
          {"file-locks", "", true}, {"manage-cgroups-mode", "", false}, {"bundle", "b", false},
          {"detach", "d", true}, {"pid-file", "", false}, {"no-subreaper", "", true}, {"no-pivot", "", true},
          {"empty-ns", "", false}, {"auto-dedup", "", true}, {"lazy-pages", "", true},
          {"lsm-profile", "", false}, {"lsm-mount-context", "", false}}},
        {"exec", false,
         {{"console-socket", "", false}, {"pidfd-socket", "", false}, {"cwd", "", false}, {"env", "e", false},
          {"tty", "t", true}, {"user", "u", false}, {"additional-gids", "g", false}, {"process", "p", false},
          {"detach", "d", true}, {"pid-file", "", false}, {"process-label", "", false},
          {"apparmor", "", false}, {"no-new-privs", "", true}, {"cap", "c", false},
          {"preserve-fds", "", false}, {"cgroup", "", false}, {"ignore-paused", "", true}}},
        {"delete", true, {{"force", "f", true}}},
        {"update", true,
         {{"resources", "r", false}, {"blkio-weight", "", false}, {"cpu-period", "", false},
          {"cpu-quota", "", false}, {"cpu-share", "", false}, {"cpu-rt-period", "", false},
          {"cpu-rt-runtime", "", false}, {"cpuset-cpus", "", false}, {"cpuset-mems", "", false},
          {"kernel-memory", "", false}, {"kernel-memory-tcp", "", false}, {"memory", "", false},
          {"memory-reservation", "", false}, {"memory-swap", "", false}, {"pids-limit", "", false},
          {"l3-cache-schema", "", false}, {"mem-bw-schema", "", false}}},
    };
    return table;
}

const FlagSpec help_flag = {"help", "h", true};

bool valid_go_bool(std::string_view v)
{
    for (std::string_view ok : {"1", "0", "t", "f", "T", "F", "true", "false", "TRUE", "FALSE", "True", "False"})
        if (v == ok)
            return true;
    return false;
}

bool go_bool_value(std::string_view v) { return v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True"; }

// Go's flag syntax for one argument: "-name", "--name", "-name=value". Empty name when `arg`
// is not a flag ("-" alone and anything not starting with '-'); "--" is reported as itself.
struct FlagToken {
    bool is_flag = false;
    std::string name;
    std::optional<std::string> value;
};

FlagToken tokenize(const std::string& arg)
{
    FlagToken t;
    if (arg.size() < 2 || arg[0] != '-')
        return t;
    size_t dashes = arg[1] == '-' ? 2 : 1;
    std::string body = arg.substr(dashes);
    if (dashes == 2 && body.empty()) {
        t.name = "--";
        return t;
    }
    if (body.empty() || body[0] == '-' || body[0] == '=')
        throw Error("bad flag syntax: " + arg);
    t.is_flag = true;
    auto eq = body.find('=');
    if (eq == std::string::npos) {
        t.name = body;
    } else {
        t.name = body.substr(0, eq);
        t.value = body.substr(eq + 1);
    }
    return t;
}

const FlagSpec* lookup(const std::vector<FlagSpec>& flags, std::string_view name)
{
    if (name == help_flag.name || name == help_flag.alias)
        return &help_flag;
    for (const auto& f : flags)
        if (f.name == name || (!f.alias.empty() && f.alias == name))
            return &f;
    return nullptr;
}

// urfave/cli's argIsFlag: a dash argument naming one of the command's flags.
bool arg_is_flag(const std::vector<FlagSpec>& flags, const std::string& arg)
{
    if (arg == "-" || arg == "--" || arg.empty() || arg[0] != '-')
        return false;
    std::string_view name(arg);
    name.remove_prefix(name.size() > 1 && name[1] == '-' ? 2 : 1);
    name = name.substr(0, name.find('='));
    return lookup(flags, name) != nullptr;
}

// urfave/cli 1.22.9 reorderArgs (Debian's runc 1.1.5).
std::vector<std::string> reorder_v1_22_9(const std::vector<FlagSpec>& flags, const std::vector<std::string>& args)
{
    std::vector<std::string> reordered, remaining;
    bool next_may_be_value = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (next_may_be_value && !arg_is_flag(flags, arg)) {
            next_may_be_value = false;
            reordered.push_back(arg);
        } else if (arg == "--") {
            remaining.insert(remaining.begin(), "--");
            remaining.insert(remaining.end(), args.begin() + long(i) + 1, args.end());
            break;
        } else if (arg_is_flag(flags, arg)) {
            reordered.push_back(arg);
            next_may_be_value = arg.find('=') == std::string::npos;
        } else {
            remaining.push_back(arg);
        }
    }
    reordered.insert(reordered.end(), remaining.begin(), remaining.end());
    return reordered;
}

// urfave/cli 1.22.1 reorderArgs (upstream runc 1.1 release binaries).
std::vector<std::string> reorder_v1_22_1(const std::vector<std::string>& args)
{
    std::vector<std::string> flags, nonflags;
    bool read_value = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            nonflags.insert(nonflags.end(), args.begin() + long(i), args.end());
            break;
        }
        if (read_value && (arg.empty() || arg[0] != '-')) {
            read_value = false;
            flags.push_back(arg);
            continue;
        }
        read_value = false;
        if (arg != "-" && !arg.empty() && arg[0] == '-') {
            flags.push_back(arg);
            read_value = arg.find('=') == std::string::npos;
        } else {
            nonflags.push_back(arg);
        }
    }
    flags.insert(flags.end(), nonflags.begin(), nonflags.end());
    return flags;
}

// Go flag.Parse over a command's arguments.
CommandLine go_flag_parse(const CommandSpec& spec, const std::vector<std::string>& args)
{
    CommandLine out;
    size_t i = 0;
    for (; i < args.size(); ++i) {
        FlagToken t = tokenize(args[i]);
        if (t.name == "--") {
            ++i;
            break;
        }
        if (!t.is_flag)
            break;
        const FlagSpec* f = lookup(spec.flags, t.name);
        if (!f)
            throw Error("runc " + std::string(spec.name) + ": flag provided but not defined: -" + t.name);
        std::string value;
        if (f->is_bool) {
            if (t.value && !valid_go_bool(*t.value))
                throw Error("invalid boolean value \"" + *t.value + "\" for -" + t.name);
            value = !t.value || go_bool_value(*t.value) ? "true" : "false";
        } else if (t.value) {
            value = *t.value;
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            throw Error("runc " + std::string(spec.name) + ": flag needs an argument: -" + t.name);
        }
        out.flags[std::string(f->name)].push_back(value);
    }
    out.positional.assign(args.begin() + long(std::min(i, args.size())), args.end());
    return out;
}

struct OwnOption {
    std::string_view name;
    std::optional<std::string> Invocation::*field;
};

constexpr OwnOption own_options[] = {
    {"hardrun-policy", &Invocation::policy},
    {"hardrun-runtime", &Invocation::runtime},
};

// runc's global flags: name -> takes a value.
constexpr std::pair<std::string_view, bool> global_flags[] = {
    {"debug", false}, {"log", true}, {"log-format", true}, {"root", true}, {"criu", true},
    {"systemd-cgroup", false}, {"rootless", true}, {"help", false}, {"h", false},
    {"version", false}, {"v", false},
};

}  // namespace

std::optional<std::string> CommandLine::last(const std::string& name) const
{
    auto it = flags.find(name);
    if (it == flags.end() || it->second.empty())
        return std::nullopt;
    return it->second.back();
}

const std::vector<std::string>& CommandLine::all(const std::string& name) const
{
    static const std::vector<std::string> none;
    auto it = flags.find(name);
    return it == flags.end() ? none : it->second;
}

void parse(const std::vector<std::string>& args, Invocation& inv)
{
    inv = Invocation{};
    inv.runtime_args.reserve(args.size());
    size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& arg = args[i];
        FlagToken t = tokenize(arg);
        if (t.name == "--") {  // Go consumes it and stops; runc then reads the command word
            inv.runtime_args.push_back(arg);
            ++i;
            break;
        }
        if (!t.is_flag)
            break;

        bool own = false;
        for (const auto& opt : own_options) {
            if (t.name != opt.name)
                continue;
            own = true;
            if (t.value) {
                inv.*opt.field = *t.value;
            } else if (i + 1 < args.size()) {
                inv.*opt.field = args[++i];
            } else {
                throw Error("--" + std::string(opt.name) + " needs a value");
            }
            if ((inv.*opt.field)->empty())
                throw Error("--" + std::string(opt.name) + " needs a non-empty value");
        }
        if (own)
            continue;

        const std::pair<std::string_view, bool>* known = nullptr;
        for (const auto& g : global_flags)
            if (t.name == g.first)
                known = &g;
        if (!known)
            throw Error("unknown global flag " + arg + " (runc would refuse it: flag provided but not defined)");
        inv.runtime_args.push_back(arg);
        std::optional<std::string> value = t.value;
        if (known->second && !value) {
            if (i + 1 >= args.size())
                throw Error("flag needs an argument: " + arg);
            value = args[++i];
            inv.runtime_args.push_back(*value);
        }
        if (!known->second && value && !valid_go_bool(*value))
            throw Error("invalid boolean value \"" + *value + "\" for " + arg);
        if (t.name == "log")
            inv.log_path = value;
        else if (t.name == "root")
            inv.root = *value;
        else if (t.name == "log-format")
            inv.log_format = *value;
        else if ((t.name == "version" || t.name == "v"))
            inv.version = !value || go_bool_value(*value);
        else if (t.name == "help" || t.name == "h")
            inv.help = !value || go_bool_value(*value);
    }
    if (i < args.size()) {
        inv.command = args[i];
        inv.command_index = inv.runtime_args.size();
    }
    inv.runtime_args.insert(inv.runtime_args.end(), args.begin() + long(std::min(i, args.size())), args.end());
}

CommandLine parse_command(const Invocation& inv)
{
    const CommandSpec* spec = nullptr;
    for (const auto& c : commands())
        if (c.name == inv.command)
            spec = &c;
    if (!spec)
        throw Error("internal error: no flag table for command " + inv.command);

    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    CommandLine cmd;
    if (!spec->reorder) {
        cmd = go_flag_parse(*spec, args);
    } else {
        cmd = go_flag_parse(*spec, reorder_v1_22_9(spec->flags, args));
        CommandLine upstream = go_flag_parse(*spec, reorder_v1_22_1(args));
        if (!(cmd == upstream))
            throw Error("ambiguous command line for runc " + inv.command +
                        ": runc builds disagree on how to read it; put flags before the container id");
    }
    if (cmd.last("help"))
        return cmd;
    // runc's checkArgs: exec takes the id and then the command, the others exactly the id.
    bool exact = spec->name != "exec";
    if (cmd.positional.empty() || (exact && cmd.positional.size() != 1))
        throw Error("runc " + inv.command + " requires " + (exact ? "exactly" : "at least") +
                    " 1 argument (the container id), got " + std::to_string(cmd.positional.size()));
    return cmd;
}

}  // namespace hardrun::cli
