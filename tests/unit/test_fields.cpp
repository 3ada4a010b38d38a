// The fields control: every document read as runc's Go decoder reads it, and the schema it walks
// kept in step with the review table of man 5 hardrun-policy.
#include "harden/controls.hpp"
#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "spec/fields.hpp"
#include "spec/schema.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>

using namespace hardrun;

namespace {

policy::Policy default_policy()
{
    return policy::parse(policy::builtin_policy_text, "built-in");
}

policy::Policy policy_with_fields(const std::string& fields)
{
    return policy::parse(R"({"capabilities":{"allow":[]},"fields":)" + fields + "}", "test");
}

// The fields findings for a config (the other controls do not run when fields refuses).
std::vector<harden::Finding> config_findings(const std::string& text, const policy::Policy& policy = default_policy())
{
    json::Value config = json::parse(text);
    harden::Report report;
    harden::fields(config, policy, report);
    std::vector<harden::Finding> out = report.refused;
    out.insert(out.end(), report.audited.begin(), report.audited.end());
    return out;
}

std::string paths(const std::vector<harden::Finding>& findings)
{
    std::string out;
    for (const auto& f : findings)
        out += (out.empty() ? "" : " ") + f.path;
    return out;
}

const char* base = R"({"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}})";

// The base config with `members` added (a "process" given replaces the base's).
std::string with(const std::string& members)
{
    if (members.rfind("\"process\"", 0) == 0)
        return R"({"ociVersion":"1.0.2","root":{"path":"rootfs"},)" + members + "}";
    std::string text = base;
    text.pop_back();
    return text + "," + members + "}";
}

}  // namespace

Test(fields, real_engine_documents_pass_unchanged)
{
    policy::Policy p = default_policy();
    for (const auto& path : test::fixture_files()) {
        json::Value doc = json::parse(test::read_file(path));
        std::string before = json::serialize(doc);
        harden::Report report;
        if (path.find("-update-") != std::string::npos)
            harden::resources_fields(doc, p, report);
        else if (path.find("-process.json") != std::string::npos)
            harden::process_fields(doc, p, report);
        else
            harden::fields(doc, p, report);
        cr_assert(report.refused.empty() && report.changed.empty(), "%s: %s", path.c_str(),
                  harden::describe(report.refused).c_str());
        cr_assert_eq(json::serialize(doc), before);
    }
}

Test(fields, a_key_differing_only_by_case_is_refused_wherever_it_is)
{
    // runc takes the last of keys that fold together: the second defaultAction would be the
    // filter's. Inside linux.seccomp, its syscalls and their args, as at the top.
    const std::pair<const char*, const char*> cases[] = {
        {R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW"}})",
         "/linux/seccomp/DefaultAction"},
        {R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getcwd"],"action":"SCMP_ACT_ERRNO","ACTION":"SCMP_ACT_ALLOW"}]}})",
         "/linux/seccomp/syscalls/0/ACTION"},
        {R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ","Op":"SCMP_CMP_NE"}]}]}})",
         "/linux/seccomp/syscalls/0/args/0/Op"},
        {R"("Hooks":{"prestart":[{"path":"/bin/sh"}]})", "/Hooks"},
        {"\"linux\":{\"resources\":{\"pids\":{\"limit\":10,\"Limit\":0}}}", "/linux/resources/pids/Limit"},
        {"\"mounts\":[{\"destination\":\"/x\",\"\xc5\xbfource\":\"/etc\"}]", "/mounts/0/\xc5\xbfource"},  // U+017F
        {"\"linux\":{\"\xe2\x84\xaa" "ernel\":1}", ""},  // U+212A is no field's fold: unknown, refused too
    };
    for (const auto& [members, pointer] : cases) {
        auto findings = config_findings(with(members));
        cr_assert_eq(findings.size(), 1u, "%s: %s", members, paths(findings).c_str());
        if (*pointer) {
            cr_assert_eq(findings[0].path, pointer);
            cr_assert(findings[0].detail.find("only by case") != std::string::npos, "%s", findings[0].detail.c_str());
        }
    }
    // The Kelvin sign does fold onto 'k': "\u212Aernel" would be memory.kernel.
    auto kelvin = config_findings(with("\"linux\":{\"resources\":{\"memory\":{\"\xe2\x84\xaa" "ernel\":1}}}"));
    cr_assert(kelvin.size() == 1 && kelvin[0].detail.find("\"kernel\" only by case") != std::string::npos);
}

