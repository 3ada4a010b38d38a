// The OCI runtime-spec (v1.2.1 and the fields runc 1.1-1.3 read) as data: every field of
// config.json, its JSON kind (with the Go type's integer range), and the hardrun control that
// owns it. The fields control walks a config (or an exec's process.json, or the resources
// document of `runc update`) against it before any other control runs, so that every control
// reads the config exactly as runc's Go decoder will; `man 5 hardrun-policy` (FIELDS) lists the
// same table, and a unit test keeps the two in step.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
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

// Views into the schema's table, a string constant: building the tree on every create then
// allocates only its nodes.
struct Node {
    Kind kind = Kind::any;
    std::string_view pointer;  // "/process/rlimits[]/type": [] an array item, {} a map value
    // The control that owns the field ("inert": nothing on the host); for an object, array or map
    // the owner all its leaves share, else empty.
    std::string_view owner;
    // Integers: the Go type's range (int32, uint64 ...).
    bool is_signed = false;
    uint64_t max = 0;  // largest value (for signed types, the positive bound)
    // Structs: fields by their exact OCI name. Arrays and maps: the element.
    std::vector<std::pair<std::string_view, std::unique_ptr<Node>>> fields;
    std::unique_ptr<Node> element;

    const Node* field(std::string_view name) const;
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
