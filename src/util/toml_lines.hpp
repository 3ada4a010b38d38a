// A line-preserving editor for the keys hardrun sets in a TOML file it shares with others
// (podman's containers.conf): every line it does not set or remove stays byte for byte, comments
// included. It understands tables ([a.b]), "key = value" lines (a value may span lines when it
// is an array), comments and blank lines; a form it cannot edit safely for the asked key (the
// table defined through dotted keys or an inline table, a multi-line string) is an Error, and
// nothing is changed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hardrun {

class TomlLines {
public:
    explicit TomlLines(std::string_view text);

    // The value text of table.key ("[\"/usr/sbin/runc\"]", "\"crun\""), or nullopt.
    std::optional<std::string> value(std::string_view table, std::string_view key) const;
    // Sets table.key to the value text: replaces its lines, or adds a line at the end of the
    // table, or the table at the end of the file.
    void set(std::string_view table, std::string_view key, const std::string& value);
    // Removes table.key; a table header left with nothing under it that this editor added (no
    // key and no comment) goes too. Returns whether the key was there.
    bool erase(std::string_view table, std::string_view key);
    // Whether any "key = value" line remains.
    bool has_keys() const;

    std::string text() const;

private:
    struct Line {
        std::string text;
        std::string table;  // the table it belongs to ("" : top level); a header: its own name
        std::string key;    // a key line's key (first line of its value), else ""
        bool header = false;
    };
    std::vector<Line> lines_;
    bool final_newline_ = true;

    void check_editable(std::string_view table, std::string_view key) const;
    std::optional<size_t> find(std::string_view table, std::string_view key) const;
};

// A TOML basic string holding `s` ("..." with \\ and \" escaped); an Error for control characters.
std::string toml_string(std::string_view s);

}  // namespace hardrun
