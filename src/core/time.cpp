#include "core/time.h"

#include <chrono>
#include <cstdio>

namespace acid {

namespace {

namespace chr = std::chrono;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int &out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

Error bad(std::string_view text) {
  std::string shown(text.substr(0, 64));
  return Error(Code::invalid,
               "invalid date/time \"" + shown + "\": expected YYYY-MM-DD or an ISO 8601 timestamp");
}

}  // namespace

UnixMillis now_unix_ms() {
  return chr::duration_cast<chr::milliseconds>(chr::system_clock::now().time_since_epoch()).count();
}

int utc_year(UnixMillis t) {
  const chr::sys_time<chr::milliseconds> tp{chr::milliseconds{t}};
  const chr::year_month_day ymd{chr::floor<chr::days>(tp)};
  return static_cast<int>(ymd.year());
}

Result<UnixMillis> parse_timestamp(std::string_view text) {
  int y = 0, mo = 0, d = 0;
  if (text.size() < 10 || !digits(text, 0, 4, y) || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d)) {
    return bad(text);
  }
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)},
                                chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad(text);
  std::int64_t ms =
      chr::duration_cast<chr::milliseconds>(chr::sys_days{ymd}.time_since_epoch()).count();
  if (text.size() == 10) return ms;

  std::size_t pos = 10;
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad(text);
  ++pos;
  int h = 0, mi = 0, s = 0;
  if (!digits(text, pos, 2, h) || pos + 2 >= text.size() || text[pos + 2] != ':' ||
      !digits(text, pos + 3, 2, mi) || pos + 5 >= text.size() || text[pos + 5] != ':' ||
      !digits(text, pos + 6, 2, s)) {
    return bad(text);
  }
  if (h > 23 || mi > 59 || s > 60) return bad(text);
  pos += 8;
  int frac_ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 3) {
        frac_ms += (text[pos] - '0') * scale;
        scale /= 10;
      }
      ++pos;
      ++n;
    }
    if (n == 0 || n > 9) return bad(text);
  }
  int offset_min = 0;
  if (pos >= text.size()) return bad(text);  // a timestamp without a zone is ambiguous
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '+' ? 1 : -1;
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad(text);
    }
    offset_min = sign * (oh * 60 + om);
    pos += 6;
  } else {
    return bad(text);
  }
  if (pos != text.size()) return bad(text);
  ms += ((static_cast<std::int64_t>(h) * 60 + mi) * 60 + s) * 1000 + frac_ms;
  ms -= static_cast<std::int64_t>(offset_min) * 60 * 1000;
  return ms;
}

std::string format_iso8601(UnixMillis t) {
  const chr::sys_time<chr::milliseconds> tp{chr::milliseconds{t}};
  const auto day = chr::floor<chr::days>(tp);
  const chr::year_month_day ymd{day};
  const chr::hh_mm_ss<chr::milliseconds> hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

}  // namespace acid
