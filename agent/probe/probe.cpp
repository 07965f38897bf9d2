#include "probe/probe.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include <bpf/libbpf.h>
#include <fmt/core.h>

#include "badip.skel.h"
#include "badip/event.h"
#include "probe/decode.h"

namespace badip {

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";
constexpr const char* kTracefs = "/sys/kernel/tracing";
constexpr const char* kDebugfsTracing = "/sys/kernel/debug/tracing";

// libbpf prints through one global hook; it is routed here while a Probe is
// being opened, so attach attempts can surface its warnings when asked.
const std::function<void(std::string_view)>* g_libbpf_log = nullptr;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || g_libbpf_log == nullptr) return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), format, args);
  std::string_view line(buf, n < 0 ? 0 : std::min<std::size_t>(n, sizeof(buf) - 1));
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  (*g_libbpf_log)(fmt::format("libbpf: {}", line));
  return 0;
}

// Which mode a program of the object belongs to, by its name prefix.
std::optional<AttachMode> mode_of_program(std::string_view name) {
  if (name.starts_with("fentry_") || name.starts_with("fexit_")) return AttachMode::Fentry;
  if (name.starts_with("kprobe_")) return AttachMode::Kprobe;
  if (name.starts_with("tracepoint_")) return AttachMode::Tracepoint;
  return std::nullopt;
}

bool has_effective_cap(int cap) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

bool tracefs_mounted() {
  return access((std::string(kTracefs) + "/events").c_str(), F_OK) == 0 ||
         access((std::string(kDebugfsTracing) + "/events").c_str(), F_OK) == 0;
}

std::size_t round_ring_size(std::size_t bytes) {
  std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::size_t n = page;
  while (n < bytes) n <<= 1;
  return n;
}

}  // namespace

Status check_prerequisites(bool need_tracefs) {
  if (geteuid() != 0 && !(has_effective_cap(CAP_BPF) && has_effective_cap(CAP_PERFMON)) &&
      !has_effective_cap(CAP_SYS_ADMIN)) {
    return Error{EPERM, "badip needs root, or CAP_BPF and CAP_PERFMON, to load its BPF programs"};
  }
  if (access(kBtfPath, R_OK) != 0) {
    return Error{errno, fmt::format("kernel BTF is missing ({} not readable; the kernel needs "
                                    "CONFIG_DEBUG_INFO_BTF=y for badip's CO-RE programs)",
                                    kBtfPath)};
  }
  if (!tracefs_mounted()) {
    // Tracepoint attachment looks event ids up in tracefs, which some
    // distributions (and this lab) do not mount at boot.
    if (mount("nodev", kTracefs, "tracefs", 0, nullptr) != 0 && need_tracefs) {
      return Error{errno, fmt::format("tracefs is not mounted and mounting it on {} failed "
                                      "(run `mount -t tracefs nodev {}` as root)",
                                      kTracefs, kTracefs)};
    }
  }
  return {};
}

void Probe::SkelDeleter::operator()(badip_bpf* s) const { badip_bpf__destroy(s); }
void Probe::RingDeleter::operator()(ring_buffer* r) const { ring_buffer__free(r); }

namespace {

using Skel = std::unique_ptr<badip_bpf, void (*)(badip_bpf*)>;

// One attempt: a fresh skeleton with only `mode`'s programs, loaded and
// attached. A failure destroys the skeleton, so nothing of a refused mode
// stays behind to disturb the next attempt.
Result<Skel> try_mode(AttachMode mode, const ProbeOptions& opts) {
  Skel skel(badip_bpf__open(), badip_bpf__destroy);
  if (!skel) return Error::from_errno("open BPF object");
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    auto m = mode_of_program(bpf_program__name(prog));
    bpf_program__set_autoload(prog, m && *m == mode);
  }
  skel->rodata->attach_mode = static_cast<__u32>(mode);
  skel->rodata->include_loopback = opts.include_loopback ? 1 : 0;
  int rc = bpf_map__set_max_entries(skel->maps.events,
                                    static_cast<__u32>(round_ring_size(opts.ringbuf_bytes)));
  if (rc != 0) return Error::from_libbpf(rc, "size ring buffer");
  rc = badip_bpf__load(skel.get());
  if (rc != 0) return Error::from_libbpf(rc, "load programs");
  // Attach one by one to name the hook that fails.
  bpf_object__for_each_program(prog, skel->obj) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      return Error::from_libbpf(-errno, fmt::format("attach {} ({})", bpf_program__section_name(prog),
                                                    bpf_program__name(prog)));
    }
    // The skeleton owns the links it stores; keep ours in its table.
    for (int i = 0; i < skel->skeleton->prog_cnt; ++i) {
      if (*skel->skeleton->progs[i].prog == prog) *skel->skeleton->progs[i].link = link;
    }
  }
  return skel;
}

}  // namespace

