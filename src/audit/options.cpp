// Audit and backfill options: the JSON of acid_audit / acid_backfill (docs/audit.md) read and
// checked here, once, for every caller (the C ABI forwards the text; the CLI and the Node binding
// write it). run_backfill applies the same rules to options built in C++.
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "core/json.h"

namespace acid::audit {

namespace {

constexpr std::size_t kMaxOptionsBytes = 1 << 20;
constexpr const char *kBackfillMembers[] = {"fix", "concurrency", "delete_orphans", "budget_ms"};

bool is_backfill_member(std::string_view name) {
  return std::find(std::begin(kBackfillMembers), std::end(kBackfillMembers), name) !=
         std::end(kBackfillMembers);
}

// The options text as one JSON object (at most kMaxOptionsBytes).
Result<rapidjson::Document> options_document(std::string_view text) {
  if (text.size() > kMaxOptionsBytes) return Error(Code::invalid, "options_json is too large");
  auto doc = json::parse(text);
  if (!doc) return std::move(doc).error().context("options_json");
  if (!doc->IsObject()) return Error(Code::invalid, "options_json must be a JSON object");
  return doc;
}

// A boolean member of the backfill's options, when present.
Status read_flag(const rapidjson::Value &o, const char *name, bool &out) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd()) return Status::ok();
  if (!it->value.IsBool()) {
    return Error(Code::invalid, std::string("backfill option \"") + name + "\" must be a boolean");
  }
  out = it->value.GetBool();
  return Status::ok();
}

}  // namespace

Result<Options> parse_options(const rapidjson::Value &o) {
  if (!o.IsObject()) return Error(Code::invalid, "audit options must be a JSON object");
  Options out;
  bool scoped = false;
  for (auto it = o.MemberBegin(); it != o.MemberEnd(); ++it) {
    const std::string name(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value &v = it->value;
    auto bad = [&](const char *what) {
      return Error(Code::invalid, "audit option \"" + name + "\" " + what);
    };
    if (name == "all") {
      if (!v.IsBool()) return bad("must be a boolean");
      if (v.GetBool()) {
        if (scoped) return bad("conflicts with another scope (limit, user)");
        out.scope = Scope::all;
        scoped = true;
      }
    } else if (name == "limit") {
      if (!v.IsUint64() || v.GetUint64() < 1 || v.GetUint64() > 1000) {
        return bad("must be an integer from 1 to 1000");
      }
      if (scoped) return bad("conflicts with another scope (all, user)");
      out.scope = Scope::recent;
      out.limit = static_cast<std::size_t>(v.GetUint64());
      scoped = true;
    } else if (name == "user") {
      if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 512) {
        return bad("must be a non-empty string (the stored sub)");
      }
      if (scoped) return bad("conflicts with another scope (all, limit)");
      out.scope = Scope::user;
      out.user.assign(v.GetString(), v.GetStringLength());
      scoped = true;
    } else if (name == "tenant") {
      const std::string t = v.IsString() ? v.GetString() : "";
      if (t == "all") {
        out.tenant = store::SubFilter::all;
      } else if (t == "aesthetic") {
        out.tenant = store::SubFilter::aesthetic;
      } else if (t == "sotce") {
        out.tenant = store::SubFilter::sotce;
      } else {
        return bad("must be \"aesthetic\", \"sotce\" or \"all\"");
      }
    } else if (name == "deep") {
      if (!v.IsBool()) return bad("must be a boolean");
      out.deep = v.GetBool();
    } else if (name == "deep_concurrency") {
      if (!v.IsInt() || v.GetInt() < 1 || v.GetInt() > 32) return bad("must be from 1 to 32");
      out.deep_concurrency = v.GetInt();
    } else if (name == "ignore_dids") {
      if (!v.IsArray()) return bad("must be an array of DIDs");
      for (const auto &d : v.GetArray()) {
        if (!d.IsString() || std::string_view(d.GetString()).substr(0, 4) != "did:") {
          return bad("must hold DIDs (\"did:...\")");
        }
        out.ignore_dids.emplace_back(d.GetString(), d.GetStringLength());
      }
    } else if (name == "stuck_after_ms") {
      if (!v.IsInt64() || v.GetInt64() < 0) return bad("must be a non-negative integer");
      out.stuck_after_ms = v.GetInt64();
    } else {
      // Backfill members are read by the backfill's parser; anything else is a typo.
      if (!is_backfill_member(name)) return bad("is unknown");
    }
  }
  if (!scoped) {
    return Error(Code::invalid,
                 "audit options need a scope: \"all\":true, \"limit\":N or \"user\"");
  }
  return out;
}

Result<Options> parse_audit_options(std::string_view options_json) {
  ACID_ASSIGN_OR_RETURN(rapidjson::Document doc, options_document(options_json));
  for (const char *member : kBackfillMembers) {
    if (doc.HasMember(member)) {
      return Error(Code::invalid, std::string("acid_audit: \"") + member +
                                      "\" is a backfill option (use acid_backfill)");
    }
  }
  return parse_options(doc);
}

Result<BackfillOptions> parse_backfill_options(std::string_view options_json) {
  ACID_ASSIGN_OR_RETURN(rapidjson::Document doc, options_document(options_json));
  BackfillOptions options;
  ACID_ASSIGN_OR_RETURN(options.audit, parse_options(doc));
  ACID_TRY(read_flag(doc, "fix", options.fix));
  ACID_TRY(read_flag(doc, "delete_orphans", options.delete_orphans));
  if (auto it = doc.FindMember("concurrency"); it != doc.MemberEnd()) {
    // Out of int range is out of 1..64 as well: validate() names the range.
    options.concurrency = it->value.IsInt() ? it->value.GetInt() : 0;
  }
  if (auto it = doc.FindMember("budget_ms"); it != doc.MemberEnd()) {
    options.budget_ms = it->value.IsInt64() ? it->value.GetInt64() : 0;
  }
  ACID_TRY(validate(options));
  return options;
}

Status validate(const BackfillOptions &options) {
  if (options.concurrency < 1 || options.concurrency > 64) {
    return Error(Code::invalid, "backfill option \"concurrency\" must be from 1 to 64");
  }
  if (options.budget_ms < 1) {
    return Error(Code::invalid, "backfill option \"budget_ms\" must be a positive integer");
  }
  if (options.delete_orphans && options.audit.scope != Scope::all) {
    return Error(Code::invalid,
                 "\"delete_orphans\" needs the \"all\" scope (orphans are only "
                 "found against the whole store)");
  }
  return Status::ok();
}

}  // namespace acid::audit
