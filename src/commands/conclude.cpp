// The end every vetted command shares: refuse (nothing written, nothing started), or write
// back what the controls changed, record the audit line, and hand over to the real runtime.
#include "commands/commands.hpp"

#include "harden/report.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace hardrun::commands {
namespace {

// Standard input becomes a memfd holding `text`, read from its start.
void replace_stdin(const std::string& text)
{
    UniqueFd fd(memfd_create("hardrun-stdin", MFD_CLOEXEC));
    if (!fd)
        throw system_error("cannot create a memfd for the runtime's standard input", errno);
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw system_error("cannot fill the runtime's standard input", n < 0 ? errno : EIO);
        done += size_t(n);
    }
    if (lseek(fd.get(), 0, SEEK_SET) != 0 || dup2(fd.get(), STDIN_FILENO) != STDIN_FILENO)
        throw system_error("cannot hand the vetted resources to the runtime", errno);
}

}  // namespace

void settle(const policy::Policy& policy, const harden::Report& report, const Vetted& vetted)
{
    log::AuditEvent event = vetted.event;
    event.report = &report;
    if (!report.refused.empty()) {
        event.outcome = "refused";
        log::audit(policy, event);
        throw Error("policy violation (" + policy.source + "): " + harden::describe(report.refused));
    }
    if (vetted.stdin_text)
        replace_stdin(report.modified() ? json::serialize(*vetted.document) : *vetted.stdin_text);
    else if (report.modified())
        replace_dir_file(*vetted.file, json::serialize(*vetted.document));
    if (vetted.audit_unchanged || report.modified() || !report.audited.empty()) {
        event.outcome = report.modified() ? "rewritten" : "unchanged";
        std::string audit_error = log::audit(policy, event);
        if (!audit_error.empty())
            std::fprintf(stderr, "hardrun: warning: %s\n", audit_error.c_str());
    }
}

void conclude(const cli::Invocation& inv, const policy::Policy& policy, const std::string& runtime_path,
              const harden::Report& report, const Vetted& vetted)
{
    settle(policy, report, vetted);
    runtime::exec(runtime_path, inv.runtime_args);
}

}  // namespace hardrun::commands
