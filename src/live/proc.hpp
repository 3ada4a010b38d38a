// What /proc says about one process: its capability sets, no_new_privs, seccomp mode and uids
// (/proc/PID/status), and its user namespace's uid map (/proc/PID/uid_map). Parsed from text,
// so the parsers are tested on fixtures; live::read (container.hpp) feeds them the real files.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun::live {

// The five capability sets in /proc/PID/status order.
enum class CapSet { inheritable, permitted, effective, bounding, ambient };
inline constexpr std::array<CapSet, 5> cap_sets = {CapSet::inheritable, CapSet::permitted, CapSet::effective,
                                                   CapSet::bounding, CapSet::ambient};
// "inheritable" ..., as the OCI config names the sets.
const char* cap_set_name(CapSet set);

struct ProcStatus {
    std::array<uint64_t, 5> caps{};  // indexed by CapSet
    bool no_new_privs = false;
    int seccomp = 0;                          // 0 disabled, 1 strict, 2 filter
    std::optional<unsigned> seccomp_filters;  // kernels >= 5.9
    std::array<uint32_t, 4> uids{};           // real, effective, saved, filesystem (as the reader sees them)

    uint64_t cap(CapSet set) const { return caps[size_t(set)]; }
};

// Parse /proc/PID/status. Throws hardrun::Error when a field the report needs is missing or
// malformed (CapInh, CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs, Seccomp, Uid).
ProcStatus parse_status(std::string_view text);

// One line of /proc/PID/uid_map: `count` ids from `inside` map to `outside` (in the reader's
// user namespace).
struct IdRange {
    uint32_t inside;
    uint32_t outside;
    uint32_t count;
};

// Parse /proc/PID/uid_map (or gid_map). Throws hardrun::Error on a malformed line.
std::vector<IdRange> parse_id_map(std::string_view text);

// The id `inside` maps to, or nullopt when the map leaves it unmapped.
std::optional<uint32_t> map_id(const std::vector<IdRange>& map, uint32_t inside);

}  // namespace hardrun::live
