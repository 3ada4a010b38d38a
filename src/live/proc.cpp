#include "live/proc.hpp"

#include "live/text.hpp"
#include "util/file.hpp"
#include "util/error.hpp"

namespace hardrun::live {
namespace {

constexpr std::array<const char*, 5> status_keys = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
constexpr std::array<const char*, 5> set_names = {"inheritable", "permitted", "effective", "bounding", "ambient"};

}  // namespace

const char* cap_set_name(CapSet set)
{
    return set_names[size_t(set)];
}

ProcStatus parse_status(std::string_view text)
{
    ProcStatus out;
    std::array<bool, 5> seen_caps{};
    bool seen_nnp = false, seen_seccomp = false, seen_uid = false;
    for (std::string_view line : lines_of(text)) {
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        std::string_view key = line.substr(0, colon);
        std::vector<std::string_view> fields = words(line.substr(colon + 1));
        auto one = [&]() -> std::string_view {
            if (fields.size() != 1)
                throw Error("/proc status: malformed " + std::string(key) + " line");
            return fields[0];
        };
        for (size_t i = 0; i < status_keys.size(); ++i)
            if (key == status_keys[i]) {
                std::optional<uint64_t> mask = parse_unsigned(one(), 16);
                if (!mask)
                    throw Error("/proc status: malformed " + std::string(key) + " line");
                out.caps[i] = *mask;
                seen_caps[i] = true;
            }
        if (key == "NoNewPrivs") {
            std::optional<uint64_t> v = parse_unsigned(one(), 10);
            if (!v || *v > 1)
                throw Error("/proc status: malformed NoNewPrivs line");
            out.no_new_privs = *v == 1;
            seen_nnp = true;
        } else if (key == "Seccomp") {
            std::optional<uint64_t> v = parse_unsigned(one(), 10);
            if (!v || *v > 2)
                throw Error("/proc status: malformed Seccomp line");
            out.seccomp = int(*v);
            seen_seccomp = true;
        } else if (key == "Seccomp_filters") {
            std::optional<uint64_t> v = parse_unsigned(one(), 10);
            if (!v || *v > 0xffffffffu)
                throw Error("/proc status: malformed Seccomp_filters line");
            out.seccomp_filters = unsigned(*v);
        } else if (key == "Uid") {
            if (fields.size() != 4)
                throw Error("/proc status: malformed Uid line");
            for (size_t i = 0; i < 4; ++i) {
                std::optional<uint64_t> v = parse_unsigned(fields[i], 10);
                if (!v || *v > 0xffffffffu)
                    throw Error("/proc status: malformed Uid line");
                out.uids[i] = uint32_t(*v);
            }
            seen_uid = true;
        }
    }
    for (size_t i = 0; i < status_keys.size(); ++i)
        if (!seen_caps[i])
            throw Error(std::string("/proc status: no ") + status_keys[i] + " line");
    if (!seen_nnp)
        throw Error("/proc status: no NoNewPrivs line");
    if (!seen_seccomp)
        throw Error("/proc status: no Seccomp line (kernel without CONFIG_SECCOMP?)");
    if (!seen_uid)
        throw Error("/proc status: no Uid line");
    return out;
}

std::vector<IdRange> parse_id_map(std::string_view text)
{
    std::vector<IdRange> out;
    for (std::string_view line : lines_of(text)) {
        std::vector<std::string_view> fields = words(line);
        if (fields.empty())
            continue;
        std::array<uint32_t, 3> n{};
        if (fields.size() != 3)
            throw Error("uid_map: malformed line \"" + std::string(line) + "\"");
        for (size_t i = 0; i < 3; ++i) {
            std::optional<uint64_t> v = parse_unsigned(fields[i], 10);
            if (!v || *v > 0xffffffffu)
                throw Error("uid_map: malformed line \"" + std::string(line) + "\"");
            n[i] = uint32_t(*v);
        }
        out.push_back({n[0], n[1], n[2]});
    }
    return out;
}

std::optional<uint32_t> map_id(const std::vector<IdRange>& map, uint32_t inside)
{
    for (const IdRange& r : map)
        if (inside >= r.inside && uint64_t(inside) < uint64_t(r.inside) + r.count)
            return uint32_t(r.outside + (inside - r.inside));
    return std::nullopt;
}

}  // namespace hardrun::live
