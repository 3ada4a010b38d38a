#include "idmap/host.hpp"

#include "idmap/idmap.hpp"
#include "state/state.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hardrun::idmap {
namespace {

// The owner the probe's files (root's on disk) must show through the overlay: any id the
// probe's mapping alone produces.
constexpr uint32_t probe_id = 1234567;

std::string cache_path() { return std::string(state::state_root) + "/host-support"; }

std::string one_line(std::string s)
{
    for (char& c : s)
        if (c == '\n' || c == '\t')
            c = ' ';
    return s;
}

void make_file(const std::string& path)
{
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd)
        throw system_error("cannot create " + path, errno);
}

UniqueFd open_dir(const std::string& path)
{
    UniqueFd fd(open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd)
        throw system_error("cannot open " + path, errno);
    return fd;
}

// An overlay in `form` over idmapped copies of the probe's layers a and b: "" when it mounts and
// shows a's file with the owner the mapping gives, else why not.
std::string try_form(LayerForm form, const std::string& dir, int userns)
{
    std::string target = dir + "/merged-" + form_name(form);
    try {
        std::vector<UniqueFd> layers;
        std::vector<std::string> names;
        for (const char* name : {"a", "b"}) {
            names.push_back(dir + "/" + name);
            layers.push_back(idmapped_copy(open_dir(names.back()).get(), names.back(), userns, false));
        }
        if (mkdir(target.c_str(), 0700) != 0)
            throw system_error("cannot create " + target, errno);
        mount_overlay(form, layers, names, dir + "/layers-" + form_name(form), target);
        struct stat st {};
        int rc = stat((target + "/a/file").c_str(), &st);
        int err = errno;
        umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
        if (rc != 0)
            return std::string("the overlay mounted but its file cannot be read: ") + strerror(err);
        if (st.st_uid != probe_id)
            return "the overlay shows the layer's file as uid " + std::to_string(st.st_uid) + ", not the mapped " +
                   std::to_string(probe_id);
        return "";
    } catch (const Error& e) {
        umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
        return e.what();
    }
}

}  // namespace

const char* form_name(LayerForm form)
{
    switch (form) {
    case LayerForm::fd: return "fd";
    case LayerForm::path: return "path";
    case LayerForm::lowerdir: return "lowerdir";
    }
    return "?";
}

const std::string& HostSupport::failure(LayerForm form) const
{
    return form == LayerForm::fd ? fd : form == LayerForm::path ? path : lowerdir;
}

HostSupport probe_host(const std::vector<std::string>& bases)
{
    HostSupport host;
    host.kernel = kernel_release();
    UniqueFd userns = user_namespace({probe_id, probe_id, 1});
    for (const std::string& base : bases) {
        if (std::string why = own_dir(base, 0711, false); !why.empty()) {
            host.no_idmap += (host.no_idmap.empty() ? "" : "; ") + why;
            continue;
        }
        std::string pattern = base + "/probe.XXXXXX";
        if (!mkdtemp(pattern.data())) {
            host.no_idmap += (host.no_idmap.empty() ? "" : "; ") + std::string("cannot create a directory in ") +
                             base + ": " + strerror(errno);
            continue;
        }
        const std::string& dir = pattern;
        try {
            for (const char* name : {"a", "b"}) {
                std::string layer = dir + "/" + name;
                if (mkdir(layer.c_str(), 0755) != 0)
                    throw system_error("cannot create " + layer, errno);
                if (mkdir((layer + "/" + name).c_str(), 0755) != 0)
                    throw system_error("cannot create " + layer + "/" + name, errno);
                make_file(layer + "/" + name + "/file");
            }
            // Whether this filesystem idmaps at all (tmpfs: Linux 6.3); if not, the next base.
            idmapped_copy(open_dir(dir + "/a").get(), dir + "/a", userns.get(), false);
            host.scratch = base;
            host.no_idmap.clear();
            host.fd = try_form(LayerForm::fd, dir, userns.get());
            host.path = try_form(LayerForm::path, dir, userns.get());
            host.lowerdir = try_form(LayerForm::lowerdir, dir, userns.get());
        } catch (const Error& e) {
            host.no_idmap += (host.no_idmap.empty() ? "" : "; ") + std::string(e.what());
        }
        // Every mount in it is gone (try_form, mount_overlay); should one be left, the probe's
        // directory stays rather than anything below that mount being removed.
        try {
            UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            struct stat st {};
            if (fd && fstat(fd.get(), &st) == 0) {
                remove_tree(fd.get(), st.st_dev, dir);
                rmdir(dir.c_str());
            }
        } catch (const Error&) {
        }
        if (!host.scratch.empty())
            break;
    }
    if (host.scratch.empty())
        host.fd = host.path = host.lowerdir = "no scratch layer could be idmapped: " + host.no_idmap;
    return host;
}

