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

PodClaim pod_claim(json::Value& config)
{
    PodClaim claim;
    json::Value* annotations = field(config, "annotations", json::Kind::object, "/");
    if (!annotations)
        return claim;
    const json::Value* type = annotation(*annotations, cri_container_type);
    const json::Value* id = annotation(*annotations, cri_sandbox_id);
    const json::Value* uid = annotation(*annotations, cri_sandbox_uid);
    if (id)
        claim.sandbox_id = id->as_string();
    if (uid)
        claim.pod_uid = uid->as_string();
    if (!type)
        return claim;
    claim.type = type->as_string();
    if (claim.type == "sandbox")
        claim.kind = PodClaim::Kind::sandbox;
    else if (claim.type == "container")
        claim.kind = PodClaim::Kind::member;
    else
        claim.kind = PodClaim::Kind::unknown;
    return claim;
}

}  // namespace hardrun::spec
