#include "spec/schema.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>

namespace hardrun::spec::schema {
namespace {

// One line per leaf: JSON pointer ("[]" an array item, "{}" a map value), Go type, owning control.
// Objects and arrays are implied by the paths below them. Owners: "inert" reaches nothing on the
// host (or only what the container's own limits bound); "fields" is refused by the fields control
// itself unless the policy's fields.allow names it (no control makes it safe); the others are the
// controls of src/harden. Keep man/hardrun-policy.5 (FIELDS) in step: a unit test compares them.
constexpr const char* table = R"(
/ociVersion                                              string  inert
/hostname                                                string  inert
/domainname                                              string  inert
/process/terminal                                        bool    inert
/process/consoleSize/height                              uint    inert
/process/consoleSize/width                               uint    inert
/process/user/uid                                        uint32  user
/process/user/gid                                        uint32  user
/process/user/umask                                      uint32  user
/process/user/additionalGids[]                           uint32  user
/process/user/username                                   string  inert
/process/args[]                                          string  inert
/process/commandLine                                     string  inert
/process/env[]                                           string  inert
/process/cwd                                             string  inert
/process/capabilities/bounding[]                         string  capabilities
/process/capabilities/effective[]                        string  capabilities
/process/capabilities/inheritable[]                      string  capabilities
/process/capabilities/permitted[]                        string  capabilities
/process/capabilities/ambient[]                          string  capabilities
/process/rlimits[]/type                                  string  resources
/process/rlimits[]/hard                                  uint64  resources
/process/rlimits[]/soft                                  uint64  resources
/process/noNewPrivileges                                 bool    noNewPrivileges
/process/apparmorProfile                                 string  apparmor
/process/oomScoreAdj                                     int     resources
/process/scheduler/policy                                string  resources
/process/scheduler/nice                                  int32   resources
/process/scheduler/priority                              int32   resources
/process/scheduler/flags[]                               string  resources
/process/scheduler/runtime                               uint64  resources
/process/scheduler/deadline                              uint64  resources
/process/scheduler/period                                uint64  resources
/process/selinuxLabel                                    string  selinux
/process/ioPriority/class                                string  resources
/process/ioPriority/priority                             int     resources
/process/execCPUAffinity/initial                         string  inert
/process/execCPUAffinity/final                           string  inert
/root/path                                               string  mounts
/root/readonly                                           bool    rootfs
/mounts[]/destination                                    string  mounts
/mounts[]/type                                           string  mounts
/mounts[]/source                                         string  mounts
/mounts[]/options[]                                      string  mounts
/mounts[]/uidMappings[]/containerID                      uint32  mounts
/mounts[]/uidMappings[]/hostID                           uint32  mounts
/mounts[]/uidMappings[]/size                             uint32  mounts
/mounts[]/gidMappings[]/containerID                      uint32  mounts
/mounts[]/gidMappings[]/hostID                           uint32  mounts
/mounts[]/gidMappings[]/size                             uint32  mounts
/hooks/prestart[]/path                                   string  hooks
/hooks/prestart[]/args[]                                 string  hooks
/hooks/prestart[]/env[]                                  string  hooks
/hooks/prestart[]/timeout                                int     hooks
/hooks/createRuntime[]/path                              string  hooks
/hooks/createRuntime[]/args[]                            string  hooks
/hooks/createRuntime[]/env[]                             string  hooks
/hooks/createRuntime[]/timeout                           int     hooks
/hooks/createContainer[]/path                            string  hooks
/hooks/createContainer[]/args[]                          string  hooks
/hooks/createContainer[]/env[]                           string  hooks
/hooks/createContainer[]/timeout                         int     hooks
/hooks/startContainer[]/path                             string  hooks
/hooks/startContainer[]/args[]                           string  hooks
/hooks/startContainer[]/env[]                            string  hooks
/hooks/startContainer[]/timeout                          int     hooks
/hooks/poststart[]/path                                  string  hooks
/hooks/poststart[]/args[]                                string  hooks
/hooks/poststart[]/env[]                                 string  hooks
/hooks/poststart[]/timeout                               int     hooks
/hooks/poststop[]/path                                   string  hooks
/hooks/poststop[]/args[]                                 string  hooks
/hooks/poststop[]/env[]                                  string  hooks
/hooks/poststop[]/timeout                                int     hooks
/annotations{}                                           string  annotations
/linux/uidMappings[]/containerID                         uint32  userNamespace
/linux/uidMappings[]/hostID                              uint32  userNamespace
/linux/uidMappings[]/size                                uint32  userNamespace
/linux/gidMappings[]/containerID                         uint32  userNamespace
/linux/gidMappings[]/hostID                              uint32  userNamespace
/linux/gidMappings[]/size                                uint32  userNamespace
/linux/sysctl{}                                          string  sysctls
/linux/resources/devices[]/allow                         bool    devices
/linux/resources/devices[]/type                          string  devices
/linux/resources/devices[]/major                         int64   devices
/linux/resources/devices[]/minor                         int64   devices
/linux/resources/devices[]/access                        string  devices
/linux/resources/memory/limit                            int64   resources
/linux/resources/memory/reservation                      int64   resources
/linux/resources/memory/swap                             int64   resources
/linux/resources/memory/kernel                           int64   resources
/linux/resources/memory/kernelTCP                        int64   resources
/linux/resources/memory/swappiness                       uint64  resources
/linux/resources/memory/disableOOMKiller                 bool    resources
/linux/resources/memory/useHierarchy                     bool    resources
/linux/resources/memory/checkBeforeUpdate                bool    resources
/linux/resources/cpu/shares                              uint64  resources
/linux/resources/cpu/quota                               int64   resources
/linux/resources/cpu/burst                               uint64  resources
/linux/resources/cpu/period                              uint64  resources
/linux/resources/cpu/realtimeRuntime                     int64   resources
/linux/resources/cpu/realtimePeriod                      uint64  resources
/linux/resources/cpu/cpus                                string  resources
/linux/resources/cpu/mems                                string  resources
/linux/resources/cpu/idle                                int64   resources
/linux/resources/pids/limit                              int64   resources
/linux/resources/blockIO/weight                          uint16  resources
/linux/resources/blockIO/leafWeight                      uint16  resources
/linux/resources/blockIO/weightDevice[]/major            int64   resources
/linux/resources/blockIO/weightDevice[]/minor            int64   resources
/linux/resources/blockIO/weightDevice[]/weight           uint16  resources
/linux/resources/blockIO/weightDevice[]/leafWeight       uint16  resources
/linux/resources/blockIO/throttleReadBpsDevice[]/major   int64   resources
/linux/resources/blockIO/throttleReadBpsDevice[]/minor   int64   resources
/linux/resources/blockIO/throttleReadBpsDevice[]/rate    uint64  resources
/linux/resources/blockIO/throttleWriteBpsDevice[]/major  int64   resources
/linux/resources/blockIO/throttleWriteBpsDevice[]/minor  int64   resources
/linux/resources/blockIO/throttleWriteBpsDevice[]/rate   uint64  resources
/linux/resources/blockIO/throttleReadIOPSDevice[]/major  int64   resources
/linux/resources/blockIO/throttleReadIOPSDevice[]/minor  int64   resources
/linux/resources/blockIO/throttleReadIOPSDevice[]/rate   uint64  resources
/linux/resources/blockIO/throttleWriteIOPSDevice[]/major int64   resources
/linux/resources/blockIO/throttleWriteIOPSDevice[]/minor int64   resources
/linux/resources/blockIO/throttleWriteIOPSDevice[]/rate  uint64  resources
/linux/resources/hugepageLimits[]/pageSize               string  resources
/linux/resources/hugepageLimits[]/limit                  uint64  resources
/linux/resources/network/classID                         uint32  resources
/linux/resources/network/priorities[]/name               string  resources
/linux/resources/network/priorities[]/priority           uint32  resources
/linux/resources/rdma{}/hcaHandles                       uint32  resources
/linux/resources/rdma{}/hcaObjects                       uint32  resources
/linux/resources/unified{}                               string  resources
/linux/cgroupsPath                                       string  resources
/linux/namespaces[]/type                                 string  namespaces
/linux/namespaces[]/path                                 string  namespaces
/linux/devices[]/path                                    string  devices
/linux/devices[]/type                                    string  devices
/linux/devices[]/major                                   int64   devices
/linux/devices[]/minor                                   int64   devices
/linux/devices[]/fileMode                                uint32  devices
/linux/devices[]/uid                                     uint32  devices
/linux/devices[]/gid                                     uint32  devices
/linux/seccomp/defaultAction                             string  seccomp
/linux/seccomp/defaultErrnoRet                           uint    seccomp
/linux/seccomp/architectures[]                           string  seccomp
/linux/seccomp/flags[]                                   string  seccomp
/linux/seccomp/listenerPath                              string  seccomp
/linux/seccomp/listenerMetadata                          string  seccomp
/linux/seccomp/syscalls[]/names[]                        string  seccomp
/linux/seccomp/syscalls[]/action                         string  seccomp
/linux/seccomp/syscalls[]/errnoRet                       uint    seccomp
/linux/seccomp/syscalls[]/args[]/index                   uint    seccomp
/linux/seccomp/syscalls[]/args[]/value                   uint64  seccomp
/linux/seccomp/syscalls[]/args[]/valueTwo                uint64  seccomp
/linux/seccomp/syscalls[]/args[]/op                      string  seccomp
/linux/rootfsPropagation                                 string  mounts
/linux/maskedPaths[]                                     string  kernelInterfaces
/linux/readonlyPaths[]                                   string  kernelInterfaces
/linux/mountLabel                                        string  inert
/linux/intelRdt/closID                                   string  resources
/linux/intelRdt/schemata                                 any     resources
/linux/intelRdt/l3CacheSchema                            string  resources
/linux/intelRdt/memBwSchema                              string  resources
/linux/intelRdt/enableCMT                                bool    resources
/linux/intelRdt/enableMBM                                bool    resources
/linux/intelRdt/enableMonitoring                         bool    resources
/linux/personality/domain                                string  inert
/linux/personality/flags[]                               string  inert
/linux/timeOffsets{}/secs                                int64   inert
/linux/timeOffsets{}/nanosecs                            uint32  inert
/linux/memoryPolicy/mode                                 string  inert
/linux/memoryPolicy/nodes                                string  inert
/linux/memoryPolicy/flags[]                              string  inert
/linux/netDevices{}/name                                 string  fields
/solaris                                                 any     inert
/windows                                                 any     inert
/vm                                                      any     inert
/zos                                                     any     inert
)";

struct IntegerType {
    std::string_view name;
    bool is_signed;
    uint64_t max;
};

constexpr IntegerType integer_types[] = {
    {"int32", true, uint64_t(std::numeric_limits<int32_t>::max())},
    {"int64", true, uint64_t(std::numeric_limits<int64_t>::max())},
    {"int", true, uint64_t(std::numeric_limits<int64_t>::max())},  // Go's int on 64-bit hosts
    {"uint16", false, std::numeric_limits<uint16_t>::max()},
    {"uint32", false, std::numeric_limits<uint32_t>::max()},
    {"uint64", false, std::numeric_limits<uint64_t>::max()},
    {"uint", false, std::numeric_limits<uint64_t>::max()},
};

void set_leaf(Node& node, std::string_view type)
{
    if (type == "string") {
        node.kind = Kind::string;
    } else if (type == "bool") {
        node.kind = Kind::boolean;
    } else if (type == "any") {
        node.kind = Kind::any;
    } else {
        for (const IntegerType& t : integer_types)
            if (t.name == type) {
                node.kind = Kind::integer;
                node.is_signed = t.is_signed;
                node.max = t.max;
                return;
            }
        throw Error("schema: unknown type " + std::string(type));
    }
}

// The child of a struct node, created on first mention; `pointer` names it.
Node& struct_field(Node& parent, std::string_view name, std::string_view pointer)
{
    if (parent.kind != Kind::object)
        throw Error("schema: " + std::string(pointer) + " below a non-object");
    for (auto& [n, child] : parent.fields)
        if (n == name)
            return *child;
    parent.fields.emplace_back(name, std::make_unique<Node>());
    Node& child = *parent.fields.back().second;
    child.kind = Kind::object;
    child.pointer = pointer;
    return child;
}

Node& element_of(Node& container, Kind kind, std::string_view pointer)
{
    container.kind = kind;
    if (!container.element) {
        container.element = std::make_unique<Node>();
        container.element->kind = Kind::object;
        container.element->pointer = pointer;
    }
    return *container.element;
}

// The table's words, found at compile time: scanning its 13 KB of aligned text cost every
// create about 0.1 M instructions. Offsets, not string_views: a table of pointers would need
// relocating (pages written) at the start of every call, pass-through included.
struct RowAt {
    uint32_t at[3];
    uint32_t len[3];
};

constexpr std::string_view table_text{table};

// Each line's three words (pointer, type, owner) in order, until a line lacks its owner.
template <typename Emit>
constexpr void scan_rows(Emit&& emit)
{
    size_t i = 0;
    for (;;) {
        RowAt r{};
        for (size_t w = 0; w < 3; ++w) {
            while (i < table_text.size() && (table_text[i] == ' ' || table_text[i] == '\n'))
                ++i;
            size_t end = i;
            while (end < table_text.size() && table_text[end] != ' ' && table_text[end] != '\n')
                ++end;
            r.at[w] = uint32_t(i);
            r.len[w] = uint32_t(end - i);
            i = end;
        }
        if (r.len[2] == 0)
            return;
        emit(r);
    }
}

constexpr size_t row_count = [] {
    size_t n = 0;
    scan_rows([&n](const RowAt&) { ++n; });
    return n;
}();

constexpr std::array<RowAt, row_count> row_words = [] {
    std::array<RowAt, row_count> out{};
    size_t n = 0;
    scan_rows([&](const RowAt& r) { out[n++] = r; });
    return out;
}();

// Calls row(pointer, type, owner) for each line of the table.
template <typename Row>
void each_row(Row&& row)
{
    for (const RowAt& r : row_words)
        row(table_text.substr(r.at[0], r.len[0]), table_text.substr(r.at[1], r.len[1]),
            table_text.substr(r.at[2], r.len[2]));
}

// A container's owner: the owner all the leaves below it share, else none ("").
std::string_view fill_owners(Node& node)
{
    if (node.kind == Kind::object || node.kind == Kind::map || node.kind == Kind::array) {
        std::optional<std::string_view> shared;
        bool same = true;
        auto take = [&](std::string_view owner) {
            same = same && (!shared || *shared == owner);
            shared = owner;
        };
        if (node.element)
            take(fill_owners(*node.element));
        for (auto& [name, child] : node.fields)
            take(fill_owners(*child));
        node.owner = shared && same ? *shared : std::string_view();
    }
    return node.owner;
}

// Built once per hardrun process (on every create): string views into the table, no iostreams.
struct Schema {
    Node root;

