// What a create is about to touch, made present with one system call per range instead of a page
// fault per page. Measured on the benchmark VM, where every fault goes through the hypervisor:
//  - heap: 64 new pages by faults 970 us, by one madvise 60 to 150 us;
//  - code: 32 faults on hardrun's text (each maps 16 neighbouring pages too) 630 to 1160 us, the
//    whole 2 MB file by one madvise 100 to 190 us.
// On bare metal both are a tenth or less of that. Only where a create needs it: a pass-through
// call touches a few pages and would pay for the rest. On kernels before 5.14 (no
// MADV_POPULATE_READ/WRITE) the madvise fails and pages fault in one by one as before.
#pragma once

#include <cstddef>

namespace hardrun {

// Leaves at least `spare` bytes free at the top of the heap and makes those pages present now.
// A create builds the trees of its config and its policy in about 150 KB of heap.
void populate_heap(size_t spare);

// Maps hardrun's own executable segment now. A create runs code from all over hardrun's text (its
// controls, the idmap step, the state), about 20 faults of 64 KiB stretches; libc's text is left
// to fault (populating it too made a create slower: measured).
void populate_code();

}  // namespace hardrun
