// `runc restore` creates the container from the bundle (hardened like any create) and then has
// criu put the checkpointed processes back as the image describes them: their uids and gids,
// all five capability sets, no_new_privs, seccomp filters, memory and open files. Those are not
// in config.json, and nothing of them passes through hardrun, so a forged or foreign image would
// bring back whatever privileges it was saved with. Refused unless the policy trusts the images
// it will be given (restore.mode "audit": recorded, let through).
#include "harden/controls.hpp"

namespace hardrun::harden {

void checkpoint_restore(const policy::Policy& policy, Report& report)
{
    Decision(report, "restore", policy.restore.mode)
        .refuse("--image-path", "a checkpoint image restores its processes' credentials, capabilities and seccomp "
                                "state as saved, which hardrun cannot check; the policy's restore.mode trusts no "
                                "image");
}

}  // namespace hardrun::harden
