#include "runtime/runtime.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

std::string output_of(const std::string& path, const std::vector<std::string>& args)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return "";
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::vector<char*> argv = make_argv(path, args);
    pid_t pid = fork();
    if (pid < 0)
        return "";
    if (pid == 0) {
        dup2(write_end.get(), STDOUT_FILENO);
        execv(path.c_str(), argv.data());
        _exit(127);
    }
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

}  // namespace hardrun::runtime
