#include "policy/runtime_record.hpp"

#include "config.h"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

namespace hardrun::policy::runtime_record {
namespace {

constexpr size_t max_record_bytes = 8192;
constexpr time_t settle_seconds = 2;

// Everything before the setting: the format, hardrun's build, the policy path, its file state.
std::string key(const std::string& path, const struct stat& st)
{
    return "hardrun policy runtime record 1 " HARDRUN_VERSION " " HARDRUN_COMMIT "\n" + path + "\n" +
           std::to_string(st.st_dev) + " " + std::to_string(st.st_ino) + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " +
           std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) + "\n";
}

std::string record_path(const std::string& dir, const std::string& path)
{
    return dir + "/" + sha256_hex(path).substr(0, 32);
}

// own_dir's trust rule, checked without creating or changing anything.
bool trusted_dir(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && untrusted_dir(path, st.st_uid, st.st_mode).empty();
}

std::string parent_of(const std::string& dir)
{
    size_t slash = dir.rfind('/');
    return slash == std::string::npos || slash == 0 ? std::string() : dir.substr(0, slash);
}

}  // namespace

std::string record_text(const std::string& path, const struct stat& st, const std::optional<std::string>& runtime)
{
    // The setting with its length: a record cut short (it is renamed into place whole, but a
    // disk may fail) is not read as a shorter path.
    return key(path, st) + (runtime ? "=" + std::to_string(runtime->size()) + " " + *runtime + "\n" : std::string("-\n"));
}

Found find(const std::string& path, const struct stat& st, const std::string& dir)
{
    std::string parent = parent_of(dir);
    if ((!parent.empty() && !trusted_dir(parent)) || !trusted_dir(dir))
        return {};
    UniqueFd fd(::open(record_path(dir, path).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat rst {};
    if (!fd || fstat(fd.get(), &rst) != 0 || !S_ISREG(rst.st_mode) || rst.st_uid != geteuid() ||
        (rst.st_mode & (S_IWGRP | S_IWOTH)))
        return {};
    std::string text;
    try {
        text = read_all(fd.get(), max_record_bytes, "policy runtime record");
    } catch (const Error&) {
        return {};
    }
    std::string expected = key(path, st);
    if (text.size() <= expected.size() || text.compare(0, expected.size(), expected) != 0)
        return {};
    std::string_view setting = std::string_view(text).substr(expected.size());
    if (setting == "-\n")
        return {true, std::nullopt};
    size_t space = setting.find(' ');
    if (setting[0] != '=' || space == std::string_view::npos || space < 2 || space > 10 ||
        setting.find_first_not_of("0123456789", 1) != space)
        return {};
    size_t length = std::stoul(std::string(setting.substr(1, space - 1)));
    if (setting.size() != space + 1 + length + 1 || setting.back() != '\n')
        return {};
    return {true, std::string(setting.substr(space + 1, length))};
}

void keep(const std::string& path, const struct stat& st, const std::optional<std::string>& runtime,
          const std::string& dir)
{
    // Two full seconds since the file's last change (or it is dated in the future): any later
    // change gets a later timestamp even on a filesystem that keeps them to 2 s.
    timespec settled {};
    clock_gettime(CLOCK_REALTIME, &settled);
    settled.tv_sec -= settle_seconds;
    auto after = [](const timespec& a, const timespec& b) {
        return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
    };
    if (after(st.st_mtim, settled) || after(st.st_ctim, settled))
        return;
    std::string parent = parent_of(dir);
    if ((!parent.empty() && !own_dir(parent, 0711, false).empty()) || !own_dir(dir, 0700, true).empty())
        return;
    try {
        write_file_atomically(record_path(dir, path), record_text(path, st, runtime), 0600);
    } catch (const Error&) {
        // The next call parses the policy again.
    }
}

int remove_stale(bool dry_run, const std::string& dir)
{
    DIR* d = opendir(dir.c_str());
    if (!d)
        return 0;
    int removed = 0;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.size() != 32 || name.find_first_not_of("0123456789abcdef") != std::string::npos)
            continue;  // not a record (".", "..", a replacement's temp file)
        std::string file = dir + "/" + name;
        std::string text;
        if (UniqueFd fd{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)}) {
            try {
                text = read_all(fd.get(), max_record_bytes, "policy runtime record");
            } catch (const Error&) {
                text.clear();  // unreadable or too long: not a record this build wrote
            }
        }
        // The policy path is the second line; the record is current when the file there, as
        // stat() sees it, has the state it holds.
        size_t first = text.find('\n');
        size_t second = first == std::string::npos ? first : text.find('\n', first + 1);
        bool current = false;
        if (second != std::string::npos) {
            std::string path = text.substr(first + 1, second - first - 1);
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && record_path(dir, path) == file) {
                std::string expected = key(path, st);
                current = text.compare(0, expected.size(), expected) == 0;
            }
        }
        if (current)
            continue;
        if (dry_run || ::unlink(file.c_str()) == 0)
            ++removed;
    }
    closedir(d);
    return removed;
}

}  // namespace hardrun::policy::runtime_record
