#include "summary/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace badip::summary {
namespace {

// RAII for a prepared statement.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, const std::string& v) { sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); }
  int step() { return sqlite3_step(s_); }
  std::string text(int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, std::size_t(sqlite3_column_bytes(s_, i))) : std::string();
  }
  std::int64_t int64(int i) { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS open_window (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  summary TEXT NOT NULL,
  sockets TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  document TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_window ON alerts (kind, window_start);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

}  // namespace

Error StateStore::sql_error(const std::string& what) const {
  return Error{0, path_ + ": " + what + ": " + sqlite3_errmsg(db_)};
}

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& dir, bool must_exist) {
  std::string path = dir + "/state.db";
  if (must_exist) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return Error::from_errno("state store " + path);
  } else {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{ec.value(), "create state dir " + dir};
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (must_exist ? 0 : SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<StateStore> store(new StateStore(db, path));
  if (rc != SQLITE_OK) return store->sql_error("open");
  sqlite3_busy_timeout(db, 5000);  // `badip report` may read while the agent writes
  // WAL: readers never block the agent; synchronous=NORMAL survives kill -9
  // (the WAL is in the OS page cache) at a fraction of FULL's fsync cost.
  if (auto st = store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !st) return st.error();
  if (auto st = store->exec(kSchema); !st) return st.error();
  return store;
}

StateStore::~StateStore() { sqlite3_close_v2(db_); }

Status StateStore::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return Error{0, path_ + ": " + m};
  }
  return {};
}

namespace {
constexpr const char* kSaveOpen =
    "INSERT INTO open_window (id, window_start, window_end, summary, sockets) VALUES (1, ?, ?, ?, ?) "
    "ON CONFLICT(id) DO UPDATE SET window_start=excluded.window_start, window_end=excluded.window_end, "
    "summary=excluded.summary, sockets=excluded.sockets";
}

Status StateStore::save_open_window(const OpenWindowRow& row) {
  std::lock_guard lock(mu_);
  Stmt s(db_, kSaveOpen);
  if (!s.ok()) return sql_error("prepare save");
  s.bind(1, row.window_start_ns);
  s.bind(2, row.window_end_ns);
  s.bind(3, row.summary);
  s.bind(4, row.sockets);
  if (s.step() != SQLITE_DONE) return sql_error("save open window");
  return {};
}

Result<std::optional<OpenWindowRow>> StateStore::load_open_window() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT window_start, window_end, summary, sockets FROM open_window WHERE id = 1");
  if (!s.ok()) return sql_error("prepare load");
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<OpenWindowRow>{};
  if (rc != SQLITE_ROW) return sql_error("load open window");
  return std::optional<OpenWindowRow>{OpenWindowRow{s.int64(0), s.int64(1), s.text(2), s.text(3)}};
}

Result<bool> StateStore::insert_alert(const StoredAlert& a) {
  Stmt s(db_,
         "INSERT OR IGNORE INTO alerts (id, kind, window_start, window_end, delivered, document) "
         "VALUES (?, ?, ?, ?, 0, ?)");
  if (!s.ok()) return sql_error("prepare alert insert");
  s.bind(1, a.id);
  s.bind(2, a.kind);
  s.bind(3, a.window_start_ns);
  s.bind(4, a.window_end_ns);
  s.bind(5, a.document);
  if (s.step() != SQLITE_DONE) return sql_error("insert alert");
  return sqlite3_changes(db_) > 0;
}

Result<bool> StateStore::close_window(const StoredAlert& alert, const OpenWindowRow& next) {
  std::lock_guard lock(mu_);
  if (auto st = exec("BEGIN IMMEDIATE"); !st) return st.error();
  auto inserted = insert_alert(alert);
  if (!inserted) {
    (void)exec("ROLLBACK");
    return inserted.error();
  }
  Stmt s(db_, kSaveOpen);
  s.bind(1, next.window_start_ns);
  s.bind(2, next.window_end_ns);
  s.bind(3, next.summary);
  s.bind(4, next.sockets);
  if (!s.ok() || s.step() != SQLITE_DONE) {
    Error e = sql_error("save next window");
    (void)exec("ROLLBACK");
    return e;
  }
  if (auto st = exec("COMMIT"); !st) {
    (void)exec("ROLLBACK");
    return st.error();
  }
  return *inserted;
}

Result<bool> StateStore::add_alert(const StoredAlert& alert) {
  std::lock_guard lock(mu_);
  return insert_alert(alert);
}

Status StateStore::mark_delivered(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE alerts SET delivered = 1 WHERE id = ?");
  if (!s.ok()) return sql_error("prepare mark");
  s.bind(1, id);
  if (s.step() != SQLITE_DONE) return sql_error("mark delivered");
  return {};
}

Result<std::vector<StoredAlert>> StateStore::query_alerts(const std::string& tail, std::int64_t arg, bool has_arg) {
  std::string sql = "SELECT seq, id, kind, window_start, window_end, delivered, document FROM alerts " + tail;
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return sql_error("prepare alert query");
  if (has_arg) s.bind(1, arg);
  std::vector<StoredAlert> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back({s.int64(0), s.text(1), s.text(2), s.int64(3), s.int64(4), s.int64(5) != 0, s.text(6)});
  }
  if (rc != SQLITE_DONE) return sql_error("query alerts");
  return out;
}

Result<std::vector<StoredAlert>> StateStore::alerts(bool undelivered_only) {
  std::lock_guard lock(mu_);
  return query_alerts(undelivered_only ? "WHERE delivered = 0 ORDER BY seq" : "ORDER BY seq", 0, false);
}

Result<std::optional<StoredAlert>> StateStore::window_alert(std::int64_t start_ns) {
  std::lock_guard lock(mu_);
  auto r = query_alerts("WHERE kind = 'window' AND window_start = ? ORDER BY seq LIMIT 1", start_ns, true);
  if (!r) return r.error();
  if (r->empty()) return std::optional<StoredAlert>{};
  return std::optional<StoredAlert>{std::move(r->front())};
}

Result<std::optional<StoredAlert>> StateStore::last_window_alert() {
  std::lock_guard lock(mu_);
  auto r = query_alerts("WHERE kind = 'window' ORDER BY window_start DESC, seq DESC LIMIT 1", 0, false);
  if (!r) return r.error();
  if (r->empty()) return std::optional<StoredAlert>{};
  return std::optional<StoredAlert>{std::move(r->front())};
}

Status StateStore::put(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
  if (!s.ok()) return sql_error("prepare put");
  s.bind(1, key);
  s.bind(2, value);
  if (s.step() != SQLITE_DONE) return sql_error("put " + key);
  return {};
}

Result<std::optional<std::string>> StateStore::get(const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT value FROM kv WHERE key = ?");
  if (!s.ok()) return sql_error("prepare get");
  s.bind(1, key);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>{};
  if (rc != SQLITE_ROW) return sql_error("get " + key);
  return std::optional<std::string>{s.text(0)};
}

}  // namespace badip::summary
