// The mirror's table: which store collection goes to which repo collection, and how each field
// of a source document becomes a field of the record (lexicons at/lexicons/computer/aesthetic/).
// Adding a collection (kidlisp, tapes) is one more entry in mappings(), plus its store table.
//
// Every record gets "$type" (the NSID), "ref" (the source document's _id) and "when" (ISO 8601,
// UTC, milliseconds). Values are strings only: the AT data model rejects floats, and nothing
// here is a number.
#pragma once

#include <cstddef>
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
};

struct CollectionMapping {
  std::string_view collection;     // store collection, e.g. "moods"
  std::string_view nsid;           // repo collection, e.g. "computer.aesthetic.mood"
  std::string_view deleted_field;  // the source's soft-delete flag: "deleted" / "nuked"
  std::size_t ref_max_bytes = 0;   // lexicon bound on "ref" (0 = none)
  std::vector<FieldRule> fields;
};

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
// The record JSON for a (valid) document: {"$type":..., fields..., "when":..., "ref":...}.
Result<std::string> record_json(const CollectionMapping &mapping, const store::ContentDoc &doc);

// The source id a record points to: "ref", or the legacy "mongoId". Empty when neither.
std::string record_ref(std::string_view value_json);

}  // namespace acid::sync
