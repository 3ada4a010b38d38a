// Options of hardrun's own commands (check, setup, ...): "--name value", "--name=value", one or
// two dashes, switches without a value, and positional arguments.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace hardrun::cli {

struct OwnOptions {
    std::map<std::string, std::string> values;  // option name (no dashes) -> last value
    std::set<std::string> switches;             // switches given
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return switches.count(name) > 0; }
    std::string value(const std::string& name, const std::string& fallback = "") const
    {
        auto it = values.find(name);
        return it == values.end() ? fallback : it->second;
    }
};

// `with_value` and `switches` name the options (without dashes; aliases as extra names map to
// the first of "name|alias"). Throws hardrun::Error with `usage` for anything else.
OwnOptions parse_own_options(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
                             const std::vector<std::string>& switches, const std::string& usage);

}  // namespace hardrun::cli
