#include "json/value.hpp"

#include <charconv>

namespace hardrun::json {

const char* kind_name(Kind kind)
{
    switch (kind) {
    case Kind::null: return "null";
    case Kind::boolean: return "boolean";
    case Kind::number: return "number";
    case Kind::string: return "string";
    case Kind::array: return "array";
    case Kind::object: return "object";
    }
    return "?";
}

Value Value::boolean(bool b)
{
    Value v;
    v.kind_ = Kind::boolean;
    v.bool_ = b;
    return v;
}

Value Value::number(int64_t n) { return number_from_text(std::to_string(n)); }

Value Value::number_from_text(std::string text)
{
    Value v;
    v.kind_ = Kind::number;
    v.text_ = std::move(text);
    return v;
}

Value Value::string(std::string s)
{
    Value v;
    v.kind_ = Kind::string;
    v.text_ = std::move(s);
    return v;
}

Value Value::array(std::vector<Value> items)
{
    Value v;
    v.kind_ = Kind::array;
    v.items_ = std::move(items);
    return v;
}

Value Value::object()
{
    Value v;
    v.kind_ = Kind::object;
    return v;
}

namespace {

// The whole text as an integer of type T, or nullopt (fractions, exponents, overflow).
template <typename T>
std::optional<T> whole_integer(const std::string& text)
{
    T out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return out;
}

}  // namespace

std::optional<int64_t> Value::as_int64() const
{
    return kind_ == Kind::number ? whole_integer<int64_t>(text_) : std::nullopt;
}

std::optional<uint64_t> Value::as_uint64() const
{
    // from_chars would read "-1" as an unsigned wrap-around on some libraries: refuse the sign.
    if (kind_ != Kind::number || text_.empty() || text_[0] == '-')
        return std::nullopt;
    return whole_integer<uint64_t>(text_);
}

Value* Value::find(std::string_view key)
{
    if (kind_ != Kind::object)
        return nullptr;
    for (auto& [k, v] : members_)
        if (k == key)
            return &v;
    return nullptr;
}

const Value* Value::find(std::string_view key) const
{
    return const_cast<Value*>(this)->find(key);
}

Value& Value::set(std::string_view key, Value value)
{
    if (Value* existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    members_.emplace_back(std::string(key), std::move(value));
    return members_.back().second;
}

bool Value::erase(std::string_view key)
{
    for (auto it = members_.begin(); it != members_.end(); ++it) {
        if (it->first == key) {
            members_.erase(it);
            return true;
        }
    }
    return false;
}

bool Value::operator==(const Value& other) const
{
    if (kind_ != other.kind_)
        return false;
    switch (kind_) {
    case Kind::null: return true;
    case Kind::boolean: return bool_ == other.bool_;
    case Kind::number:
    case Kind::string: return text_ == other.text_;
    case Kind::array: return items_ == other.items_;
    case Kind::object: return members_ == other.members_;
    }
    return false;
}

}  // namespace hardrun::json
