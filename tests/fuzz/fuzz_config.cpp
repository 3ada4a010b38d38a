// libFuzzer harness over what every create does to a caller's config.json: parse, harden with
// the default policy, serialise. Properties checked on every input that parses:
//  - serialise(parse(x)) parses to the same value (round trip);
//  - hardening a hardened config changes nothing (idempotence);
//  - whatever is refused or thrown is a hardrun::Error (a clear message), never a crash.
// Every input goes through the seccomp control (render, deny list, clone/personality rules);
// the libseccomp compile of the result, which costs more than all the rest together, runs for
// one input in 16 (chosen by a hash of the input, so a crash reproduces), uncached.
#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "util/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace hardrun;

namespace {

const policy::Policy& default_policy()
{
    static const policy::Policy p = policy::parse(policy::builtin_policy_text, "built-in");
    return p;
}

harden::Context context(std::string_view input)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : input)
        h = (h ^ c) * 0x100000001b3ull;
    harden::Context c{"fuzz", "/nonexistent", ""};
    c.compile_seccomp = (h >> 32) % 16 == 0;
    // A fixed id range: the user-namespace control adds its namespace and mappings, and every
    // control after it runs (no /etc/subuid is read, nothing is mounted).
    c.allocate_ids = [](const policy::UserNamespace&) { return idmap::IdRange{100000, 100000, 65536}; };
    return c;
}

}  // namespace

// libseccomp 2.5.4 (Debian 12) itself leaks 96 bytes per chain node when some rules with an
// argument condition are added to a filter with x86 and x32 besides x86_64 (found by this
// harness; reproduced with a plain C program calling seccomp_rule_add_array and
// seccomp_release under valgrind). The sanitizer's fast unwinder stops inside the library, so
// only the library itself can be named: leaks of memory libseccomp allocated are not reported
// here. That hardrun releases every filter it builds is checked where this suppression does not
// apply: the unit tests under AddressSanitizer with leak detection (scripts/test.sh).
extern "C" const char* __lsan_default_suppressions()
{
    return "leak:libseccomp.so\n";
}

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    json::Value config;
    try {
        config = json::parse(text);
    } catch (const Error&) {
        return 0;
    }
    const harden::Context ctx = context(text);
    std::string once = json::serialize(config);
    require(json::parse(once) == config);
    try {
        harden::harden_config(config, default_policy(), ctx);
    } catch (const Error&) {
        return 0;
    }
    std::string hardened = json::serialize(config);
    harden::Report second;
    try {
        second = harden::harden_config(config, default_policy(), ctx);
    } catch (const Error&) {
        std::abort();  // what hardrun wrote, it must read back
    }
    require(!second.modified());
    require(json::serialize(config) == hardened);
    return 0;
}
