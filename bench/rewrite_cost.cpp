// The rewrite step alone, in process: parse config.json, apply the default policy, serialise,
// repeated N times; prints microseconds per rewrite. What a create adds to runc's own work,
// without process start, file I/O or the final exec (bench/run reports those separately).
#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CONFIG.json [N]\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const int n = argc > 2 ? std::atoi(argv[2]) : 200;
    using namespace hardrun;
    policy::Policy policy = policy::parse(policy::builtin_policy_text, "built-in");
    // The user-namespace control's pure part (the mappings) with a fixed range: no /etc/subuid
    // read, nothing mounted (the idmap step is measured by bench/run's userns section).
    harden::Context context{"bench", "/nonexistent"};
    context.allocate_ids = [](const policy::UserNamespace&) { return idmap::IdRange{100000, 100000, 65536}; };
    size_t out_bytes = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
        json::Value config = json::parse(text);
        harden::harden_config(config, policy, context);
        out_bytes += json::serialize(config).size();
    }
    std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    std::printf("%.1f\n", took.count() / n);
    return out_bytes ? 0 : 1;
}
