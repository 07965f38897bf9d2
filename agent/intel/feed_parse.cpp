#include "intel/feed_parse.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace badip::intel {
namespace {

using Json = nlohmann::json;

struct FormatName {
  Format f;
  std::string_view name;
};
constexpr FormatName kFormats[] = {
    {Format::kAuto, "auto"},        {Format::kPlain, "plain"},
    {Format::kFirehol, "firehol"},  {Format::kSpamhausDrop, "spamhaus-drop"},
    {Format::kSpamhausJson, "spamhaus-json"}, {Format::kCsv, "csv"},
    {Format::kZeek, "zeek"},        {Format::kIprep, "iprep"},
    {Format::kStix, "stix"},        {Format::kMisp, "misp"},
    {Format::kAlienVault, "alienvault"}, {Format::kDshield, "dshield"},
    {Format::kOtx, "otx"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// Lines split on LF, CRLF or a bare CR; a leading UTF-8 BOM is dropped.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || text[i] == '\r') {
      lines.push_back(text.substr(start, i - start));
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

// CSV fields: commas, optional double quotes with "" escapes.
std::vector<std::string> split_csv(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.emplace_back(trim(cur));
  return out;
}

bool is_comment(std::string_view t) { return !t.empty() && (t[0] == '#' || t[0] == ';'); }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool looks_like_prefix(std::string_view s) {
  s = trim(s);
  auto r = parse_prefix(s, PrefixRules{true});
  return r.error.empty();
}

// Collects entries, dedupes, and formats messages.
class Sink {
 public:
  Sink(const std::string& name, const ParseOptions& o, ParsedFeed& f) : name_(name), opts_(o), feed_(f) {}

  void reject(std::uint32_t line, const std::string& why) {
    feed_.rejected.push_back(line ? name_ + ":" + std::to_string(line) + ": " + why : name_ + ": " + why);
  }
  void warn(std::uint32_t line, const std::string& why) {
    feed_.warnings.push_back(line ? name_ + ":" + std::to_string(line) + ": " + why : name_ + ": " + why);
  }
  // Parses `token` as prefix/range and records it with `meta`.
  bool add(std::uint32_t line, std::string_view token, const Meta& meta) {
    auto r = parse_prefix(token, PrefixRules{opts_.allow_zero_prefix});
    if (!r.error.empty()) {
      reject(line, r.error + " '" + std::string(trim(token)) + "'");
      return false;
    }
    if (!r.warning.empty()) warn(line, r.warning);
    for (const auto& p : r.prefixes) add_prefix(line, p, meta);
    return true;
  }
  void add_prefix(std::uint32_t line, const Prefix& p, const Meta& meta) {
    auto [it, fresh] = seen_.try_emplace(p, line);
    if (!fresh) {
      ++feed_.duplicates;
      return;
    }
    feed_.entries.push_back(ParsedEntry{p, meta, line});
  }

 private:
  struct PrefixHash {
    std::size_t operator()(const Prefix& p) const {
      std::size_t h = p.len;
      for (auto b : p.addr.bytes()) h = h * 131 + b;
      return h;
    }
  };
  const std::string& name_;
  const ParseOptions& opts_;
  ParsedFeed& feed_;
  std::unordered_map<Prefix, std::uint32_t, PrefixHash> seen_;
};

// Drops an inline comment: '#' or ';' (the rest of the line).
std::string_view strip_inline_comment(std::string_view s) {
  auto p = s.find_first_of("#;");
  return p == std::string_view::npos ? s : s.substr(0, p);
}

void parse_plain(const std::vector<std::string_view>& lines, Sink& sink) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || is_comment(t)) continue;
    t = trim(strip_inline_comment(t));
    if (t.empty()) continue;
    // Ranges may be written "a - b"; anything else with spaces is not one token.
    std::string token(t);
    if (token.find(' ') != std::string::npos || token.find('\t') != std::string::npos) {
      std::string squeezed;
      for (char c : token)
        if (c != ' ' && c != '\t') squeezed += c;
      if (squeezed.find('-') == std::string::npos) {
        sink.reject(std::uint32_t(i + 1), "unexpected text after address '" + token + "'");
        continue;
      }
      token = squeezed;
    }
    sink.add(std::uint32_t(i + 1), token, {});
  }
}

