// Every real sample in ../shared/data/feeds parses to the number of entries
// it holds. Expected numbers were counted with shell tools, not the parser:
//   plain/FireHOL:  grep -v '^#' F | tr -d '\r' | sed 's/ *$//' | grep -v '^$' | sort -u | wc -l
//   Spamhaus DROP:  grep -v '^;' F | cut -d' ' -f1 | grep -v '^$' | sort -u | wc -l
//   Spamhaus JSON:  jq -r 'select(.cidr) | .cidr' F | sort -u | wc -l
//   CSV:            grep -v '^#' F [| tail -n +2 for a plain header row] | cut -d, -f<ip col> | sort -u | wc -l
//   AlienVault:     cut -d'#' -f1 F | sort -u | wc -l
//   DShield:        grep -v '^#' F | grep -v '^Start' | grep -v '^$' | wc -l
//   Zeek:           grep -v '^#' F | awk -F'\t' '$2=="Intel::ADDR"||$2=="Intel::SUBNET"{print $1}' | sort -u | wc -l
//   iprep:          grep -v '^#' F | cut -d, -f1 | sort -u | wc -l
//   MISP:           jq -r '.. | objects | select(.type? and (.type|type)=="string" and
//                          (.type|test("^ip-(src|dst)"))) | .value' F | sort -u | wc -l
//   OTX:            jq '[.[].indicators[] | select(.type=="IPv4" or .type=="IPv6" or .type=="CIDR")
//                          | .indicator] | unique | length' F
//   STIX:           indicator patterns grep'd for "(ipv4-addr:value|ipv6-addr:value|_ref.value|
//                   _refs[*].value) = '<address>'" plus jq '.objects[] | select(.type=="ipv4-addr"
//                   or .type=="ipv6-addr") | .value', sort -u | wc -l
// Notes: firehol/2021_feodo.ipset says "Entries: 0 unique IPs" in its own
// header and has no data line (SOURCES.md says 1). drop_v4.json has 1670
// records of which 2 are the same CIDR (1669 unique).
#include <catch2/catch.hpp>

#include "intel/feed_parse.h"
#include "test_util.h"

using namespace badip::intel;
using badip::intel::test::feeds_dir;

