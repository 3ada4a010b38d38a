#include "harden/pipeline.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>

using hardrun::Error;
using namespace hardrun;

namespace {

policy::Policy default_policy() { return policy::parse(policy::builtin_policy_text, "built-in"); }

policy::Policy policy_with_modes(const char* caps_mode, const char* nnp_mode)
{
    std::string text = std::string(R"({"capabilities":{"mode":")") + caps_mode +
                       R"(","allow":["CAP_KILL","CAP_CHOWN"]},"noNewPrivileges":{"mode":")" + nnp_mode + "\"}}";
    return policy::parse(text, "test");
}

std::vector<std::string> names(const json::Value& caps, const char* set)
{
    std::vector<std::string> out;
    if (const json::Value* v = caps.find(set))
        for (const auto& item : v->items())
            out.push_back(item.as_string());
    return out;
}

const char* privileged_process = R"({"process":{"args":["sh"],"capabilities":{
  "bounding":["CAP_CHOWN","CAP_SYS_ADMIN","CAP_NET_RAW","CAP_KILL","CAP_SYS_MODULE"],
  "effective":["CAP_CHOWN","CAP_SYS_ADMIN"],
  "permitted":["CAP_CHOWN","CAP_SYS_ADMIN","CAP_KILL"],
  "inheritable":["CAP_SYS_ADMIN"],
  "ambient":["CAP_SYS_ADMIN","CAP_KILL"]},"noNewPrivileges":false},"x-unknown":{"keep":[1,2,18446744073709551615]}})";

}  // namespace

Test(harden, cuts_all_five_sets_to_the_allowlist)
{
    json::Value config = json::parse(privileged_process);
    harden::Report report = harden::harden_config(config, default_policy());
    const json::Value& caps = *config.find("process")->find("capabilities");
    cr_assert(names(caps, "bounding") == std::vector<std::string>({"CAP_CHOWN", "CAP_KILL"}));
    cr_assert(names(caps, "effective") == std::vector<std::string>({"CAP_CHOWN"}));
    cr_assert(names(caps, "permitted") == std::vector<std::string>({"CAP_CHOWN", "CAP_KILL"}));
    cr_assert(names(caps, "inheritable").empty());
    cr_assert(names(caps, "ambient") == std::vector<std::string>({"CAP_KILL"}));
    cr_assert(config.find("process")->find("noNewPrivileges")->as_bool());
    cr_assert(report.modified());
    cr_assert_eq(report.changed.size(), 6u);  // five sets + noNewPrivileges
    cr_assert(report.refused.empty());
    // Unknown fields and exact numbers survive.
    cr_assert_eq(config.find("x-unknown")->find("keep")->items()[2].number_text(), "18446744073709551615");
    cr_assert_eq(config.find("annotations")->find(harden::policy_annotation)->as_string(), default_policy().digest);
}

Test(harden, second_pass_changes_nothing)
{
    policy::Policy p = default_policy();
    json::Value config = json::parse(privileged_process);
    harden::harden_config(config, p);
    std::string once = json::serialize(config);
    harden::Report second = harden::harden_config(config, p);
    cr_assert(!second.modified());
    cr_assert_eq(json::serialize(config), once);
}

Test(harden, every_fixture_is_hardened_idempotently)
{
    policy::Policy p = default_policy();
    for (const auto& path : test::fixture_files()) {
        if (path.find("-update-") != std::string::npos)
            continue;  // `runc update` resources, not a config or a process
        json::Value doc = json::parse(test::read_file(path));
        bool is_process = path.find("-process.json") != std::string::npos;  // an exec process.json
        harden::Report first = is_process ? harden::harden_process(doc, p) : harden::harden_config(doc, p);
        (void)first;
        std::string once = json::serialize(doc);
        harden::Report second = is_process ? harden::harden_process(doc, p) : harden::harden_config(doc, p);
        cr_assert(!second.modified(), "%s: second pass changed it", path.c_str());
        cr_assert_eq(json::serialize(doc), once, "%s", path.c_str());
        const json::Value& process = is_process ? doc : *doc.find("process");
        cr_assert(process.find("noNewPrivileges")->as_bool(), "%s", path.c_str());
        if (const json::Value* caps = process.find("capabilities"))
            for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
                for (const auto& name : names(*caps, set))
                    cr_assert(name != "CAP_SYS_ADMIN" && name != "CAP_NET_RAW" && name != "CAP_MKNOD" &&
                                  name != "CAP_SYS_CHROOT" && name != "CAP_AUDIT_WRITE",
                              "%s: %s kept in %s", path.c_str(), name.c_str(), set);
    }
}

