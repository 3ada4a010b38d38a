#include "util/error.hpp"
#include "util/file.hpp"
#include "util/prefault.hpp"
#include "util/resolve.hpp"
#include "util/sha256.hpp"
#include "util/toml_lines.hpp"

#include "helpers.hpp"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

using hardrun::Error;
using namespace hardrun;

namespace {

void write(const std::string& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

Test(file, replace_is_atomic_and_keeps_mode_and_owner)
{
    std::string dir = test::temp_dir();
    std::string path = dir + "/config.json";
    write(path, "old");
    chmod(path.c_str(), 0640);
    if (geteuid() == 0)
        cr_assert_eq(chown(path.c_str(), 1234, 5678), 0);
    DirFile f = read_dir_file(path, 1024);
    cr_assert_eq(f.text, "old");
    replace_dir_file(f, "new contents");
    DirFile g = read_dir_file(path, 1024);
    cr_assert_eq(g.text, "new contents");
    cr_assert_eq(g.st.st_mode & 07777, 0640u);
    if (geteuid() == 0) {
        cr_assert_eq(g.st.st_uid, 1234u);
        cr_assert_eq(g.st.st_gid, 5678u);
    }
    cr_assert_neq(g.st.st_ino, f.st.st_ino, "not replaced by rename");
    std::string cmd = "test $(ls -A " + dir + " | wc -l) -eq 1";  // no temp file left behind
    cr_assert_eq(system(cmd.c_str()), 0);
    system(("rm -rf " + dir).c_str());
}

Test(file, replace_removes_stale_temp_files_but_not_held_ones)
{
    std::string dir = test::temp_dir();
    std::string path = dir + "/config.json";
    write(path, "old");
    write(dir + "/.config.json.hardrun-0123456789abcdef", "partial");  // a killed writer's
    write(dir + "/.config.json.hardrun-fedcba9876543210", "partial");  // a live writer's
    write(dir + "/.config.json.hardrun-notours", "x");
    write(dir + "/.other.json.hardrun-0123456789abcdef", "x");
    int held = open((dir + "/.config.json.hardrun-fedcba9876543210").c_str(), O_RDONLY | O_CLOEXEC);
    cr_assert_geq(held, 0);
    cr_assert_eq(flock(held, LOCK_EX), 0);
    replace_dir_file(read_dir_file(path, 1024), "new");
    cr_assert_eq(access((dir + "/.config.json.hardrun-0123456789abcdef").c_str(), F_OK), -1);
    cr_assert_eq(access((dir + "/.config.json.hardrun-fedcba9876543210").c_str(), F_OK), 0);
    cr_assert_eq(access((dir + "/.config.json.hardrun-notours").c_str(), F_OK), 0);
    cr_assert_eq(access((dir + "/.other.json.hardrun-0123456789abcdef").c_str(), F_OK), 0);
    cr_assert_eq(read_dir_file(path, 1024).text, "new");
    close(held);
    system(("rm -rf " + dir).c_str());
}

Test(file, refuses_symlinks_non_regular_and_oversize)
{
    std::string dir = test::temp_dir();
    write(dir + "/real.json", "{}");
    cr_assert_eq(symlink((dir + "/real.json").c_str(), (dir + "/config.json").c_str()), 0);
    cr_assert_throw(read_dir_file(dir + "/config.json", 1024), Error);
    mkdir((dir + "/adir").c_str(), 0755);
    cr_assert_throw(read_dir_file(dir + "/adir", 1024), Error);
    mkfifo((dir + "/fifo").c_str(), 0644);
    cr_assert_throw(read_dir_file(dir + "/fifo", 1024), Error);
    write(dir + "/big.json", std::string(2048, ' '));
    cr_assert_throw(read_dir_file(dir + "/big.json", 1024), Error);
    cr_assert_throw(read_dir_file(dir + "/missing.json", 1024), Error);
    cr_assert_throw(read_dir_file(dir + "/", 1024), Error);
    system(("rm -rf " + dir).c_str());
}

Test(resolve, one_kernel_walk_and_the_kernels_name)
{
    std::string dir = test::temp_dir();
    mkdir((dir + "/real").c_str(), 0755);
    write(dir + "/real/file", "x");
    cr_assert_eq(symlink("real", (dir + "/link").c_str()), 0);
    cr_assert_eq(symlink("/etc", (dir + "/etc").c_str()), 0);
    cr_assert_eq(symlink("loop", (dir + "/loop").c_str()), 0);

    Resolved r = resolve_path(AT_FDCWD, dir + "/link/./file");
    cr_assert(r.fd && r.error == 0);
    cr_assert_eq(r.path, dir + "/real/file");
    cr_assert_eq(resolve_path(AT_FDCWD, dir + "/etc").path, "/etc");
    cr_assert_eq(resolve_path(AT_FDCWD, dir + "/missing").error, ENOENT);
    cr_assert_eq(resolve_path(AT_FDCWD, dir + "/loop").error, ELOOP);
    // /proc magic links (another process's root, an fd) are not followed by default.
    Resolved magic = resolve_path(AT_FDCWD, "/proc/self/root/etc");
    cr_assert(!magic.fd);
    cr_assert_eq(magic.error, ELOOP);
    cr_assert_eq(resolve_path(AT_FDCWD, "/proc/self/root", 0).path, "/");
    // Stricter walks: no symlinks at all; nothing outside the starting directory.
    cr_assert_eq(resolve_path(AT_FDCWD, dir + "/link/file", RESOLVE_NO_SYMLINKS).error, ELOOP);
    UniqueFd base(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    cr_assert_eq(resolve_path(base.get(), "real/file", RESOLVE_BENEATH).path, dir + "/real/file");
    cr_assert_eq(resolve_path(base.get(), "etc", RESOLVE_BENEATH).error, EXDEV);
    cr_assert_eq(resolve_path(base.get(), "../", RESOLVE_BENEATH).error, EXDEV);
    cr_assert_eq(resolve_path(base.get(), "real/file", RESOLVE_NO_MAGICLINKS, O_DIRECTORY).error, ENOTDIR);
    system(("rm -rf " + dir).c_str());
}

Test(file, own_dir_creates_exactly_and_trusts_only_its_own)
{
    std::string dir = test::temp_dir();
    mode_t old_umask = umask(077);
    cr_assert_eq(own_dir(dir + "/state", 0711, true), "");
    umask(old_umask);
    struct stat st {};
    cr_assert_eq(stat((dir + "/state").c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0711u, "umask applied: %o", st.st_mode & 07777);
    // Existing: looser bits removed when tightening, kept (if safe) otherwise.
    mkdir((dir + "/loose").c_str(), 0755);
    chmod((dir + "/loose").c_str(), 0755);
    cr_assert_eq(own_dir(dir + "/loose", 0750, false), "");
    cr_assert_eq(stat((dir + "/loose").c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0755u);
    cr_assert_eq(own_dir(dir + "/loose", 0700, true), "");
    cr_assert_eq(stat((dir + "/loose").c_str(), &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0700u);
    // Not trusted: writable by others (not tightened), a symlink, a file, another user's.
    mkdir((dir + "/open").c_str(), 0777);
    chmod((dir + "/open").c_str(), 0777);
    cr_assert_neq(own_dir(dir + "/open", 0750, false), "");
    cr_assert_eq(symlink((dir + "/state").c_str(), (dir + "/link").c_str()), 0);
    cr_assert_neq(own_dir(dir + "/link", 0711, true), "");
    write(dir + "/file", "x");
    cr_assert_neq(own_dir(dir + "/file", 0711, true), "");
    cr_assert_neq(own_dir(dir + "/missing/state", 0711, true), "");
    if (geteuid() == 0) {
        mkdir((dir + "/theirs").c_str(), 0700);
        cr_assert_eq(chown((dir + "/theirs").c_str(), 1234, 1234), 0);
        cr_assert_neq(own_dir(dir + "/theirs", 0700, true), "");
    }
    system(("rm -rf " + dir).c_str());
}

Test(sha256, known_answers)
{
    cr_assert_eq(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_eq(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    cr_assert_eq(sha256_hex(std::string(1000000, 'a')),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // 55 and 56 bytes: the padding boundary.
    cr_assert_eq(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    cr_assert_eq(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

// containers.conf as Debian ships its examples: comments, tables, a multi-line array.
static const char* containers_conf = R"(# The admin's containers.conf.
[containers]
log_driver = "k8s-file"   # a comment after a value

[engine]
# The runtime by default.
runtime = "crun"
conmon_path = [
    "/usr/bin/conmon",  # ] a bracket in a comment
    "/usr/libexec/podman/conmon",
]
events_logger = """
multi
line = "not a key"
"""

[engine.runtimes]
runc = ["/usr/sbin/runc"]

[network]
)";

Test(toml, set_and_erase_keep_every_other_line)
{
    TomlLines conf(containers_conf);
    cr_assert_eq(*conf.value("engine", "runtime"), "\"crun\"");
    cr_assert_eq(*conf.value("containers", "log_driver"), "\"k8s-file\"   # a comment after a value");
    cr_assert(!conf.value("engine", "line"), "a line inside a multi-line string is no key");
    conf.set("engine.runtimes", "hardrun", "[" + toml_string("/usr/local/sbin/hardrun") + "]");
    conf.set("engine", "runtime", toml_string("hardrun"));
    std::string text = conf.text();
    cr_assert(text.find("runc = [\"/usr/sbin/runc\"]\nhardrun = [\"/usr/local/sbin/hardrun\"]\n") != std::string::npos,
              "%s", text.c_str());
    cr_assert(text.find("# The runtime by default.\nruntime = \"hardrun\"\nconmon_path") != std::string::npos, "%s",
              text.c_str());
    // Undone, the file is the administrator's again, byte for byte but the default we replaced.
    TomlLines again(text);
    cr_assert(again.erase("engine.runtimes", "hardrun"));
    again.set("engine", "runtime", toml_string("crun"));
    std::string undone = again.text();
    cr_assert_str_eq(undone.c_str(), containers_conf);
    cr_assert(!again.erase("engine.runtimes", "hardrun"));
}

Test(toml, a_missing_table_is_added_and_removed_whole)
{
    const std::string original = "# only a comment\n[engine]\nruntime = \"runc\"\n";
    TomlLines conf(original);
    conf.set("engine.runtimes", "hardrun", "[\"/h\"]");
    cr_assert_eq(conf.text(), original + "\n[engine.runtimes]\nhardrun = [\"/h\"]\n");
    conf.erase("engine.runtimes", "hardrun");
    cr_assert_eq(conf.text(), original);
    // A multi-line value is replaced whole; a file without a final newline keeps none.
    TomlLines multi("[engine.runtimes]\nhardrun = [\n  \"/old\",\n]\nrunc = [\"/r\"]");
    multi.set("engine.runtimes", "hardrun", "[\"/new\"]");
    cr_assert_eq(multi.text(), "[engine.runtimes]\nhardrun = [\"/new\"]\nrunc = [\"/r\"]");
}

Test(toml, forms_it_cannot_edit_are_refused)
{
    // The table defined through dotted keys or an inline table: a second definition would make
    // the file invalid for podman.
    for (const char* text : {"[engine]\nruntimes.crun = [\"/c\"]\n", "[engine]\nruntimes = { crun = [\"/c\"] }\n",
                             "engine.runtimes.crun = [\"/c\"]\n"}) {
        TomlLines conf(text);
        cr_assert_throw(conf.set("engine.runtimes", "hardrun", "[\"/h\"]"), Error, "%s", text);
    }
    cr_assert_throw(TomlLines("[engine\n"), Error);
    cr_assert_throw(TomlLines("just words\n"), Error);
    cr_assert_throw(toml_string("a\nb"), Error);
    cr_assert_eq(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
}

// sha256_hex() (the SHA extensions, where the CPU has them) and the portable code must agree
// on every length around the block and padding boundaries and on varied bytes; the known
// answers hold for both.
Test(sha256, accelerated_and_portable_agree)
{
    cr_assert_eq(sha256_hex_portable("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(sha256_hex_portable(std::string(1000000, 'a')),
                 "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    std::string data;
    uint32_t x = 2463534242u;
    for (size_t n = 0; n < 700; ++n) {
        cr_assert_eq(sha256_hex(data), sha256_hex_portable(data), "length %zu", data.size());
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push_back(static_cast<char>(x));
    }
}

Test(file, read_all_reads_every_byte_up_to_the_limit_and_refuses_one_more)
{
    std::string dir = test::temp_dir();
    std::string big;
    for (size_t i = 0; i < 300000; ++i)
        big += char('a' + i % 26);
    for (size_t size : {size_t(0), size_t(1), size_t(4095), size_t(4096), size_t(4097), size_t(300000)}) {
        std::string path = dir + "/f" + std::to_string(size);
        write(path, big.substr(0, size));
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        cr_assert_eq(read_all(fd.get(), size, path), big.substr(0, size), "%zu bytes, limit %zu", size, size);
        if (size > 0) {
            UniqueFd again(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
            cr_assert_throw(read_all(again.get(), size - 1, path), Error, "%zu bytes, limit %zu", size, size - 1);
        }
    }
}

Test(file, read_small_file_gives_the_bytes_or_nothing)
{
    std::string dir = test::temp_dir();
    write(dir + "/f", "one\ntwo\n");
    cr_assert_eq(read_small_file(dir + "/f", 8).value_or("?"), "one\ntwo\n");
    cr_assert_not(read_small_file(dir + "/f", 7), "a file over the limit is not read");
    cr_assert_not(read_small_file(dir + "/missing", 8));
    cr_assert_not(read_small_file(dir, 8), "a directory cannot be read");
    cr_assert_eq(read_small_file("/proc/self/stat", 4096).value_or("").substr(0, std::to_string(getpid()).size()),
                 std::to_string(getpid()), "procfs files, whose size stat reports as 0, are read");
}

Test(file, lines_of_splits_at_newlines)
{
    using V = std::vector<std::string_view>;
    cr_assert(lines_of("") == V{});
    cr_assert(lines_of("a") == V{"a"});
    cr_assert(lines_of("a\n") == V{"a"});
    cr_assert(lines_of("a\nb") == (V{"a", "b"}));
    cr_assert(lines_of("\n\nc\n") == (V{"", "", "c"}));
    cr_assert(lines_of("a\r\nb\n") == (V{"a\r", "b"}), "only the newline is taken off");
}

// After populate_heap, the top of the heap holds the spare bytes asked for and every page of it
// is present (mincore), so the allocations of a create that fit there take no page fault. Under
// AddressSanitizer malloc is its own, not glibc's heap: only that the call is harmless is checked.
Test(file, populate_heap_leaves_the_spare_top_of_the_heap_present)
{
    constexpr size_t spare = 256u << 10;
    populate_heap(spare);
    void* volatile after = malloc(1000);  // the heap still serves allocations
    cr_assert(after);
    free(after);
#if !defined(__SANITIZE_ADDRESS__)
    struct mallinfo2 info = mallinfo2();
    cr_assert_geq(info.keepcost, spare - 4096, "the top of the heap has %zu bytes free", info.keepcost);
    uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    uintptr_t end = uintptr_t(sbrk(0));
    uintptr_t start = (end - info.keepcost) & ~(page - 1);
    std::vector<unsigned char> present((end - start) / page);
    cr_assert_eq(mincore(reinterpret_cast<void*>(start), end - start, present.data()), 0, "mincore: %s",
                 strerror(errno));
    for (size_t i = 0; i < present.size(); ++i)
        cr_assert(present[i] & 1, "page %zu of %zu of the heap's top is not present", i, present.size());
#endif
}

// 2 MiB of never-run code in this binary's text. Without it the test binary's text is about
// 124 kB, and the few pages the test itself runs after dropping the text fault it back in whole
// (each fault maps a 64 kB window around it: fault-around), so "the text was dropped" held only
// by luck. With it, what the test runs stays a small part of the mapping.
asm(".pushsection .text.hardrun_test_padding,\"ax\",@progbits\n"
    ".fill 2097152,1,0xcc\n"
    ".popsection\n");

namespace {

// This binary's executable mapping in /proc/self/smaps: its range, Size and Rss (kB).
struct CodeMapping {
    unsigned long from = 0, to = 0;
    long size_kb = -1, rss_kb = -1;
};

CodeMapping own_code_mapping()
{
    std::string self(4096, '\0');
    self.resize(std::max<ssize_t>(readlink("/proc/self/exe", self.data(), self.size()), 0));
    std::string smaps = read_small_file("/proc/self/smaps", 16u << 20).value_or("");
    CodeMapping out;
    bool in_code = false;
    for (std::string_view line : lines_of(smaps)) {
        std::string text(line);
        unsigned long from, to;
        char perms[5] = {};
        if (std::sscanf(text.c_str(), "%lx-%lx %4s", &from, &to, perms) == 3) {
            in_code = !self.empty() && std::string(perms).find('x') != std::string::npos && text.ends_with(" " + self);
            if (in_code)
                out = {from, to, -1, -1};
            continue;
        }
        long kb;
        if (in_code && std::sscanf(text.c_str(), "Size: %ld kB", &kb) == 1)
            out.size_kb = kb;
        else if (in_code && std::sscanf(text.c_str(), "Rss: %ld kB", &kb) == 1)
            out.rss_kb = kb;
    }
    return out;
}

}  // namespace

// populate_code maps the whole executable segment of the main program (this test's binary here,
// hardrun in production): its Rss in /proc/self/smaps becomes its Size. The mapping's pages are
// first dropped from this process (MADV_DONTNEED: clean file pages, read again on the next touch)
// so that the test starts from a partly mapped text and could fail.
Test(file, populate_code_maps_the_programs_executable_segment)
{
    CodeMapping code = own_code_mapping();
    cr_assert(code.to > code.from && code.size_kb > 0, "no executable mapping of this binary in /proc/self/smaps");
    cr_assert_eq(madvise(reinterpret_cast<void*>(code.from), code.to - code.from, MADV_DONTNEED), 0);
    CodeMapping dropped = own_code_mapping();
    cr_assert_lt(dropped.rss_kb, dropped.size_kb, "the text was not dropped: %ld of %ld kB", dropped.rss_kb,
                 dropped.size_kb);
    populate_code();
    CodeMapping after = own_code_mapping();
    cr_assert_eq(after.rss_kb, after.size_kb, "%ld of %ld kB of the text mapped", after.rss_kb, after.size_kb);
}