namespace {
struct Sample {
  const char* file;
  const char* format;
  std::size_t entries;
};

constexpr Sample kSamples[] = {
    {"abusech/feodo_ipblocklist.csv", "csv", 28},
    {"abusech/sslbl_sslipblacklist_2015.csv", "csv", 83},
    {"alienvault/alienvault_reputation.data_2017_head3000", "alienvault", 3000},
    {"alienvault/cps_alienvault_plain.txt", "plain", 609},
    {"et/cps_mirror_compromised-ips.txt", "plain", 539},
    {"firehol/2015_dshield.netset", "firehol", 20},
    {"firehol/2021_feodo.ipset", "firehol", 0},
    {"firehol/2021_sslbl.ipset", "firehol", 0},
    {"firehol/2022_alienvault_reputation.ipset", "firehol", 609},
    {"firehol/blocklist_de.ipset", "firehol", 2970},
    {"firehol/blocklist_de_ssh.ipset", "firehol", 5206},
    {"firehol/blocklist_de_strongips.ipset", "firehol", 349},
    {"firehol/bruteforceblocker.ipset", "firehol", 547},
    {"firehol/c2_tracker.ipset", "firehol", 2470},
    {"firehol/ciarmy.ipset", "firehol", 2969},
    {"firehol/cidr_report_bogons.netset", "firehol", 18},
    {"firehol/dshield.netset", "firehol", 20},
    {"firehol/et_block.netset", "firehol", 1624},
    {"firehol/et_compromised.ipset", "firehol", 539},
    {"firehol/feodo.ipset", "firehol", 1},
    {"firehol/feodo_badips.ipset", "firehol", 5},
    {"firehol/firehol_level1.netset", "firehol", 4631},
    {"firehol/firehol_level2.netset", "firehol", 2969},
    {"firehol/spamhaus_drop.netset", "firehol", 1599},
    {"firehol/spamhaus_edrop.netset", "firehol", 336},
    {"firehol/stopforumspam.ipset", "firehol", 2970},
    {"firehol/tor_exits.ipset", "firehol", 1370},
    {"intelmq_testdata/alienvault_otx_pulses_noemail.json", "otx", 9},
    {"intelmq_testdata/bambenek_c2-ipmasterlist.txt", "csv", 1},
    {"intelmq_testdata/dshield_block.txt", "dshield", 2},
    {"intelmq_testdata/spamhaus_cert.txt", "csv", 11},
    {"intelmq_testdata/spamhaus_drop.txt", "spamhaus-drop", 2},
    {"misp/pymisp_existing_event_sednit_2017.json", "misp", 11},
    {"other/cps_binarydefense_banlist_plain.txt", "plain", 2659},
    {"other/drb-ra_C2IntelFeeds_IPC2s-30day_via_JayP232.csv", "csv", 1315},
    {"spamhaus/drop.txt", "spamhaus-drop", 1385},
    {"spamhaus/drop_v4.json", "spamhaus-json", 1669},
    {"spamhaus/dropv6.txt", "spamhaus-drop", 78},
    {"spamhaus/edrop_2024-10_merged_notice.txt", "spamhaus-drop", 0},
    {"spamhaus/secops_drop_ipv6_plain.txt", "plain", 51},
    {"spamhaus/secops_drop_plain.txt", "plain", 989},
    {"stix/mispstix_external21_ip_objects_bundle.json", "stix", 9},
    {"stix/mispstix_internal21_ip_objects_bundle.json", "stix", 3},
    {"stix/mispstix_test_attributes_collection_stix21.json", "stix", 1},
    {"stix/mispstix_test_event2_stix21.json", "stix", 1},
    {"stix/mispstix_test_events_collection_stix21.json", "stix", 1},
    {"stix/mispstix_test_objects_collection_stix21.json", "stix", 1},
    {"stix/oasis_apt1.json", "stix", 4},
    {"stix/oasis_indicator-for-c2-ip-address.json", "stix", 1},
    {"stix/oasis_indicators-for-C2-with-COA.json", "stix", 1},
    {"stix/oasis_infrastructure.json", "stix", 1},
    {"suricata_iprep/sv_iprep-02_scirius-iprep_excerpt.list", "iprep", 3235},
    {"suricata_iprep/sv_iprep-07_cidr_iprep.list", "iprep", 1},
    {"suricata_iprep/sv_reputation-config_iprep-data_cr-lf.txt", "iprep", 3},
    {"suricata_iprep/sv_reputation-config_iprep-data_lf.txt", "iprep", 3},
    {"zeek_intel/cps_avanzato_c2_ip_head1000_plus_ipv6.intel", "zeek", 1023},
    {"zeek_intel/cps_collected-iocs_mixed_types_sample.intel", "zeek", 197},
    {"zeek_intel/cps_compromised-ips.intel", "zeek", 539},
};
}  // namespace

TEST_CASE("samples: every real feed parses to its exact entry count", "[intel]") {
  for (const auto& s : kSamples) {
    INFO(s.file);
    auto r = parse_feed_file(feeds_dir() + s.file, ParseOptions{});
    REQUIRE(r.ok());
    CHECK(format_name(r->format) == s.format);
    CHECK(r->entries.size() == s.entries);
    CHECK(r->rejected.empty());
  }
}

TEST_CASE("samples: family and host/prefix split", "[intel]") {
  // awk -F'\t' '$2=="Intel::SUBNET"' : 10 rows, 5 IPv4 and 5 IPv6 (grep -c ':')
  auto z = parse_feed_file(feeds_dir() + "zeek_intel/cps_collected-iocs_mixed_types_sample.intel", {});
  REQUIRE(z.ok());
  CHECK(z->count(true, false) == 5);
  CHECK(z->count(false, false) == 5);
  CHECK(z->skipped == 600);  // 200 DOMAIN + 200 URL + 200 FILE_HASH rows
  // grep -c ':' on the first column of the IPv6 rows: 24
  auto a = parse_feed_file(feeds_dir() + "zeek_intel/cps_avanzato_c2_ip_head1000_plus_ipv6.intel", {});
  REQUIRE(a.ok());
  CHECK(a->count(false, true) == 24);
  // iprep-02: awk -F, '$1 ~ /\//' | sort -u | wc -l = 483 CIDRs; grep -c ':' = 270 IPv6
  auto ip = parse_feed_file(feeds_dir() + "suricata_iprep/sv_iprep-02_scirius-iprep_excerpt.list", {});
  REQUIRE(ip.ok());
  CHECK(ip->count(true, false) == 483);
  CHECK(ip->count(false, true) == 270);
}

