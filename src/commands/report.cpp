// `hardrun report [--json] [--root DIR] [ID...]`: what each running container of a runc root
// really got, read from the kernel (live::read), checked against the policy whose digest
// hardrun stamped on its config (compliance::evaluate), each check mapped to CIS Docker
// Benchmark section 5 and the Pod Security Standards. Containers without the stamp did not
// come through hardrun; they are checked against the policy hardrun would apply now. Exit
// status 1 when a container violates its policy or cannot be read.
//
// The containers come from `runc --root R list --format json`, not from R/ID/state.json:
// list is runc's public interface (state.json is libcontainer's internal format and changes
// between runc versions), it says whether the init process still is the container's (runc
// compares its start time, so a reused pid is not taken for the container), and it carries the
// annotations runc recorded at create, i.e. the stamp of the config runc really ran, whatever
// became of config.json since.
#include "commands/commands.hpp"

#include "cli/own_options.hpp"
#include "compliance/checks.hpp"
#include "compliance/requirements.hpp"
#include "harden/pipeline.hpp"
#include "live/container.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability_names.hpp"
#include "util/error.hpp"

#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <optional>

namespace hardrun::commands {
namespace {

constexpr const char* default_root = "/run/runc";  // runc's own default for root

struct ReportArgs {
    bool json = false;
    std::string root;
    std::vector<std::string> ids;
};

ReportArgs parse_report_args(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    cli::OwnOptions o = cli::parse_own_options(args, {"root"}, {"json"}, usage_of("report"));
    ReportArgs a;
    a.json = o.has("json");
    a.root = o.value("root", inv.root.empty() ? default_root : inv.root);
    a.ids = o.positional;
    return a;
}

// One container as runc lists it.
struct Listed {
    std::string id;
    int64_t pid = 0;
    std::string status;
    std::string bundle;
    std::optional<std::string> stamp;  // the run.hardrun.policy annotation
    bool pod_member = false;           // the CRI's annotations: a Kubernetes pod's container
};

std::string string_member(const json::Value& v, std::string_view key)
{
    const json::Value* m = v.find(key);
    return m && m->is_string() ? m->as_string() : "";
}

std::vector<Listed> list_containers(const std::string& runtime_path, const std::string& root)
{
    // runc list creates a missing root: a report must not leave one behind.
    struct stat st {};
    if (stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw Error("report: no runc state directory " + root + " (Docker's runc keeps its containers in "
                    "/run/docker/runtime-runc/moby, containerd's in /run/containerd/runc/<namespace>)");
    std::string out = runtime::output_of(runtime_path, {"--root", root, "list", "--format", "json"});
    if (out.empty())
        throw Error("report: `" + runtime_path + " --root " + root + " list --format json` failed");
    json::Value list;
    try {
        list = json::parse(out);
    } catch (const Error& e) {
        throw Error("report: cannot read the container list of " + runtime_path + ": " + e.what());
    }
    std::vector<Listed> containers;
    if (list.is_null())  // runc prints null for an empty (or missing) root
        return containers;
    if (!list.is_array())
        throw Error("report: the container list of " + runtime_path + " is not a JSON array");
    for (const json::Value& item : list.items()) {
        if (!item.is_object())
            throw Error("report: a container of the list is not a JSON object");
        Listed c;
        c.id = string_member(item, "id");
        const json::Value* pid = item.find("pid");
        c.pid = pid && pid->is_number() ? pid->as_int64().value_or(0) : 0;
        c.status = string_member(item, "status");
        c.bundle = string_member(item, "bundle");
        if (const json::Value* annotations = item.find("annotations"); annotations && annotations->is_object()) {
            if (const json::Value* stamp = annotations->find(harden::policy_annotation); stamp && stamp->is_string())
                c.stamp = stamp->as_string();
            c.pod_member = annotations->find("io.kubernetes.cri.container-type") != nullptr;
        }
        containers.push_back(std::move(c));
    }
    return containers;
}

// One container's part of the report.
struct Entry {
    Listed listed;
    std::vector<const policy::Policy*> policies;  // what the checks hold it to
    bool policy_known = false;                     // stamped, and every digest of the stamp found
    bool checked = false;                          // running or paused, and read
    std::string error;                             // why it could not be read
    std::optional<live::State> state;
    std::vector<compliance::Check> checks;

    bool violation() const
    {
        if (!error.empty())
            return true;
        for (const auto& c : checks)
            if (c.violation())
                return true;
        return false;
    }
};

// The policies a stamp names: "sha256:<policy>" or "sha256:<policy>+sha256:<profile>" (a
// profile the config selected by annotation).
std::vector<const policy::Policy*> policies_of(const std::string& stamp, const std::vector<policy::Policy>& known)
{
    std::vector<const policy::Policy*> out;
    size_t start = 0;
    while (start <= stamp.size()) {
        size_t end = stamp.find('+', start);
        std::string digest = stamp.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const policy::Policy* found = nullptr;
        for (const policy::Policy& p : known)
            if (p.digest == digest)
                found = &p;
        if (!found)
            return {};
        out.push_back(found);
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    return out;
}

Entry examine(const Listed& listed, const std::vector<policy::Policy>& known, const policy::Policy& current)
{
    Entry e;
    e.listed = listed;
    if (listed.stamp)
        e.policies = policies_of(*listed.stamp, known);
    e.policy_known = !e.policies.empty();
    if (e.policies.empty())
        e.policies = {&current};
    if (listed.status != "running" && listed.status != "paused")
        return e;
    try {
        if (listed.pid <= 0)
            throw Error("runc lists no init pid");
        e.state = live::read(pid_t(listed.pid));
        e.checks = compliance::evaluate(*e.state, compliance::required_by(e.policies, listed.pod_member));
        e.checked = true;
    } catch (const Error& err) {
        e.error = err.what();
    }
    return e;
}

const char* level_name(compliance::Level level)
{
    switch (level) {
    case compliance::Level::off: return "off";
    case compliance::Level::audit: return "audit";
    case compliance::Level::enforced: return "enforced";
    }
    return "off";
}

json::Value opt_number(std::optional<uint64_t> n)
{
    return n ? json::Value::number(int64_t(*n)) : json::Value();
}

json::Value limit_json(const live::Limit& l, const char* key)
{
    json::Value v = json::Value::object();
    v.set("version", l.dir ? json::Value::number(l.dir->version) : json::Value());
    v.set("path", l.dir ? json::Value::string(l.dir->path) : json::Value());
    v.set(key, l.dir ? opt_number(l.limit.value) : json::Value());
    return v;
}

json::Value live_json(const live::State& s)
{
    json::Value v = json::Value::object();
    json::Value caps = json::Value::object();
    for (live::CapSet set : live::cap_sets) {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016" PRIx64, s.status.cap(set));
        json::Value one = json::Value::object();
        one.set("mask", json::Value::string(hex));
        json::Value names = json::Value::array();
        for (const auto& n : spec::capability_names(s.status.cap(set)))
            names.items().push_back(json::Value::string(n));
        one.set("names", std::move(names));
        caps.set(live::cap_set_name(set), std::move(one));
    }
    v.set("capabilities", std::move(caps));
    v.set("no_new_privs", json::Value::boolean(s.status.no_new_privs));
    v.set("seccomp", json::Value::string(s.status.seccomp == 2 ? "filter" : s.status.seccomp == 1 ? "strict" : "disabled"));
    v.set("seccomp_filters", s.status.seccomp_filters ? json::Value::number(*s.status.seccomp_filters) : json::Value());
    json::Value uids = json::Value::array();
    for (uint32_t u : s.status.uids)
        uids.items().push_back(json::Value::number(u));
    v.set("uids", std::move(uids));
    json::Value map = json::Value::array();
    for (const live::IdRange& r : s.uid_map) {
        json::Value range = json::Value::object();
        range.set("inside", json::Value::number(r.inside));
        range.set("outside", json::Value::number(r.outside));
        range.set("count", json::Value::number(r.count));
        map.items().push_back(std::move(range));
    }
    v.set("uid_map", std::move(map));
    std::optional<uint32_t> root = s.root_host_uid();
    v.set("root_host_uid", root ? json::Value::number(*root) : json::Value());
    const live::Mount* rootfs = live::mount_at(s.mounts, "/");
    v.set("root_read_only", json::Value::boolean(rootfs && rootfs->read_only));
    json::Value tmpfs = json::Value::array();
    for (const live::Mount& m : s.mounts) {
        if (m.fstype != "tmpfs" || m.root != "/")  // whole tmpfs mounts, not files bound from one
            continue;
        json::Value t = json::Value::object();
        t.set("path", json::Value::string(m.target));
        t.set("read_only", json::Value::boolean(m.read_only));
        t.set("nosuid", json::Value::boolean(m.nosuid));
        t.set("nodev", json::Value::boolean(m.nodev));
        t.set("noexec", json::Value::boolean(m.noexec));
        tmpfs.items().push_back(std::move(t));
    }
    v.set("tmpfs", std::move(tmpfs));
    json::Value cgroup = json::Value::object();
    cgroup.set("pids", limit_json(s.pids, "max"));
    cgroup.set("memory", limit_json(s.memory, "limit"));
    v.set("cgroup", std::move(cgroup));
    json::Value ns = json::Value::object();
    for (size_t i = 0; i < live::namespace_names.size(); ++i)
        ns.set(live::namespace_names[i], json::Value::string(s.host_namespace[i] ? "host" : "own"));
    v.set("namespaces", std::move(ns));
    return v;
}

json::Value policy_json(const policy::Policy& p)
{
    json::Value v = json::Value::object();
    v.set("source", json::Value::string(p.source));
    v.set("digest", json::Value::string(p.digest));
    return v;
}

json::Value entry_json(const Entry& e)
{
    json::Value v = json::Value::object();
    v.set("id", json::Value::string(e.listed.id));
    v.set("pid", json::Value::number(e.listed.pid));
    v.set("status", json::Value::string(e.listed.status));
    v.set("bundle", json::Value::string(e.listed.bundle));
    v.set("hardrun", json::Value::boolean(e.listed.stamp.has_value()));
    v.set("stamp", e.listed.stamp ? json::Value::string(*e.listed.stamp) : json::Value());
    v.set("policy_known", e.listed.stamp ? json::Value::boolean(e.policy_known) : json::Value());
    json::Value policies = json::Value::array();
    for (const policy::Policy* p : e.policies)
        policies.items().push_back(policy_json(*p));
    v.set("policies", std::move(policies));
    v.set("checked", json::Value::boolean(e.checked));
    v.set("error", e.error.empty() ? json::Value() : json::Value::string(e.error));
    v.set("compliant", json::Value::boolean(!e.violation()));
    v.set("live", e.state ? live_json(*e.state) : json::Value());
    json::Value checks = json::Value::array();
    for (const compliance::Check& c : e.checks) {
        const compliance::Standard& s = compliance::standard_of(c.name);
        json::Value one = json::Value::object();
        one.set("check", json::Value::string(c.name));
        one.set("result", json::Value::string(compliance::result_name(c.result)));
        one.set("level", json::Value::string(level_name(c.level)));
        one.set("violation", json::Value::boolean(c.violation()));
        one.set("live", json::Value::string(c.live));
        one.set("required", c.required.empty() ? json::Value() : json::Value::string(c.required));
        one.set("cis", *s.cis ? json::Value::string(s.cis) : json::Value());
        one.set("cis_title", *s.cis_title ? json::Value::string(s.cis_title) : json::Value());
        one.set("pss_level", *s.pss_level ? json::Value::string(s.pss_level) : json::Value());
        one.set("pss_control", *s.pss_control ? json::Value::string(s.pss_control) : json::Value());
        checks.items().push_back(std::move(one));
    }
    v.set("checks", std::move(checks));
    return v;
}

std::string short_digest(const std::string& digest)
{
    return digest.size() > 19 ? digest.substr(0, 19) + "..." : digest;
}

void print_entry(const Entry& e)
{
    const Listed& l = e.listed;
    std::printf("%s  pid %" PRId64 "  %s  bundle %s\n", l.id.c_str(), l.pid, l.status.c_str(), l.bundle.c_str());
    std::string against;
    for (const policy::Policy* p : e.policies)
        against += std::string(against.empty() ? "" : " + ") + p->source + " (" + short_digest(p->digest) + ")";
    if (!l.stamp)
        std::printf("  NOT started through hardrun (no %s annotation); checked against %s\n",
                    harden::policy_annotation, against.c_str());
    else if (!e.policy_known)
        std::printf("  started through hardrun with a policy not found here (%s); checked against %s\n",
                    l.stamp->c_str(), against.c_str());
    else
        std::printf("  started through hardrun, policy %s\n", against.c_str());
    if (!e.error.empty()) {
        std::printf("  ERROR: %s\n\n", e.error.c_str());
        return;
    }
    if (!e.checked) {
        std::printf("  not checked: not running\n\n");
        return;
    }
    std::printf("  %-19s %-7s %-5s %-36s %s\n", "CHECK", "RESULT", "CIS", "PSS", "LIVE");
    for (const compliance::Check& c : e.checks) {
        const compliance::Standard& s = compliance::standard_of(c.name);
        std::string pss = *s.pss_level ? std::string(s.pss_level) + ": " + s.pss_control : "-";
        const char* result = c.violation()                        ? "FAIL"
                             : c.result == compliance::Result::fail ? "audit"
                                                                    : compliance::result_name(c.result);
        std::string live = c.live;
        if (c.result == compliance::Result::fail && !c.required.empty())
            live += " (required: " + c.required + ")";
        std::printf("  %-19s %-7s %-5s %-36s %s\n", c.name.c_str(), result, *s.cis ? s.cis : "-", pss.c_str(),
                    live.c_str());
    }
    std::printf("  => %s\n\n", e.violation() ? "VIOLATES its policy" : "compliant");
}

}  // namespace

int report(const cli::Invocation& inv)
{
    ReportArgs args = parse_report_args(inv);
    std::vector<policy::Policy> known = policy::load_known(inv.policy);
    const policy::Policy& current = known.front();  // what hardrun applies now (load_known's first)
    std::vector<Listed> listed =
        list_containers(runtime::locate(inv.runtime, current.runtime), args.root);

    std::vector<Listed> selected;
    if (args.ids.empty()) {
        selected = listed;
    } else {
        for (const auto& id : args.ids) {
            const Listed* found = nullptr;
            for (const Listed& l : listed)
                if (l.id == id)
                    found = &l;
            if (!found)
                throw Error("report: no container " + id + " in " + args.root);
            selected.push_back(*found);
        }
    }

    std::vector<Entry> entries;
    for (const Listed& l : selected)
        entries.push_back(examine(l, known, current));
    bool violation = false;
    for (const Entry& e : entries)
        violation = violation || e.violation();

    if (args.json) {
        json::Value out = json::Value::object();
        out.set("root", json::Value::string(args.root));
        out.set("policy", policy_json(current));
        out.set("compliant", json::Value::boolean(!violation));
        json::Value list = json::Value::array();
        for (const Entry& e : entries)
            list.items().push_back(entry_json(e));
        out.set("containers", std::move(list));
        std::printf("%s\n", json::serialize(out).c_str());
    } else {
        size_t violating = 0, bypassed = 0, unchecked = 0;
        for (const Entry& e : entries) {
            print_entry(e);
            violating += e.violation();
            bypassed += !e.listed.stamp;
            unchecked += !e.checked;
        }
        std::printf("%zu containers in %s: %zu violating their policy, %zu not started through hardrun, %zu "
                    "not checked (not running or unreadable)\n",
                    entries.size(), args.root.c_str(), violating, bypassed, unchecked);
    }
    return violation ? 1 : 0;
}

}  // namespace hardrun::commands
