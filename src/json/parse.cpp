// JSON parsing on yajl's event API (not yajl_tree: it cannot report duplicate keys and has a
// known leak, CVE-2023-33460). Numbers are taken as raw text so no digit is lost.
#include "json/value.hpp"
#include "util/error.hpp"

#include <yajl/yajl_parse.h>

#include <memory>
#include <unordered_set>

namespace hardrun::json {
namespace {

// One open array or object.
struct Frame {
    Value* container;
    std::string pending_key;  // objects: key of the value about to arrive
    // Keys seen so far; filled lazily once an object is big enough for linear scans to hurt.
    std::unordered_set<std::string> key_index;
};

constexpr size_t index_threshold = 16;

class Builder {
public:
    explicit Builder(const ParseLimits& limits) : limits_(limits) {}

    Value root;
    std::string error;  // set when a callback cancels the parse

    bool add(Value v)
    {
        Value* added = place(std::move(v));
        return added != nullptr;
    }

    bool open(Value container)
    {
        if (stack_.size() >= limits_.max_depth) {
            error = "nesting deeper than " + std::to_string(limits_.max_depth) + " levels at " + pointer();
            return false;
        }
        Value* added = place(std::move(container));
        if (!added)
            return false;
        stack_.push_back(Frame{added, {}, {}});
        return true;
    }

    bool close()
    {
        stack_.pop_back();
        return true;
    }

    bool key(std::string k)
    {
        Frame& frame = stack_.back();
        auto& members = frame.container->members();
        bool duplicate = false;
        if (members.size() < index_threshold) {
            for (const auto& m : members)
                duplicate = duplicate || m.first == k;
        } else {
            if (frame.key_index.empty())
                for (const auto& m : members)
                    frame.key_index.insert(m.first);
            duplicate = !frame.key_index.insert(k).second;
        }
        if (duplicate) {
            error = "duplicate key \"" + k + "\" in the object at " + pointer() +
                    " (runc would silently use the last one)";
            return false;
        }
        frame.pending_key = std::move(k);
        return true;
    }

    // JSON pointer (RFC 6901) of the innermost open array or object, for messages.
    std::string pointer() const
    {
        std::string out;
        for (size_t i = 0; i + 1 < stack_.size(); ++i) {
            const Value* c = stack_[i].container;
            out += '/';
            out += c->is_object() ? c->members().back().first : std::to_string(c->items().size() - 1);
        }
        return out.empty() ? "/" : out;
    }

private:
    Value* place(Value v)
    {
        if (stack_.empty()) {
            root = std::move(v);
            return &root;
        }
        Frame& frame = stack_.back();
        if (frame.container->is_array()) {
            frame.container->items().push_back(std::move(v));
            return &frame.container->items().back();
        }
        auto& members = frame.container->members();
        if (!frame.key_index.empty() || members.size() >= index_threshold)
            frame.key_index.insert(frame.pending_key);
        members.emplace_back(std::move(frame.pending_key), std::move(v));
        frame.pending_key.clear();
        return &members.back().second;
    }

    const ParseLimits& limits_;
    std::vector<Frame> stack_;
};

Builder& builder(void* ctx) { return *static_cast<Builder*>(ctx); }

int on_null(void* ctx) { return builder(ctx).add(Value()); }
int on_boolean(void* ctx, int b) { return builder(ctx).add(Value::boolean(b != 0)); }
int on_number(void* ctx, const char* s, size_t len)
{
    return builder(ctx).add(Value::number_from_text(std::string(s, len)));
}
int on_string(void* ctx, const unsigned char* s, size_t len)
{
    return builder(ctx).add(Value::string(std::string(reinterpret_cast<const char*>(s), len)));
}
int on_start_map(void* ctx) { return builder(ctx).open(Value::object()); }
int on_map_key(void* ctx, const unsigned char* s, size_t len)
{
    return builder(ctx).key(std::string(reinterpret_cast<const char*>(s), len));
}
int on_end(void* ctx) { return builder(ctx).close(); }
int on_start_array(void* ctx) { return builder(ctx).open(Value::array()); }

const yajl_callbacks callbacks = {
    on_null, on_boolean,
    nullptr, nullptr,  // integer/double: unused, on_number gets the raw text instead
    on_number, on_string, on_start_map, on_map_key, on_end, on_start_array, on_end,
};

struct YajlHandleDeleter {
    void operator()(yajl_handle h) const { yajl_free(h); }
};

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The \uXXXX escape starting at text[i] (text[i] == '\\'), or -1.
long escaped_unit(std::string_view text, size_t i)
{
    if (i + 6 > text.size() || text[i] != '\\' || text[i + 1] != 'u')
        return -1;
    long v = 0;
    for (size_t k = i + 2; k < i + 6; ++k) {
        int h = hex_value(text[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

// yajl decodes an unpaired UTF-16 surrogate escape as '?' or as invalid UTF-8, while Go (runc)
// decodes it as U+FFFD: the two would read different strings. Such documents are refused.
void refuse_unpaired_surrogates(std::string_view text)
{
    if (text.find("\\u") == std::string_view::npos)
        return;  // no \u escape anywhere (nearly every config): nothing to check
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (!in_string) {
            in_string = c == '"';
            continue;
        }
        if (c == '"') {
            in_string = false;
        } else if (c == '\\') {
            long unit = escaped_unit(text, i);
            if (unit >= 0xD800 && unit <= 0xDBFF) {
                long low = escaped_unit(text, i + 6);
                if (low < 0xDC00 || low > 0xDFFF)
                    throw Error("invalid JSON near byte " + std::to_string(i) + ": unpaired UTF-16 surrogate escape");
                i += 11;
            } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                throw Error("invalid JSON near byte " + std::to_string(i) + ": unpaired UTF-16 surrogate escape");
            } else {
                ++i;  // skip the escaped character (a \uXXXX's digits are plain hex after that)
            }
        }
    }
}

}  // namespace

Value parse(std::string_view text, const ParseLimits& limits)
{
    if (text.size() > limits.max_bytes)
        throw Error("JSON document of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                    std::to_string(limits.max_bytes) + " bytes");
    refuse_unpaired_surrogates(text);
    Builder b(limits);
    std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlHandleDeleter> handle(
        yajl_alloc(&callbacks, nullptr, &b));
    if (!handle)
        throw Error("out of memory allocating the JSON parser");

    auto* data = reinterpret_cast<const unsigned char*>(text.data());
    yajl_status status = yajl_parse(handle.get(), data, text.size());
    if (status == yajl_status_ok)
        status = yajl_complete_parse(handle.get());
    if (status == yajl_status_ok)
        return std::move(b.root);

    size_t offset = yajl_get_bytes_consumed(handle.get());
    if (!b.error.empty())
        throw Error(b.error);
    unsigned char* raw = yajl_get_error(handle.get(), 0, data, text.size());
    std::string message = raw ? reinterpret_cast<char*>(raw) : "invalid JSON";
    if (raw)
        yajl_free_error(handle.get(), raw);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    throw Error("invalid JSON near byte " + std::to_string(offset) + ": " + message);
}

}  // namespace hardrun::json
