#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <prometheus/registry.h>
#include <algorithm>
#include <sstream>

#include "export/metrics.h"

using namespace badip;
using namespace badip::exporter;

namespace {

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(prefix, 0) == 0) out.push_back(l);
  }
  std::sort(out.begin(), out.end());  // series order is the registry's hash order
  return out;
}

// A loopback socket bound to a free port, kept open to make that port busy.
struct BusyPort {
  int fd = -1;
  int port = 0;
  BusyPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~BusyPort() { ::close(fd); }
};

std::string http_get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    (void)!::write(fd, req.data(), req.size());
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, std::size_t(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("exposition: names, labels and values") {
  Metrics m("0.1.0");
  m.connections_observed(Direction::In, 5);
  m.connections_observed(Direction::Out);
  m.events_processed(12);
  m.bad_ip_connection(Direction::In, "lab", "sshd", 22);
  m.bad_ip_connection(Direction::In, "lab", "sshd", 22);
  m.bad_ip_connection(Direction::In, "lab", "nginx", 8080);
  m.set_ringbuf_drops_total(3);
  m.set_ringbuf_drops_total(7);
  m.set_ringbuf_drops_total(7);
  m.observe_lookup_seconds(2e-7);
  m.observe_processing_seconds(3e-6);
  m.set_feed_entries("firehol_level1", 4500);
  m.feed_reload(true, 1796256000);
  m.feed_reload(false, 0);
  m.set_attach_mode(AttachMode::Tracepoint);
  m.ssh_auth_from_bad_ip(LoginResult::Failure);
  m.ssh_auth_from_bad_ip(LoginResult::Failure);
  m.ssh_auth_from_bad_ip(LoginResult::Success);
  m.ssh_unparsed_lines(4);
  m.alert_emitted("window");
  std::string text = m.serialize();

  CHECK(lines_starting(text, "badip_connections_observed_total{") ==
        std::vector<std::string>{"badip_connections_observed_total{direction=\"in\"} 5",
                                 "badip_connections_observed_total{direction=\"out\"} 1"});
  auto bad = lines_starting(text, "badip_bad_ip_connections_total{");
  CHECK(bad == std::vector<std::string>{
                   "badip_bad_ip_connections_total{direction=\"in\",feed=\"lab\",port=\"22\",process=\"sshd\"} 2",
                   "badip_bad_ip_connections_total{direction=\"in\",feed=\"lab\",port=\"8080\",process=\"nginx\"} 1"});
  CHECK(lines_starting(text, "badip_events_processed_total ") == std::vector<std::string>{"badip_events_processed_total 12"});
  CHECK(lines_starting(text, "badip_ringbuf_drops_total ") == std::vector<std::string>{"badip_ringbuf_drops_total 7"});
  CHECK(lines_starting(text, "badip_lookup_duration_seconds_count") ==
        std::vector<std::string>{"badip_lookup_duration_seconds_count 1"});
  CHECK(lines_starting(text, "badip_lookup_duration_seconds_bucket{le=\"2.5e-07\"}") ==
        std::vector<std::string>{"badip_lookup_duration_seconds_bucket{le=\"2.5e-07\"} 1"});
  CHECK(lines_starting(text, "badip_event_processing_duration_seconds_count") ==
        std::vector<std::string>{"badip_event_processing_duration_seconds_count 1"});
  CHECK(lines_starting(text, "badip_feed_entries{") ==
        std::vector<std::string>{"badip_feed_entries{feed=\"firehol_level1\"} 4500"});
  CHECK(lines_starting(text, "badip_feed_reloads_total{") ==
        std::vector<std::string>{"badip_feed_reloads_total{result=\"failure\"} 1",
                                 "badip_feed_reloads_total{result=\"success\"} 1"});
  CHECK(lines_starting(text, "badip_feed_last_successful_reload_timestamp_seconds ") ==
        std::vector<std::string>{"badip_feed_last_successful_reload_timestamp_seconds 1796256000"});
  CHECK(lines_starting(text, "badip_attach_mode_info{") ==
        std::vector<std::string>{"badip_attach_mode_info{mode=\"fentry\"} 0", "badip_attach_mode_info{mode=\"kprobe\"} 0",
                                 "badip_attach_mode_info{mode=\"tracepoint\"} 1"});
  CHECK(lines_starting(text, "badip_build_info{") == std::vector<std::string>{"badip_build_info{version=\"0.1.0\"} 1"});
  CHECK(lines_starting(text, "badip_ssh_auth_bad_ip_total{result=\"failure\"}") ==
        std::vector<std::string>{"badip_ssh_auth_bad_ip_total{result=\"failure\"} 2"});
  CHECK(lines_starting(text, "badip_ssh_auth_bad_ip_total{result=\"success\"}") ==
        std::vector<std::string>{"badip_ssh_auth_bad_ip_total{result=\"success\"} 1"});
  CHECK(lines_starting(text, "badip_ssh_unparsed_lines_total ") ==
        std::vector<std::string>{"badip_ssh_unparsed_lines_total 4"});
  CHECK(lines_starting(text, "badip_alerts_total{kind=\"window\"}") ==
        std::vector<std::string>{"badip_alerts_total{kind=\"window\"} 1"});
}

TEST_CASE("exposition follows the naming conventions and never labels an IP") {
  Metrics m("0.1.0");
  m.bad_ip_connection(Direction::Out, "lab", "curl", 443);
  m.set_feed_entries("lab", 1);
  m.set_attach_mode(AttachMode::Fentry);
  std::string text = m.serialize();
  std::istringstream in(text);
  int families = 0;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("# TYPE ", 0) == 0) {
      ++families;
      std::istringstream f(l.substr(7));
      std::string name, type;
      f >> name >> type;
      INFO(name);
      CHECK(name.rfind("badip_", 0) == 0);
      if (type == "counter") CHECK(name.size() > 6);
      if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
      if (type != "counter") CHECK(name.find("_total") == std::string::npos);
      CHECK(name.find("milliseconds") == std::string::npos);
      continue;
    }
    if (l.empty() || l[0] == '#') continue;
    // every label value: text between =" and the next "
    for (auto pos = l.find("=\""); pos != std::string::npos; pos = l.find("=\"", pos)) {
      auto end = l.find('"', pos + 2);
      REQUIRE(end != std::string::npos);
      std::string v = l.substr(pos + 2, end - pos - 2);
      INFO(l);
      CHECK_FALSE(IpAddress::parse(v).has_value());
      pos = end;
    }
  }
  CHECK(families == 14);
}

