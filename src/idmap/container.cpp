#include "idmap/container.hpp"

#include "harden/pipeline.hpp"
#include "idmap/host.hpp"
#include "spec/fields.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace hardrun::idmap {
namespace {

// `path` as the controls checked it (absolute, symlinks resolved then): opened without following
// any symlink, so a component swapped for one since fails.
UniqueFd open_checked(const std::string& path, uint64_t flags)
{
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC | flags;
    how.resolve = RESOLVE_NO_SYMLINKS;
    UniqueFd fd(int(syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how)));
    if (!fd)
        throw system_error("cannot open " + path + (errno == ELOOP ? " (it changed into a symlink after it was checked)" : ""),
                           errno);
    return fd;
}

// A path (or directory) of the layers of an overlay, from the mount table: engine paths.
UniqueFd open_path(const std::string& path, int flags)
{
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC | flags));
    if (!fd)
        throw system_error("cannot open " + path, errno);
    return fd;
}

// `relative` inside the tree at `root`, symlinks resolved as if `root` were "/" (as runc does).
int open_in_root(int root, const std::string& relative, uint64_t flags)
{
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC | flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return int(syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
}

// Create `destination` (absolute inside the container) under the rootfs `root` if missing:
// its parents as directories, itself as a directory or an empty file.
void create_mount_point(int root, const std::string& rootfs, const std::string& destination, bool directory)
{
    std::vector<std::string> parts;
    for (size_t start = 0; start < destination.size();) {
        size_t end = destination.find('/', start);
        if (end == std::string::npos)
            end = destination.size();
        if (end > start && destination.compare(start, end - start, ".") != 0)
            parts.push_back(destination.substr(start, end - start));
        start = end + 1;
    }
    std::string prefix;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "..")
            throw Error("mount destination " + destination + " contains \"..\"");
        std::string parent = prefix.empty() ? "." : prefix;
        prefix += (prefix.empty() ? "" : "/") + parts[i];
        UniqueFd existing(open_in_root(root, prefix, 0));
        if (existing)
            continue;
        if (errno != ENOENT)
            throw system_error("cannot resolve " + destination + " in " + rootfs, errno);
        UniqueFd dir(open_in_root(root, parent, O_DIRECTORY));
        if (!dir)
            throw system_error("cannot resolve " + destination + " in " + rootfs, errno);
        bool last = i + 1 == parts.size();
        int rc = 0;
        if (last && !directory) {
            UniqueFd file(openat(dir.get(), parts[i].c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
            rc = file ? 0 : -1;
        } else {
            rc = mkdirat(dir.get(), parts[i].c_str(), 0755);
        }
        if (rc != 0 && errno != EEXIST)  // EEXIST: a dangling symlink, left to runc
            throw system_error("cannot create the mount point " + destination + " in " + rootfs, errno);
    }
}

// The overlay rootfs's layers, top first: the caller's upper layer (read-only here), then its lowers.
std::vector<std::string> layers_of(const MountOf& mount)
{
    std::vector<std::string> names;
    if (!mount.upper.empty())
        names.push_back(mount.upper);
    names.insert(names.end(), mount.lower.begin(), mount.lower.end());
    return names;
}

// An overlay rootfs can be shown only as a new read-only overlay of its idmapped layers.
void require_overlay_shape(json::Value& config, const MountOf& mount, const std::string& rootfs)
{
    if (!mount.is_mount_root)
        throw Error("cannot idmap the rootfs " + rootfs + ": it is a directory inside an overlay mount, not the mount itself");
    json::Value* readonly = spec::object_at(config, {"root"}) ? spec::field(*spec::object_at(config, {"root"}), "readonly", json::Kind::boolean, "/root") : nullptr;
    if (!readonly || !readonly->as_bool())
        throw Error("the rootfs " + rootfs + " is an overlay and the root is writable: hardrun idmaps an overlay's "
                    "layers into a new read-only overlay, so a user namespace needs a read-only root (keep the "
                    "rootfs control on, or turn the userNamespace control off for this profile)");
}

bool root_readonly(json::Value& config)
{
    json::Value* root = spec::object_at(config, {"root"});
    json::Value* readonly = root ? spec::field(*root, "readonly", json::Kind::boolean, "/root") : nullptr;
    return readonly && readonly->as_bool();
}

// The form the overlay's layers are given in: the policy's, or the one the host's probe found.
LayerForm layer_form(policy::UserNamespace::OverlayLayers setting)
{
    if (setting != policy::UserNamespace::OverlayLayers::automatic)
        return *choose_form(setting, {}).form;
    FormChoice choice = choose_form(setting, host_support());
    if (!choice.form)
        throw Error("cannot stack idmapped layers in an overlay: " + choice.why_none);
    return *choice.form;
}

// The rootfs, mounted at `target`: an idmapped copy of a plain directory, or an overlay of
// idmapped layers.
void mount_idmapped_rootfs(json::Value& config, const std::string& rootfs, int userns, const std::string& target,
                           const std::string& layer_dir, policy::UserNamespace::OverlayLayers setting)
{
    UniqueFd root = open_checked(rootfs, O_DIRECTORY);
    MountOf mount = mount_of(root.get(), rootfs);
    if (!mount.overlay) {
        UniqueFd copy = idmapped_copy(root.get(), rootfs, userns, true);
        // runc remounts a read-only root with MS_BIND|MS_REMOUNT|MS_RDONLY, which drops the
        // source mount's noexec, nosuid and nodev (a rootfs under Debian's noexec /run runs under
        // plain runc). Inside the container's user namespace those flags of hardrun's copy are
        // locked and runc's remount keeps them: drop them here, exactly where runc would.
        if (root_readonly(config))
            clear_attributes(copy.get(), rootfs, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        attach(copy.get(), target);
        return;
    }
    require_overlay_shape(config, mount, rootfs);
    LayerForm form = layer_form(setting);

    // Mount points runc will need, made through the caller's writable rootfs: the new overlay
    // is read-only.
    json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
    for (size_t i = 0; mounts && i < mounts->items().size(); ++i) {
        std::string w;
        json::Value& m = spec::object_item(*mounts, i, "/mounts", w);
        json::Value* dest = spec::field(m, "destination", json::Kind::string, w);
        if (!dest)
            continue;
        bool directory = true;
        json::Value* source = spec::field(m, "source", json::Kind::string, w);
        if (source && spec::is_bind_mount(m, w)) {
            struct stat st {};
            directory = stat(source->as_string().c_str(), &st) != 0 || S_ISDIR(st.st_mode);
        }
        create_mount_point(root.get(), rootfs, dest->as_string(), directory);
    }
    if (json::Value* process = spec::object_at(config, {"process"}))
        if (json::Value* cwd = spec::field(*process, "cwd", json::Kind::string, "/process"))
            create_mount_point(root.get(), rootfs, cwd->as_string(), true);

    std::vector<std::string> names = layers_of(mount);
    std::vector<UniqueFd> layers;
    for (const std::string& name : names) {
        UniqueFd layer = open_path(name, O_DIRECTORY);
        layers.push_back(idmapped_copy(layer.get(), name, userns, false));
    }
    mount_overlay(form, layers, names, layer_dir, target);
}

}  // namespace

std::vector<Unmapped> idmap_container(json::Value& config, const harden::Report& report, state::Container& state,
                                      const IdRange& range, policy::UserNamespace::OverlayLayers setting)
{
    std::vector<Unmapped> unmapped;
    UniqueFd userns = user_namespace(range);
    json::Value originals = json::Value::object();

    json::Value& root = spec::make_object_at(config, {"root"});
    json::Value* root_path = spec::field(root, "path", json::Kind::string, "/root");
    if (!root_path)
        throw Error("/root/path is missing");
    const std::string& rootfs = report.checked_rootfs;
    if (rootfs.empty())
        throw Error("internal error: the rootfs was not checked");
    std::string rootfs_target = state.mount_point("rootfs", true);
    mount_idmapped_rootfs(config, rootfs, userns.get(), rootfs_target, state.dir() + "/layers", setting);
    originals.set("root", *root_path);
    root.set("path", json::Value::string(rootfs_target));

    json::Value sources = json::Value::object();
    json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
    if (mounts && mounts->items().size() > 0)
        state.mount_point("binds", true);
    for (size_t i = 0; mounts && i < mounts->items().size(); ++i) {
        std::string w;
        json::Value& m = spec::object_item(*mounts, i, "/mounts", w);
        json::Value* source = spec::field(m, "source", json::Kind::string, w);
        if (!source || !spec::is_bind_mount(m, w))
            continue;
        auto checked = report.checked_sources.find(i);
        if (checked == report.checked_sources.end())
            throw Error("internal error: " + w + " was not checked");
        const std::string& path = checked->second;
        UniqueFd fd = open_checked(path, 0);
        struct stat st {};
        if (fstat(fd.get(), &st) != 0)
            throw system_error("cannot stat " + path, errno);
        json::Value& options = spec::field(m, "options", json::Kind::array, w)
                                   ? *spec::field(m, "options", json::Kind::array, w)
                                   : m.set("options", json::Value::array());
        UniqueFd copy;
        try {
            copy = idmapped_copy(fd.get(), path, userns.get(), spec::has_option(&options, "rbind"));
        } catch (const NotIdmappable& e) {
            // A source on a filesystem this kernel cannot idmap (podman's hosts, resolv.conf and
            // .containerenv live on /run, a tmpfs: idmappable from Linux 6.3) is bound as it is.
            // The user namespace stays: the container's root (an unprivileged host uid) sees the
            // source's files owned by nobody and reaches them only through their permissions for
            // others; nothing is gained, some writes are lost.
            unmapped.push_back({w + "/source", e.what()});
            copy = plain_copy(fd.get(), path, spec::has_option(&options, "rbind"));
        }
        std::string target = state.mount_point("binds/" + std::to_string(i), S_ISDIR(st.st_mode));
        attach(copy.get(), target);
        struct statvfs sv {};
        if (statvfs(target.c_str(), &sv) == 0)
            for (const std::string& option : locked_options(sv.f_flag))
                if (!spec::has_option(&options, option))
                    options.items().push_back(json::Value::string(option));
        sources.set(std::to_string(i), *source);
        m.set("source", json::Value::string(target));
    }
    originals.set("mounts", std::move(sources));
    spec::object_field(config, "annotations", "/").set(harden::idmap_annotation,
                                                        json::Value::string(json::serialize(originals)));
    return unmapped;
}

std::vector<Unmapped> check_idmap(json::Value& config, const harden::Report& report, const IdRange& range,
                                  policy::UserNamespace::OverlayLayers setting)
{
    std::vector<Unmapped> unmapped;
    UniqueFd userns = user_namespace(range);
    const std::string& rootfs = report.checked_rootfs;
    if (rootfs.empty())
        throw Error("internal error: the rootfs was not checked");
    UniqueFd root = open_checked(rootfs, O_DIRECTORY);
    MountOf mount = mount_of(root.get(), rootfs);
    if (!mount.overlay) {
        idmapped_copy(root.get(), rootfs, userns.get(), true);
    } else {
        require_overlay_shape(config, mount, rootfs);
        layer_form(setting);
        for (const std::string& name : layers_of(mount))
            idmapped_copy(open_path(name, O_DIRECTORY).get(), name, userns.get(), false);
    }
    for (const auto& [index, path] : report.checked_sources) {
        json::Value* mounts = spec::field(config, "mounts", json::Kind::array, "/");
        std::string w;
        json::Value& m = spec::object_item(*mounts, index, "/mounts", w);
        json::Value* options = spec::field(m, "options", json::Kind::array, w);
        try {
            idmapped_copy(open_checked(path, 0).get(), path, userns.get(), spec::has_option(options, "rbind"));
        } catch (const NotIdmappable& e) {
            unmapped.push_back({w + "/source", e.what()});  // bound as it is, as idmap_container does
        }
    }
    return unmapped;
}

}  // namespace hardrun::idmap
