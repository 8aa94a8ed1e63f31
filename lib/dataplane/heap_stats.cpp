#include <lb/dataplane/heap_stats.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

namespace lb::dataplane {

HeapStats heap_stats() noexcept {
  HeapStats total;
  for (unsigned i = 0; i < rte_socket_count(); ++i) {
    rte_malloc_socket_stats st{};
    if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) != 0) continue;
    total.allocated += st.heap_allocsz_bytes;
    total.free += st.heap_freesz_bytes;
  }
  return total;
}

}  // namespace lb::dataplane
