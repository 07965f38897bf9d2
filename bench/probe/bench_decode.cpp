// decode_event throughput: the agent's budget is >= 5 M events/s on one core.
#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "badip/event.h"
#include "probe/decode.h"

namespace {

std::vector<badip_conn_event> records(std::size_t n) {
  std::vector<badip_conn_event> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = v[i];
    r.hdr = {1'000'000'000ULL + i, BADIP_EV_CLOSE, BADIP_EVENT_VERSION, sizeof(r),
             BADIP_MODE_TRACEPOINT};
    r.sock_id = 0xffff888000000000ULL + i * 64;
    r.bytes_received = i * 3;
    r.bytes_acked = i;
    r.duration_ns = 1000 + i;
    r.laddr[10] = r.laddr[11] = r.raddr[10] = r.raddr[11] = 0xff;
    r.laddr[12] = 192, r.laddr[15] = 1;
    r.raddr[12] = 203, r.raddr[14] = 113, r.raddr[15] = static_cast<std::uint8_t>(i);
    r.pid = r.tgid = 1000 + static_cast<std::uint32_t>(i % 50);
    r.lport = 443;
    r.rport = htons(static_cast<std::uint16_t>(40000 + i % 20000));
    r.direction = BADIP_DIR_IN;
    r.flags = BADIP_F_RPORT_NET;
    std::memcpy(r.comm, "nginx", 6);
  }
  return v;
}

void BM_DecodeEvent(benchmark::State& state) {
  auto v = records(4096);
  std::size_t i = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    const auto& r = v[i++ & 4095];
    auto e = badip::decode_event({reinterpret_cast<const std::byte*>(&r), sizeof(r)}, 42);
    sum += e->remote_port;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeEvent);

void BM_FormatJson(benchmark::State& state) {
  auto v = records(1);
  auto e = *badip::decode_event({reinterpret_cast<const std::byte*>(&v[0]), sizeof(v[0])}, 42);
  for (auto _ : state) {
    auto s = badip::format_json(e);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatJson);

}  // namespace

BENCHMARK_MAIN();
