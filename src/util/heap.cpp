#include "util/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; Debian 12's headers have it, older ones do not
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

}  // namespace hardrun
