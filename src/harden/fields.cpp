// Fields: the config is read as runc will read it, before any control looks at it.
// runc decodes config.json with Go's encoding/json: a struct's keys match case-insensitively
// (with Go's folding, so "Process", "PROCESS" and "proceſs" all fill Spec.Process) and the last
// of several wins; unknown keys are ignored (but a newer runc may act on them); numbers must fit
// the field's Go type. The controls read exact keys. So every object of the document is walked
// against the runtime-spec's schema (spec/schema.cpp) and refused, with its JSON pointer, where
// the two readings could differ or where no control would see what runc does:
//  - a key that differs from a known field only by case (anywhere: inside linux.seccomp too);
//  - a key the schema does not know (unless the policy's fields.allow names it);
//  - a value of the wrong JSON kind, an integer outside its Go type, a string with a NUL byte
//    (C reads it cut short where Go reads it whole);
//  - a field owned by "fields" (no control can make it safe: linux.netDevices).
#include "harden/controls.hpp"
#include "spec/fields.hpp"
#include "spec/schema.hpp"

#include <algorithm>

namespace hardrun::harden {
namespace {

using spec::schema::Kind;
using spec::schema::Node;

// RFC 6901 escaping of one key ("a/b" -> "a~1b").
std::string pointer_key(std::string_view key)
{
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string printable(std::string_view key)
{
    std::string out;
    for (char c : key)
        out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    return out;
}

const char* expected(const Node& node)
{
    switch (node.kind) {
    case Kind::object:
    case Kind::map: return "an object";
    case Kind::array: return "an array";
    case Kind::string: return "a string";
    case Kind::boolean: return "a boolean";
    case Kind::integer: return "an integer";
    case Kind::any: return "anything";
    }
    return "?";
}

// Whether `text` (a JSON number's source) is an integer Go decodes into the node's type.
bool integer_fits(const std::string& text, const Node& node)
{
    bool negative = !text.empty() && text[0] == '-';
    std::string_view digits = std::string_view(text).substr(negative ? 1 : 0);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;  // a fraction or an exponent: Go's ParseInt refuses it
    if (negative && !node.is_signed)
        return false;
    if (digits.size() > 20)
        return false;
    // Compare as decimal strings: no overflow to worry about.
    std::string bound = std::to_string(node.max + (negative ? 1 : 0));  // a signed minimum is -(max+1)
    return digits.size() < bound.size() || (digits.size() == bound.size() && digits <= bound);
}

class Walker {
public:
    Walker(Decision& decision, const std::vector<std::string>& allow) : decision_(decision), allow_(allow) {}

    // `value` at the current path (path_), read against `node`.
    void walk(const json::Value& value, const Node& node)
    {
        if (value.is_null())
            return;  // absent, as Go reads it
        if (node.kind == Kind::any)
            return;
        if (!kind_matches(value, node)) {
            refuse(std::string("must be ") + expected(node) + ", not " + json::kind_name(value.kind()));
            return;
        }
        bool vouching = false;
        if (node.owner() == "fields" && !vouched_) {
            if (!owner_allows(node, value))
                return;
            vouching = vouched_ = true;  // below here, the policy's word holds
        }
        walk_members(value, node);
        if (vouching)
            vouched_ = false;
    }

private:
    Decision& decision_;
    const std::vector<std::string>& allow_;
    bool vouched_ = false;
    // The JSON pointer of the value being walked, as segments: built into a string only for a
    // finding (a create walks thousands of values and refuses none).
    struct Segment {
        std::string_view key;
        size_t index;
        bool is_index;
    };
    std::vector<Segment> path_;

    std::string pointer() const
    {
        std::string out;
        for (const Segment& s : path_)
            out += "/" + (s.is_index ? std::to_string(s.index) : pointer_key(s.key));
        return out.empty() ? "/" : out;
    }

    void walk_at(std::string_view key, const json::Value& value, const Node& node)
    {
        path_.push_back({key, 0, false});
        walk(value, node);
        path_.pop_back();
    }

    void walk_members(const json::Value& value, const Node& node)
    {
        switch (node.kind) {
        case Kind::object: walk_struct(value, node); break;
        case Kind::map:
            for (const auto& [key, item] : value.members()) {
                if (key.find('\0') != std::string::npos) {
                    path_.push_back({key, 0, false});
                    refuse("the key contains a NUL byte");
                    path_.pop_back();
                } else {
                    walk_at(key, item, *node.element());
                }
            }
            break;
        case Kind::array:
            for (size_t i = 0; i < value.items().size(); ++i) {
                path_.push_back({{}, i, true});
                walk(value.items()[i], *node.element());
                path_.pop_back();
            }
            break;
        case Kind::string:
            if (value.as_string().find('\0') != std::string::npos)
                refuse("contains a NUL byte");
            break;
        case Kind::integer:
            if (!integer_fits(value.number_text(), node))
                refuse(value.number_text() + " is not an integer of its type (" +
                                  (node.is_signed ? "signed" : "unsigned") + ", at most " + std::to_string(node.max) +
                                  ")");
            break;
        case Kind::boolean:
        case Kind::any: break;
        }
    }

    void refuse(const std::string& detail)
    {
        decision_.refuse(pointer(), detail);
    }

    bool allowed(const std::string& schema_pointer) const
    {
        return std::find(allow_.begin(), allow_.end(), schema_pointer) != allow_.end();
    }

    static bool kind_matches(const json::Value& value, const Node& node)
    {
        switch (node.kind) {
        case Kind::object:
        case Kind::map: return value.is_object();
        case Kind::array: return value.is_array();
        case Kind::string: return value.is_string();
        case Kind::boolean: return value.is_bool();
        case Kind::integer: return value.is_number();
        case Kind::any: return true;
        }
        return false;
    }

    // A field no control can make safe: refused, where it holds anything, unless the policy
    // vouches for it. Judged at the outermost node that "fields" owns.
    bool owner_allows(const Node& node, const json::Value& value)
    {
        bool empty = (value.is_object() && value.members().empty()) || (value.is_array() && value.items().empty());
        if (empty || allowed(std::string(node.pointer())))
            return true;
        refuse("no control makes " + std::string(node.pointer()) + " safe (" + reason(node.pointer()) +
                          "); refused unless the policy's fields.allow names it");
        return false;
    }

    static std::string reason(std::string_view field)
    {
        if (field == "/linux/netDevices")
            return "it moves host network interfaces into the container";
        return "it reaches the host";
    }

    void walk_struct(const json::Value& value, const Node& node)
    {
        for (const auto& [key, item] : value.members()) {
            if (const Node* child = node.field(key)) {
                walk_at(key, item, *child);
                continue;
            }
            path_.push_back({key, 0, false});
            std::string folded = spec::fold_key(key);
            auto same = std::find_if(node.fields().begin(), node.fields().end(),
                                     [&](const Node& f) { return spec::fold_key(f.name()) == folded; });
            if (same != node.fields().end())
                refuse("the key \"" + printable(key) + "\" differs from the OCI field \"" + std::string(same->name()) +
                       "\" only by case; runc would read it as that field");
            else if (!allowed(std::string(node.pointer()) + "/" + key))
                refuse("not a field of the OCI runtime-spec hardrun knows; a runtime may act on it while no "
                       "control has read it (the policy's fields.allow can let it through)");
            path_.pop_back();
        }
    }
};

void walk(const json::Value& document, const Node& root, const policy::Policy& policy, Report& report)
{
    Decision decision(report, "fields", policy.fields.mode);
    Walker(decision, policy.fields.allow).walk(document, root);
}

}  // namespace

void fields(json::Value& config, const policy::Policy& policy, Report& report)
{
    walk(config, spec::schema::config(), policy, report);
}

void process_fields(json::Value& process, const policy::Policy& policy, Report& report)
{
    walk(process, spec::schema::process(), policy, report);
}

void resources_fields(json::Value& resources, const policy::Policy& policy, Report& report)
{
    walk(resources, spec::schema::resources(), policy, report);
}

}  // namespace hardrun::harden
