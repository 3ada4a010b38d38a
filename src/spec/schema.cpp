#include "spec/schema.hpp"

#include "util/error.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

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

constexpr void set_leaf(Node& node, std::string_view type)
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
        throw Error("schema: unknown type " + std::string(type));  // at compile time: the build fails
    }
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

// The tree as the table's lines describe it, before its layout: each node's fields are a list
// (first_child, next_sibling; 0 ends it, as the root is no one's field), its element the draft's
// index in Node::element_index. Built at compile time only.
constexpr size_t max_nodes = 1024;
static_assert(table_text.size() <= UINT16_MAX, "Node holds offsets into the table as uint16_t");

struct Draft {
    std::array<Node, max_nodes> nodes{};
    std::array<uint16_t, max_nodes> first_child{}, last_child{}, next_sibling{};
    size_t count = 1;

    constexpr std::string_view text(uint16_t at, uint16_t len) const { return table_text.substr(at, len); }

    constexpr size_t add(Kind kind, size_t pointer_at, size_t pointer_len)
    {
        if (count == max_nodes)
            throw Error("schema: more than max_nodes nodes");
        Node& n = nodes[count];
        n.kind = kind;
        n.pointer_at = uint16_t(pointer_at);
        n.pointer_len = uint16_t(pointer_len);
        return count++;
    }

    // The field `name` (at name_at in the table) of struct `parent`, added on first mention.
    constexpr size_t struct_field(size_t parent, size_t name_at, size_t name_len, size_t pointer_at, size_t pointer_len)
    {
        if (nodes[parent].kind != Kind::object)
            throw Error("schema: a field below a non-object");
        std::string_view name = table_text.substr(name_at, name_len);
        for (size_t c = first_child[parent]; c != 0; c = next_sibling[c])
            if (text(nodes[c].name_at, nodes[c].name_len) == name)
                return c;
        size_t child = add(Kind::object, pointer_at, pointer_len);
        nodes[child].name_at = uint16_t(name_at);
        nodes[child].name_len = uint16_t(name_len);
        if (first_child[parent] == 0)
            first_child[parent] = uint16_t(child);
        else
            next_sibling[last_child[parent]] = uint16_t(child);
        last_child[parent] = uint16_t(child);
        return child;
    }

    constexpr size_t element_of(size_t container, Kind kind, size_t pointer_at, size_t pointer_len)
    {
        nodes[container].kind = kind;
        if (nodes[container].element_index == 0)
            nodes[container].element_index = uint16_t(add(Kind::object, pointer_at, pointer_len));
        return nodes[container].element_index;
    }

    // A container's owner: the owner all the leaves below it share, else none (length 0).
    constexpr void fill_owners(size_t at)
    {
        Node& node = nodes[at];
        if (node.kind != Kind::object && node.kind != Kind::map && node.kind != Kind::array)
            return;
        bool any = false, same = true;
        uint16_t owner_at = 0, owner_len = 0;
        auto take = [&](size_t child) {
            fill_owners(child);
            const Node& c = nodes[child];
            same = same && (!any || text(owner_at, owner_len) == text(c.owner_at, c.owner_len));
            any = true;
            owner_at = c.owner_at;
            owner_len = c.owner_len;
        };
        if (node.element_index != 0)
            take(node.element_index);
        for (size_t c = first_child[at]; c != 0; c = next_sibling[c])
            take(c);
        node.owner_at = any && same ? owner_at : 0;
        node.owner_len = any && same ? owner_len : 0;
    }
};

constexpr Draft draft()
{
    Draft d;
    d.nodes[0].kind = Kind::object;
    for (const RowAt& r : row_words) {
        std::string_view pointer = table_text.substr(r.at[0], r.len[0]);
        size_t at = 0;
        size_t start = 1;
        while (start <= pointer.size()) {
            size_t end = pointer.find('/', start);
            if (end == std::string_view::npos)
                end = pointer.size();
            std::string_view segment = pointer.substr(start, end - start);
            // "names[]", "rdma{}": the field, then its element.
            size_t name_end = std::min(segment.find('['), segment.find('{'));
            size_t name_len = segment.substr(0, name_end).size();
            size_t field_end = start + name_len;
            at = d.struct_field(at, r.at[0] + start, name_len, r.at[0], field_end);
            for (size_t i = field_end; i < end; i += 2)
                at = d.element_of(at, pointer[i] == '[' ? Kind::array : Kind::map, r.at[0], i + 2);
            start = end + 1;
        }
        set_leaf(d.nodes[at], table_text.substr(r.at[1], r.len[1]));
        d.nodes[at].owner_at = uint16_t(r.at[2]);
        d.nodes[at].owner_len = uint16_t(r.len[2]);
    }
    d.fill_owners(0);
    return d;
}

constexpr size_t node_count = draft().count;

// The tree laid out breadth first, so that each struct's fields are neighbours (Node::fields is a
// span) and each node holds the final indices of its fields and element.
constexpr std::array<Node, node_count> tree = [] {
    Draft d = draft();
    std::array<Node, node_count> out{};
    std::array<uint16_t, max_nodes> queue{};  // draft indices, in their final order
    size_t head = 0, tail = 0;
    queue[tail++] = 0;
    while (head < tail) {
        size_t final_index = head;
        size_t old = queue[head++];
        Node n = d.nodes[old];
        n.first_field = uint16_t(tail);
        n.field_count = 0;
        for (size_t c = d.first_child[old]; c != 0; c = d.next_sibling[c]) {
            queue[tail++] = uint16_t(c);
            ++n.field_count;
        }
        if (n.field_count == 0)
            n.first_field = 0;
        if (n.element_index != 0) {
            n.element_index = uint16_t(tail);
            queue[tail++] = d.nodes[old].element_index;
        }
        out[final_index] = n;
    }
    return out;
}();

}  // namespace

std::string_view Node::pointer() const
{
    return table_text.substr(pointer_at, pointer_len);
}

std::string_view Node::owner() const
{
    return table_text.substr(owner_at, owner_len);
}

std::string_view Node::name() const
{
    return table_text.substr(name_at, name_len);
}

std::span<const Node> Node::fields() const
{
    return {tree.data() + first_field, field_count};
}

const Node* Node::field(std::string_view name) const
{
    for (const Node& f : fields())
        if (f.name() == name)
            return &f;
    return nullptr;
}

const Node* Node::element() const
{
    return element_index != 0 ? &tree[element_index] : nullptr;
}

const Node& config()
{
    return tree[0];
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
