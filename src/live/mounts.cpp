#include "live/mounts.hpp"

#include "util/error.hpp"

#include <libmount/libmount.h>

#include <cstdio>
#include <memory>

namespace hardrun::live {
namespace {

struct TableDeleter {
    void operator()(libmnt_table* t) const { mnt_unref_table(t); }
};
struct IterDeleter {
    void operator()(libmnt_iter* i) const { mnt_free_iter(i); }
};
struct FileDeleter {
    void operator()(FILE* f) const { std::fclose(f); }
};

bool has_option(const char* optstr, const char* name)
{
    return optstr && mnt_optstr_get_option(optstr, name, nullptr, nullptr) == 0;
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

std::vector<Mount> parse_mountinfo(std::string_view text)
{
    std::vector<Mount> out;
    if (text.empty())
        return out;
    // fmemopen needs a writable buffer for mode "r" only in old glibc; keep our own copy.
    std::string copy(text);
    std::unique_ptr<FILE, FileDeleter> f(fmemopen(copy.data(), copy.size(), "r"));
    if (!f)
        throw Error("mountinfo: cannot open a memory stream");
    std::unique_ptr<libmnt_table, TableDeleter> table(mnt_new_table());
    std::unique_ptr<libmnt_iter, IterDeleter> iter(mnt_new_iter(MNT_ITER_FORWARD));
    if (!table || !iter)
        throw Error("mountinfo: out of memory");
    mnt_table_set_parser_errcb(table.get(), refuse_bad_line);
    if (mnt_table_parse_stream(table.get(), f.get(), "mountinfo") != 0)
        throw Error("mountinfo: libmount cannot parse it");
    libmnt_fs* fs = nullptr;
    while (mnt_table_next_fs(table.get(), iter.get(), &fs) == 0) {
        Mount m;
        auto str = [](const char* s) { return std::string(s ? s : ""); };
        m.target = str(mnt_fs_get_target(fs));
        m.fstype = str(mnt_fs_get_fstype(fs));
        m.root = str(mnt_fs_get_root(fs));
        m.fs_options = str(mnt_fs_get_fs_options(fs));
        const char* vfs = mnt_fs_get_vfs_options(fs);
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

const Mount* mount_at(const std::vector<Mount>& mounts, std::string_view target)
{
    const Mount* found = nullptr;
    for (const Mount& m : mounts)
        if (m.target == target)
            found = &m;
    return found;
}

}  // namespace hardrun::live
