#include "live/mounts.hpp"

#include "util/error.hpp"
#include "util/file.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <libmount/libmount.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace hardrun::live {
namespace {

// libmount, loaded on first use. hardrun runs for every runtime call (state, kill, exec probes
// many times a minute), and linking libmount loads it with libblkid, libselinux and libpcre2
// into each of them: about 0.45 ms per call on the benchmark machine, for calls that never
// read a mount table. Only the calls that do (a create in a user namespace, delete, gc,
// report) load it.
struct LibMount {
    decltype(&mnt_new_table) new_table;
    decltype(&mnt_unref_table) unref_table;
    decltype(&mnt_new_iter) new_iter;
    decltype(&mnt_free_iter) free_iter;
    decltype(&mnt_table_set_parser_errcb) set_parser_errcb;
    decltype(&mnt_table_parse_stream) parse_stream;
    decltype(&mnt_table_next_fs) next_fs;
    decltype(&mnt_fs_get_id) get_id;
    decltype(&mnt_fs_get_target) get_target;
    decltype(&mnt_fs_get_fstype) get_fstype;
    decltype(&mnt_fs_get_root) get_root;
    decltype(&mnt_fs_get_fs_options) get_fs_options;
    decltype(&mnt_fs_get_vfs_options) get_vfs_options;
    decltype(&mnt_optstr_get_option) optstr_get_option;
    decltype(&mnt_optstr_get_flags) optstr_get_flags;
    decltype(&mnt_get_builtin_optmap) get_builtin_optmap;
};

template <typename F>
void bind(void* lib, F& f, const char* name)
{
    f = reinterpret_cast<F>(dlsym(lib, name));
    if (!f)
        throw Error(std::string("libmount.so.1 has no ") + name);
}

const LibMount& libmount()
{
    static const LibMount lib = [] {
        void* handle = dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            throw Error(std::string("cannot load libmount (Debian: libmount1): ") + dlerror());
        LibMount l{};
        bind(handle, l.new_table, "mnt_new_table");
        bind(handle, l.unref_table, "mnt_unref_table");
        bind(handle, l.new_iter, "mnt_new_iter");
        bind(handle, l.free_iter, "mnt_free_iter");
        bind(handle, l.set_parser_errcb, "mnt_table_set_parser_errcb");
        bind(handle, l.parse_stream, "mnt_table_parse_stream");
        bind(handle, l.next_fs, "mnt_table_next_fs");
        bind(handle, l.get_id, "mnt_fs_get_id");
        bind(handle, l.get_target, "mnt_fs_get_target");
        bind(handle, l.get_fstype, "mnt_fs_get_fstype");
        bind(handle, l.get_root, "mnt_fs_get_root");
        bind(handle, l.get_fs_options, "mnt_fs_get_fs_options");
        bind(handle, l.get_vfs_options, "mnt_fs_get_vfs_options");
        bind(handle, l.optstr_get_option, "mnt_optstr_get_option");
        bind(handle, l.optstr_get_flags, "mnt_optstr_get_flags");
        bind(handle, l.get_builtin_optmap, "mnt_get_builtin_optmap");
        return l;
    }();
    return lib;
}

// statmount(2) (Linux 6.8; the options from 6.10), declared here: Debian 12's kernel headers
// predate it. The layout is the kernel's ABI (include/uapi/linux/mount.h), fixed by size and
// offsets; only the fields read here are named.
constexpr long statmount_syscall = 457;  // the same on every architecture Debian releases for
constexpr unsigned statx_mnt_id_unique = 0x4000;
constexpr uint64_t statmount_mnt_point = 0x10, statmount_fs_type = 0x20, statmount_mnt_opts = 0x80;

struct mnt_id_request {
    uint32_t size;
    uint32_t spare;
    uint64_t mnt_id;
    uint64_t param;
};
static_assert(sizeof(mnt_id_request) == 24);  // MNT_ID_REQ_SIZE_VER0

struct statmount_reply {
    uint32_t size;      // of the reply, strings included
    uint32_t mnt_opts;  // [string] the superblock's options, escaped as in mountinfo
    uint64_t mask;      // what the kernel filled in
    uint32_t sb_dev_major, sb_dev_minor;
    uint64_t sb_magic;
    uint32_t sb_flags;
    uint32_t fs_type;  // [string]
    uint64_t mnt_id, mnt_parent_id;
    uint32_t mnt_id_old, mnt_parent_id_old;
    uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
    uint32_t mnt_root;   // [string]
    uint32_t mnt_point;  // [string] relative to the process's root
    uint64_t spare[50];
    // the strings follow
};
static_assert(sizeof(statmount_reply) == 512 && offsetof(statmount_reply, mnt_point) == 108);

struct FileDeleter {
    void operator()(FILE* f) const { std::fclose(f); }
};

bool has_option(const char* optstr, const char* name)
{
    return optstr && libmount().optstr_get_option(optstr, name, nullptr, nullptr) == 0;
}

// libmount's default is to skip a line it cannot parse; a report must not skip a mount.
int refuse_bad_line(libmnt_table*, const char*, int)
{
    return -1;
}

}  // namespace

