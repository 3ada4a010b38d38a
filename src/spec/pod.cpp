#include "spec/pod.hpp"

#include "spec/fields.hpp"
#include "util/error.hpp"

namespace hardrun::spec {
namespace {

// Annotations are a Go map: keys match exactly (no case folding as for struct fields).
const json::Value* annotation(const json::Value& annotations, const char* key)
{
    const json::Value* v = annotations.find(key);
    if (v && !v->is_null() && !v->is_string())
        throw Error(std::string("/annotations/") + key + " must be a string");
    return v && v->is_string() ? v : nullptr;
}

}  // namespace

PodRole pod_role(json::Value& config)
{
    PodRole role;
    json::Value* annotations = field(config, "annotations", json::Kind::object, "/");
    if (!annotations)
        return role;
    const json::Value* type = annotation(*annotations, cri_container_type);
    const json::Value* id = annotation(*annotations, cri_sandbox_id);
    if (id)
        role.sandbox_id = id->as_string();
    if (type && type->as_string() == "sandbox")
        role.kind = PodRole::Kind::sandbox;
    else if (type && type->as_string() == "container")
        role.kind = PodRole::Kind::member;
    return role;
}

}  // namespace hardrun::spec
