"""An offline check of Kubernetes manifests against the API's structure, for the kinds in
contrib/kubernetes/ (no API server, no network: kubectl's client-side dry run needs a server's
discovery). Written from the Kubernetes API reference (v1.2x; core/v1, apps/v1,
rbac.authorization.k8s.io/v1, node.k8s.io/v1): every field must be one the API knows, of its
type; required fields must be there. Only the fields of the types these manifests use are
listed, so an unknown field is either a typo or a type to add here.

    problems = check(document)   # [] when it conforms
"""
import re

STR, INT, BOOL = "string", "integer", "boolean"
MAP = ("map", STR)  # map[string]string


def L(t):  # list of t
    return ("list", t)


def O(fields, required=()):  # object with these fields
    return ("object", fields, tuple(required))


OBJECT_META = O({"name": STR, "namespace": STR, "labels": MAP, "annotations": MAP, "generateName": STR})
LABEL_SELECTOR_REQ = O({"key": STR, "operator": STR, "values": L(STR)}, ("key", "operator"))
LABEL_SELECTOR = O({"matchLabels": MAP, "matchExpressions": L(LABEL_SELECTOR_REQ)})
TOLERATION = O({"key": STR, "operator": STR, "value": STR, "effect": STR, "tolerationSeconds": INT})
OBJECT_FIELD_SELECTOR = O({"apiVersion": STR, "fieldPath": STR}, ("fieldPath",))
ENV_VAR = O({"name": STR, "value": STR, "valueFrom": O({"fieldRef": OBJECT_FIELD_SELECTOR})}, ("name",))
CAPABILITIES = O({"add": L(STR), "drop": L(STR)})
SECURITY_CONTEXT = O({"privileged": BOOL, "runAsUser": INT, "runAsGroup": INT, "runAsNonRoot": BOOL,
                      "readOnlyRootFilesystem": BOOL, "allowPrivilegeEscalation": BOOL,
                      "capabilities": CAPABILITIES})
VOLUME_MOUNT = O({"name": STR, "mountPath": STR, "readOnly": BOOL, "subPath": STR,
                  "mountPropagation": STR}, ("name", "mountPath"))
RESOURCES = O({"limits": MAP, "requests": MAP})
CONTAINER = O({"name": STR, "image": STR, "imagePullPolicy": STR, "command": L(STR), "args": L(STR),
               "workingDir": STR, "env": L(ENV_VAR), "securityContext": SECURITY_CONTEXT,
               "volumeMounts": L(VOLUME_MOUNT), "resources": RESOURCES}, ("name",))
VOLUME = O({"name": STR, "hostPath": O({"path": STR, "type": STR}, ("path",))}, ("name",))
POD_SPEC = O({"containers": L(CONTAINER), "initContainers": L(CONTAINER), "volumes": L(VOLUME),
              "serviceAccountName": STR, "hostPID": BOOL, "hostNetwork": BOOL, "hostIPC": BOOL,
              "nodeSelector": MAP, "tolerations": L(TOLERATION), "priorityClassName": STR,
              "runtimeClassName": STR, "terminationGracePeriodSeconds": INT}, ("containers",))
POD_TEMPLATE = O({"metadata": OBJECT_META, "spec": POD_SPEC})
DAEMONSET_SPEC = O({"selector": LABEL_SELECTOR, "template": POD_TEMPLATE, "minReadySeconds": INT,
                    "revisionHistoryLimit": INT,
                    "updateStrategy": O({"type": STR, "rollingUpdate": O({"maxUnavailable": INT, "maxSurge": INT})})},
                   ("selector", "template"))
POLICY_RULE = O({"apiGroups": L(STR), "resources": L(STR), "verbs": L(STR), "resourceNames": L(STR),
                 "nonResourceURLs": L(STR)}, ("verbs",))
ROLE_REF = O({"apiGroup": STR, "kind": STR, "name": STR}, ("apiGroup", "kind", "name"))
SUBJECT = O({"kind": STR, "name": STR, "namespace": STR, "apiGroup": STR}, ("kind", "name"))
SCHEDULING = O({"nodeSelector": MAP, "tolerations": L(TOLERATION)})
OVERHEAD = O({"podFixed": MAP})


def _top(fields, required=()):
    base = {"apiVersion": STR, "kind": STR, "metadata": OBJECT_META}
    base.update(fields)
    return O(base, ("apiVersion", "kind", "metadata") + tuple(required))


KINDS = {
    ("v1", "ServiceAccount"): _top({"automountServiceAccountToken": BOOL}),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): _top({"rules": L(POLICY_RULE)}),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _top({"roleRef": ROLE_REF, "subjects": L(SUBJECT)},
                                                                 ("roleRef",)),
    ("apps/v1", "DaemonSet"): _top({"spec": DAEMONSET_SPEC}, ("spec",)),
    ("node.k8s.io/v1", "RuntimeClass"): _top({"handler": STR, "scheduling": SCHEDULING, "overhead": OVERHEAD},
                                             ("handler",)),
}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "RuntimeClass"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _walk(value, schema, where, problems):
    if schema == STR:
        ok = isinstance(value, str)
    elif schema == INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif schema == BOOL:
        ok = isinstance(value, bool)
    elif schema[0] == "map":
        ok = isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    elif schema[0] == "list":
        ok = isinstance(value, list)
        if ok:
            for i, item in enumerate(value):
                _walk(item, schema[1], "%s[%d]" % (where, i), problems)
    else:
        ok = isinstance(value, dict)
        if ok:
            fields, required = schema[1], schema[2]
            for key, item in value.items():
                if key not in fields:
                    problems.append("%s.%s: unknown field" % (where, key))
                else:
                    _walk(item, fields[key], "%s.%s" % (where, key), problems)
            for key in required:
                if key not in value:
                    problems.append("%s.%s: required" % (where, key))
    if not ok:
        kind = schema if isinstance(schema, str) else schema[0]
        problems.append("%s: must be %s (%s)" % (where, kind if kind != "map" else "a string map",
                                                 type(value).__name__))


def check(doc):
    """The problems of one manifest document, [] when it conforms."""
    if not isinstance(doc, dict):
        return ["a manifest must be an object"]
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in KINDS:
        return ["%s %s: not a kind this check knows" % key]
    problems = []
    where = "%s/%s" % (doc["kind"], (doc.get("metadata") or {}).get("name", "?"))
    _walk(doc, KINDS[key], where, problems)
    meta = doc.get("metadata") or {}
    name = meta.get("name", "")
    if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        problems.append("%s: metadata.name %r is not a DNS subdomain" % (where, name))
    if (doc["kind"] in CLUSTER_SCOPED) == ("namespace" in meta):
        problems.append("%s: metadata.namespace %s" % (where, "is not allowed for a cluster-scoped kind"
                                                       if doc["kind"] in CLUSTER_SCOPED else "is missing"))
    if doc["kind"] == "RuntimeClass" and not (isinstance(doc.get("handler"), str) and DNS_LABEL.match(doc["handler"])):
        problems.append("%s: handler must be a DNS label" % where)
    if doc["kind"] == "DaemonSet" and not problems:
        selector = doc["spec"]["selector"].get("matchLabels", {})
        labels = doc["spec"]["template"].get("metadata", {}).get("labels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append("%s: spec.selector does not match the template's labels" % where)
        for c in doc["spec"]["template"]["spec"]["containers"]:
            if "image" not in c:
                problems.append("%s: container %s has no image" % (where, c.get("name")))
    return problems