void parse_spamhaus_drop(const std::vector<std::string_view>& lines, Sink& sink) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || is_comment(t)) continue;
    auto semi = t.find(';');
    auto cidr = trim(t.substr(0, semi));
    Meta meta;
    if (semi != std::string_view::npos) {
      auto id = trim(t.substr(semi + 1));
      if (!id.empty()) meta.emplace_back("sbl", std::string(id));
    }
    sink.add(std::uint32_t(i + 1), cidr, meta);
  }
}

void parse_spamhaus_json(const std::vector<std::string_view>& lines, Sink& sink, ParsedFeed& feed) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty()) continue;
    auto j = Json::parse(t, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      sink.reject(std::uint32_t(i + 1), "not a JSON object");
      continue;
    }
    if (j.value("type", "") == "metadata") continue;
    auto c = j.find("cidr");
    if (c == j.end() || !c->is_string()) {
      sink.reject(std::uint32_t(i + 1), "no \"cidr\" field");
      continue;
    }
    Meta meta;
    for (const char* k : {"sblid", "rir"})
      if (auto v = j.find(k); v != j.end() && v->is_string()) meta.emplace_back(k == std::string("sblid") ? "sbl" : k, v->get<std::string>());
    sink.add(std::uint32_t(i + 1), c->get<std::string>(), meta);
  }
  (void)feed;
}

bool is_ip_column(const std::string& name, const std::string& wanted) {
  auto n = lower(name);
  if (!wanted.empty()) return n == lower(wanted);
  static const char* kNames[] = {"ip", "dst_ip", "dstip", "src_ip", "srcip", "ip_address", "ipaddress",
                                 "ip-address", "address", "ipv4", "ipv6", "indicator", "ioc_value", "value", "host"};
  for (auto* k : kNames)
    if (n == k) return true;
  return false;
}

void parse_csv(const std::vector<std::string_view>& lines, Sink& sink, const ParseOptions& opts, ParsedFeed& feed,
               const std::string& name) {
  std::vector<std::string> header;
  int ip_col = -1;
  bool data_started = false;
  std::size_t width_warned = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty()) continue;
    bool comment = is_comment(t);
    if (!data_started && t.find(',') != std::string_view::npos) {
      // A header may be commented ("# DstIP,DstPort", "; ip, asn") or not.
      auto body = t;
      while (!body.empty() && (body[0] == '#' || body[0] == ';')) body.remove_prefix(1);
      auto fields = split_csv(body);
      int col = -1;
      for (std::size_t c = 0; c < fields.size(); ++c)
        if (is_ip_column(fields[c], opts.csv_column)) {
          col = int(c);
          break;
        }
      if (col >= 0 && !looks_like_prefix(fields[std::size_t(col)])) {
        header = fields;
        ip_col = col;
        continue;
      }
    }
    if (comment) continue;
    if (!data_started && ip_col < 0) {
      if (!opts.csv_column.empty()) {
        feed.warnings.push_back(name + ": no header with column '" + opts.csv_column + "', using column 1");
      }
      ip_col = 0;  // no header: the first column holds the address
    }
    data_started = true;
    auto fields = split_csv(t);
    if (int(fields.size()) <= ip_col) {
      sink.reject(std::uint32_t(i + 1), "missing IP column");
      continue;
    }
    if (!header.empty() && fields.size() != header.size()) ++width_warned;
    Meta meta;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (int(c) == ip_col || fields[c].empty() || fields[c] == "-" || fields[c] == "?") continue;
      std::string key = c < header.size() ? lower(header[c]) : "col" + std::to_string(c + 1);
      meta.emplace_back(std::move(key), fields[c]);
    }
    sink.add(std::uint32_t(i + 1), fields[std::size_t(ip_col)], meta);
  }
  if (width_warned)
    feed.warnings.push_back(name + ": " + std::to_string(width_warned) + " rows have a different column count than the header");
}

