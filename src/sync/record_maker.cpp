#include "sync/record_maker.h"

#include <optional>
#include <variant>

namespace acid::sync {

RecordMaker::RecordMaker(std::string media_base, provision::Metrics &metrics)
    : media_base_(std::move(media_base)), metrics_(metrics) {}

RecordMaker::~RecordMaker() = default;

Result<MediaFetcher *> RecordMaker::fetcher() {
  std::lock_guard lock(mu_);
  if (!fetcher_) {
    ACID_ASSIGN_OR_RETURN(auto made, MediaFetcher::create());
    fetcher_ = std::move(made);
  }
  return fetcher_.get();
}

Result<MadeRecord> RecordMaker::make(const CollectionMapping &mapping, const store::ContentDoc &doc,
                                     const Upload &upload) {
  MadeRecord out;
  RecordInputs inputs;
  inputs.media_base = media_base_;
  // Checked before any fetch: a document the lexicon refuses costs no download.
  ACID_ASSIGN_OR_RETURN(auto plain, record_json(mapping, doc, inputs));
  if (mapping.blobs.empty()) {
    out.json = std::move(plain);
    return out;
  }
  const auto fields = record_fields(mapping, doc, media_base_);
  for (const BlobRule &rule : mapping.blobs) {
    const auto miss = [&](std::string reason, std::string message) {
      metrics_.add("acid_sync_blob_missing_total", {{"collection", std::string(mapping.collection)},
                                                    {"blob", std::string(rule.record)},
                                                    {"reason", reason}});
      out.missing.push_back({std::string(rule.record), std::move(reason), std::move(message)});
    };
    const std::string url = rule.url == nullptr ? std::string() : rule.url(fields, media_base_);
    std::optional<MediaMiss> missed;
    std::optional<Media> got;
    if (url.empty()) {
      missed = MediaMiss{"no_url", "no URL to fetch"};
    } else {
      ACID_ASSIGN_OR_RETURN(auto f, fetcher());
      auto fetched = f->fetch(url, rule.accept, rule.max_bytes);
      if (auto *m = std::get_if<MediaMiss>(&fetched)) {
        missed = std::move(*m);
      } else {
        got = std::move(std::get<Media>(fetched));
      }
    }
    if (missed) {
      miss(missed->reason, missed->message);
      if (rule.required) {
        // The lexicon requires this blob: a record without it would be invalid. The document
        // stays pending (counted as a failure by the caller) until the media can be had.
        return Error(Code::unavailable, std::string(mapping.collection) + " " + doc.id + ": the " +
                                            std::string(rule.record) + " (" + url.substr(0, 200) +
                                            ") cannot be had: " + missed->reason + " (" +
                                            missed->message + ")");
      }
      continue;
    }
    const Media &media = *got;
    auto blob = upload(media.bytes, media.mime_type);
    if (!blob) return std::move(blob).error().context("uploadBlob " + std::string(rule.record));
    inputs.blobs[std::string(rule.record)] = blob->json;
    out.blobs.push_back(blob->cid);
  }
  ACID_ASSIGN_OR_RETURN(auto record, record_json(mapping, doc, inputs));
  out.json = std::move(record);
  return out;
}

}  // namespace acid::sync
