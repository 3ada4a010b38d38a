#include "seccomp/seccomp.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

namespace hardrun::seccomp {
namespace {

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

const json::Value* member(const json::Value& object, std::string_view key)
{
    const json::Value* v = object.find(key);
    return v && !v->is_null() ? v : nullptr;
}

std::vector<std::string> string_list(const json::Value* v, const std::string& where)
{
    std::vector<std::string> out;
    if (!v)
        return out;
    if (!v->is_array())
        throw Error(where + " must be an array of strings");
    for (const auto& item : v->items()) {
        if (!item.is_string())
            throw Error(where + " must be an array of strings");
        out.push_back(item.as_string());
    }
    return out;
}

// "SCMP_ARCH_X86_64" -> libseccomp's token, 0 when unknown.
uint32_t arch_token(const std::string& oci)
{
    const std::string prefix = "SCMP_ARCH_";
    if (oci.rfind(prefix, 0) != 0)
        return 0;
    std::string name = oci.substr(prefix.size());
    for (char& c : name)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return seccomp_arch_resolve_name(name.c_str());
}

// The architectures of one archMap entry: the main one and its sub-architectures.
std::vector<std::string> family(const json::Value& entry)
{
    std::vector<std::string> out;
    if (const json::Value* a = member(entry, "architecture"); a && a->is_string())
        out.push_back(a->as_string());
    for (const auto& sub : string_list(member(entry, "subArchitectures"), "/archMap/subArchitectures"))
        out.push_back(sub);
    return out;
}

// Whether a rule's includes (all must hold) and excludes (none may hold) match.
bool applies(const json::Value& rule, const std::vector<std::string>& caps, const std::vector<std::string>& arches)
{
    auto has_cap = [&](const std::string& c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };
    auto has_arch = [&](const std::string& a) { return std::find(arches.begin(), arches.end(), a) != arches.end(); };
    if (const json::Value* inc = member(rule, "includes")) {
        for (const auto& c : string_list(member(*inc, "caps"), "includes/caps"))
            if (!has_cap(c))
                return false;
        auto want = string_list(member(*inc, "arches"), "includes/arches");
        if (!want.empty() && std::none_of(want.begin(), want.end(), has_arch))
            return false;
    }
    if (const json::Value* exc = member(rule, "excludes")) {
        auto caps_out = string_list(member(*exc, "caps"), "excludes/caps");
        auto arches_out = string_list(member(*exc, "arches"), "excludes/arches");
        if (std::any_of(caps_out.begin(), caps_out.end(), has_cap) || std::any_of(arches_out.begin(), arches_out.end(), has_arch))
            return false;
    }
    return true;
}

uint32_t action_of(const std::string& action, const json::Value* errno_ret, uint32_t default_errno)
{
    uint32_t ret = default_errno;
    if (errno_ret) {
        std::optional<uint64_t> n = errno_ret->as_uint64();
        if (!n || *n > 4095)
            throw Error("errnoRet must be an errno number");
        ret = uint32_t(*n);
    }
    if (action == "SCMP_ACT_ALLOW")
        return SCMP_ACT_ALLOW;
    if (action == "SCMP_ACT_ERRNO")
        return SCMP_ACT_ERRNO(ret);
    if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD")
        return SCMP_ACT_KILL_THREAD;
    if (action == "SCMP_ACT_KILL_PROCESS")
        return SCMP_ACT_KILL_PROCESS;
    if (action == "SCMP_ACT_TRAP")
        return SCMP_ACT_TRAP;
    if (action == "SCMP_ACT_TRACE")
        return SCMP_ACT_TRACE(ret);
    if (action == "SCMP_ACT_LOG")
        return SCMP_ACT_LOG;
    if (action == "SCMP_ACT_NOTIFY")
        return SCMP_ACT_NOTIFY;
    throw Error("unknown seccomp action \"" + action + "\"");
}

scmp_compare op_of(const std::string& op)
{
    static const std::map<std::string, scmp_compare> ops = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    auto it = ops.find(op);
    if (it == ops.end())
        throw Error("unknown seccomp operator \"" + op + "\"");
    return it->second;
}

std::vector<scmp_arg_cmp> conditions_of(const json::Value& rule, const std::string& where)
{
    std::vector<scmp_arg_cmp> out;
    const json::Value* args = member(rule, "args");
    if (!args)
        return out;
    if (!args->is_array())
        throw Error(where + "/args must be an array");
    for (const auto& a : args->items()) {
        const json::Value* index = member(a, "index");
        const json::Value* value = member(a, "value");
        const json::Value* two = member(a, "valueTwo");
        const json::Value* op = member(a, "op");
        if (!index || !index->as_uint64() || *index->as_uint64() > 5 || !value || !value->as_uint64() || !op ||
            !op->is_string() || (two && !two->as_uint64()))
            throw Error(where + "/args: each needs index 0-5, value and op (and an optional valueTwo), as numbers");
        scmp_compare cmp = op_of(op->as_string());
        out.push_back(scmp_arg_cmp{unsigned(*index->as_uint64()), cmp, *value->as_uint64(), two ? *two->as_uint64() : 0});
    }
    return out;
}

// Build a libseccomp filter for `architectures`; the caller decides whether to load or export.
Filter build(const json::Value& oci, const std::vector<std::string>& architectures, std::vector<std::string>* unknown)
{
    const json::Value* def = member(oci, "defaultAction");
    if (!def || !def->is_string())
        throw Error("seccomp profile without a defaultAction");
    uint32_t default_errno = 1;  // EPERM, as runc
    if (const json::Value* d = member(oci, "defaultErrnoRet")) {
        if (!d->as_uint64())
            throw Error("defaultErrnoRet must be an errno number");
        default_errno = uint32_t(*d->as_uint64());
    }
    uint32_t default_action = action_of(def->as_string(), member(oci, "defaultErrnoRet"), default_errno);
    Filter ctx(seccomp_init(default_action));
    if (!ctx)
        throw Error("libseccomp cannot create a filter for defaultAction " + def->as_string());
    // The filter's own (native) arch is replaced by the profile's list, as runc does.
    bool native_listed = false;
    for (const auto& arch : architectures) {
        uint32_t token = arch_token(arch);
        if (!token)
            throw Error("unknown seccomp architecture \"" + arch + "\"");
        native_listed = native_listed || token == seccomp_arch_native();
        if (seccomp_arch_exist(ctx.get(), token) == -EEXIST) {
            int rc = seccomp_arch_add(ctx.get(), token);
            if (rc != 0 && rc != -EEXIST)
                throw Error("libseccomp cannot add architecture " + arch);
        }
    }
    if (!architectures.empty() && !native_listed)
        seccomp_arch_remove(ctx.get(), seccomp_arch_native());

    const json::Value* rules = member(oci, "syscalls");
    if (rules && !rules->is_array())
        throw Error("seccomp syscalls must be an array");
    for (size_t i = 0; rules && i < rules->items().size(); ++i) {
        const json::Value& rule = rules->items()[i];
        std::string where = "/syscalls/" + std::to_string(i);
        if (!rule.is_object())
            throw Error(where + " must be an object");
        const json::Value* action = member(rule, "action");
        if (!action || !action->is_string())
            throw Error(where + " has no action");
        uint32_t act = action_of(action->as_string(), member(rule, "errnoRet"), default_errno);
        if (act == default_action)
            continue;  // runc skips rules that repeat the default
        std::vector<scmp_arg_cmp> conds = conditions_of(rule, where);
        // Conditions on the same argument are alternatives (one rule each), as in runc.
        bool repeated_index = false;
        for (size_t a = 0; a < conds.size(); ++a)
            for (size_t b = a + 1; b < conds.size(); ++b)
                repeated_index = repeated_index || conds[a].arg == conds[b].arg;
        for (const auto& name : string_list(member(rule, "names"), where + "/names")) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                if (unknown)
                    unknown->push_back(name);
                continue;  // runc ignores names libseccomp does not know
            }
            int rc = 0;
            if (repeated_index) {
                for (const auto& c : conds)
                    if ((rc = seccomp_rule_add_array(ctx.get(), act, nr, 1, &c)) != 0)
                        break;
            } else {
                rc = seccomp_rule_add_array(ctx.get(), act, nr, unsigned(conds.size()), conds.data());
            }
            if (rc != 0)
                throw Error(where + ": libseccomp refuses the rule for " + name + " (error " + std::to_string(-rc) + ")");
        }
    }
    return ctx;
}

