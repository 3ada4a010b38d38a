// create / run / restore: the rewrite pipeline. Everything that can fail happens before the
// config is replaced, and the config is replaced atomically: on any error the bundle is left
// byte-identical and the runtime never runs (fail closed).
#include "commands/commands.hpp"

#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"

namespace hardrun::commands {
namespace {

constexpr size_t max_config_bytes = 16u << 20;

}  // namespace

void create(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);

    // runc's default bundle is the working directory.
    std::string config_path = cmd.last("bundle").value_or(".");
    if (config_path.empty())
        config_path = ".";
    config_path.append("/config.json");
    std::string id = cmd.positional.empty() ? "" : cmd.positional.front();

    DirFile file;
    json::Value config;
    harden::Report report;
    try {
        file = read_dir_file(config_path, max_config_bytes);
        config = json::parse(file.text);
        std::string bundle = config_path.substr(0, config_path.size() - std::string("/config.json").size());
        report = harden::harden_config(config, policy, harden::Context{id, bundle},
                                       [](const std::string& name) { return policy::load(name); });
    } catch (const Error& e) {
        throw Error(config_path + ": " + std::string(e.what()));
    }

    log::AuditEvent event{inv.command, id, config_path, "", nullptr};
    conclude(inv, policy, runtime_path, report, Vetted{event, &file, &config, true, std::nullopt});
}

}  // namespace hardrun::commands
