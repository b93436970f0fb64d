#include <gtest/gtest.h>

#include "core/time.h"

namespace acid {
namespace {

TEST(Time, ParsesDatesAsMidnightUtc) {
  auto t = parse_timestamp("2025-10-14");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(*t, 1760400000000);
  EXPECT_EQ(utc_year(*t), 2025);
}

TEST(Time, ParsesIsoTimestampsWithZonesAndFractions) {
  EXPECT_EQ(*parse_timestamp("2025-10-14T00:00:00.000Z"), 1760400000000);
  EXPECT_EQ(*parse_timestamp("2025-10-14T00:00:01.5Z"), 1760400001500);
  EXPECT_EQ(*parse_timestamp("2025-10-14T02:00:00+02:00"), 1760400000000);
  EXPECT_EQ(*parse_timestamp("2025-10-13T22:00:00-02:00"), 1760400000000);
}

TEST(Time, YearBoundaryIsUtc) {
  // 23:30 on New Year's Eve in New York is already next year in UTC.
  auto t = parse_timestamp("2024-12-31T23:30:00-05:00");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(utc_year(*t), 2025);
  EXPECT_EQ(utc_year(*parse_timestamp("2024-12-31T23:59:59.999Z")), 2024);
}

TEST(Time, RejectsMalformedInput) {
  for (const char *bad :
       {"", "2025", "2025-13-01", "2025-02-30", "2025-10-14T", "25-10-14", "2025-10-14T10:00:00",
        "2025-10-14T25:00:00Z", "2025-10-14Tfoo", "2025-10-14T10:00:00Zjunk", "2025/10/14"}) {
    auto t = parse_timestamp(bad);
    EXPECT_EQ(t.code(), Code::invalid) << bad;
  }
}

TEST(Time, FormatsIso8601RoundTrip) {
  const UnixMillis t = 1760400001234;
  EXPECT_EQ(format_iso8601(t), "2025-10-14T00:00:01.234Z");
  EXPECT_EQ(*parse_timestamp(format_iso8601(t)), t);
}

}  // namespace
}  // namespace acid
