#include "json/value.hpp"
#include "util/error.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>

using hardrun::Error;
using namespace hardrun::json;

Test(json, keeps_member_order_and_number_text)
{
    std::string text = R"({"z":1,"a":18446744073709551615,"m":-9223372036854775808,"f":1.50e+10,"s":"x"})";
    Value v = parse(text);
    cr_assert(v.is_object());
    cr_assert_eq(v.members().size(), 5u);
    cr_assert_eq(v.members()[0].first, "z");
    cr_assert_eq(v.find("a")->number_text(), "18446744073709551615");
    cr_assert_eq(*v.find("a")->as_uint64(), 18446744073709551615ull);
    cr_assert(!v.find("a")->as_int64().has_value());
    cr_assert_eq(*v.find("m")->as_int64(), INT64_MIN);
    cr_assert_eq(v.find("f")->number_text(), "1.50e+10");
    cr_assert_eq(serialize(v), text);
}

Test(json, strings_with_escapes_nul_and_unicode_round_trip)
{
    std::string text = R"(["a\"b\\c\n\t","nul:\u0000:end","é€𝄞","\/"])";
    Value v = parse(text);
    cr_assert_eq(v.items()[1].as_string(), std::string("nul:\0:end", 9));
    cr_assert_eq(v.items()[2].as_string(), "é€𝄞");
    cr_assert_eq(v.items()[3].as_string(), "/");
    Value again = parse(serialize(v));
    cr_assert(again == v);
}

Test(json, refuses_duplicate_keys_in_small_and_large_objects)
{
    cr_assert_throw(parse(R"({"a":1,"a":2})"), Error);
    cr_assert_throw(parse(R"({"p":{"x":1,"y":2,"x":3}})"), Error);
    std::string big = "{";
    for (int i = 0; i < 100; ++i)
        big += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    std::string ok = big + "\"end\":0}";
    cr_assert_eq(parse(ok).members().size(), 101u);
    cr_assert_throw(parse(big + "\"k57\":0}"), Error);
    try {
        parse(R"({"process":{"args":[],"args":["sh"]}})");
        cr_assert_fail("duplicate accepted");
    } catch (const Error& e) {
        cr_assert(std::string(e.what()).find("/process") != std::string::npos, "message: %s", e.what());
    }
}

Test(json, refuses_malformed_documents)
{
    const char* bad[] = {
        "", "{", R"({"a":})", R"({"a":1,})", "[1,2", R"({"a":1} x)", R"({"a":1}{"b":2})",
        "/* c */ {}", "{'a':1}", R"({"a":01})", R"({"a":NaN})", "\"\xff\xfe\"", R"({"a":"\x"})",
        "{\"a\":\"\xc3\x28\"}",
        R"({"a":"\ud800"})", R"({"a":"\ud800x"})", R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})",
        R"({"\udfff":1})",
    };
    for (const char* text : bad)
        cr_assert_throw(parse(text), Error, "accepted: %s", text);
}

Test(json, paired_surrogates_and_escaped_backslashes_are_fine)
{
    cr_assert_eq(parse(R"({"a":"\ud83d\ude00"})").find("a")->as_string(), "\xf0\x9f\x98\x80");
    cr_assert_eq(parse(R"({"a":"\\ud800"})").find("a")->as_string(), "\\ud800");
    cr_assert_eq(parse(R"({"a":"x\"\\","b":"\ud800\udc00"})").find("b")->as_string(), "\xf0\x90\x80\x80");
}

Test(json, limits_depth_and_size)
{
    std::string deep(200, '[');
    deep += std::string(200, ']');
    cr_assert_throw(parse(deep), Error);
    std::string shallow(50, '[');
    shallow += std::string(50, ']');
    cr_assert_no_throw(parse(shallow), Error);
    cr_assert_throw(parse("[1,2,3]", ParseLimits{4, 10}), Error);
}

Test(json, set_replaces_in_place_and_erase_removes)
{
    Value v = parse(R"({"a":1,"b":2,"c":3})");
    v.set("b", Value::string("two"));
    v.set("d", Value::boolean(true));
    cr_assert(v.erase("a"));
    cr_assert(!v.erase("zz"));
    cr_assert_eq(serialize(v), R"({"b":"two","c":3,"d":true})");
}

Test(json, every_fixture_round_trips)
{
    auto files = test::fixture_files();
    cr_assert(files.size() >= 5, "expected captured fixtures in %s, found %zu", test::fixtures_dir().c_str(),
              files.size());
    for (const auto& path : files) {
        Value first = parse(test::read_file(path));
        std::string out = serialize(first);
        Value second = parse(out);
        cr_assert(first == second, "%s does not round-trip", path.c_str());
        cr_assert_eq(serialize(second), out, "%s: second serialisation differs", path.c_str());
    }
}

// parse_root_member() must refuse exactly what parse() refuses, with the same message (a
// pass-through call fails on a broken policy file as a create does), and find what parse() finds.
Test(json, root_member_checks_the_document_as_parse_does)
{
    std::string many = "{";
    for (int i = 0; i < 40; ++i)
        many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    std::string deep(70, '[');
    deep += std::string(70, ']');
    const std::string docs[] = {
        // refused
        "", "{", R"({"runtime":})", R"({"runtime":"a",})", R"({"a":1} x)", "/* c */ {}", R"({"a":01})",
        R"({"runtime":"\ud800"})", "\"\xff\xfe\"", R"({"runtime":"a","runtime":"b"})",
        R"({"x":{"y":[{"p":1,"q":2,"p":3}]}})", R"({"x":[1,2,{"a":{"b":1,"b":2}}]})",
        many + "\"k17\":0}", many + "\"runtime\":\"a\",\"k39\":0}", R"({"a":)" + deep + "}", deep,
        // accepted
        R"({"runtime":"/usr/bin/crun","capabilities":{"allow":["CAP_KILL"]}})",
        R"({"capabilities":{"runtime":"nested, not the root's"}})", R"({"runtime":""})",
        R"({"runtime":42})", R"({"runtime":null})", R"({"runtime":true})", R"({"runtime":{"a":[1]}})",
        R"({"runtime":[1,2]})", R"({"x":[{"runtime":"no"}],"runtime":"yes"})", many + "\"runtime\":\"r\"}",
        "[1,2]", "\"text\"", "7", "{}",
    };
    const ParseLimits limits{1 << 20, 64};
    for (const std::string& doc : docs) {
        std::string expected, got;
        std::optional<Value> whole;
        try {
            whole = parse(doc, limits);
        } catch (const Error& e) {
            expected = e.what();
        }
        try {
            RootMember m = parse_root_member(doc, "runtime", limits);
            cr_assert(whole.has_value(), "accepted what parse() refuses (%s): %s", expected.c_str(), doc.c_str());
            cr_assert_eq(m.root_is_object, whole->is_object(), "root kind: %s", doc.c_str());
            const Value* v = whole->is_object() ? whole->find("runtime") : nullptr;
            cr_assert_eq(m.value.has_value(), v != nullptr, "presence: %s", doc.c_str());
            if (v && (v->is_object() || v->is_array()))
                cr_assert_eq(m.value->kind(), v->kind(), "kind: %s", doc.c_str());
            else if (v)
                cr_assert(*m.value == *v, "value: %s", doc.c_str());
        } catch (const Error& e) {
            got = e.what();
            cr_assert_str_eq(got.c_str(), expected.c_str(), "%s", doc.c_str());
        }
    }
    cr_assert_throw(parse_root_member(R"({"runtime":"a"})", "runtime", ParseLimits{4, 10}), Error);
}
