#include "sshd/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>

namespace badip::sshd {

namespace {

using std::string_view;

// ---------------------------------------------------------------- text helpers

bool starts_with(string_view s, string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(string_view s, string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool consume(string_view& s, string_view p) {
  if (!starts_with(s, p)) return false;
  s.remove_prefix(p.size());
  return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
string_view trim_right(string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}
string_view trim_left(string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
string_view next_token(string_view s) { return s.substr(0, s.find(' ')); }

template <typename T>
std::optional<T> to_number(string_view s) {
  T v{};
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Leading digits of s as a number; `used` gets how many characters they took.
template <typename T>
std::optional<T> leading_number(string_view s, std::size_t& used) {
  used = 0;
  while (used < s.size() && is_digit(s[used])) ++used;
  return to_number<T>(s.substr(0, used));
}

// ---------------------------------------------------------------- timestamps

// Days since 1970-01-01 of a Gregorian date.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

constexpr std::int64_t kNs = 1'000'000'000;

std::optional<int> month_number(string_view m) {
  static constexpr std::array<string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == m) return static_cast<int>(i) + 1;
  return std::nullopt;
}

// "HH:MM:SS" at the start of s -> seconds into the day.
std::optional<std::int64_t> clock_at(string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  auto h = to_number<int>(s.substr(0, 2));
  auto mi = to_number<int>(s.substr(3, 2));
  auto se = to_number<int>(s.substr(6, 2));
  if (!h || !mi || !se || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  return std::int64_t{*h} * 3600 + *mi * 60 + *se;
}

// RFC 3164 "Mmm dd HH:MM:SS" (day space- or zero-padded, or one digit after a
// single space as some writers do). Consumes it and the following blank.
std::optional<std::int64_t> bsd_timestamp(string_view& s, int year) {
  if (s.size() < 15) return std::nullopt;
  auto month = month_number(s.substr(0, 3));
  if (!month || s[3] != ' ') return std::nullopt;
  string_view r = trim_left(s.substr(4));
  std::size_t used = 0;
  auto day = leading_number<int>(r, used);
  if (!day || used > 2 || *day < 1 || *day > 31 || r.size() <= used || r[used] != ' ')
    return std::nullopt;
  r.remove_prefix(used + 1);
  auto secs = clock_at(r);
  if (!secs) return std::nullopt;
  r.remove_prefix(8);
  if (!r.empty() && r[0] != ' ') return std::nullopt;
  s = trim_left(r);
  return (days_from_civil(year, *month, *day) * 86400 + *secs) * kNs;
}

// ISO 8601 / RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac][Z|±HH:MM]" as one token.
std::optional<std::int64_t> iso_timestamp(string_view token) {
  if (token.size() < 19 || token[4] != '-' || token[7] != '-' || (token[10] != 'T' && token[10] != ' '))
    return std::nullopt;
  auto y = to_number<int>(token.substr(0, 4));
  auto mo = to_number<unsigned>(token.substr(5, 2));
  auto d = to_number<unsigned>(token.substr(8, 2));
  auto secs = clock_at(token.substr(11));
  // Years far outside the nanosecond range of int64 are no log timestamp.
  if (!y || !mo || !d || !secs || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *y < 1900 ||
      *y > 2200)
    return std::nullopt;
  string_view r = token.substr(19);
  std::int64_t frac_ns = 0;
  if (consume(r, ".")) {
    std::size_t used = 0;
    while (used < r.size() && is_digit(r[used])) ++used;
    std::int64_t scale = kNs;
    for (std::size_t i = 0; i < used && i < 9; ++i) {
      scale /= 10;
      frac_ns += (r[i] - '0') * scale;
    }
    r.remove_prefix(used);
  }
  std::int64_t offset = 0;
  if (r == "Z" || r.empty()) {
    // UTC, or no zone given: taken as UTC
  } else if ((r[0] == '+' || r[0] == '-') && r.size() == 6 && r[3] == ':') {
    auto oh = to_number<int>(r.substr(1, 2));
    auto om = to_number<int>(r.substr(4, 2));
    if (!oh || !om) return std::nullopt;
    offset = (std::int64_t{*oh} * 3600 + *om * 60) * (r[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  return (days_from_civil(*y, *mo, *d) * 86400 + *secs - offset) * kNs + frac_ns;
}

// ---------------------------------------------------------------- syslog prefix

struct Prefix {
  std::int64_t wall_ns = 0;
  string_view program;  // "" when the line had no tag
  std::uint32_t pid = 0;
  string_view message;
};

bool sshd_program(string_view p) { return starts_with(p, "sshd"); }

// A syslog tag token: "prog[pid]:", "prog:", "[prog]:", "[prog]".
std::optional<Prefix> tag_token(string_view tok) {
  Prefix p;
  bool colon = false;
  if (ends_with(tok, ":")) {
    tok.remove_suffix(1);
    colon = true;
  }
  if (tok.size() >= 3 && tok.front() == '[' && tok.back() == ']') {
    p.program = tok.substr(1, tok.size() - 2);
  } else if (!tok.empty() && tok.back() == ']') {
    auto open = tok.rfind('[');
    if (open == string_view::npos || open == 0) return std::nullopt;
    auto pid = to_number<std::uint32_t>(tok.substr(open + 1, tok.size() - open - 2));
    if (!pid || !colon) return std::nullopt;
    p.program = tok.substr(0, open);
    p.pid = *pid;
  } else if (colon && !tok.empty()) {
    p.program = tok;
  } else {
    return std::nullopt;
  }
  for (char c : p.program) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
              c == '_' || c == '.' || c == '(' || c == ')' || c == '/';
    if (!ok) return std::nullopt;
  }
  return p;
}

// RFC 5424: "<pri>1 TIMESTAMP HOST APP PROCID MSGID SD MSG".
std::optional<Prefix> rfc5424(string_view s) {
  auto gt = s.find('>');
  if (gt == string_view::npos || gt < 2 || gt > 4) return std::nullopt;
  s.remove_prefix(gt + 1);
  if (!consume(s, "1 ")) return std::nullopt;
  std::array<string_view, 5> f;  // timestamp host app procid msgid
  for (auto& field : f) {
    field = next_token(s);
    if (field.size() == s.size()) return std::nullopt;
    s.remove_prefix(field.size() + 1);
  }
  Prefix p;
  if (f[0] != "-") {
    auto t = iso_timestamp(f[0]);
    if (!t) return std::nullopt;
    p.wall_ns = *t;
  }
  p.program = f[2] == "-" ? string_view{} : f[2];
  if (auto pid = to_number<std::uint32_t>(f[3])) p.pid = *pid;
  // Structured data: "-" or one or more [id k="v" ...]; values are quoted and
  // may contain ']' or escaped quotes.
  if (consume(s, "-")) {
  } else {
    while (!s.empty() && s[0] == '[') {
      bool quoted = false;
      std::size_t i = 1;
      for (; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') {
          ++i;
        } else if (s[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && s[i] == ']') {
          break;
        }
      }
      if (i >= s.size()) return std::nullopt;
      s.remove_prefix(i + 1);
    }
  }
  consume(s, " ");
  if (starts_with(s, "\xEF\xBB\xBF")) s.remove_prefix(3);  // BOM that RFC 5424 allows
  p.message = s;
  return p;
}

// Splits a line into time, program, pid and message. A line with no
// recognisable prefix is taken as a bare `sshd -E` message.
std::optional<Prefix> split_prefix(string_view s, int year_hint) {
  if (starts_with(s, "<")) {
    if (auto p = rfc5424(s)) return p;
    auto gt = s.find('>');  // RFC 3164 with a priority: drop it
    if (gt != string_view::npos && gt <= 4) s.remove_prefix(gt + 1);
  }
  std::int64_t wall = 0;
  bool stamped = false;
  year_hint = std::clamp(year_hint, 1900, 2200);
  if (auto t = bsd_timestamp(s, year_hint)) {
    wall = *t;
    stamped = true;
  } else if (auto iso = iso_timestamp(next_token(s))) {
    wall = *iso;
    stamped = true;
    s.remove_prefix(next_token(s).size());
    s = trim_left(s);
  }
  // The tag is the first or (after a hostname) the second token. Without a
  // timestamp only an sshd tag counts, so that bare messages such as
  // "error: maximum authentication attempts …" are not taken for tags.
  string_view t1 = next_token(s);
  string_view rest1 = trim_left(s.substr(t1.size()));
  string_view t2 = next_token(rest1);
  auto accept = [&](std::optional<Prefix> p) {
    return p && (stamped || sshd_program(p->program));
  };
  std::optional<Prefix> tag = tag_token(t1);
  string_view msg;
  if (accept(tag)) {
    msg = rest1;
  } else if (tag = tag_token(t2); accept(tag)) {
    msg = trim_left(rest1.substr(t2.size()));
  } else if (stamped) {
    return std::nullopt;  // a timestamp but no tag: not a syslog line we know
  } else {
    Prefix bare;
    bare.program = "sshd";
    bare.message = s;
    return bare;
  }
  tag->wall_ns = wall;
  tag->message = msg;
  return tag;
}

// ---------------------------------------------------------------- addresses

struct Where {
  IpAddress address;
  std::optional<std::uint16_t> port;
  bool ssh_tag = false;  // " ssh2"/" ssh1" followed the port
  std::size_t end = 0;   // index just past what was parsed
};

std::optional<IpAddress> parse_ip(string_view tok) {
  if (auto a = IpAddress::parse(tok)) return a;
  // "1.2.3.4:" as in "Received disconnect from 1.2.3.4: 11: …"
  while (!tok.empty() && (tok.back() == ':' || tok.back() == ',' || tok.back() == ';')) {
    tok.remove_suffix(1);
    if (auto a = IpAddress::parse(tok)) return a;
  }
  return std::nullopt;
}

// "ADDR[ port N][ sshN]" at s[pos]. The port may be followed by ':'.
std::optional<Where> where_at(string_view s, std::size_t pos) {
  string_view tok = next_token(s.substr(pos));
  auto ip = parse_ip(tok);
  if (!ip) return std::nullopt;
  Where w;
  w.address = *ip;
  w.end = pos + tok.size();
  string_view r = s.substr(w.end);
  if (starts_with(r, " port ") && tok.back() != ':') {
    std::size_t used = 0;
    auto port = leading_number<std::uint32_t>(r.substr(6), used);
    if (port && *port <= 65535) {
      w.port = static_cast<std::uint16_t>(*port);
      w.end += 6 + used;
      r = s.substr(w.end);
      if (starts_with(r, " ssh2") || starts_with(r, " ssh1")) {
        string_view after = r.substr(5);
        if (after.empty() || after[0] == ' ' || after[0] == ':') {
          w.ssh_tag = true;
          w.end += 5;
        }
      }
    }
  }
  return w;
}

struct Found {
  Where where;
  string_view before;  // the text left of the separator: the user name, usually
  string_view after;   // the text right of the address
};

// The address that follows the right-most `sep` whose tail satisfies tail_ok.
// User names are chosen by the client and may contain " from 1.2.3.4 port 5";
// sshd prints the real address after them, so the right-most wins. Among the
// candidates the most complete form ("port N ssh2") is preferred, since old
// ssh1 lines append client-chosen text after it.
template <typename TailOk>
std::optional<Found> rightmost(string_view s, string_view sep, TailOk tail_ok) {
  std::optional<Found> best;
  int best_rank = -1;
  std::size_t pos = s.size();
  while (pos > 0) {
    pos = s.rfind(sep, pos - 1);
    if (pos == string_view::npos) break;
    auto w = where_at(s, pos + sep.size());
    if (!w) continue;
    string_view after = s.substr(w->end);
    if (!tail_ok(after)) continue;
    int rank = w->ssh_tag ? 2 : (w->port ? 1 : 0);
    if (rank > best_rank) {
      best_rank = rank;
      best = Found{*w, s.substr(0, pos), after};
    }
    if (pos == 0) break;
  }
  // The separator may be missing at the very start ("user 1.2.3.4 port 5").
  if (sep == " " && best_rank < 0) {
    if (auto w = where_at(s, 0); w && tail_ok(s.substr(w->end)))
      best = Found{*w, string_view{}, s.substr(w->end)};
  }
  return best;
}

bool tail_empty(string_view t) { return t.empty(); }
bool tail_info(string_view t) { return t.empty() || t[0] == ':'; }
bool tail_colon(string_view t) { return !t.empty() && t[0] == ':'; }

// ---------------------------------------------------------------- messages

struct Line {
  const Prefix& prefix;
  bool preauth = false;
  std::uint32_t repeat = 1;  // "message repeated N times"
};

ParsedLine base(const Line& l, LineKind kind, string_view rule) {
  ParsedLine p;
  p.kind = kind;
  p.rule = rule;
  p.event.wall_ns = l.prefix.wall_ns;
  p.event.program = std::string(l.prefix.program);
  p.event.pid = l.prefix.pid;
  return p;
}

ParsedLine not_auth(const Line& l, string_view rule) {
  auto p = base(l, LineKind::NotAuth, rule);
  p.event.attempts = 0;
  return p;
}

ParsedLine unparsed(const Line& l) {
  auto p = base(l, LineKind::Unparsed, {});
  p.event.attempts = 0;
  return p;
}

// An outcome; kind becomes Event when `w` has an address, else NoAddress.
ParsedLine outcome(const Line& l, string_view rule, LoginResult result, std::uint32_t attempts,
                   const std::optional<Where>& w, string_view host = {}) {
  auto p = base(l, w ? LineKind::Event : LineKind::NoAddress, rule);
  p.event.result = result;
  p.event.attempts = attempts;
  if (w) {
    p.event.address = w->address;
    p.event.port = w->port;
  } else {
    p.host = std::string(host);
  }
  return p;
}

// "invalid user X" / "illegal user X" -> X, flagging it.
string_view strip_invalid(string_view user, bool& invalid) {
  if (consume(user, "invalid user ") || consume(user, "illegal user ")) invalid = true;
  if (user == "<invalid username>") {  // Solaris' placeholder
    invalid = true;
    return {};
  }
  return user;
}

// "Accepted|Failed METHOD for [invalid user ]USER from ADDR[ port N][ ssh2][: info]"
std::optional<ParsedLine> auth_result(const Line& l, string_view m) {
  bool accepted = consume(m, "Accepted ");
  if (!accepted && !consume(m, "Failed ")) return std::nullopt;
  auto for_pos = m.find(" for ");
  if (for_pos == string_view::npos) return std::nullopt;
  string_view method = m.substr(0, for_pos);
  string_view rest = m.substr(for_pos + 5);
  auto f = rightmost(rest, " from ", tail_info);
  std::uint32_t attempts = l.repeat;
  // "none" is the client asking which methods exist, not a credential.
  if (method == "none") attempts = 0;
  ParsedLine p;
  string_view user = rest;
  if (f) {
    p = outcome(l, accepted ? "accepted" : (method == "none" ? "failed-none" : "failed"),
                accepted ? LoginResult::Success : LoginResult::Failure, attempts, f->where);
    user = f->before;
  } else {
    auto from = rest.rfind(" from ");
    if (from == string_view::npos) return std::nullopt;
    user = rest.substr(0, from);
    string_view host = next_token(rest.substr(from + 6));
    p = outcome(l, accepted ? "accepted" : "failed",
                accepted ? LoginResult::Success : LoginResult::Failure, attempts, std::nullopt,
                host);
  }
  p.event.method = std::string(method);
  p.event.user = std::string(strip_invalid(user, p.event.invalid_user));
  return p;
}

// "USER ADDR port N" after "… by|from [authenticating |invalid ]user ".
std::optional<ParsedLine> user_addr(const Line& l, string_view rest, string_view rule,
                                    LoginResult result, bool invalid,
                                    bool (*tail_ok)(string_view)) {
  auto f = rightmost(rest, " ", tail_ok);
  if (!f) return std::nullopt;
  auto p = outcome(l, rule, result, 0, f->where);
  p.event.user = std::string(f->before);
  p.event.invalid_user = invalid;
  return p;
}

// key=value fields of a PAM message ("logname= uid=0 … rhost=1.2.3.4  user=root").
string_view pam_field(string_view m, string_view key) {
  std::size_t pos = 0;
  while ((pos = m.find(key, pos)) != string_view::npos) {
    if ((pos == 0 || m[pos - 1] == ' ' || m[pos - 1] == ';') && m.substr(pos + key.size(), 1) == "=") {
      string_view v = m.substr(pos + key.size() + 1);
      return v.substr(0, v.find(' '));
    }
    pos += key.size();
  }
  return {};
}

ParsedLine pam_failure(const Line& l, string_view m, string_view rule) {
  string_view rhost = pam_field(m, "rhost");
  std::optional<Where> w;
  if (auto ip = parse_ip(rhost)) {
    w = Where{};
    w->address = *ip;
  }
  auto p = outcome(l, rule, LoginResult::Failure, 0, w, rhost);
  p.event.method = "pam";
  p.event.user = std::string(pam_field(m, "user"));
  return p;
}

ParsedLine classify(const Line& l, string_view m) {
  if (auto p = auth_result(l, m)) return *p;
  if (starts_with(m, "Postponed ")) return not_auth(l, "postponed");
  if (starts_with(m, "Partial ")) return not_auth(l, "partial");

  // "error: " / "fatal: " only say how loud sshd was; the text after decides.
  if (!consume(m, "error: ")) consume(m, "fatal: ");

  if (consume(m, "Invalid user ") || consume(m, "Illegal user ")) {
    auto f = rightmost(m, " from ", tail_empty);
    ParsedLine p;
    if (f) {
      p = outcome(l, "invalid-user", LoginResult::InvalidUser, 0, f->where);
      p.event.user = std::string(f->before);
    } else {
      auto from = m.rfind(" from ");
      if (from == string_view::npos) return unparsed(l);
      p = outcome(l, "invalid-user", LoginResult::InvalidUser, 0, std::nullopt,
                  next_token(m.substr(from + 6)));
      p.event.user = std::string(m.substr(0, from));
    }
    p.event.invalid_user = true;
    return p;
  }
  if (consume(m, "input_userauth_request: ")) {
    bool invalid = false;
    string_view user = strip_invalid(m, invalid);
    if (!invalid) return unparsed(l);
    auto p = outcome(l, "invalid-user-request", LoginResult::InvalidUser, 0, std::nullopt);
    p.event.user = std::string(user);
    p.event.invalid_user = true;
    return p;
  }
  if (starts_with(m, "User ") && m.find(" not allowed because ") != string_view::npos) {
    string_view who = m.substr(5, m.rfind(" not allowed because ") - 5);
    auto f = rightmost(who, " from ", tail_empty);
    ParsedLine p;
    if (f) {
      p = outcome(l, "user-not-allowed", LoginResult::Failure, 0, f->where);
      p.event.user = std::string(f->before);
    } else {
      auto from = who.rfind(" from ");
      p = outcome(l, "user-not-allowed", LoginResult::Failure, 0, std::nullopt,
                  from == string_view::npos ? string_view{} : who.substr(from + 6));
      p.event.user = std::string(from == string_view::npos ? who : who.substr(0, from));
    }
    return p;
  }
  if (consume(m, "maximum authentication attempts exceeded for ")) {
    auto f = rightmost(m, " from ", tail_info);
    if (!f) return unparsed(l);
    auto p = outcome(l, "max-attempts", LoginResult::Failure, 0, f->where);
    p.event.user = std::string(strip_invalid(f->before, p.event.invalid_user));
    return p;
  }
  if (consume(m, "Disconnecting: Too many authentication failures")) {
    auto p = outcome(l, "too-many-failures", LoginResult::Failure, 0, std::nullopt);
    if (consume(m, " for ")) p.event.user = std::string(m);
    return p;
  }
  if (consume(m, "Disconnecting ")) {
    // "Disconnecting invalid|authenticating user USER ADDR port N: reason"
    bool invalid = consume(m, "invalid user ");
    if (invalid || consume(m, "authenticating user ")) {
      if (auto p = user_addr(l, m, "disconnecting", LoginResult::Failure, invalid, tail_colon))
        return *p;
    }
    return unparsed(l);
  }
  for (string_view lead : {"Connection closed by ", "Connection reset by ", "Disconnected from "}) {
    if (!consume(m, lead)) continue;
    if (consume(m, "authenticating user ")) {
      if (auto p = user_addr(l, m, "closed-authenticating", LoginResult::Failure, false, tail_empty))
        return *p;
    } else if (consume(m, "invalid user ")) {
      if (auto p = user_addr(l, m, "closed-invalid-user", LoginResult::Failure, true, tail_empty))
        return *p;
    } else if (starts_with(m, "user ")) {
      return not_auth(l, "logout");  // "Disconnected from user X ADDR port N": a normal logout
    } else if (auto w = where_at(m, 0); w && w->end == m.size()) {
      // Without a user: a client that left before authenticating, or (no
      // [preauth]) the end of a session.
      if (l.preauth) return outcome(l, "closed-preauth", LoginResult::PreauthAbort, 0, w);
      return not_auth(l, "closed");
    }
    return unparsed(l);
  }
  if (consume(m, "Received disconnect from ")) {
    auto w = where_at(m, 0);
    if (!w) return unparsed(l);
    string_view reason = m.substr(w->end);
    // The client said it ran out of ways to authenticate, or failed: a failed login.
    for (string_view gave_up : {"Auth fail", "No more user authentication methods",
                                "No supported authentication methods",
                                "No authentication methods"}) {
      if (reason.find(gave_up) != string_view::npos)
        return outcome(l, "client-gave-up", LoginResult::Failure, 0, w);
    }
    if (l.preauth) return outcome(l, "disconnect-preauth", LoginResult::PreauthAbort, 0, w);
    return not_auth(l, "disconnect");
  }
  if (consume(m, "Did not receive identification string from ")) {
    auto w = where_at(m, 0);
    if (!w) return outcome(l, "no-identification", LoginResult::PreauthAbort, 0, std::nullopt, m);
    return outcome(l, "no-identification", LoginResult::PreauthAbort, 0, w);
  }
  if (consume(m, "banner exchange: Connection from ")) {
    if (auto w = where_at(m, 0)) return outcome(l, "banner-exchange", LoginResult::PreauthAbort, 0, w);
    return unparsed(l);
  }
  if (starts_with(m, "kex_exchange_identification: ") || starts_with(m, "kex_protocol_error") ||
      starts_with(m, "Unable to negotiate a key exchange method") ||
      starts_with(m, "no matching ") || starts_with(m, "no hostkey alg"))
    return outcome(l, "key-exchange", LoginResult::PreauthAbort, 0, std::nullopt);
  if (consume(m, "Unable to negotiate with ")) {
    if (auto w = where_at(m, 0)) return outcome(l, "key-exchange", LoginResult::PreauthAbort, 0, w);
    return unparsed(l);
  }
  if (consume(m, "Bad protocol version identification ")) {
    if (auto f = rightmost(m, " from ", tail_empty))
      return outcome(l, "bad-protocol-version", LoginResult::PreauthAbort, 0, f->where);
    return unparsed(l);
  }
  if (consume(m, "ssh_dispatch_run_fatal: Connection from ")) {
    // "[authenticating user U ]ADDR port N: reason"
    bool authenticating = consume(m, "authenticating user ");
    bool invalid = !authenticating && consume(m, "invalid user ");
    auto f = rightmost(m, " ", tail_colon);
    if (!f) return unparsed(l);
    auto p = outcome(l, "protocol-error", LoginResult::PreauthAbort, 0, f->where);
    if (authenticating || invalid) p.event.user = std::string(f->before);
    p.event.invalid_user = invalid;
    return p;
  }
  if (consume(m, "Timeout before authentication for ")) {
    consume(m, "connection from ");
    auto tok = next_token(m);
    auto w = where_at(m, 0);
    if (!w) return outcome(l, "timeout", LoginResult::PreauthAbort, 0, std::nullopt, tok);
    return outcome(l, "timeout", LoginResult::PreauthAbort, 0, w);
  }
  if (consume(m, "Magic value check failed")) {
    if (auto f = rightmost(m, " from ", tail_empty))
      return outcome(l, "obfuscated-handshake", LoginResult::PreauthAbort, 0, f->where);
    return unparsed(l);
  }
  if (consume(m, "refused connect from ")) {
    // tcp wrappers: "refused connect from NAME (ADDR)"
    auto open = m.rfind(" (");
    if (open != string_view::npos && ends_with(m, ")")) {
      string_view inner = m.substr(open + 2, m.size() - open - 3);
      if (auto ip = parse_ip(inner)) {
        Where w;
        w.address = *ip;
        return outcome(l, "tcpwrappers-refused", LoginResult::PreauthAbort, 0, w);
      }
    }
    return outcome(l, "tcpwrappers-refused", LoginResult::PreauthAbort, 0, std::nullopt, m);
  }
  if (consume(m, "ROOT LOGIN REFUSED FROM ")) {
    auto p = outcome(l, "root-refused", LoginResult::Failure, 0, where_at(m, 0), next_token(m));
    p.event.user = "root";
    return p;
  }

  // PAM, through sshd's own tag or the old "sshd(pam_unix)" one.
  bool pam_tag = l.prefix.program == "sshd(pam_unix)";
  if (consume(m, "pam_unix(sshd:auth): ") || pam_tag) {
    if (starts_with(m, "authentication failure;")) return pam_failure(l, m, "pam-failure");
    if (starts_with(m, "check pass; user unknown")) {
      return outcome(l, "pam-user-unknown", LoginResult::InvalidUser, 0, std::nullopt);
    }
    if (starts_with(m, "session opened") || starts_with(m, "session closed"))
      return not_auth(l, "session");
    if (starts_with(m, "check pass;")) return not_auth(l, "pam-check");
    return unparsed(l);
  }
  if (consume(m, "PAM ")) {
    std::size_t used = 0;
    if (auto n = leading_number<std::uint32_t>(m, used);
        n && starts_with(m.substr(used), " more authentication failure"))
      return pam_failure(l, m, "pam-more-failures");
    if (starts_with(m, "service(sshd) ignoring max retries")) return not_auth(l, "pam-max-retries");
    return unparsed(l);
  }
  if (consume(m, "PAM: ")) {
    // "PAM: Authentication failure for [illegal user ]USER from HOST[ via LOCAL]"
    auto for_pos = m.find(" for ");
    if (for_pos == string_view::npos) return unparsed(l);
    string_view rest = trim_right(m.substr(for_pos + 5));
    if (auto via = rest.rfind(" via "); via != string_view::npos) rest = rest.substr(0, via);
    auto f = rightmost(rest, " from ", tail_empty);
    ParsedLine p;
    string_view user;
    if (f) {
      p = outcome(l, "pam-error", LoginResult::Failure, 0, f->where);
      user = f->before;
    } else {
      auto from = rest.rfind(" from ");
      if (from == string_view::npos) return unparsed(l);
      p = outcome(l, "pam-error", LoginResult::Failure, 0, std::nullopt, rest.substr(from + 6));
      user = rest.substr(0, from);
    }
    p.event.method = "pam";
    p.event.user = std::string(strip_invalid(user, p.event.invalid_user));
    return p;
  }
  if (starts_with(m, "pam_") &&
      (m.find("(sshd:session)") != string_view::npos || m.find("(sshd:account)") != string_view::npos ||
       m.find("(sshd:setcred)") != string_view::npos))
    return not_auth(l, "session");

  // Known messages that are no authentication outcome.
  static constexpr std::array<std::pair<string_view, string_view>, 24> kNotAuth = {{
      {"Connection from ", "connection"},
      {"Server listening on ", "daemon"},
      {"Received signal ", "daemon"},
      {"Received SIGHUP", "daemon"},
      {"Server terminated", "daemon"},
      {"Exiting on signal", "daemon"},
      {"Starting session: ", "session"},
      {"Close session: ", "session"},
      {"session opened for user ", "session"},
      {"session closed for user ", "session"},
      {"User child is on pid ", "session"},
      {"Transferred: ", "session"},
      {"Accepted key ", "key-lookup"},
      {"Changed root directory", "session"},
      {"reverse mapping checking getaddrinfo for ", "dns-mismatch"},
      {"Address ", "dns-mismatch"},
      {"Nasty PTR record ", "dns-mismatch"},
      {"SSH: Server;", "vendor-trace"},
      {"Set /proc/self/oom_score_adj", "daemon"},
      {"Write failed: ", "io-error"},
      {"Read from socket failed: ", "io-error"},
      {"Read error from remote host", "io-error"},
      {"Attempt to write login records by non-root user", "daemon"},
      {"Disconnected from ", "logout"},
  }};
  for (auto [lead, rule] : kNotAuth) {
    if (!starts_with(m, lead)) continue;
    if (rule == "io-error" && l.preauth)
      return outcome(l, "io-error-preauth", LoginResult::PreauthAbort, 0, std::nullopt);
    if (rule == "dns-mismatch" && lead == "Address " && m.find(" maps to ") == string_view::npos)
      break;
    return not_auth(l, rule);
  }
  if (starts_with(m, "User ") && m.find(" not allowed because ") != string_view::npos)
    return outcome(l, "user-not-allowed", LoginResult::Failure, 0, std::nullopt);
  return unparsed(l);
}

// Linux audit records that sshd writes (auditd's log, not syslog):
//   type=USER_LOGIN msg=audit(1373330716.415:4063): … msg='op=login acct="root"
//   exe="/usr/sbin/sshd" hostname=? addr=173.242.116.187 terminal=ssh res=failed'
// They restate what sshd's own log says, so they carry no attempts.
string_view audit_field(string_view s, string_view key) {
  std::size_t pos = 0;
  while ((pos = s.find(key, pos)) != string_view::npos) {
    if ((pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == '\'') &&
        s.substr(pos + key.size(), 1) == "=") {
      string_view v = s.substr(pos + key.size() + 1);
      if (starts_with(v, "\"")) {
        v.remove_prefix(1);
        return v.substr(0, v.find('"'));
      }
      auto end = v.find_first_of(" '");
      return v.substr(0, end);
    }
    pos += key.size();
  }
  return {};
}

// acct= is quoted text, or hex when the name has odd characters.
std::string audit_acct(string_view s) {
  string_view quoted = s;
  auto pos = quoted.find(" acct=\"");
  if (pos != string_view::npos) return std::string(audit_field(s, "acct"));
  string_view hex = audit_field(s, "acct");
  std::string out;
  if (hex.size() % 2 != 0) return std::string(hex);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto byte = [&](char c) -> int {
      if (is_digit(c)) return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = byte(hex[i]), lo = byte(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::string(hex);
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

ParsedLine audit_record(string_view s) {
  ParsedLine p;
  p.event.attempts = 0;
  string_view exe = audit_field(s, "exe");
  if (!ends_with(exe, "/sshd") && !ends_with(exe, "/sshd-session")) return p;  // Other
  p.event.program = "audit";
  auto stamp = s.find("msg=audit(");
  if (stamp != string_view::npos) {
    string_view t = s.substr(stamp + 10);
    std::size_t used = 0;
    auto secs = leading_number<std::int64_t>(t, used);
    std::int64_t ms = 0;
    if (t.substr(used, 1) == ".") {
      std::size_t mused = 0;
      ms = leading_number<std::int64_t>(t.substr(used + 1), mused).value_or(0);
    }
    if (secs && *secs < (std::int64_t{1} << 32) && ms < 1000) p.event.wall_ns = *secs * kNs + ms * 1'000'000;
  }
  string_view type = s.substr(5, s.find(' ') - 5);
  string_view op = audit_field(s, "op");
  string_view res = audit_field(s, "res");
  if (res != "failed" && res != "success") {
    p.kind = LineKind::Unparsed;
    return p;
  }
  p.event.result = res == "success" ? LoginResult::Success : LoginResult::Failure;
  p.event.user = audit_acct(s);
  if (p.event.user == "(unknown user)" || p.event.user == "(invalid user)" ||
      p.event.user == "?") {
    p.event.invalid_user = p.event.user != "?";
    p.event.user.clear();
  }
  if (op == "password" || op == "pubkey") p.event.method = op == "pubkey" ? "publickey" : "password";
  p.rule = type == "USER_LOGIN" ? "audit-login" : type == "USER_AUTH" ? "audit-auth" : "audit-error";
  string_view addr = audit_field(s, "addr");
  if (auto ip = parse_ip(addr)) {
    p.kind = LineKind::Event;
    p.event.address = *ip;
  } else {
    p.kind = LineKind::NoAddress;
    p.host = std::string(addr);
  }
  return p;
}

// The message part of an sshd line, its program, pid and time already known.
ParsedLine parse_prefixed(const Prefix& prefix) {
  Line l{prefix};
  string_view m = trim_right(prefix.message);
  // Solaris puts "[ID 800047 auth.info] " before the message.
  if (starts_with(m, "[ID ")) {
    auto close = m.find("] ");
    if (close != string_view::npos) m.remove_prefix(close + 2);
  }
  // Some relays put the kernel's "kernel:[  970.699396]: " uptime stamp first.
  if (string_view k = m; consume(k, "kernel:")) {
    k = trim_left(k);
    auto close = k.find(']');
    if (starts_with(k, "[") && close != string_view::npos) {
      k.remove_prefix(close + 1);
      consume(k, ":");
      m = trim_left(k);
    }
  }
  // syslog's "message repeated N times: [ MSG]" stands for N copies of MSG.
  if (consume(m, "message repeated ")) {
    std::size_t used = 0;
    auto n = leading_number<std::uint32_t>(m, used);
    string_view r = m.substr(used);
    if (n && consume(r, " times: [") && ends_with(r, "]")) {
      l.repeat = *n;
      m = trim_right(trim_left(r.substr(0, r.size() - 1)));
    } else {
      return unparsed(l);
    }
  }
  if (ends_with(m, "[preauth]")) {
    l.preauth = true;
    m = trim_right(m.substr(0, m.size() - 9));
  }
  return classify(l, m);
}

}  // namespace

std::string_view to_string(LineKind kind) {
  switch (kind) {
    case LineKind::Event: return "event";
    case LineKind::NoAddress: return "no-address";
    case LineKind::NotAuth: return "not-auth";
    case LineKind::Other: return "other";
    case LineKind::Unparsed: return "unparsed";
  }
  return "?";
}

std::string_view to_string(LoginResult result) {
  switch (result) {
    case LoginResult::Success: return "success";
    case LoginResult::Failure: return "failure";
    case LoginResult::InvalidUser: return "invalid-user";
    case LoginResult::PreauthAbort: return "preauth-abort";
  }
  return "?";
}

ParsedLine parse_line(std::string_view line, int year_hint) {
  string_view s = trim_right(line);
  if (trim_left(s).empty() || s[0] == '#') {  // blank or comment
    ParsedLine p;
    p.event.attempts = 0;
    return p;
  }
  if (starts_with(s, "type=")) return audit_record(s);
  auto prefix = split_prefix(s, year_hint);
  if (!prefix || !sshd_program(prefix->program)) {
    ParsedLine p;
    if (prefix) {
      p.event.program = std::string(prefix->program);
      p.event.wall_ns = prefix->wall_ns;
    }
    p.event.attempts = 0;
    return p;  // Other
  }
  return parse_prefixed(*prefix);
}

void ParseStats::count(const ParsedLine& p) {
  lines.fetch_add(1, std::memory_order_relaxed);
  switch (p.kind) {
    case LineKind::Event:
      switch (p.event.result) {
        case LoginResult::Success: success.fetch_add(1, std::memory_order_relaxed); break;
        case LoginResult::Failure: failure.fetch_add(1, std::memory_order_relaxed); break;
        case LoginResult::InvalidUser: invalid_user.fetch_add(1, std::memory_order_relaxed); break;
        case LoginResult::PreauthAbort: preauth_abort.fetch_add(1, std::memory_order_relaxed); break;
      }
      break;
    case LineKind::NoAddress: no_address.fetch_add(1, std::memory_order_relaxed); break;
    case LineKind::NotAuth: not_auth.fetch_add(1, std::memory_order_relaxed); break;
    case LineKind::Other: other.fetch_add(1, std::memory_order_relaxed); break;
    case LineKind::Unparsed: unparsed.fetch_add(1, std::memory_order_relaxed); break;
  }
}

std::optional<LoginEvent> parse_line(std::string_view line, ParseStats& stats, int year_hint) {
  ParsedLine p = parse_line(line, year_hint);
  stats.count(p);
  if (p.kind != LineKind::Event) return std::nullopt;
  return std::move(p.event);
}

}  // namespace badip::sshd

namespace badip::sshd {

ParsedLine parse_line_at(std::string_view line, std::int64_t now_ns) {
  using namespace std::chrono;
  sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(now_ns)));
  int year = int(year_month_day{day}.year());
  ParsedLine p = parse_line(line, year);
  constexpr std::int64_t kDayNs = 86400LL * 1'000'000'000;
  if (p.event.wall_ns > now_ns + kDayNs) {
    ParsedLine earlier = parse_line(line, year - 1);
    // Only lines whose time came from a year-less stamp move.
    if (earlier.event.wall_ns != p.event.wall_ns) return earlier;
  }
  return p;
}

}  // namespace badip::sshd

namespace badip::sshd {

ParsedLine parse_message(std::string_view message, std::string_view program, std::uint32_t pid,
                         std::int64_t wall_ns) {
  Prefix prefix;
  prefix.program = program;
  prefix.pid = pid;
  prefix.wall_ns = wall_ns;
  prefix.message = message;
  return parse_prefixed(prefix);
}

}  // namespace badip::sshd
