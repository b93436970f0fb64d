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

// Inserts or updates each document by _id. Report: {"documents","changed","unchanged",
// "collections":{"moods":N,...}}.
Result<std::string> import_content(store::ContentStore &store, std::string_view jsonl);

// Marks one document deleted (moods.deleted / paintings.nuked); the next sync deletes its
// record. Report: {"collection","id","changed":bool}. Code::not_found when absent.
Result<std::string> delete_content(store::ContentStore &store, std::string_view collection,
                                   std::string_view id);

}  // namespace acid::sync
