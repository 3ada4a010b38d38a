// hardrun: an OCI runtime that hardens a container's config by policy, then hands the call
// to the real runtime (runc) with the caller's arguments. The only place that exits.
#include "cli/args.hpp"
#include "commands/commands.hpp"
#include "log/runc_log.hpp"
#include "util/error.hpp"

#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    using namespace hardrun;
    std::vector<std::string> args(argv + 1, argv + argc);
    cli::Invocation inv;
    try {
        cli::parse(args, inv);
        // Installed as hardrun-NAME (one binary for several Docker runtimes or RuntimeClasses),
        // the profile NAME is the policy, unless --hardrun-policy names one.
        std::string name = argc > 0 ? argv[0] : "";
        name = name.substr(name.rfind('/') + 1);
        if (!inv.policy && name.rfind("hardrun-", 0) == 0 && name.size() > 8)
            inv.policy = name.substr(8);
        return commands::dispatch(inv);
    } catch (const Error& e) {
        log::error({inv.log_path, inv.log_format == "json"}, std::string("hardrun: ") + e.what());
    } catch (const std::exception& e) {
        log::error({inv.log_path, inv.log_format == "json"}, std::string("hardrun: internal error: ") + e.what());
    }
    return 1;
}
