// DPDK's malloc heap summed over every NUMA socket: what the connection
// table measures its own size with, what table_size: auto sizes it from,
// and what the benchmarks report. Any thread, after EAL start-up.
#pragma once

#include <cstddef>

namespace lb::dataplane {

struct HeapStats {
  size_t allocated = 0;  // bytes handed out by rte_malloc and friends
  size_t free = 0;       // bytes the heap holds but has not handed out
};

HeapStats heap_stats() noexcept;

}  // namespace lb::dataplane
