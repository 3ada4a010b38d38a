#include "cli/own_options.hpp"

#include "util/error.hpp"

#include <optional>

namespace hardrun::cli {
namespace {

// "bundle|b" matches "bundle" and "b"; the canonical name is the first.
std::string canonical(const std::vector<std::string>& specs, const std::string& name)
{
    for (const auto& spec : specs) {
        size_t start = 0;
        while (start <= spec.size()) {
            size_t end = spec.find('|', start);
            if (end == std::string::npos)
                end = spec.size();
            if (spec.compare(start, end - start, name) == 0)
                return spec.substr(0, spec.find('|'));
            start = end + 1;
        }
    }
    return "";
}

}  // namespace

OwnOptions parse_own_options(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
                             const std::vector<std::string>& switches, const std::string& usage)
{
    OwnOptions out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '-') {
            out.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (std::string c = canonical(with_value, name); !c.empty()) {
            if (!value) {
                if (i + 1 >= args.size())
                    throw Error(arg + " needs a value (usage: " + usage + ")");
                value = args[++i];
            }
            out.values[c] = *value;
        } else if (std::string s = canonical(switches, name); !s.empty() && !value) {
            out.switches.insert(s);
        } else {
            throw Error("unknown option " + arg + " (usage: " + usage + ")");
        }
    }
    return out;
}

}  // namespace hardrun::cli