HostSupport host_support(bool fresh)
{
    std::string kernel = kernel_release(), boot = first_line_of("/proc/sys/kernel/random/boot_id", 4096);
    if (!fresh) {
        HostSupport cached;
        std::string cached_boot;
        std::string text = read_small_file(cache_path(), 64u << 10).value_or("");
        for (std::string_view line : lines_of(text)) {
            size_t tab = line.find('\t');
            if (tab == std::string_view::npos)
                continue;
            std::string_view key = line.substr(0, tab), value = line.substr(tab + 1);
            std::string* field = key == "kernel"     ? &cached.kernel
                                 : key == "boot"     ? &cached_boot
                                 : key == "scratch"  ? &cached.scratch
                                 : key == "no_idmap" ? &cached.no_idmap
                                 : key == "fd"       ? &cached.fd
                                 : key == "path"     ? &cached.path
                                 : key == "lowerdir" ? &cached.lowerdir
                                                     : nullptr;
            if (field)
                *field = value;
        }
        if (cached.kernel == kernel && !boot.empty() && cached_boot == boot)
            return cached;
    }
    // The scratch layer lies where hardrun keeps its state, else on the root filesystem (a tmpfs
    // /run idmaps only from Linux 6.3; the forms are a property of the kernel, not of the layer's
    // filesystem).
    HostSupport host = probe_host({state::state_root, "/var/lib/hardrun"});
    std::string text = "kernel\t" + one_line(host.kernel) + "\nboot\t" + boot + "\nscratch\t" + host.scratch +
                       "\nno_idmap\t" + one_line(host.no_idmap) + "\nfd\t" + one_line(host.fd) + "\npath\t" +
                       one_line(host.path) + "\nlowerdir\t" + one_line(host.lowerdir) + "\n";
    try {
        if (own_dir(state::state_root, 0711, true).empty())
            write_file_atomically(cache_path(), text, 0644);
    } catch (const Error&) {
        // Not cached: the next create probes again.
    }
    return host;
}

FormChoice choose_form(policy::UserNamespace::OverlayLayers setting, const HostSupport& host)
{
    using O = policy::UserNamespace::OverlayLayers;
    switch (setting) {
    case O::fd: return {LayerForm::fd, ""};
    case O::path: return {LayerForm::path, ""};
    case O::lowerdir: return {LayerForm::lowerdir, ""};
    case O::automatic: break;
    }
    for (LayerForm form : {LayerForm::fd, LayerForm::path, LayerForm::lowerdir})
        if (host.failure(form).empty())
            return {form, ""};
    if (!host.no_idmap.empty() || host.scratch.empty())
        return {std::nullopt, "Linux " + host.kernel + " cannot idmap hardrun's probe layer (" + host.no_idmap + ")"};
    return {std::nullopt, "Linux " + host.kernel + " stacks no idmapped layer in an overlay (probed: fd: " + host.fd +
                              "; path: " + host.path + "; lowerdir: " + host.lowerdir + ")"};
}

}  // namespace hardrun::idmap
