// Shared helpers for the criterion unit tests.
#pragma once

#include "harden/pipeline.hpp"

#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace test {

// A fresh directory under /tmp, removed with everything in it when the test's process exits
// (criterion runs each test in a process of its own, so a failed test's directory goes too).
inline std::string temp_dir()
{
    static std::vector<std::string> made;
    if (made.empty())
        std::atexit([] {
            for (const std::string& dir : made)
                nftw(dir.c_str(), [](const char* path, const struct stat*, int, FTW*) { return ::remove(path); }, 16,
                     FTW_DEPTH | FTW_PHYS);
        });
    char path[] = "/tmp/hardrun-unit-XXXXXX";
    cr_assert(mkdtemp(path));
    made.push_back(path);
    return path;
}

inline std::string fixtures_dir()
{
    const char* dir = std::getenv("HARDRUN_TEST_FIXTURES");
    return dir ? dir : "tests/fixtures";
}

inline std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The captured config.json / process.json fixtures (*.json directly in tests/fixtures).
inline std::vector<std::string> fixture_files()
{
    std::vector<std::string> out;
    if (DIR* d = opendir(fixtures_dir().c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() > 5 && name.substr(name.size() - 5) == ".json")
                out.push_back(fixtures_dir() + "/" + name);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// What a create gives the controls, with a fixed host id range standing in for a slice of
// /etc/subuid (the unit tests do not touch the system).
inline hardrun::harden::Context context(std::string id = "", std::string bundle = "")
{
    hardrun::harden::Context c{std::move(id), std::move(bundle)};
    c.allocate_ids = [](const hardrun::policy::UserNamespace&) { return hardrun::idmap::IdRange{100000, 100000, 65536}; };
    c.cgroup_v2 = false;  // a cgroup v1 host unless a test says otherwise
    return c;
}

// context() for a create run by containerd's shim of the pod `shim_id` in the CRI namespace
// k8s.io, where the runtime knows the sandbox `shim_id` running as `pause_pid`.
inline hardrun::harden::Context cri_context(std::string id, std::string shim_id, long pause_pid)
{
    hardrun::harden::Context c = context(std::move(id), "/nonexistent-bundle");
    c.caller_shim = [shim_id] {
        hardrun::live::Shim s;
        s.found = true;
        s.namespace_ = "k8s.io";
        s.id = shim_id;
        return s;
    };
    c.container_pid = [shim_id, pause_pid](const std::string& sandbox) -> std::optional<long> {
        if (sandbox == shim_id)
            return pause_pid;
        return std::nullopt;
    };
    return c;
}

}  // namespace test
