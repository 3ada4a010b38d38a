// What hardrun does for each runc command. Commands that neither create a container nor
// change one are handed to the real runtime with execv, untouched.
#pragma once

#include "cli/args.hpp"
#include "harden/pipeline.hpp"
#include "harden/report.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "util/file.hpp"

#include <optional>
#include <string>

namespace hardrun::commands {

// Runs the invocation; returns an exit status only for commands hardrun answers itself
// (--version), otherwise ends in execv. Throws hardrun::Error.
int dispatch(const cli::Invocation& inv);

// create, run, restore: harden <bundle>/config.json, then hand over (create.cpp). Returns the
// runtime's exit status when hardrun made mounts for the container (it then runs the runtime
// as a child, to clean up after a failure); otherwise ends in execv.
int create(const cli::Invocation& inv, const cli::CommandLine& cmd);

// delete: the runtime's delete, then hardrun's state of the container removed (state.cpp).
int delete_container(const cli::Invocation& inv, const cli::CommandLine& cmd);

// hardrun gc: remove the state of containers the runtime no longer knows (state.cpp).
int gc(const cli::Invocation& inv);

// How the controls find a running container's init pid (a CRI pod's sandbox): `runc [--root
// ROOT] state ID`, asked once per id (create.cpp).
harden::ContainerPid runtime_container_pid(const std::string& runtime_path, const std::string& root);

// exec: vet --cap and the --process file, then hand over (exec.cpp).
[[noreturn]] void exec(const cli::Invocation& inv, const cli::CommandLine& cmd);

// What a vetted command hands to conclude().
struct Vetted {
    log::AuditEvent event;                  // command, container id, file (outcome is set by conclude)
    const DirFile* file = nullptr;          // written back with `document` when the report says so
    const json::Value* document = nullptr;
    bool audit_unchanged = true;            // exec: false, it runs for every health check
    // `update -r -`: what was read from standard input; conclude() hands the (vetted) document
    // to the runtime on a new standard input.
    std::optional<std::string> stdin_text;
};

// Refuse (throws), or write back and audit (conclude.cpp).
void settle(const policy::Policy& policy, const harden::Report& report, const Vetted& vetted);

// settle(), then hand over to the runtime with execv (conclude.cpp).
[[noreturn]] void conclude(const cli::Invocation& inv, const policy::Policy& policy, const std::string& runtime_path,
                           const harden::Report& report, const Vetted& vetted);

// update: vet -r FILE, -r - and the limit flags, then hand over (update.cpp).
[[noreturn]] void update(const cli::Invocation& inv, const cli::CommandLine& cmd);

// hardrun check: a dry run over a config (check.cpp).
int check(const cli::Invocation& inv);

// hardrun profile check FILE | diff A B: seccomp profiles (profile.cpp).
int profile(const cli::Invocation& inv);

// hardrun report: live state of a runc root's containers against their policy (report.cpp).
int report(const cli::Invocation& inv);

// Help (help.cpp): the usage of one of hardrun's own commands (nullptr for runc's), whether its
// arguments ask for help, and the help text (`hardrun --help`, or one own command's usage).
const char* usage_of(const std::string& command);
bool asks_for_help(const std::vector<std::string>& args);
int print_help(const std::string& command);

// `hardrun doctor [--json]`: what this host lets hardrun enforce (doctor.cpp).
int doctor(const cli::Invocation& inv);

// hardrun setup docker: register hardrun in daemon.json (setup.cpp).
int setup(const cli::Invocation& inv);

// --version: hardrun's version, then the real runtime's (version.cpp).
int version(const cli::Invocation& inv);

}  // namespace hardrun::commands
