// systemd's native journal protocol, written here instead of calling libsystemd's
// sd_journal_sendv: libsystemd and the five libraries it pulls in would be loaded by every
// hardrun call, pass-through ones included, for this one send. The protocol is documented and
// stable (https://systemd.io/JOURNAL_NATIVE_PROTOCOL/).
#include "log/journal.hpp"

#include "util/fd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace hardrun::log {

std::string journal_datagram(const JournalFields& fields)
{
    std::string out;
    for (const auto& [name, value] : fields) {
        out += name;
        if (value.find('\n') == std::string::npos) {
            out += '=';
            out += value;
        } else {
            out += '\n';
            uint64_t size = value.size();
            for (int i = 0; i < 8; ++i)
                out += char((size >> (8 * i)) & 0xff);
            out += value;
        }
        out += '\n';
    }
    return out;
}

namespace {

std::string why(const std::string& what, int errnum) { return what + ": " + std::strerror(errnum); }

// An entry too large for one datagram: journald reads it from a sealed memfd passed over the socket.
std::string send_sealed_memfd(int sock, const sockaddr_un& address, const std::string& payload)
{
    UniqueFd memfd(memfd_create("hardrun-audit", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!memfd)
        return why("cannot create the journal entry's memfd", errno);
    size_t done = 0;
    while (done < payload.size()) {
        ssize_t n = ::write(memfd.get(), payload.data() + done, payload.size() - done);
        if (n <= 0)
            return why("cannot fill the journal entry's memfd", n < 0 ? errno : EIO);
        done += size_t(n);
    }
    if (fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        return why("cannot seal the journal entry's memfd", errno);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_name = const_cast<sockaddr_un*>(&address);
    msg.msg_namelen = sizeof(address);
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int fd = memfd.get();
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        return why(std::string("cannot send the audit event to the journal (") + address.sun_path + ")", errno);
    return "";
}

}  // namespace

std::string send_to_journal(const JournalFields& fields, const std::string& socket_path)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(address.sun_path))
        return "the journal's socket path is too long: " + socket_path;
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock)
        return why("cannot open a socket for the journal", errno);
    std::string payload = journal_datagram(fields);
    if (sendto(sock.get(), payload.data(), payload.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address),
               sizeof(address)) == ssize_t(payload.size()))
        return "";
    if (errno == EMSGSIZE || errno == ENOBUFS)
        return send_sealed_memfd(sock.get(), address, payload);
    if (errno == ENOENT || errno == ECONNREFUSED)
        return "no journal is listening on " + socket_path + " (is systemd-journald running? the policy's "
               "audit.target can be syslog or file)";
    return why("cannot send the audit event to the journal (" + socket_path + ")", errno);
}

std::string send_to_syslog(int priority, const std::string& message)
{
    // syslog(3) reports nothing when no syslog daemon listens: look for its socket first.
    struct stat st {};
    if (stat("/dev/log", &st) != 0 || !S_ISSOCK(st.st_mode))
        return "no syslog daemon is listening on /dev/log (the policy's audit.target can be journal or file)";
    openlog("hardrun", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
    syslog(LOG_AUTHPRIV | priority, "%s", message.c_str());
    closelog();
    return "";
}

}  // namespace hardrun::log
