#include "harden/report.hpp"

namespace hardrun::harden {

std::string describe(const std::vector<Finding>& findings)
{
    std::vector<std::pair<std::string, std::string>> merged;  // "control: detail" -> paths
    for (const auto& f : findings) {
        std::string key = f.control + ": " + f.detail;
        auto it = merged.begin();
        while (it != merged.end() && it->first != key)
            ++it;
        if (it == merged.end())
            merged.emplace_back(key, f.path);
        else
            it->second += ", " + f.path;
    }
    std::string out;
    for (const auto& [key, paths] : merged)
        out += (out.empty() ? "" : "; ") + key + " (at " + paths + ")";
    return out;
}

}  // namespace hardrun::harden
