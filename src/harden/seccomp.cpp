// Seccomp: every container runs under a filter.
//  - No filter, or one that lets everything through (defaultAction allow/log: what
//    `--security-opt seccomp=unconfined` and `--privileged` produce): the policy's profile,
//    rendered for the capabilities the container keeps, is put in its place.
//  - A profile that allows by default but denies a list: the policy's profile with those
//    denials on top (seccomp::with_denials), at least as strict as both.
//  - listenerPath only to an agent the policy names; SECCOMP_FILTER_FLAG_SPEC_ALLOW removed.
//  - The caller's own profile (Docker's default, Kubernetes RuntimeDefault/Localhost) is kept,
//    less the syscalls on the policy's deny list. clone, clone3 and personality get what the
//    default profile allows for them: clone only without namespace flags, clone3 ENOSYS (its
//    flags are out of a filter's reach), personality only the safe values.
// One filter only: it replaces, never stacks. The result is compiled with libseccomp before
// runc runs (once per distinct profile: the verdict is cached), so a profile runc would fail on
// never gets that far.
#include "harden/controls.hpp"
#include "seccomp/seccomp.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <algorithm>

namespace hardrun::harden {
namespace {

constexpr uint64_t namespace_flags = 0x7E020000;  // CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

// A rule's argument conditions, if they keep the syscall to safe uses: for clone, namespace
// flags masked to zero; for personality, one of the values Docker's profile allows.
bool safely_conditioned(const std::string& name, const json::Value& rule)
{
    const json::Value* args = rule.find("args");
    if (!args || !args->is_array() || args->items().empty())
        return false;
    for (const auto& a : args->items()) {
        const json::Value* index = a.find("index");
        const json::Value* value = a.find("value");
        const json::Value* two = a.find("valueTwo");
        const json::Value* op = a.find("op");
        if (!index || !value || !op || !op->is_string() || index->as_uint64() != uint64_t(0) || !value->as_uint64())
            return false;
        uint64_t v = *value->as_uint64();
        if (name == "clone") {
            if (op->as_string() != "SCMP_CMP_MASKED_EQ" || (v & namespace_flags) != namespace_flags ||
                (two && two->as_uint64().value_or(1) != 0))
                return false;
        } else {  // personality
            if (op->as_string() != "SCMP_CMP_EQ" ||
                (v != 0 && v != 8 && v != 0x20000 && v != 0x20008 && v != 0xffffffff))
                return false;
        }
    }
    return true;
}

std::vector<std::string> bounding_caps(json::Value& config)
{
    std::vector<std::string> caps;
    json::Value* set = nullptr;
    if (json::Value* c = spec::object_at(config, {"process", "capabilities"}))
        set = spec::field(*c, "bounding", json::Kind::array, "/process/capabilities");
    for (size_t i = 0; set && i < set->items().size(); ++i)
        if (set->items()[i].is_string())
            caps.push_back(set->items()[i].as_string());
    return caps;
}

// The rules of a caller's profile that stop a syscall (errno, kill, trap): what a profile that
// allows by default exists for.
std::vector<json::Value> denial_rules(json::Value& profile)
{
    std::vector<json::Value> out;
    json::Value* rules = spec::field(profile, "syscalls", json::Kind::array, "/linux/seccomp");
    for (size_t i = 0; rules && i < rules->items().size(); ++i) {
        std::string where;
        json::Value& rule = spec::object_item(*rules, i, "/linux/seccomp/syscalls", where);
        json::Value* action = spec::field(rule, "action", json::Kind::string, where);
        if (action && !seccomp::is_allowing(action->as_string()))
            out.push_back(rule);
    }
    return out;
}

// What a profile asks of the host besides its rules:
//  - listenerPath: runc hands the filter's notification fd to whatever listens on that socket,
//    which then answers the container's syscalls (a mount, say) with its own privileges. Only
//    the agents the policy names (seccomp.listeners) may be handed one.
//  - flags: SECCOMP_FILTER_FLAG_SPEC_ALLOW turns off the speculative store bypass mitigation
//    for the container (Spectre v4 against the host's other processes): removed.
void listener_and_flags(json::Value& profile, const policy::Policy& policy, Decision& decision)
{
    json::Value* listener = spec::field(profile, "listenerPath", json::Kind::string, "/linux/seccomp");
    if (listener && !listener->as_string().empty()) {
        const auto& allowed = policy.seccomp.listeners;
        if (std::find(allowed.begin(), allowed.end(), listener->as_string()) == allowed.end())
            decision.refuse("/linux/seccomp/listenerPath",
                            "hands the container's syscalls to the agent at " + listener->as_string() +
                                ", which the policy's seccomp.listeners does not name");
    }
    json::Value* flags = spec::field(profile, "flags", json::Kind::array, "/linux/seccomp");
    if (!flags)
        return;
    std::vector<json::Value> kept;
    bool spec_allow = false;
    for (const json::Value& f : flags->items()) {
        if (!f.is_string())
            throw Error("/linux/seccomp/flags must hold strings");
        if (f.as_string() == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
            spec_allow = true;
        else
            kept.push_back(f);
    }
    if (spec_allow && decision.change("/linux/seccomp/flags",
                                      "SECCOMP_FILTER_FLAG_SPEC_ALLOW turns off the speculative store bypass "
                                      "mitigation, removed"))
        *flags = json::Value::array(std::move(kept));
}

}  // namespace

void seccomp(json::Value& config, const policy::Policy& policy, const Context& context, Report& report)
{
    Decision decision(report, "seccomp", policy.seccomp.mode);
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* current = linux ? spec::field(*linux, "seccomp", json::Kind::object, "/linux") : nullptr;
    auto rendered = [&]() { return seccomp::render(policy.seccomp.profile(), bounding_caps(config)); };

    if (current)
        listener_and_flags(*current, policy, decision);
    std::vector<json::Value> denials = current ? denial_rules(*current) : std::vector<json::Value>{};
    if (!current || (seccomp::allows_everything(*current) && denials.empty())) {
        std::string why = current ? "lets every syscall through (unconfined)" : "no seccomp filter";
        if (decision.change("/linux/seccomp", why + ", the " + policy.seccomp.profile_source + " profile put in place"))
            spec::make_object_at(config, {"linux"}).set("seccomp", rendered());
    } else if (seccomp::allows_everything(*current)) {
        // Allows by default and denies a list: the default profile, which denies by default,
        // with the caller's denials on top, so the filter is at least as strict as both.
        std::vector<std::string> whole;
        json::Value merged = seccomp::with_denials(rendered(), denials, whole);
        std::string detail = "allows every syscall it does not list, the " + policy.seccomp.profile_source +
                             " profile put in place with its " + std::to_string(denials.size()) + " denying rules kept";
        if (!whole.empty()) {
            std::string list;
            for (const auto& w : whole)
                list += (list.empty() ? "" : ",") + w;
            detail += " (" + list + ": denied whole, their conditions could not be combined)";
        }
        if (decision.change("/linux/seccomp", detail))
            spec::make_object_at(config, {"linux"}).set("seccomp", std::move(merged));
    } else {
        json::Value* rules = spec::field(*current, "syscalls", json::Kind::array, "/linux/seccomp");
        std::vector<std::string> removed;
        std::vector<std::string> readd;  // clone, clone3, personality: the default's rules for them
        // Checked and only read first: a caller's profile seldom allows what the policy takes
        // out, and copying its rules for every create cost about 0.2 M instructions (Docker's
        // profile). drop[i]: the positions of the names that go from rule i, in order.
        std::vector<std::vector<size_t>> drop(rules ? rules->items().size() : 0);
        for (size_t i = 0; rules && i < rules->items().size(); ++i) {
            std::string where;
            json::Value& rule = spec::object_item(*rules, i, "/linux/seccomp/syscalls", where);
            json::Value* action = spec::field(rule, "action", json::Kind::string, where);
            json::Value* names = spec::field(rule, "names", json::Kind::array, where);
            if (!action || !names || !seccomp::is_allowing(action->as_string()))
                continue;
            for (size_t k = 0; k < names->items().size(); ++k) {
                const json::Value& n = names->items()[k];
                if (!n.is_string())
                    throw Error(where + "/names must hold strings");
                const std::string& name = n.as_string();
                bool special = name == "clone" || name == "clone3" || name == "personality";
                bool denied = std::find(policy.seccomp.deny.begin(), policy.seccomp.deny.end(), name) !=
                              policy.seccomp.deny.end();
                if (denied || (special && (name == "clone3" || !safely_conditioned(name, rule)))) {
                    removed.push_back(name);
                    drop[i].push_back(k);
                    if (special && std::find(readd.begin(), readd.end(), name) == readd.end())
                        readd.push_back(name);
                }
            }
        }
        if (!removed.empty()) {
            std::string list;
            for (const auto& r : removed)
                list += (list.empty() ? "" : ",") + r;
            if (decision.change("/linux/seccomp/syscalls", "allows " + list + ", removed")) {
                std::vector<json::Value> again;  // the default's rules for clone, clone3, personality
                if (!readd.empty()) {
                    json::Value safe = rendered();
                    for (const auto& rule : safe.find("syscalls")->items())
                        for (const auto& n : rule.find("names")->items())
                            if (std::find(readd.begin(), readd.end(), n.as_string()) != readd.end()) {
                                json::Value r = rule;
                                r.set("names", json::Value::array({n}));
                                again.push_back(std::move(r));
                            }
                }
                // The rules less what goes (a rule left with no name is dropped), moved out of
                // the list they replace.
                std::vector<json::Value> kept;
                for (size_t i = 0; i < rules->items().size(); ++i) {
                    json::Value& rule = rules->items()[i];
                    if (!drop[i].empty()) {
                        auto& names = rule.find("names")->items();
                        std::vector<json::Value> left;
                        for (size_t k = 0, d = 0; k < names.size(); ++k) {
                            if (d < drop[i].size() && drop[i][d] == k)
                                ++d;
                            else
                                left.push_back(std::move(names[k]));
                        }
                        if (left.empty())
                            continue;
                        names = std::move(left);
                    }
                    kept.push_back(std::move(rule));
                }
                for (auto& r : again)
                    kept.push_back(std::move(r));
                current->set("syscalls", json::Value::array(std::move(kept)));
            }
        }
    }
    // What runc will load must compile; checked here so that a bad profile fails the create
    // with a clear message, before anything runs.
    json::Value* final = context.compile_seccomp ? spec::object_at(config, {"linux", "seccomp"}) : nullptr;
    if (final) {
        try {
            seccomp::compile_cached(*final, context.seccomp_cache);
        } catch (const Error& e) {
            throw Error(std::string("/linux/seccomp: ") + e.what());
        }
    }
}

}  // namespace hardrun::harden