Test(fields, exec_and_update_documents_are_read_the_same_way)
{
    json::Value process = json::parse(R"({"args":["sh"],"cwd":"/","Capabilities":{"bounding":["CAP_SYS_ADMIN"]}})");
    harden::Report report = harden::harden_process(process, default_policy());
    cr_assert_eq(report.refused.size(), 1u);
    cr_assert_eq(report.refused[0].path, "/Capabilities");
    cr_assert(process.find("Capabilities"), "nothing rewritten after a refusal");

    json::Value resources = json::parse(R"({"pids":{"limit":100,"LIMIT":-1}})");
    harden::Report update;
    harden::resources_fields(resources, default_policy(), update);
    cr_assert(update.refused.size() == 1 && update.refused[0].path == "/pids/LIMIT");
}

Test(fields, unknown_fields_are_refused_unless_the_policy_lets_them_through)
{
    auto findings = config_findings(with(R"("linux":{"intelRdt":{"closID":"x","newKnob":1}},"x-engine":{"keep":1})"));
    cr_assert_eq(paths(findings), "/linux/intelRdt/newKnob /x-engine");
    cr_assert(findings[1].detail.find("not a field of the OCI runtime-spec") != std::string::npos);
    auto allowed = config_findings(with(R"("x-engine":{"keep":1},"mounts":[{"destination":"/x","newOption":1}])"),
                                   policy_with_fields(R"({"allow":["/x-engine","/mounts[]/newOption"]})"));
    cr_assert(allowed.empty(), "%s", paths(allowed).c_str());
    // Audit records and refuses nothing.
    json::Value config = json::parse(with(R"("x-engine":1)"));
    harden::Report audit;
    harden::fields(config, policy_with_fields(R"({"mode":"audit"})"), audit);
    cr_assert(audit.refused.empty() && audit.audited.size() == 1 && audit.audited[0].path == "/x-engine");
    // Maps keep any key; windows/solaris/vm/zos pass unread.
    cr_assert(config_findings(with(R"("annotations":{"Any.Key/x":"v","any.key/x":"w"},"windows":{"anything":[1]})")).empty());
}

Test(fields, kinds_ranges_and_nul_bytes_are_go_s)
{
    const std::pair<const char*, const char*> bad[] = {
        {R"("process":{"user":{"uid":4294967296}})", "/process/user/uid"},  // uint32 overflow
        {R"("process":{"user":{"uid":-1}})", "/process/user/uid"},
        {R"("process":{"user":{"uid":1.0}})", "/process/user/uid"},
        {R"("process":{"user":{"uid":1e3}})", "/process/user/uid"},
        {R"("process":{"user":{"uid":"0"}})", "/process/user/uid"},
        {R"("process":{"scheduler":{"policy":"SCHED_OTHER","nice":2147483648}})", "/process/scheduler/nice"},
        {R"("linux":{"resources":{"blockIO":{"weight":65536}}})", "/linux/resources/blockIO/weight"},
        {R"("linux":{"resources":{"memory":{"limit":9223372036854775808}}})", "/linux/resources/memory/limit"},
        {R"("process":{"args":["sh\u0000x"]})", "/process/args/0"},
        {R"("annotations":{"a\u0000b":"c"})", "/annotations/a?b"},
        {R"("process":{"args":["sh"],"terminal":"yes"})", "/process/terminal"},
        {R"("mounts":{"destination":"/x"})", "/mounts"},
        {R"("linux":{"sysctl":{"net.core.somaxconn":1}})", "/linux/sysctl/net.core.somaxconn"},
    };
    for (const auto& [members, pointer] : bad) {
        auto findings = config_findings(with(members));
        cr_assert_eq(findings.size(), 1u, "%s: %s", members, paths(findings).c_str());
        // The NUL-keyed annotation's pointer holds the NUL itself.
        std::string expected = strstr(members, "a\\u0000b") ? std::string("/annotations/a\0b", 16) : pointer;
        cr_assert(findings[0].path == expected, "%s: %s", members, findings[0].path.c_str());
    }
    const char* good[] = {
        R"("process":{"user":{"uid":4294967295,"gid":0},"oomScoreAdj":-1000})",
        R"("linux":{"resources":{"memory":{"limit":-1,"swap":9223372036854775807},"pids":{"limit":-9223372036854775808}}})",
        R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}})",
        R"("process":{"args":["sh"],"env":null},"hooks":null)",
    };
    for (const char* members : good)
        cr_assert(config_findings(with(members)).empty(), "%s: %s", members, paths(config_findings(with(members))).c_str());
}

