// The OCI runtime-spec (v1.2.1 and the fields runc 1.1-1.3 read) as data: every field of
// config.json, its JSON kind (with the Go type's integer range), and the hardrun control that
// owns it. The fields control walks a config (or an exec's process.json, or the resources
// document of `runc update`) against it before any other control runs, so that every control
// reads the config exactly as runc's Go decoder will; `man 5 hardrun-policy` (FIELDS) lists the
// same table, and a unit test keeps the two in step.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun::spec::schema {

enum class Kind {
    object,  // a Go struct: keys matched case-insensitively by runc (Go's folding)
    map,     // a Go map: any key, exact
    array,
    string,
    boolean,
    integer,
    any,  // not read by runc on Linux (windows, solaris, vm, zos): passes unread
};

// A node of the schema's tree. The whole tree is built at compile time (schema.cpp) as one
// constant array: a create walks it without building anything, and it holds offsets, not
// pointers, so nothing in it is relocated (written) when hardrun starts.
struct Node {
    Kind kind = Kind::any;
    // Integers: the Go type's range (int32, uint64 ...).
    bool is_signed = false;
    uint64_t max = 0;  // largest value (for signed types, the positive bound)

    // "/process/rlimits[]/type": [] an array item, {} a map value.
    std::string_view pointer() const;
    // The control that owns the field ("inert": nothing on the host); for an object, array or map
    // the owner all its leaves share, else empty.
    std::string_view owner() const;
    // A struct field's exact OCI name ("rlimits"); empty for the root and for elements.
    std::string_view name() const;
    // Structs: their fields, in the table's order.
    std::span<const Node> fields() const;
    const Node* field(std::string_view name) const;
    // Arrays and maps: the element.
    const Node* element() const;

    // Where the texts are in the schema's table, and the children in the node array (schema.cpp
    // fills these; element 0 means none, as the root is no one's element).
    uint16_t pointer_at = 0, pointer_len = 0;
    uint16_t name_at = 0, name_len = 0;
    uint16_t owner_at = 0, owner_len = 0;
    uint16_t first_field = 0, field_count = 0;
    uint16_t element_index = 0;
};

// Roots: config.json; the process object (process.json of `runc exec --process`); the
// LinuxResources object (`runc update -r`).
const Node& config();
const Node& process();
const Node& resources();

// Every leaf of config.json's schema, in table order: {pointer, Go type, owner}.
struct Row {
    std::string pointer;
    std::string type;
    std::string owner;
};
const std::vector<Row>& rows();

}  // namespace hardrun::spec::schema
