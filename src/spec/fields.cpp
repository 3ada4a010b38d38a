#include "spec/fields.hpp"

#include "util/error.hpp"

namespace hardrun::spec {

std::string fold_key(std::string_view key)
{
    std::string out;
    out.reserve(key.size());
    for (size_t i = 0; i < key.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(key[i]);
        // The only non-ASCII letters whose simple case folding reaches ASCII:
        // U+017F LATIN SMALL LETTER LONG S (C5 BF) ~ 's', U+212A KELVIN SIGN (E2 84 AA) ~ 'k'.
        if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
            out.push_back('s');
            i += 1;
        } else if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
                   static_cast<unsigned char>(key[i + 2]) == 0xAA) {
            out.push_back('k');
            i += 2;
        } else if (c >= 'A' && c <= 'Z') {
            out.push_back(static_cast<char>(c - 'A' + 'a'));
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

bool folds_to(std::string_view key, std::string_view folded)
{
    size_t j = 0;
    for (size_t i = 0; i < key.size(); ++i, ++j) {
        unsigned char c = static_cast<unsigned char>(key[i]);
        char f;
        // fold_key()'s rules, one character at a time, stopping at the first difference.
        if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
            f = 's';
            i += 1;
        } else if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
                   static_cast<unsigned char>(key[i + 2]) == 0xAA) {
            f = 'k';
            i += 2;
        } else if (c >= 'A' && c <= 'Z') {
            f = static_cast<char>(c - 'A' + 'a');
        } else {
            f = static_cast<char>(c);
        }
        if (j >= folded.size() || folded[j] != f)
            return false;
    }
    return j == folded.size();
}

std::string child_path(std::string_view where, std::string_view key)
{
    std::string out(where == "/" ? "" : where);
    out += '/';
    out += key;
    return out;
}

json::Value* field(json::Value& object, std::string_view key, json::Kind kind, std::string_view where)
{
    json::Value* found = nullptr;
    std::string folded = fold_key(key);
    for (auto& [k, v] : object.members()) {
        if (k == key) {
            found = &v;
        } else if (folds_to(k, folded)) {
            throw Error("config key \"" + k + "\" at " + std::string(where) +
                        " differs from the OCI key \"" + std::string(key) +
                        "\" only by case; runc would read it as that key, so it is refused");
        }
    }
    if (!found || found->is_null())
        return nullptr;
    if (found->kind() != kind)
        throw Error(child_path(where, key) + " must be " + (kind == json::Kind::object ? "an " : "a ") +
                    json::kind_name(kind) + ", not " + json::kind_name(found->kind()));
    // A NUL inside a name or path: C reads it cut short where Go (runc) reads it whole.
    if (kind == json::Kind::string && found->as_string().find('\0') != std::string::npos)
        throw Error(child_path(where, key) + " contains a NUL byte");
    return found;
}

json::Value& object_field(json::Value& object, std::string_view key, std::string_view where)
{
    if (json::Value* existing = field(object, key, json::Kind::object, where))
        return *existing;
    return object.set(key, json::Value::object());
}

void add_namespace(json::Value& config, std::string_view type)
{
    json::Value& linux = make_object_at(config, {"linux"});
    json::Value* list = field(linux, "namespaces", json::Kind::array, "/linux");
    if (!list)
        list = &linux.set("namespaces", json::Value::array());
    json::Value ns = json::Value::object();
    ns.set("type", json::Value::string(std::string(type)));
    list->items().push_back(std::move(ns));
}

json::Value& object_item(json::Value& list, size_t i, std::string_view list_where, std::string& where)
{
    where = std::string(list_where) + "/" + std::to_string(i);
    json::Value& item = list.items()[i];
    if (!item.is_object())
        throw Error(where + " must be an object");
    return item;
}

json::Value* object_at(json::Value& root, std::initializer_list<std::string_view> keys)
{
    json::Value* at = &root;
    std::string where = "/";
    for (std::string_view key : keys) {
        at = field(*at, key, json::Kind::object, where);
        if (!at)
            return nullptr;
        where = child_path(where, key);
    }
    return at;
}

json::Value& make_object_at(json::Value& root, std::initializer_list<std::string_view> keys)
{
    json::Value* at = &root;
    std::string where = "/";
    for (std::string_view key : keys) {
        at = &object_field(*at, key, where);
        where = child_path(where, key);
    }
    return *at;
}

bool has_option(const json::Value* options, std::string_view option)
{
    if (!options || !options->is_array())
        return false;
    for (const json::Value& o : options->items())
        if (o.is_string() && o.as_string() == option)
            return true;
    return false;
}

bool is_bind_mount(json::Value& mount, std::string_view where)
{
    json::Value* type = field(mount, "type", json::Kind::string, where);
    json::Value* options = field(mount, "options", json::Kind::array, where);
    return (type && type->as_string() == "bind") || has_option(options, "bind") || has_option(options, "rbind");
}

}  // namespace hardrun::spec
