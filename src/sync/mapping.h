// The mirror's table: which store collection goes to which repo collection, and how each field
// of a source document becomes a field of the record (lexicons at/lexicons/computer/aesthetic/).
// Adding a collection is one more entry in mappings(), plus its store table (both stores).
//
// Every record gets "$type" (the NSID), "ref" (the source document's _id) and "when" (ISO 8601,
// UTC, milliseconds). Values are strings only: the AT data model rejects floats, and nothing
// here is a number.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace acid::sync {

struct FieldRule {
  std::string_view source;  // name in the store document (and in import lines)
  std::string_view record;  // name in the repo record; "" = kept in the store, never mirrored
  bool required = false;
  std::size_t max_bytes = 0;  // 0 = no limit
  bool uri = false;           // must be an http(s) URL
  // Absent in the deployed documents: the row's derive function makes it when the record is
  // written (paintings' imageUrl). "required" then holds for the record, not the document.
  bool derived = false;
};

// A blob the record references (uploaded with com.atproto.repo.uploadBlob), fetched over HTTP
// from the URL `url` makes of the record's fields (after derivation) and the media base.
struct BlobRule {
  std::string_view record;               // record field, e.g. "thumbnail"
  std::vector<std::string_view> accept;  // MIME types the lexicon accepts
  std::size_t max_bytes = 0;             // the lexicon's maxSize
  std::string (*url)(const std::map<std::string, std::string> &fields,
                     std::string_view media_base) = nullptr;  // "" = none
  // The lexicon requires it: without it the document is not written (it stays pending).
  bool required = false;
};

// Where the deployed code serves media: ACID_MEDIA_BASE_URL (core/config.h).
inline constexpr std::string_view kDefaultMediaBase = "https://aesthetic.computer/media";
// The users document whose PDS account holds guest content (media-atproto.mjs).
inline constexpr std::string_view kArtGuestSub = "art-guest";

struct CollectionMapping {
  std::string_view collection;     // store collection, e.g. "moods"
  std::string_view nsid;           // repo collection, e.g. "computer.aesthetic.mood"
  std::string_view deleted_field;  // the source's soft-delete flag: "deleted" / "nuked"
  std::size_t ref_max_bytes = 0;   // lexicon bound on "ref" (0 = none)
  std::vector<FieldRule> fields;
  // Fills derived fields the document lacks, from its stored fields and the media base URL.
  void (*derive)(std::map<std::string, std::string> &fields, std::string_view media_base) = nullptr;
  std::vector<BlobRule> blobs;  // a record is written without an optional one it cannot get
  bool guest_repo = false;      // documents without a user go to the art account's repo
};

// The sub whose repo holds the document's record: its user, or the art account for a guest
// document of a collection that mirrors guests; empty when nobody's.
std::string repo_owner(const CollectionMapping &mapping, const store::ContentDoc &doc);

// Every mapped collection, in a fixed order.
const std::vector<CollectionMapping> &mappings();
// Code::invalid for an unknown collection.
Result<const CollectionMapping *> mapping_for(std::string_view collection);

// Whether `text` is well-formed UTF-8 (no surrogates, no overlong forms): what the AT data
// model's strings must be. (A JSON escape such as "\udc00" decodes to a lone surrogate.)
bool is_utf8(std::string_view text);

// Checks a source document against the lexicon bounds: required fields, sizes, URIs, ref, and
// well-formed UTF-8 everywhere.
Status validate(const CollectionMapping &mapping, const store::ContentDoc &doc);
// What a record needs besides its document: the media base for derived URLs and the blobs
// already uploaded (record field -> the blob object uploadBlob answered, as JSON).
struct RecordInputs {
  std::string media_base = std::string(kDefaultMediaBase);
  std::map<std::string, std::string> blobs;
};

// The document's fields with the derived ones filled in (what the record will carry).
std::map<std::string, std::string> record_fields(const CollectionMapping &mapping,
                                                 const store::ContentDoc &doc,
                                                 std::string_view media_base);
// The record JSON for a (valid) document: {"$type":..., fields..., "when":..., "ref":...}, each
// derived field made and checked against the lexicon's bounds, and the blobs given.
Result<std::string> record_json(const CollectionMapping &mapping, const store::ContentDoc &doc,
                                const RecordInputs &inputs = {});

// The source id a record points to: "ref", or the legacy "mongoId". Empty when neither.
std::string record_ref(std::string_view value_json);

}  // namespace acid::sync