void parse_zeek(const std::vector<std::string_view>& lines, Sink& sink, ParsedFeed& feed, const std::string& name) {
  std::vector<std::string_view> fields;
  int ind = -1, type = -1;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto raw = lines[i];
    auto t = trim(raw);
    if (t.empty()) continue;
    if (t.substr(0, 7) == "#fields") {
      fields = split(raw.substr(raw.find("#fields") + 7), '\t');
      fields.erase(std::remove_if(fields.begin(), fields.end(), [](auto f) { return trim(f).empty(); }), fields.end());
      for (auto& f : fields) f = trim(f);
      for (std::size_t c = 0; c < fields.size(); ++c) {
        if (fields[c] == "indicator") ind = int(c);
        if (fields[c] == "indicator_type") type = int(c);
      }
      continue;
    }
    if (t[0] == '#') continue;
    if (ind < 0 || type < 0) {
      sink.reject(std::uint32_t(i + 1), "row before a #fields header with indicator and indicator_type");
      continue;
    }
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\r')) raw.remove_suffix(1);
    auto cols = split(raw, '\t');
    if (int(cols.size()) <= std::max(ind, type)) {
      sink.reject(std::uint32_t(i + 1), "too few columns");
      continue;
    }
    auto ty = trim(cols[std::size_t(type)]);
    if (ty != "Intel::ADDR" && ty != "Intel::SUBNET") {
      ++feed.skipped;
      continue;
    }
    Meta meta;
    for (std::size_t c = 0; c < cols.size() && c < fields.size(); ++c) {
      auto f = fields[c];
      if (f == "meta.source" || f == "meta.desc" || f == "meta.url") {
        auto v = trim(cols[c]);
        if (!v.empty() && v != "-") meta.emplace_back(std::string(f.substr(5)), std::string(v));
      }
    }
    auto value = trim(cols[std::size_t(ind)]);
    if (ty == "Intel::ADDR" && value.find('/') != std::string_view::npos) {
      sink.reject(std::uint32_t(i + 1), "Intel::ADDR with a prefix length '" + std::string(value) + "'");
      continue;
    }
    sink.add(std::uint32_t(i + 1), value, meta);
  }
  (void)name;
}

std::map<std::string, std::string> read_iprep_categories(const std::string& path, ParsedFeed& feed) {
  std::map<std::string, std::string> cats;
  if (path.empty()) return cats;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    feed.warnings.push_back(path + ": cannot read iprep categories file, categories shown as numbers");
    return cats;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || t[0] == '#') continue;
    auto f = split(t, ',');
    if (f.size() < 2 || !all_digits(trim(f[0]))) {
      feed.warnings.push_back(path + ":" + std::to_string(i + 1) + ": not a category line");
      continue;
    }
    cats[std::string(trim(f[0]))] = std::string(trim(f[1]));
  }
  return cats;
}

void parse_iprep(const std::vector<std::string_view>& lines, Sink& sink, const ParseOptions& opts, ParsedFeed& feed) {
  auto cats = read_iprep_categories(opts.iprep_categories, feed);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || t[0] == '#') continue;
    auto f = split(t, ',');
    std::uint32_t ln = std::uint32_t(i + 1);
    if (f.size() != 3) {
      sink.reject(ln, "expected ip,category,score");
      continue;
    }
    auto cat = trim(f[1]), score = trim(f[2]);
    if (!all_digits(cat) || cat.size() > 3 || std::stoi(std::string(cat)) > 255) {
      sink.reject(ln, "bad category '" + std::string(cat) + "'");
      continue;
    }
    if (!all_digits(score) || score.size() > 3 || std::stoi(std::string(score)) > 127) {
      sink.reject(ln, "bad score '" + std::string(score) + "' (0..127)");
      continue;
    }
    Meta meta;
    auto c = cats.find(std::string(cat));
    meta.emplace_back("category", c != cats.end() ? c->second : std::string(cat));
    meta.emplace_back("score", std::string(score));
    sink.add(ln, f[0], meta);
  }
}

void parse_alienvault(const std::vector<std::string_view>& lines, Sink& sink) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || (t[0] == '#')) continue;
    auto f = split(t, '#');
    std::uint32_t ln = std::uint32_t(i + 1);
    if (f.size() < 4) {
      sink.reject(ln, "expected ip#risk#reliability#category#...");
      continue;
    }
    Meta meta;
    meta.emplace_back("risk", std::string(f[1]));
    meta.emplace_back("reliability", std::string(f[2]));
    meta.emplace_back("category", std::string(f[3]));
    if (f.size() > 4 && !f[4].empty()) meta.emplace_back("country", std::string(f[4]));
    sink.add(ln, f[0], meta);
  }
}

