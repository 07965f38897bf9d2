#pragma once
// Alert sinks (summary::AlertSink): where window and immediate alerts go.
//
//   std::make_shared<exporter::FileSink>(path)  -- --alert-file: one JSON document per line,
//                                                  appended, written with one write(2) and fdatasync'd
//   std::make_shared<exporter::StdoutSink>()    -- --alert-stdout: the same line on stdout, flushed
//   std::make_shared<exporter::LogSink>(fn)     -- the human text rendering, to the agent's log
//
// FileSink::open() returns an Error for an unwritable path (checked at start).
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "summary/summary.h"

namespace badip::exporter {

class FileSink final : public summary::AlertSink {
 public:
  static Result<std::shared_ptr<FileSink>> open(const std::string& path);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  Status emit(const summary::WindowSummary& alert, const nlohmann::json& doc) override;

 private:
  FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
  std::mutex mu_;
};

class StdoutSink final : public summary::AlertSink {
 public:
  explicit StdoutSink(std::FILE* out = stdout) : out_(out) {}
  Status emit(const summary::WindowSummary& alert, const nlohmann::json& doc) override;

 private:
  std::FILE* out_;
  std::mutex mu_;
};

class LogSink final : public summary::AlertSink {
 public:
  // writer receives the whole text rendering (several lines); default: stderr
  explicit LogSink(std::function<void(const std::string&)> writer = {}) : writer_(std::move(writer)) {}
  Status emit(const summary::WindowSummary& alert, const nlohmann::json& doc) override;

 private:
  std::function<void(const std::string&)> writer_;
};

// Counts alerts by kind in the metrics; put it beside the other sinks.
class Metrics;
class MetricsSink final : public summary::AlertSink {
 public:
  explicit MetricsSink(Metrics& m) : metrics_(m) {}
  Status emit(const summary::WindowSummary& alert, const nlohmann::json& doc) override;

 private:
  Metrics& metrics_;
};

}  // namespace badip::exporter
