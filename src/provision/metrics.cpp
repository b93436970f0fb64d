#include "provision/metrics.h"

namespace acid::provision {

namespace {

std::string escape_label(const std::string &value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string render_labels(const std::map<std::string, std::string> &labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto &[k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape_label(v) + "\"";
  }
  return out + "}";
}

}  // namespace

void Metrics::add(const std::string &name, const std::map<std::string, std::string> &labels,
                  std::uint64_t n) {
  std::lock_guard lock(mu_);
  series_[name][render_labels(labels)] += n;
}

std::uint64_t Metrics::get(const std::string &name,
                           const std::map<std::string, std::string> &labels) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(name);
  if (it == series_.end()) return 0;
  auto jt = it->second.find(render_labels(labels));
  return jt == it->second.end() ? 0 : jt->second;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto &[name, series] : series_) {
    out += "# TYPE " + name + " counter\n";
    for (const auto &[labels, n] : series) out += name + labels + " " + std::to_string(n) + "\n";
  }
  return out;
}

}  // namespace acid::provision