Result<std::unique_ptr<Probe>> Probe::open(const ProbeOptions& options) {
  std::function<void(std::string_view)> log = options.log;
  if (!log) log = [](std::string_view line) { fmt::print(stderr, "badip: {}\n", line); };

  bool forced_tracepoint = options.mode == AttachMode::Tracepoint;
  Status pre = check_prerequisites(forced_tracepoint);
  if (!pre) return pre.error();

  g_libbpf_log = options.libbpf_debug ? &log : nullptr;
  libbpf_set_print(libbpf_print);

  std::vector<AttachMode> order;
  if (options.mode)
    order = {*options.mode};
  else
    order = {AttachMode::Fentry, AttachMode::Kprobe, AttachMode::Tracepoint};

  std::unique_ptr<Probe> probe(new Probe());
  std::string failures;
  for (AttachMode mode : order) {
    if (mode == AttachMode::Tracepoint && !tracefs_mounted()) {
      std::string line = fmt::format("{}: tracefs is not mounted (mount -t tracefs nodev {})",
                                     to_string(mode), kTracefs);
      probe->attempts_.push_back(line);
      log(line);
      failures += (failures.empty() ? "" : "; ") + line;
      continue;
    }
    auto skel = try_mode(mode, options);
    if (!skel) {
      std::string line = fmt::format("{}: {}", to_string(mode), skel.error().message());
      probe->attempts_.push_back(line);
      log(fmt::format("{} mode unavailable: {}", to_string(mode), skel.error().message()));
      failures += (failures.empty() ? "" : "; ") + line;
      continue;
    }
    probe->skel_.reset(skel->release());
    probe->mode_ = mode;
    probe->attempts_.push_back(fmt::format("{}: attached", to_string(mode)));
    break;
  }
  g_libbpf_log = nullptr;
  if (!probe->skel_) {
    return Error{0, fmt::format("no attach mode works on this kernel ({})", failures)};
  }
  probe->ring_.reset(
      ring_buffer__new(bpf_map__fd(probe->skel_->maps.events), &Probe::on_record, probe.get(), nullptr));
  if (!probe->ring_) return Error::from_errno("create ring buffer consumer");
  probe->mono_to_wall_ns_ = mono_to_wall_offset_ns();
  log(fmt::format("attached in {} mode{}", to_string(probe->mode_),
                  options.include_loopback ? " (loopback included)" : ""));
  return probe;
}

Probe::~Probe() {
  ring_.reset();  // before the map it reads
  skel_.reset();
}

int Probe::on_record(void* ctx, void* data, std::size_t size) {
  auto* self = static_cast<Probe*>(ctx);
  auto ev = decode_event({static_cast<const std::byte*>(data), size}, self->mono_to_wall_ns_);
  if (!ev) {
    ++self->decode_errors_;
    return 0;
  }
  ++self->delivered_;
  (*self->on_event_)(*ev);
  return 0;
}

Result<int> Probe::poll(int timeout_ms, const std::function<void(const ConnEvent&)>& on_event) {
  on_event_ = &on_event;
  delivered_ = 0;
  // Refresh the clock offset so wall times follow NTP steps.
  mono_to_wall_ns_ = mono_to_wall_offset_ns();
  int rc = ring_buffer__poll(ring_.get(), timeout_ms);
  on_event_ = nullptr;
  if (rc < 0 && rc != -EINTR) return Error::from_libbpf(rc, "poll ring buffer");
  return delivered_;
}

int Probe::fd() const { return ring_buffer__epoll_fd(ring_.get()); }

std::uint64_t Probe::dropped() const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpu));
  std::uint32_t key = 0;
  if (bpf_map__lookup_elem(skel_->maps.drops, &key, sizeof(key), per_cpu.data(),
                           per_cpu.size() * sizeof(std::uint64_t), 0) != 0)
    return 0;
  std::uint64_t sum = 0;
  for (auto v : per_cpu) sum += v;
  return sum;
}

}  // namespace badip
