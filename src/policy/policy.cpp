#include "policy/policy.hpp"

#include "config.h"
#include "spec/capability_names.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"
#include "util/sha256.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

namespace hardrun::policy {
namespace {

constexpr size_t max_policy_bytes = 1u << 20;

// Walks one policy object: every key must be taken, or finish() names the stray one.
class ObjectReader {
public:
    ObjectReader(const json::Value& object, std::string path) : object_(object), path_(std::move(path))
    {
        if (!object.is_object())
            throw Error(where() + " must be an object");
    }

    const json::Value* take(std::string_view key)
    {
        taken_.insert(std::string(key));
        return object_.find(key);
    }

    std::string path_of(std::string_view key) const { return path_ == "/" ? "/" + std::string(key) : path_ + "/" + std::string(key); }

    void finish() const
    {
        for (const auto& [key, value] : object_.members())
            if (!taken_.count(key))
                throw Error("unknown key " + path_of(key));
    }

    std::string where() const { return path_; }

private:
    const json::Value& object_;
    std::string path_;
    std::set<std::string> taken_;
};

std::string string_at(const json::Value& v, const std::string& path)
{
    if (!v.is_string() || v.as_string().empty())
        throw Error(path + " must be a non-empty string");
    if (v.as_string().find('\0') != std::string::npos)
        throw Error(path + " must not contain NUL");
    return v.as_string();
}

Mode mode_at(const json::Value* v, const std::string& path)
{
    if (!v)
        return Mode::enforce;
    std::string s = string_at(*v, path);
    if (s == "enforce")
        return Mode::enforce;
    if (s == "refuse")
        return Mode::refuse;
    if (s == "audit")
        return Mode::audit;
    throw Error(path + " must be \"enforce\", \"refuse\" or \"audit\", not \"" + s + "\"");
}

Capabilities capabilities_at(const json::Value& v, const std::string& path)
{
    ObjectReader r(v, path);
    Capabilities caps;
    caps.mode = mode_at(r.take("mode"), r.path_of("mode"));
    const json::Value* allow = r.take("allow");
    if (!allow || !allow->is_array())
        throw Error(r.path_of("allow") + " must be an array of capability names");
    for (size_t i = 0; i < allow->items().size(); ++i) {
        std::string item_path = r.path_of("allow") + "/" + std::to_string(i);
        std::string name = string_at(allow->items()[i], item_path);
        if (!spec::capability_number(name))
            throw Error(item_path + ": unknown capability \"" + name + "\" (expected e.g. \"CAP_CHOWN\")");
        if (std::find(caps.allow.begin(), caps.allow.end(), name) != caps.allow.end())
            throw Error(item_path + ": \"" + name + "\" is listed twice");
        caps.allow.push_back(name);
    }
    r.finish();
    return caps;
}

}  // namespace

const char* mode_name(Mode mode)
{
    switch (mode) {
    case Mode::enforce: return "enforce";
    case Mode::refuse: return "refuse";
    case Mode::audit: return "audit";
    }
    return "?";
}

bool Policy::rewrites() const
{
    return capabilities.mode == Mode::enforce || no_new_privileges.mode == Mode::enforce;
}

Policy parse(std::string_view text, const std::string& source)
{
    Policy p;
    p.source = source;
    p.audit_log = HARDRUN_AUDIT_LOG;
    try {
        json::Value root = json::parse(text, json::ParseLimits{max_policy_bytes, 64});
        p.digest = "sha256:" + sha256_hex(json::serialize(root));
        ObjectReader r(root, "/");
        if (const json::Value* v = r.take("runtime"))
            p.runtime = string_at(*v, "/runtime");
        if (const json::Value* v = r.take("audit")) {
            ObjectReader audit(*v, "/audit");
            if (const json::Value* log = audit.take("log")) {
                p.audit_log = string_at(*log, "/audit/log");
                if (p.audit_log[0] != '/')
                    throw Error("/audit/log must be an absolute path");
            }
            audit.finish();
        }
        const json::Value* caps = r.take("capabilities");
        if (!caps)
            throw Error("/capabilities is required");
        p.capabilities = capabilities_at(*caps, "/capabilities");
        if (const json::Value* v = r.take("noNewPrivileges")) {
            ObjectReader nnp(*v, "/noNewPrivileges");
            p.no_new_privileges.mode = mode_at(nnp.take("mode"), "/noNewPrivileges/mode");
            nnp.finish();
        }
        r.finish();
    } catch (const Error& e) {
        throw Error("policy " + source + ": " + e.what());
    }
    return p;
}

namespace {

std::string policy_path(const std::optional<std::string>& requested)
{
    std::string path;
    if (requested) {
        path = *requested;
        if (path.find('/') == std::string::npos) {
            // A profile name: only [A-Za-z0-9_-], so it cannot walk out of the profiles dir.
            bool plain = !path.empty() && std::all_of(path.begin(), path.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
            });
            if (!plain)
                throw Error("invalid policy profile name \"" + path + "\"");
            path = std::string(HARDRUN_PROFILES_DIR) + "/" + path + ".json";
        }
    } else {
        path = HARDRUN_POLICY_PATH;
    }
    return path;
}

}  // namespace

std::optional<std::string> runtime_setting(const std::optional<std::string>& requested)
{
    if (!requested && access(HARDRUN_POLICY_PATH, F_OK) != 0 && errno == ENOENT)
        return std::nullopt;  // the built-in policy names no runtime
    return load(requested).runtime;
}

Policy load(const std::optional<std::string>& requested)
{
    std::string path = policy_path(requested);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT && !requested)
            return parse(builtin_policy_text, "built-in");
        throw system_error("cannot open policy " + path, errno);
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0)
        throw system_error("cannot stat policy " + path, errno);
    if (!S_ISREG(st.st_mode))
        throw Error("policy " + path + " is not a regular file");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
        throw Error("policy " + path + " must be owned by root and writable by no one else");
    return parse(read_all(fd.get(), max_policy_bytes, "policy " + path), path);
}

}  // namespace hardrun::policy
