#include "export/sinks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/core.h>

#include "export/metrics.h"
#include "summary/render.h"

namespace badip::exporter {

Result<std::shared_ptr<FileSink>> FileSink::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Error::from_errno("alert file " + path);
  return std::shared_ptr<FileSink>(new FileSink(fd, path));
}

FileSink::~FileSink() { ::close(fd_); }

Status FileSink::emit(const summary::WindowSummary&, const nlohmann::json& doc) {
  // One write per document: with O_APPEND, concurrent writers and tailers see whole lines.
  std::string line = doc.dump() + "\n";
  std::lock_guard lock(mu_);
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write alert file " + path_);
    }
    off += std::size_t(n);
  }
  if (::fdatasync(fd_) != 0 && errno != EINVAL) return Error::from_errno("sync alert file " + path_);
  return {};
}

Status StdoutSink::emit(const summary::WindowSummary&, const nlohmann::json& doc) {
  std::string line = doc.dump() + "\n";
  std::lock_guard lock(mu_);
  if (std::fwrite(line.data(), 1, line.size(), out_) != line.size() || std::fflush(out_) != 0) {
    return Error::from_errno("write alert to stdout");
  }
  return {};
}

Status LogSink::emit(const summary::WindowSummary& alert, const nlohmann::json&) {
  std::string text = summary::render_text(alert);
  if (writer_) {
    writer_(text);
  } else {
    fmt::print(stderr, "{}", text);
    std::fflush(stderr);
  }
  return {};
}

Status MetricsSink::emit(const summary::WindowSummary& alert, const nlohmann::json&) {
  metrics_.alert_emitted(alert.kind);
  return {};
}

}  // namespace badip::exporter
