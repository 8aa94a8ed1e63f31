// The lblc/lblcr index (lib/sched/locality_table.h), white-box: interleavings
// of two workers that a test cannot schedule through pick() are set up by
// writing the words directly.
#include <cstdint>

#include <catch2/catch.hpp>

#include "../../../lib/sched/locality_table.h"

namespace locality = lb::sched::locality;
using Index = locality::Index;

namespace {

constexpr uint32_t kKey = 0xC000020A;  // 192.0.2.10

uint64_t make_word(uint32_t key, uint32_t payload) {
  return locality::live_word(key, payload);
}

}  // namespace

TEST_CASE("locality words: key, payload and live flag round-trip; freeing keeps the payload") {
  const uint64_t w = make_word(kKey, 12345);
  CHECK(locality::is_live(w));
  CHECK(locality::key_of(w) == kKey);
  CHECK(locality::payload_of(w) == 12345);
  CHECK_FALSE(locality::is_live(locality::free_word(w)));
  CHECK(locality::key_of(locality::free_word(w)) == 0);
  CHECK(locality::payload_of(locality::free_word(w)) == 12345);
  CHECK(locality::payload_of(make_word(0, 0x7fffffff)) == 0x7fffffff);
}

TEST_CASE("a claim that finds its key beyond the slot it took gives the slot back") {
  // Another worker created the key in way 3 after this one had seen ways 0..3
  // free and chosen way 0: after its CAS the claimant sees the other copy.
  Index index;
  const uint32_t base = Index::bucket(kKey) * locality::kWays;
  index.word(base + 3).store(make_word(kKey, 7));
  Index::Found out;
  const auto r = index.claim(
      kKey, 100, [](uint64_t) { return make_word(kKey, 9); }, [](uint32_t) {}, out);
  CHECK(r == Index::Claim::kExists);
  CHECK_FALSE(locality::is_live(index.word(base).load()));
  CHECK(index.size() == 0);  // the reservation was returned
  const auto f = index.find(kKey);
  REQUIRE(f);
  CHECK(f.slot == base + 3);
  CHECK(locality::payload_of(f.word) == 7);
}

TEST_CASE("a claim takes the first free way, after the live ones of other keys") {
  Index index;
  const uint32_t base = Index::bucket(kKey) * locality::kWays;
  // Another key of the same bucket in way 0 (any key: only the bucket matters).
  index.word(base).store(make_word(kKey + 1, 1));
  Index::Found out;
  bool prepared = false;
  const auto r = index.claim(
      kKey, 100, [](uint64_t) { return make_word(kKey, 9); },
      [&](uint32_t slot) { prepared = slot == base + 1; }, out);
  CHECK(r == Index::Claim::kClaimed);
  CHECK(prepared);
  CHECK(out.slot == base + 1);
  CHECK(index.lastuse(out.slot) == 100);
  CHECK(index.size() == 1);
  // The same key again: it exists.
  CHECK(index.claim(
            kKey, 200, [](uint64_t) { return make_word(kKey, 10); }, [](uint32_t) {}, out) ==
        Index::Claim::kExists);
  CHECK(index.size() == 1);
}

TEST_CASE("a full bucket refuses new keys; release frees only the key it names") {
  Index index;
  const uint32_t base = Index::bucket(kKey) * locality::kWays;
  for (uint32_t w = 0; w < locality::kWays; ++w)
    index.word(base + w).store(make_word(kKey + 1 + w, w));
  Index::Found out;
  CHECK(index.claim(
            kKey, 1, [](uint64_t) { return make_word(kKey, 1); }, [](uint32_t) {}, out) ==
        Index::Claim::kFull);
  CHECK(index.size() == 0);
  index.release(base + 5, kKey);  // not the key there
  CHECK(locality::is_live(index.word(base + 5).load()));
}
