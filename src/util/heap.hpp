// The heap of a create, faulted in with one system call instead of page by page.
#pragma once

#include <cstddef>

namespace hardrun {

// Leaves at least `spare` bytes free at the top of the heap and makes those pages present now
// (madvise MADV_POPULATE_WRITE, Linux 5.14+; on an older kernel they fault in one by one as
// before). Why: a create builds the trees of its config and its policy in about 150 KB of heap,
// and every page the heap grows into is a page fault of its own, while one madvise makes them
// all present at once; measured on the benchmark VM, 64 pages: 970 us by faults, 60 to 150 us
// by madvise (a tenth of both on bare metal). Only where such a tree is built: a pass-through
// call uses a few pages and would pay for the rest.
void populate_heap(size_t spare);

}  // namespace hardrun