void parse_dshield(const std::vector<std::string_view>& lines, Sink& sink) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto t = trim(lines[i]);
    if (t.empty() || t[0] == '#') continue;
    auto f = split(t, '\t');
    std::uint32_t ln = std::uint32_t(i + 1);
    if (f.size() >= 1 && lower(trim(f[0])) == "start") continue;  // column header
    if (f.size() < 3) {
      sink.reject(ln, "expected start<TAB>end<TAB>netblock");
      continue;
    }
    Meta meta;
    static const char* kKeys[] = {"attacks", "name", "country", "email"};
    for (std::size_t c = 3; c < f.size() && c < 7; ++c) {
      auto v = trim(f[c]);
      if (!v.empty()) meta.emplace_back(kKeys[c - 3], std::string(v));
    }
    std::string range = std::string(trim(f[0])) + "-" + std::string(trim(f[1]));
    sink.add(ln, range, meta);
  }
}

// STIX pattern: every "<path> = '<literal>'" (or ISSUBSET) whose path is an
// ipv4-addr/ipv6-addr value, or a *_ref(s).value holding an address.
std::vector<std::string> stix_pattern_addresses(const std::string& pattern) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto q = pattern.find('\'', pos);
    if (q == std::string::npos) break;
    auto q2 = pattern.find('\'', q + 1);
    if (q2 == std::string::npos) break;
    std::string literal = pattern.substr(q + 1, q2 - q - 1);
    // The path is the text before the operator before the quote.
    auto before = pattern.substr(pos, q - pos);
    auto b = std::string_view(before);
    b = trim(b);
    bool op = false;
    if (b.size() >= 1 && b.back() == '=') {
      b.remove_suffix(1);
      op = !(b.size() && (b.back() == '!' || b.back() == '<' || b.back() == '>'));
    } else if (b.size() >= 8 && lower(b.substr(b.size() - 8)) == "issubset") {
      b.remove_suffix(8);
      op = true;
    }
    b = trim(b);
    auto start = b.find_last_of(" (");
    auto path = start == std::string_view::npos ? b : b.substr(start + 1);
    if (!path.empty() && path[0] == '[') path.remove_prefix(1);
    if (op) {
      bool addr_obj = path.rfind("ipv4-addr:value", 0) == 0 || path.rfind("ipv6-addr:value", 0) == 0;
      bool ref = path.size() > 6 && path.substr(path.size() - 6) == ".value" &&
                 (path.find("_ref.") != std::string_view::npos || path.find("_refs[") != std::string_view::npos);
      if (addr_obj || (ref && looks_like_prefix(literal))) out.push_back(literal);
    }
    pos = q2 + 1;
  }
  return out;
}

void stix_object(const Json& o, Sink& sink, ParsedFeed& feed) {
  if (!o.is_object()) return;
  auto type = o.value("type", "");
  Meta meta;
  if (auto id = o.find("id"); id != o.end() && id->is_string()) meta.emplace_back("id", id->get<std::string>());
  if (auto n = o.find("name"); n != o.end() && n->is_string()) meta.emplace_back("name", n->get<std::string>());
  if (auto l = o.find("labels"); l != o.end() && l->is_array()) {
    std::string labels;
    for (const auto& x : *l)
      if (x.is_string()) labels += (labels.empty() ? "" : ",") + x.get<std::string>();
    if (!labels.empty()) meta.emplace_back("labels", labels);
  }
  if (type == "indicator") {
    auto pattern = o.value("pattern", "");
    if (o.value("pattern_type", "stix") != "stix") {
      ++feed.skipped;
      return;
    }
    auto addrs = stix_pattern_addresses(pattern);
    if (addrs.empty()) {
      ++feed.skipped;
      return;
    }
    for (const auto& a : addrs) sink.add(0, a, meta);
  } else if (type == "ipv4-addr" || type == "ipv6-addr") {
    auto v = o.find("value");
    if (v != o.end() && v->is_string()) sink.add(0, v->get<std::string>(), meta);
  } else if (type == "observed-data") {
    // STIX 2.0-style embedded observables.
    if (auto objs = o.find("objects"); objs != o.end() && objs->is_object())
      for (const auto& [k, sub] : objs->items()) {
        (void)k;
        auto st = sub.is_object() ? sub.value("type", "") : "";
        if ((st == "ipv4-addr" || st == "ipv6-addr") && sub.contains("value") && sub["value"].is_string())
          sink.add(0, sub["value"].get<std::string>(), meta);
      }
  }
}

