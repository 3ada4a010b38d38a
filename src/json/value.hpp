// A JSON value that round-trips a config.json without losing anything runc would see:
// object members keep their order, numbers keep their source text (uint64 seccomp masks
// stay exact), strings may hold any bytes (NUL included). Parsed and written with yajl.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hardrun::json {

enum class Kind { null, boolean, number, string, array, object };

const char* kind_name(Kind kind);

class Value;
using Member = std::pair<std::string, Value>;

class Value {
public:
    Value() = default;  // null

    static Value boolean(bool b);
    static Value number(int64_t n);
    // The caller vouches that text is a valid JSON number (the parser's raw text).
    static Value number_from_text(std::string text);
    static Value string(std::string s);
    static Value array(std::vector<Value> items = {});
    static Value object();

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::null; }
    bool is_bool() const { return kind_ == Kind::boolean; }
    bool is_number() const { return kind_ == Kind::number; }
    bool is_string() const { return kind_ == Kind::string; }
    bool is_array() const { return kind_ == Kind::array; }
    bool is_object() const { return kind_ == Kind::object; }

    bool as_bool() const { return bool_; }
    const std::string& as_string() const { return text_; }
    const std::string& number_text() const { return text_; }
    // The number as an integer, if its text is a plain integer that fits.
    std::optional<int64_t> as_int64() const;
    std::optional<uint64_t> as_uint64() const;

    std::vector<Value>& items() { return items_; }
    const std::vector<Value>& items() const { return items_; }
    std::vector<Member>& members() { return members_; }
    const std::vector<Member>& members() const { return members_; }

    // Exact-key member lookup (objects only; nullptr otherwise or when absent).
    Value* find(std::string_view key);
    const Value* find(std::string_view key) const;
    // Replace the member's value in place (keeping its position) or append it.
    Value& set(std::string_view key, Value value);
    bool erase(std::string_view key);

    bool operator==(const Value& other) const;

private:
    Kind kind_ = Kind::null;
    bool bool_ = false;
    std::string text_;  // string contents, or a number's source text
    std::vector<Value> items_;
    std::vector<Member> members_;
};

struct ParseLimits {
    size_t max_bytes = 16u << 20;
    size_t max_depth = 128;
};

// Strict RFC 8259 parse of one document. Refuses duplicate keys in any object, since runc
// (Go's encoding/json) would silently take the last one while a reader may take the first.
// Throws hardrun::Error with the position and, where known, the JSON pointer of the problem.
Value parse(std::string_view text, const ParseLimits& limits = {});

// One member of a document's root object, with the document checked as parse() checks it
// (limits, syntax, duplicate keys at any depth, surrogates; the same errors), without building
// the rest of the tree: for reading one setting of a file whose other parts are read elsewhere.
struct RootMember {
    bool root_is_object = false;
    // Absent when the root has no such member. A member that is an array or object is returned
    // empty, of its kind: its contents are checked, not kept.
    std::optional<Value> value;
};
RootMember parse_root_member(std::string_view text, std::string_view key, const ParseLimits& limits = {});

// Compact serialisation. Member order and number text are written as held.
std::string serialize(const Value& value);

// The same, indented by two spaces, for files people edit (daemon.json).
std::string serialize_pretty(const Value& value);

}  // namespace hardrun::json
