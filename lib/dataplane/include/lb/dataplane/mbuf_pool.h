// The packet buffer pool.
//
// When IOVA addresses are virtual addresses (always with --no-huge, and with
// --iova-mode=va which lbd asks for when every port is a virtual device), the
// pool is packed: objects follow each other without page-boundary gaps. The
// AF_XDP driver of DPDK 22.11 registers its UMEM as if the pool were packed
// (object count x object size from the first object); in a pool laid out one
// object per 4 KiB page, every buffer past that size becomes an invalid
// descriptor the kernel silently drops on transmit. With physical addresses a
// buffer must not cross a page, so the default layout is kept there.
#pragma once

#include <cstdint>

struct rte_mempool;

namespace lb::dataplane {

// Throws std::runtime_error with advice when the memory is not there.
rte_mempool* create_mbuf_pool(uint32_t count, int socket);

}  // namespace lb::dataplane
