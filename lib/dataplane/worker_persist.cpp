// Persistence (ip_vs_sched_persist): a persistent service sends every new
// connection of a client network to the real server its template names,
// while the template lives.
//
// A template is looked up lock-free; only when it is missing is the client's
// template stripe locked, the lookup repeated and, if still missing, a real
// server scheduled and the template created - so two workers racing for one
// client never create two templates.
#include <lb/conn/connection.h>
#include <lb/dataplane/worker.h>

namespace lb::dataplane {

const sched::Dest* Worker::persistent_dest(const sched::Service& svc,
                                           const packet::PacketMeta& meta, uint32_t hash, bool hold,
                                           uint32_t& control, Drop& why) noexcept {
  const sched::ServiceSpec& spec = svc.spec();
  const packet::FlowKeyV4 tkey = conn::template_key(meta.key, spec);
  const uint32_t thash = shared_.conns->hash(tkey);
  const sched::PickInput pick{meta.key, hash, now_ms_};

  ConnTable::Found found = shared_.conns->lookup(tkey, thash);
  if (found.conn == nullptr) {
    const auto guard = shared_.conns->template_lock(thash);
    found = shared_.conns->lookup(tkey, thash);
    if (found.conn == nullptr) {
      const sched::Dest* dest = svc.schedule(pick);
      if (dest == nullptr) {
        why = Drop::no_real_server;
        return nullptr;
      }
      conn::Connection* t = shared_.conns->create_template(
          tkey, thash, *dest, spec.persistence->timeout_s * 1000, now_ms_, why);
      if (t == nullptr) return nullptr;
      stats_.event(Event::templates_created);
      if (hold) {
        control = shared_.conns->index_of(*t) + 1;
      } else {
        t->release_template();  // a one-packet datagram leaves no connection to count
      }
      return dest;
    }
  }

  conn::Connection& t = *found.conn;
  if (!t.acquire_template(now_ms_, hold)) {
    why = Drop::conn_expiring;  // the sweeper is removing it; the client's retry gets a new one
    return nullptr;
  }
  const uint32_t slot = t.dest_slot.load(std::memory_order_acquire);
  const sched::Dest* dest = svc.dest_by_slot(slot);
  if (dest == nullptr) {
    // Its real server left the service: the template is no longer valid
    // (ip_vs_check_template); schedule again and repoint it.
    dest = svc.schedule(pick);
    if (dest == nullptr) {
      if (hold) t.release_template();
      why = Drop::no_real_server;
      return nullptr;
    }
    t.rebind_template(slot, &shared_.dest_counters[slot], *dest);
  }
  if (hold) control = shared_.conns->index_of(t) + 1;
  return dest;
}

}  // namespace lb::dataplane
