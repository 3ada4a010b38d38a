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

#include <map>
#include <memory>

namespace hardrun::commands {
namespace {

constexpr size_t max_config_bytes = 16u << 20;

}  // namespace

harden::ContainerPid runtime_container_pid(const std::string& runtime_path, const std::optional<std::string>& root)
{
    // A profile selected by annotation runs the controls a second time: ask runc once.
    auto known = std::make_shared<std::map<std::string, std::optional<long>>>();
    return [runtime_path, root, known](const std::string& id) {
        auto it = known->find(id);
        if (it == known->end())
            it = known->emplace(id, runtime::container_pid(runtime_path, root, id)).first;
        return it->second;
    };
}

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
        harden::Context context{id, bundle};
        context.container_pid = runtime_container_pid(runtime_path, inv.root);
        report = harden::harden_config(config, policy, context,
                                       [](const std::string& name) { return policy::load(name); });
    } catch (const Error& e) {
        throw Error(config_path + ": " + std::string(e.what()));
    }

    log::AuditEvent event{inv.command, id, config_path, "", nullptr};
    conclude(inv, policy, runtime_path, report, Vetted{event, &file, &config, true, std::nullopt});
}

}  // namespace hardrun::commands
