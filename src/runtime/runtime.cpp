#include "runtime/runtime.hpp"

#include "json/value.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace hardrun::runtime {
namespace {

// Same inode as the running binary.
bool is_self(const std::string& path)
{
    struct stat self {}, other {};
    if (stat("/proc/self/exe", &self) != 0 || stat(path.c_str(), &other) != 0)
        return false;
    return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

bool is_executable_file(const std::string& path)
{
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::vector<char*> make_argv(const std::string& path, const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    argv.reserve(args.size() + 2);
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    return argv;
}

// The child that run() forwards signals to. A signal handler can only reach it through a
// global; it is set and cleared around the wait.
volatile sig_atomic_t forward_to = 0;

void forward(int sig)
{
    if (forward_to > 0)
        kill(pid_t(forward_to), sig);
}

constexpr int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// What run()'s child needs between the clone and its exec, and the exec's errno if it fails.
struct Child {
    const char* path;
    char* const* argv;
    const sigset_t* mask;  // the caller's signal mask, the runtime's from its exec on
    int error;
};

// run()'s child, from the clone to the exec of the runtime. It runs on hardrun's memory while
// hardrun waits (CLONE_VM | CLONE_VFORK), so it does only what the exec needs: the forwarded
// signals back to their default action (hardrun's handler must not run here between the unblock
// and the exec), the caller's mask, the exec. glibc's posix_spawn, which this replaces, resets
// all 64 signals' actions in its child (about 100 syscalls: 0.19 ms per spawn on the benchmark
// machine), most of which hardrun never sets. Not instrumented: the sanitizers' bookkeeping
// would run on a stack the child never unwinds.
__attribute__((no_sanitize("address", "undefined"))) int exec_child(void* arg)
{
    Child* child = static_cast<Child*>(arg);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig : forwarded_signals)
        sigaction(sig, &default_action, nullptr);
    sigprocmask(SIG_SETMASK, child->mask, nullptr);
    execve(child->path, child->argv, environ);
    child->error = errno ? errno : ENOEXEC;  // hardrun reads it once the child has exited
    _exit(127);
}

Exit wait_for(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return {1, false};
    }
    if (WIFEXITED(status))
        return {WEXITSTATUS(status), true};
    return {WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1, false};
}

}  // namespace

std::string locate(const std::optional<std::string>& from_flag, const std::optional<std::string>& from_policy)
{
    std::string wanted = from_flag ? *from_flag : from_policy ? *from_policy : "runc";
    const char* origin = from_flag ? "--hardrun-runtime" : from_policy ? "the policy's \"runtime\"" : "the default";
    if (wanted.empty())
        throw Error("the real runtime named by " + std::string(origin) + " is empty");

    if (wanted.find('/') != std::string::npos) {
        if (!is_executable_file(wanted))
            throw Error("the real runtime " + wanted + " (from " + origin + ") is missing or not executable");
        if (is_self(wanted))
            throw Error("the real runtime " + wanted + " (from " + origin + ") is hardrun itself");
        return wanted;
    }

    // PATH is the only environment variable hardrun reads, and only for a caller who is root
    // (real and effective uid 0, no set-ID or file-capability elevation): for anyone else the
    // system directories are searched, so no environment can choose the runtime for them.
    const char* env_path = getuid() == 0 && geteuid() == 0 ? secure_getenv("PATH") : nullptr;
    std::string search = env_path && *env_path ? env_path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= search.size()) {
        size_t end = search.find(':', start);
        if (end == std::string::npos)
            end = search.size();
        std::string dir = search.substr(start, end - start);
        start = end + 1;
        if (dir.empty() || dir[0] != '/')
            continue;  // relative PATH entries would depend on the caller's cwd
        std::string candidate = dir + "/" + wanted;
        if (is_executable_file(candidate) && !is_self(candidate))
            return candidate;
    }
    throw Error("the real runtime \"" + wanted + "\" (from " + origin + ") was not found on PATH (" + search +
                "); install runc or name it with --hardrun-runtime");
}

void exec(const std::string& path, const std::vector<std::string>& args)
{
    std::vector<char*> argv = make_argv(path, args);
    execv(path.c_str(), argv.data());
    throw system_error("cannot execute the real runtime " + path, errno);
}

Exit run(const std::string& path, const std::vector<std::string>& args)
{
    std::vector<char*> argv = make_argv(path, args);
    // Handlers go in before the spawn, so a signal cannot fall between the two. Every signal is
    // blocked from before the clone until the child is known: no handler runs in the child on
    // the memory it shares with hardrun, and none forwards a signal before forward_to is set.
    struct sigaction action {}, saved[std::size(forwarded_signals)] {};
    action.sa_handler = forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (size_t i = 0; i < std::size(forwarded_signals); ++i)
        sigaction(forwarded_signals[i], &action, &saved[i]);
    sigset_t all, mask;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &mask);
    // The child's stack: hardrun is stopped while the child uses it (CLONE_VFORK).
    alignas(16) char stack[64 * 1024];
    Child child{path.c_str(), argv.data(), &mask, 0};
    pid_t pid = clone(exec_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
    int err = pid < 0 ? errno : child.error;
    if (pid > 0 && child.error != 0) {  // it could not execute the runtime: reap it
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    const bool started = pid > 0 && child.error == 0;
    if (started)
        forward_to = pid;
    sigprocmask(SIG_SETMASK, &mask, nullptr);
    Exit exit = started ? wait_for(pid) : Exit{1, false};
    forward_to = 0;
    for (size_t i = 0; i < std::size(forwarded_signals); ++i)
        sigaction(forwarded_signals[i], &saved[i], nullptr);
    if (!started)
        throw system_error("cannot start the real runtime " + path, err);
    return exit;
}

namespace {

// `runtime [--root ROOT] state ID`: the container's state as JSON on success, "" on failure
// (its error message discarded).
std::string state_of(const std::string& path, const std::string& root, const std::string& id)
{
    std::vector<std::string> args;
    if (!root.empty())
        args = {"--root", root};
    args.insert(args.end(), {"state", id});
    return output_of(path, args, true);
}

}  // namespace

bool knows(const std::string& path, const std::string& root, const std::string& id)
{
    return !state_of(path, root, id).empty();
}

std::string output_of(const std::string& path, const std::vector<std::string>& args, bool quiet)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return "";
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::vector<char*> argv = make_argv(path, args);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    if (quiet)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0)
        return "";
    write_end.reset();
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = read(read_end.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, size_t(n));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "";
}

std::optional<long> container_pid(const std::string& path, const std::string& root,
                                  const std::string& id)
{
    bool valid = !id.empty() && id[0] != '-' && std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.';
    });
    if (!valid)
        return std::nullopt;
    std::string out = state_of(path, root, id);
    if (out.empty())
        return std::nullopt;
    try {
        json::Value state = json::parse(out);
        const json::Value* status = state.is_object() ? state.find("status") : nullptr;
        const json::Value* pid = state.is_object() ? state.find("pid") : nullptr;
        if (!status || !status->is_string() || (status->as_string() != "running" && status->as_string() != "created"))
            return std::nullopt;
        if (!pid || !pid->is_number() || !pid->as_int64() || *pid->as_int64() <= 0)
            return std::nullopt;
        return long(*pid->as_int64());
    } catch (const Error&) {
        return std::nullopt;
    }
}

}  // namespace hardrun::runtime
