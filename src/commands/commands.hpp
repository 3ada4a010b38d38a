// What hardrun does for each runc command. Commands that neither create a container nor
// change one are handed to the real runtime with execv, untouched.
#pragma once

#include "cli/args.hpp"

namespace hardrun::commands {

// Runs the invocation; returns an exit status only for commands hardrun answers itself
// (--version), otherwise ends in execv. Throws hardrun::Error.
int dispatch(const cli::Invocation& inv);

// create, run, restore: harden <bundle>/config.json, then hand over (create.cpp).
[[noreturn]] void create(const cli::Invocation& inv, const cli::CommandLine& cmd);

// exec: vet --cap and the --process file, then hand over (exec.cpp).
[[noreturn]] void exec(const cli::Invocation& inv, const cli::CommandLine& cmd);

// --version: hardrun's version, then the real runtime's (version.cpp).
int version(const cli::Invocation& inv);

}  // namespace hardrun::commands
