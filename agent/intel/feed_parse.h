#pragma once
// Feed file parsers. One entry point, format detected from content unless the
// caller names one. A bad line never stops a file: it is reported as
// "file:line: reason" and the rest loads. A file that matches no format is an
// error naming what was tried; a valid file with no entries loads empty with
// a warning.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "badip/result.h"
#include "intel/prefix.h"

namespace badip::intel {

enum class Format {
  kAuto,
  kPlain,         // one IP / CIDR / range per line
  kFirehol,       // FireHOL netset/ipset (plain with a FireHOL header)
  kSpamhausDrop,  // "cidr ; SBL123"
  kSpamhausJson,  // JSON lines {"cidr":..,"sblid":..,"rir":..}
  kCsv,           // CSV with a header naming the IP column (abuse.ch style)
  kZeek,          // Zeek Intel TSV (#fields header)
  kIprep,         // Suricata iprep "ip,category,score"
  kStix,          // STIX 2.1 bundle
  kMisp,          // MISP event JSON
  kAlienVault,    // AlienVault reputation.data "ip#risk#reliability#category#..."
  kDshield,       // DShield block.txt "start<TAB>end<TAB>netblock..."
  kOtx,           // AlienVault OTX pulses JSON (IPv4/IPv6/CIDR indicators)
};

std::string_view format_name(Format f);
std::optional<Format> format_from_name(std::string_view name);
// "plain, firehol, ..." for help texts and error messages.
std::string format_names();

// Per-entry metadata as the format carries it (e.g. {"sbl","SBL123"}).
using Meta = std::vector<std::pair<std::string, std::string>>;

struct ParseOptions {
  Format format = Format::kAuto;
  std::string csv_column;        // CSV: IP column name (default: found by name)
  std::string iprep_categories;  // iprep: path of the categories file
  bool allow_zero_prefix = false;
};

struct ParsedEntry {
  Prefix prefix;
  Meta meta;
  std::uint32_t line = 0;
};

struct ParsedFeed {
  Format format = Format::kAuto;
  std::vector<ParsedEntry> entries;   // unique prefixes, first occurrence kept
  std::vector<std::string> warnings;  // "file:line: ..." or "file: ..."
  std::vector<std::string> rejected;  // "file:line: reason"
  std::size_t skipped = 0;            // records of other kinds (domains, hashes...)
  std::size_t duplicates = 0;

  std::size_t count(bool v4, bool host) const;
};

// `name` is used in messages (normally the path).
Result<ParsedFeed> parse_feed_text(std::string_view text, const std::string& name, const ParseOptions& opts);
// The largest feed file read (the biggest public lists are tens of MiB).
inline constexpr long long kMaxFeedBytes = 1LL << 30;

Result<ParsedFeed> parse_feed_file(const std::string& path, const ParseOptions& opts);

}  // namespace badip::intel
