-- Pktgen-DPDK script for lbd: established-flow forwarding (range mode).
--
--   pktgen -l 0-4 -n 4 -- -P -m "[1:2].0,[3:4].1" -f bench/hardware/pktgen/lbd.lua
--
-- Port 0 sends UDP from client addresses x client ports to the VIP through
-- lbd's client-side port; port 1 receives what lbd forwards to the real
-- servers (its MAC is the real servers' static neighbour in lbd's
-- configuration, see ../README.md). Edit the values below: lbd's MAC on the
-- client side, the flows (clients x ports), the frame size and the rate (%
-- of line rate). Pktgen counts packets; correctness is lbd-gen's job on the
-- memif harness, or check a capture on port 1.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local lbd_mac   = "02:00:00:00:01:01"   -- lbd's client-side port (`mac:` in its config)
local vip       = "198.18.1.100"
local vport     = 80
local clients   = 256                   -- addresses 198.18.0.1 ..
local ports     = 3907                  -- x ports 1024 .. : 256 x 3907 = 1 000 192 flows
local size      = 64                    -- frame size without FCS as Pktgen counts (60..1514)
local rate      = 100                   -- % of line rate

pktgen.set_range("0", "on")
pktgen.range.dst_mac("0", "start", lbd_mac)
pktgen.range.dst_ip("0", "start", vip)
pktgen.range.dst_ip("0", "inc", "0.0.0.0")
pktgen.range.dst_ip("0", "min", vip)
pktgen.range.dst_ip("0", "max", vip)
pktgen.range.src_ip("0", "start", "198.18.0.1")
pktgen.range.src_ip("0", "inc", "0.0.0.1")
pktgen.range.src_ip("0", "min", "198.18.0.1")
pktgen.range.src_ip("0", "max", string.format("198.18.%d.%d", clients // 256, clients % 256))
pktgen.range.src_port("0", "start", 1024)
pktgen.range.src_port("0", "inc", 1)
pktgen.range.src_port("0", "min", 1024)
pktgen.range.src_port("0", "max", 1024 + ports - 1)
pktgen.range.dst_port("0", "start", vport)
pktgen.range.dst_port("0", "inc", 0)
pktgen.range.dst_port("0", "min", vport)
pktgen.range.dst_port("0", "max", vport)
pktgen.range.ip_proto("0", "udp")
pktgen.range.pkt_size("0", "start", size)
pktgen.range.pkt_size("0", "inc", 0)
pktgen.range.pkt_size("0", "min", size)
pktgen.range.pkt_size("0", "max", size)
pktgen.set("0", "rate", rate)

-- Warm up: every flow once at a low rate, so lbd has their connections.
pktgen.set("0", "rate", 1)
pktgen.start("0")
pktgen.delay(math.ceil(clients * ports / 100000) * 1000 + 2000)
pktgen.stop("0")
pktgen.clr()

pktgen.set("0", "rate", rate)
pktgen.start("0")
pktgen.delay(10000)
pktgen.stop("0")
-- Pktgen's main screen (or `page stats`) shows port 0's transmit rate and
-- port 1's receive rate: what lbd forwarded. lbd's side: `lbctl stats`.