TEST_CASE("samples: entry metadata per format", "[intel]") {
  auto d = parse_feed_file(feeds_dir() + "spamhaus/drop.txt", {});
  REQUIRE(d.ok());
  CHECK(d->entries[0].prefix.to_string() == "1.10.16.0/20");
  CHECK(d->entries[0].meta == Meta{{"sbl", "SBL256894"}});

  auto j = parse_feed_file(feeds_dir() + "spamhaus/drop_v4.json", {});
  REQUIRE(j.ok());
  CHECK(j->entries[0].meta == Meta{{"sbl", "SBL256894"}, {"rir", "apnic"}});

  ParseOptions ipo;
  ipo.iprep_categories = feeds_dir() + "suricata_iprep/sv_reputation-config_iprep-categories.txt";
  auto ip = parse_feed_file(feeds_dir() + "suricata_iprep/sv_reputation-config_iprep-data_lf.txt", ipo);
  REQUIRE(ip.ok());
  CHECK(ip->entries[0].prefix.to_string() == "1.2.3.4");
  CHECK(ip->entries[0].meta == Meta{{"category", "BadHosts"}, {"score", "101"}});

  auto z = parse_feed_file(feeds_dir() + "zeek_intel/cps_collected-iocs_mixed_types_sample.intel", {});
  REQUIRE(z.ok());
  CHECK(z->entries[0].prefix.to_string() == "3.135.207.58");
  CHECK(z->entries[0].meta == Meta{{"source", "CPS-CTI"}, {"desc", "RECON"}});

  auto c = parse_feed_file(feeds_dir() + "abusech/feodo_ipblocklist.csv", {});
  REQUIRE(c.ok());
  CHECK(c->entries[0].prefix.to_string() == "192.9.135.73");
  CHECK(c->entries[0].meta == Meta{{"first_seen_utc", "2023-05-23 17:51:44"}, {"dst_port", "1194"},
                                   {"c2_status", "online"}, {"last_online", "2024-04-01"}, {"malware", "Pikabot"}});

  auto av = parse_feed_file(feeds_dir() + "alienvault/alienvault_reputation.data_2017_head3000", {});
  REQUIRE(av.ok());
  CHECK(av->entries[0].meta ==
        Meta{{"risk", "4"}, {"reliability", "2"}, {"category", "Malicious Host"}, {"country", "DE"}});

  auto ds = parse_feed_file(feeds_dir() + "intelmq_testdata/dshield_block.txt", {});
  REQUIRE(ds.ok());
  CHECK(ds->entries[0].prefix.to_string() == "43.229.53.0/24");
  CHECK(ds->entries[1].prefix.to_string() == "194.63.140.0/24");
  CHECK(ds->entries[1].meta == Meta{{"attacks", "585"}});

  auto st = parse_feed_file(feeds_dir() + "stix/oasis_apt1.json", {});
  REQUIRE(st.ok());
  CHECK(st->entries[0].prefix.to_string() == "223.166.0.0/15");
  CHECK(st->entries[0].meta.at(0).first == "id");

  auto m = parse_feed_file(feeds_dir() + "misp/pymisp_existing_event_sednit_2017.json", {});
  REQUIRE(m.ok());
  CHECK(m->entries[0].meta.at(0) == std::pair<std::string, std::string>{"type", "ip-dst"});
}

TEST_CASE("samples: files that are not feeds are errors naming the file", "[intel]") {
  auto r = parse_feed_file(feeds_dir() + "suricata_iprep/sv_iprep-02_scirius-categories.txt", {});
  REQUIRE(!r.ok());
  CHECK(r.error().message() == feeds_dir() + "suricata_iprep/sv_iprep-02_scirius-categories.txt: unrecognised format "
                                             "(tried plain, firehol, spamhaus-drop, spamhaus-json, csv, zeek, iprep, "
                                             "stix, misp, alienvault, dshield, otx)");
}
