#pragma once
// Helpers for the intel tests: a scratch directory removed on scope exit.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace badip::intel::test {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/badip-intel-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  // Replace by rename, as feed downloaders do.
  std::string replace(const std::string& name, const std::string& content) const {
    std::string tmp = file("." + name + ".tmp", content);
    std::string p = path_ + "/" + name;
    std::filesystem::rename(tmp, p);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string feeds_dir() { return std::string(BADIP_SHARED_DIR) + "/data/feeds/"; }

}  // namespace badip::intel::test
