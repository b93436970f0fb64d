// Source documents in: JSON lines for migrations, demos and tests, and single deletions.
//
//   {"collection":"moods","_id":"...","user":"auth0|...","mood":"...",
//    "when":"2025-10-14T00:00:00.000Z","deleted":false}
//   {"collection":"paintings","_id":"...","user":"auth0|...","slug":"...","code":"...",
//    "imageUrl":"https://...","recordingUrl":"https://...","bucket":"...","when":"...",
//    "nuked":false}
//
// Every line is checked (collection, types, the lexicon's bounds, one _id once) before anything
// is written: a bad file is a clear error naming its line, and nothing changes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/content_store.h"

namespace acid::sync {

// Parses and checks every line (no store needed): the documents in file order, or Code::invalid
// naming the first bad line (detail {"line":N}). Blank lines are skipped; an input without a
// document is invalid.
Result<std::vector<store::ContentDoc>> parse_content_lines(std::string_view jsonl);

struct ImportReport {
  std::int64_t documents = 0;
  std::int64_t changed = 0;                         // inserted or different from the stored one
  std::map<std::string, std::int64_t> collections;  // documents per collection
};
// {"documents","changed","unchanged","collections":{"moods":N,...}}
std::string to_json(const ImportReport &report);

// Inserts or updates each document by _id.
Result<ImportReport> import_content(store::ContentStore &store, std::string_view jsonl);

struct ContentDeletion {
  std::string collection, id;
  bool changed = false;  // false: it was already deleted
};
// {"collection","id","changed":bool}
std::string to_json(const ContentDeletion &deletion);

// Marks one document deleted (moods.deleted / paintings.nuked); the next sync deletes its
// record. Code::not_found when absent.
Result<ContentDeletion> delete_content(store::ContentStore &store, std::string_view collection,
                                       std::string_view id);

}  // namespace acid::sync