void export_filter(void* ctx)
{
    UniqueFd sink(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!sink || seccomp_export_bpf(ctx, sink.get()) != 0)
        throw Error("libseccomp cannot compile the filter");
}

}  // namespace

bool is_allowing(const std::string& action)
{
    return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG" || action == "SCMP_ACT_TRACE" ||
           action == "SCMP_ACT_NOTIFY";
}

json::Value render(const json::Value& profile, const std::vector<std::string>& caps)
{
    if (!profile.is_object())
        throw Error("a seccomp profile must be a JSON object");
    const json::Value* arch_map = member(profile, "archMap");
    if (!arch_map)
        return profile;  // already OCI
    if (!arch_map->is_array())
        throw Error("archMap must be an array");
    std::vector<std::string> arches;
    for (const auto& entry : arch_map->items()) {
        std::vector<std::string> f = family(entry);
        if (!f.empty() && arch_token(f.front()) == seccomp_arch_native())
            arches = f;
    }
    json::Value out = json::Value::object();
    for (const char* key : {"defaultAction", "defaultErrnoRet"})
        if (const json::Value* v = member(profile, key))
            out.set(key, *v);
    std::vector<json::Value> arch_values;
    for (const auto& a : arches)
        arch_values.push_back(json::Value::string(a));
    out.set("architectures", json::Value::array(std::move(arch_values)));
    json::Value rules = json::Value::array();
    if (const json::Value* syscalls = member(profile, "syscalls")) {
        for (const auto& rule : syscalls->items()) {
            if (!applies(rule, caps, arches))
                continue;
            json::Value r = json::Value::object();
            for (const char* key : {"names", "action", "errnoRet", "args"})
                if (const json::Value* v = member(rule, key))
                    r.set(key, *v);
            rules.items().push_back(std::move(r));
        }
    }
    out.set("syscalls", std::move(rules));
    return out;
}

