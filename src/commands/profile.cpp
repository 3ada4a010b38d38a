// `hardrun profile check FILE` and `hardrun profile diff A B`: seccomp profiles (hardrun's
// format, or OCI linux.seccomp, or a whole config.json whose linux.seccomp is read).
#include "commands/commands.hpp"

#include "json/value.hpp"
#include "seccomp/seccomp.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

#include <cstdio>
#include <map>

namespace hardrun::commands {
namespace {

json::Value load_profile(const std::string& path)
{
    DirFile file = read_dir_file(path, 4u << 20);
    json::Value v;
    try {
        v = json::parse(file.text);
    } catch (const Error& e) {
        throw Error(path + ": " + std::string(e.what()));
    }
    if (const json::Value* linux = v.find("linux"))  // a config.json
        if (const json::Value* s = linux->find("seccomp"))
            return *s;
    if (!v.is_object())
        throw Error(path + ": not a seccomp profile");
    return v;
}

std::map<std::string, std::string> by_name(const json::Value& profile)
{
    std::map<std::string, std::string> out;
    for (const auto& [name, condition] : seccomp::allowed_names(profile)) {
        auto [it, fresh] = out.emplace(name, condition);
        if (!fresh && it->second != condition)
            it->second = it->second.empty() || condition.empty() ? "" : it->second + "; " + condition;
    }
    return out;
}

}  // namespace

int profile(const cli::Invocation& inv)
{
    std::vector<std::string> args(inv.runtime_args.begin() + long(inv.command_index) + 1, inv.runtime_args.end());
    if (args.size() == 2 && args[0] == "check") {
        json::Value p = load_profile(args[1]);
        std::vector<std::string> problems = seccomp::check(p);
        for (const auto& problem : problems)
            std::printf("%s: %s\n", args[1].c_str(), problem.c_str());
        if (!problems.empty())
            return 1;
        std::printf("%s: ok, %zu syscall names allowed (some under conditions), compiles with libseccomp\n",
                    args[1].c_str(), by_name(p).size());
        return 0;
    }
    if (args.size() == 3 && args[0] == "diff") {
        auto a = by_name(load_profile(args[1]));
        auto b = by_name(load_profile(args[2]));
        size_t differences = 0;
        for (const auto& [name, condition] : a) {
            auto other = b.find(name);
            if (other == b.end()) {
                std::printf("- %s%s\n", name.c_str(), condition.empty() ? "" : ("  (" + condition + ")").c_str());
                ++differences;
            } else if (other->second != condition) {
                std::printf("~ %s  (%s | %s)\n", name.c_str(), condition.empty() ? "always" : condition.c_str(),
                            other->second.empty() ? "always" : other->second.c_str());
                ++differences;
            }
        }
        for (const auto& [name, condition] : b)
            if (!a.count(name)) {
                std::printf("+ %s%s\n", name.c_str(), condition.empty() ? "" : ("  (" + condition + ")").c_str());
                ++differences;
            }
        std::printf("%zu allowed by %s, %zu by %s, %zu differences (- only in the first, + only in the second, ~ "
                    "conditions differ)\n",
                    a.size(), args[1].c_str(), b.size(), args[2].c_str(), differences);
        return 0;
    }
    throw Error(std::string("usage: ") + usage_of("profile"));
}

}  // namespace hardrun::commands