bool Mount::has_fs_option(std::string_view name) const
{
    return has_option(fs_options.c_str(), std::string(name).c_str());
}

std::vector<std::pair<std::string, std::string>> options_of(std::string_view optstr)
{
    // libmount's rules (mnt_optstr_next_option), without loading libmount: options are split at
    // commas outside double quotes, empty ones skipped; a name ends at its first '=' (not the
    // option's first character); quotes stay in the value. The unit tests hold this to
    // libmount's own parser.
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t i = 0; i < optstr.size();) {
        if (optstr[i] == ',') {
            ++i;
            continue;
        }
        const size_t start = i;
        size_t sep = std::string_view::npos;
        bool quoted = false;
        for (; i < optstr.size(); ++i) {
            char c = optstr[i];
            if (c == '"')
                quoted = !quoted;
            else if (!quoted && c == ',')
                break;
            else if (!quoted && c == '=' && sep == std::string_view::npos && i > start)
                sep = i;
        }
        if (quoted)  // libmount drops such an option silently; a kernel never writes one
            throw Error("the mount options \"" + std::string(optstr) + "\" have an unterminated quote");
        if (sep == std::string_view::npos)
            out.emplace_back(optstr.substr(start, i - start), "");
        else
            out.emplace_back(optstr.substr(start, sep - start), optstr.substr(sep + 1, i - sep - 1));
    }
    return out;
}

std::optional<Mount> kernel_mount_of(int fd)
{
    struct statx stx {};
    if (statx(fd, "", AT_EMPTY_PATH, statx_mnt_id_unique, &stx) != 0)
        throw system_error("cannot find the mount of a file descriptor", errno);
    if (!(stx.stx_mask & statx_mnt_id_unique))
        return std::nullopt;  // before Linux 6.8: no unique mount ids, no statmount
    mnt_id_request req {};
    req.size = sizeof req;
    req.mnt_id = stx.stx_mnt_id;
    req.param = statmount_fs_type | statmount_mnt_point | statmount_mnt_opts;
    // The fixed part is 512 bytes; an overlay's options with long layer lists need more.
    std::vector<uint64_t> buffer(4096 / sizeof(uint64_t));
    for (;;) {
        size_t bytes = buffer.size() * sizeof(uint64_t);
        if (syscall(statmount_syscall, &req, buffer.data(), bytes, 0) == 0)
            break;
        if (errno == EOVERFLOW && bytes < (64u << 20)) {
            buffer.resize(buffer.size() * 4);
            continue;
        }
        // ENOSYS: no statmount; EPERM: a seccomp filter around hardrun that does not know it.
        if (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == EOPNOTSUPP)
            return std::nullopt;
        throw system_error("statmount of mount " + std::to_string(stx.stx_mnt_id) + " failed", errno);
    }
    const auto* sm = reinterpret_cast<const statmount_reply*>(buffer.data());
    const uint64_t wanted = statmount_fs_type | statmount_mnt_point | statmount_mnt_opts;
    // No options in the reply: a kernel before 6.10, or a filesystem that shows none (the kernel
    // leaves the field out then). An overlay always shows its layers.
    if ((sm->mask & wanted) != wanted)
        return std::nullopt;
    const char* strings = reinterpret_cast<const char*>(buffer.data()) + sizeof(statmount_reply);
    const char* end = reinterpret_cast<const char*>(buffer.data()) + std::min<size_t>(sm->size, buffer.size() * 8);
    auto string_at = [&](uint32_t offset) {
        const char* s = strings + offset;
        if (s >= end)
            throw Error("statmount returned a string outside its reply");
        return std::string(s, strnlen(s, size_t(end - s)));
    };
    Mount m;  // id stays 0: the kernel's unique id is not mountinfo's, and does not fit an int
    m.fstype = string_at(sm->fs_type);
    m.target = string_at(sm->mnt_point);
    m.fs_options = string_at(sm->mnt_opts);
    return m;
}

