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

    // yajl's events.
    bool null() { return add(Value()); }
    bool boolean(bool b) { return add(Value::boolean(b)); }
    bool number(const char* s, size_t len) { return add(Value::number_from_text(std::string(s, len))); }
    bool string(const unsigned char* s, size_t len)
    {
        return add(Value::string(std::string(reinterpret_cast<const char*>(s), len)));
    }
    bool open_object() { return open(Value::object()); }
    bool open_array() { return open(Value::array()); }

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

// Walks a document with the checks Builder makes, in the same order and with the same
// messages (depth, duplicate keys; yajl checks the rest), but keeps only one member of the
// root object. Reading a policy file's "runtime" this way costs a pass-through call about half
// the instructions of building the whole tree.
class Scanner {
public:
    Scanner(const ParseLimits& limits, std::string_view wanted) : limits_(limits), wanted_(wanted) {}

    RootMember result;
    std::string error;

    bool close()
    {
        stack_.pop_back();
        return true;
    }
    bool null() { return scalar([] { return Value(); }); }
    bool boolean(bool b) { return scalar([b] { return Value::boolean(b); }); }
    bool number(const char* s, size_t len)
    {
        return scalar([=] { return Value::number_from_text(std::string(s, len)); });
    }
    bool string(const unsigned char* s, size_t len)
    {
        return scalar([=] { return Value::string(std::string(reinterpret_cast<const char*>(s), len)); });
    }
    bool open_object() { return open(true); }
    bool open_array() { return open(false); }

    bool key(std::string k)
    {
        Frame& frame = stack_.back();
        bool duplicate = false;
        if (frame.keys.size() < index_threshold) {
            for (const auto& seen : frame.keys)
                duplicate = duplicate || seen == k;
        } else {
            if (frame.key_index.empty())
                frame.key_index.insert(frame.keys.begin(), frame.keys.end());
            duplicate = !frame.key_index.insert(k).second;
        }
        if (duplicate) {
            error = "duplicate key \"" + k + "\" in the object at " + pointer() +
                    " (runc would silently use the last one)";
            return false;
        }
        if (frame.key_index.empty())
            frame.keys.push_back(k);
        frame.pending_key = std::move(k);
        return true;
    }

private:
    struct Frame {
        bool object;
        size_t count = 0;         // members or items placed so far
        std::string pending_key;  // objects: key of the value about to arrive, then of the last one
        std::vector<std::string> keys;
        std::unordered_set<std::string> key_index;  // past index_threshold keys, as in Builder
    };

    // A value is about to be placed: is it the wanted member of the root?
    bool wanted_here() const { return stack_.size() == 1 && stack_[0].object && stack_[0].pending_key == wanted_; }

    template <class Make>
    bool scalar(Make make)
    {
        if (stack_.empty())
            return true;  // a scalar document: not an object, nothing to keep
        if (wanted_here())
            result.value = make();
        ++stack_.back().count;
        return true;
    }

    bool open(bool object)
    {
        if (stack_.size() >= limits_.max_depth) {
            error = "nesting deeper than " + std::to_string(limits_.max_depth) + " levels at " + pointer();
            return false;
        }
        if (stack_.empty()) {
            result.root_is_object = object;
        } else {
            // The wanted member is a container: its kind is kept, its contents only checked.
            if (wanted_here())
                result.value = object ? Value::object() : Value::array();
            ++stack_.back().count;
        }
        stack_.push_back(Frame{object, 0, {}, {}, {}});
        return true;
    }

    // Builder::pointer(), from the keys and counts kept here instead of the tree.
    std::string pointer() const
    {
        std::string out;
        for (size_t i = 0; i + 1 < stack_.size(); ++i) {
            out += '/';
            out += stack_[i].object ? stack_[i].pending_key : std::to_string(stack_[i].count - 1);
        }
        return out.empty() ? "/" : out;
    }

    const ParseLimits& limits_;
    std::string_view wanted_;
    std::vector<Frame> stack_;
};

template <class H>
H& handler(void* ctx) { return *static_cast<H*>(ctx); }

template <class H>
int on_null(void* ctx) { return handler<H>(ctx).null(); }
template <class H>
int on_boolean(void* ctx, int b) { return handler<H>(ctx).boolean(b != 0); }
template <class H>
int on_number(void* ctx, const char* s, size_t len) { return handler<H>(ctx).number(s, len); }
template <class H>
int on_string(void* ctx, const unsigned char* s, size_t len) { return handler<H>(ctx).string(s, len); }
template <class H>
int on_start_map(void* ctx) { return handler<H>(ctx).open_object(); }
template <class H>
int on_map_key(void* ctx, const unsigned char* s, size_t len)
{
    return handler<H>(ctx).key(std::string(reinterpret_cast<const char*>(s), len));
}
template <class H>
int on_end(void* ctx) { return handler<H>(ctx).close(); }
template <class H>
int on_start_array(void* ctx) { return handler<H>(ctx).open_array(); }

template <class H>
constexpr yajl_callbacks callbacks_for = {
    on_null<H>, on_boolean<H>,
    nullptr, nullptr,  // integer/double: unused, on_number gets the raw text instead
    on_number<H>, on_string<H>, on_start_map<H>, on_map_key<H>, on_end<H>, on_start_array<H>, on_end<H>,
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

// Runs yajl over text with handler h; throws hardrun::Error as parse() documents.
template <class H>
void drive(std::string_view text, const ParseLimits& limits, H& h)
{
    if (text.size() > limits.max_bytes)
        throw Error("JSON document of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                    std::to_string(limits.max_bytes) + " bytes");
    refuse_unpaired_surrogates(text);
    std::unique_ptr<std::remove_pointer_t<yajl_handle>, YajlHandleDeleter> handle(
        yajl_alloc(&callbacks_for<H>, nullptr, &h));
    if (!handle)
        throw Error("out of memory allocating the JSON parser");

    auto* data = reinterpret_cast<const unsigned char*>(text.data());
    yajl_status status = yajl_parse(handle.get(), data, text.size());
    if (status == yajl_status_ok)
        status = yajl_complete_parse(handle.get());
    if (status == yajl_status_ok)
        return;

    size_t offset = yajl_get_bytes_consumed(handle.get());
    if (!h.error.empty())
        throw Error(h.error);
    unsigned char* raw = yajl_get_error(handle.get(), 0, data, text.size());
    std::string message = raw ? reinterpret_cast<char*>(raw) : "invalid JSON";
    if (raw)
        yajl_free_error(handle.get(), raw);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    throw Error("invalid JSON near byte " + std::to_string(offset) + ": " + message);
}

}  // namespace

Value parse(std::string_view text, const ParseLimits& limits)
{
    Builder b(limits);
    drive(text, limits, b);
    return std::move(b.root);
}

RootMember parse_root_member(std::string_view text, std::string_view key, const ParseLimits& limits)
{
    Scanner s(limits, key);
    drive(text, limits, s);
    return std::move(s.result);
}

}  // namespace hardrun::json
