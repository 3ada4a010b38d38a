// Reading and changing OCI config fields the way runc will read them.
//
// runc decodes config.json with Go's encoding/json, which matches struct fields
// case-insensitively ("Process" fills Spec.Process; so do "PROCESS" and, through Unicode
// folding, "proceſs"). A key that runc would take for a field hardrun checks, but that
// hardrun's exact lookup would miss, is a way around the policy: such keys are refused.
// JSON null is treated as absent, as Go does for pointers, slices and maps.
#pragma once

#include "json/value.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace hardrun::spec {

// Go's case folding of an object key, enough to compare against ASCII field names.
std::string fold_key(std::string_view key);

// Whether fold_key(key) == folded, without building the folded key: field() compares every
// other key of an object this way, and folding each into a new string cost a create about
// 0.1 M instructions.
bool folds_to(std::string_view key, std::string_view folded);

// The member `key` of `object`, or nullptr when absent or null. Throws when another key of
// the object folds to the same name, or when the member is not of `kind`.
// `where` is the JSON pointer of `object`, for messages.
json::Value* field(json::Value& object, std::string_view key, json::Kind kind, std::string_view where);

// Like field(), but creates an empty object (replacing a null) when absent.
json::Value& object_field(json::Value& object, std::string_view key, std::string_view where);

// Follow a chain of object members ({"linux", "resources", "pids"}); nullptr when one is
// absent. Same checks as field() at every step.
json::Value* object_at(json::Value& root, std::initializer_list<std::string_view> keys);

// Like object_at(), but creates the missing objects (only call it to make a change).
json::Value& make_object_at(json::Value& root, std::initializer_list<std::string_view> keys);

// Append a new namespace {"type": TYPE} to /linux/namespaces, creating /linux and the list
// when missing (only call it to make a change).
void add_namespace(json::Value& config, std::string_view type);

// Item i of an array of objects (mounts, namespaces, devices ...); throws when it is not an
// object. Sets `where` to its JSON pointer, for messages.
json::Value& object_item(json::Value& list, size_t i, std::string_view list_where, std::string& where);

// Whether a mount's options (an array, or nullptr) hold `option` ("rbind", "ro" ...).
bool has_option(const json::Value* options, std::string_view option);

// Whether a mount (an item of config.json's "mounts", at `where`) is a bind mount: type "bind",
// or a "bind"/"rbind" option, as runc decides.
bool is_bind_mount(json::Value& mount, std::string_view where);

// "/process" + "capabilities" -> "/process/capabilities".
std::string child_path(std::string_view where, std::string_view key);

}  // namespace hardrun::spec
