#include "spec/cgroups_path.hpp"

#include "spec/paths.hpp"

#include <algorithm>
#include <vector>

namespace hardrun::spec {

std::optional<std::string> expand_slice(std::string_view slice)
{
    constexpr std::string_view suffix = ".slice";
    if (slice.size() <= suffix.size() || slice.substr(slice.size() - suffix.size()) != suffix ||
        slice.find('/') != std::string_view::npos)
        return std::nullopt;
    if (slice == "-.slice")
        return std::string();
    std::string_view stem = slice.substr(0, slice.size() - suffix.size());
    std::string path, prefix;
    size_t start = 0;
    while (true) {
        size_t dash = stem.find('-', start);
        std::string_view part = stem.substr(start, dash == std::string_view::npos ? stem.npos : dash - start);
        if (part.empty())
            return std::nullopt;  // "a--b.slice", "-a.slice": not a slice runc expands
        prefix += (prefix.empty() ? "" : "-") + std::string(part);
        path += "/" + prefix + std::string(suffix);
        if (dash == std::string_view::npos)
            break;
        start = dash + 1;
    }
    return path;
}

CgroupsPath parse_cgroups_path(std::string_view text)
{
    CgroupsPath out;
    if (std::count(text.begin(), text.end(), ':') == 2) {
        size_t a = text.find(':'), b = text.find(':', a + 1);
        std::string_view slice = text.substr(0, a), prefix = text.substr(a + 1, b - a - 1), name = text.substr(b + 1);
        if (slice.empty())
            slice = "system.slice";
        auto parent = expand_slice(slice);
        if (!parent || name.empty() || name.find('/') != name.npos || prefix.find('/') != prefix.npos ||
            name == "." || name == "..") {
            out.error = "is not a systemd cgroup path runc accepts (slice:prefix:name)";
            return out;
        }
        std::string unit = name.size() > 6 && name.substr(name.size() - 6) == ".slice"
                               ? std::string(name)
                               : (prefix.empty() ? "" : std::string(prefix) + "-") + std::string(name) + ".scope";
        out.path = *parent + "/" + unit;
        return out;
    }
    out.relative = text.empty() || text[0] != '/';
    std::string slashed = "/" + std::string(text) + "/";
    if (slashed.find("/../") != std::string::npos) {
        out.error = "climbs with \"..\" (runc would resolve it to another cgroup than it names)";
        return out;
    }
    out.path = clean_path(slashed);
    if (out.path == "/")
        out.path.clear();
    return out;
}

}  // namespace hardrun::spec
