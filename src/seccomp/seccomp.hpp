// Seccomp profiles: hardrun's own format (profiles/seccomp-default.json: Docker's layout, with
// rules that apply only for a capability or an architecture), rendered to the OCI
// linux.seccomp a container gets; checks and compilation with libseccomp.
#pragma once

#include "json/value.hpp"

#include <set>
#include <string>
#include <vector>

namespace hardrun::seccomp {

// Render a profile for a container on this machine that keeps `caps` (OCI names): the
// architectures of the native family, and the rules whose includes/excludes match.
// A profile already in OCI format (no archMap) is returned as it is.
json::Value render(const json::Value& profile, const std::vector<std::string>& caps);

// Whether an OCI seccomp object lets every syscall through (defaultAction allow or log).
bool allows_everything(const json::Value& oci);

// Compile an OCI seccomp object with libseccomp for the native architecture family, as runc
// will: throws hardrun::Error naming the first problem (unknown action, operator, arch).
void compile(const json::Value& oci);

// compile(), remembered: a profile that compiled once (by a 128-bit hash of its tree) is
// not compiled again. Compiling Docker's or hardrun's default costs about 10 ms, and nearly
// every container carries one of a few profiles. The verdicts live in `cache_dir` (created
// 0700; when it is "" or cannot be made, every profile is compiled).
void compile_cached(const json::Value& oci, const std::string& cache_dir = "/run/hardrun/seccomp-compiled");

// The file name compile_cached() keeps a verdict under: a digest of the whole profile (two
// profiles that differ in anything a serialisation would show get different names) and of the
// libseccomp version and native architecture that compile it.
std::string cache_key(const json::Value& oci);

// `hardrun profile check`: every name known to libseccomp on at least one of the profile's
// architectures, actions and operators valid, and the filter compiles for each architecture
// family. Returns the problems (empty: fine).
std::vector<std::string> check(const json::Value& profile);

// The syscall names a profile lets through unconditionally or under some condition, each
// with a short note of the condition ("" when unconditional).
std::vector<std::pair<std::string, std::string>> allowed_names(const json::Value& profile);

// Whether an action lets the syscall run (allow, log, trace, notify).
bool is_allowing(const std::string& action);

// `base` (a profile that denies by default) made at least as strict as the `denials` too: the
// rules of a profile that allows by default and denies these (OCI syscall rules whose action
// does not let the syscall run). A denied name loses every allowing rule of `base` and gets the
// denial's action. A denial with argument conditions keeps the rest of what `base` allowed
// unconditionally as allow rules with the negated conditions; where no single negation exists
// (a masked comparison) or `base` allowed the name only conditionally, the whole name is denied
// and listed in `whole` (stricter than either profile, never looser).
json::Value with_denials(json::Value base, const std::vector<json::Value>& denials, std::vector<std::string>& whole);

}  // namespace hardrun::seccomp