namespace {

// The comparison that holds exactly when `op` does not ("" when there is none in one rule).
std::string negated(const std::string& op)
{
    if (op == "SCMP_CMP_EQ") return "SCMP_CMP_NE";
    if (op == "SCMP_CMP_NE") return "SCMP_CMP_EQ";
    if (op == "SCMP_CMP_LT") return "SCMP_CMP_GE";
    if (op == "SCMP_CMP_GE") return "SCMP_CMP_LT";
    if (op == "SCMP_CMP_LE") return "SCMP_CMP_GT";
    if (op == "SCMP_CMP_GT") return "SCMP_CMP_LE";
    return "";
}

bool names_hold(const json::Value& rule, const std::string& name)
{
    const json::Value* names = member(rule, "names");
    if (!names || !names->is_array())
        return false;
    for (const auto& n : names->items())
        if (n.is_string() && n.as_string() == name)
            return true;
    return false;
}

bool has_args(const json::Value& rule)
{
    const json::Value* args = member(rule, "args");
    return args && args->is_array() && !args->items().empty();
}

}  // namespace

json::Value with_denials(json::Value base, const std::vector<json::Value>& denials, std::vector<std::string>& whole)
{
    json::Value* rules = base.find("syscalls");
    if (!rules || !rules->is_array())
        throw Error("the default profile has no syscall list");
    // Removes `name` from base's rules (allowing ones, or all when `every`); returns whether an
    // allowing rule held it, and whether that rule had no conditions.
    auto remove = [&](const std::string& name, bool every, bool& unconditional) {
        bool allowed = false;
        std::vector<json::Value> kept;
        for (auto& rule : rules->items()) {
            const json::Value* action = member(rule, "action");
            bool allowing = action && action->is_string() && is_allowing(action->as_string());
            if (!names_hold(rule, name) || (!allowing && !every)) {
                kept.push_back(std::move(rule));
                continue;
            }
            if (allowing) {
                allowed = true;
                unconditional = unconditional || !has_args(rule);
            }
            std::vector<json::Value> left;
            for (auto& n : rule.find("names")->items())
                if (!(n.is_string() && n.as_string() == name))
                    left.push_back(std::move(n));
            if (!left.empty()) {
                rule.set("names", json::Value::array(std::move(left)));
                kept.push_back(std::move(rule));
            }
        }
        rules->items() = std::move(kept);
        return allowed;
    };

    std::vector<json::Value> added;
    for (const json::Value& denial : denials) {
        const json::Value* names = member(denial, "names");
        if (!names || !names->is_array())
            continue;
        for (const auto& n : names->items()) {
            if (!n.is_string())
                throw Error("a syscall rule's names must be strings");
            const std::string& name = n.as_string();
            json::Value rule = denial;
            rule.set("names", json::Value::array({n}));
            if (!has_args(denial)) {
                bool unconditional = false;
                remove(name, true, unconditional);
                added.push_back(std::move(rule));
                continue;
            }
            bool unconditional = false;
            bool allowed = remove(name, false, unconditional);
            added.push_back(std::move(rule));
            if (!allowed)
                continue;  // base denies it anyway
            std::vector<json::Value> inverse;
            for (const auto& arg : member(denial, "args")->items()) {
                const json::Value* op = member(arg, "op");
                std::string opposite = op && op->is_string() ? negated(op->as_string()) : "";
                if (opposite.empty() || !unconditional) {
                    inverse.clear();
                    break;
                }
                json::Value a = arg;
                a.set("op", json::Value::string(opposite));
                json::Value allow = json::Value::object();
                allow.set("names", json::Value::array({n}));
                allow.set("action", json::Value::string("SCMP_ACT_ALLOW"));
                allow.set("args", json::Value::array({std::move(a)}));
                inverse.push_back(std::move(allow));
            }
            if (inverse.empty())
                whole.push_back(name);
            for (auto& r : inverse)
                added.push_back(std::move(r));
        }
    }
    for (auto& r : added)
        rules->items().push_back(std::move(r));
    return base;
}