Test(fields, fields_no_control_makes_safe_are_refused)
{
    auto findings = config_findings(with(R"("linux":{"netDevices":{"eth9":{"name":"eth0"}}})"));
    cr_assert_eq(findings.size(), 1u, "%s", paths(findings).c_str());
    cr_assert_eq(findings[0].path, "/linux/netDevices");
    cr_assert(findings[0].detail.find("host network interfaces") != std::string::npos);
    cr_assert(config_findings(with(R"("linux":{"netDevices":{"eth9":{"name":"eth0"}}})"),
                              policy_with_fields(R"({"allow":["/linux/netDevices"]})"))
                  .empty());
    cr_assert(config_findings(with(R"("linux":{"netDevices":{}})")).empty(), "an empty map moves nothing");
}

Test(fields, a_refusal_stops_the_controls_and_the_config_is_not_touched)
{
    json::Value config = json::parse(with(R"("linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW"}})"));
    std::string before = json::serialize(config);
    harden::Report report = harden::harden_config(config, default_policy(), test::context());
    cr_assert_eq(report.refused.size(), 1u);
    cr_assert_eq(report.refused[0].control, "fields");
    cr_assert(!report.modified());
    cr_assert_eq(json::serialize(config), before);
}

Test(fields, the_policy_section_is_checked)
{
    cr_assert_throw(policy_with_fields(R"({"allow":["linux/netDevices"]})"), Error);
    cr_assert_throw(policy_with_fields(R"({"Allow":[]})"), Error);
    cr_assert_throw(policy_with_fields(R"({"mode":"sometimes"})"), Error);
}

// The review table of man 5 hardrun-policy (FIELDS) lists exactly the schema's fields, each with
// the control that owns it: the table cannot drift from what the fields control walks.
Test(fields, the_man_page_table_is_the_schema)
{
    std::string man = test::read_file(test::fixtures_dir() + "/../../man/hardrun-policy.5");
    cr_assert(!man.empty());
    size_t start = man.find(".SH FIELDS");
    cr_assert_neq(start, std::string::npos, "man 5 hardrun-policy has no FIELDS section");
    size_t end = man.find("\n.SH ", start + 1);
    std::string section = man.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // Each field is two table rows: its pointer alone, then "\0\0TYPE<TAB>OWNER<TAB>T{" (the
    // description follows in a text block).
    std::map<std::string, std::pair<std::string, std::string>> documented;  // pointer -> type, owner
    std::istringstream lines(section);
    std::string line, pointer;
    bool in_table = false;
    while (std::getline(lines, line)) {
        if (line.rfind(".TS", 0) == 0 || line.rfind(".TE", 0) == 0) {
            in_table = line[2] == 'S';
            continue;
        }
        if (!in_table)
            continue;
        if (line.rfind("/", 0) == 0) {
            cr_assert(pointer.empty(), "%s has no type and control row", pointer.c_str());
            pointer = line;
        } else if (line.rfind("\\0\\0", 0) == 0) {
            cr_assert(!pointer.empty(), "a type and control row without a field: %s", line.c_str());
            size_t tab = line.find('\t'), tab2 = line.find('\t', tab + 1);
            cr_assert(tab != std::string::npos && tab2 != std::string::npos, "%s", line.c_str());
            cr_assert(documented.emplace(pointer, std::make_pair(line.substr(4, tab - 4), line.substr(tab + 1, tab2 - tab - 1)))
                          .second,
                      "listed twice: %s", pointer.c_str());
            pointer.clear();
        }
    }
    cr_assert_gt(documented.size(), 100u);
    for (const auto& row : spec::schema::rows()) {
        auto it = documented.find(row.pointer);
        cr_assert(it != documented.end(), "%s is missing from man 5 hardrun-policy FIELDS", row.pointer.c_str());
        cr_assert(it->second.second == row.owner && it->second.first == row.type,
                  "%s: the man page says %s %s, the schema %s %s", row.pointer.c_str(), it->second.first.c_str(),
                  it->second.second.c_str(), row.type.c_str(), row.owner.c_str());
        documented.erase(it);
    }
    cr_assert(documented.empty(), "man 5 hardrun-policy FIELDS lists %s, which the schema does not have",
              documented.begin()->first.c_str());
}

