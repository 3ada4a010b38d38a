// Audit events: the journal's native framing, sent over a real datagram socket (the memfd form
// included), the fields an operator filters on, and the file and none targets.
#include "harden/report.hpp"
#include "log/audit.hpp"
#include "log/journal.hpp"
#include "policy/policy.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

using namespace hardrun;

namespace {

// A datagram socket bound at `path`, as journald's is.
int listen_at(const std::string& path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    cr_assert_eq(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0, "%s", std::strerror(errno));
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    return fd;
}

// What journald would read: the datagram, or the contents of a memfd passed with it.
std::string receive(int fd)
{
    std::string data(1 << 20, '\0');
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    cr_assert(n >= 0, "nothing received: %s", std::strerror(errno));
    data.resize(size_t(n));
    if (cmsghdr* c = CMSG_FIRSTHDR(&msg); c && c->cmsg_type == SCM_RIGHTS) {
        cr_assert_eq(n, 0, "a memfd entry comes alone");
        int memfd;
        std::memcpy(&memfd, CMSG_DATA(c), sizeof(int));
        int seals = fcntl(memfd, F_GET_SEALS);
        cr_assert(seals & F_SEAL_WRITE, "journald accepts only a sealed memfd");
        struct stat st {};
        fstat(memfd, &st);
        data.assign(size_t(st.st_size), '\0');
        cr_assert_eq(pread(memfd, data.data(), data.size(), 0), st.st_size);
        close(memfd);
    }
    return data;
}

// The fields of a native-protocol entry, read as journald reads them.
std::map<std::string, std::string> parse_entry(const std::string& entry)
{
    std::map<std::string, std::string> out;
    size_t at = 0;
    while (at < entry.size()) {
        size_t end = entry.find('\n', at);
        cr_assert(end != std::string::npos);
        std::string line = entry.substr(at, end - at);
        if (size_t eq = line.find('='); eq != std::string::npos) {
            out[line.substr(0, eq)] = line.substr(eq + 1);
            at = end + 1;
        } else {
            uint64_t size = 0;
            for (int i = 0; i < 8; ++i)
                size |= uint64_t(uint8_t(entry[end + 1 + size_t(i)])) << (8 * i);
            out[line] = entry.substr(end + 9, size);
            cr_assert_eq(entry[end + 9 + size], '\n');
            at = end + 10 + size;
        }
    }
    return out;
}

policy::Policy policy_with(const char* audit)
{
    return policy::parse(std::string(R"({"capabilities":{"allow":[]},"audit":)") + audit + "}", "/etc/hardrun/policy.json");
}

}  // namespace

Test(audit, journal_framing_is_binary_safe_for_newlines)
{
    std::string d = log::journal_datagram({{"MESSAGE", "one line"}, {"HARDRUN_FILE", "/a\nb"}});
    std::string expected = "MESSAGE=one line\nHARDRUN_FILE\n";
    expected += std::string("\x04\0\0\0\0\0\0\0", 8) + "/a\nb\n";
    cr_assert(d == expected);
    auto fields = parse_entry(d);
    cr_assert_eq(fields["HARDRUN_FILE"], "/a\nb");
}

Test(audit, journal_entries_arrive_whole_over_the_socket_small_and_large)
{
    std::string dir = test::temp_dir();
    std::string path = dir + "/socket";
    int fd = listen_at(path);
    log::JournalFields small = {{"MESSAGE", "hello"}, {"SYSLOG_IDENTIFIER", "hardrun"}};
    cr_assert_eq(log::send_to_journal(small, path), "");
    cr_assert(receive(fd) == log::journal_datagram(small));
    // Larger than any datagram the kernel takes (wmem_max): sent in a sealed memfd.
    log::JournalFields large = {{"MESSAGE", std::string(3 << 20, 'x')}, {"HARDRUN_REFUSED", "[]"}};
    cr_assert_eq(log::send_to_journal(large, path), "");
    cr_assert(receive(fd) == log::journal_datagram(large));
    close(fd);
    unlink(path.c_str());
    // Nothing listening: a message that names the socket and the way out.
    std::string why = log::send_to_journal(small, path);
    cr_assert(why.find("no journal is listening on " + path) != std::string::npos, "%s", why.c_str());
    rmdir(dir.c_str());
}

Test(audit, journal_fields_find_the_container_as_engines_name_it)
{
    harden::Report report;
    report.changed.push_back({"capabilities", "/process/capabilities/bounding", "removed CAP_SYS_ADMIN"});
    report.audited.push_back({"userNamespace", "/linux/namespaces", "not added"});
    std::string id(64, 'a');
    id.replace(0, 12, "0123456789ab");
    log::AuditEvent event{"create", id, "/b/config.json", "rewritten", &report};
    auto f = parse_entry(log::journal_datagram(log::journal_fields(policy_with(R"({"target":"journal"})"), event)));
    cr_assert_eq(f["SYSLOG_IDENTIFIER"], "hardrun");
    cr_assert_eq(f["CONTAINER_ID"], "0123456789ab");
    cr_assert_eq(f["CONTAINER_ID_FULL"], id);
    cr_assert_eq(f["PRIORITY"], std::to_string(LOG_NOTICE));
    cr_assert_eq(f["HARDRUN_COMMAND"], "create");
    cr_assert_eq(f["HARDRUN_OUTCOME"], "rewritten");
    cr_assert_eq(f["HARDRUN_POLICY"], "/etc/hardrun/policy.json");
    cr_assert_eq(f["HARDRUN_POLICY_DIGEST"].rfind("sha256:", 0), 0u);
    cr_assert(f["HARDRUN_CHANGED"].find("CAP_SYS_ADMIN") != std::string::npos);
    cr_assert(f["MESSAGE"].find("1 changed, 1 audited") != std::string::npos, "%s", f["MESSAGE"].c_str());
    // Any other id (runc's own, a test's) stays whole; a refusal is a warning naming its reason.
    harden::Report refused;
    refused.refused.push_back({"namespaces", "/linux/namespaces", "the host's pid namespace"});
    log::AuditEvent mine{"create", "web-1", "/b/config.json", "refused", &refused};
    f = parse_entry(log::journal_datagram(log::journal_fields(policy_with(R"({"target":"journal"})"), mine)));
    cr_assert_eq(f["CONTAINER_ID"], "web-1");
    cr_assert_eq(f["PRIORITY"], std::to_string(LOG_WARNING));
    cr_assert(f["MESSAGE"].find("the host's pid namespace") != std::string::npos, "%s", f["MESSAGE"].c_str());
}

Test(audit, file_and_none_targets)
{
    std::string dir = test::temp_dir();
    std::string log_path = dir + "/log/audit.log";
    harden::Report report;
    log::AuditEvent event{"create", "c1", "/b/config.json", "unchanged", &report};
    cr_assert_eq(log::audit(policy_with((R"({"target":"file","log":")" + log_path + "\"}").c_str()), event), "");
    std::ifstream in(log_path);
    std::string line;
    std::getline(in, line);
    cr_assert(line.find(R"("id":"c1")") != std::string::npos, "%s", line.c_str());
    cr_assert_eq(log::audit(policy_with((R"({"target":"none","log":")" + dir + "/log/other.log\"}").c_str()), event), "");
    cr_assert_neq(access((dir + "/log/other.log").c_str(), F_OK), 0);
    unlink(log_path.c_str());
    rmdir((dir + "/log").c_str());
    rmdir(dir.c_str());
}
