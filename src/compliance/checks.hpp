// The checks of `hardrun report`: the live state of one container against the requirements
// of its policy, each mapped to the CIS Docker Benchmark v1.6 section 5 item and the Pod
// Security Standards control it is evidence for (the table is standard_of; man hardrun-report).
#pragma once

#include "compliance/requirements.hpp"
#include "live/container.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun::compliance {

// Where a check stands in the two standards. Empty strings: the standard has no such item.
struct Standard {
    const char* check;        // "capabilities"
    const char* cis;          // "5.4"
    const char* cis_title;    // "Linux kernel capabilities are restricted within containers"
    const char* pss_level;    // "baseline" or "restricted"
    const char* pss_control;  // "Capabilities"
};

// The row of `check` in the table (every check has one).
const Standard& standard_of(std::string_view check);

// The whole table, in report order.
std::span<const Standard> standards();

enum class Result { pass, fail, info };
const char* result_name(Result result);

struct Check {
    std::string name;      // a Standard::check
    Result result = Result::info;
    Level level = Level::off;  // what the policy does about it
    std::string live;      // what the kernel says ("CAP_CHOWN,CAP_KILL", "read-only", "1024")
    std::string required;  // what the policy asks ("" when it asks nothing)

    // A looser live state than an enforced requirement: drift (or a bypass of hardrun).
    bool violation() const { return result == Result::fail && level == Level::enforced; }
};

// Every check of the table, in its order, for one container.
std::vector<Check> evaluate(const live::State& state, const Requirements& required);

}  // namespace hardrun::compliance
