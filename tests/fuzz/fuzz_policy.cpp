// libFuzzer harness over the policy loader: any bytes either load as a policy or are refused
// with a hardrun::Error; a policy that loads has a digest and keeps its invariants.
#include "policy/policy.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace hardrun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        policy::Policy p = policy::parse(text, "fuzz");
        if (p.digest.size() != 7 + 64 || p.resources.pids.fallback > p.resources.pids.max ||
            p.resources.memory.fallback > p.resources.memory.max)
            std::abort();
    } catch (const Error&) {
    }
    return 0;
}
