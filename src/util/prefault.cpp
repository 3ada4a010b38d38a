#include "util/prefault.hpp"

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

// Linux 5.14; Debian 12's headers have them, older ones do not.
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace hardrun {

void populate_heap(size_t spare)
{
    // From now on every growth of the heap leaves `spare` free at its top, and blocks up to twice
    // that come from the heap rather than a mapping of their own, so the block below grows the
    // heap when its top has less than `spare` free. Given back, it joins the top, which glibc
    // trims to `spare` (M_TOP_PAD).
    mallopt(M_TOP_PAD, int(spare));
    mallopt(M_MMAP_THRESHOLD, int(2 * spare));
    void* volatile block = malloc(spare);  // volatile: the compiler may not drop a malloc+free
    free(block);
    // The top chunk (keepcost) ends at the break; its pages are the ones allocations take next.
    uintptr_t end = uintptr_t(sbrk(0));
    uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
    uintptr_t start = (end - mallinfo2().keepcost) & ~(page - 1);
    if (end > start)
        madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);  // a hint: errors change nothing
}

void populate_code()
{
    // dl_iterate_phdr reads the loader's own list (no system call); its first entry is the main
    // program, hardrun itself, and the only one done: populating libc's text too made a create
    // slower (shared pages, mostly mapped already by then).
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = info->dlpi_phdr[i];
                if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X))
                    continue;
                uintptr_t start = (info->dlpi_addr + segment.p_vaddr) & ~(page - 1);
                uintptr_t end = info->dlpi_addr + segment.p_vaddr + segment.p_memsz;
                madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_READ);  // a hint, as above
            }
            return 1;  // the main program only
        },
        nullptr);
}

}  // namespace hardrun
