#include "state/state.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

namespace hardrun::state {
namespace {

constexpr uint32_t slice_size = 65536;

std::string containers_dir() { return std::string(state_root) + "/containers"; }
std::string slices_dir() { return std::string(state_root) + "/slices"; }

// mkdir that accepts an existing directory only if it is root's and writable by no one else.
void ensure_dir(const std::string& path, mode_t mode)
{
    if (mkdir(path.c_str(), mode) == 0) {
        if (chmod(path.c_str(), mode) != 0)  // not reduced by the umask
            throw system_error("cannot set the mode of " + path, errno);
        return;
    }
    if (errno != EEXIST)
        throw system_error("cannot create " + path, errno);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0)
        throw system_error("cannot stat " + path, errno);
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
        throw Error(path + " must be a directory owned by root and writable by no one else");
    if ((st.st_mode & 07777) != mode && chmod(path.c_str(), mode) != 0)
        throw system_error("cannot set the mode of " + path, errno);
}

// One of a container's small state files; "" when it is missing.
std::string read_small(const std::string& path) { return read_small_file(path, 64u << 10).value_or(""); }

void write_small(const std::string& path, const std::string& text)
{
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd || write(fd.get(), text.data(), text.size()) != ssize_t(text.size()))
        throw system_error("cannot write " + path, errno);
}

// Entries name:start:count of `owner` in a subordinate id file.
std::vector<std::pair<uint64_t, uint64_t>> subids(const std::string& file, const std::string& owner)
{
    std::optional<std::string> text = read_small_file(file, 16u << 20);
    if (!text)
        throw Error("cannot read " + file + " (the user namespace control hands out " + owner +
                    "'s subordinate ids; contrib/install.sh creates them)");
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (std::string_view view : lines_of(*text)) {
        std::string line(view);
        size_t a = line.find(':');
        size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos || line.substr(0, a) != owner)
            continue;
        try {
            size_t used1 = 0, used2 = 0;
            std::string s1 = line.substr(a + 1, b - a - 1), s2 = line.substr(b + 1);
            uint64_t start = std::stoull(s1, &used1), count = std::stoull(s2, &used2);
            if (used1 != s1.size() || used2 != s2.size() || s1[0] == '-' || s2[0] == '-')
                throw std::invalid_argument(line);
            if (start == 0 || start + count > 0xffffffffull)
                throw Error(file + ": the range of " + owner + " in \"" + line +
                            "\" must lie between host ids 1 and 4294967294");
            out.emplace_back(start, count);
        } catch (const std::logic_error&) {
            throw Error(file + ": cannot read the entry \"" + line + "\"");
        }
    }
    return out;
}

std::vector<uint32_t> split_slices(const std::vector<std::pair<uint64_t, uint64_t>>& ranges)
{
    std::vector<uint32_t> bases;
    for (const auto& [start, count] : ranges)
        for (uint64_t s = 0; s + slice_size <= count; s += slice_size)
            bases.push_back(uint32_t(start + s));
    return bases;
}

// Unmount whatever is mounted on `path` (lazily: with what is mounted below it), until nothing
// is; a point mounted twice is unmounted twice. Nothing mounted there is no error.
void unmount_all(const std::string& path)
{
    for (int stacked = 0; stacked < 64; ++stacked) {
        if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
            continue;
        if (errno == EINVAL || errno == ENOENT)
            return;
        throw system_error("cannot unmount " + path, errno);
    }
    throw Error("cannot unmount " + path + ": more than 64 mounts are stacked on it");
}

}  // namespace

bool valid_container_id(const std::string& id)
{
    if (id.empty() || id == "." || id == "..")
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
               c == '-' || c == '.';
    });
}

std::vector<idmap::IdRange> slices_of(const std::string& owner, const std::string& subuid, const std::string& subgid)
{
    std::vector<uint32_t> uids = split_slices(subids(subuid, owner));
    std::vector<uint32_t> gids = split_slices(subids(subgid, owner));
    std::vector<idmap::IdRange> out;
    for (size_t i = 0; i < uids.size() && i < gids.size(); ++i)
        out.push_back({uids[i], gids[i], slice_size});
    if (out.empty())
        throw Error("user " + owner + " has no range of 65536 subordinate ids in both " + subuid + " and " + subgid +
                    " (contrib/install.sh adds " + owner + ":16777216:16777216 to each)");
    return out;
}

