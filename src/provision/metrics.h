// Counters for everything that happens, exported in the Prometheus text format. Every failure
// the engine sees is counted here, besides being returned or stored.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace acid::provision {

class Metrics {
 public:
  // Adds `n` to counter `name` with the label set `labels` (e.g. {"type","ss"}).
  void add(const std::string &name, const std::map<std::string, std::string> &labels,
           std::uint64_t n = 1);
  std::uint64_t get(const std::string &name,
                    const std::map<std::string, std::string> &labels) const;
  // # TYPE lines and one line per series, sorted.
  std::string prometheus_text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::uint64_t>> series_;  // name -> labels -> n
};

}  // namespace acid::provision
