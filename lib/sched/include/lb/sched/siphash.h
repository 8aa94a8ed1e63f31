// SipHash exactly as the Linux kernel computes it (lib/siphash.c), for the
// schedulers that must reproduce kernel hashes bit for bit (mh).
//
// The kernel's hsiphash() is HalfSipHash-1-3 on 32-bit kernels but, on 64-bit
// ones (the only ones lbd mirrors), SipHash-1-3 over 64-bit words with the
// result truncated to 32 bits (lib/siphash.c:229-244, "we make HalfSipHash1-3
// actually be SipHash1-3"). Input bytes are read little-endian whatever the
// host, as x86-64 and arm64 kernels do. Checked against the kernel's own kunit
// vectors (lib/siphash_kunit.c) in tests/unit/sched/siphash_test.cpp.
//
// Pure functions: callable from any thread.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lb::sched::kernel {

// siphash_key_t / hsiphash_key_t on a 64-bit kernel: two unsigned longs.
struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

namespace detail {

struct SipState {
  uint64_t v0, v1, v2, v3;

  constexpr explicit SipState(SipKey key) noexcept
      : v0(0x736f6d6570736575ULL ^ key.k0),
        v1(0x646f72616e646f6dULL ^ key.k1),
        v2(0x6c7967656e657261ULL ^ key.k0),
        v3(0x7465646279746573ULL ^ key.k1) {}

  constexpr void round() noexcept {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  template <int C>
  constexpr void compress(uint64_t m) noexcept {
    v3 ^= m;
    for (int i = 0; i < C; ++i)
      round();
    v0 ^= m;
  }

  template <int D>
  constexpr uint64_t finish() noexcept {
    v2 ^= 0xff;
    for (int i = 0; i < D; ++i)
      round();
    return (v0 ^ v1) ^ (v2 ^ v3);
  }
};

}  // namespace detail

// SipHash-C-D of `data` (C compression rounds per 8-byte word, D finalisation
// rounds), 64-bit result.
template <int C, int D>
constexpr uint64_t siphash(std::span<const uint8_t> data, SipKey key) noexcept {
  detail::SipState s(key);
  const size_t words = data.size() / 8;
  for (size_t w = 0; w < words; ++w) {
    uint64_t m = 0;
    for (size_t i = 0; i < 8; ++i)
      m |= uint64_t{data[w * 8 + i]} << (8 * i);
    s.compress<C>(m);
  }
  uint64_t b = uint64_t{data.size()} << 56;
  for (size_t i = words * 8; i < data.size(); ++i)
    b |= uint64_t{data[i]} << (8 * (i - words * 8));
  s.compress<C>(b);
  return s.finish<D>();
}

// The kernel's siphash(): SipHash-2-4.
constexpr uint64_t siphash_2_4(std::span<const uint8_t> data, SipKey key) noexcept {
  return siphash<2, 4>(data, key);
}

// The kernel's hsiphash() on a 64-bit kernel: SipHash-1-3, truncated.
constexpr uint32_t hsiphash(std::span<const uint8_t> data, SipKey key) noexcept {
  return static_cast<uint32_t>(siphash<1, 3>(data, key));
}

// hsiphash(&v, sizeof(v), key) for a u32 `v` on a little-endian kernel
// (hsiphash_1u32): the four bytes of v are the whole message.
constexpr uint32_t hsiphash_u32(uint32_t v, SipKey key) noexcept {
  detail::SipState s(key);
  s.compress<1>((uint64_t{4} << 56) | v);
  return static_cast<uint32_t>(s.finish<3>());
}

}  // namespace lb::sched::kernel
