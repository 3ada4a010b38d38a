// The user-namespace part of a create, step by step, without tracing: what a full-policy create
// does beyond an audit one, timed with the monotonic clock around each of hardrun's own calls, in
// the order create.cpp and idmap/container.cpp make them. Each round runs in a fresh child
// process, so that what a create pays once per process (loading libmount) is paid every round,
// as it is by every create. Prints one JSON object: per step, the median over the rounds in us.
//
//   hardrun-bench-idmap-steps MERGED_OVERLAY_DIR ROUNDS
//
// Root only: it makes a user namespace and mounts, under /run/hardrun/containers/<id> as hardrun
// does, and removes them again each round (the removal is timed too: it is delete's work).
#include "idmap/host.hpp"
#include "idmap/idmap.hpp"
#include "policy/policy.hpp"
#include "runtime/runtime.hpp"
#include "state/state.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace hardrun;

double now_us()
{
    struct timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// The steps, in order; each child writes one double per step to the pipe.
const char* const steps[] = {
    "state_dir",        // leftover check, the locked state directory, runc's root recorded
    "allocate_ids",     // /etc/subuid read, a slice file created exclusively
    "user_namespace",   // the helper process in a new user namespace, its two maps, the ns fd
    "mount_of",         // the overlay's layers: statmount of its mount, or (before Linux 6.10)
                        // libmount loaded and /proc/self/mountinfo parsed
    "host_support",     // the probe's cached verdict read
    "idmap_layers",     // per layer: open, open_tree, mount_setattr private, mount_setattr idmap
    "mount_overlay",    // the read-only overlay of the idmapped layers, attached in the state dir
    "spawn_runtime",    // the runtime (/bin/true here) run as a child: posix_spawn, wait
    "remove_state",     // delete's part: unmount, free the slice, remove the directory
};
constexpr size_t step_count = std::size(steps);

void one_round(const std::string& merged, int round, int out)
{
    double t[step_count] = {};
    size_t i = 0;
    double mark = now_us();
    auto lap = [&] {
        double n = now_us();
        t[i++] = n - mark;
        mark = n;
    };
    std::string id = "bench-idmap-steps-" + std::to_string(getpid()) + "-" + std::to_string(round);
    policy::Policy policy = policy::parse(policy::builtin_policy_text, "built-in");
    mark = now_us();

    if (state::Container::open(id))
        throw Error("leftover state for " + id);
    state::Container c = state::Container::create(id, "");
    lap();
    idmap::IdRange range = c.allocate(policy.user_namespace.owner, policy.user_namespace.shared);
    lap();
    UniqueFd userns = idmap::user_namespace(range);
    lap();
    UniqueFd root(open(merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root)
        throw system_error("cannot open " + merged, errno);
    idmap::MountOf mount = idmap::mount_of(root.get(), merged);
    if (!mount.overlay || !mount.is_mount_root)
        throw Error(merged + " is not the root of an overlay mount");
    lap();
    idmap::FormChoice choice = idmap::choose_form(policy.user_namespace.overlay_layers, idmap::host_support());
    if (!choice.form)
        throw Error("no overlay form: " + choice.why_none);
    lap();
    std::vector<std::string> names;
    if (!mount.upper.empty())
        names.push_back(mount.upper);
    names.insert(names.end(), mount.lower.begin(), mount.lower.end());
    std::vector<UniqueFd> layers;
    for (const std::string& name : names) {
        UniqueFd layer(open(name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!layer)
            throw system_error("cannot open " + name, errno);
        layers.push_back(idmap::idmapped_copy(layer.get(), name, userns.get(), false));
    }
    lap();
    idmap::mount_overlay(*choice.form, layers, names, c.dir() + "/layers", c.mount_point("rootfs", true));
    lap();
    runtime::Exit exit = runtime::run("/bin/true", {});
    if (exit.status != 0)
        throw Error("/bin/true failed");
    lap();
    layers.clear();
    userns.reset();
    c.remove();
    lap();
    if (write(out, t, sizeof t) != ssize_t(sizeof t))
        _exit(3);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s MERGED_OVERLAY_DIR ROUNDS\n", argv[0]);
        return 2;
    }
    const std::string merged = argv[1];
    const int rounds = std::atoi(argv[2]);
    std::map<std::string, std::vector<double>> times;
    size_t layer_count = 0;
    for (int r = 0; r < rounds; ++r) {
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            try {
                one_round(merged, r, fds[1]);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "hardrun-bench-idmap-steps: %s\n", e.what());
                _exit(1);
            }
            _exit(0);
        }
        close(fds[1]);
        double t[step_count] = {};
        ssize_t n = read(fds[0], t, sizeof t);
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (n != ssize_t(sizeof t) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 1;
        for (size_t i = 0; i < step_count; ++i)
            times[steps[i]].push_back(t[i]);
    }
    {
        UniqueFd root(open(merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        idmap::MountOf m = idmap::mount_of(root.get(), merged);
        layer_count = m.lower.size() + (m.upper.empty() ? 0 : 1);
    }
    std::printf("{\"rounds\": %d, \"layers\": %zu", rounds, layer_count);
    double create_total = 0;
    for (size_t i = 0; i < step_count; ++i) {
        std::vector<double>& xs = times[steps[i]];
        std::sort(xs.begin(), xs.end());
        double median = xs.size() % 2 ? xs[xs.size() / 2] : (xs[xs.size() / 2 - 1] + xs[xs.size() / 2]) / 2;
        if (std::string(steps[i]) != "remove_state")
            create_total += median;
        std::printf(", \"%s_us\": %.1f", steps[i], median);
    }
    std::printf(", \"create_steps_total_us\": %.1f}\n", create_total);
    return 0;
}
