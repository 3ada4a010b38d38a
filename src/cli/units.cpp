#include "cli/units.hpp"

#include <cctype>
#include <string>

namespace hardrun::cli {

std::optional<int64_t> parse_go_int(std::string_view text)
{
    bool negative = false;
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'o' || text[1] == 'O')) {
        base = 8;
        text.remove_prefix(2);
    } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
        base = 2;
        text.remove_prefix(2);
    } else if (text.size() > 1 && text[0] == '0') {
        base = 8;
        text.remove_prefix(1);
    }
    if (text.empty())
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                    : std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                                   : 99;
        if (digit >= base)
            return std::nullopt;
        if (value > (UINT64_MAX - uint64_t(digit)) / uint64_t(base))
            return std::nullopt;
        value = value * uint64_t(base) + uint64_t(digit);
    }
    if (negative) {
        if (value > uint64_t(INT64_MAX) + 1)
            return std::nullopt;
        return value == uint64_t(INT64_MAX) + 1 ? INT64_MIN : -int64_t(value);
    }
    if (value > uint64_t(INT64_MAX))
        return std::nullopt;
    return int64_t(value);
}

std::optional<int64_t> parse_ram_in_bytes(std::string_view text)
{
    size_t i = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
        ++i;
    if (i == 0)
        return std::nullopt;
    if (i < text.size() && text[i] == '.') {
        size_t start = ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
            ++i;
        if (i == start)
            return std::nullopt;
    }
    double number = std::stod(std::string(text.substr(0, i)));
    if (i < text.size() && text[i] == ' ')
        ++i;
    double multiplier = 1;
    if (i < text.size()) {
        const std::string_view units = "kmgtp";
        size_t unit = units.find(char(std::tolower(static_cast<unsigned char>(text[i]))));
        if (unit != std::string_view::npos) {
            for (size_t k = 0; k <= unit; ++k)  // 1024^(unit+1); a loop, not pow(): no libm
                multiplier *= 1024;
            ++i;
        }
    }
    if (i < text.size() && (text[i] == 'i' || text[i] == 'I'))
        ++i;
    if (i < text.size() && (text[i] == 'b' || text[i] == 'B'))
        ++i;
    if (i != text.size())
        return std::nullopt;
    double bytes = number * multiplier;
    if (!(bytes < 9.2e18))
        return std::nullopt;
    return int64_t(bytes);
}

}  // namespace hardrun::cli