void parse_stix(const Json& j, Sink& sink, ParsedFeed& feed) {
  if (j.is_object() && j.contains("objects") && j["objects"].is_array()) {
    for (const auto& o : j["objects"]) stix_object(o, sink, feed);
  } else if (j.is_object()) {
    stix_object(j, sink, feed);
  }
}

void misp_attributes(const Json& attrs, const Json& event, Sink& sink, ParsedFeed& feed) {
  if (!attrs.is_array()) return;
  for (const auto& a : attrs) {
    if (!a.is_object()) continue;
    auto type = a.value("type", "");
    auto value = a.contains("value") && a["value"].is_string() ? a["value"].get<std::string>() : "";
    if (type != "ip-src" && type != "ip-dst" && type != "ip-src|port" && type != "ip-dst|port") {
      ++feed.skipped;
      continue;
    }
    std::string port;
    if (type.find('|') != std::string::npos) {
      auto bar = value.find('|');
      if (bar != std::string::npos) {
        port = value.substr(bar + 1);
        value = value.substr(0, bar);
      }
    }
    Meta meta;
    meta.emplace_back("type", type);
    if (!port.empty()) meta.emplace_back("port", port);
    if (a.contains("uuid") && a["uuid"].is_string()) meta.emplace_back("uuid", a["uuid"].get<std::string>());
    if (event.contains("info") && event["info"].is_string()) meta.emplace_back("event", event["info"].get<std::string>());
    if (a.contains("comment") && a["comment"].is_string() && !a["comment"].get<std::string>().empty())
      meta.emplace_back("comment", a["comment"].get<std::string>());
    sink.add(0, value, meta);
  }
}

void misp_event(const Json& ev, Sink& sink, ParsedFeed& feed) {
  if (!ev.is_object()) return;
  if (ev.contains("Attribute")) misp_attributes(ev["Attribute"], ev, sink, feed);
  if (ev.contains("Object") && ev["Object"].is_array())
    for (const auto& o : ev["Object"])
      if (o.is_object() && o.contains("Attribute")) misp_attributes(o["Attribute"], ev, sink, feed);
}

void parse_misp(const Json& j, Sink& sink, ParsedFeed& feed) {
  auto one = [&](const Json& x) {
    if (x.is_object() && x.contains("Event")) misp_event(x["Event"], sink, feed);
    else misp_event(x, sink, feed);
  };
  if (j.is_object() && j.contains("response") && j["response"].is_array()) {
    for (const auto& x : j["response"]) one(x);
  } else if (j.is_array()) {
    for (const auto& x : j) one(x);
  } else {
    one(j);
  }
}

// AlienVault OTX pulses: [{"name":..,"indicators":[{"type":"IPv4","indicator":..}]}]
bool is_otx(const Json& j) {
  const Json* pulses = &j;
  if (j.is_object() && j.contains("results")) pulses = &j["results"];
  return pulses->is_array() && !pulses->empty() && (*pulses)[0].is_object() && (*pulses)[0].contains("indicators");
}

void parse_otx(const Json& j, Sink& sink, ParsedFeed& feed) {
  const Json& pulses = j.is_object() && j.contains("results") ? j["results"] : j;
  for (const auto& p : pulses) {
    if (!p.is_object() || !p.contains("indicators") || !p["indicators"].is_array()) continue;
    for (const auto& ind : p["indicators"]) {
      if (!ind.is_object()) continue;
      auto type = ind.value("type", "");
      if (type != "IPv4" && type != "IPv6" && type != "CIDR") {
        ++feed.skipped;
        continue;
      }
      Meta meta;
      if (p.contains("name") && p["name"].is_string()) meta.emplace_back("pulse", p["name"].get<std::string>());
      if (p.contains("id") && p["id"].is_string()) meta.emplace_back("pulse_id", p["id"].get<std::string>());
      if (ind.contains("indicator") && ind["indicator"].is_string()) sink.add(0, ind["indicator"].get<std::string>(), meta);
    }
  }
}