unsigned long apply_mount_options(std::string_view optstr, unsigned long flags)
{
    const LibMount& lib = libmount();
    std::string copy(optstr);
    if (lib.optstr_get_flags(copy.c_str(), &flags, lib.get_builtin_optmap(MNT_LINUX_MAP)) != 0)
        throw Error("libmount cannot parse the mount options \"" + copy + "\"");
    return flags;
}

std::vector<std::string> builtin_option_names()
{
    std::vector<std::string> out;
    for (const libmnt_optmap* m = libmount().get_builtin_optmap(MNT_LINUX_MAP); m && m->name; ++m)
        out.emplace_back(m->name);
    return out;
}

std::vector<Mount> parse_mountinfo(std::string_view text)
{
    const LibMount& lib = libmount();
    std::vector<Mount> out;
    if (text.empty())
        return out;
    // fmemopen needs a writable buffer for mode "r" only in old glibc; keep our own copy.
    std::string copy(text);
    std::unique_ptr<FILE, FileDeleter> f(fmemopen(copy.data(), copy.size(), "r"));
    if (!f)
        throw Error("mountinfo: cannot open a memory stream");
    std::unique_ptr<libmnt_table, decltype(lib.unref_table)> table(lib.new_table(), lib.unref_table);
    std::unique_ptr<libmnt_iter, decltype(lib.free_iter)> iter(lib.new_iter(MNT_ITER_FORWARD), lib.free_iter);
    if (!table || !iter)
        throw Error("mountinfo: out of memory");
    lib.set_parser_errcb(table.get(), refuse_bad_line);
    if (lib.parse_stream(table.get(), f.get(), "mountinfo") != 0)
        throw Error("mountinfo: libmount cannot parse it");
    libmnt_fs* fs = nullptr;
    while (lib.next_fs(table.get(), iter.get(), &fs) == 0) {
        Mount m;
        auto str = [](const char* s) { return std::string(s ? s : ""); };
        m.id = lib.get_id(fs);
        m.target = str(lib.get_target(fs));
        m.fstype = str(lib.get_fstype(fs));
        m.root = str(lib.get_root(fs));
        m.fs_options = str(lib.get_fs_options(fs));
        const char* vfs = lib.get_vfs_options(fs);
        m.read_only = has_option(vfs, "ro") || has_option(m.fs_options.c_str(), "ro");
        m.nosuid = has_option(vfs, "nosuid");
        m.nodev = has_option(vfs, "nodev");
        m.noexec = has_option(vfs, "noexec");
        if (m.target.empty())
            throw Error("mountinfo: a line without a mount point");
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<Mount> own_mounts()
{
    std::optional<std::string> text = read_small_file("/proc/self/mountinfo", 64u << 20);
    if (!text)
        throw Error("cannot read /proc/self/mountinfo");
    return parse_mountinfo(*text);
}

const Mount* mount_at(const std::vector<Mount>& mounts, std::string_view target)
{
    const Mount* found = nullptr;
    for (const Mount& m : mounts)
        if (m.target == target)
            found = &m;
    return found;
}

}  // namespace hardrun::live
