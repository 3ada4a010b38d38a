#include "commands/commands.hpp"

#include "config.h"
#include "log/runc_log.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"

#include <cstdio>

namespace hardrun::commands {

// runc-shaped, so `docker info` and go-runc can parse it: the real runtime's own lines last.
int version(const cli::Invocation& inv)
{
    std::printf("hardrun version %s\ncommit: %s\nprofiles: %s\n", HARDRUN_VERSION, HARDRUN_COMMIT,
                HARDRUN_PROFILES_DIR);
    std::fflush(stdout);
    policy::Policy policy = policy::load(inv.policy);
    std::string path = runtime::locate(inv.runtime, policy.runtime);
    std::string out = runtime::output_of(path, {"--version"});
    if (out.empty())
        throw Error("the real runtime " + path + " did not answer --version");
    std::printf("runtime: %s\n%s", path.c_str(), out.c_str());
    return 0;
}

}  // namespace hardrun::commands