TEST_CASE("bad-IP series are capped") {
  Metrics m("0.1.0");
  for (int i = 0; i < int(Metrics::kMaxBadIpSeries) + 50; ++i) {
    m.bad_ip_connection(Direction::In, "lab", "p" + std::to_string(i), 1000);
  }
  auto text = m.serialize();
  auto n = lines_starting(text, "badip_bad_ip_connections_total{").size();
  CHECK(n == Metrics::kMaxBadIpSeries + 1);
  CHECK(text.find("badip_bad_ip_connections_total{direction=\"in\",feed=\"lab\",port=\"other\",process=\"other\"} 50") !=
        std::string::npos);
}

TEST_CASE("the metrics endpoint serves the registry over loopback") {
  Metrics m("0.1.0");
  m.events_processed(3);
  auto server = MetricsServer::start("127.0.0.1:0", m.registry());
  REQUIRE(server);
  int port = (*server)->port();
  REQUIRE(port > 0);
  auto body = http_get(port, "/metrics");
  CHECK(body.find("200 OK") != std::string::npos);
  CHECK(body.find("\nbadip_events_processed_total 3\n") != std::string::npos);
}

TEST_CASE("a port in use is a clear error, not a crash") {
  BusyPort busy;
  Metrics m("0.1.0");
  std::string addr = "127.0.0.1:" + std::to_string(busy.port);
  auto server = MetricsServer::start(addr, m.registry());
  REQUIRE_FALSE(server);
  CHECK(server.error().message().rfind("metrics address " + addr + ": cannot listen (", 0) == 0);
  CHECK(server.error().message().find("is the port in use?") != std::string::npos);
  auto bad = MetricsServer::start("nonsense", m.registry());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "metrics address \"nonsense\": expected HOST:PORT or :PORT");
}
