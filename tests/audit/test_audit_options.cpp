// The audit's and the backfill's options as the core reads them (audit/options.cpp): what is
// accepted, what each refusal says, and that run_backfill applies the same rules to options
// built in C++. Pure: no store, no PDS.
#include <gtest/gtest.h>

#include <string>

#include "audit/audit.h"

namespace acid::audit {
namespace {

std::string refusal(const Result<BackfillOptions> &r) {
  return r ? std::string("(accepted)") : r.error().message;
}

TEST(AuditOptions, ReadsEveryAuditMember) {
  auto o = parse_audit_options(
      R"({"user":"sotce-auth0|x","tenant":"sotce","deep":true,"deep_concurrency":3,)"
      R"("ignore_dids":["did:plc:a"],"stuck_after_ms":5})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->scope, Scope::user);
  EXPECT_EQ(o->user, "sotce-auth0|x");
  EXPECT_EQ(o->tenant, store::SubFilter::sotce);
  EXPECT_TRUE(o->deep);
  EXPECT_EQ(o->deep_concurrency, 3);
  ASSERT_EQ(o->ignore_dids.size(), 1u);
  EXPECT_EQ(o->ignore_dids[0], "did:plc:a");
  EXPECT_EQ(o->stuck_after_ms, 5);
  auto recent = parse_audit_options(R"({"limit":7})");
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->scope, Scope::recent);
  EXPECT_EQ(recent->limit, 7u);
}

TEST(AuditOptions, RefusesBackfillMembersAndBadText) {
  auto fix = parse_audit_options(R"({"all":true,"fix":true})");
  ASSERT_FALSE(fix);
  EXPECT_EQ(fix.code(), Code::invalid);
  EXPECT_EQ(fix.error().message, "acid_audit: \"fix\" is a backfill option (use acid_backfill)");
  EXPECT_EQ(parse_audit_options("[1]").error().message, "options_json must be a JSON object");
  EXPECT_EQ(parse_audit_options(std::string((1 << 20) + 1, ' ')).error().message,
            "options_json is too large");
  auto broken = parse_audit_options("{");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.code(), Code::invalid);
  EXPECT_EQ(broken.error().message.rfind("options_json", 0), 0u) << broken.error().message;
  EXPECT_FALSE(parse_audit_options("{}"));  // no scope
}

TEST(BackfillOptions, DefaultsAndEveryMember) {
  auto d = parse_backfill_options(R"({"all":true})");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->audit.scope, Scope::all);
  EXPECT_FALSE(d->fix);
  EXPECT_FALSE(d->delete_orphans);
  EXPECT_EQ(d->concurrency, 4);
  EXPECT_EQ(d->budget_ms, 600'000);
  auto o = parse_backfill_options(
      R"({"all":true,"fix":true,"delete_orphans":true,"concurrency":64,"budget_ms":1})");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->fix);
  EXPECT_TRUE(o->delete_orphans);
  EXPECT_EQ(o->concurrency, 64);
  EXPECT_EQ(o->budget_ms, 1);
}

TEST(BackfillOptions, EachRefusalNamesItsOption) {
  const struct {
    const char *options;
    const char *message;
  } cases[] = {
      {R"({"all":true,"fix":"yes"})", "backfill option \"fix\" must be a boolean"},
      {R"({"all":true,"delete_orphans":1})",
       "backfill option \"delete_orphans\" must be a boolean"},
      {R"({"all":true,"concurrency":0})", "backfill option \"concurrency\" must be from 1 to 64"},
      {R"({"all":true,"concurrency":65})", "backfill option \"concurrency\" must be from 1 to 64"},
      {R"({"all":true,"concurrency":"4"})", "backfill option \"concurrency\" must be from 1 to 64"},
      {R"({"all":true,"concurrency":4.5})", "backfill option \"concurrency\" must be from 1 to 64"},
      {R"({"all":true,"budget_ms":0})", "backfill option \"budget_ms\" must be a positive integer"},
      {R"({"all":true,"budget_ms":-5})",
       "backfill option \"budget_ms\" must be a positive integer"},
      {R"({"all":true,"budget_ms":true})",
       "backfill option \"budget_ms\" must be a positive integer"},
      {R"({"user":"auth0|x","delete_orphans":true})",
       "\"delete_orphans\" needs the \"all\" scope (orphans are only found against the whole "
       "store)"},
      {R"({"all":true,"tpyo":1})", "audit option \"tpyo\" is unknown"},
      {"[]", "options_json must be a JSON object"},
  };
  for (const auto &c : cases) {
    auto r = parse_backfill_options(c.options);
    ASSERT_FALSE(r) << c.options;
    EXPECT_EQ(r.code(), Code::invalid) << c.options;
    EXPECT_EQ(refusal(r), c.message) << c.options;
  }
}

TEST(BackfillOptions, RunBackfillAppliesTheSameRules) {
  BackfillOptions o;
  EXPECT_TRUE(validate(o));
  o.concurrency = 0;
  EXPECT_EQ(validate(o).error().message, "backfill option \"concurrency\" must be from 1 to 64");
  o.concurrency = 4;
  o.budget_ms = 0;
  EXPECT_EQ(validate(o).code(), Code::invalid);
  o.budget_ms = 1;
  o.delete_orphans = true;
  o.audit.scope = Scope::user;
  EXPECT_EQ(validate(o).code(), Code::invalid);
  o.audit.scope = Scope::all;
  EXPECT_TRUE(validate(o));
}

}  // namespace
}  // namespace acid::audit