    Schema()
    {
        root.kind = Kind::object;
        each_row([this](std::string_view pointer, std::string_view type, std::string_view owner) {
            Node* at = &root;
            size_t start = 1;
            while (start <= pointer.size()) {
                size_t end = pointer.find('/', start);
                if (end == std::string_view::npos)
                    end = pointer.size();
                std::string_view segment = pointer.substr(start, end - start);
                // "names[]", "rdma{}": the field, then its element.
                // Not find_first_of("[{"): libstdc++ calls memchr over the set for each
                // character, which cost every create about 0.15 M instructions here.
                size_t name_end = std::min(segment.find('['), segment.find('{'));
                std::string_view name = segment.substr(0, name_end);
                size_t field_end = start + name.size();
                at = &struct_field(*at, name, pointer.substr(0, field_end));
                for (size_t i = field_end; i < end; i += 2)
                    at = &element_of(*at, pointer[i] == '[' ? Kind::array : Kind::map, pointer.substr(0, i + 2));
                start = end + 1;
            }
            set_leaf(*at, type);
            at->owner = owner;
        });
        fill_owners(root);
    }
};

const Schema& schema()
{
    // Never destroyed: tearing the tree down at exit cost every create about 80 k instructions
    // for memory the exit frees anyway.
    static const Schema& s = *new Schema;
    return s;
}

}  // namespace

const Node* Node::field(std::string_view name) const
{
    for (const auto& [n, child] : fields)
        if (n == name)
            return child.get();
    return nullptr;
}

const Node& config()
{
    return schema().root;
}

const Node& process()
{
    return *config().field("process");
}

const Node& resources()
{
    return *config().field("linux")->field("resources");
}

const std::vector<Row>& rows()
{
    static const std::vector<Row> all = [] {
        std::vector<Row> out;
        each_row([&out](std::string_view pointer, std::string_view type, std::string_view owner) {
            out.push_back({std::string(pointer), std::string(type), std::string(owner)});
        });
        return out;
    }();
    return all;
}

}  // namespace hardrun::spec::schema
