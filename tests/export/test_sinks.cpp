#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "export/metrics.h"
#include "export/sinks.h"

using namespace badip;
using namespace badip::exporter;

namespace {

summary::WindowSummary sample(const char* kind) {
  summary::WindowSummary w;
  w.kind = kind;
  w.id = std::string("n/") + kind;
  w.window_start_ns = 1'796'256'000LL * 1'000'000'000;
  w.window_end_ns = w.window_start_ns + 86400LL * 1'000'000'000;
  w.host = "web-1";
  return w;
}

}  // namespace

TEST_CASE("file sink appends one JSON document per line") {
  auto path = std::filesystem::temp_directory_path() / ("badip-alerts-" + std::to_string(getpid()) + ".jsonl");
  std::filesystem::remove(path);
  {
    auto sink = FileSink::open(path.string());
    REQUIRE(sink);
    auto a = sample("window");
    REQUIRE((*sink)->emit(a, summary::to_json(a)));
  }
  {
    auto sink = FileSink::open(path.string());  // reopen: appends
    REQUIRE(sink);
    auto b = sample("immediate");
    REQUIRE((*sink)->emit(b, summary::to_json(b)));
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 2);
  CHECK(nlohmann::json::parse(lines[0])["id"] == "n/window");
  CHECK(nlohmann::json::parse(lines[1])["kind"] == "immediate");
  std::filesystem::remove(path);
}

TEST_CASE("file sink: an unwritable path is an error at open") {
  auto sink = FileSink::open("/nonexistent-dir/alerts.jsonl");
  REQUIRE_FALSE(sink);
  CHECK(sink.error().message() == "alert file /nonexistent-dir/alerts.jsonl: No such file or directory");
}

TEST_CASE("stdout, log and metrics sinks") {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* mem = open_memstream(&buf, &len);
  StdoutSink out(mem);
  auto a = sample("window");
  REQUIRE(out.emit(a, summary::to_json(a)));
  std::fclose(mem);
  std::string s(buf, len);
  free(buf);
  CHECK(s == summary::to_json(a).dump() + "\n");

  std::string logged;
  LogSink log([&](const std::string& t) { logged += t; });
  REQUIRE(log.emit(a, summary::to_json(a)));
  CHECK(logged.rfind("badip alert: 2026-12-03T00:00:00Z to 2026-12-04T00:00:00Z (UTC)\nhost web-1\n", 0) == 0);

  Metrics m("0.1.0");
  MetricsSink ms(m);
  REQUIRE(ms.emit(a, {}));
  CHECK(m.serialize().find("badip_alerts_total{kind=\"window\"} 1\n") != std::string::npos);
}