bool is_stix(const Json& j) {
  return j.is_object() && (j.value("type", "") == "bundle" ||
                           (j.contains("spec_version") && j.contains("type")));
}
bool is_misp(const Json& j) {
  if (j.is_object()) return j.contains("Event") || j.contains("response") || (j.contains("Attribute") && j.contains("info"));
  if (j.is_array() && !j.empty()) return j[0].is_object() && j[0].contains("Event");
  return false;
}

// First lines that carry data (not blank, not a comment).
std::vector<std::string_view> content_lines(const std::vector<std::string_view>& lines, std::size_t max) {
  std::vector<std::string_view> out;
  for (auto l : lines) {
    auto t = trim(l);
    if (t.empty() || is_comment(t)) continue;
    out.push_back(t);
    if (out.size() >= max) break;
  }
  return out;
}

std::optional<Format> detect_line(std::string_view first, bool firehol);

std::optional<Format> detect_text(const std::vector<std::string_view>& lines) {
  bool firehol = false, spamhaus_header = false;
  for (std::size_t i = 0; i < lines.size() && i < 60; ++i) {
    auto t = trim(lines[i]);
    if (t.rfind("#fields", 0) == 0) return Format::kZeek;
    if (t.size() && t[0] == '#' && t.find("FireHOL") != std::string_view::npos) firehol = true;
    if (t.size() && t[0] == ';' && t.find("Spamhaus") != std::string_view::npos) spamhaus_header = true;
  }
  auto content = content_lines(lines, 20);
  if (content.empty()) {
    if (spamhaus_header) return Format::kSpamhausDrop;
    if (firehol) return Format::kFirehol;
    return Format::kPlain;  // nothing but comments/blank lines: an empty list
  }
  // The first recognisable line decides, so a bad first line does not make
  // the whole file unrecognised.
  for (auto line : content)
    if (auto f = detect_line(line, firehol)) return f;
  return std::nullopt;
}

std::optional<Format> detect_line(std::string_view first, bool firehol) {
  auto hashes = split(first, '#');
  if (hashes.size() >= 4 && looks_like_prefix(hashes[0])) return Format::kAlienVault;
  if (auto semi = first.find(';'); semi != std::string_view::npos) {
    if (looks_like_prefix(first.substr(0, semi)) && trim(first.substr(semi + 1)).rfind("SBL", 0) == 0)
      return Format::kSpamhausDrop;
  }
  auto tabs = split(first, '\t');
  if (tabs.size() >= 3 && looks_like_prefix(tabs[0]) && looks_like_prefix(tabs[1])) return Format::kDshield;
  if (tabs.size() >= 3 && lower(trim(tabs[0])) == "start" && lower(trim(tabs[1])) == "end") return Format::kDshield;
  if (first.find(',') != std::string_view::npos) {
    auto f = split_csv(first);
    if (f.size() == 3 && looks_like_prefix(f[0]) && all_digits(f[1]) && all_digits(f[2])) return Format::kIprep;
    if (looks_like_prefix(f[0])) return Format::kCsv;
    for (const auto& x : f)
      if (is_ip_column(x, "")) return Format::kCsv;  // header row
    return std::nullopt;
  }
  auto token = trim(strip_inline_comment(first));
  if (looks_like_prefix(token) || token.find('-') != std::string_view::npos) {
    // A range "a - b" or "a-b" also counts as plain.
    std::string squeezed;
    for (char c : token)
      if (c != ' ' && c != '\t') squeezed += c;
    if (looks_like_prefix(squeezed)) return firehol ? Format::kFirehol : Format::kPlain;
  }
  return std::nullopt;
}

}  // namespace

std::string_view format_name(Format f) {
  for (const auto& x : kFormats)
    if (x.f == f) return x.name;
  return "?";
}

std::optional<Format> format_from_name(std::string_view name) {
  for (const auto& x : kFormats)
    if (x.name == name) return x.f;
  return std::nullopt;
}

std::string format_names() {
  std::string s;
  for (const auto& x : kFormats) {
    if (!s.empty()) s += ", ";
    s += x.name;
  }
  return s;
}

