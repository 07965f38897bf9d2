#pragma once
// The probe: loads badip's BPF programs in the best attach mode the kernel
// allows, and turns ring-buffer records into ConnEvents.
//
//   ProbeOptions opts;                 // auto mode, loopback skipped
//   auto probe = Probe::open(opts);    // Error says exactly what is missing
//   if (!probe) { ...probe.error().message()... }
//   (*probe)->mode();                  // AttachMode it runs in
//   while (running) (*probe)->poll(100, [](const ConnEvent& e) { ... });
//   (*probe)->dropped();               // ring-buffer reservation failures
//
// Not thread-safe: one thread polls. The callback must not call poll().
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "badip/result.h"
#include "probe/conn_event.h"

struct badip_bpf;
struct ring_buffer;

namespace badip {

struct ProbeOptions {
  std::optional<AttachMode> mode;       // nullopt: auto (fentry, kprobe, tracepoint)
  bool include_loopback = false;        // the kernel drops loopback peers by default
  std::size_t ringbuf_bytes = 4u << 20;  // rounded up to a power of two
  // Receives one line per attach attempt and the chosen mode; default stderr.
  std::function<void(std::string_view)> log;
  bool libbpf_debug = false;  // pass libbpf's own warnings to log
};

// Root (or CAP_BPF + CAP_PERFMON), kernel BTF, and tracefs (mounted here when
// missing). Probe::open() runs it; exposed for `badip run --check`-style use.
Status check_prerequisites(bool need_tracefs);

class Probe {
 public:
  static Result<std::unique_ptr<Probe>> open(const ProbeOptions& options);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  AttachMode mode() const { return mode_; }
  // Waits up to timeout_ms (-1: forever) and delivers the records that are
  // ready. Returns how many were delivered; 0 on timeout or EINTR.
  Result<int> poll(int timeout_ms, const std::function<void(const ConnEvent&)>& on_event);
  // The ring buffer's epoll fd, readable when records wait (for event loops).
  int fd() const;
  // Records the kernel could not reserve space for (sum over CPUs).
  std::uint64_t dropped() const;
  // Records that failed to decode (version skew, corruption).
  std::uint64_t decode_errors() const { return decode_errors_; }
  // What each attach attempt did, in order ("fentry: load: ...").
  const std::vector<std::string>& attempts() const { return attempts_; }

 private:
  Probe() = default;
  static int on_record(void* ctx, void* data, std::size_t size);

  struct SkelDeleter {
    void operator()(badip_bpf* s) const;
  };
  struct RingDeleter {
    void operator()(ring_buffer* r) const;
  };
  std::unique_ptr<badip_bpf, SkelDeleter> skel_;
  std::unique_ptr<ring_buffer, RingDeleter> ring_;
  AttachMode mode_ = AttachMode::Tracepoint;
  std::int64_t mono_to_wall_ns_ = 0;
  const std::function<void(const ConnEvent&)>* on_event_ = nullptr;
  int delivered_ = 0;
  std::uint64_t decode_errors_ = 0;
  std::vector<std::string> attempts_;
  friend struct ProbeAccess;
};

}  // namespace badip
