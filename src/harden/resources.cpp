// Resources: a pids and a memory limit on every container. Where the config sets none (or
// "unlimited": 0 or negative, as runc reads them) the policy's default applies; a higher one is
// lowered to the policy's ceiling. Swap is held to the memory limit (OCI memory.swap counts
// memory + swap), so the memory limit cannot be sidestepped by swapping.
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>

#include <vector>

namespace hardrun::harden {

bool host_cgroup_v2() { return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0; }

namespace {

// Whether the host's memory cgroup can limit swap (runc fails writing a swap limit otherwise):
// v2 always can, v1 where swap accounting is on.
bool host_limits_swap(bool cgroup_v2)
{
    return cgroup_v2 || access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
}

std::optional<int64_t> read_limit(json::Value* object, std::string_view key, const std::string& where)
{
    json::Value* v = object ? spec::field(*object, key, json::Kind::number, where) : nullptr;
    if (!v)
        return std::nullopt;
    std::optional<int64_t> n = v->as_int64();
    if (!n)
        throw Error(spec::child_path(where, key) + " must be an integer");
    return n;
}

// Apply `limit` to config/linux/resources/<group>/<key>; returns the value in force afterwards.
std::optional<int64_t> apply_limit(json::Value& config, std::string_view group, std::string_view key,
                                   const policy::Limit& limit, Decision& decision)
{
    std::string where = "/linux/resources/" + std::string(group);
    std::optional<int64_t> current = read_limit(spec::object_at(config, {"linux", "resources", group}), key, where);
    int64_t wanted;
    std::string detail;
    if (!current || *current <= 0) {
        wanted = limit.fallback;
        detail = std::string(current ? "unlimited" : "unset") + ", default " + std::to_string(wanted);
    } else if (*current > limit.max) {
        wanted = limit.max;
        detail = std::to_string(*current) + " above the ceiling, lowered to " + std::to_string(wanted);
    } else {
        return current;
    }
    if (!decision.change(spec::child_path(where, key), detail))
        return current;
    spec::make_object_at(config, {"linux", "resources", group}).set(key, json::Value::number(wanted));
    return wanted;
}

// cgroup v2 files runc writes verbatim from linux.resources.unified, after the structured limits.
// Kept: the keys of controllers that only limit or weigh (cpu.max, io.max, memory.high ...).
// Removed: the ones that would undo a held limit (pids.max, memory.max, memory.swap.max),
// memory.min/memory.low, which protect the container's memory from reclaim at the host's expense,
// and io.latency, which meets the container's own latency target by throttling its siblings.
// Any other key is refused: it names a cgroup file runc would write for the config.
constexpr std::array<const char*, 17> unified_kept = {
    "cpu.weight", "cpu.weight.nice", "cpu.max", "cpu.max.burst", "cpu.idle", "cpu.uclamp.min", "cpu.uclamp.max",
    "cpuset.cpus", "cpuset.mems", "io.weight", "io.bfq.weight", "io.max", "memory.high",
    "memory.oom.group", "memory.swap.high", "memory.zswap.max", "rdma.max"};

void unified_limits(json::Value* resources, const std::string& where, Decision& decision)
{
    json::Value* unified = resources ? spec::field(*resources, "unified", json::Kind::object, where) : nullptr;
    if (!unified)
        return;
    std::vector<std::string> removed;
    for (const auto& member : unified->members()) {
        const std::string& key = member.first;
        const std::string at = spec::child_path(where, "unified") + "/" + key;
        bool hugetlb = key.rfind("hugetlb.", 0) == 0 && key.ends_with(".max");  // hugetlb.2MB.max, .rsvd.max
        if (hugetlb || std::find(unified_kept.begin(), unified_kept.end(), key) != unified_kept.end())
            continue;
        if (key == "pids.max" || key == "memory.max" || key == "memory.swap.max") {
            if (decision.change(at, "would override the pids/memory limits, removed"))
                removed.push_back(key);
        } else if (key == "memory.min" || key == "memory.low") {
            if (decision.change(at, "would shield the container's memory from reclaim at the host's expense, removed"))
                removed.push_back(key);
        } else if (key == "io.latency") {
            if (decision.change(at, "would meet the container's latency target by throttling the host's other I/O, removed"))
                removed.push_back(key);
        } else {
            decision.refuse(at, "a cgroup file no control judges (kept: the limits and weights of cpu, cpuset, io, "
                                "memory.high, hugetlb, rdma)");
        }
    }
    for (const auto& key : removed)
        unified->erase(key);
}

// Fields of the cpu and memory controllers that take from the host rather than limit.
// memory.reservation is a soft limit on cgroup v1 (memory.soft_limit_in_bytes: it only makes the
// container reclaimed first), but runc writes it to memory.low on v2 (and systemd's MemoryLow):
// the reclaim protection the unified rule removes.
void taking_fields(json::Value* resources, const std::string& where, bool cgroup_v2, Decision& decision)
{
    if (!resources)
        return;
    if (json::Value* cpu = spec::field(*resources, "cpu", json::Kind::object, where)) {
        const std::string at = spec::child_path(where, "cpu");
        json::Value* runtime = spec::field(*cpu, "realtimeRuntime", json::Kind::number, at);
        if (runtime && runtime->as_int64().value_or(0) != 0 &&
            decision.change(at + "/realtimeRuntime", "real-time CPU time is taken from the host's budget, removed")) {
            cpu->erase("realtimeRuntime");
            cpu->erase("realtimePeriod");
        }
    }
    if (json::Value* memory = spec::field(*resources, "memory", json::Kind::object, where)) {
        const std::string at = spec::child_path(where, "memory");
        json::Value* off = spec::field(*memory, "disableOOMKiller", json::Kind::boolean, at);
        if (off && off->as_bool() &&
            decision.change(at + "/disableOOMKiller",
                            "a container at its limit would hang, holding its memory, instead of being killed: set to false"))
            memory->set("disableOOMKiller", json::Value::boolean(false));
        std::optional<int64_t> reservation = read_limit(memory, "reservation", at);
        if (cgroup_v2 && reservation && *reservation != 0 &&
            decision.change(at + "/reservation", "cgroup v2 memory.low: would shield the container's memory from "
                                                 "reclaim at the host's expense, removed"))
            memory->erase("reservation");
    }
}

// runc's systemd cgroup driver gives the unit MemoryMax and TasksMax but not a swap limit of 0
// (swap equal to memory: its v2 value is 0, which runc 1.1-1.3 do not export as MemorySwapMax), so
// systemd's unit says MemorySwapMax=infinity and the next daemon-reload (every package install
// runs one) or unit property change writes memory.swap.max=max. The hold goes into the unit too,
// through the annotation runc's systemd driver turns into a unit property (the cgroupfs driver
// ignores it). `update` never changes it: the swap hold is always "no swap beyond memory".
void hold_swap_in_the_systemd_unit(json::Value& config, Decision& decision)
{
    const json::Value* existing = nullptr;
    if (json::Value* all = spec::field(config, "annotations", json::Kind::object, "/"))
        existing = all->find(swap_hold_annotation);
    if (existing && existing->is_string() && existing->as_string() == swap_hold_value)
        return;
    if (decision.change(std::string("/annotations/") + swap_hold_annotation,
                        "swap held in the systemd unit as well (MemorySwapMax), so a daemon-reload keeps it"))
        spec::object_field(config, "annotations", "/").set(swap_hold_annotation, json::Value::string(swap_hold_value));
}

}  // namespace

void update_resources(json::Value& resources, const policy::Policy& policy, bool cgroup_v2, Report& report)
{
    if (!resources.is_object())
        throw Error("the resources must be a JSON object");
    Decision decision(report, "resources", policy.resources.mode);
    // Here 0 leaves a limit as it is (runc writes nothing); a negative value removes it.
    auto cap = [&](std::string_view group, std::string_view key, int64_t ceiling) -> std::optional<int64_t> {
        std::string where = "/" + std::string(group);
        json::Value* object = spec::field(resources, group, json::Kind::object, "/");
        std::optional<int64_t> value = read_limit(object, key, where);
        if (!value || *value == 0 || (*value > 0 && *value <= ceiling))
            return value;
        std::string detail = *value < 0 ? "would remove the limit, set to the ceiling " + std::to_string(ceiling)
                                        : std::to_string(*value) + " above the ceiling, lowered to " +
                                              std::to_string(ceiling);
        if (!decision.change(spec::child_path(where, key), detail))
            return value;
        object->set(key, json::Value::number(ceiling));
        return ceiling;
    };
    cap("pids", "limit", policy.resources.pids.max);
    std::optional<int64_t> memory = cap("memory", "limit", policy.resources.memory.max);
    int64_t swap_ceiling = memory && *memory > 0 ? *memory : policy.resources.memory.max;
    std::optional<int64_t> swap = cap("memory", "swap", swap_ceiling);
    // A new memory limit without a swap limit: hold swap to it, as at create (cgroup v1 also
    // refuses a memory limit above the current memory+swap limit).
    if (memory && *memory > 0 && (!swap || *swap == 0) && host_limits_swap(cgroup_v2) &&
        decision.change("/memory/swap", "unset, held to the memory limit " + std::to_string(*memory)))
        spec::make_object_at(resources, {"memory"}).set("swap", json::Value::number(*memory));
    unified_limits(&resources, "", decision);
    taking_fields(&resources, "", cgroup_v2, decision);
}

void resources(json::Value& config, const policy::Policy& policy, bool cgroup_v2, Report& report)
{
    Decision decision(report, "resources", policy.resources.mode);
    unified_limits(spec::object_at(config, {"linux", "resources"}), "/linux/resources", decision);
    taking_fields(spec::object_at(config, {"linux", "resources"}), "/linux/resources", cgroup_v2, decision);
    // Intel RDT programs the host's cache and memory-bandwidth allocation, shared by every
    // tenant: a container's schema can starve the others.
    if (json::Value* linux = spec::object_at(config, {"linux"}))
        if (json::Value* rdt = spec::field(*linux, "intelRdt", json::Kind::object, "/linux");
            rdt && !rdt->members().empty() && !policy.resources.intel_rdt)
            decision.refuse("/linux/intelRdt", "Intel RDT allocates the host's caches and memory bandwidth for every "
                                               "tenant; refused unless the policy's resources.intelRdt is true");
    apply_limit(config, "pids", "limit", policy.resources.pids, decision);
    std::optional<int64_t> memory = apply_limit(config, "memory", "limit", policy.resources.memory, decision);
    if (!memory || *memory <= 0)
        return;

    const std::string where = "/linux/resources/memory";
    std::optional<int64_t> swap = read_limit(spec::object_at(config, {"linux", "resources", "memory"}), "swap", where);
    bool too_much = swap ? (*swap < 0 || *swap > *memory) : host_limits_swap(cgroup_v2);
    if (too_much && decision.change(where + "/swap", (swap ? std::to_string(*swap) : std::string("unset")) +
                                                         ", held to the memory limit " + std::to_string(*memory)))
        spec::make_object_at(config, {"linux", "resources", "memory"}).set("swap", json::Value::number(*memory));
    // The systemd driver's configs name a unit ("system.slice:docker:ID", "machine.slice:libpod:ID",
    // containerd's SystemdCgroup); the cgroupfs driver's name a path.
    json::Value* linux = spec::object_at(config, {"linux"});
    json::Value* cgroups_path = linux ? spec::field(*linux, "cgroupsPath", json::Kind::string, "/linux") : nullptr;
    bool systemd_unit = cgroups_path && std::count(cgroups_path->as_string().begin(), cgroups_path->as_string().end(), ':') == 2;
    if (systemd_unit && host_limits_swap(cgroup_v2))
        hold_swap_in_the_systemd_unit(config, decision);
}

}  // namespace hardrun::harden