bool allows_everything(const json::Value& oci)
{
    const json::Value* def = member(oci, "defaultAction");
    return !def || !def->is_string() || def->as_string() == "SCMP_ACT_ALLOW" || def->as_string() == "SCMP_ACT_LOG";
}

void compile(const json::Value& oci)
{
    Filter ctx = build(oci, string_list(member(oci, "architectures"), "/architectures"), nullptr);
    export_filter(ctx.get());
}

namespace {

// Two 64-bit lanes fed whole words: the profile's bytes are hashed 8 at a time.
class TreeHash {
public:
    void word(uint64_t w)
    {
        a_ = (a_ ^ w) * 0x9e3779b97f4a7c15ull;
        a_ ^= a_ >> 29;
        b_ = (b_ + w) * 0xc2b2ae3d27d4eb4full;
        b_ = (b_ << 31) | (b_ >> 33);
    }
    // A tag and the length first, then the bytes zero-padded to whole words: no two different
    // sequences of fields feed the same words.
    void field(uint64_t tag, std::string_view bytes)
    {
        word(tag << 56 | bytes.size());
        size_t i = 0;
        for (; i + 8 <= bytes.size(); i += 8) {
            uint64_t w;
            std::memcpy(&w, bytes.data() + i, 8);
            word(w);
        }
        if (i < bytes.size()) {
            uint64_t w = 0;
            std::memcpy(&w, bytes.data() + i, bytes.size() - i);
            word(w);
        }
    }
    void value(const json::Value& v)
    {
        switch (v.kind()) {
        case json::Kind::null:
            word(1ull << 56);
            break;
        case json::Kind::boolean:
            word(2ull << 56 | (v.as_bool() ? 1 : 0));
            break;
        case json::Kind::number:
            field(3, v.number_text());
            break;
        case json::Kind::string:
            field(4, v.as_string());
            break;
        case json::Kind::array:
            word(5ull << 56 | v.items().size());
            for (const auto& item : v.items())
                value(item);
            break;
        case json::Kind::object:
            word(6ull << 56 | v.members().size());
            for (const auto& [key, member] : v.members()) {
                field(7, key);
                value(member);
            }
            break;
        }
    }
    std::string hex() const
    {
        char out[33];
        std::snprintf(out, sizeof out, "%016llx%016llx", static_cast<unsigned long long>(a_),
                      static_cast<unsigned long long>(b_));
        return out;
    }

private:
    uint64_t a_ = 0xcbf29ce484222325ull;
    uint64_t b_ = 0x84222325cbf29ce4ull;
};

}  // namespace

