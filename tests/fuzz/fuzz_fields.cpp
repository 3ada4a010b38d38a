// libFuzzer harness for the parser differential: whatever hardrun accepts, it reads as runc does.
// For every input that hardrun's parser and fields control accept, each field of the runtime-spec
// schema is read twice and the two readings must agree:
//  - hardrun's: exact keys, on hardrun's own parser (json::parse);
//  - runc's, reimplemented here as Go's encoding/json does it, on an independent parser
//    (yajl_tree): a struct's keys match case-insensitively with Unicode simple folding (U+212A
//    KELVIN SIGN is 'k', U+017F LONG S is 's'), the last matching key wins, null is absent; map
//    keys are exact, the last wins.
// A disagreement is a config whose controls judged one thing while runc would do another: abort.
#include "harden/controls.hpp"
#include "json/value.hpp"
#include "policy/policy.hpp"
#include "spec/schema.hpp"
#include "util/error.hpp"

#include <yajl/yajl_tree.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

using namespace hardrun;
using spec::schema::Kind;
using spec::schema::Node;

namespace {

const policy::Policy& default_policy()
{
    static const policy::Policy p = policy::parse(policy::builtin_policy_text, "built-in");
    return p;
}

void require(bool ok)
{
    if (!ok)
        std::abort();
}

// Go's comparison of a JSON key with an ASCII field name: rune by rune, simple case folding.
bool go_key_matches(std::string_view key, std::string_view field)
{
    size_t i = 0, j = 0;
    while (i < key.size() && j < field.size()) {
        unsigned char c = static_cast<unsigned char>(key[i]);
        char folded;
        if (c < 0x80) {
            folded = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i += 1;
        } else if (key.substr(i, 3) == "\xe2\x84\xaa") {
            folded = 'k';
            i += 3;
        } else if (key.substr(i, 2) == "\xc5\xbf") {
            folded = 's';
            i += 2;
        } else {
            return false;  // no other rune folds onto ASCII
        }
        char f = field[j];
        if (f >= 'A' && f <= 'Z')
            f = static_cast<char>(f + 32);
        if (folded != f)
            return false;
        j += 1;
    }
    return i == key.size() && j == field.size();
}

// The value Go assigns to struct field `field` of `object`: the last matching key's, null = none.
yajl_val go_struct_field(yajl_val object, std::string_view field)
{
    yajl_val found = nullptr;
    for (size_t i = 0; i < object->u.object.len; ++i)
        if (go_key_matches(object->u.object.keys[i], field))
            found = object->u.object.values[i];
    return found && !YAJL_IS_NULL(found) ? found : nullptr;
}

yajl_val go_map_value(yajl_val object, std::string_view key)
{
    yajl_val found = nullptr;
    for (size_t i = 0; i < object->u.object.len; ++i)
        if (key == object->u.object.keys[i])
            found = object->u.object.values[i];
    return found && !YAJL_IS_NULL(found) ? found : nullptr;
}

size_t go_map_size(yajl_val object)
{
    size_t distinct = 0;
    for (size_t i = 0; i < object->u.object.len; ++i) {
        bool later = false;
        for (size_t k = i + 1; k < object->u.object.len; ++k)
            later = later || std::strcmp(object->u.object.keys[i], object->u.object.keys[k]) == 0;
        distinct += later ? 0 : 1;
    }
    return distinct;
}

// hardrun's reading `ours` (nullptr when absent) against Go's `theirs`, below schema node `node`.
void agree(const json::Value* ours, yajl_val theirs, const Node& node)
{
    if (ours && ours->is_null())
        ours = nullptr;
    if (theirs && YAJL_IS_NULL(theirs))
        theirs = nullptr;
    require((ours == nullptr) == (theirs == nullptr));
    if (!ours || node.kind == Kind::any)
        return;
    switch (node.kind) {
    case Kind::object:
        require(YAJL_IS_OBJECT(theirs) && ours->is_object());
        for (const Node& child : node.fields())
            agree(ours->find(child.name()), go_struct_field(theirs, child.name()), child);
        break;
    case Kind::map:
        require(YAJL_IS_OBJECT(theirs) && ours->is_object());
        require(go_map_size(theirs) == ours->members().size());
        for (const auto& [key, value] : ours->members())
            agree(&value, go_map_value(theirs, key), *node.element());
        break;
    case Kind::array:
        require(YAJL_IS_ARRAY(theirs) && ours->is_array());
        require(theirs->u.array.len == ours->items().size());
        for (size_t i = 0; i < ours->items().size(); ++i)
            agree(&ours->items()[i], theirs->u.array.values[i], *node.element());
        break;
    case Kind::string:
        require(YAJL_IS_STRING(theirs) && ours->is_string() && ours->as_string() == theirs->u.string);
        break;
    case Kind::boolean:
        require((YAJL_IS_TRUE(theirs) || YAJL_IS_FALSE(theirs)) && ours->is_bool() &&
                ours->as_bool() == YAJL_IS_TRUE(theirs));
        break;
    case Kind::integer:
        require(YAJL_IS_NUMBER(theirs) && ours->is_number() && ours->number_text() == theirs->u.number.r);
        break;
    case Kind::any: break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string text(reinterpret_cast<const char*>(data), size);
    json::Value config;
    try {
        config = json::parse(text);
    } catch (const Error&) {
        return 0;
    }
    harden::Report report;
    try {
        harden::fields(config, default_policy(), report);
    } catch (const Error&) {
        return 0;
    }
    if (!report.refused.empty())
        return 0;
    // Accepted: the independent reading must exist (yajl_tree needs a NUL-terminated copy; an
    // input with a NUL byte outside strings was refused by the first parser).
    char error[256];
    yajl_val theirs = yajl_tree_parse(text.c_str(), error, sizeof error);
    require(theirs != nullptr || text.find('\0') != std::string::npos);
    if (theirs) {
        agree(&config, theirs, spec::schema::config());
        yajl_tree_free(theirs);
    }
    return 0;
}
