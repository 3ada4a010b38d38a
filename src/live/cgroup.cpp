#include "live/cgroup.hpp"

#include "live/text.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <set>

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
    for (std::string_view line : lines_of(text)) {
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

namespace {

// The first pid in `dir` or a cgroup below it; stops after `budget` directories (a cgroup tree
// that large is the host's, and one pid is all it takes).
std::optional<std::string> first_pid_below(const std::string& dir, size_t& budget)
{
    if (budget == 0)
        return "more cgroups below " + dir + " than hardrun looks through";
    --budget;
    UniqueFd procs(open((dir + "/cgroup.procs").c_str(), O_RDONLY | O_CLOEXEC));
    if (procs) {
        std::string text;
        try {
            text = read_all(procs.get(), 1 << 20, dir + "/cgroup.procs");
        } catch (const Error&) {
            return "its cgroup.procs cannot be read (" + dir + ")";
        }
        size_t end = text.find('\n');
        if (!text.empty())
            return "pid " + text.substr(0, end) + " in " + dir;
    }
    DIR* d = opendir(dir.c_str());
    if (!d)
        return std::nullopt;
    std::optional<std::string> found;
    while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || std::string_view(e->d_name) == "." || std::string_view(e->d_name) == "..")
            continue;
        if ((found = first_pid_below(dir + "/" + e->d_name, budget)))
            break;
    }
    closedir(d);
    return found;
}

}  // namespace

static std::string read_proc_file(const char* path)
{
    UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw system_error(std::string("cannot open ") + path, errno);
    return read_all(fd.get(), 16u << 20, path);
}

namespace {

// `file` is absent from `dir` (ENOENT; any other error is no answer).
bool absent(const std::string& dir, const char* file)
{
    return faccessat(AT_FDCWD, (dir + "/" + file).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
}

bool present(const std::string& dir, const char* file)
{
    return faccessat(AT_FDCWD, (dir + "/" + file).c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace

std::optional<std::vector<std::string>> conventional_hierarchy_roots(const std::string& base,
                                                                     std::string_view proc_self_cgroup)
{
    std::set<unsigned> v1_hierarchies;
    for (const CgroupLine& line : parse_proc_cgroup(proc_self_cgroup))
        if (line.hierarchy != 0)
            v1_hierarchies.insert(line.hierarchy);
    struct statfs fs {};
    if (statfs(base.c_str(), &fs) != 0)
        return std::nullopt;
    if (fs.f_type == CGROUP2_SUPER_MAGIC) {  // unified: one hierarchy, mounted here at its root
        if (!v1_hierarchies.empty() || !absent(base, "cgroup.type"))
            return std::nullopt;
        return std::vector<std::string>{base};
    }
    if (fs.f_type != TMPFS_MAGIC)
        return std::nullopt;
    DIR* d = opendir(base.c_str());
    if (!d)
        return std::nullopt;
    std::vector<std::string> roots;
    std::set<dev_t> v1_seen;
    bool conventional = true;
    while (dirent* e = readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == ".." || e->d_type == DT_LNK)
            continue;  // cpu -> cpu,cpuacct: the hierarchy is seen at its real name
        std::string dir = base + "/" + e->d_name;
        struct statfs sub {};
        struct stat st {};
        if (statfs(dir.c_str(), &sub) != 0 || lstat(dir.c_str(), &st) != 0) {
            conventional = false;
            break;
        }
        if (sub.f_type == CGROUP_SUPER_MAGIC && S_ISDIR(st.st_mode) && present(dir, "release_agent")) {
            v1_seen.insert(st.st_dev);
            roots.push_back(dir);
        } else if (sub.f_type == CGROUP2_SUPER_MAGIC && S_ISDIR(st.st_mode) && absent(dir, "cgroup.type")) {
            roots.push_back(dir);  // a hybrid host's unified hierarchy
        } else if (sub.f_type == CGROUP_SUPER_MAGIC || sub.f_type == CGROUP2_SUPER_MAGIC) {
            conventional = false;  // part of a hierarchy mounted here: its root is elsewhere
            break;
        }
    }
    closedir(d);
    // Every v1 hierarchy this process is in must be among them: one mounted elsewhere only
    // would be missed.
    if (!conventional || roots.empty() || v1_seen.size() != v1_hierarchies.size())
        return std::nullopt;
    return roots;
}

std::optional<std::string> cgroup_occupant(const std::string& path, bool below_own)
{
    size_t budget = 10000;
    auto occupant_of = [&](const std::string& dir) -> std::optional<std::string> {
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return std::nullopt;
        return first_pid_below(dir, budget);
    };
    // An absolute path (what engines send) on a conventional layout: the hierarchies' roots are
    // known without the mount table, and the path is looked for under each (the same
    // directories the mount table gives: every mount of a hierarchy at its root).
    if (!below_own)
        if (std::optional<std::vector<std::string>> roots =
                conventional_hierarchy_roots("/sys/fs/cgroup", read_proc_file("/proc/self/cgroup"))) {
            for (const std::string& root : *roots)
                if (std::optional<std::string> who = occupant_of(join(root, path)))
                    return who;
            return std::nullopt;
        }
    std::vector<Mount> mounts = parse_mountinfo(read_proc_file("/proc/self/mountinfo"));
    std::vector<CgroupLine> own;
    if (below_own)
        own = parse_proc_cgroup(read_proc_file("/proc/self/cgroup"));
    for (const Mount& m : mounts) {
        if (m.fstype != "cgroup" && m.fstype != "cgroup2")
            continue;
        std::vector<std::string> dirs;
        if (m.root == "/")
            dirs.push_back(join(m.target, path));
        for (const CgroupLine& line : own) {
            bool same = m.fstype == "cgroup2"
                            ? line.hierarchy == 0 && line.controllers.empty()
                            : std::any_of(line.controllers.begin(), line.controllers.end(),
                                          [&](const std::string& c) { return m.has_fs_option(c); });
            if (same)
                if (std::optional<std::string> rel = below(line.path, m.root))
                    dirs.push_back(join(join(m.target, *rel), path));
        }
        for (const auto& dir : dirs)
            if (std::optional<std::string> who = occupant_of(dir))
                return who;
    }
    return std::nullopt;
}

}  // namespace hardrun::live
