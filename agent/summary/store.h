#pragma once
// The agent's state store: SQLite in WAL mode at DIR/state.db.
//
// Tables: the open window (one row: summary + socket bookkeeping as JSON,
// rewritten by each flush), every alert ever emitted (unique id, delivered
// flag: an alert is committed before it is sent, so a crash between the two
// re-sends it at start instead of losing it), and a small key/value table for
// other parts' positions (the sshd follower's file offset, the journald
// cursor): store.put("sshd.position", "...") / store.get("sshd.position").
//
// Thread-safe (one connection behind a mutex). Returns Result; never throws.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "badip/result.h"

struct sqlite3;

namespace badip::summary {

struct StoredAlert {
  std::int64_t seq = 0;  // insertion order
  std::string id;
  std::string kind;  // "window" or "immediate"
  std::int64_t window_start_ns = 0;
  std::int64_t window_end_ns = 0;
  bool delivered = false;
  std::string document;  // the JSON alert
};

struct OpenWindowRow {
  std::int64_t window_start_ns = 0;
  std::int64_t window_end_ns = 0;
  std::string summary;  // JSON of the WindowSummary
  std::string sockets;  // JSON of the open-connection bookkeeping
};

class StateStore {
 public:
  // Creates DIR and the database unless must_exist (badip report).
  static Result<std::unique_ptr<StateStore>> open(const std::string& dir, bool must_exist = false);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  Status save_open_window(const OpenWindowRow& row);
  Result<std::optional<OpenWindowRow>> load_open_window();

  // In one transaction: record `alert` (kept as is when its id exists) and
  // replace the open window with `next`. Returns whether the alert was new.
  Result<bool> close_window(const StoredAlert& alert, const OpenWindowRow& next);
  // Record an alert on its own (immediate alerts). Returns whether it was new.
  Result<bool> add_alert(const StoredAlert& alert);
  Status mark_delivered(const std::string& id);

  Result<std::vector<StoredAlert>> alerts(bool undelivered_only = false);
  // The window alert for the window starting at start_ns / the latest one.
  Result<std::optional<StoredAlert>> window_alert(std::int64_t start_ns);
  Result<std::optional<StoredAlert>> last_window_alert();

  Status put(const std::string& key, const std::string& value);
  Result<std::optional<std::string>> get(const std::string& key);

  const std::string& path() const { return path_; }

 private:
  StateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status exec(const char* sql);
  Result<bool> insert_alert(const StoredAlert& a);
  Result<std::vector<StoredAlert>> query_alerts(const std::string& where, std::int64_t arg, bool has_arg);
  Error sql_error(const std::string& what) const;

  sqlite3* db_;
  std::string path_;
  std::mutex mu_;
};

}  // namespace badip::summary
