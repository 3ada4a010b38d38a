// Shared helpers for the criterion unit tests.
#pragma once

#include "harden/pipeline.hpp"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace test {

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
    return c;
}

}  // namespace test