// 128 bits of a word-wise hash over the profile's tree (every kind, key, string and number
// text, with lengths and order: what its serialisation would hold), and over what else decides
// the verdict: libseccomp's version and the native architecture. Hashing the tree itself
// spares serialising the profile (about 0.22 million instructions per create for Docker's). The
// cache only saves the early compile (runc compiles the filter again itself), so a collision
// could at worst let runc report a broken profile instead of hardrun; sha256 cost 0.4 million
// instructions per create.
std::string cache_key(const json::Value& oci)
{
    TreeHash h;
    const scmp_version* version = seccomp_version();
    h.word(uint64_t(version->major) << 32 | uint64_t(version->minor) << 16 | version->micro);
    h.word(seccomp_arch_native());
    h.value(oci);
    return "t" + h.hex();
}

void compile_cached(const json::Value& oci, const std::string& cache_dir)
{
    if (cache_dir.empty()) {
        compile(oci);
        return;
    }
    // Only a cache nobody else can write is read or written (/run/hardrun 0711, the cache 0700,
    // both the effective user's); otherwise every profile is compiled.
    std::string parent = cache_dir.substr(0, cache_dir.rfind('/'));
    if ((!parent.empty() && !own_dir(parent, 0711, false).empty()) || !own_dir(cache_dir, 0700, true).empty()) {
        compile(oci);
        return;
    }
    std::string marker = cache_dir + "/" + cache_key(oci);
    struct stat st {};
    if (::lstat(marker.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
        return;
    compile(oci);
    // Remember it; a marker that cannot be written only costs the next create a compile.
    UniqueFd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
}

std::vector<std::string> check(const json::Value& profile)
{
    std::vector<std::string> problems;
    try {
        std::vector<std::vector<std::string>> families;
        if (const json::Value* arch_map = member(profile, "archMap")) {
            for (const auto& entry : arch_map->items())
                families.push_back(family(entry));
        } else {
            families.push_back(string_list(member(profile, "architectures"), "/architectures"));
        }
        // Names: known on at least one architecture of the profile.
        std::vector<uint32_t> tokens;
        for (const auto& f : families)
            for (const auto& a : f) {
                uint32_t t = arch_token(a);
                if (!t)
                    problems.push_back("unknown architecture \"" + a + "\"");
                else
                    tokens.push_back(t);
            }
        for (const auto& allowed : allowed_names(profile)) {
            const std::string& name = allowed.first;
            bool known = std::any_of(tokens.begin(), tokens.end(), [&](uint32_t t) {
                return seccomp_syscall_resolve_name_arch(t, name.c_str()) != __NR_SCMP_ERROR;
            });
            if (!known)
                problems.push_back("syscall \"" + name + "\" is not known to libseccomp on any of the profile's architectures");
        }
        // Compile once per architecture family, with every conditional rule in.
        for (const auto& f : families) {
            json::Value oci = profile;
            oci.erase("archMap");
            oci.set("architectures", json::Value::array());
            for (const auto& a : f)
                oci.find("architectures")->items().push_back(json::Value::string(a));
            Filter ctx = build(oci, f, nullptr);
            export_filter(ctx.get());
        }
    } catch (const Error& e) {
        problems.push_back(e.what());
    }
    return problems;
}

std::vector<std::pair<std::string, std::string>> allowed_names(const json::Value& profile)
{
    std::vector<std::pair<std::string, std::string>> out;
    const json::Value* syscalls = member(profile, "syscalls");
    for (size_t i = 0; syscalls && i < syscalls->items().size(); ++i) {
        const json::Value& rule = syscalls->items()[i];
        const json::Value* action = member(rule, "action");
        if (!action || !action->is_string() || !is_allowing(action->as_string()))
            continue;
        std::string condition;
        if (member(rule, "args"))
            condition += "with argument conditions";
        for (const char* key : {"includes", "excludes"})
            if (const json::Value* v = member(rule, key))
                condition += (condition.empty() ? "" : ", ") + std::string(key) + " " + json::serialize(*v);
        for (const auto& name : string_list(member(rule, "names"), "/syscalls/" + std::to_string(i) + "/names"))
            out.emplace_back(name, condition);
    }
    return out;
}

}  // namespace hardrun::seccomp
