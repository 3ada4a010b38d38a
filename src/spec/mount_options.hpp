// Mount options as runc applies them (libcontainer/specconv parseMountOptions): a flag option
// ("nosuid", "rw", "rshared") sets or clears MS_* flags, left to right, the last one winning;
// runc's recursive variants ("rro", "rsuid", "rdev", "rexec" ...: "r" + a flag option) are
// applied with mount_setattr(AT_RECURSIVE) after the mount, so they win whatever their place;
// anything else is filesystem data. Flag options are libmount's option map (MNT_LINUX_MAP), as
// mount(8) reads them, taken from libmount when hardrun is built (mount_option_table_gen.cpp).
#pragma once

#include "json/value.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hardrun::spec {

struct OptionEffect {
    unsigned long set = 0;      // MS_* flags the option sets
    unsigned long cleared = 0;  // MS_* flags it clears
    bool recursive = false;     // runc's "r" variant of a flag option
};

// What one option ("nosuid", "rsuid", "mode=755") does to the mount flags.
OptionEffect option_effect(std::string_view option);

// The names of the flag options the table knows (for the test against libmount's map).
std::vector<std::string_view> flag_option_names();

// Whether the options (an array of strings, or nullptr) leave `flag` (MS_NOSUID, MS_RDONLY ...)
// set: some option sets it and none clears it, plain or recursive.
bool keeps_flag(const json::Value* options, unsigned long flag);

// Make `flag` hold: drop every option that clears it (returned, for the report), and append
// `name` ("nosuid") unless an option left sets it. `options` is created on `mount` if absent.
std::string impose_flag(json::Value& mount, unsigned long flag, const char* name);

}  // namespace hardrun::spec
