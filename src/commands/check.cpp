// `hardrun check [--json] [--id ID] [--bundle DIR | FILE]`: what the policy would change in a
// config and what it would refuse, without writing anything or running a container. Exit
// status 0 when the config would be accepted (rewritten or not), 1 when it would be refused.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "harden/pipeline.hpp"
#include "idmap/container.hpp"
#include "json/value.hpp"
#include "log/audit.hpp"
#include "policy/policy.hpp"
#include "state/state.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <cstdio>

namespace hardrun::commands {
namespace {

struct CheckArgs {
    bool json = false;
    std::string id;
    std::string bundle;
    std::string file;
};

CheckArgs parse_check_args(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    cli::OwnOptions o = cli::parse_own_options(args, {"id", "bundle|b"}, {"json"},
                                               usage_of("check"));
    CheckArgs a;
    a.json = o.has("json");
    a.id = o.value("id");
    a.bundle = o.value("bundle");
    if (o.positional.size() > 1)
        throw Error("check: more than one file given");
    a.file = o.positional.empty() ? "" : o.positional.front();
    if (!a.bundle.empty() && !a.file.empty())
        throw Error("check: give --bundle DIR or FILE, not both");
    if (a.file.empty())
        a.file = (a.bundle.empty() ? std::string(".") : a.bundle) + "/config.json";
    return a;
}

void print_findings(const char* what, const std::vector<harden::Finding>& findings)
{
    for (const auto& f : findings)
        std::printf("  %-8s %-17s %-40s %s\n", what, f.control.c_str(), f.path.c_str(), f.detail.c_str());
}

}  // namespace

int check(const cli::Invocation& inv)
{
    CheckArgs args = parse_check_args(inv);
    policy::Policy policy = policy::load(inv.policy);
    std::string bundle = args.file.substr(0, args.file.rfind('/') == std::string::npos ? 0 : args.file.rfind('/'));
    DirFile file = read_dir_file(args.file, 16u << 20);
    json::Value config;
    harden::Report report;
    harden::Context context;
    try {
        config = json::parse(file.text);
        context = harden::Context{args.id, bundle.empty() ? "." : bundle};
        try {  // its directory is denied to binds; a dry run on a host without it checks the rest
            context.runtime = runtime::locate(inv.runtime, policy.runtime);
        } catch (const Error&) {
        }
        // A dry run holds no slice: it shows the first one, which a create may not get.
        context.allocate_ids = [](const policy::UserNamespace& p) { return state::slices_of(p.owner).front(); };
        // Only a pod member needs the runtime (its sandbox's pid): located when asked.
        context.container_pid = [&](const std::string& id) {
            return runtime::container_pid(runtime::locate(inv.runtime, policy.runtime), inv.root, id);
        };
        context.caller_shim = live::parent_shim;
        context.apparmor_host = live::read_apparmor;
        auto load_profile = [](const std::string& name) { return policy::load(name); };
        report = harden::harden_config(config, policy, context, load_profile);
        // The idmap step as create would take it (the same probes, nothing mounted): where it
        // fails, the control refuses or records running without a user namespace, as in create.
        if (report.user_namespace_added && report.refused.empty()) {
            try {
                for (const idmap::Unmapped& u :
                     idmap::check_idmap(config, report, *report.user_namespace_added, policy.user_namespace.overlay_layers))
                    report.audited.push_back({"userNamespace", u.path, idmap::unmapped_detail(u)});
            } catch (const Error& e) {
                context.idmap_unsupported = e.what();
                config = json::parse(file.text);
                report = harden::harden_config(config, policy, context, load_profile);
            }
        }
    } catch (const Error& e) {
        throw Error(args.file + ": " + std::string(e.what()));
    }
    const char* result = !report.refused.empty() ? "refused" : report.modified() ? "rewritten" : "unchanged";
    if (args.json) {
        json::Value out = json::Value::object();
        out.set("file", json::Value::string(args.file));
        out.set("policy", json::Value::string(policy.source));
        out.set("digest", json::Value::string(policy.digest));
        if (!report.profile.empty())
            out.set("profile", json::Value::string(report.profile));
        out.set("result", json::Value::string(result));
        out.set("changed", log::findings_json(report.changed));
        out.set("audited", log::findings_json(report.audited));
        out.set("refused", log::findings_json(report.refused));
        std::printf("%s\n", json::serialize(out).c_str());
    } else {
        std::printf("%s: policy %s (%s)%s\n", args.file.c_str(), policy.source.c_str(), policy.digest.c_str(),
                    report.profile.empty() ? "" : (", profile " + report.profile).c_str());
        print_findings("refuse", report.refused);
        print_findings("change", report.changed);
        print_findings("audit", report.audited);
        std::printf("result: %s\n", !report.refused.empty() ? "would be refused"
                                    : report.modified()     ? "would be rewritten"
                                                            : "compliant, nothing to change");
    }
    return report.refused.empty() ? 0 : 1;
}

}  // namespace hardrun::commands
