#include "live/cgroup.hpp"

#include "live/text.hpp"
#include "util/error.hpp"

#include <algorithm>

namespace hardrun::live {
namespace {

// A process's cgroup path relative to the mount of its hierarchy (whose `root` is the part of
// the hierarchy mounted there), or nullopt when the cgroup is not below that root.
std::optional<std::string> below(const std::string& path, const std::string& root)
{
    if (root == "/")
        return path;
    if (path == root)
        return std::string("/");
    if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/')
        return path.substr(root.size());
    return std::nullopt;
}

std::string join(const std::string& dir, const std::string& rel)
{
    if (rel == "/")
        return dir;
    return dir + rel;
}

}  // namespace

std::vector<CgroupLine> parse_proc_cgroup(std::string_view text)
{
    std::vector<CgroupLine> out;
    for (std::string_view line : lines(text)) {
        if (line.empty())
            continue;
        size_t first = line.find(':');
        size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        std::optional<uint64_t> id =
            first == std::string_view::npos ? std::nullopt : parse_unsigned(line.substr(0, first), 10);
        if (second == std::string_view::npos || !id || line.size() == second + 1 || line[second + 1] != '/')
            throw Error("/proc cgroup: malformed line \"" + std::string(line) + "\"");
        CgroupLine c;
        c.hierarchy = unsigned(*id);
        std::string_view list = line.substr(first + 1, second - first - 1);
        while (!list.empty()) {
            size_t comma = list.find(',');
            c.controllers.emplace_back(list.substr(0, comma));
            list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        }
        c.path = std::string(line.substr(second + 1));
        out.push_back(std::move(c));
    }
    return out;
}

std::optional<CgroupDir> controller_dir(std::string_view controller, const std::vector<CgroupLine>& cgroup,
                                        const std::vector<Mount>& host_mounts)
{
    for (const CgroupLine& line : cgroup) {
        if (std::find(line.controllers.begin(), line.controllers.end(), controller) == line.controllers.end())
            continue;
        for (const Mount& m : host_mounts)
            if (m.fstype == "cgroup" && m.has_fs_option(controller))
                if (std::optional<std::string> rel = below(line.path, m.root))
                    return CgroupDir{1, join(m.target, *rel)};
        return std::nullopt;  // the hierarchy carries it but is not mounted here
    }
    for (const CgroupLine& line : cgroup) {
        if (line.hierarchy != 0 || !line.controllers.empty())
            continue;
        for (const Mount& m : host_mounts)
            if (m.fstype == "cgroup2")
                if (std::optional<std::string> rel = below(line.path, m.root))
                    return CgroupDir{2, join(m.target, *rel)};
    }
    return std::nullopt;
}

std::string limit_file(std::string_view controller, int version)
{
    if (controller == "memory")
        return version == 1 ? "memory.limit_in_bytes" : "memory.max";
    return std::string(controller) + ".max";
}

CgroupLimit parse_limit(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    if (text == "max")
        return {std::nullopt};
    std::optional<uint64_t> n = parse_unsigned(text, 10);
    if (!n)
        throw Error("cgroup limit: \"" + std::string(text) + "\" is neither a number nor \"max\"");
    // v1 writes "unlimited" as PAGE_COUNTER_MAX pages: INT64_MAX rounded down to the page size
    // (up to 64 KiB pages). No real limit comes near it.
    if (*n >= 0x7fffffffffff0000ull)
        return {std::nullopt};
    return {n};
}

}  // namespace hardrun::live
