// The concurrent phase: a lookup worker on the second lcore while the main
// lcore, as lbd's control thread does, runs the expiry sweeper
// (ConnTable::expire with lbd's per-tick budget) over a full table.
//
// Threads: the worker is RCU reader 0 of the table's rte_rcu_qsbr and reports
// a quiescent state after every burst of 32 lookups, as a real worker does
// after each receive burst; it only reads the table and writes its own
// counters (relaxed stores, read by the main lcore a burst late at worst).
// Everything else runs on the main lcore.
//
// Two sweeps, because each answers its own question:
// - does expiry stall the workers: the even half of the connections is due,
//   the worker looks up the odd half's keys, which stay, so a miss is an
//   error; the sweeper's ticks alternate with idle gaps as long, so the
//   worker's rate during ticks and alone is taken at the same moments and
//   over the same table states (a table getting emptier is faster to read);
// - how fast does the sweeper go: every connection is due, so every slot
//   examined is two key deletes; with the worker online (grace periods end
//   at its next burst) and with no reader at all (they end at once).
#pragma once

#include <cstdint>

#include "workload.h"

struct rte_rcu_qsbr;

namespace lb::bench {

struct SweepTotals {
  double seconds = 0;
  uint64_t slots = 0;       // pool slots examined
  uint64_t expired = 0;     // connections expired (two keys deleted each)
  uint32_t rounds = 0;      // whole-table passes (refilled between them)
  double longest_tick = 0;  // seconds, one expire() call of lbd's budget
  double mslots() const { return seconds > 0 ? static_cast<double>(slots) / seconds / 1e6 : 0; }
  double mexpired() const { return seconds > 0 ? static_cast<double>(expired) / seconds / 1e6 : 0; }
};

struct ConcurrentResult {
  // Half due: the worker's rate on keys that stay, during the sweeper's
  // ticks and alone in equally long gaps right after each.
  double alone_mops = 0;
  double during_mops = 0;
  SweepTotals half;
  // All due: the worker's rate and found fraction during the sweeps (its
  // keys disappear as the sweep goes), the sweeper with and without it.
  double all_due_mops = 0;
  double all_due_found = 0;
  SweepTotals all_due;
  SweepTotals no_reader;
  // Where the rest of the phase went.
  double refill_s = 0, drain_s = 0;
};

// `l` is full, filled by timed_fill; it is left empty. Sweeps are
// repeated (refilling between them, not timed) until they add up to
// `window_ms`, so small tables are timed over more than a few milliseconds.
ConcurrentResult concurrent_phase(Lbd& l, const Workload& w, rte_rcu_qsbr* qsbr,
                                  uint32_t window_ms);

}  // namespace lb::bench
