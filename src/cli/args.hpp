// runc's command line, read the way runc 1.1 reads it (urfave/cli v1 over Go's flag package):
// global flags up to the command word, then the command's flags and positional arguments.
// hardrun's own options (--hardrun-policy, --hardrun-runtime) are taken out of the global
// flags; every other argument is handed to the real runtime unchanged and in order.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hardrun::cli {

struct Invocation {
    std::vector<std::string> runtime_args;  // argv[1..] minus hardrun's own options

    std::optional<std::string> policy;   // --hardrun-policy FILE|NAME
    std::optional<std::string> runtime;  // --hardrun-runtime PATH

    std::string root;                     // runc --root ("" for runc's default)
    std::optional<std::string> log_path;  // runc --log
    std::string log_format = "text";      // runc --log-format
    bool version = false;                 // runc --version / -v before the command
    bool help = false;                    // runc --help / -h before the command

    std::string command;        // "" when argv names none
    size_t command_index = 0;   // index of the command word in runtime_args
};

// Global phase only: cheap, never looks past the command word. Throws hardrun::Error for a
// malformed or unknown global flag (runc would refuse it too); `inv` then holds what was read
// up to that point (so the error can still go to the caller's --log).
void parse(const std::vector<std::string>& args, Invocation& inv);

// A command's own flags and positional arguments.
struct CommandLine {
    std::map<std::string, std::vector<std::string>> flags;  // canonical long name -> values in order
    std::vector<std::string> positional;

    // Last value of a flag (runc's scalar semantics), if given.
    std::optional<std::string> last(const std::string& name) const;
    const std::vector<std::string>& all(const std::string& name) const;
    bool operator==(const CommandLine&) const = default;
};

// Parse the arguments after the command word for the commands hardrun vets (create, run,
// restore, exec, update). urfave/cli 1.22.1 (upstream runc 1.1 builds) and 1.22.9 (Debian's
// runc) reorder arguments differently; when the two readings disagree the command line is
// refused as ambiguous, so the runtime can never act on a reading hardrun did not check.
CommandLine parse_command(const Invocation& inv);

}  // namespace hardrun::cli
