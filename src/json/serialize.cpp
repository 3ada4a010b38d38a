#include "json/value.hpp"
#include "util/error.hpp"

#include <yajl/yajl_gen.h>

#include <memory>

namespace hardrun::json {
namespace {

struct GenDeleter {
    void operator()(yajl_gen g) const { yajl_gen_free(g); }
};

void check(yajl_gen_status status)
{
    if (status != yajl_gen_status_ok)
        throw Error("cannot serialise JSON (yajl_gen status " + std::to_string(int(status)) + ")");
}

void emit_string(yajl_gen g, const std::string& s)
{
    check(yajl_gen_string(g, reinterpret_cast<const unsigned char*>(s.data()), s.size()));
}

void emit(yajl_gen g, const Value& v)
{
    switch (v.kind()) {
    case Kind::null: check(yajl_gen_null(g)); break;
    case Kind::boolean: check(yajl_gen_bool(g, v.as_bool())); break;
    case Kind::number: check(yajl_gen_number(g, v.number_text().data(), v.number_text().size())); break;
    case Kind::string: emit_string(g, v.as_string()); break;
    case Kind::array:
        check(yajl_gen_array_open(g));
        for (const Value& item : v.items())
            emit(g, item);
        check(yajl_gen_array_close(g));
        break;
    case Kind::object:
        check(yajl_gen_map_open(g));
        for (const auto& [key, value] : v.members()) {
            emit_string(g, key);
            emit(g, value);
        }
        check(yajl_gen_map_close(g));
        break;
    }
}

}  // namespace

namespace {

std::string generate(const Value& value, bool pretty)
{
    std::unique_ptr<std::remove_pointer_t<yajl_gen>, GenDeleter> g(yajl_gen_alloc(nullptr));
    if (!g)
        throw Error("out of memory allocating the JSON generator");
    // No UTF-8 validation here: every string was validated when parsed, or is hardrun's own.
    yajl_gen_config(g.get(), yajl_gen_validate_utf8, 0);
    if (pretty) {
        yajl_gen_config(g.get(), yajl_gen_beautify, 1);
        yajl_gen_config(g.get(), yajl_gen_indent_string, "  ");
    }
    emit(g.get(), value);
    const unsigned char* buf = nullptr;
    size_t len = 0;
    check(yajl_gen_get_buf(g.get(), &buf, &len));
    return std::string(reinterpret_cast<const char*>(buf), len);
}

}  // namespace

std::string serialize(const Value& value) { return generate(value, false); }

std::string serialize_pretty(const Value& value) { return generate(value, true); }

}  // namespace hardrun::json