// The tree the fields control walks (laid out at compile time) is the table: every line's pointer
// leads through it to a leaf of that pointer, type and owner; every leaf of the tree is a line;
// each node's pointer is its parent's plus its own step; a container's owner is the one all its
// leaves share, else none.
Test(fields, the_schema_tree_is_the_table)
{
    using spec::schema::Kind;
    using spec::schema::Node;
    const auto& rows = spec::schema::rows();
    cr_assert_gt(rows.size(), 150u);
    for (const auto& row : rows) {
        const Node* at = &spec::schema::config();
        std::string walked;
        size_t i = 0;
        while (i < row.pointer.size()) {
            if (row.pointer[i] == '/') {
                size_t end = row.pointer.find_first_of("/[{", i + 1);
                std::string name = row.pointer.substr(i + 1, end == std::string::npos ? std::string::npos : end - i - 1);
                cr_assert_eq(at->kind, Kind::object, "%s: %s is not a struct", row.pointer.c_str(), walked.c_str());
                at = at->field(name);
                cr_assert(at, "%s: no field %s below %s", row.pointer.c_str(), name.c_str(), walked.c_str());
                walked += "/" + name;
                i += 1 + name.size();
            } else {
                cr_assert_eq(at->kind, row.pointer[i] == '[' ? Kind::array : Kind::map, "%s at %s", row.pointer.c_str(),
                             walked.c_str());
                at = at->element();
                cr_assert(at, "%s: %s has no element", row.pointer.c_str(), walked.c_str());
                walked += row.pointer.substr(i, 2);
                i += 2;
            }
            cr_assert_eq(std::string(at->pointer()), walked);
        }
        cr_assert_eq(std::string(at->owner()), row.owner, "%s", row.pointer.c_str());
        Kind kind = row.type == "string" ? Kind::string
                    : row.type == "bool" ? Kind::boolean
                    : row.type == "any"  ? Kind::any
                                         : Kind::integer;
        cr_assert_eq(at->kind, kind, "%s is a %s", row.pointer.c_str(), row.type.c_str());
        cr_assert(at->fields().empty() && !at->element(), "%s is not a leaf", row.pointer.c_str());
        if (kind == Kind::integer)
            cr_assert_eq(at->is_signed, row.type.rfind("int", 0) == 0, "%s", row.pointer.c_str());
    }
    // The other way round: the leaves, and each container's shared owner.
    size_t leaves = 0;
    std::function<std::string(const Node&)> visit = [&](const Node& node) -> std::string {
        std::vector<std::string> owners;
        for (const Node& f : node.fields()) {
            cr_assert_eq(std::string(f.pointer()), std::string(node.pointer()) + "/" + std::string(f.name()));
            owners.push_back(visit(f));
        }
        if (const Node* e = node.element()) {
            cr_assert_eq(std::string(e->pointer()),
                         std::string(node.pointer()) + (node.kind == Kind::array ? "[]" : "{}"));
            owners.push_back(visit(*e));
        }
        if (owners.empty()) {
            ++leaves;
            return std::string(node.owner());
        }
        bool same = std::all_of(owners.begin(), owners.end(), [&](const std::string& o) { return o == owners[0]; });
        cr_assert_eq(std::string(node.owner()), same ? owners[0] : "", "%s", std::string(node.pointer()).c_str());
        return std::string(node.owner());
    };
    visit(spec::schema::config());
    cr_assert_eq(leaves, rows.size());
    cr_assert_eq(std::string(spec::schema::config().field("linux")->field("netDevices")->owner()), "fields");
    cr_assert_eq(std::string(spec::schema::process().field("capabilities")->owner()), "capabilities");
    cr_assert_eq(std::string(spec::schema::process().owner()), "");
    cr_assert_eq(std::string(spec::schema::resources().pointer()), "/linux/resources");
}

// folds_to(key, folded) must agree with comparing fold_key(key) to folded, for every pair of
// keys: ASCII case, U+017F (long s) and U+212A (Kelvin sign), their cut-short byte sequences,
// prefixes and extensions.
Test(fields, folds_to_agrees_with_fold_key)
{
    const std::string keys[] = {
        "", "process", "Process", "PROCESS", "proce\xC5\xBFs", "proce\xC5\xBF", "proceSs", "proc", "processes",
        "\xE2\x84\xAA" "ey", "key", "Key", "KEY", "\xC5", "proce\xC5", "\xE2\x84", "\xE2\x84\xAA", "\xC5\xBF", "s", "S",
        "k", "K", "ab\xC5\xBF\xC5\xBF", "abss", "abSS", "ab\xC5\xBFs", "\xC5\xBF\xE2\x84\xAA", "sk", "s\xE2\x84", "@[`{",
    };
    for (const std::string& a : keys)
        for (const std::string& b : keys) {
            std::string folded = spec::fold_key(b);
            cr_assert_eq(spec::folds_to(a, folded), spec::fold_key(a) == folded, "\"%s\" against \"%s\"", a.c_str(),
                         b.c_str());
        }
}
