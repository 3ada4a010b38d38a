// Build-time generator: writes libmount's built-in Linux option map (MNT_LINUX_MAP: "nosuid",
// "rw", "rshared" ... and the MS_* flags each sets or, with MNT_INVERT, clears) as C++ table
// rows, which spec/mount_options.cpp includes. The table is libmount's own, read through its API
// when hardrun is built, so that a create need not load libmount (with libblkid, libselinux and
// libpcre2) to know what a flag option does. The unit test live.mount_option_table_is_libmounts
// holds the generated table against the libmount installed where the tests run.
#include <libmount/libmount.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT\n", argv[0]);
        return 2;
    }
    const libmnt_optmap* map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
    if (!map) {
        std::fprintf(stderr, "%s: libmount has no MNT_LINUX_MAP\n", argv[0]);
        return 1;
    }
    FILE* out = std::fopen(argv[1], "w");
    if (!out) {
        std::perror(argv[1]);
        return 1;
    }
    std::fprintf(out, "// Generated from libmount %s's MNT_LINUX_MAP by mount_option_table_gen: do not edit.\n",
                 LIBMOUNT_VERSION);
    int rows = 0;
    for (const libmnt_optmap* m = map; m->name; ++m) {
        // A name with "=" takes a value: filesystem data, never a flag (mount_options.cpp).
        if (std::strchr(m->name, '='))
            continue;
        std::fprintf(out, "{\"%s\", %#lxUL, %s},\n", m->name, static_cast<unsigned long>(m->id),
                     (m->mask & MNT_INVERT) ? "true" : "false");
        ++rows;
    }
    if (std::fclose(out) != 0 || rows == 0) {
        std::fprintf(stderr, "%s: wrote %d rows\n", argv[0], rows);
        return 1;
    }
    return 0;
}