Container Container::create(const std::string& id, const std::string& runtime_root)
{
    if (!valid_container_id(id))
        throw Error("invalid container id \"" + id + "\"");
    ensure_dir(state_root, 0711);
    ensure_dir(containers_dir(), 0711);
    std::string dir = containers_dir() + "/" + id;
    if (mkdir(dir.c_str(), 0711) != 0)
        throw system_error("cannot create " + dir, errno);
    if (chmod(dir.c_str(), 0711) != 0)
        throw system_error("cannot set the mode of " + dir, errno);
    UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock || flock(lock.get(), LOCK_EX) != 0)
        throw system_error("cannot lock " + dir, errno);
    Container c(id, dir, std::move(lock));
    write_small(dir + "/runtime-root", runtime_root);
    return c;
}

bool Container::exists(const std::string& id)
{
    struct stat st {};
    return valid_container_id(id) && lstat((containers_dir() + "/" + id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<Container> Container::open(const std::string& id, bool wait)
{
    if (!valid_container_id(id))
        return std::nullopt;
    std::string dir = containers_dir() + "/" + id;
    UniqueFd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!lock)
        return std::nullopt;
    if (flock(lock.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0)
        return std::nullopt;
    struct stat st {};
    if (fstat(lock.get(), &st) != 0 || st.st_nlink == 0)  // removed while we waited
        return std::nullopt;
    return Container(id, dir, std::move(lock));
}

idmap::IdRange Container::allocate(const std::string& owner, bool shared)
{
    std::vector<idmap::IdRange> slices = slices_of(owner);
    if (shared)
        return slices.front();
    ensure_dir(slices_dir(), 0700);
    // Start at a point given by the id, so concurrent creates rarely race for the same file.
    size_t start = std::hash<std::string>{}(id_) % slices.size();
    for (size_t k = 0; k < slices.size(); ++k) {
        size_t n = (start + k) % slices.size();
        std::string file = slices_dir() + "/" + std::to_string(n);
        UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd) {
            if (errno == EEXIST)
                continue;
            throw system_error("cannot create " + file, errno);
        }
        if (write(fd.get(), id_.data(), id_.size()) != ssize_t(id_.size())) {
            int err = errno;
            unlink(file.c_str());
            throw system_error("cannot write " + file, err);
        }
        write_small(dir_ + "/slice", std::to_string(n));
        return slices[n];
    }
    throw Error("all " + std::to_string(slices.size()) + " user-namespace slices of " + owner +
                " are in use (give it more subordinate ids, or run `hardrun gc` to free those of vanished containers)");
}

std::string Container::mount_point(const std::string& name, bool directory)
{
    std::string path = dir_ + "/" + name;
    if (directory) {
        if (mkdir(path.c_str(), 0711) != 0 && errno != EEXIST)
            throw system_error("cannot create " + path, errno);
    } else {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd)
            throw system_error("cannot create " + path, errno);
    }
    return path;
}

std::string Container::runtime_root() const { return read_small(dir_ + "/runtime-root"); }

void Container::remove()
{
    // hardrun mounts only "rootfs", "binds/N" and, while an overlay of idmapped layers is being
    // stacked, "layers/N" (detached again once the overlay holds them; a create that died in
    // between leaves them). Unmounting those by name needs no mount table (reading one loads
    // libmount: about 0.5 ms of every delete).
    unmount_all(dir_ + "/rootfs");
    for (const char* sub : {"/binds", "/layers"}) {
        DIR* d = opendir((dir_ + sub).c_str());
        if (!d)
            continue;
        std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
        while (dirent* e = readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                unmount_all(dir_ + sub + "/" + e->d_name);
    }
    std::string slice = read_small(dir_ + "/slice");
    if (!slice.empty() && slice.find_first_not_of("0123456789") == std::string::npos) {
        std::string file = slices_dir() + "/" + slice;
        if (read_small(file) == id_)
            unlink(file.c_str());
    }
    struct stat st {};
    if (fstat(lock_.get(), &st) != 0)
        throw system_error("cannot stat " + dir_, errno);
    remove_tree(lock_.get(), st.st_dev, dir_);
    if (rmdir(dir_.c_str()) != 0 && errno != ENOENT)
        throw system_error("cannot remove " + dir_, errno);
}

int free_orphan_slices()
{
    int freed = 0;
    DIR* d = opendir(slices_dir().c_str());
    if (!d)
        return 0;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string file = slices_dir() + "/" + name;
        std::string id = read_small(file);
        struct stat st {};
        if (valid_container_id(id) && stat((containers_dir() + "/" + id).c_str(), &st) == 0)
            continue;
        // Created and written in two steps: a file younger than a minute may be mid-create.
        if (stat(file.c_str(), &st) == 0 && time(nullptr) - st.st_mtime < 60)
            continue;
        if (unlink(file.c_str()) == 0)
            ++freed;
    }
    closedir(d);
    return freed;
}

std::vector<std::string> containers()
{
    std::vector<std::string> out;
    DIR* d = opendir(containers_dir().c_str());
    if (!d)
        return out;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (valid_container_id(name))
            out.push_back(name);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace hardrun::state
