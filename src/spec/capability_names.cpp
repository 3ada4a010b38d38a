#include "spec/capability_names.hpp"

#include <cap-ng.h>

namespace hardrun::spec {

std::optional<unsigned> capability_number(std::string_view oci_name)
{
    constexpr std::string_view prefix = "CAP_";
    if (oci_name.size() <= prefix.size() || oci_name.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    std::string lower;
    for (char c : oci_name.substr(prefix.size())) {
        if (c == '_')
            lower.push_back(c);
        else if (c >= 'A' && c <= 'Z')
            lower.push_back(static_cast<char>(c - 'A' + 'a'));
        else
            return std::nullopt;
    }
    int number = capng_name_to_capability(lower.c_str());
    if (number < 0)
        return std::nullopt;
    return static_cast<unsigned>(number);
}

std::string capability_name(unsigned number)
{
    const char* lower = capng_capability_to_name(number);
    if (!lower)
        return "CAP_" + std::to_string(number);
    std::string out = "CAP_";
    for (const char* c = lower; *c; ++c)
        out.push_back(*c >= 'a' && *c <= 'z' ? static_cast<char>(*c - 'a' + 'A') : *c);
    return out;
}

std::vector<std::string> capability_names(uint64_t mask)
{
    std::vector<std::string> out;
    for (unsigned bit = 0; bit < 64; ++bit)
        if (mask & (uint64_t(1) << bit))
            out.push_back(capability_name(bit));
    return out;
}

}  // namespace hardrun::spec