Test(harden, missing_capabilities_object_gets_the_allowlist)
{
    json::Value config = json::parse(R"({"process":{"args":["sh"]}})");
    harden::harden_config(config, default_policy());
    const json::Value& caps = *config.find("process")->find("capabilities");
    cr_assert_eq(names(caps, "bounding").size(), 8u);
    cr_assert_eq(names(caps, "effective").size(), 8u);
    cr_assert(names(caps, "ambient").empty());
}

Test(harden, unknown_capability_is_an_error)
{
    json::Value config = json::parse(R"({"process":{"capabilities":{"bounding":["CAP_NOT_A_CAP"]}}})");
    cr_assert_throw(harden::harden_config(config, default_policy()), Error);
    json::Value lower = json::parse(R"({"process":{"capabilities":{"bounding":["cap_sys_admin"]}}})");
    cr_assert_throw(harden::harden_config(lower, default_policy()), Error);
    json::Value number = json::parse(R"({"process":{"capabilities":{"bounding":[21]}}})");
    cr_assert_throw(harden::harden_config(number, default_policy()), Error);
}

Test(harden, keys_runc_would_fold_onto_oci_keys_are_refused)
{
    const char* docs[] = {
        R"({"process":{"args":["sh"]},"Process":{"args":["sh"]}})",
        R"({"PROCESS":{"args":["sh"]}})",
        "{\"proce\xc5\xbfs\":{\"args\":[\"sh\"]}}",  // U+017F long s
        R"({"process":{"Capabilities":{"bounding":["CAP_SYS_ADMIN"]}}})",
        R"({"process":{"capabilities":{"Bounding":["CAP_SYS_ADMIN"]}}})",
        "{\"process\":{\"capabilities\":{\"bounding\":[],\"\xe2\x84\xaa\":1,\"ambient\":[]},\"noNewPrivileges\":true,\"NoNewPrivileges\":false}}",
    };
    for (const char* text : docs) {
        json::Value config = json::parse(text);
        cr_assert_throw(harden::harden_config(config, default_policy()), Error, "accepted: %s", text);
    }
}

Test(harden, wrong_types_are_errors)
{
    const char* docs[] = {
        R"({"process":[]})",
        R"({"process":{"capabilities":[]}})",
        R"({"process":{"capabilities":{"bounding":"CAP_KILL"}}})",
        R"({"process":{"noNewPrivileges":"yes"}})",
        R"({"process":{},"annotations":[]})",
        R"([])",
        R"({"root":{}})",
    };
    for (const char* text : docs) {
        json::Value config = json::parse(text);
        cr_assert_throw(harden::harden_config(config, default_policy()), Error, "accepted: %s", text);
    }
}

Test(harden, audit_mode_changes_nothing_and_records_everything)
{
    json::Value config = json::parse(privileged_process);
    std::string before = json::serialize(config);
    harden::Report report = harden::harden_config(config, policy_with_modes("audit", "audit"));
    cr_assert(!report.modified());
    cr_assert_eq(json::serialize(config), before);
    cr_assert_eq(report.audited.size(), 6u);
    cr_assert(report.refused.empty());
}

Test(harden, refuse_mode_reports_instead_of_changing)
{
    json::Value config = json::parse(privileged_process);
    harden::Report report = harden::harden_config(config, policy_with_modes("refuse", "enforce"));
    cr_assert_eq(report.refused.size(), 5u);
    cr_assert_eq(report.refused[0].control, "capabilities");
    cr_assert(report.refused[0].detail.find("CAP_SYS_ADMIN") != std::string::npos);
    cr_assert(config.find("process")->find("noNewPrivileges")->as_bool());  // nnp still enforced
}

Test(harden, exec_process_json)
{
    json::Value process = json::parse(R"({"args":["sh"],"capabilities":{"bounding":["CAP_SYS_ADMIN","CAP_KILL"]}})");
    harden::Report report = harden::harden_process(process, default_policy());
    cr_assert(report.modified());
    cr_assert(names(*process.find("capabilities"), "bounding") == std::vector<std::string>({"CAP_KILL"}));
    cr_assert(process.find("noNewPrivileges")->as_bool());
    cr_assert_eq(report.changed[0].path, "/capabilities/bounding");
}

Test(harden, refusal_description_merges_paths)
{
    json::Value config = json::parse(
        R"({"process":{"capabilities":{"bounding":["CAP_SYS_ADMIN"],"effective":["CAP_SYS_ADMIN"]},"noNewPrivileges":true}})");
    harden::Report report = harden::harden_config(config, policy_with_modes("refuse", "refuse"));
    std::string text = harden::describe(report.refused);
    cr_assert_eq(text, "capabilities: outside the allowlist: CAP_SYS_ADMIN (at /process/capabilities/bounding, "
                       "/process/capabilities/effective)");
}
