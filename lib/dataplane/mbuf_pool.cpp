#include <lb/dataplane/mbuf_pool.h>

#include <stdexcept>

#include <fmt/format.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>

namespace lb::dataplane {

namespace {

constexpr unsigned kCacheSize = 256;

[[noreturn]] void fail(uint32_t count) {
  throw std::runtime_error(fmt::format(
      "cannot create a pool of {} packet buffers: {} (lower eal.mbufs or raise eal.memory_mb)",
      count, rte_strerror(rte_errno)));
}

}  // namespace

rte_mempool* create_mbuf_pool(uint32_t count, int socket) {
  if (rte_eal_iova_mode() != RTE_IOVA_VA) {
    rte_mempool* mp = rte_pktmbuf_pool_create("lbd_mbufs", count, kCacheSize, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (mp == nullptr) fail(count);
    return mp;
  }
  // rte_pktmbuf_pool_create() without its page-boundary constraint.
  const uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
  rte_mempool* mp = rte_mempool_create_empty("lbd_mbufs", count, sizeof(rte_mbuf) + data_room,
                                             kCacheSize, sizeof(rte_pktmbuf_pool_private), socket,
                                             RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (mp == nullptr) fail(count);
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = data_room;
  priv.mbuf_priv_size = 0;
  if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), nullptr) != 0) {
    rte_mempool_free(mp);
    fail(count);
  }
  rte_pktmbuf_pool_init(mp, &priv);
  if (rte_mempool_populate_default(mp) < 0) {
    rte_mempool_free(mp);
    fail(count);
  }
  rte_mempool_obj_iter(mp, rte_pktmbuf_init, nullptr);
  return mp;
}

}  // namespace lb::dataplane