std::size_t ParsedFeed::count(bool v4, bool host) const {
  std::size_t n = 0;
  for (const auto& e : entries)
    if (e.prefix.is_v4() == v4 && e.prefix.is_host() == host) ++n;
  return n;
}

Result<ParsedFeed> parse_feed_text(std::string_view text, const std::string& name, const ParseOptions& opts) {
  ParsedFeed feed;
  Sink sink(name, opts, feed);
  auto lines = split_lines(text);
  Format f = opts.format;
  std::optional<Json> json;
  auto first_char = [&]() -> char {
    for (auto l : lines) {
      auto t = trim(l);
      if (!t.empty()) return t[0];
    }
    return 0;
  }();
  bool json_like = first_char == '{' || first_char == '[';
  if (f == Format::kStix || f == Format::kMisp || f == Format::kOtx || (f == Format::kAuto && json_like)) {
    std::string_view body = text;
    if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    auto j = Json::parse(body, nullptr, false);
    if (!j.is_discarded()) json = std::move(j);
  }
  if (f == Format::kAuto) {
    if (json_like) {
      if (json && is_stix(*json)) f = Format::kStix;
      else if (json && is_misp(*json)) f = Format::kMisp;
      else if (json && is_otx(*json)) f = Format::kOtx;
      else if (!json) {
        auto content = content_lines(lines, 1);
        auto j = Json::parse(content.empty() ? std::string_view("") : content[0], nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.contains("cidr")) f = Format::kSpamhausJson;
      }
      if (f == Format::kAuto)
        return Error{0, name + ": unrecognised format: JSON but not a STIX 2.1 bundle, a MISP event, OTX pulses or Spamhaus JSON lines"};
    } else {
      auto d = detect_text(lines);
      if (!d)
        return Error{0, name + ": unrecognised format (tried " + format_names().substr(6) + ")"};
      f = *d;
    }
  }
  feed.format = f;
  switch (f) {
    case Format::kPlain:
    case Format::kFirehol:
      parse_plain(lines, sink);
      break;
    case Format::kSpamhausDrop:
      parse_spamhaus_drop(lines, sink);
      break;
    case Format::kSpamhausJson:
      parse_spamhaus_json(lines, sink, feed);
      break;
    case Format::kCsv:
      parse_csv(lines, sink, opts, feed, name);
      break;
    case Format::kZeek:
      parse_zeek(lines, sink, feed, name);
      break;
    case Format::kIprep:
      parse_iprep(lines, sink, opts, feed);
      break;
    case Format::kAlienVault:
      parse_alienvault(lines, sink);
      break;
    case Format::kDshield:
      parse_dshield(lines, sink);
      break;
    case Format::kStix:
    case Format::kMisp:
    case Format::kOtx:
      if (!json) return Error{0, name + ": not valid JSON"};
      if (f == Format::kStix) parse_stix(*json, sink, feed);
      else if (f == Format::kMisp) parse_misp(*json, sink, feed);
      else parse_otx(*json, sink, feed);
      break;
    case Format::kAuto:
      break;
  }
  if (feed.entries.empty() && feed.rejected.empty())
    feed.warnings.push_back(name + ": no entries (valid but empty " + std::string(format_name(f)) + " file)");
  else if (feed.entries.empty())
    feed.warnings.push_back(name + ": no entries loaded, every data line was rejected");
  if (feed.duplicates)
    feed.warnings.push_back(name + ": " + std::to_string(feed.duplicates) + " duplicate entries ignored");
  if (feed.skipped)
    feed.warnings.push_back(name + ": " + std::to_string(feed.skipped) + " records of other types skipped");
  return feed;
}

Result<ParsedFeed> parse_feed_file(const std::string& path, const ParseOptions& opts) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(path + ": cannot open");
  if (S_ISDIR(st.st_mode)) return Error{0, path + ": is a directory, not a feed file"};
  if (!S_ISREG(st.st_mode)) return Error{0, path + ": not a regular file"};
  if (st.st_size > kMaxFeedBytes)
    return Error{EFBIG, fmt::format("{}: {} bytes, larger than the {} MiB a feed may have", path, st.st_size,
                                    kMaxFeedBytes >> 20)};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::from_errno(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::from_errno(path + ": read error");
  return parse_feed_text(ss.str(), path, opts);
}

}  // namespace badip::intel
