// The end every vetted command shares: refuse (nothing written, nothing started), or write
// back what the controls changed, record the audit line, and hand over to the real runtime.
#include "commands/commands.hpp"

#include "harden/report.hpp"
#include "runtime/runtime.hpp"
#include "util/error.hpp"

#include <cstdio>

namespace hardrun::commands {

void conclude(const cli::Invocation& inv, const policy::Policy& policy, const std::string& runtime_path,
              const harden::Report& report, const Vetted& vetted)
{
    log::AuditEvent event = vetted.event;
    event.report = &report;
    if (!report.refused.empty()) {
        event.outcome = "refused";
        log::audit(policy, event);
        throw Error("policy violation (" + policy.source + "): " + harden::describe(report.refused));
    }
    if (report.modified())
        replace_dir_file(*vetted.file, json::serialize(*vetted.document));
    if (vetted.audit_unchanged || report.modified() || !report.audited.empty()) {
        event.outcome = report.modified() ? "rewritten" : "unchanged";
        std::string audit_error = log::audit(policy, event);
        if (!audit_error.empty())
            std::fprintf(stderr, "hardrun: warning: %s\n", audit_error.c_str());
    }
    runtime::exec(runtime_path, inv.runtime_args);
}

}  // namespace hardrun::commands
