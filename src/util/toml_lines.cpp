#include "util/toml_lines.hpp"

#include "util/error.hpp"

#include <algorithm>

namespace hardrun {
namespace {

std::string_view trim(std::string_view s)
{
    size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos)
        return {};
    size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// A key as written ("runtimes", "\"hardrun\"", "engine . runtimes") in its canonical dotted form.
std::string canonical_key(std::string_view raw)
{
    std::string out;
    bool quoted = false;
    char quote = 0;
    for (char c : raw) {
        if (quoted) {
            if (c == quote)
                quoted = false;
            else
                out += c;
        } else if (c == '"' || c == '\'') {
            quoted = true;
            quote = c;
        } else if (c != ' ' && c != '\t') {
            out += c;
        }
    }
    return out;
}

// The depth of [ ] and { } after `s`, starting at `depth`, outside strings and comments. A
// multi-line string (""" or ''') that opens and does not close on `s` is returned in `open`.
int bracket_depth(std::string_view s, int depth, std::string& open)
{
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '#')
            break;
        if (c == '"' || c == '\'') {
            std::string triple(3, c);
            if (s.substr(i, 3) == triple) {
                size_t close = s.find(triple, i + 3);
                if (close == std::string_view::npos) {
                    open = triple;
                    return depth;
                }
                i = close + 2;
                continue;
            }
            for (++i; i < s.size() && s[i] != c; ++i)
                if (c == '"' && s[i] == '\\')
                    ++i;
        } else if (c == '[' || c == '{') {
            ++depth;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return depth;
}

}  // namespace

std::string toml_string(std::string_view s)
{
    std::string out = "\"";
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw Error("a control character cannot be written to the TOML file");
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

TomlLines::TomlLines(std::string_view text)
{
    final_newline_ = text.empty() || text.back() == '\n';
    std::string table;
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        std::string_view raw = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        at = end == std::string_view::npos ? text.size() : end + 1;
        Line line{std::string(raw), table, "", false};
        std::string_view t = trim(raw);
        if (!t.empty() && t[0] == '[') {
            bool array = t.substr(0, 2) == "[[";
            size_t close = t.find(array ? "]]" : "]");
            if (close == std::string_view::npos)
                throw Error("a table header without its closing bracket: " + std::string(t));
            table = canonical_key(t.substr(array ? 2 : 1, close - (array ? 2 : 1)));
            line.table = table;
            line.header = true;
        } else if (!t.empty() && t[0] != '#') {
            size_t eq = t.find('=');
            if (eq == std::string_view::npos)
                throw Error("a line that is neither a table, a key nor a comment: " + std::string(t));
            line.key = canonical_key(t.substr(0, eq));
            std::string open;
            int depth = bracket_depth(t.substr(eq + 1), 0, open);
            lines_.push_back(std::move(line));
            Line& first = lines_.back();
            // An array, inline table or multi-line string that goes on: its lines are the key's.
            while ((depth > 0 || !open.empty()) && at < text.size()) {
                end = text.find('\n', at);
                std::string_view next = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
                at = end == std::string_view::npos ? text.size() : end + 1;
                first.text += "\n" + std::string(next);
                if (!open.empty()) {
                    size_t close = next.find(open);
                    if (close == std::string_view::npos)
                        continue;
                    next = next.substr(close + 3);
                    open.clear();
                }
                depth = bracket_depth(next, depth, open);
            }
            continue;
        }
        lines_.push_back(std::move(line));
    }
}

void TomlLines::check_editable(std::string_view table, std::string_view key) const
{
    // The table reached another way: [engine] runtimes.x = ..., runtimes = { ... }, or a
    // top-level engine.runtimes.x. Adding [engine.runtimes] beside them would define it twice.
    const std::string prefix = std::string(table) + ".";
    for (const Line& l : lines_) {
        // Only a key line of an enclosing table (or the top level) can define `table` itself.
        bool encloses = l.table.empty() || prefix.rfind(l.table + ".", 0) == 0;
        if (l.header || l.key.empty() || l.table == table || !encloses)
            continue;
        std::string dotted = l.table.empty() ? l.key : l.table + "." + l.key;
        if (dotted == table || dotted.rfind(prefix, 0) == 0)
            throw Error(std::string(table) + " is written as dotted keys or an inline table (" + dotted +
                        "), which hardrun does not edit: add " + prefix + std::string(key) + " by hand");
    }
}

std::optional<size_t> TomlLines::find(std::string_view table, std::string_view key) const
{
    for (size_t i = 0; i < lines_.size(); ++i)
        if (!lines_[i].header && lines_[i].table == table && lines_[i].key == key)
            return i;
    return std::nullopt;
}

std::optional<std::string> TomlLines::value(std::string_view table, std::string_view key) const
{
    auto i = find(table, key);
    if (!i)
        return std::nullopt;
    const std::string& t = lines_[*i].text;
    return std::string(trim(std::string_view(t).substr(t.find('=') + 1)));
}

void TomlLines::set(std::string_view table, std::string_view key, const std::string& value)
{
    check_editable(table, key);
    std::string text = std::string(key) + " = " + value;
    if (auto i = find(table, key)) {
        // Keep the indentation of the line replaced.
        const std::string& old = lines_[*i].text;
        lines_[*i].text = old.substr(0, old.find_first_not_of(" \t")) + text;
        return;
    }
    Line line{text, std::string(table), std::string(key), false};
    // After the table's last key line (comments and blanks after it stay where they are).
    std::optional<size_t> header, last_key;
    for (size_t i = 0; i < lines_.size(); ++i) {
        if (lines_[i].header && lines_[i].table == table && !header)
            header = i;
        if (header && lines_[i].table == table && !lines_[i].header && !lines_[i].key.empty())
            last_key = i;
    }
    if (header) {
        lines_.insert(lines_.begin() + long((last_key ? *last_key : *header) + 1), std::move(line));
        return;
    }
    if (table.empty()) {  // top-level keys go before the first table
        auto first_header = std::find_if(lines_.begin(), lines_.end(), [](const Line& l) { return l.header; });
        lines_.insert(first_header, std::move(line));
        return;
    }
    if (!lines_.empty() && !trim(lines_.back().text).empty())
        lines_.push_back(Line{"", lines_.back().table, "", false});
    lines_.push_back(Line{"[" + std::string(table) + "]", std::string(table), "", true});
    lines_.push_back(std::move(line));
}

bool TomlLines::erase(std::string_view table, std::string_view key)
{
    auto i = find(table, key);
    if (!i)
        return false;
    lines_.erase(lines_.begin() + long(*i));
    // A header left alone (its table holds no line but blanks) was the one set() added.
    for (size_t h = 0; h < lines_.size(); ++h) {
        if (!lines_[h].header || lines_[h].table != table)
            continue;
        size_t end = h + 1;
        bool empty = true;
        for (; end < lines_.size() && !lines_[end].header; ++end)
            empty = empty && trim(lines_[end].text).empty();
        if (empty) {
            size_t from = h;
            if (from > 0 && trim(lines_[from - 1].text).empty())  // the blank line set() put before it
                --from;
            lines_.erase(lines_.begin() + long(from), lines_.begin() + long(end));
        }
        break;
    }
    return true;
}

bool TomlLines::has_keys() const
{
    return std::any_of(lines_.begin(), lines_.end(), [](const Line& l) { return !l.header && !l.key.empty(); });
}

std::string TomlLines::text() const
{
    std::string out;
    for (size_t i = 0; i < lines_.size(); ++i) {
        out += lines_[i].text;
        if (i + 1 < lines_.size() || final_newline_)
            out += '\n';
    }
    return out;
}

}  // namespace hardrun
