#include "sync/mapping.h"

#include <cstdint>

#include "core/json.h"
#include "core/time.h"

namespace acid::sync {

namespace {

// track-media.mjs: imageUrl = https://aesthetic.computer/media/paintings/<code>.png, and a
// recording (a slug "imageSlug:recordingSlug") at .../paintings/<code>.zip.
void derive_painting(std::map<std::string, std::string> &fields, std::string_view media_base) {
  auto code = fields.find("code");
  if (code == fields.end()) return;
  const std::string base = std::string(media_base) + "/paintings/" + code->second;
  if (!fields.contains("imageUrl")) fields["imageUrl"] = base + ".png";
  auto slug = fields.find("slug");
  if (!fields.contains("recordingUrl") && slug != fields.end() &&
      slug->second.find(':') != std::string::npos) {
    fields["recordingUrl"] = base + ".zip";
  }
}

std::string field_or_empty(const std::map<std::string, std::string> &fields, const char *name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

// The painting's thumbnail: the deployed fallback, the full image at imageUrl.
std::string painting_image(const std::map<std::string, std::string> &fields, std::string_view) {
  return field_or_empty(fields, "imageUrl");
}

// A tape's video: what the deployed site plays, <media>/tapes/<code>.mp4 (the deployed mirror
// converted the recording ZIP with ffmpeg; the media route serves the MP4 by code).
std::string tape_video(const std::map<std::string, std::string> &fields,
                       std::string_view media_base) {
  const std::string code = field_or_empty(fields, "code");
  return code.empty() ? std::string() : std::string(media_base) + "/tapes/" + code + ".mp4";
}

}  // namespace

const std::vector<CollectionMapping> &mappings() {
  // computer.aesthetic.mood: mood (<= 5000), when, ref.
  // computer.aesthetic.painting: slug (<= 128), code (<= 10), imageUrl (uri, <= 512), when,
  // ref (<= 24), recordingUrl (optional), thumbnail (optional blob, png/jpeg, <= 1 MiB).
  static const std::vector<CollectionMapping> kMappings = {
      {"moods",
       "computer.aesthetic.mood",
       "deleted",
       0,
       {{"mood", "mood", true, 5000, false, false}},
       nullptr,
       {},
       false},
      {"paintings",
       "computer.aesthetic.painting",
       "nuked",
       24,
       {{"slug", "slug", true, 128, false, false},
        {"code", "code", true, 10, false, false},
        {"imageUrl", "imageUrl", true, 512, true, true},
        {"recordingUrl", "recordingUrl", false, 512, true, true},
        {"bucket", "", false, 64, false, false}},
       &derive_painting,
       {{"thumbnail", {"image/png", "image/jpeg"}, 1048576, &painting_image, false}},
       true},
      // computer.aesthetic.kidlisp: source (<= 50000), code (<= 10), when, ref (<= 24). The
      // deployed record also carried acUrl, which the lexicon does not define: left out.
      {"kidlisp",
       "computer.aesthetic.kidlisp",
       "deleted",
       24,
       {{"source", "source", true, 50000, false, false}, {"code", "code", true, 10, false, false}},
       nullptr,
       {},
       true},
      // computer.aesthetic.tape: slug, code, when, video (required blob, video/mp4, <= 50 MiB),
      // ref. acUrl of the deployed record is not in the lexicon either.
      {"tapes",
       "computer.aesthetic.tape",
       "nuked",
       0,
       {{"slug", "slug", true, 0, false, false},
        {"code", "code", true, 0, false, false},
        {"bucket", "", false, 64, false, false}},
       nullptr,
       {{"video", {"video/mp4"}, 52428800, &tape_video, true}},
       true},
      // computer.aesthetic.piece: slug (<= 100), when, ref (<= 24).
      {"pieces",
       "computer.aesthetic.piece",
       "nuked",
       24,
       {{"slug", "slug", true, 100, false, false},
        {"code", "", false, 64, false, false},
        {"name", "", false, 256, false, false},
        {"bucket", "", false, 64, false, false}},
       nullptr,
       {},
       true},
  };
  return kMappings;
}

std::string repo_owner(const CollectionMapping &mapping, const store::ContentDoc &doc) {
  if (!doc.user.empty()) return doc.user;
  return mapping.guest_repo ? std::string(kArtGuestSub) : std::string();
}

std::map<std::string, std::string> record_fields(const CollectionMapping &mapping,
                                                 const store::ContentDoc &doc,
                                                 std::string_view media_base) {
  std::map<std::string, std::string> fields = doc.fields;
  if (mapping.derive != nullptr) mapping.derive(fields, media_base);
  return fields;
}

Result<const CollectionMapping *> mapping_for(std::string_view collection) {
  for (const CollectionMapping &m : mappings()) {
    if (m.collection == collection) return &m;
  }
  std::string known;
  for (const CollectionMapping &m : mappings()) {
    known += (known.empty() ? "" : ", ") + std::string(m.collection);
  }
  return Error(Code::invalid, "unknown content collection \"" +
                                  std::string(collection.substr(0, 64)) + "\" (known: " + known +
                                  ")");
}

bool is_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

namespace {

// The lexicon's bounds over the fields; `record` = the derived fields are present by now.
Status check(const CollectionMapping &mapping, const store::ContentDoc &doc, bool record) {
  const std::string what = std::string(mapping.collection) + " " + doc.id;
  if (doc.id.empty()) return Error(Code::invalid, std::string(mapping.collection) + ": empty _id");
  if (mapping.ref_max_bytes > 0 && doc.id.size() > mapping.ref_max_bytes) {
    return Error(Code::invalid, what + ": _id is longer than the lexicon's " +
                                    std::to_string(mapping.ref_max_bytes) + " bytes for ref");
  }
  if (!is_utf8(doc.id) || !is_utf8(doc.user)) {
    return Error(Code::invalid, std::string(mapping.collection) + ": _id or user is not UTF-8");
  }
  for (const auto &[name, value] : doc.fields) {
    if (!is_utf8(value)) return Error(Code::invalid, what + ": \"" + name + "\" is not UTF-8");
    bool known = false;
    for (const FieldRule &rule : mapping.fields) known = known || rule.source == name;
    if (!known) return Error(Code::invalid, what + ": unknown field \"" + name + "\"");
  }
  for (const FieldRule &rule : mapping.fields) {
    auto it = doc.fields.find(std::string(rule.source));
    if (it == doc.fields.end()) {
      if (rule.required && (record || !rule.derived)) {
        return Error(Code::invalid,
                     what + ": the required field \"" + std::string(rule.source) + "\" is missing");
      }
      continue;
    }
    if (rule.max_bytes > 0 && it->second.size() > rule.max_bytes) {
      return Error(Code::invalid, what + ": \"" + std::string(rule.source) + "\" is longer than " +
                                      std::to_string(rule.max_bytes) + " bytes");
    }
    if (rule.uri && it->second.rfind("https://", 0) != 0 && it->second.rfind("http://", 0) != 0) {
      return Error(Code::invalid,
                   what + ": \"" + std::string(rule.source) + "\" must be an http(s) URL");
    }
  }
  return Status::ok();
}

}  // namespace

Status validate(const CollectionMapping &mapping, const store::ContentDoc &doc) {
  return check(mapping, doc, false);
}

Result<std::string> record_json(const CollectionMapping &mapping, const store::ContentDoc &source,
                                const RecordInputs &inputs) {
  ACID_TRY(check(mapping, source, false));
  store::ContentDoc doc = source;
  doc.fields = record_fields(mapping, source, inputs.media_base);
  ACID_TRY(check(mapping, doc, true));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("$type");
  w.String(mapping.nsid.data(), static_cast<rapidjson::SizeType>(mapping.nsid.size()));
  for (const FieldRule &rule : mapping.fields) {
    if (rule.record.empty()) continue;
    auto it = doc.fields.find(std::string(rule.source));
    if (it == doc.fields.end()) continue;
    w.Key(rule.record.data(), static_cast<rapidjson::SizeType>(rule.record.size()));
    w.String(it->second.data(), static_cast<rapidjson::SizeType>(it->second.size()));
  }
  for (const BlobRule &blob : mapping.blobs) {
    auto it = inputs.blobs.find(std::string(blob.record));
    if (it == inputs.blobs.end()) continue;
    w.Key(blob.record.data(), static_cast<rapidjson::SizeType>(blob.record.size()));
    w.RawValue(it->second.data(), it->second.size(), rapidjson::kObjectType);
  }
  const std::string when = format_iso8601(doc.when);
  w.Key("when");
  w.String(when.data(), static_cast<rapidjson::SizeType>(when.size()));
  w.Key("ref");
  w.String(doc.id.data(), static_cast<rapidjson::SizeType>(doc.id.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string record_ref(std::string_view value_json) {
  auto doc = json::parse(value_json);
  if (!doc || !doc->IsObject()) return "";
  if (auto ref = json::get_string(*doc, "ref")) return std::string(*ref);
  if (auto ref = json::get_string(*doc, "mongoId")) return std::string(*ref);
  return "";
}

}  // namespace acid::sync
