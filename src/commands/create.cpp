// create / run / restore: the rewrite pipeline. Everything that can fail happens before the
// config is replaced, and the config is replaced atomically: on any error the bundle is left
// byte-identical and the runtime never runs (fail closed).
//
// When the user-namespace control adds a user namespace, hardrun also mounts the idmapped
// rootfs and bind sources under /run/hardrun/containers/ID. Then the runtime runs as a child
// instead of replacing hardrun, so that a failed create (or a `run` that ended) is cleaned up at
// once; a running container's mounts are removed by `delete` (or `hardrun gc`).
#include "commands/commands.hpp"

#include "harden/controls.hpp"
#include "harden/pipeline.hpp"
#include "idmap/container.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "state/state.hpp"
#include "util/error.hpp"
#include "util/prefault.hpp"

#include <map>
#include <memory>
#include <optional>

namespace hardrun::commands {
namespace {

constexpr size_t max_config_bytes = 16u << 20;

// The container's state, made on first need (when a user namespace is added), removed again
// unless the create got as far as a runtime that knows the container.
class StateGuard {
public:
    StateGuard(const cli::Invocation& inv, std::string runtime_path, std::string id)
        : inv_(inv), runtime_path_(std::move(runtime_path)), id_(std::move(id)) {}
    ~StateGuard()
    {
        try {
            discard();
        } catch (const Error&) {
            // `hardrun gc` removes what is left; the create's own error is the one to show.
        }
    }

    state::Container& get()
    {
        if (!state_) {
            // A leftover of the same id (a create that died, a crash) is removed, unless the
            // runtime still runs that container: then the create is a mistake runc would refuse.
            if (auto old = state::Container::open(id_)) {
                if (runtime::knows(runtime_path_, inv_.root, id_))
                    throw Error("container " + id_ + " already exists");
                old->remove();
            }
            state_ = state::Container::create(id_, inv_.root);
        }
        return *state_;
    }

    bool active() const { return state_.has_value(); }
    // Keep the state: the runtime knows the container, `delete` will remove it.
    void release() { state_.reset(); }
    void discard()
    {
        if (state_) {
            std::optional<state::Container> s = std::move(state_);
            state_.reset();
            s->remove();
        }
    }

private:
    const cli::Invocation& inv_;
    std::string runtime_path_;
    std::string id_;
    std::optional<state::Container> state_;
};

// Whether the container outlives the runtime call, so its mounts and id slice must stay until
// `delete`. An attached `run` (no --detach, no --keep) that ran to its end has destroyed the
// container on every path, success or not (runc's runner destroys it before it returns); asking
// `runc state` would cost a runtime start (about 20 ms). Anything else that succeeded left the
// container created or running. A failure, or a runtime killed by a signal, is judged by asking.
bool runtime_keeps_container(const cli::Invocation& inv, const cli::CommandLine& cmd, runtime::Exit exit,
                             const std::string& runtime_path, const std::string& id)
{
    bool attached_run = inv.command == "run" && cmd.last("detach") != "true" && cmd.last("keep") != "true";
    if (attached_run && exit.finished)
        return false;
    if (!attached_run && exit.status == 0)
        return true;
    return runtime::knows(runtime_path, inv.root, id);
}

}  // namespace

harden::ContainerPid runtime_container_pid(const std::string& runtime_path, const std::string& root)
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

int create(const cli::Invocation& inv, const cli::CommandLine& cmd)
{
    // Before the work: the heap the trees of the policy and config take (about 150 KB), and the code.
    populate_heap(256u << 10);
    populate_code();
    policy::Policy policy = policy::load(inv.policy);
    std::string runtime_path = runtime::locate(inv.runtime, policy.runtime);

    // runc's default bundle is the working directory.
    std::string bundle = cmd.last("bundle").value_or(".");
    if (bundle.empty())
        bundle = ".";
    std::string config_path = bundle + "/config.json";
    std::string id = cmd.positional.empty() ? "" : cmd.positional.front();

    StateGuard state(inv, runtime_path, id);
    harden::Context context{id, bundle, runtime_path};
    context.container_pid = runtime_container_pid(runtime_path, inv.root);
    context.caller_shim = live::parent_shim;
    context.apparmor_host = live::read_apparmor;
    context.allocate_ids = [&](const policy::UserNamespace& p) { return state.get().allocate(p.owner, p.shared); };
    DirFile file;
    json::Value config;
    harden::Report report;
    try {
        file = read_dir_file(config_path, max_config_bytes);
        auto load_profile = [](const std::string& name) { return policy::load(name); };
        config = json::parse(file.text);
        report = harden::harden_config(config, policy, context, load_profile);
        if (inv.command == "restore")
            harden::checkpoint_restore(policy, report);
        if (report.user_namespace_added && report.refused.empty()) {
            try {
                for (const idmap::Unmapped& u : idmap::idmap_container(config, report, state.get(),
                                                                       *report.user_namespace_added,
                                                                       policy.user_namespace.overlay_layers))
                    report.audited.push_back({"userNamespace", u.path, idmap::unmapped_detail(u)});
            } catch (const Error& e) {
                state.discard();
                // Harden the caller's config again, telling the control why it cannot add a user
                // namespace: it refuses or records running without one, as the policy says, and
                // either way the audit log gets the line.
                context.idmap_unsupported = e.what();
                config = json::parse(file.text);
                report = harden::harden_config(config, policy, context, load_profile);
                if (inv.command == "restore")
                    harden::checkpoint_restore(policy, report);
            }
        }
    } catch (const Error& e) {
        throw Error(config_path + ": " + std::string(e.what()));
    }

    log::AuditEvent event{inv.command, id, config_path, "", nullptr};
    Vetted vetted{event, &file, &config, true, std::nullopt};
    if (!state.active())
        conclude(inv, policy, runtime_path, report, vetted);
    settle(policy, report, vetted);
    runtime::Exit exit = runtime::run(runtime_path, inv.runtime_args);
    if (runtime_keeps_container(inv, cmd, exit, runtime_path, id))
        state.release();
    return exit.status;
}

}  // namespace hardrun::commands
